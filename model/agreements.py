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
        if agreement is not None:
            kind = kind or agreement.kind
            domain = domain or agreement.domain
            parties = parties or agreement.parties
        self.events.append(LedgerEvent(step, event, agreement.id if agreement else None,
                                       kind or "", domain, parties, actor, detail))
        self.tally[event] += 1

    def start_step(self) -> None:
        """Reset the per-step tally (events of each type recorded during the current step)."""
        self.tally.clear()
