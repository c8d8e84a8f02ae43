"""Agreement utility with mutual consent, as a logit with diminishing returns (DESIGN.md §4).

The systematic value of an agreement in domain d with partner j, for actor i:

    B_i(j,d) = β_int·min(w_id, w_jd) + β_eco·log(1 + gdp_j/gdp_i) + β_net·|M_i ∩ M_j|
               + β_tie·trust_ij + β_prof·visibility_j
    V_i(j,d) = B_i(j,d) / ((1 + λ_pair·n_ij)·(1 + λ_dom·n_id)) − β_dist·log(1 + dist_ij/1000 km) − cost_d
               + C_id + C_jd

n_ij: pair agreements in force between i and j; n_id: i's agreements in force
in domain d; trust_ij ∈ [0, 1] and visibility = profile + standing come from
the experience rule; C is what private co-funders add (``model.cofunding``,
rule group ``cofunding``, 0 without them).  With n = 0, trust = standing = 0
and C = 0 this is the published utility; the discount is the assumption that makes an agreement
worth less the more the pair and the domain already have (diminishing
returns), so that an actor's stock of agreements saturates and its yearly
volume emerges instead of filling its capacity.  A pair never has two
agreements in force in the same domain (the model excludes such candidates).

Realised utility U = V + η with η ~ Logistic(0, τ): comparing U with an
outside option of 0 is comparing two Gumbel(0, τ) shocks, so P(accept) =
logistic(V/τ), McFadden's conditional logit (McFadden, D. (1974).
Conditional logit analysis of qualitative choice behavior. In Zarembka
(ed.), Frontiers in Econometrics, 105–142).  A pair with V = 0 accepts with
probability ½ per side.  An agreement forms only when both sides accept
(mutual consent, the pairwise-stability idea of Jackson, M. O. & Wolinsky,
A. (1996). A strategic model of social and economic networks. Journal of
Economic Theory 71(1), 44–74), and the proposer proposes only when its best
candidate is worth more than ``proposal_cost`` plus its scarcity, and a
partner accepts only when its utility exceeds its own scarcity: the shadow
price of the yearly capacity already used (``scarcity``; an assumption).
Each side's shock η is kept
with the agreement: it is the match-specific part of that agreement's value,
so a later review (renewal rule) compares V_now + η with 0.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
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


def accepted_shock(rng: np.random.Generator, value: np.ndarray, tau: float) -> np.ndarray:
    """Logistic(0, τ) shocks η drawn given acceptance, V + η > 0 (inverse CDF on the truncated range).

    For agreements the scenario says were signed: their sides accepted, so
    their match-specific values are drawn conditional on that.
    """
    value = np.asarray(value, dtype=float)
    if tau == 0:
        return np.zeros_like(value)
    low = 1.0 / (1.0 + np.exp(value / tau))  # F(−V) for the logistic CDF F
    u = low + (1.0 - low) * rng.random(value.shape)
    u = np.clip(u, 1e-300, 1.0 - 1e-16)
    return tau * np.log(u / (1.0 - u))


@UTILITY_RULES.register("mutual_consent")
@dataclass(frozen=True)
class MutualConsentUtility:
    """The published utility with diminishing returns, as a logit, evaluated for both sides."""

    beta_interest: float = 2.0
    beta_economy: float = 0.3
    beta_distance: float = 0.3
    beta_network: float = 0.4
    beta_tie: float = 0.5
    """Weight of the pair's trust (in [0, 1], built by agreements kept: the experience rule)."""
    beta_profile: float = 0.3
    pair_saturation: float = field(default=1.0, metadata=bounds(0))
    """λ_pair: how fast value falls with the agreements the pair already has in force."""
    domain_saturation: float = field(default=1.0, metadata=bounds(0))
    """λ_dom: how fast value falls with the agreements an actor already has in force in the domain."""
    proposal_cost: float = field(default=0.2, metadata=bounds(0))
    """An actor proposes only when its best candidate's utility exceeds this (plus its scarcity)."""
    capacity_price: float = field(default=0.5, metadata=bounds(0))
    """Shadow price of yearly capacity: the reservation utility is price·s/(1 − s), s = share used."""
    tau: float = field(default=0.5, metadata=bounds(0))
    """Scale of the logistic noise (0 = deterministic)."""
    cost: dict[str, float] = field(default_factory=_default_costs, metadata=bounds(0))
    """Transaction cost per domain; domains not listed cost ``default_cost``."""
    default_cost: float = field(default=0.4, metadata=bounds(0))

    @cached_property
    def costs(self) -> np.ndarray:
        return np.array([self.cost.get(d, self.default_cost) for d in DOMAINS])

    def systematic(self, model: DiplomacyModel, i: int | np.ndarray, js: np.ndarray, domain: int | np.ndarray,
                   in_force: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """Systematic values (V_i(j,d), V_j(i,d)) for actor ``i`` and each of ``js``.

        ``i`` and ``domain`` are one actor and one domain, or one per element
        of ``js`` (many proposals valued at once).  ``in_force``: the pairs
        already hold the agreement being valued (a review), so it is not
        counted among the agreements that discount it.
        """
        return self.combine(self.gross(model, i, js, domain), self.discount(model, i, js, domain, in_force))

    def gross(self, model: DiplomacyModel, i: int | np.ndarray, js: np.ndarray,
              domain: int | np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(B_i, B_j, loss − C): the parts of V that agreements signed do not move within a month."""
        a = model.actors
        shared = self.beta_interest * np.minimum(a.interests[i, domain], a.interests[js, domain])
        common = (shared + self.beta_network * model.common_memberships(i, js)
                  + self.beta_tie * model.trust(i, js))
        gdp_i, gdp_j = a.gdp[i], a.gdp[js]
        loss = self.beta_distance * np.log1p(model.distance_km(i, js) / 1000.0) + self.costs[domain]
        if model.cofunding is not None:  # private co-funders of either side's home (rules/cofunding)
            loss = loss - (model.cofunding[i, domain] + model.cofunding[js, domain])
        benefit_i = common + self.beta_economy * np.log1p(gdp_j / gdp_i) + self.beta_profile * model.visibility(js)
        benefit_j = common + self.beta_economy * np.log1p(gdp_i / gdp_j) + self.beta_profile * model.visibility(i)
        return benefit_i, benefit_j, loss

    def discount(self, model: DiplomacyModel, i: int | np.ndarray, js: np.ndarray, domain: int | np.ndarray,
                 in_force: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """((1 + λ_pair·n_ij)·(1 + λ_dom·n_id), the same with n_jd): what each side's benefit is divided by."""
        a, held = model.actors, 1 if in_force else 0
        pair = 1.0 + self.pair_saturation * (model.in_force_between(i, js) - held)
        own_i = 1.0 + self.domain_saturation * (a.by_domain[i, domain] - held)
        own_j = 1.0 + self.domain_saturation * (a.by_domain[js, domain] - held)
        return pair * own_i, pair * own_j

    @staticmethod
    def combine(gross: tuple[np.ndarray, np.ndarray, np.ndarray],
                discount: tuple[np.ndarray, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """V_i = B_i / discount_i − (loss − C), and V_j the same."""
        benefit_i, benefit_j, loss = gross
        return benefit_i / discount[0] - loss, benefit_j / discount[1] - loss

    def scarcity(self, model: DiplomacyModel, rows: int | np.ndarray) -> float | np.ndarray:
        """Reservation utility of actor(s) ``rows`` from the capacity already used this year.

        capacity_price·s/(1 − s) with s = signed this year / capacity: 0 for
        an actor with all its capacity free, the price at half, unbounded as
        the year's capacity runs out — an actor near its ceiling takes only
        the best offers (the shadow price of a capacity constraint), so the
        ceiling rations rather than sets what is signed.
        """
        if isinstance(rows, int):  # one actor: the same, in floats
            capacity, signed = float(model.actors.capacity[rows]), float(model.actors.signed_this_year[rows])
            used = signed / capacity if capacity > 0 else 1.0
            return self.capacity_price * used / (1.0 - used) if used < 1.0 else np.inf
        capacity = model.actors.capacity[rows]
        used = np.divide(model.actors.signed_this_year[rows], capacity, out=np.ones(np.shape(capacity)),
                         where=capacity > 0)
        return np.divide(self.capacity_price * used, 1.0 - used, out=np.full(np.shape(used), np.inf),
                         where=used < 1.0)

    def shocks(self, model: DiplomacyModel, n: int) -> tuple[np.ndarray, np.ndarray]:
        """Logistic(0, τ) shocks for n pairs: one side's and the other side's."""
        if self.tau == 0:
            return np.zeros(n), np.zeros(n)
        eta = model.stream("utility").logistic(0.0, self.tau, 2 * n)
        return eta[:n], eta[n:]
