"""Partner choice: which K foreign candidates a subnational considers for a proposal.

Every rule samples a bounded number of candidates per proposal and never
scores all N actors, so the cost of a step grows linearly with the number of
actors (DESIGN.md §4).  Candidates are foreign subnational governments (city
diplomacy is international by definition) other than the proposer.
Rules that depend on actor attributes build their sampling table once per step
in ``prepare`` (a cumulative distribution searched in O(log N) per draw).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from model.rules.registry import Registry
from model.validation import bounds

if TYPE_CHECKING:
    from model.model import DiplomacyModel

PARTNER_RULES = Registry("partner")


def _sample_cdf(rng: np.random.Generator, cdf: np.ndarray, n: int) -> np.ndarray:
    """Draw n positions from the discrete distribution with cumulative weights ``cdf``."""
    return np.searchsorted(cdf, rng.random(n) * cdf[-1], side="right").clip(max=len(cdf) - 1)


def _foreign_unique(model: DiplomacyModel, proposer: int, candidates: np.ndarray) -> np.ndarray:
    """Drop the proposer, compatriots and repeats, keeping first-drawn order."""
    country = model.actors.country
    candidates = candidates[country[candidates] != country[proposer]]
    return np.fromiter(dict.fromkeys(candidates.tolist()), dtype=np.int64)


def _weighted_without_replacement(rng: np.random.Generator, items: np.ndarray, weights: np.ndarray,
                                  k: int) -> np.ndarray:
    """k items drawn without replacement with probability ∝ weight, by Efraimidis & Spirakis' keys.

    Efraimidis, P. S. & Spirakis, P. G. (2006). Weighted random sampling with a
    reservoir. Information Processing Letters 97(5), 181–185: the k largest
    u^(1/w) give the same distribution as k successive weighted draws.
    """
    keys = np.log(rng.random(len(items))) / weights
    return items[np.argpartition(-keys, k - 1)[:k]]


@dataclass
class _WeightedPool:
    """Shared machinery: sample the subnational pool with per-step weights."""

    candidates: int = field(default=8, metadata=bounds(1))
    """K, the number of candidates a proposer considers."""

    def pool_weights(self, model: DiplomacyModel) -> np.ndarray | None:
        """Weights over ``model.pool`` for this step, or None for uniform."""
        return None

    def prepare(self, model: DiplomacyModel) -> np.ndarray | None:
        """This step's sampling table (stored by the model as ``model.partner_table``)."""
        weights = self.pool_weights(model)
        return None if weights is None else np.cumsum(weights)

    def draw(self, model: DiplomacyModel, n: int) -> np.ndarray:
        cdf, rng = model.partner_table, model.stream("partner")
        if cdf is None:
            return model.pool[rng.integers(0, len(model.pool), n)]
        return model.pool[_sample_cdf(rng, cdf, n)]

    def choose(self, model: DiplomacyModel, proposer: int) -> np.ndarray:
        return _foreign_unique(model, proposer, self.draw(model, 2 * self.candidates))[: self.candidates]


@PARTNER_RULES.register("random")
@dataclass
class RandomPartner(_WeightedPool):
    """Uniform choice among foreign subnationals: the null model of partner choice."""


@PARTNER_RULES.register("preferential")
@dataclass
class PreferentialPartner(_WeightedPool):
    """Preferential attachment: P(j) ∝ (degree_j + 1)^α.

    Barabási, A.-L. & Albert, R. (1999). Emergence of scaling in random
    networks. Science 286, 509–512.  Well-connected cities attract more
    partners, which concentrates diplomacy in a few hubs.  Degrees are read
    once per step (the month's news).
    """

    alpha: float = field(default=1.0, metadata=bounds(0))

    def pool_weights(self, model: DiplomacyModel) -> np.ndarray:
        return (model.actors.degree[model.pool] + 1.0) ** self.alpha


@PARTNER_RULES.register("gravity")
@dataclass
class GravityPartner(_WeightedPool):
    """Gravity model: P(j) ∝ pop_j^α · (1 + profile_j) / dist_ij^γ.

    Tinbergen, J. (1962). Shaping the World Economy; Zipf, G. K. (1946). The
    P1P2/D hypothesis: on the intercity movement of persons. American
    Sociological Review 11(6), 677–686.  Interaction grows with the partner's
    mass and visibility and falls with distance.

    Sampling without scoring all N: ``oversample``·K candidates are drawn with
    probability ∝ mass (a per-step cumulative table), then K of them are drawn
    without replacement with probability ∝ dist^-γ — sampling–importance
    resampling, which tends to the exact gravity distribution as
    ``oversample`` grows.
    """

    alpha: float = field(default=1.0, metadata=bounds(0))
    gamma: float = field(default=1.0, metadata=bounds(0))
    oversample: int = field(default=8, metadata=bounds(1))
    min_distance_km: float = field(default=10.0, metadata=bounds(0.001))

    def pool_weights(self, model: DiplomacyModel) -> np.ndarray:
        a = model.actors
        return a.population[model.pool].astype(float) ** self.alpha * (1.0 + a.profile[model.pool])

    def choose(self, model: DiplomacyModel, proposer: int) -> np.ndarray:
        drawn = _foreign_unique(model, proposer, self.draw(model, self.oversample * self.candidates))
        if len(drawn) <= self.candidates:
            return drawn
        dist = np.maximum(model.distance_km(proposer, drawn), self.min_distance_km)
        return _weighted_without_replacement(model.stream("partner"), drawn, dist ** -self.gamma, self.candidates)


@PARTNER_RULES.register("network")
@dataclass
class NetworkPartner(_WeightedPool):
    """Candidates drawn first from co-members of the proposer's city networks.

    City networks lower the cost of finding partners (DESIGN.md §4; the
    "networks of networks" of the article).  Each draw picks one of the
    proposer's networks at random and a member of it; a proposer in no
    network, or whose networks hold too few foreign members, completes its
    list uniformly at random.
    """

    def choose(self, model: DiplomacyModel, proposer: int) -> np.ndarray:
        nets = model.memberships_of(proposer)
        picked = np.empty(0, dtype=np.int64)
        if nets:
            sizes = np.array([len(model.network_members[m]) for m in nets])
            rng = model.stream("partner")
            which = rng.choice(len(nets), size=2 * self.candidates, p=sizes / sizes.sum())
            picked = np.array([model.network_members[nets[w]][rng.integers(sizes[w])]
                               for w in which], dtype=np.int64)
            picked = _foreign_unique(model, proposer, picked)
        if len(picked) < self.candidates:
            extra = _foreign_unique(model, proposer, self.draw(model, 2 * self.candidates))
            picked = _foreign_unique(model, proposer, np.concatenate([picked, extra]))
        return picked[: self.candidates]
