"""Agreement utility with mutual consent (DESIGN.md §4).

U_i(j,d) = β_int·min(w_id, w_jd) + β_eco·log(1 + gdp_j/gdp_i) − β_dist·log(1 + dist_ij/1000 km)
           + β_net·|M_i ∩ M_j| + β_tie·prior_ties_ij + β_prof·profile_j − cost_d + ε,
ε ~ Gumbel(0, τ).

An agreement forms only when both sides gain (U > 0 for each): the mutual
consent of pairwise stability, Jackson, M. O. & Wolinsky, A. (1996). A
strategic model of social and economic networks. Journal of Economic Theory
71(1), 44–74.  The Gumbel shock is the random-utility term of McFadden's
conditional logit (1974).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from model.rules.registry import Registry
from model.scenario import DOMAINS
from model.validation import bounds

if TYPE_CHECKING:
    from model.model import DiplomacyModel

UTILITY_RULES = Registry("utility")


def _default_costs() -> dict[str, float]:
    costs = dict.fromkeys(DOMAINS, 0.4)
    costs.update(security=1.0, defence=1.5)
    return costs


@UTILITY_RULES.register("mutual_consent")
@dataclass
class MutualConsentUtility:
    """The published utility, evaluated for both sides of each candidate pair."""

    beta_interest: float = 2.0
    beta_economy: float = 0.3
    beta_distance: float = 0.3
    beta_network: float = 0.4
    beta_tie: float = 0.5
    beta_profile: float = 0.3
    tau: float = field(default=0.5, metadata=bounds(0))
    """Scale of the Gumbel noise (0 = deterministic)."""
    cost: dict[str, float] = field(default_factory=_default_costs, metadata=bounds(0))
    """Transaction cost per domain; domains not listed cost ``default_cost``."""
    default_cost: float = field(default=0.4, metadata=bounds(0))

    def __post_init__(self) -> None:
        self._cost = np.array([self.cost.get(d, self.default_cost) for d in DOMAINS])

    def evaluate(self, model: DiplomacyModel, i: int, js: np.ndarray, domain: int
                 ) -> tuple[np.ndarray, np.ndarray]:
        """Utilities (U_i(j,d), U_j(i,d)) for proposer ``i`` and each candidate in ``js``."""
        a = model.actors
        shared = self.beta_interest * np.minimum(a.interests[i, domain], a.interests[js, domain])
        distance = self.beta_distance * np.log1p(model.distance_km(i, js) / 1000.0)
        common = (shared - distance
                  + self.beta_network * model.common_memberships(i, js)
                  + self.beta_tie * model.prior_ties(i, js)
                  - self._cost[domain])
        gdp_i, gdp_j = a.gdp[i], a.gdp[js]
        u_i = common + self.beta_economy * np.log1p(gdp_j / gdp_i) + self.beta_profile * a.profile[js]
        u_j = common + self.beta_economy * np.log1p(gdp_i / gdp_j) + self.beta_profile * a.profile[i]
        if self.tau > 0:
            rng = model.stream("utility")
            u_i = u_i + rng.gumbel(0.0, self.tau, len(js))
            u_j = u_j + rng.gumbel(0.0, self.tau, len(js))
        return u_i, u_j
