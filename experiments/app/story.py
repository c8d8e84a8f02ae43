"""What the page says in words: dates, what happened this month, and one actor's record.

Dates: month 1 of a run is January of the scenario's ``start_year`` (the
model steps ``model.steps`` from 1 and the timeline counts months the same
way), so month 0, the start, is the December before, and an agreement signed
at month −24 was signed two years before that.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import NamedTuple

from model import DiplomacyModel
from model.agents import CityNetwork, NationalGovernment, PrivateActor, SubnationalGovernment
from model.agreements import LedgerEvent
from model.scenario import DOMAINS, is_background

MONTH_NAMES = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
               "October", "November", "December")
MAX_SENTENCES = 60
"""Sentences listed for one month; the rest are counted ("… and 12 more")."""


def month_date(start_year: int, step: int, short: bool = False) -> str:
    """The calendar month of step ``step``: 1 → 'January 2015' when the run starts in 2015; 0 → 'December 2014'."""
    year, month = divmod(start_year * 12 + step - 1, 12)
    name = MONTH_NAMES[month]
    return f"{name[:3] if short else name} {year}"


def month_start(start_year: int, step: int) -> str:
    """The first day of step ``step``'s month, as an ISO date (for the charts' time axis)."""
    year, month = divmod(start_year * 12 + step - 1, 12)
    return f"{year:04d}-{month + 1:02d}-01"


def run_date(model: DiplomacyModel) -> str:
    """Where the run is: 'Month 24 · December 2016', or 'Start · before January 2015'."""
    start = model.spec.start_year
    if model.steps == 0:
        return f"Start · before {month_date(start, 1)}"
    return f"Month {model.steps} · {month_date(start, model.steps)}"


# ----------------------------------------------------------------------------- this month


def month_events(model: DiplomacyModel, step: int | None = None) -> list[LedgerEvent]:
    """The ledger's events of month ``step`` (default: the month just stepped), in the order they happened.

    The ledger is appended in time order (initial agreements first), so the
    month's events are the last ones, read from the end back.
    """
    step = model.steps if step is None else step
    events = model.ledger.events
    k = len(events)
    while k > 0 and events[k - 1].step >= step:
        k -= 1
    return [e for e in events[k:] if e.step == step] if step > 0 else []


class Narrator:
    """Plain sentences about ledger events, with the names of the model's actors, declarations and practices."""

    def __init__(self, model: DiplomacyModel):
        self.model = model
        self.declarations = {d.id: d.name for d in model.spec.timeline.declarations}
        self.practices = {p.id: p.name for p in model.spec.practices}

    def name(self, index: int | None) -> str:
        return "someone" if index is None else self.model.by_index(index).name

    def pair(self, event: LedgerEvent) -> str:
        return " and ".join(self.name(p) for p in event.parties)

    def other(self, event: LedgerEvent, index: int) -> str:
        return ", ".join(self.name(p) for p in event.parties if p != index)

    def sentence(self, e: LedgerEvent, vetoes: dict[int, list[LedgerEvent]]) -> str | None:
        """One event in words, or None for events the month's summary only counts."""
        on = f"on {e.domain}" if e.domain else ""
        what = "a state-to-state agreement" if e.kind == "state_relation" else "an agreement"
        if e.event == "signed":
            return f"{self.pair(e)} signed {what} {on}."
        if e.event == "contested":
            by = " and ".join(self.name(v.actor) for v in vetoes.get(e.agreement_id, [])) or "its government"
            return (f"{self.name(e.actor)} signed with {self.other(e, e.actor)} {on} despite the veto of {by} "
                    f"(contested).")
        if e.event == "vetoed":
            subject = self.model.by_id[e.detail]
            return f"{self.name(e.actor)} vetoed {subject.name}'s agreement with {self.other(e, subject.index)} {on}."
        if e.event in ("expired", "withdrawn", "renewed"):
            verb = {"expired": "expired at the end of its term", "withdrawn": "was withdrawn: no longer worth it "
                    "to one side", "renewed": "was renewed for a new term"}[e.event]
            return f"The agreement between {self.pair(e)} {on} {verb}."
        if e.event == "joined":
            return f"{self.name(e.actor)} joined {self.name(e.parties[-1])}."
        if e.event in ("opened", "endorsed", "closed"):
            title = self.declarations.get(e.detail, e.detail)
            return {"opened": f"{self.name(e.actor)} opened the declaration “{title}” for signature.",
                    "endorsed": f"{self.name(e.actor)} signed the declaration “{title}”.",
                    "closed": f"The declaration “{title}” closed for signature."}[e.event]
        if e.event == "adopted":
            return f"{self.name(e.actor)} adopted the practice “{self.practices.get(e.detail, e.detail)}”."
        if e.event == "aligned":
            return f"{self.name(e.actor)} moved to coalition {int(e.detail) + 1}."
        if e.kind == "event":
            return self.timeline(e)
        return None

    def timeline(self, e: LedgerEvent) -> str:
        where = f" in {self.name(e.actor)}" if e.actor is not None else ""
        return {
            "mega_event_start": f"Mega-event: {e.detail} began{where}.",
            "mega_event_end": f"Mega-event: {e.detail} ended{where}.",
            "stance_change": f"{self.name(e.actor)} changed its stance on city diplomacy ({e.detail}).",
            "crisis_start": f"Crisis in {e.domain}: {e.detail} began.",
            "crisis_end": f"Crisis in {e.domain}: {e.detail} ended.",
        }.get(e.event, f"{e.detail}: {e.event.replace('_', ' ')}{where}.")


ORDER = {"event": 0, "signed": 1, "contested": 2, "vetoed": 3, "expired": 4, "withdrawn": 5, "renewed": 6,
         "joined": 7, "opened": 8, "endorsed": 9, "closed": 10, "adopted": 11, "aligned": 12}
