"""From Hydra configuration to a validated scenario and rule set, with one-line user errors.

Everything a user can get wrong (an override, a scenario file, a rule name or
parameter) is turned into a ``SchemaError`` naming the file or override, the
field, the bad value and what is allowed; ``user_errors`` prints that one line
on stderr and exits with code 2, never a traceback.
"""

from __future__ import annotations

import contextlib
import functools
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

import yaml
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from model import (RuleSet, Scenario, SchemaError, build_rules, scenario_from_data, with_background,
                   with_network_parameters, with_oversight)
from model.catalogue import compose
from model.validation import bounds, load

PROJECT_ROOT = Path(__file__).resolve().parents[1]
CONFIG_DIR = PROJECT_ROOT / "configs"
EXIT_USAGE = 2


@dataclass(frozen=True)
class ScenarioChoice:
    """The ``scenario`` config group: which data file, and scenario-level parameters."""

    name: str
    file: str
    min_population: int | None = field(default=None, metadata=bounds(15_000))
    oversight: dict[str, str | None] = field(default_factory=dict)
    """Oversight regimes by national government id, replacing the scenario file's (``scenario.oversight.gov_CN=permissive``)."""
    networks: dict[str, dict[str, float | None]] = field(default_factory=dict)
    """Parameters of networks by id, replacing the scenario file's (``scenario.networks.iclei.fee=0.3``)."""


@dataclass(frozen=True)
class RunSettings:
    """Top-level settings of a single run."""

    scenario: ScenarioChoice
    rules: dict[str, Any]
    seed: int = 42
    steps: int = field(default=120, metadata=bounds(0))
    scenario_file: str | None = None
    plots: bool = True
    progress: bool = True


@dataclass
class RunSetup:
    """Everything a run needs, validated."""

    settings: RunSettings
    scenario: Scenario
    rules: RuleSet
    resolved: dict[str, Any]


# ------------------------------------------------------------------ errors


@contextlib.contextmanager
def user_errors() -> Iterator[None]:
    """Turn a SchemaError into one line on stderr and exit code 2."""
    try:
        yield
    except SchemaError as err:
        print(f"error: {err.one_line()}", file=sys.stderr)
        sys.exit(EXIT_USAGE)


def _source_of(field_path: str, overrides: list[str], default: str) -> str:
    """The override that set ``field_path`` (the most specific one), else ``default``.  A list item is
    ``[i]`` in a field path and ``.i`` in an override (``calibration.targets.0.metric=...``)."""
    field_path = re.sub(r"\[(\d+)\]", r".\1", field_path)
    matches = []
    for text in overrides:
        key = text.split("=", 1)[0].lstrip("+~").replace("/", ".")
        if field_path == key or field_path.startswith(key + ".") or key.startswith(field_path + "."):
            matches.append((field_path == key, len(key), text))
    return f"override '{max(matches)[2]}'" if matches else default


def _config_file_of(field_path: str, cfg: DictConfig) -> str:
    parts = field_path.split(".")
    if parts[0] == "rules" and len(parts) > 1:
        group = parts[1]
        name = OmegaConf.select(cfg, f"rules.{group}.name", default=None)
        return str(CONFIG_DIR / "rules" / group / f"{name}.yaml")
    if parts[0] == "scenario":
        return str(CONFIG_DIR / "scenario" / f"{cfg.scenario.name}.yaml")
    return str(CONFIG_DIR / "config.yaml")


# ------------------------------------------------------------------ loading


def read_yaml(path: Path, what: str) -> Any:
    """Parse a YAML file safely (data only, never code)."""
    if not path.is_file():
        raise SchemaError(str(path), what, str(path), "the path of an existing YAML file")
    try:
        with path.open(encoding="utf-8") as handle:
            return yaml.safe_load(handle)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "(parse)"
        problem = getattr(err, "problem", None) or str(err).splitlines()[0]
        raise SchemaError(str(path), where, problem, "well-formed YAML") from None
    except UnicodeDecodeError as err:
        raise SchemaError(str(path), "(encoding)", err.reason, "UTF-8 text") from None


CATALOGUE = PROJECT_ROOT / "scenarios" / "catalogue.yaml"
"""The shipped actor catalogue (model/catalogue.py), for scenario files with ``include:``."""


def catalogue_for(path: Path) -> Path:
    """The catalogue a scenario file includes from: ``catalogue.yaml`` beside it, else the shipped one."""
    beside = path.parent / "catalogue.yaml"
    return beside if beside.is_file() else CATALOGUE


