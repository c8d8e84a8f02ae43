"""Agreements between actors and the append-only ledger of everything that happens to them.

DESIGN.md §3: an agreement has parties, a domain, a kind, the step it was
signed, an expiry, a status and a convenor.  Every change is an event in the
ledger (proposed, approved, vetoed, signed, contested, expired, withdrawn,
joined, declined, renewed, opened, closed, ...), which is never edited, so a run can be audited whole.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Literal, NamedTuple

import numpy as np

AgreementKind = Literal["bilateral", "declaration", "membership", "state_relation", "office"]
"""``office``: an office of representation a subnational keeps in a host city; it lasts (no term, no review)."""
Status = Literal["proposed", "declined", "active", "contested", "vetoed", "expired", "withdrawn", "closed"]

LIVE_STATUSES = ("active", "contested")
"""An agreement in force: signed, with or without its government's approval."""


@dataclass
class Agreement:
    """One agreement; ``parties`` are actor indices into the model's actor table."""

    id: int
    parties: tuple[int, ...]
    domain: str
    kind: AgreementKind
    proposed_step: int
    status: Status = "proposed"
    signed_step: int | None = None
    expires_step: int | None = None
    convenor: int | None = None
    shocks: tuple[float, ...] = ()
    """Each party's match-specific utility shock η, drawn when it was signed (utility rule)."""

    @property
    def live(self) -> bool:
        return self.status in LIVE_STATUSES


class LedgerEvent(NamedTuple):
    step: int
    event: str
    agreement_id: int | None
    kind: str
    domain: str
    parties: tuple[int, ...]
    actor: int | None
    detail: str


@dataclass
class Ledger:
    """Append-only record of agreement events, with a tally of the current step's events."""

    events: list[LedgerEvent] = field(default_factory=list)
    tally: Counter = field(default_factory=Counter)

    def record(self, step: int, event: str, agreement: Agreement | None = None, *,
               actor: int | None = None, kind: str | None = None, domain: str = "",
               parties: tuple[int, ...] = (), detail: str = "") -> None:
        if agreement is None:
            self.events.append(LedgerEvent(step, event, None, kind or "", domain, parties, actor, detail))
        else:
            self.events.append(LedgerEvent(step, event, agreement.id, kind or agreement.kind,
                                           domain or agreement.domain, parties or agreement.parties, actor, detail))
        self.tally[event] += 1

    def start_step(self) -> None:
        """Reset the per-step tally (events of each type recorded during the current step)."""
        self.tally.clear()


class EdgeList:
    """The two parties of each pair agreement in force, as rows of one array (slots of ended ones reused).

    ``array()`` gives them without a pass over the agreements, for the
    graph measures and the ties that read them every month.
    """

    def __init__(self) -> None:
        self._ends = np.zeros((0, 2), dtype=np.int64)
        self._used = np.zeros(0, dtype=bool)
        self._slot: dict[int, int] = {}
        self._free: list[int] = []

    def add(self, agreement_id: int, parties: tuple[int, int]) -> None:
        if not self._free:
            grown = max(64, 2 * len(self._used))
            self._free = list(range(grown - 1, len(self._used) - 1, -1))
            self._ends = np.resize(self._ends, (grown, 2))
            self._used = np.concatenate([self._used, np.zeros(grown - len(self._used), dtype=bool)])
        slot = self._slot[agreement_id] = self._free.pop()
        self._ends[slot] = parties
        self._used[slot] = True

    def remove(self, agreement_id: int) -> None:
        slot = self._slot.pop(agreement_id)
        self._used[slot] = False
        self._free.append(slot)

    def array(self) -> np.ndarray:
        """(E, 2): the parties of every pair agreement in force."""
        return self._ends[self._used]

    def __len__(self) -> int:
        return len(self._slot)
