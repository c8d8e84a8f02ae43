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

from model.rules.registry import Registry
from model.validation import bounds

if TYPE_CHECKING:
    from model.agreements import Agreement
    from model.model import DiplomacyModel

RENEWAL_RULES = Registry("renewal")


def side_utilities(model: DiplomacyModel, ag: Agreement, fresh: bool = False) -> tuple[float, float]:
    """(U of the first party, U of the second) for a pair agreement in force.

    U = V(now) + η with the shocks η drawn at signing, or, with ``fresh``
    (a renegotiation at term), new shocks from the utility rule.
    """
    i, j = ag.parties
    utility = model.rules.utility
    v_i, v_j = utility.systematic(model, i, model.rows([j]), model.domain_index(ag.domain), in_force=True)
    if fresh:
        eta_i, eta_j = utility.shocks(model, 1)
        return float(v_i[0] + eta_i[0]), float(v_j[0] + eta_j[0])
    return float(v_i[0]) + ag.shocks[0], float(v_j[0]) + ag.shocks[1]


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
