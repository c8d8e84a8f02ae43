"""National oversight: a government approves or vetoes its subnational's agreement.

Applied to each subnational side of an agreement by its own national
government, under that government's own regime (DESIGN.md §4): a national
government in the scenario names its rule (``oversight: restrictive``) and
parameters; ``rules/oversight`` is the regime of those that name none.
Every regime reads the government's current stance, so a stance change (an
event, or collective voice) acts whatever the regime.  Each regime states
its approval probability in closed form (``probability``, vectorised over
partners); ``approves`` draws the decision from it, and proposers use it to
anticipate their government's answer (the model's ``offer``: Friedrich's
"rule of anticipated reactions", Constitutional Government and Democracy,
1941).  Domains a government reserves (defence, security)
are always vetoed, whatever the rule.  What a vetoed actor then does
(sign anyway, making the agreement *contested*) is decided by the model from
the actor's assertiveness, not by these rules.

The three regimes follow the federalism-and-paradiplomacy literature's range
from permissive to controlling central states: Soldatos, P. (1990). An
explanatory framework for the study of federated states as foreign-policy
actors; Duchacek, I. (1990). Perforated sovereignties; and, for China's
supervised city diplomacy, d'Hooghe, I. (2014). China's Public Diplomacy.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from model.rules.registry import Registry
from model.validation import bounds

if TYPE_CHECKING:
    from model.model import DiplomacyModel

OVERSIGHT_RULES = Registry("oversight")


class _Oversight:
    """Reserved domains are always vetoed; otherwise approval with the regime's ``chance``."""

    def probability(self, model: DiplomacyModel, actor: int | np.ndarray, partners: int | np.ndarray,
                    domain: int) -> float | np.ndarray:
        """P(the government of subnational ``actor`` approves an agreement in ``domain``) with each partner.

        ``partners``: one partner (a float back) or an array (an array back).
        ``actor`` may also be a column of actors of one government, one per row of ``partners``.
        """
        one = isinstance(partners, int)
        government = model.government_of(actor if isinstance(actor, int) else int(np.ravel(actor)[0]))
        if domain in government.reserved:
            return 0.0 if one else np.zeros(np.shape(partners))
        chance = self.chance(model, government.stance, domain in government.agenda_domains, actor, partners)
        return float(chance) if one else np.broadcast_to(chance, np.shape(partners))

    def probabilities(self, model: DiplomacyModel, actors: np.ndarray, partners: np.ndarray,
                      domains: np.ndarray) -> np.ndarray:
        """``probability`` for many rows at once: subnational ``actors[r]`` (its own government, under this
        regime) with each partner of row r of ``partners``, in ``domains[r]``."""
        country = model.actors.country[actors]
        stance = model.stances[country]
        reserved, on_agenda = model.reserved_domains[country, domains], model.agenda_domains[country, domains]
        chance = self.chance(model, stance[:, None], on_agenda[:, None], actors[:, None], partners)
        return np.where(reserved[:, None], 0.0, np.broadcast_to(chance, np.shape(partners)))

    def approves(self, model: DiplomacyModel, actor: int, partner: int, domain: int,
                 probability: float | None = None) -> bool:
        """Whether the government of subnational ``actor`` lets it sign with ``partner`` in ``domain``
        (``probability``: P(approve), when it has already been asked)."""
        p = self.probability(model, actor, partner, domain) if probability is None else probability
        return bool(p >= 1.0 or (p > 0.0 and model.stream("oversight").random() < p))

    def chance(self, model, stance, on_agenda, actor: int, partners: np.ndarray) -> np.ndarray | float:
        """P(approve) outside reserved domains, from the government's ``stance`` and whether the domain is
        ``on_agenda`` (each a scalar, or a column with one per row of ``partners``)."""
        raise NotImplementedError


@OVERSIGHT_RULES.register("permissive")
@dataclass(frozen=True)
class PermissiveOversight(_Oversight):
    """Approval is the rule; only a government that has turned against paradiplomacy vetoes at all.

    P(approve) = 1 − scrutiny·(1 − stance)·(1 − autonomy_i): with a tolerant
    government (Brasília's transfer of foreign relations to São Paulo, stance
    near 1) everything but reserved domains passes, as published; a stance
    change (a crackdown) makes even a permissive regime veto some agreements.
    ``scrutiny`` = 0 gives the published rule exactly, where stance never acts.
    """

    scrutiny: float = field(default=0.2, metadata=bounds(0, 1))

    def chance(self, model, stance, on_agenda, actor, partners):
        return 1.0 - self.scrutiny * (1.0 - stance) * (1.0 - model.actors.autonomy[actor])


@OVERSIGHT_RULES.register("supervisory")
@dataclass(frozen=True)
class SupervisoryOversight(_Oversight):
    """P(approve) = stance + (1 − stance)·autonomy_i, scaled by the relation between the two nations.

    The scaling is min(1, 1 + relation): neutral or friendly relations keep the
    probability, hostile ones lower it linearly, and a relation at or below
    ``hostile_below`` is a veto.
    """

    hostile_below: float = field(default=-0.5, metadata=bounds(-1, 1))

    def chance(self, model, stance, on_agenda, actor, partners):
        relation = model.relations_with(actor, partners)
        p = stance + (1.0 - stance) * model.actors.autonomy[actor]
        return np.where(relation <= self.hostile_below, 0.0, p * np.minimum(1.0, 1.0 + relation))


@OVERSIGHT_RULES.register("restrictive")
@dataclass(frozen=True)
class RestrictiveOversight(_Oversight):
    """Approve domains on the national agenda with partners in friendly nations; little else.

    Shanghai under Beijing: city diplomacy allowed where it serves the
    country's own agenda (Expo 2010, the national image) and its allies.
    Anything else passes only with probability leniency·stance, so a
    government that opens up (a stance change) lets a little more through;
    ``leniency`` = 0 is the published rule exactly.
    """

    friendly_from: float = field(default=0.5, metadata=bounds(-1, 1))
    """A nation is friendly when the relation is at least this."""
    leniency: float = field(default=0.1, metadata=bounds(0, 1))

    def chance(self, model, stance, on_agenda, actor, partners):
        if not np.any(on_agenda):
            return self.leniency * stance
        friendly = model.relations_with(actor, partners) >= self.friendly_from
        return np.where(friendly & on_agenda, 1.0, self.leniency * stance)
