"""The app's settings: the scenarios it offers, its parameters with their explanations, and the model they build.

A parameter change waits until Reset (``pending_changes`` lists what is
waiting); ``defaults()`` are the values a fresh page starts from.
"""

from __future__ import annotations

import logging
import threading
import weakref
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from experiments.config import PROJECT_ROOT, ScenarioChoice, load_scenario, read_yaml
from model import DiplomacyModel, RuleSet, Scenario, build_rules, with_oversight
from model.rules import REGISTRIES
from model.validation import load

SCENARIO_CONFIGS = PROJECT_ROOT / "configs" / "scenario"
FIRST_SCENARIOS = ("classroom", "article")
"""Listed first, in this order; the default is the first."""
TOO_LARGE = {"world"}
"""Scenarios left out of the app: every geonames city is too many for a live map."""
DEFAULT_SEED = 42
DEFAULT_RULES = RuleSet()
LOG = logging.getLogger("experiments.app")
RUNS_ALIVE: weakref.WeakSet = weakref.WeakSet()
"""Every AppModel not yet garbage: a closed page's run leaves it once its session is culled."""
_RUNS = Counter()
"""Runs built and released by this server process (for its log)."""
OWN_OVERSIGHT = "each government's own"
"""The oversight choice that keeps every government's regime from the scenario (Beijing restrictive...)."""

CHOICE_EXPLANATIONS = {
    "gravity": "big, visible and near partners are likelier candidates (population × visibility ÷ distance)",
    "friends_of_friends": "a partner's partners are likelier candidates (meeting friends of friends)",
    "network": "candidates come first from fellow members of the proposer's city networks",
    "preferential": "actors that already have many agreements attract more (preferential attachment)",
    "random": "any foreign city or region, all equally likely (the null model)",
    OWN_OVERSIGHT: "every national government keeps its regime from the scenario (Beijing restrictive, "
                   "Brasília permissive, Madrid supervisory)",
    "permissive": "governments approve almost everything; only one turned against city diplomacy vetoes",
    "restrictive": "governments approve only domains on their own agenda, with partners in friendly nations",
    "supervisory": "approval is likelier the friendlier the government's stance, the more autonomous the city "
                   "and the better the two nations' relations",
}
"""One line, in plain words, for each choice of the partner and oversight rules."""


@dataclass(frozen=True)
class Parameter:
    """One control of the page: its label, what it does in one line, its default and allowed values."""

    label: str
    explanation: str
    default: Any
    choices: tuple[str, ...] = ()
    low: float = 0
    high: float = 0
    step: float = 1

    @property
    def is_integer(self) -> bool:
        return not self.choices and isinstance(self.default, int)

    def explain(self, value: Any) -> str:
        """The line under the control: what the parameter does, and what the chosen value means."""
        meaning = CHOICE_EXPLANATIONS.get(value) or _rule_doc(value)
        return f"{self.explanation} — {value}: {meaning}" if self.choices and meaning else self.explanation


def _rule_doc(name: str) -> str:
    """The first line of a registered rule's docstring (for a rule the app has no plain line for)."""
    for group in ("partner", "oversight"):
        if name in REGISTRIES[group].names():
            return (type(REGISTRIES[group].create(name, {}, "app")).__doc__ or "").strip().splitlines()[0]
    return ""


@lru_cache(maxsize=1)
def scenario_choices() -> dict[str, ScenarioChoice]:
    """The scenarios of ``configs/scenario/*.yaml`` offered in the app, classroom first."""
    found = {}
    for path in SCENARIO_CONFIGS.glob("*.yaml"):
        choice = load(ScenarioChoice, read_yaml(path, "file"), str(path))
        if choice.name not in TOO_LARGE:
            found[choice.name] = choice
    order = [n for n in FIRST_SCENARIOS if n in found] + sorted(set(found) - set(FIRST_SCENARIOS))
    return {name: found[name] for name in order}


def scenario_named(name: str) -> Scenario:
    """The validated scenario, with its background cities (cached by ``load_scenario``)."""
    choice = scenario_choices()[name]
    path = Path(choice.file)
    return load_scenario(path if path.is_absolute() else PROJECT_ROOT / path, choice.min_population)


def _weight(label: str, name: str, explanation: str) -> Parameter:
    return Parameter(label, explanation, getattr(DEFAULT_RULES.utility, name), low=0.0, high=4.0, step=0.1)


