"""The actor catalogue: every actor written once, scenarios that include it and say what they change.

A scenario file may list its actors inline (``subnationals:``, ``nationals:``
...), or take them from the catalogue (``scenarios/catalogue.yaml``)::

    include:                      # catalogue entries, by section and id
      subnationals: [london, paris]
      nationals: [gov_GB, gov_FR]
      networks: [eurocities]
      agreements: [london_office_brussels]
    changes:                      # what this scenario changes in them
      eurocities: {recruitment_rate: 3}

``compose`` turns such data into the plain data of a self-contained scenario
(which ``scenario_from_data`` then validates):

- an included entry is copied from the catalogue, then its ``changes`` applied
  (a change replaces the field's value; ``null`` restores the schema default);
- memberships (a subnational's ``memberships``, a network's ``members``) are
  kept only for the networks and subnationals the scenario includes, so a story
  that leaves a network out does not have to edit every member;
- the catalogue's relations between nations are kept when both nations have a
  government in the scenario; the scenario's own ``relations`` override them
  pair by pair;
- the catalogue dates networks, agreements and offices by calendar
  (``founded: "1990-09"``, ``signed: 2013``, ``opened: "2015-06"``, a scope
  change's ``date``); they become steps of the run: a date ``YYYY-MM`` is
  step ``(YYYY − start_year)·12 + MM`` (step 1 is January of ``start_year``), a
  year alone is its January (the month is not known); an agreement or office
  dated at or before step 0 is in force when the run starts; an office dated
  later opens on that step (an agreement cannot: the model signs those);
- events (``events:``, each with a ``type`` and a ``date``) go on the
  scenario's timeline when they fall inside the run; an event before the start
  is history: it is listed in ``timeline.history`` (and the ledger records it
  at its negative step), and what it left behind is the initial state (a
  profile, an agreement in force, a stance), as the catalogue's comments say;
  an event with a window that straddles the start begins at step 1 with the
  months left; a practice introduced before the start is in circulation from
  step 0 (``introduced: null``: only a private actor's campaign introduces
  it); a private actor's campaign dated before the start runs in month 1 (it
  is under way);
- inline sections of the scenario are appended after the included entries.

Nothing here reads files: ``experiments`` parses both YAML files.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from model.validation import SchemaError

SECTIONS: tuple[str, ...] = ("subnationals", "nationals", "networks", "private_actors", "agreements", "offices",
                              "practices", "events")
"""Catalogue sections a scenario can include, in the order they are composed."""

DATED_FIELDS: dict[str, dict[str, str]] = {"networks": {"founded": "founded_step"},
                                           "agreements": {"signed": "signed_step"},
                                           "offices": {"opened": "opened_step", "closed": "closed_step"},
                                           "practices": {"introduced": "step"},
                                           "events": {"date": "step"}}
"""Catalogue date fields and the step field of the scenario schema each becomes."""

EVENT_TYPES: dict[str, str] = {"mega_event": "mega_events", "stance_change": "stance_changes",
                               "crisis": "crises", "declaration": "declarations", "milestone": "milestones"}
"""Catalogue event ``type`` → the timeline list it goes to."""

_DATE = re.compile(r"^(\d{4})(?:-(\d{2}))?$")


def step_of(date: Any, start_year: int, where: str, path: str) -> int:
    """The run step of a calendar date: ``YYYY-MM`` → (YYYY − start_year)·12 + MM; a year alone is its January."""
    match = _DATE.match(str(date)) if isinstance(date, (int, str)) and not isinstance(date, bool) else None
    month = int(match.group(2)) if match and match.group(2) else 1
    if match is None or not 1 <= month <= 12:
        raise SchemaError(where, path, date, 'a year (2013) or a year and month ("2013-05")')
    return (int(match.group(1)) - start_year) * 12 + month


def compose(data: Any, catalogue: Any, where: str, catalogue_where: str) -> Any:
    """Plain scenario data with the catalogue entries it includes resolved (see the module docstring).

    ``data`` without ``include`` is returned as it is.  Errors name ``where``
    (the scenario) for what the scenario says and ``catalogue_where`` for what
    the catalogue says.
    """
    if not isinstance(data, dict) or "include" not in data:
        if isinstance(data, dict) and "changes" in data:
            raise SchemaError(where, "changes", data["changes"], "changes to entries listed under include:")
        return data
    entries = _index(catalogue, catalogue_where)
    include = data.get("include") or {}
    if not isinstance(include, dict):
        raise SchemaError(where, "include", include, "a mapping of catalogue sections to lists of ids")
    changes = data.get("changes") or {}
    if not isinstance(changes, dict):
        raise SchemaError(where, "changes", changes, "a mapping of included ids to mappings of field changes")
    start_year = data.get("start_year", 2015)
    chosen: dict[str, list[dict]] = {}
    included_ids: set[str] = set()
    for section, ids in include.items():
        if section not in SECTIONS:
            raise SchemaError(where, f"include.{section}", ids, "catalogue sections " + ", ".join(SECTIONS))
        if not isinstance(ids, list):
            raise SchemaError(where, f"include.{section}", ids, "a list of ids of the catalogue's " + section)
        chosen[section] = []
        for i, entry_id in enumerate(ids):
            if entry_id not in entries[section]:
                known = sorted(entries[section])
                raise SchemaError(where, f"include.{section}[{i}]", entry_id,
                                  f"ids of the catalogue's {section} ({catalogue_where}), e.g. " + ", ".join(known[:8]))
            if entry_id in included_ids:
                raise SchemaError(where, f"include.{section}[{i}]", entry_id, "an id included once")
            included_ids.add(entry_id)
            chosen[section].append(copy.deepcopy(entries[section][entry_id]))
    for entry_id, change in changes.items():
        if entry_id not in included_ids:
            raise SchemaError(where, f"changes.{entry_id}", change, "ids listed under include:")
        if not isinstance(change, dict):
            raise SchemaError(where, f"changes.{entry_id}", change, "a mapping of field: new value")
    for section, items in chosen.items():
        for item in items:
            for name, value in changes.get(item["id"], {}).items():
                if value is None:
                    item.pop(name, None)
                else:
                    item[name] = copy.deepcopy(value)
            for date_field, step_field in DATED_FIELDS.get(section, {}).items():
                if date_field in item:
                    date = item.pop(date_field)
                    item[step_field] = None if date is None else step_of(
                        date, start_year, catalogue_where, f"{section}.{item['id']}.{date_field}")
            for k, change in enumerate(item.get("scope_changes") or [] if section == "networks" else []):
                if isinstance(change, dict) and "date" in change:
                    change["step"] = step_of(change.pop("date"), start_year, catalogue_where,
                                             f"{section}.{item['id']}.scope_changes[{k}].date")
            for k, campaign in enumerate(item.get("campaigns") or [] if section == "private_actors" else []):
                if isinstance(campaign, dict) and "date" in campaign:  # a campaign under way at the start runs in month 1
                    campaign["step"] = max(1, step_of(campaign.pop("date"), start_year, catalogue_where,
                                                      f"{section}.{item['id']}.campaigns[{k}].date"))
    out = {k: v for k, v in data.items() if k not in ("include", "changes")}
    for section in SECTIONS[:-1]:
        out[section] = chosen.get(section, []) + list(data.get(section) or [])
    for practice in chosen.get("practices", []):
        if practice.get("step") is not None:
            practice["step"] = max(0, practice["step"])
    if chosen.get("events"):
        out["timeline"] = _timeline(chosen["events"], data.get("timeline"), where)
    _keep_present_memberships(out)
    out["relations"] = _relations(entries["relations"], out, data.get("relations") or [])
    return out


def _timeline(events: list[dict], own: Any, where: str) -> dict:
    """The scenario's timeline with the included events placed by date (see the module docstring).

    A timeline that is not a mapping of lists is returned as it is, for the
    scenario's validation to name it.
    """
    if own is not None and (not isinstance(own, dict) or not all(isinstance(v, list) for v in own.values())):
        return own
    timeline = {key: list(value) for key, value in (own or {}).items()}
    for event in events:
        kind = event.pop("type", None)
        if kind not in EVENT_TYPES:
            raise SchemaError(where, f"include.events.{event['id']}.type", kind, "one of " + ", ".join(EVENT_TYPES))
        if kind != "declaration":
            event.pop("id")
        step, months = event.get("step", 1), event.get("months")
        if step >= 1:
            timeline.setdefault(EVENT_TYPES[kind], []).append(event)
        elif months is not None and step + months > 1:
            timeline.setdefault(EVENT_TYPES[kind], []).append({**event, "step": 1, "months": step + months - 1})
        else:
            timeline.setdefault("history", []).append(
                {"name": event.get("name", ""), "type": kind, "step": step,
                 "actor": event.get("actor") or event.get("convenor") or ""})
    return timeline


def _index(catalogue: Any, where: str) -> dict[str, dict[str, dict]]:
    if not isinstance(catalogue, dict):
        raise SchemaError(where, "", catalogue, "a mapping with sections " + ", ".join(SECTIONS + ("relations",)))
    unknown = sorted(set(catalogue) - set(SECTIONS) - {"relations"})
    if unknown:
        raise SchemaError(where, unknown[0], catalogue[unknown[0]], "sections " + ", ".join(SECTIONS + ("relations",)))
    index: dict[str, dict[str, dict]] = {}
    seen: set[str] = set()
    for section in SECTIONS:
        index[section] = {}
        for i, entry in enumerate(catalogue.get(section) or []):
            if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
                raise SchemaError(where, f"{section}[{i}]", entry, "a mapping with an id")
            if entry["id"] in seen:
                raise SchemaError(where, f"{section}[{i}].id", entry["id"], "an id not used by another entry")
            seen.add(entry["id"])
            index[section][entry["id"]] = entry
    index["relations"] = {}
    for i, rel in enumerate(catalogue.get("relations") or []):
        if not isinstance(rel, dict) or not {"a", "b"} <= set(rel):
            raise SchemaError(where, f"relations[{i}]", rel, "a mapping with a, b and value")
        index["relations"][_pair(rel)] = rel
    return index


def _pair(rel: dict) -> tuple[str, str]:
    a, b = str(rel["a"]), str(rel["b"])
    return (a, b) if a <= b else (b, a)


def _keep_present_memberships(out: dict) -> None:
    networks = {n.get("id") for n in out["networks"]}
    subnationals = {x.get("id") for x in out["subnationals"]}
    for sub in out["subnationals"]:
        if isinstance(sub.get("memberships"), list):
            sub["memberships"] = [m for m in sub["memberships"] if m in networks]
    for net in out["networks"]:
        if isinstance(net.get("members"), list):
            net["members"] = [m for m in net["members"] if m in subnationals]


def _relations(catalogue_relations: dict[tuple[str, str], dict], out: dict, own: list) -> list:
    countries = {n.get("country") for n in out["nationals"]}
    relations = {pair: rel for pair, rel in catalogue_relations.items() if set(pair) <= countries}
    for rel in own:
        relations[_pair(rel) if isinstance(rel, dict) and {"a", "b"} <= set(rel) else (str(rel), "")] = rel
    return list(relations.values())