"""The order in which a month's sentences are listed (timeline events first)."""


@dataclass(frozen=True)
class MonthReport:
    """What the this-month panel says: a heading, a one-line count and the sentences."""

    heading: str
    summary: str
    sentences: tuple[str, ...]


def this_month(model: DiplomacyModel) -> MonthReport:
    """Everything that happened in the month just stepped, in sentences; 'Nothing happened' when nothing did."""
    if model.steps == 0:
        return MonthReport("This month", "The run has not started: press Step.", ())
    events = month_events(model)
    narrator = Narrator(model)
    vetoes: dict[int, list[LedgerEvent]] = defaultdict(list)
    for e in events:
        if e.event == "vetoed":
            vetoes[e.agreement_id].append(e)
    contested = {e.agreement_id for e in events if e.event == "contested"}
    said = [e for e in events if not (e.event == "vetoed" and e.agreement_id in contested)]
    said.sort(key=lambda e: ORDER.get("event" if e.kind == "event" else e.event, 99))
    sentences = [s for e in said if (s := narrator.sentence(e, vetoes))]
    if len(sentences) > MAX_SENTENCES:
        sentences = sentences[:MAX_SENTENCES] + [f"… and {len(sentences) - MAX_SENTENCES} more."]
    count = {name: sum(e.event == name for e in events) for name in ("proposed", "declined")}
    summary = (f"{_count(count['proposed'], 'proposal')}, {count['declined']} declined by the partner."
               if count["proposed"] else "No proposals.")
    if not sentences:
        summary = "Nothing happened this month: no agreement was signed, vetoed or ended. " + summary
    return MonthReport(f"This month: {month_date(model.spec.start_year, model.steps)}", summary, tuple(sentences))


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


# ----------------------------------------------------------------------------- one actor


def actor_choices(model: DiplomacyModel) -> dict[str, int]:
    """Actor labels for the picker ('Barcelona (ES)') with their indices: the scenario's named cities and
    regions, the governments, the networks and the firms and lobbies first, then the background cities by name."""
    def label(agent) -> str:
        return f"{agent.name} ({agent.country})" if agent.country else agent.name

    named, background = [], []
    for agent, spec in zip(model.subnationals, model.spec.subnationals, strict=True):
        (background if is_background(spec) else named).append(agent)
    background.sort(key=lambda agent: label(agent))
    labels: dict[str, int] = {}
    for agent in named + list(model.nationals) + list(model.networks) + list(model.private_actors) + background:
        text = label(agent)
        labels[text if text not in labels else f"{text} [{agent.actor_id}]"] = agent.index
    return labels


class Table(NamedTuple):
    """Rows of a small table (tuples, in the order of ``columns``)."""

    columns: tuple[str, ...]
    rows: list[tuple]

    def column(self, name: str) -> list:
        k = self.columns.index(name)
        return [row[k] for row in self.rows]


@dataclass
class ActorReport:
    """What the actor panel shows about one actor."""

    facts: list[str]
    agreements: Table   # in force: partner, domain, kind, status, since (a date)
    reviews: Table      # approvals, vetoes and contested signatures: date, event, domain, about
    tally: dict[str, int]


def _agreements_of(model: DiplomacyModel, index: int) -> Table:
    start = model.spec.start_year
    rows = [(", ".join(model.by_index(p).name for p in ag.parties if p != index), ag.domain, ag.kind, ag.status,
             month_date(start, ag.signed_step, short=True))
            for ag in model.live.values() if index in ag.parties]
    return Table(("partner", "domain", "kind", "status", "since"), rows)


def _reviews_of(model: DiplomacyModel, index: int) -> Table:
    """Oversight decisions: on this actor's agreements (subnational) or by it (national government)."""
    agent = model.by_index(index)
    start = model.spec.start_year
    if isinstance(agent, NationalGovernment):
        rows = [(e, model.by_id[e.detail].name) for e in model.ledger.events
                if e.actor == index and e.event in ("approved", "vetoed")]
    else:
        rows = [(e, ", ".join(model.by_index(p).name for p in e.parties if p != index)) for e in model.ledger.events
                if (e.detail == agent.actor_id and e.event in ("approved", "vetoed"))
                or (e.actor == index and e.event == "contested")]
    return Table(("date", "event", "domain", "about"),
                 [(month_date(start, e.step, short=True), e.event, e.domain, about) for e, about in rows])


def _facts(model: DiplomacyModel, index: int) -> list[str]:
    agent = model.by_index(index)
    if isinstance(agent, CityNetwork):
        focus = ", ".join(DOMAINS[d] for d in agent.focus)
        return ["city network", f"{len(agent.members)} members", f"focus: {focus}"]
    if isinstance(agent, PrivateActor):
        sectors = ", ".join(DOMAINS[d] for d in agent.sectors)
        return [f"{agent.kind} of {model.by_index(agent.home).name}", f"sectors: {sectors}",
                f"budget left: {agent.budget:.3g} million euros"]
    facts = [f"{agent.kind} in {agent.country}", f"{agent.population:,} people"]
    if isinstance(agent, SubnationalGovernment):
        names = [net.name for net in model.networks if index in net.members]
        facts.append("member of " + ", ".join(names) if names else "member of no network")
    return facts


def actor_report(model: DiplomacyModel, index: int) -> ActorReport:
    """The agreements, memberships, approvals and vetoes of actor ``index``."""
    reviews = _reviews_of(model, index)
    return ActorReport(facts=_facts(model, index), agreements=_agreements_of(model, index), reviews=reviews,
                       tally=dict(Counter(reviews.column("event"))))
