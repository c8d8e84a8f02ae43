"""Diffusion of practices along city ties (rule group ``diffusion``).

Bass, F. M. (1969). A new product growth for model consumer durables.
Management Science 15(5), 215–227: adoption has an innovation term p
(adopting on one's own) and an imitation term q (adopting because others
did).  Here imitation runs along ties (DESIGN.md §4), as independent
contagion through each adopting tie:

    P_i(adopt this month) = min(1, p + 1 − (1 − q)^{a_i})   for i in the market,

a_i = Σ_j T_ij·adopted_j, with the agreement and co-membership ties T of
``model.rules.ties``.  The market (Bass's potential m) is the subnationals
whose interest in the practice's domain is at least ``min_interest``
(assumption: a city that cares little about water never adopts a water
practice), plus the origin.  Practices are declared in the scenario (origin,
domain, p, q, and the month the origin adopts); adoption is never undone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable

import numpy as np

from model.rules.registry import Registry
from model.scenario import DOMAINS
from model.validation import bounds

if TYPE_CHECKING:
    from model.model import DiplomacyModel

DIFFUSION_RULES = Registry("diffusion")


@DIFFUSION_RULES.register("bass")
@dataclass
class BassDiffusion:
    """Bass (1969) innovation plus contagion along agreement and co-membership ties."""

    agreement_weight: float = field(default=1.0, metadata=bounds(0))
    """Ties counted per agreement in force with an adopter."""
    membership_weight: float = field(default=0.02, metadata=bounds(0))
    """Ties counted per adopting co-member, per network shared (networks are large and loose)."""
    min_interest: float = field(default=0.5, metadata=bounds(0, 1))
    """Interest in the practice's domain an actor needs to be in its market."""

    def start(self, model: DiplomacyModel) -> Diffusion:
        return Diffusion(self, model)


class Diffusion:
    """The practices of one model run: who has adopted each, and since when.

    Every adoption is a ledger event ``adopted`` (kind ``practice``, actor =
    the adopter, domain = the practice's, detail = the practice's id).
    """

    def __init__(self, rule: BassDiffusion, model: DiplomacyModel):
        self.rule, self.model = rule, model
        self.rng = model.stream("diffusion")
        self.specs = model.spec.practices
        self.adopted = np.zeros((len(self.specs), len(model.pool)), dtype=bool)
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
        started = [k for k, spec in enumerate(self.specs) if spec.step <= m.month]
        if not started:
            return
        ties = m.city_ties()
        for k in started:
            spec = self.specs[k]
            adopting_ties = ties.sum(self.adopted[k], self.rule.agreement_weight, self.rule.membership_weight)
            p = np.minimum(1.0, spec.p + 1.0 - (1.0 - spec.q) ** adopting_ties)
            market = m.actors.interests[m.pool, DOMAINS.index(spec.domain)] >= self.rule.min_interest
            new = np.flatnonzero(market & ~self.adopted[k] & (self.rng.random(len(p)) < p))
            self._adopt(k, new.tolist(), m.month)

    def _adopt(self, k: int, actors: list[int], month: int) -> None:
        spec = self.specs[k]
        for i in actors:
            self.adopted[k, i] = True
            self.model.ledger.record(month, "adopted", actor=i, kind="practice", domain=spec.domain,
                                     parties=(i,), detail=spec.id)

    def reporters(self) -> dict[str, Callable]:
        """Adopters so far of each practice."""
        return {f"adopters.{spec.id}": lambda m, k=k: int(self.adopted[k].sum())
                for k, spec in enumerate(self.specs)}
