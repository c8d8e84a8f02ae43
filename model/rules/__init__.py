"""The model's rules, each a small class registered by name (DESIGN.md §4).

``build_rules({"partner": {"name": "gravity", "alpha": 1.0}, ...}, where)``
turns plain configuration into a ``RuleSet``; groups left out take their
default rule.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from model.rules.coalition import COALITION_RULES, LandscapeCoalitions, landscape_energy, landscape_minimum
from model.rules.declarations import DECLARATION_RULES, ThresholdDeclarations, threshold_cascade
from model.rules.diffusion import DIFFUSION_RULES, CascadeDiffusion
from model.rules.experience import EXPERIENCE_RULES, TrustAndStanding
from model.rules.expiry import EXPIRY_RULES, GeometricTerm
from model.rules.networks import NETWORK_RULES, InterestRecruitment
from model.rules.oversight import OVERSIGHT_RULES, SupervisoryOversight
from model.rules.partner import PARTNER_RULES, GravityPartner
from model.rules.private import (COFUNDING_RULES, LOBBYING_RULES, TRANSFER_RULES, HomeLobbying, PartnerAdoption,
                                 SectorCofunding)
from model.rules.relations import RELATIONS_RULES, CooperationRelations
from model.rules.renewal import RENEWAL_RULES, RenewOnMerits
from model.rules.utility import UTILITY_RULES, MutualConsentUtility
from model.rules.voice import VOICE_RULES, CollectiveVoice
from model.validation import SchemaError

REGISTRIES = {r.group: r for r in (PARTNER_RULES, UTILITY_RULES, OVERSIGHT_RULES,
                                   NETWORK_RULES, EXPIRY_RULES, COALITION_RULES,
                                   DECLARATION_RULES, DIFFUSION_RULES, RENEWAL_RULES,
                                   EXPERIENCE_RULES, VOICE_RULES, RELATIONS_RULES,
                                   LOBBYING_RULES, COFUNDING_RULES, TRANSFER_RULES)}


@dataclass
class RuleSet:
    """One rule per group; the defaults are the design's defaults.

    Rules are configuration only: one RuleSet may serve several models at
    once, since whatever a rule computes per model lives on that model.
    ``oversight`` is the regime of the national governments whose scenario
    entry names none.
    """

    partner: Any = field(default_factory=GravityPartner)
    utility: Any = field(default_factory=MutualConsentUtility)
    oversight: Any = field(default_factory=SupervisoryOversight)
    networks: Any = field(default_factory=InterestRecruitment)
    expiry: Any = field(default_factory=GeometricTerm)
    coalition: Any = field(default_factory=LandscapeCoalitions)
    declarations: Any = field(default_factory=ThresholdDeclarations)
    diffusion: Any = field(default_factory=CascadeDiffusion)
    renewal: Any = field(default_factory=RenewOnMerits)
    experience: Any = field(default_factory=TrustAndStanding)
    voice: Any = field(default_factory=CollectiveVoice)
    relations: Any = field(default_factory=CooperationRelations)
    lobbying: Any = field(default_factory=HomeLobbying)
    cofunding: Any = field(default_factory=SectorCofunding)
    transfer: Any = field(default_factory=PartnerAdoption)


def build_rules(config: dict[str, Any] | None, where: str) -> RuleSet:
    """Build a RuleSet from ``{group: {"name": rule, **params}}``; SchemaError on any misfit."""
    config = config or {}
    unknown = sorted(set(config) - set(REGISTRIES))
    if unknown:
        raise SchemaError(where, f"rules.{unknown[0]}", config[unknown[0]],
                          "rule groups " + ", ".join(REGISTRIES))
    rules = RuleSet()
    for group, spec in config.items():
        if not isinstance(spec, dict) or "name" not in spec:
            raise SchemaError(where, f"rules.{group}", spec, "a mapping with a 'name' and its parameters")
        params = {k: v for k, v in spec.items() if k != "name"}
        setattr(rules, group, REGISTRIES[group].create(spec["name"], params, where))
    return rules


def government_oversight(spec, default: Any, where: str = "scenario") -> Any:
    """The oversight rule of national government ``spec``: its own regime, or ``default``."""
    if not spec.oversight:
        return default
    return OVERSIGHT_RULES.create(spec.oversight, dict(spec.oversight_params), where)


__all__ = ["RuleSet", "build_rules", "government_oversight", "REGISTRIES", "landscape_energy", "landscape_minimum", "threshold_cascade"]
