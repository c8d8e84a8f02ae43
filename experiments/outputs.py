"""Tables of a run (DESIGN.md §7) and their atomic writing.

``run_tables(model)`` turns a finished model into pandas tables:
``metrics`` (tidy: step, date, metric, value), ``agents`` (one row per actor at the
end), ``agreements`` (the ledger, one row per event), ``agent_steps``
(per actor and step: degree, memberships, agreements by domain, recorded as changes)
and ``utilisation`` (per actor and year).  Every table with a ``step`` has a
``date`` beside it (``step_dates``: step 1 is January of the scenario's
start_year, step 0 the initial state, dated the month before).  Every file
is written to a temporary name in the same folder and renamed, so a crash
never leaves a half-written file.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd

from model.metrics import PANEL_COLUMNS
from model.scenario import DOMAINS


def step_dates(steps, start_year: int) -> pd.Series:
    """The calendar month of each step, as its first day: step 1 = January of start_year, step s = month s.

    The model counts months from 1 (Mesa increments ``steps`` before each
    ``step()``); step 0 is the state built before the first month, dated the
    month before it (December of start_year - 1).
    """
    months = start_year * 12 + np.asarray(steps, dtype=np.int64) - 1
    return pd.Series(pd.to_datetime({"year": months // 12, "month": months % 12 + 1, "day": 1}).to_numpy(),
                     name="date")


def with_dates(table: pd.DataFrame, start_year: int) -> pd.DataFrame:
    """``table`` with a ``date`` column (``step_dates``) right after its ``step`` column."""
    table = table.copy()
    table.insert(table.columns.get_loc("step") + 1, "date", step_dates(table["step"], start_year).to_numpy())
    return table


def metrics_table(model) -> pd.DataFrame:
    wide = model.datacollector.get_model_vars_dataframe()
    wide.index = range(len(wide))
    wide.index.name = "step"
    tidy = wide.reset_index().melt(id_vars="step", var_name="metric", value_name="value")
    tidy["value"] = tidy["value"].astype(float)
    return tidy.sort_values(["step", "metric"], kind="stable").reset_index(drop=True)


def agents_table(model) -> pd.DataFrame:
    a = model.actors
    signed = np.zeros(len(a.country), dtype=np.int64)
    for e in model.ledger.events:
        if e.event in ("signed", "contested") and e.step > 0:
            signed[list(e.parties)] += 1
    rows = []
    for agent in model.subnationals + model.nationals + model.networks + model.private_actors:
        i = agent.index
        row = {
            "actor_id": agent.actor_id, "name": agent.name, "type": agent.type_name, "kind": agent.kind,
            "country": agent.country, "population": int(a.population[i]),
            "lat": float(a.lat[i]), "lon": float(a.lon[i]), "gdp": float(a.gdp[i]),
            "autonomy": float(a.autonomy[i]), "assertiveness": float(a.assertiveness[i]),
            "capacity": float(a.capacity[i]), "profile": float(a.profile[i]),
            "degree": int(a.degree[i]), "standing": float(a.standing[i]),
            "signed": int(signed[i]),
            "oversight": agent.oversight.name if agent.type_name == "national" else "",
            "stance": float(agent.stance) if agent.type_name == "national" else float("nan"),
            "memberships": [model.networks[m].actor_id for m in model.memberships_of(i)],
            "members": len(agent.members) if agent.type_name == "network" else 0,
            "budget": float(agent.budget) if agent.type_name == "private" else float("nan"),
        }
        row.update({f"agreements_{d}": int(a.by_domain[i, k]) for k, d in enumerate(DOMAINS)})
        rows.append(row)
    return pd.DataFrame(rows)


def agreements_table(model) -> pd.DataFrame:
    ids = [agent.actor_id for agent in model.subnationals + model.nationals + model.networks + model.private_actors]
    records = [{
        "step": e.step, "event": e.event, "agreement_id": e.agreement_id, "kind": e.kind,
        "domain": e.domain, "parties": [ids[p] for p in e.parties],
        "actor_id": ids[e.actor] if e.actor is not None else None, "detail": e.detail,
    } for e in model.ledger.events]
    table = pd.DataFrame(records, columns=["step", "event", "agreement_id", "kind", "domain",
                                           "parties", "actor_id", "detail"])
    table["agreement_id"] = table["agreement_id"].astype("Int64")
    return table


def agent_steps_table(model) -> pd.DataFrame:
    """Per-actor values by step, as changes: a row when any value of the actor changed.

    Step 0 has every subnational; forward-fill per actor for the full panel.
    """
    steps, rows, values = model.datacollector.actor_panel()
    ids = np.array([agent.actor_id for agent in model.subnationals], dtype=object)
    table = pd.DataFrame(values, columns=list(PANEL_COLUMNS))
    table.insert(0, "actor_id", ids[rows])
    table.insert(0, "step", steps.astype(np.int64))
    return table


def utilisation_table(model) -> pd.DataFrame:
    """Per actor with a capacity and completed year of the run (``year`` 1 = months 1–12, in ``calendar_year``):
    agreements signed, capacity, signed / capacity."""
    ids = np.array([agent.actor_id for agent in model.subnationals + model.nationals], dtype=object)
    n = len(ids)
    frames = []
    for year, signed, capacity in model.utilisation_log:
        keep = capacity[:n] > 0
        frames.append(pd.DataFrame({"actor_id": ids[keep], "year": year, "signed": signed[:n][keep],
                                    "capacity": capacity[:n][keep]}))
    table = (pd.concat(frames, ignore_index=True) if frames
             else pd.DataFrame({"actor_id": [], "year": [], "signed": [], "capacity": []}))
    table = table.astype({"year": np.int64, "signed": np.int64, "capacity": float})
    table.insert(2, "calendar_year", model.spec.start_year + table["year"] - 1)
    table["utilisation"] = table["signed"] / table["capacity"]
    return table


def run_tables(model) -> dict[str, pd.DataFrame]:
    """The run's tables (module docstring), dated from the scenario's start_year."""
    start_year = model.spec.start_year
    return {"metrics": with_dates(metrics_table(model), start_year), "agents": agents_table(model),
            "agreements": with_dates(agreements_table(model), start_year),
            "agent_steps": with_dates(agent_steps_table(model), start_year),
            "utilisation": utilisation_table(model)}


_UMASK = os.umask(0)
os.umask(_UMASK)


def write_atomic(path: Path, write: Callable[[Path], Any]) -> Path:
    """Call ``write(tmp)`` on a temporary file beside ``path``, then rename it to ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        write(Path(tmp))
        os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp makes 0600 files; give the usual permissions
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def write_parquet(table: pd.DataFrame, path: Path) -> Path:
    return write_atomic(path, lambda tmp: table.to_parquet(tmp, index=False))


def write_json(data: dict, path: Path) -> Path:
    return write_atomic(path, lambda tmp: tmp.write_text(json.dumps(data, indent=2, sort_keys=True)))


def write_text(text: str, path: Path) -> Path:
    return write_atomic(path, lambda tmp: tmp.write_text(text))
