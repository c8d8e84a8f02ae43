"""Timed events of a scenario's timeline, scheduled with Mesa's event API (DESIGN.md §4).

Mega-events (the Olympics, an Expo) raise the host's profile for a window;
a national government changes its stance toward paradiplomacy (a
crackdown); a crisis makes a domain more salient for a window; a
declaration opens for signature and closes at the end of its window; an
office of representation opens or closes.

Timing: Mesa runs the model's step for month N at time N, so an event of
month N is scheduled (``model.schedule_event``) at time N − ½: it applies
after month N−1 has been recorded and before month N's proposals, and the
ledger stamps it with step N.  The end of a window of ``months`` months
starting in N is the start of month N + months.  Mesa keeps only weak
references to scheduled callables, so the ``Timeline`` holds its events.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from model.rules.oversight import OVERSIGHT_RULES
from model.scenario import (DOMAINS, CrisisSpec, DeclarationSpec, MegaEventSpec, MilestoneSpec, OfficeSpec,
                            StanceChangeSpec, TimelineSpec)

if TYPE_CHECKING:
    from model.model import DiplomacyModel


def start_of(month: int) -> float:
    """Mesa time at which an event of ``month`` is applied: just before that month's step."""
    return month - 0.5


class TimedEvent:
    """An event applied at the start of month ``spec.step``; with ``spec.months``, undone after them."""

    def __init__(self, model: DiplomacyModel, spec):
        self.model, self.spec = model, spec

    def schedule(self) -> None:
        self.model.schedule_event(self.begin, at=start_of(self.spec.step))
        months = getattr(self.spec, "months", None)
        if months is not None:
            self.model.schedule_event(self.end, at=start_of(self.spec.step + months))

    def begin(self) -> None:
        raise NotImplementedError

    def end(self) -> None:
        raise NotImplementedError

    def record(self, event: str, month: int, actor: int | None = None, domain: str = "") -> None:
        parties = () if actor is None else (actor,)
        self.model.ledger.record(month, event, actor=actor, kind="event", domain=domain, parties=parties,
                                 detail=self.spec.name)


class MegaEvent(TimedEvent):
    """The host's profile (visibility) is raised by ``boost``, and its yearly capacity by
    ``capacity_boost``, for ``months`` (Expo 2010, London 2012)."""

    spec: MegaEventSpec

    def begin(self) -> None:
        self._shift(+1, "mega_event_start", self.spec.step)

    def end(self) -> None:
        self._shift(-1, "mega_event_end", self.spec.step + self.spec.months)

    def _shift(self, sign: int, event: str, month: int) -> None:
        host = self.model.by_id[self.spec.actor].index
        self.model.actors.profile[host] += sign * self.spec.boost
        self.model.actors.capacity[host] += sign * self.spec.capacity_boost
        self.record(event, month, actor=host)


class StanceChange(TimedEvent):
    """A national government's stance toward paradiplomacy becomes ``stance`` (a crackdown, an opening).

    The new stance is also its new disposition (the base collective voice
    adds to), and every oversight regime reads it; with ``oversight`` the
    government also switches regime.
    """

    spec: StanceChangeSpec

    def begin(self) -> None:
        government = self.model.by_id[self.spec.actor]
        government.stance = government.base_stance = self.spec.stance
        if self.spec.oversight:
            government.oversight = OVERSIGHT_RULES.create(self.spec.oversight, {}, "timeline")
        self.record("stance_change", self.spec.step, actor=government.index)


class Crisis(TimedEvent):
    """Proposals in a domain become ``salience`` times likelier for ``months`` (a drought, a disaster)."""

    spec: CrisisSpec

    def begin(self) -> None:
        self._scale(self.spec.salience, "crisis_start", self.spec.step)

    def end(self) -> None:
        self._scale(1.0 / self.spec.salience, "crisis_end", self.spec.step + self.spec.months)

    def _scale(self, factor: float, event: str, month: int) -> None:
        self.model.salience[DOMAINS.index(self.spec.domain)] *= factor
        self.record(event, month, domain=self.spec.domain)


class DeclarationWindow(TimedEvent):
    """A declaration opens for signature for ``months`` (signatures by the declarations rule)."""

    spec: DeclarationSpec

    def begin(self) -> None:
        self.model.declarations.open_for_signature(self.spec, self.spec.step)

    def end(self) -> None:
        self.model.declarations.close(self.spec, self.spec.step + self.spec.months)


class Milestone(TimedEvent):
    """A dated fact recorded in the ledger; it changes nothing by itself."""

    spec: MilestoneSpec

    def schedule(self) -> None:
        self.model.schedule_event(self.begin, at=start_of(self.spec.step))

    def begin(self) -> None:
        actor = self.model.by_id[self.spec.actor].index if self.spec.actor else None
        self.record("milestone", self.spec.step, actor=actor)


class OfficeOpening(TimedEvent):
    """An office of representation opens during the run (the Generalitat's planned offices)."""

    def __init__(self, model: DiplomacyModel, spec: OfficeSpec):
        super().__init__(model, spec)
        self.step = spec.opened_step

    def schedule(self) -> None:
        self.model.schedule_event(self.begin, at=start_of(self.step))

    def begin(self) -> None:
        self.model.open_office(self.spec, self.step)


class OfficeClosing(OfficeOpening):
    """An office of representation closes (only an event closes an office)."""

    def __init__(self, model: DiplomacyModel, spec: OfficeSpec):
        super().__init__(model, spec)
        self.step = spec.closed_step

    def begin(self) -> None:
        self.model.close_office(self.spec.id, self.step)


class Timeline:
    """Every timed event of a scenario, scheduled on the model when built."""

    def __init__(self, model: DiplomacyModel, spec: TimelineSpec, offices: list[OfficeSpec] = ()):
        self.events: list[TimedEvent] = (
            [MegaEvent(model, s) for s in spec.mega_events]
            + [StanceChange(model, s) for s in spec.stance_changes]
            + [Crisis(model, s) for s in spec.crises]
            + [DeclarationWindow(model, s) for s in spec.declarations]
            + [Milestone(model, s) for s in spec.milestones]
            + [OfficeOpening(model, s) for s in offices if s.opened_step > 0]
            + [OfficeClosing(model, s) for s in offices if s.closed_step is not None])
        for event in self.events:
            event.schedule()
        for past in spec.history:  # before the run: recorded, not replayed (its effects are the initial state)
            actor = model.by_id[past.actor].index if past.actor else None
            model.ledger.record(past.step, "history", actor=actor, kind="event",
                                parties=() if actor is None else (actor,), detail=f"{past.type}: {past.name}")
