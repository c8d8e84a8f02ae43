"""Diffusion of practices among subnationals (rule group ``diffusion``).

Practices are declared in the scenario (origin, domain, p, q, and the month
the origin adopts); adoption is never undone.  A practice's market (Bass's
potential adopters m) is the subnationals whose interest in its domain is at
least the rule's ``min_interest``, plus its origin (assumption: a city that
cares little about water never adopts a water practice).  Each month, after
the origins of practices starting that month have adopted, every non-adopter
i in the market adopts with the rule's probability P_i, one independent draw
each from the ``diffusion`` stream.  A practice spreads from the month it is
first adopted: by its origin at its ``step``, or earlier by the home of a
private actor's campaign (``rules/lobbying``); private actors also carry
practices to their home's partners (``rules/transfer``).  Two rules:

``cascade`` (the default; Goldenberg, Libai & Muller 2001) — word of mouth
along ties: innovation p and an independent chance q through each adopting
tie,

    P_i = 1 − (1 − p)·(1 − q)^{a_i},   a_i = Σ_j T_ij·adopted_j,

with the agreement and co-membership ties T of ``model.rules.ties``.

``bass`` (Bass 1969) — the aggregate model, without ties: innovation p and
imitation q of the share of the market that has adopted,

    P_i = p + q·N(t)/m,   N(t) = adopters in the market at the start of the month,

so that the expected number of new adopters is (m − N)(p + q·N/m), the
discrete Bass recursion.

Bass, F. M. (1969). A new product growth for model consumer durables.
Management Science 15(5), 215–227.
Goldenberg, J., Libai, B. & Muller, E. (2001). Talk of the network: a
complex systems look at the underlying process of word-of-mouth. Marketing
Letters 12(3), 211–223.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable

import numpy as np

from model.rules.registry import Registry
from model.scenario import DOMAINS, PracticeSpec
from model.validation import bounds

if TYPE_CHECKING:
    from model.model import DiplomacyModel

DIFFUSION_RULES = Registry("diffusion")


def market_of(model: DiplomacyModel, spec: PracticeSpec, min_interest: float) -> np.ndarray:
    """The practice's market (bool array over subnationals): interest in its domain ≥ ``min_interest``, and its origin."""
    market = model.actors.interests[model.pool, DOMAINS.index(spec.domain)] >= min_interest
    market[model.by_id[spec.origin].index] = True
    return market


@DIFFUSION_RULES.register("cascade")
@dataclass(frozen=True)
class CascadeDiffusion:
    """Word of mouth along ties (Goldenberg, Libai & Muller 2001): P_i = 1 − (1 − p)·(1 − q)^{a_i}.

    Each month a non-adopter in the market adopts unless it resists both
    innovation (probability 1 − p) and every adopting tie, each an
    independent chance q (probability (1 − q)^{a_i}); a_i = Σ_j T_ij·adopted_j
    counts ``agreement_weight`` per agreement in force with an adopter and
    ``membership_weight`` per adopting co-member and network shared.  This is
    Goldenberg, Libai & Muller's probability of activation,
    1 − (1 − α)(1 − β_s)^{strong}(1 − β_w)^{weak}, with α = p, agreements as
    strong ties with β_s = 1 − (1 − q)^agreement_weight and co-membership as
    weak ties with β_w = 1 − (1 − q)^membership_weight.  As in their model
    (and unlike the single-chance independent cascade of Kempe, Kleinberg &
    Tardos 2003, Maximizing the spread of influence through a social
    network, KDD), every adopting tie acts again each month.  Departures:
    the tie weights stand in for their separate β_s and β_w; only actors in
    the market (see the module) adopt; the ties change as agreements are
    signed and lapse.
    """

    agreement_weight: float = field(default=1.0, metadata=bounds(0))
    """Ties counted per agreement in force with an adopter."""
    membership_weight: float = field(default=0.02, metadata=bounds(0))
    """Ties counted per adopting co-member, per network shared (networks are large and loose)."""
    min_interest: float = field(default=0.5, metadata=bounds(0, 1))
    """Interest in the practice's domain an actor needs to be in its market."""

    def adopting_ties(self, model: DiplomacyModel, adopted: np.ndarray) -> np.ndarray:
        """a_i = Σ_j T_ij·adopted_j for every subnational."""
        return model.city_ties().sum(adopted, self.agreement_weight, self.membership_weight)

    def probabilities(self, model: DiplomacyModel, spec: PracticeSpec, adopted: np.ndarray,
                      market: np.ndarray) -> np.ndarray:
        """This month's probability of adopting, for every subnational (used only for non-adopters in the market)."""
        return 1.0 - (1.0 - spec.p) * (1.0 - spec.q) ** self.adopting_ties(model, adopted)

    def start(self, model: DiplomacyModel) -> Diffusion:
        return Diffusion(self, model)