def load_scenario(path: Path, min_population: int | None = None) -> Scenario:
    """Read, validate and expand (catalogue entries, background cities) a scenario file.

    Cached on the files' paths and modification times and the threshold, since a
    command line is validated before Hydra runs its jobs.
    """
    path = Path(path)
    catalogue = catalogue_for(path)
    stamps = tuple(p.stat().st_mtime_ns if p.is_file() else None for p in (path, catalogue))
    return _load_scenario_cached(str(path), str(catalogue), stamps, min_population)


def scenario_data(path: Path) -> Any:
    """A scenario file's plain data, with the catalogue entries it includes resolved."""
    data = read_yaml(path, "file")
    if isinstance(data, dict) and ("include" in data or "changes" in data):
        catalogue = catalogue_for(path)
        data = compose(data, read_yaml(catalogue, "file"), str(path), str(catalogue))
    return data


@functools.lru_cache(maxsize=8)
def _load_scenario_cached(path: str, catalogue: str, stamps: tuple, min_population: int | None) -> Scenario:
    scenario = with_background(scenario_from_data(scenario_data(Path(path)), path), min_population)
    if not scenario.subnationals:  # nothing could ever propose an agreement (and the outputs need one)
        raise SchemaError(path, "subnationals", [],
                          "at least one city or region: listed in the file, or background cities "
                          "(background.enabled: true)")
    return scenario


def scenario_path(settings: RunSettings) -> Path:
    if settings.scenario_file:
        return Path(settings.scenario_file).expanduser().resolve()
    path = Path(settings.scenario.file)
    return path if path.is_absolute() else PROJECT_ROOT / path


def prepare(cfg: DictConfig, overrides: list[str]) -> RunSetup:
    """Validate a composed config and build the scenario and rules it names."""
    try:
        resolved = OmegaConf.to_container(cfg, resolve=True)
    except OmegaConfBaseException as err:  # an interpolation such as ${nope} or ${oc.env:UNSET}
        key = str(getattr(err, "full_key", "") or "")
        raise SchemaError(_source_of(key, overrides, "command line"), key, _raw_value(cfg, key),
                          "an interpolation that resolves (" + _first_line(err) + ")") from None
    resolved.pop("hydra", None)
    try:
        settings = load(RunSettings, resolved, "config")
        rules = build_rules(settings.rules, "config")
    except SchemaError as err:
        where = _source_of(err.field, overrides, _config_file_of(err.field, cfg))
        raise SchemaError(where, err.field, err.value, err.allowed) from None
    scenario = load_scenario(scenario_path(settings), settings.scenario.min_population)
    try:
        regimes = {gid: name for gid, name in settings.scenario.oversight.items() if name is not None}
        scenario = with_oversight(scenario, regimes, "config")
        scenario = with_network_parameters(scenario, settings.scenario.networks, "config")
    except SchemaError as err:
        field_path = "scenario." + err.field
        raise SchemaError(_source_of(field_path, overrides, _config_file_of(field_path, cfg)), field_path,
                          err.value, err.allowed) from None
    return RunSetup(settings=settings, scenario=scenario, rules=rules, resolved=resolved)


def _raw_value(cfg: DictConfig, key: str) -> Any:
    """The unresolved value at dotted ``key`` (e.g. the text '${nope}'), or None."""
    node: Any = OmegaConf.to_container(cfg, resolve=False)
    for part in key.split(".") if key else []:
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


# ------------------------------------------------------------------ command line


def check_command_line(argv: list[str], config_name: str = "config",
                       validate: Callable[[DictConfig, list[str]], Any] = prepare) -> list[str]:
    """Compose the config for every job a command line describes and validate it with ``validate``.

    Runs before Hydra takes over, so that a bad override ends with one line
    and exit code 2 instead of Hydra's multi-line report.  Hydra's own flags
    (``--multirun``, ``--cfg job``, ``--config-name``...) are read with Hydra's
    own argument parser; overrides of Hydra's settings (``hydra.run.dir=...``)
    are composed and checked like the others.  Returns the command line with
    the flags before the overrides (Hydra refuses a flag between overrides).
    """
    from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
    from hydra._internal.utils import get_args_parser
    from hydra.core.override_parser.overrides_parser import OverridesParser

    args, rest = get_args_parser().parse_known_args(argv)
    overrides = list(args.overrides) + [a for a in rest if not a.startswith("-")]
    config_name = args.config_name or config_name
    for text in overrides:
        _check_group_choice(text)
    parser = OverridesParser.create()
    for text in overrides:  # one at a time, so that an error names the override at fault
        try:
            parser.parse_overrides([text])
        except Exception as err:  # hydra's OverrideParseException and friends
            raise SchemaError(f"override '{text}'", "(override syntax)", text, _first_line(err)) from None
    parsed = parser.parse_overrides(overrides)
    multirun = args.multirun or any(
        a.partition("=")[2].strip().upper() == "MULTIRUN" for a in overrides if a.startswith("hydra.mode="))
    sweep = next((o for o in parsed if o.is_sweep_override()), None)
    if sweep is not None and not multirun:
        key, _, value = sweep.input_line.partition("=")
        raise SchemaError(f"override '{sweep.input_line}'", key.lstrip("+~"), value,
                          "a single value (add --multirun to sweep over several, "
                          "or write a list as key=[a,b])")
    jobs = BasicSweeper.split_arguments(parsed, max_batch_size=None)
    # split_arguments re-serialises overrides ('steps=${x}' -> 'steps=$\{x\}'): name the user's own text
    typed = {f"{o.get_key_element()}={o.get_value_element_as_str()}": o.input_line
             for o in parsed if not o.is_sweep_override()}
    with hydra_configs():
        for batch in jobs:
            for job in batch:
                job = [typed.get(text, text) for text in job]
                validate(compose_checked(job, config_name), job)
    flags = [a for a in argv if a not in overrides]
    return flags + overrides


