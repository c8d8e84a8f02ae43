"""Renewal and dissolution of agreements on their merits (rule group ``renewal``).

The deletion half of pairwise stability: Jackson, M. O. & Wolinsky, A.
(1996). A strategic model of social and economic networks. Journal of
Economic Theory 71(1), 44–74 — a link is kept only while each side gains
from it.  Each side's utility of an agreement in force is
U_side = V_side(now) + η_side: the systematic value under today's state (the
utility rule, counting the agreement itself as the marginal one) plus the
match-specific shock drawn when it was signed.

- ``merits``: every ``review_months`` an agreement in force is reviewed; if
  either side's utility has turned negative it is ``withdrawn``.  At term it
  is renegotiated: each side draws a fresh shock (U = V(now) + η_new, so a
  side accepts with probability logistic((V − renewal_cost)/τ)), and the
  agreement is ``renewed`` for a new term (from the expiry rule) when both
  sides' utility is at least ``renewal_cost``, and otherwise lapses
  (``expired``).  Assumptions: reviews are yearly by
  default; national oversight is not asked again at renewal.
- ``lapse``: no reviews and no renewal; every agreement lapses at term (the
  behaviour of a model without this feedback).

Ledger events ``renewed``, ``withdrawn`` and ``expired`` carry the two
sides' utilities in ``detail`` (``u=0.412,-0.033``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from model.rules.registry import Registry
from model.validation import bounds

if TYPE_CHECKING:
    from model.agreements import Agreement
    from model.model import DiplomacyModel

RENEWAL_RULES = Registry("renewal")


def side_values(model: DiplomacyModel, ags: list[Agreement]) -> tuple[np.ndarray, np.ndarray]:
    """(V of the first parties, V of the second) of pair agreements in force ``ags``, valued at once
    under today's state (each counting itself as the marginal agreement)."""
    parties = np.array([ag.parties for ag in ags], dtype=np.int64).reshape(len(ags), 2)
    domains = np.array([model.domain_index(ag.domain) for ag in ags], dtype=np.int64)
    return model.rules.utility.systematic(model, parties[:, 0], parties[:, 1], domains, in_force=True)


def side_utilities(model: DiplomacyModel, ag: Agreement,
                   shocks: tuple[float, float] | None = None) -> tuple[float, float]:
    """(U of the first party, U of the second) for a pair agreement in force.

    U = V(now) + η with the shocks η drawn at signing, or ``shocks`` (a
    renegotiation at term draws new ones from the utility rule).
    """
    v_i, v_j = side_values(model, [ag])
    eta_i, eta_j = ag.shocks if shocks is None else shocks
    return float(v_i[0]) + eta_i, float(v_j[0]) + eta_j


def decide_in_order(model: DiplomacyModel, ags: list[Agreement], shocks: list[tuple[float, float]] | None,
                    decide) -> None:
    """Each of ``ags`` decided in order by ``decide(ag, utilities)``, its utilities valued in one batch.

    The batch is the sequential process: deciding an agreement changes what
    another is worth only through its own pair (trust, the pair's count in
    force) and, when it leaves force, its parties' counts in its domain.
    ``decide`` returns the (actor, domain) counts it changed (empty when the
    agreement stays in force); an agreement whose pair was decided before
    it, or whose party's count in its domain changed, is valued again then.
    Shocks: the agreements' own (``None``), or one fresh pair per pair agreement, in order.
    """
    pairs = [ag for ag in ags if len(ag.parties) == 2]
    v_i, v_j = side_values(model, pairs) if pairs else ((), ())
    values = dict(zip((ag.id for ag in pairs), zip(np.asarray(v_i).tolist(), np.asarray(v_j).tolist())))
    fresh = dict(zip((ag.id for ag in pairs), shocks)) if shocks is not None else {}
    decided: set[tuple[int, int]] = set()
    moved: set[tuple[int, int]] = set()
    for ag in ags:
        if len(ag.parties) != 2:
            moved.update(decide(ag, None))
            continue
        i, j = ag.parties
        d = model.domain_index(ag.domain)
        eta = fresh.get(ag.id, ag.shocks)
        if ((i, j) if i < j else (j, i)) in decided or (i, d) in moved or (j, d) in moved:
            utilities = side_utilities(model, ag, eta)  # its values moved: valued again, now
        else:
            value = values[ag.id]
            utilities = (value[0] + eta[0], value[1] + eta[1])
        decided.add((i, j) if i < j else (j, i))
        moved.update(decide(ag, utilities))


@RENEWAL_RULES.register("merits")
@dataclass(frozen=True)
class RenewOnMerits:
    """Withdraw when a side's utility turns negative; at term, renew when both still gain enough."""

    review_months: int = field(default=12, metadata=bounds(1))
    renewal_cost: float = field(default=0.1, metadata=bounds(0))

    def next_review(self, ag: Agreement, month: int) -> int | None:
        """Month of the agreement's next mid-term review, or None when its term comes first."""
        review = month + self.review_months
        return review if ag.expires_step is not None and review < ag.expires_step else None

    def keeps(self, utilities: tuple[float, float]) -> bool:
        """At a review: kept unless a side's utility is negative."""
        return min(utilities) >= 0.0

    def renews(self, utilities: tuple[float, float]) -> bool:
        """At term: renewed when both sides' utility covers the cost of renewing."""
        return min(utilities) >= self.renewal_cost


@RENEWAL_RULES.register("lapse")
@dataclass(frozen=True)
class LapseAtTerm:
    """No reviews, no renewal: every agreement lapses at term."""

    def next_review(self, ag: Agreement, month: int) -> int | None:
        return None

    def keeps(self, utilities: tuple[float, float]) -> bool:
        return True

    def renews(self, utilities: tuple[float, float]) -> bool:
        return False