@DIFFUSION_RULES.register("bass")
@dataclass(frozen=True)
class BassDiffusion:
    """Bass (1969) in discrete time, without ties: P_i = min(1, p + q·N(t)/m) for every non-adopter in the market.

    m is the size of the practice's market and N(t) the adopters in it at
    the start of the month, so new adopters are Binomial(m − N, p + q·N/m),
    whose mean (m − N)(p + q·N/m) = pm + (q − p)·N − (q/m)·N² is the
    discrete-time analogue Bass (1969) fits to sales data
    (S_T = a + b·Y_{T−1} + c·Y²_{T−1}).  Departures: the process is stochastic (the
    recursion holds in expectation); m is the market of the module
    (interest ≥ ``min_interest``, plus the origin), not an estimate; the
    probability is capped at 1 (for p + q > 1); and the practice's origin
    adopts first, in the practice's month, so N ≥ 1 from then on.
    """

    min_interest: float = field(default=0.5, metadata=bounds(0, 1))
    """Interest in the practice's domain an actor needs to be in its market."""

    def probabilities(self, model: DiplomacyModel, spec: PracticeSpec, adopted: np.ndarray,
                      market: np.ndarray) -> np.ndarray:
        """This month's probability of adopting, the same for every subnational (used only in the market)."""
        m = int(market.sum())
        share = (adopted & market).sum() / m if m else 0.0
        return np.full(len(market), min(1.0, spec.p + spec.q * share))

    def start(self, model: DiplomacyModel) -> Diffusion:
        return Diffusion(self, model)


class Diffusion:
    """The practices of one model run: who has adopted each, and since when.

    Every adoption is a ledger event ``adopted`` (kind ``practice``, actor =
    the adopter, domain = the practice's, detail = the practice's id).
    """

    def __init__(self, rule: CascadeDiffusion | BassDiffusion, model: DiplomacyModel):
        self.rule, self.model = rule, model
        self.rng = model.stream("diffusion")
        self.specs = model.spec.practices
        self.adopted = np.zeros((len(self.specs), len(model.pool)), dtype=bool)
        self._row = {spec.id: k for k, spec in enumerate(self.specs)}
        self._introduce(0)

    def _introduce(self, month: int) -> None:
        """The origins of practices starting this month adopt them."""
        for k, spec in enumerate(self.specs):
            if spec.step == month:
                self._adopt(k, [self.model.by_id[spec.origin].index], month)

    def step(self) -> None:
        """One month: practices starting now are adopted by their origins, then every practice spreads."""
        m = self.model
        self._introduce(m.month)
        for k, spec in enumerate(self.specs):
            if not self.adopted[k].any():  # not introduced yet (by its origin, or earlier by a campaign)
                continue
            market = market_of(m, spec, self.rule.min_interest)
            p = self.rule.probabilities(m, spec, self.adopted[k], market)
            new = np.flatnonzero(market & ~self.adopted[k] & (self.rng.random(len(p)) < p))
            self._adopt(k, new.tolist(), m.month)

    def adopt(self, practice: str, actors: list[int]) -> None:
        """Subnationals ``actors`` adopt ``practice`` now (a campaign, a practice carried by a firm)."""
        self._adopt(self._row[practice], actors, self.model.month)

    def has_adopted(self, practice: str, i: int) -> bool:
        return bool(self.adopted[self._row[practice], i])

    def domain_of(self, practice: str) -> str:
        return self.specs[self._row[practice]].domain

    def _adopt(self, k: int, actors: list[int], month: int) -> None:
        """Record the adoption of practice k by those of ``actors`` that have not adopted it yet."""
        spec = self.specs[k]
        for i in actors:
            if self.adopted[k, i]:
                continue
            self.adopted[k, i] = True
            self.model.ledger.record(month, "adopted", actor=i, kind="practice", domain=spec.domain,
                                     parties=(i,), detail=spec.id)

    def reporters(self) -> dict[str, Callable]:
        """Adopters so far of each practice."""
        return {f"adopters.{spec.id}": lambda m, k=k: int(self.adopted[k].sum())
                for k, spec in enumerate(self.specs)}
