"""Experience: agreements kept build trust and standing; idle standing decays (rule group ``experience``).

An assumption of this model, in the spirit of the reputation and repeated-
interaction literature (Granovetter, M. (1985). Economic action and social
structure: the problem of embeddedness. AJS 91(3), 481–510; Gulati, R.
(1995). Does familiarity breed trust? Academy of Management Journal 38(1),
85–112: firms that have allied before ally again):

- pair trust ∈ [0, 1]: when an agreement between i and j completes its term
  or is renewed, trust_ij ← trust_ij + trust_gain·(1 − trust_ij); when it is
  withdrawn, trust_ij ← (1 − trust_loss)·trust_ij.  The utility rule weighs
  it with β_tie, so repeated partners are favoured, but boundedly (trust
  never exceeds 1), unlike a count of past agreements.
- standing ≥ 0, an actor's visibility earned by its record: each month
  standing ← (1 − decay)·standing + gain·(agreements in force)/12.  An idle
  actor's standing decays; an active one's tends to gain·degree/(12·decay).
  Visibility = profile + standing enters partner choice (gravity's
  (1 + profile) factor) and the utility (β_prof), so success breeds partners:
  rich-get-richer as a mechanism rather than an input.

``none`` switches both off (trust and standing stay 0).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable

import numpy as np

from model.rules.registry import Registry
from model.validation import bounds

if TYPE_CHECKING:
    from model.agreements import Agreement
    from model.model import DiplomacyModel

EXPERIENCE_RULES = Registry("experience")


@EXPERIENCE_RULES.register("standing")
@dataclass(frozen=True)
class TrustAndStanding:
    """Trust per pair from agreements kept, standing per actor from agreements in force."""

    trust_gain: float = field(default=0.3, metadata=bounds(0, 1))
    trust_loss: float = field(default=0.5, metadata=bounds(0, 1))
    standing_gain: float = field(default=0.05, metadata=bounds(0))
    standing_decay: float = field(default=0.02, metadata=bounds(0, 1))
    """Monthly decay of standing."""

    def start(self, model: DiplomacyModel) -> Experience:
        return Experience(self, model)


@EXPERIENCE_RULES.register("none")
@dataclass(frozen=True)
class NoExperience:
    """No trust, no standing: agreements leave no trace once they end."""

    def start(self, model: DiplomacyModel) -> Experience:
        return Experience(TrustAndStanding(0.0, 0.0, 0.0, 0.0), model)


class Experience:
    """Trust and standing of one run (state on the model: ``pair_trust`` and ``actors.standing``)."""

    def __init__(self, rule: TrustAndStanding, model: DiplomacyModel):
        self.rule, self.model = rule, model

    def kept(self, ag: Agreement) -> None:
        """An agreement completed its term or was renewed: its pair trusts each other more."""
        if self.rule.trust_gain > 0:
            key = self.model.pair_key(ag.parties)
            trust = self.model.pair_trust.get(key, 0.0)
            self.model.pair_trust[key] = trust + self.rule.trust_gain * (1.0 - trust)

    def broken(self, ag: Agreement) -> None:
        """An agreement was withdrawn: trust falls."""
        key = self.model.pair_key(ag.parties)
        if key in self.model.pair_trust:
            self.model.pair_trust[key] *= 1.0 - self.rule.trust_loss

    def step(self) -> None:
        """Standing decays and grows with the agreements in force this month."""
        a, r = self.model.actors, self.rule
        if r.standing_gain or r.standing_decay:
            a.standing *= 1.0 - r.standing_decay
            a.standing += r.standing_gain * a.degree / 12.0

    def reporters(self) -> dict[str, Callable]:
        pool = self.model.pool
        return {"standing_mean": lambda m: float(np.mean(m.actors.standing[pool])) if len(pool) else 0.0,
                "trust_mean": lambda m: float(np.mean(list(m.pair_trust.values()))) if m.pair_trust else 0.0}
