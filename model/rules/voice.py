"""Collective voice: a country's cities in networks and declarations move its government's stance.

Rule group ``voice``.  The article's "pressure in the opposite direction,
towards local level": city networks lobby (Kern, K. & Bulkeley, H. (2009).
Cities, Europeanization and multi-level governance. JCMS 47(2), 309–332) and
a declaration signed by many of a country's cities is a collective claim on
its government.  Assumed form: the pressure on the government of country c is
the population share of its subnationals that speak through a network or a
declaration,

    pressure_c = Σ_{i∈c} pop_i·min(1, network_weight·[i in a network] + declaration_weight·[i signed a declaration])
                 / Σ_{i∈c} pop_i,

and each month its stance moves toward target_c = base_c + (1 − base_c)·reach·pressure_c:

    stance_c ← stance_c + rate·(target_c − stance_c),

base_c being the government's own disposition (its scenario stance, reset by
a stance-change event).  ``none`` leaves stances to the timeline.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable

import numpy as np

from model.rules.registry import Registry
from model.validation import bounds

if TYPE_CHECKING:
    from model.model import DiplomacyModel

VOICE_RULES = Registry("voice")


@VOICE_RULES.register("collective_voice")
@dataclass(frozen=True)
class CollectiveVoice:
    """Stances pulled toward tolerance by the weight of a country's cities in networks and declarations."""

    rate: float = field(default=0.05, metadata=bounds(0, 1))
    """Share of the gap to the target closed each month."""
    reach: float = field(default=0.5, metadata=bounds(0, 1))
    """How far a fully mobilised country can move its government toward full tolerance."""
    network_weight: float = field(default=1.0, metadata=bounds(0))
    declaration_weight: float = field(default=1.0, metadata=bounds(0))

    def start(self, model: DiplomacyModel) -> Voice:
        return Voice(self, model)


@VOICE_RULES.register("none")
@dataclass(frozen=True)
class NoVoice:
    """Stances change only by the timeline's events."""

    def start(self, model: DiplomacyModel) -> Voice:
        return Voice(CollectiveVoice(rate=0.0), model)


class Voice:
    """Collective voice in one run; stances live on the national governments."""

    def __init__(self, rule: CollectiveVoice, model: DiplomacyModel):
        self.rule, self.model = rule, model
        self.pressure = np.zeros(len(model.countries))
        self._country = model.actors.country[model.pool]
        self._population = model.actors.population[model.pool].astype(float)
        self._total = np.bincount(self._country, self._population, len(model.countries))
        """Each country's subnational population (populations do not change in a run)."""

    def speaking(self) -> np.ndarray:
        """Weight in [0, 1] of each subnational's voice: network membership and declarations signed."""
        m = self.model
        declared = np.zeros(len(m.pool), dtype=bool)
        for ag in m.declarations.agreements.values():
            declared[list(ag.parties)] = True
        member = m.actors.membership[: len(m.pool)].any(axis=1)
        return np.minimum(1.0, self.rule.network_weight * member + self.rule.declaration_weight * declared)

    def step(self) -> None:
        r, m = self.rule, self.model
        if r.rate == 0:
            return
        total = self._total
        voiced = np.bincount(self._country, self._population * self.speaking(), len(m.countries))
        self.pressure = np.divide(voiced, total, out=np.zeros(len(total)), where=total > 0)
        for government in m.nationals:
            c = m.country_index(government.country)
            target = government.base_stance + (1.0 - government.base_stance) * r.reach * self.pressure[c]
            government.stance += r.rate * (target - government.stance)

    def reporters(self) -> dict[str, Callable]:
        return {"stance_mean": lambda m: float(np.mean([g.stance for g in m.nationals])) if m.nationals else 0.0}