@lru_cache(maxsize=1)
def parameters() -> dict[str, Parameter]:
    """Every control of the page, by keyword of ``AppModel``, in the order shown."""
    return {
        "scenario_name": Parameter("Scenario", "which actors, places and initial agreements",
                                   next(iter(scenario_choices())), choices=tuple(scenario_choices())),
        "partner": Parameter("Partner rule", "how a city or region picks the candidates it considers",
                             DEFAULT_RULES.partner.name, choices=tuple(REGISTRIES["partner"].names())),
        "oversight": Parameter("Oversight rule", "how national governments review their cities' agreements",
                               OWN_OVERSIGHT, choices=(OWN_OVERSIGHT, *REGISTRIES["oversight"].names())),
        "beta_interest": _weight("β interest", "beta_interest",
                                 "weight of the interest both sides share in the agreement's domain"),
        "beta_economy": _weight("β economy", "beta_economy",
                                "weight of the partner's economic size next to one's own"),
        "beta_distance": _weight("β distance", "beta_distance",
                                 "cost of distance: higher, and far partners are worth less"),
        "beta_network": _weight("β network", "beta_network",
                                "weight of the city networks both sides belong to"),
        "candidates": Parameter("Candidates K",
                                "how many partners a proposer weighs before proposing to the best one",
                                DEFAULT_RULES.partner.candidates, low=1, high=32),
        "rng": Parameter("Random seed", "the same settings and seed give the same run", DEFAULT_SEED,
                         low=0, high=100),
    }


UTILITY_WEIGHTS = ("beta_interest", "beta_economy", "beta_distance", "beta_network")


def defaults() -> dict[str, Any]:
    """The value of every parameter on a fresh page ("restore defaults")."""
    return {name: p.default for name, p in parameters().items()}


def format_value(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def pending_changes(running: dict[str, Any], chosen: dict[str, Any]) -> list[str]:
    """The parameters set on the page but not yet in the run on screen: 'β distance 0.3 → 2'."""
    return [f"{parameters()[name].label} {format_value(running[name])} → {format_value(value)}"
            for name, value in chosen.items() if running.get(name) != value]


def app_rules(partner: str, candidates: int, oversight: str, **weights: float) -> RuleSet:
    """Rules from the app's controls; the other rules and parameters keep their defaults."""
    return build_rules({
        "partner": {"name": partner, "candidates": int(candidates)},
        "oversight": {"name": oversight},
        "utility": {"name": "mutual_consent", **{k: float(v) for k, v in weights.items()}},
    }, "app")


class AppModel(DiplomacyModel):
    """A DiplomacyModel made from the app's parameters (the keywords of ``parameters()``): what Reset builds.

    The scenario is chosen by name (``scenario_name``: Mesa reserves
    ``scenario`` for its own Scenario objects).  ``params`` keeps the values
    it was built from; ``lock`` is held while it steps, so that pages
    following it (a class run) never draw it half-stepped.
    """

    def __init__(self, scenario_name: str = FIRST_SCENARIOS[0], partner: str = DEFAULT_RULES.partner.name,
                 candidates: int = DEFAULT_RULES.partner.candidates,
                 oversight: str = OWN_OVERSIGHT,
                 beta_interest: float = DEFAULT_RULES.utility.beta_interest,
                 beta_economy: float = DEFAULT_RULES.utility.beta_economy,
                 beta_distance: float = DEFAULT_RULES.utility.beta_distance,
                 beta_network: float = DEFAULT_RULES.utility.beta_network,
                 rng: int = DEFAULT_SEED):
        scenario = scenario_named(scenario_name)
        if oversight != OWN_OVERSIGHT:  # one regime for every government, to compare regimes in class
            scenario = with_oversight(scenario, {n.id: oversight for n in scenario.nationals}, "app")
        weights = dict(beta_interest=float(beta_interest), beta_economy=float(beta_economy),
                       beta_distance=float(beta_distance), beta_network=float(beta_network))
        rules = app_rules(partner, candidates, DEFAULT_RULES.oversight.name if oversight == OWN_OVERSIGHT
                          else oversight, **weights)
        super().__init__(scenario, rules, rng=int(rng))
        self.params = dict(scenario_name=scenario_name, partner=partner, oversight=oversight, **weights,
                           candidates=int(candidates), rng=int(rng))
        self.lock = threading.RLock()
        _RUNS["built"] += 1
        self.number = _RUNS["built"]
        RUNS_ALIVE.add(self)
        LOG.info("run %d built (%s); runs alive: %d", self.number, scenario_name,
                 _RUNS["built"] - _RUNS["released"])
        weakref.finalize(self, _released, self.number).atexit = False  # garbage, not the server's end

    def advance(self, months: int) -> None:
        """Step ``months`` months (at least one), holding the lock."""
        with self.lock:
            for _ in range(max(int(months), 1)):
                self.step()


def _released(number: int) -> None:
    _RUNS["released"] += 1
    LOG.info("run %d released; runs alive: %d", number, _RUNS["built"] - _RUNS["released"])


def run_settings(model: DiplomacyModel) -> str:
    """The rules and parameters of the run on screen, in one line."""
    params = getattr(model, "params", None)
    if params is None:  # a model not built by the app
        r = model.rules
        params = dict(partner=r.partner.name, candidates=r.partner.candidates, oversight=r.oversight.name,
                      **{w: getattr(r.utility, w) for w in UTILITY_WEIGHTS}, rng="–")
    labels = parameters()
    weights = " · ".join(f"{labels[w].label} {format_value(params[w])}" for w in UTILITY_WEIGHTS)
    return (f"{params['partner']} partners (K = {params['candidates']}) · {params['oversight']} oversight · "
            f"{weights} · seed {params['rng']}")
