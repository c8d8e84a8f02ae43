"""City diplomacy agent-based model: actors, agreements, rules and the Mesa model."""

from model.model import DiplomacyModel
from model.rules import RuleSet, build_rules
from model.scenario import (DOMAINS, Scenario, scenario_from_data, with_background, with_network_parameters,
                            with_oversight)
from model.validation import SchemaError

__all__ = ["DiplomacyModel", "RuleSet", "build_rules", "DOMAINS", "Scenario",
           "scenario_from_data", "with_background", "with_network_parameters", "with_oversight", "SchemaError"]