@contextlib.contextmanager
def hydra_configs() -> Iterator[None]:
    """Point Hydra's Compose API at ``configs/`` (nothing to do inside a Hydra app, which already has)."""
    from hydra import initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra

    if GlobalHydra.instance().is_initialized():
        yield
        return
    with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
        yield


def compose_checked(overrides: list[str], config_name: str = "config") -> DictConfig:
    """Compose ``config_name`` with ``overrides`` (inside ``hydra_configs()``); one-line SchemaError if refused."""
    from hydra import compose

    for text in overrides:
        _check_group_choice(text)
    try:
        return compose(config_name=config_name, overrides=list(overrides))
    except Exception as err:  # hydra/omegaconf composition errors
        raise _composition_error(err, list(overrides), config_name) from None


def _composition_error(err: Exception, job: list[str], config_name: str) -> SchemaError:
    """A one-line error for an override Hydra could not apply."""
    from hydra import compose

    def key_of(text: str) -> str:
        return text.split("=", 1)[0].lstrip("+~")

    cause_key = str(getattr(err.__cause__, "full_key", "") or "")
    culprit = (next((o for o in job if f"'{key_of(o)}'" in str(err)), None)
               or next((o for o in job if cause_key and key_of(o) == cause_key), None)
               or next((o for o in job if f"override {o}" in _first_line(err)), None)
               or " ".join(job))
    key, _, value = culprit.partition("=")
    key = key.lstrip("+~")
    allowed = _first_line(err)
    if isinstance(err.__cause__, OmegaConfBaseException) and "Error merging override" in allowed:
        allowed = _first_line(err.__cause__)  # e.g. "Value 'maybe' is not a valid bool (type str)"
    if "not in struct" in str(err.__cause__):
        parent = key.rpartition(".")[0]
        choices = [o for o in job if "=" in o and (CONFIG_DIR / key_of(o)).is_dir()]  # already checked
        node = compose(config_name=config_name, overrides=choices)
        node = OmegaConf.select(node, parent) if parent else node
        if isinstance(node, DictConfig):
            allowed = f"keys under '{parent or 'the top level'}': " + ", ".join(map(str, node.keys()))
    return SchemaError(f"override '{culprit}'", key, value, allowed)


def _check_group_choice(text: str) -> None:
    """``group=option`` for a config group: the option must exist (friendlier than Hydra's message)."""
    if "=" not in text or "(" in text:
        return
    key, value = text.split("=", 1)
    key = key.lstrip("+~")
    if key == "hydra" or key.startswith(("hydra/", "hydra.")):
        return  # Hydra's own groups: composition checks them
    group_dir = CONFIG_DIR / key
    if "/" not in key and not (CONFIG_DIR / key).is_dir():
        return
    if not group_dir.is_dir():
        raise SchemaError(f"override '{text}'", key, key, "config groups " + ", ".join(_groups()))
    options = sorted(p.stem for p in group_dir.glob("*.yaml"))
    if not options:  # a folder of groups (configs/rules), not a group
        raise SchemaError(f"override '{text}'", key, value,
                          "choose inside its groups: " + ", ".join(g for g in _groups() if g.startswith(key + "/")))
    for choice in value.split(","):
        if choice and choice not in options:
            raise SchemaError(f"override '{text}'", key, choice, "one of " + ", ".join(options))


def _groups() -> list[str]:
    return sorted(str(p.relative_to(CONFIG_DIR)) for p in CONFIG_DIR.rglob("*")
                  if p.is_dir() and any(p.glob("*.yaml")))


def _first_line(err: Exception) -> str:
    text = " ".join(str(err).split("\n")[0].split())
    return text or type(err).__name__
