"""From Hydra configuration to a validated scenario and rule set, with one-line user errors.

Everything a user can get wrong (an override, a scenario file, a rule name or
parameter) is turned into a ``SchemaError`` naming the file or override, the
field, the bad value and what is allowed; ``user_errors`` prints that one line
on stderr and exits with code 2, never a traceback.
"""

from __future__ import annotations

import contextlib
import functools
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import yaml
from omegaconf import DictConfig, OmegaConf

from model import RuleSet, Scenario, SchemaError, build_rules, scenario_from_data, with_background
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
    """The override that set ``field_path`` (or a parent of it), else ``default``."""
    for text in overrides:
        key = text.split("=", 1)[0].lstrip("+~")
        if field_path == key or field_path.startswith(key + ".") or key.startswith(field_path + "."):
            return f"override '{text}'"
    return default


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


def load_scenario(path: Path, min_population: int | None = None) -> Scenario:
    """Read, validate and expand (background cities) a scenario file.

    Cached on the file's path, modification time and the threshold, since a
    command line is validated before Hydra runs its jobs.
    """
    path = Path(path)
    stamp = path.stat().st_mtime_ns if path.is_file() else None
    return _load_scenario_cached(str(path), stamp, min_population)


@functools.lru_cache(maxsize=8)
def _load_scenario_cached(path: str, stamp: int | None, min_population: int | None) -> Scenario:
    scenario = scenario_from_data(read_yaml(Path(path), "file"), path)
    return with_background(scenario, min_population)


def scenario_path(settings: RunSettings) -> Path:
    if settings.scenario_file:
        return Path(settings.scenario_file).expanduser().resolve()
    path = Path(settings.scenario.file)
    return path if path.is_absolute() else PROJECT_ROOT / path


def prepare(cfg: DictConfig, overrides: list[str]) -> RunSetup:
    """Validate a composed config and build the scenario and rules it names."""
    resolved = OmegaConf.to_container(cfg, resolve=True)
    resolved.pop("hydra", None)
    try:
        settings = load(RunSettings, resolved, "config")
        rules = build_rules(settings.rules, "config")
    except SchemaError as err:
        where = _source_of(err.field, overrides, _config_file_of(err.field, cfg))
        raise SchemaError(where, err.field, err.value, err.allowed) from None
    scenario = load_scenario(scenario_path(settings), settings.scenario.min_population)
    return RunSetup(settings=settings, scenario=scenario, rules=rules, resolved=resolved)


# ------------------------------------------------------------------ command line


def _hydra_free(argv: list[str]) -> list[str]:
    """The overrides of a command line, without Hydra's own flags and settings."""
    return [a for a in argv if not a.startswith("-") and not a.startswith(("hydra.", "hydra/", "+hydra"))]


def check_command_line(argv: list[str], config_name: str = "config") -> None:
    """Compose the config for every job a command line describes and validate it.

    Runs before Hydra takes over, so that a bad override ends with one line
    and exit code 2 instead of Hydra's multi-line report.
    """
    from hydra import compose, initialize_config_dir
    from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
    from hydra.core.override_parser.overrides_parser import OverridesParser

    overrides = _hydra_free(argv)
    for text in overrides:
        _check_group_choice(text)
    try:
        parsed = OverridesParser.create().parse_overrides(overrides)
    except Exception as err:  # hydra's OverrideParseException and friends
        raise SchemaError("command line", "(override syntax)", " ".join(overrides),
                          _first_line(err)) from None
    jobs = BasicSweeper.split_arguments(parsed, max_batch_size=None)
    with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
        for batch in jobs:
            for job in batch:
                try:
                    cfg = compose(config_name=config_name, overrides=list(job))
                except Exception as err:  # hydra/omegaconf composition errors
                    raise _composition_error(err, list(job), config_name) from None
                prepare(cfg, list(job))


def _composition_error(err: Exception, job: list[str], config_name: str) -> SchemaError:
    """A one-line error for an override Hydra could not apply."""
    from hydra import compose

    culprit = next((o for o in job if f"'{o.split('=', 1)[0].lstrip('+~')}'" in str(err)), " ".join(job))
    key, _, value = culprit.partition("=")
    key = key.lstrip("+~")
    allowed = _first_line(err)
    if "not in struct" in str(err.__cause__):
        parent = key.rpartition(".")[0]
        node = compose(config_name=config_name)
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
    group_dir = CONFIG_DIR / key
    if "/" not in key and not (CONFIG_DIR / key).is_dir():
        return
    if not group_dir.is_dir():
        raise SchemaError(f"override '{text}'", key, key, "config groups " + ", ".join(_groups()))
    options = sorted(p.stem for p in group_dir.glob("*.yaml"))
    for choice in value.split(","):
        if choice and choice not in options:
            raise SchemaError(f"override '{text}'", key, choice, "one of " + ", ".join(options))


def _groups() -> list[str]:
    return sorted(str(p.relative_to(CONFIG_DIR)) for p in CONFIG_DIR.rglob("*")
                  if p.is_dir() and any(p.glob("*.yaml")))


def _first_line(err: Exception) -> str:
    text = " ".join(str(err).split("\n")[0].split())
    return text or type(err).__name__
