"""Calibration: approximate Bayesian computation (ABC-SMC) of a run's parameters against observed data.

    python -m experiments.calibrate calibration=smoke
    python -m experiments.calibrate calibration=network_growth calibration.scheduler=tcp://10.0.0.5:8786
    python -m experiments.calibrate calibration=smoke calibration.population_size=50 hydra.run.dir=results/smoke

A calibration (``configs/calibration/NAME.yaml``) names the base overrides of a
run, its steps, priors over override keys of the run, the observed files
(``scenarios/observed/*.csv``, see ``experiments.observed``) and its targets: an
observed series, the model metric it is compared with, and its role (``fit``
or ``hold_out``).  Each target contributes one summary statistic per observed
date, named ``METRIC@DATE`` (the metric at the step that date falls in).

The sampler is pyabc's ABC-SMC (Klinger, Rickert & Hasenauer 2018,
Bioinformatics 34(20), 3591-3593) with its ``DaskDistributedSampler``, on a
local cluster or on ``calibration.scheduler``; ``batch_size`` simulations go
to a worker at once, since a cheap simulation costs less than Dask's overhead
per task.  The distance of a simulation to the data is the weighted root mean
square of one relative residual per fitted point, r = (x − y) / max(y, 1) (a share,
``scale: share_of_last``, is divided by itself: r = (x − y) / y):

- ``exact``: r itself;
- ``more_than`` ("more than 1,200", "445+"): only a shortfall counts,
  min(r, 0) — the source gives a lower bound, not a value;
- ``approximate`` ("about", "c."): values within ``approximate_tolerance``
  (relative) count as a match, beyond it the excess: sign(r)·max(|r| − tol, 0).

Held-out targets are simulated and recorded like the fitted ones but never
enter the distance (``experiments.validate`` reports how well they are
predicted).  The simulation seeds are drawn from pyabc's per-job random state,
so two calibrations of the same config are not identical.

The calibration's folder is Hydra's output folder (``outputs/calibrations/NAME``
by default).  pyabc's history database ``calibration.db`` there is the
record: it holds every finished generation, and running the same command again
resumes from it (a killed calibration loses at most the generation in
progress).  At the end: ``posterior.parquet`` (final generation: weight,
distance, parameters), ``posterior_summary.csv``, ``generations.csv``,
``predictive.parquet`` (the final generation's simulated target metrics),
``plots/`` and ``posterior_median.yaml``, which a run or sweep takes by one
override: ``+calibrated=NAME`` (from the default folder the file is also
written to ``configs/calibrated/NAME.yaml``).
"""

from __future__ import annotations

import dataclasses
import functools
import json
import logging
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Literal

import hydra
import numpy as np
import pandas as pd
import yaml
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig, OmegaConf
from tqdm import tqdm

from experiments.config import (CONFIG_DIR, PROJECT_ROOT, SchemaError, _source_of, check_command_line,
                                compose_checked, hydra_configs, prepare, user_errors)
from experiments.observed import Observation, read_observed, series_of, step_date, step_of, year_month
from experiments.outputs import write_atomic, write_json, write_parquet, write_text
from experiments.run import simulate
from experiments.sweep import SET_BY_SWEEP, SweepSettings, dask_client, write_csv
from model.validation import bounds, load

DATABASE = "calibration.db"
RECORD = "calibration.json"
"""Written when the ABC run has finished: its config, stopping point and the figures of its generations."""
CALIBRATED_DIR = CONFIG_DIR / "calibrated"
DEFAULT_DIR = PROJECT_ROOT / "outputs" / "calibrations"
HOW_KEYS = ("scheduler", "workers", "progress")
"""Settings that say how to run a calibration, never what it computes (they may change on resume)."""


# ------------------------------------------------------------------ schema


@dataclass(frozen=True)
class Prior:
    """A prior over one override key: ``uniform`` or ``log_uniform`` on [low, high], ``normal`` (mean, sd)."""

    distribution: Literal["uniform", "log_uniform", "normal"]
    low: float | None = None
    high: float | None = None
    mean: float | None = None
    sd: float | None = field(default=None, metadata=bounds(0))


@dataclass(frozen=True)
class Target:
    """An observed series compared with a model metric, at its dates (all, or those listed)."""

    series: str
    metric: str
    role: Literal["fit", "hold_out"] = "fit"
    dates: list[str] = field(default_factory=list)
    """Dates of the series to use (as written in the observed file); empty = all."""
    weight: float = field(default=1.0, metadata=bounds(0))
    scale: Literal["level", "share_of_last"] = "level"
    """``level``: the figures themselves.  ``share_of_last``: the series by its shape, each figure as a
    share of the series' last one used, against the metric as a share of its value at that date (for a
    series the model's pool cannot hold in number, such as the Covenant of Mayors' small towns)."""


@dataclass(frozen=True)
class Calibration:
    """A calibration, as written in ``configs/calibration/NAME.yaml``."""

    name: str
    steps: int = field(metadata=bounds(1))
    observed: list[str]
    """Observed CSV files (paths relative to the project)."""
    priors: dict[str, Prior]
    targets: list[Target]
    description: str = ""
    base: list[str] = field(default_factory=list)
    approximate_tolerance: float = field(default=0.1, metadata=bounds(0, 1))
    population_size: int = field(default=100, metadata=bounds(2))
    generations: int = field(default=5, metadata=bounds(1))
    """At most this many ABC-SMC generations."""
    min_epsilon: float = field(default=0.0, metadata=bounds(0))
    """Stop once the distance threshold is at or below this."""
    max_simulations: int | None = field(default=None, metadata=bounds(1))
    max_minutes: float | None = field(default=None, metadata=bounds(0))
    """Wall-time budget of one command: a generation is started only when it is expected to end within
    it (the last generation's time, times the growth of its simulations over the one before), so the
    calibration ends with the generations it has, within the budget."""
    batch_size: int = field(default=10, metadata=bounds(1))
    """Simulations per Dask task."""
    replicates: int = field(default=20, metadata=bounds(1))
    """Runs of the validation (posterior draws, each with its own seed)."""
    seed: int = field(default=0, metadata=bounds(0))
    """Seed of the validation's posterior draws and run seeds."""
    scheduler: str | None = None
    workers: int | None = field(default=None, metadata=bounds(1))
    progress: bool = True


@dataclass(frozen=True)
class CalibrateConfig:
    calibration: Calibration


# ------------------------------------------------------------------ plan


@dataclass(frozen=True)
class Point:
    """One summary statistic: a target's observed figure and the step it is compared at."""

    key: str
    """``METRIC@DATE``."""
    metric: str
    step: int
    series: str
    date: str
    value: float
    kind: str
    role: str
    weight: float
    source: str
    note: str
    base_metric: str = ""
    """The model metric a share is taken of (``scale: share_of_last``); else ``metric`` itself."""
    anchor_step: int | None = None
    """The step of the figure a share is taken of (``scale: share_of_last``)."""


@dataclass(frozen=True)
class Simulator:
    """The model as pyabc sees it: parameters in, summary statistics out (picklable, runs on workers).

    The run's config is composed once per process (``base`` + steps), then each
    simulation sets the parameter values on a copy, as Hydra applies a value
    override.
    """

    base: tuple[str, ...]
    steps: int
    integer_keys: frozenset[str]
    points: tuple[tuple[str, str, int], ...]
    """(key, metric, step) of every summary statistic."""
    metrics: tuple[str, ...]
    """Target metrics whose whole trajectory is also returned (``trajectory:METRIC``)."""
    shares: tuple[tuple[str, str, int], ...] = ()
    """(name, metric, step) of every metric taken as a share of its value at a step (``share_of_last``)."""
    log_keys: frozenset[str] = frozenset()
    """Keys with a ``log_uniform`` prior, which pyabc samples as ``log10(KEY)`` (``log_name``)."""

    def __call__(self, parameters: dict) -> dict:
        return self.run(self.natural(parameters), int(np.random.randint(0, 2**31 - 1)))  # pyabc seeds np.random per job

    def natural(self, parameters) -> dict[str, float]:
        """Parameter values as pyabc holds them (``log_name(KEY)`` for log-uniform priors) by override key."""
        values = {name: float(value) for name, value in dict(parameters).items()}
        for key in self.log_keys:
            values[key] = 10.0 ** values.pop(log_name(key))
        return values

    def run(self, values: dict[str, float], seed: int) -> dict:
        cfg = OmegaConf.create(OmegaConf.to_container(_template(self.base, self.steps)))
        for key, value in values.items():
            OmegaConf.update(cfg, key, self.typed(key, value), merge=True)
        cfg.seed = seed
        model = simulate(prepare(cfg, list(self.base)))
        recorded = dict(model.datacollector.model_vars)
        for name, metric, anchor in self.shares:
            level = np.asarray(recorded[metric], dtype=float)
            recorded[name] = level / max(level[anchor], 1.0)
        stats: dict[str, Any] = {key: float(recorded[metric][step]) for key, metric, step in self.points}
        stats.update({f"trajectory:{m}": np.asarray(recorded[m], dtype=float) for m in self.metrics})
        return stats

    def typed(self, key: str, value: float) -> int | float:
        return int(round(float(value))) if key in self.integer_keys else float(value)


_HYDRA_LOCK = threading.Lock()


@functools.lru_cache(maxsize=4)
def _template(base: tuple[str, ...], steps: int) -> DictConfig:
    with _HYDRA_LOCK, hydra_configs():
        return compose_checked(list(base) + [f"steps={steps}", "plots=false", "progress=false"])


@dataclass(frozen=True)
class Discrepancy:
    """The distance between simulated and observed statistics (see the module docstring)."""

    points: tuple[Point, ...]
    tolerance: float

    def residual(self, point: Point, simulated: float) -> float:
        share = point.anchor_step is not None and point.value > 0
        r = (simulated - point.value) / (point.value if share else max(point.value, 1.0))
        if point.kind == "more_than":
            return min(r, 0.0)
        if point.kind == "approximate":
            return float(np.sign(r) * max(abs(r) - self.tolerance, 0.0))
        return r

    def __call__(self, simulated: dict, observed: dict | None = None) -> float:
        fitted = [p for p in self.points if p.role == "fit"]
        total = sum(p.weight for p in fitted)
        squares = sum(p.weight * self.residual(p, simulated[p.key]) ** 2 for p in fitted)
        return float(np.sqrt(squares / total))


@dataclass(frozen=True)
class Plan:
    """A validated calibration, ready to run."""

    calibration: Calibration
    source: str
    """The calibration file."""
    start_year: int
    points: tuple[Point, ...]
    simulator: Simulator
    discrepancy: Discrepancy

    @property
    def observed(self) -> dict[str, float]:
        return {p.key: p.value for p in self.points}

    @property
    def fitted(self) -> list[str]:
        return sorted({p.series for p in self.points if p.role == "fit"})

    @property
    def held_out(self) -> list[str]:
        return sorted({p.series for p in self.points if p.role == "hold_out"})


def plan_calibration(cfg: DictConfig, overrides: list[str]) -> Plan:
    """Validate a calibration's config, its priors, observed files, targets and dates; run nothing."""
    source = calibration_file(overrides)
    field_overrides = [o for o in overrides if not o.startswith("calibration=")]

    def where(field_path: str) -> str:
        return _source_of(field_path, field_overrides, source)

    data = OmegaConf.to_container(cfg, resolve=True)
    data.pop("hydra", None)
    try:
        calibration = load(CalibrateConfig, data, "").calibration
    except SchemaError as err:
        raise SchemaError(where(err.field), err.field, err.value, err.allowed) from None
    if calibration.scheduler is not None and calibration.workers is not None:
        raise SchemaError(where("calibration.workers"), "calibration.workers", calibration.workers,
                          "null with calibration.scheduler (the cluster has its own workers)")
    for text in calibration.base:
        if text.split("=", 1)[0].lstrip("+~") in SET_BY_SWEEP:
            raise SchemaError(where("calibration.base"), "calibration.base", text, _NOT_SET_HERE)
    with hydra_configs():
        template = _blamed(source, lambda: compose_checked(
            calibration.base + [f"steps={calibration.steps}", "plots=false", "progress=false"]))
        setup = _blamed(source, lambda: prepare(template, calibration.base))
    integer_keys = _check_priors(calibration, template, where, source)
    recorded = _recorded_metrics(setup)
    points = _points(calibration, setup.scenario.start_year, recorded, where)
    metrics = tuple(dict.fromkeys(p.metric for p in points))
    shares = tuple(dict.fromkeys((p.metric, p.base_metric, p.anchor_step) for p in points
                                 if p.anchor_step is not None))
    log_keys = frozenset(k for k, prior in calibration.priors.items() if prior.distribution == "log_uniform")
    simulator = Simulator(tuple(calibration.base), calibration.steps, frozenset(integer_keys),
                          tuple((p.key, p.metric, p.step) for p in points), metrics, shares, log_keys)
    return Plan(calibration, source, setup.scenario.start_year, tuple(points), simulator,
                Discrepancy(tuple(points), calibration.approximate_tolerance))


_NOT_SET_HERE = (f"a key or config group of a run other than {', '.join(SET_BY_SWEEP)} "
                 "(the calibration sets those: calibration.steps; seeds drawn per simulation)")


def calibration_file(overrides: list[str]) -> str:
    name = next((o.split("=", 1)[1] for o in overrides if o.startswith("calibration=")), None)
    if not name:
        raise SchemaError("command line", "calibration", None,
                          "calibration=NAME, one of " + ", ".join(calibration_names()))
    return str(CONFIG_DIR / "calibration" / f"{name}.yaml")


def calibration_names() -> list[str]:
    return sorted(p.stem for p in (CONFIG_DIR / "calibration").glob("*.yaml"))


def _blamed(source: str, make: Callable[[], Any]) -> Any:
    """Call ``make``; a SchemaError (a bad base override) is prefixed with the calibration file."""
    try:
        return make()
    except SchemaError as err:
        raise SchemaError(f"{source}: {err.where}", err.field, err.value, err.allowed) from None


_ABSENT = object()


def _check_priors(calibration: Calibration, template: DictConfig, where: Callable[[str], str],
                  source: str) -> set[str]:
    """Each prior: its parameters fit its distribution, its key holds a number in the run's config.
    Returns the keys holding integers (their draws are rounded)."""
    if not calibration.priors:
        raise SchemaError(where("calibration.priors"), "calibration.priors", {}, "at least one prior")
    integer_keys = set()
    for key, prior in calibration.priors.items():
        field_path = f"calibration.priors.{key}"
        needs = {"uniform": ("low", "high"), "log_uniform": ("low", "high"), "normal": ("mean", "sd")}
        given = {name for name in ("low", "high", "mean", "sd") if getattr(prior, name) is not None}
        if given != set(needs[prior.distribution]):
            raise SchemaError(where(field_path), field_path, dataclasses.asdict(prior),
                              f"{prior.distribution} with exactly " + " and ".join(needs[prior.distribution]))
        if prior.distribution != "normal" and not prior.low < prior.high:
            raise SchemaError(where(field_path), field_path, dataclasses.asdict(prior), "low < high")
        if prior.distribution == "log_uniform" and prior.low <= 0:
            raise SchemaError(where(field_path), field_path, dataclasses.asdict(prior), "log_uniform with 0 < low")
        if prior.distribution == "normal" and prior.sd <= 0:
            raise SchemaError(where(field_path), field_path, dataclasses.asdict(prior), "normal with sd > 0")
        if key.lstrip("+~") in SET_BY_SWEEP or key != key.lstrip("+~"):
            raise SchemaError(where(field_path), field_path, key, _NOT_SET_HERE)
        current = OmegaConf.select(template, key, default=_ABSENT)
        if current is _ABSENT:
            value = prior.low if prior.low is not None else prior.mean
            _blamed(source, lambda: compose_checked(calibration.base + [f"{key}={value}"]))  # Hydra's one line
            raise SchemaError(where(field_path), field_path, key, "an override key of a run holding a number")
        # null: a number the run takes from its scenario file unless set (scenario.networks.<id>.recruitment_rate)
        if current is not None and (isinstance(current, bool) or not isinstance(current, (int, float))):
            raise SchemaError(where(field_path), field_path, current,
                              "a key holding a number in the run's config, or null for the scenario file's "
                              "number (priors are over numbers)")
        if isinstance(current, int):
            integer_keys.add(key)
    return integer_keys


def _recorded_metrics(setup) -> set[str]:
    """The metrics the model records (read at step 0)."""
    setup = dataclasses.replace(setup, settings=dataclasses.replace(setup.settings, steps=0))
    return set(simulate(setup).datacollector.model_vars)


def _points(calibration: Calibration, start_year: int, recorded: set[str],
            where: Callable[[str], str]) -> list[Point]:
    """The summary statistics: every target's dates, each inside the run."""
    if not calibration.observed:
        raise SchemaError(where("calibration.observed"), "calibration.observed", [], "at least one observed file")
    observations: list[Observation] = []
    for name in calibration.observed:
        path = Path(name) if Path(name).is_absolute() else PROJECT_ROOT / name
        observations += read_observed(path)
    series = series_of(observations)
    if not calibration.targets:
        raise SchemaError(where("calibration.targets"), "calibration.targets", [], "at least one target")
    points: list[Point] = []
    last = step_date(calibration.steps, start_year)
    first = step_date(0, start_year)
    for i, target in enumerate(calibration.targets):
        field_path = f"calibration.targets[{i}]"
        if target.series not in series:
            raise SchemaError(where(field_path), f"{field_path}.series", target.series,
                              "a series of the observed files: " + ", ".join(series))
        if target.metric not in recorded:
            raise SchemaError(where(field_path), f"{field_path}.metric", target.metric,
                              "metrics the model records: " + ", ".join(sorted(recorded)))
        by_date = {o.date: o for o in series[target.series]}
        unknown = [d for d in target.dates if d not in by_date]
        if unknown:
            raise SchemaError(where(field_path), f"{field_path}.dates", unknown[0],
                              f"dates of series {target.series}: " + ", ".join(by_date))
        chosen = [by_date[d] for d in target.dates] if target.dates else series[target.series]
        steps = []
        for observation in chosen:
            step = step_of(*observation.year_month, start_year)
            if not 0 <= step <= calibration.steps:
                raise SchemaError(where(field_path), f"{field_path} ({observation.where})", observation.date,
                                  f"a date inside the run: {first} (step 0) to {last} (step {calibration.steps}); "
                                  f"start_year {start_year}, calibration.steps {calibration.steps}; "
                                  f"or list the dates to use in {field_path}.dates")
            steps.append(step)
        if target.scale == "share_of_last":
            points += _share_points(target, field_path, chosen, steps, where)
            continue
        for observation, step in zip(chosen, steps):
            points.append(Point(f"{target.metric}@{observation.date}", target.metric, step, target.series,
                                observation.date, observation.value, observation.kind, target.role,
                                target.weight, observation.source, observation.note, target.metric))
    keys = [p.key for p in points]
    duplicate = next((k for k in keys if keys.count(k) > 1), None)
    if duplicate:
        raise SchemaError(where("calibration.targets"), "calibration.targets", duplicate,
                          "one figure per metric and date")
    if not any(p.role == "fit" for p in points):
        raise SchemaError(where("calibration.targets"), "calibration.targets", [t.series for t in calibration.targets],
                          "at least one target with role fit")
    return points


def _share_points(target: Target, field_path: str, chosen: list[Observation], steps: list[int],
                  where: Callable[[str], str]) -> list[Point]:
    """A series by its shape: each figure but the last as a share of the last (the latest date), against
    the metric as a share of its value at that date.  A share of two exact figures is exact; of any
    other two (a "more than" over a "more than" is no bound) it is approximate."""
    anchor = max(range(len(chosen)), key=lambda i: (steps[i], i))  # the latest; of one month, the last listed
    last = chosen[anchor]
    if len(chosen) < 2 or last.value <= 0:
        raise SchemaError(where(field_path), f"{field_path}.scale", target.scale,
                          "share_of_last for a series of at least two figures whose last is above 0")
    name = f"{target.metric}/{last.date}"
    return [Point(f"{name}@{o.date}", name, step, target.series, o.date, o.value / last.value,
                  "exact" if o.kind == last.kind == "exact" else "approximate", target.role, target.weight,
                  o.source, f"{o.note} (share of {last.value:g} on {last.date})".strip(), target.metric,
                  steps[anchor])
            for i, (o, step) in enumerate(zip(chosen, steps)) if i != anchor]


def synthetic_observed(base: list[str], steps: int, values: dict[str, float], seed: int,
                       series: dict[str, tuple[str, list[str]]], source: str) -> str:
    """An observed CSV of figures simulated by one run at known parameter ``values`` (kind exact):
    ``series`` maps a series name to (metric, dates).  For tests of recovery and for ``smoke``."""
    with hydra_configs():
        start_year = prepare(_template(tuple(base), steps), list(base)).scenario.start_year
    stats = [(f"{name}@{date}", metric, step_of(*year_month(date), start_year))
             for name, (metric, dates) in series.items() for date in dates]
    simulator = Simulator(tuple(base), steps, frozenset(), tuple(stats), ())
    simulated = simulator.run(values, seed)
    lines = ["series,date,value,kind,source,note"]
    for key, _, _ in stats:
        name, date = key.split("@")
        lines.append(f'{name},{date},{simulated[key]:g},exact,"{source}",')
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------ pyabc


def abc_name(key: str, prior: Prior) -> str:
    """A prior's parameter as pyabc samples it: its key, or ``log10(KEY)`` for a log-uniform prior.

    On the log scale a log-uniform prior is uniform, and pyabc's Gaussian kernels perturb the
    particles where they spread.  Sampled on its own scale, a log-uniform prior's density falls a
    hundredfold across [0.01, 1] while the kernel proposes evenly, so the few particles drawn near
    the low end took most of the importance weight (``network_growth``: an effective sample size of
    2.3 of 30).  ``Simulator.natural`` turns the values back into the key's own.
    """
    return log_name(key) if prior.distribution == "log_uniform" else key


def log_name(key: str) -> str:
    """The name pyabc knows a log-uniform prior's parameter by: ``log10(KEY)``."""
    return f"log10({key})"


def prior_distribution(calibration: Calibration):
    """The priors as pyabc's ``Distribution`` over the parameters it samples (``abc_name``)."""
    import pyabc

    def variable(prior: Prior):
        if prior.distribution == "uniform":
            return pyabc.RV("uniform", prior.low, prior.high - prior.low)
        if prior.distribution == "log_uniform":
            low, high = np.log10(prior.low), np.log10(prior.high)
            return pyabc.RV("uniform", low, high - low)
        return pyabc.RV("norm", prior.mean, prior.sd)

    return pyabc.Distribution(**{abc_name(key, p): variable(p) for key, p in calibration.priors.items()})


CORES_REFRESH_S = 1.0


def progress_sampler(client, batch_size: int, show: bool):
    """pyabc's DaskDistributedSampler with a progress bar per generation: accepted particles of the
    population, ε, acceptance rate so far, simulations, and the time left (tqdm's estimate)."""
    from pyabc.sampler import DaskDistributedSampler

    class ProgressSampler(DaskDistributedSampler):
        epsilon: Callable[[int], float] | None = None
        _cores: int = 0
        _cores_asked: float = -np.inf

        def client_cores(self) -> int:
            """The workers' cores, asked of the scheduler at most once every ``CORES_REFRESH_S``
            seconds.  pyabc asks at every 10 ms turn of its loop, a round trip to the scheduler that
            kept a fifth of a core busy beside the two workers; workers joining a remote cluster are
            still seen within the refresh time."""
            now = time.monotonic()
            if now - self._cores_asked >= CORES_REFRESH_S:
                self._cores, self._cores_asked = super().client_cores(), now
            return self._cores

        def sample_until_n_accepted(self, n, simulate_one, t, **kwargs):
            label = "prior sample" if t < 0 or self.epsilon is None else f"generation {t}"
            eps = None if t < 0 or self.epsilon is None else self.epsilon(t)
            counts = {"simulations": 0, "accepted": 0}
            with tqdm(total=n, desc=label, unit="particle", disable=not show, leave=True) as bar:
                def on_batch(batch):
                    counts["simulations"] += len(batch)
                    counts["accepted"] += sum(1 for _, accepted, _ in batch if accepted)
                    bar.update(min(counts["accepted"], n) - bar.n)
                    bar.set_postfix({**({"eps": f"{eps:.4g}"} if eps is not None else {}),
                                     "acceptance": f"{counts['accepted'] / counts['simulations']:.1%}",
                                     "simulations": counts["simulations"]})

                real, self.client = self.client, _CountingClient(self.client, on_batch)
                try:
                    return super().sample_until_n_accepted(n, simulate_one, t, **kwargs)
                finally:
                    self.client = real

    return ProgressSampler(dask_client=client, batch_size=batch_size)


class _CountingClient:
    """A Dask client whose futures report each finished batch of simulations (to the progress bar)."""

    def __init__(self, client, on_batch: Callable[[list], None]):
        self._client, self._on_batch = client, on_batch

    def submit(self, *args, **kwargs):
        return _CountedFuture(self._client.submit(*args, **kwargs), self._on_batch)

    def __getattr__(self, name: str):
        return getattr(self._client, name)


class _CountedFuture:
    def __init__(self, future, on_batch: Callable[[list], None]):
        self._future, self._on_batch, self._counted = future, on_batch, False

    def done(self) -> bool:
        return self._future.done()

    def cancel(self):
        return self._future.cancel()

    def result(self):
        batch = self._future.result()
        if not self._counted:
            self._counted = True
            self._on_batch(batch)
        return batch


def database_url(out_dir: Path) -> str:
    return f"sqlite:///{Path(out_dir).resolve() / DATABASE}"


def what_is_computed(calibration: Calibration) -> dict:
    """The calibration's config without the settings of how to run it (compared on resume)."""
    data = dataclasses.asdict(calibration)
    for key in HOW_KEYS:
        data.pop(key)
    return data


def check_folder(plan: Plan, out_dir: Path) -> None:
    """A folder holding another calibration's database is refused (resume only the same config; its
    description may change)."""
    spec = out_dir / "calibration.yaml"
    if (out_dir / DATABASE).exists() and spec.is_file():
        before = yaml.safe_load(spec.read_text())
        now = what_is_computed(plan.calibration)
        changed = sorted(k for k in (set(before) | set(now)) - {"description"} if before.get(k) != now.get(k))
        if changed:
            raise SchemaError(str(out_dir), f"calibration.{changed[0]}", now.get(changed[0]),
                              f"the value of the calibration in this folder ({before.get(changed[0])!r}) "
                              "to resume it; or another folder (hydra.run.dir=DIR)")


@dataclass(frozen=True)
class Outcome:
    generations: int
    resumed_from: int
    """Generations in the database before this command."""
    simulations: int
    epsilon: float
    wall_time_s: float


def run_abc(plan: Plan, out_dir: Path) -> Outcome:
    """Run (or resume, or just read) the ABC-SMC of ``plan`` with its database in ``out_dir``."""
    import pyabc

    calibration = plan.calibration
    out_dir.mkdir(parents=True, exist_ok=True)
    check_folder(plan, out_dir)
    write_text(yaml.safe_dump(what_is_computed(calibration), sort_keys=False), out_dir / "calibration.yaml")
    record = out_dir / RECORD
    url = database_url(out_dir)
    started = time.perf_counter()
    before = _generations_in(out_dir)
    if not record.is_file():
        settings = SweepSettings(workers=calibration.workers, scheduler=calibration.scheduler,
                                 progress=calibration.progress)
        with dask_client(settings) as client:
            sampler = progress_sampler(client, calibration.batch_size, calibration.progress)
            if not ((out_dir / DATABASE).exists() and _has_run(url)):
                (out_dir / DATABASE).unlink(missing_ok=True)
                _abc(plan, sampler).new(url, plan.observed)
            deadline = None if calibration.max_minutes is None else started + 60.0 * calibration.max_minutes
            overrun = None  # the next generation's expected seconds, when the budget stopped the run
            while True:
                history = pyabc.History(url)
                if history.max_t + 1 >= calibration.generations or _converged(calibration, history):
                    break
                expected = _next_generation_seconds(history)
                if deadline is not None and time.perf_counter() + expected > deadline:
                    overrun = expected
                    break
                # One generation per ABCSMC, resumed from the database as after a kill: an ABCSMC
                # caches the population its ε is the quantile of (its prior sample, at its first
                # run), so a second run() of the same object would keep the first generation's ε.
                abc = _abc(plan, sampler)
                abc.load(url, 1)
                abc.run(minimum_epsilon=calibration.min_epsilon, max_nr_populations=1,
                        max_total_nr_simulations=calibration.max_simulations or np.inf)
        history = pyabc.History(url)
        populations = history.get_all_populations()
        stopped = (_stopping_reason(calibration, history) if overrun is None else
                   f"the wall-time budget ({calibration.max_minutes} minutes): the next generation would "
                   f"have taken about {overrun / 60:.0f} more")
        write_json({"status": "complete", "stopped": stopped,
                    "generations": int(history.max_t + 1), "simulations": int(history.total_nr_simulations),
                    "epsilon": float(populations["epsilon"].iloc[-1]),
                    "effective_sample_size": effective_sample_size(history, history.max_t)}, record)
    return _outcome(pyabc.History(url), before, started)


def _abc(plan: Plan, sampler):
    """pyabc's ABC-SMC of ``plan`` (ε: the median of the last generation's distances) on ``sampler``."""
    import pyabc

    calibration = plan.calibration
    abc = pyabc.ABCSMC(plan.simulator, prior_distribution(calibration), plan.discrepancy,
                       population_size=calibration.population_size, sampler=sampler,
                       eps=pyabc.epsilon.QuantileEpsilon(alpha=0.5))
    sampler.epsilon = abc.eps
    return abc


def _has_run(url: str) -> bool:
    import pyabc

    try:
        return len(pyabc.History(url).all_runs()) > 0
    except Exception:  # an empty or truncated file: start again
        return False


def _generations_in(out_dir: Path) -> int:
    import pyabc

    if not (out_dir / DATABASE).exists() or not _has_run(database_url(out_dir)):
        return 0
    return int(pyabc.History(database_url(out_dir)).max_t + 1)


def _converged(calibration: Calibration, history) -> bool:
    """Whether the run has reached its epsilon or its simulations (pyabc's own stopping criteria)."""
    populations = history.get_all_populations()
    populations = populations[populations["t"] >= 0]
    if len(populations) and populations["epsilon"].iloc[-1] <= calibration.min_epsilon:
        return True
    return calibration.max_simulations is not None and history.total_nr_simulations >= calibration.max_simulations


def _next_generation_seconds(history) -> float:
    """The expected wall time of the next generation: the last one's, times the growth of its simulations
    over the one before (the acceptance rate falls as ε does); 0 before any generation has run."""
    populations = history.get_all_populations()
    if len(populations) < 1 or history.max_t < 0:
        return 0.0
    last = populations.iloc[-1]
    growth = last["samples"] / populations.iloc[-2]["samples"] if len(populations) > 1 else 1.0
    return float(last["wall_time"] * max(growth, 1.0))


def _stopping_reason(calibration: Calibration, history) -> str:
    """Why the ABC run stopped: its generations, epsilon, simulations, or else its wall-time budget."""
    populations = history.get_all_populations()
    populations = populations[populations["t"] >= 0]
    if len(populations) >= calibration.generations:
        return f"{calibration.generations} generations"
    if len(populations) and populations["epsilon"].iloc[-1] <= calibration.min_epsilon:
        return f"epsilon at or below {calibration.min_epsilon}"
    if calibration.max_simulations is not None and history.total_nr_simulations >= calibration.max_simulations:
        return f"{calibration.max_simulations} simulations"
    return f"the wall-time budget ({calibration.max_minutes} minutes)"


def _outcome(history, before: int, started: float) -> Outcome:
    populations = history.get_all_populations()
    populations = populations[populations["t"] >= 0]
    return Outcome(int(history.max_t + 1), before, int(history.total_nr_simulations),
                   float(populations["epsilon"].iloc[-1]) if len(populations) else float("nan"),
                   time.perf_counter() - started)


# ------------------------------------------------------------------ results


def weighted_quantile(values: np.ndarray, weights: np.ndarray, q: float | np.ndarray) -> np.ndarray:
    """Quantiles of weighted values (the weighted empirical distribution, interpolated at mid-weights)."""
    order = np.argsort(values)
    values, weights = np.asarray(values, float)[order], np.asarray(weights, float)[order]
    cumulative = (np.cumsum(weights) - 0.5 * weights) / weights.sum()
    return np.interp(q, cumulative, values)


LOW_EFFECTIVE_SHARE = 0.25
"""An effective sample size below this share of the particles is reported as few."""


def effective_sample_size(history, t: int) -> float:
    """Kish's effective sample size of generation ``t``'s importance weights, (Σw)² / Σw² (pyabc's):
    how many equally weighted particles the posterior is worth."""
    from pyabc.weighted_statistics import effective_sample_size as ess

    _, weights = history.get_distribution(0, t)
    return float(ess(np.asarray(weights, dtype=float)))


def posterior_tables(plan: Plan, out_dir: Path) -> dict[str, pd.DataFrame]:
    """From the database: the final generation (posterior), its summary, the generations and the
    final generation's simulated target metrics (predictive)."""
    import pyabc

    history = pyabc.History(database_url(out_dir))
    t = history.max_t
    population = history.get_population(t)
    keys = list(plan.calibration.priors)
    rows, predictive = [], []
    for i, particle in enumerate(population.particles):
        values = plan.simulator.natural(particle.parameter)
        rows.append({"particle": i, "generation": t, "weight": particle.weight, "distance": particle.distance,
                     **{k: plan.simulator.typed(k, values[k]) for k in keys}})
        for metric in plan.simulator.metrics:
            trajectory = np.asarray(particle.sum_stat[f"trajectory:{metric}"], dtype=float)
            predictive.append(pd.DataFrame({"particle": i, "weight": particle.weight, "metric": metric,
                                            "step": np.arange(len(trajectory)), "value": trajectory}))
    posterior = pd.DataFrame(rows)
    posterior["weight"] /= posterior["weight"].sum()
    summary = pd.DataFrame([{
        "parameter": k, "prior": _prior_text(plan.calibration.priors[k]),
        "median": float(weighted_quantile(posterior[k], posterior["weight"], 0.5)),
        "q05": float(weighted_quantile(posterior[k], posterior["weight"], 0.05)),
        "q95": float(weighted_quantile(posterior[k], posterior["weight"], 0.95)),
        "mean": float(np.average(posterior[k], weights=posterior["weight"])),
    } for k in keys])
    generations = history.get_all_populations()
    generations = generations[generations["t"] >= 0].rename(columns={"t": "generation"})
    generations = generations.assign(acceptance_rate=generations["particles"] / generations["samples"],
                                     effective_sample_size=[effective_sample_size(history, int(g))
                                                            for g in generations["generation"]])
    return {"posterior": posterior, "summary": summary, "predictive": pd.concat(predictive, ignore_index=True),
            "generations": generations[["generation", "epsilon", "particles", "samples", "acceptance_rate",
                                        "effective_sample_size"]]}


def _prior_text(prior: Prior) -> str:
    if prior.distribution == "normal":
        return f"normal({prior.mean:g}, {prior.sd:g})"
    return f"{prior.distribution}({prior.low:g}, {prior.high:g})"


def median_config(plan: Plan, summary: pd.DataFrame) -> str:
    """A Hydra config (``# @package _global_``) of the run at the posterior median: the calibration's
    base overrides, its steps and the median of every parameter."""
    groups, values = [], {}
    for text in plan.calibration.base:
        key, _, value = text.partition("=")
        key = key.lstrip("+~")
        if (CONFIG_DIR / key).is_dir():
            groups.append(f"override /{key}: {value}")
        else:
            _nest(values, key, yaml.safe_load(value))
    _nest(values, "steps", plan.calibration.steps)
    for row in summary.itertuples():
        _nest(values, row.parameter, plan.simulator.typed(row.parameter, row.median))
    header = (f"# @package _global_\n# Posterior median of calibration {plan.calibration.name} "
              f"(python -m experiments.calibrate calibration={plan.calibration.name}).\n"
              f"# Use: python -m experiments.run +calibrated={plan.calibration.name}\n")
    body = yaml.safe_dump({**({"defaults": groups} if groups else {}), **values}, sort_keys=False)
    return header + body


def _nest(tree: dict, dotted: str, value: Any) -> None:
    *parents, leaf = dotted.split(".")
    for part in parents:
        tree = tree.setdefault(part, {})
    tree[leaf] = value


def write_results(plan: Plan, out_dir: Path) -> dict[str, pd.DataFrame]:
    from experiments.plots.calibration import plot_calibration  # matplotlib: only here, never on the workers

    tables = posterior_tables(plan, out_dir)
    write_parquet(tables["posterior"], out_dir / "posterior.parquet")
    write_parquet(tables["predictive"], out_dir / "predictive.parquet")
    write_csv(tables["summary"], out_dir / "posterior_summary.csv")
    write_csv(tables["generations"], out_dir / "generations.csv")
    text = median_config(plan, tables["summary"])
    write_text(text, out_dir / "posterior_median.yaml")
    if out_dir.resolve() == (DEFAULT_DIR / plan.calibration.name).resolve():
        write_text(text, CALIBRATED_DIR / f"{plan.calibration.name}.yaml")
    for old in (out_dir / "plots").glob("*.png"):
        old.unlink()
    plot_calibration(plan, tables, out_dir / "plots")
    return tables


# ------------------------------------------------------------------ command line


@hydra.main(config_path=str(CONFIG_DIR), config_name="calibrate", version_base="1.3")
def main(cfg: DictConfig) -> None:
    import pyabc  # noqa: F401  (it sets its loggers' levels on import: quieten them after)

    for name in ("MESA", "distributed", "ABC", "ABC.History", "ABC.Distance", "ABC.Epsilon"):
        logging.getLogger(name).setLevel(logging.WARNING)
    hydra_cfg = HydraConfig.get()
    out_dir = Path(hydra_cfg.runtime.output_dir)
    with user_errors():
        plan = plan_calibration(cfg, list(hydra_cfg.overrides.task))
        outcome = run_abc(plan, out_dir)
    name = plan.calibration.name
    tables = write_results(plan, out_dir)
    record = json.loads((out_dir / RECORD).read_text())
    print(f"{name}: {record['generations']} generations ({outcome.resumed_from} already done), "
          f"{record['simulations']} simulations, final epsilon {record['epsilon']:.4g}, "
          f"stopped: {record['stopped']} ({outcome.wall_time_s:.1f} s)")
    for row in tables["summary"].itertuples():
        print(f"  {row.parameter}: median {row.median:.4g}, 90% interval [{row.q05:.4g}, {row.q95:.4g}]")
    ess, particles = tables["generations"].iloc[-1][["effective_sample_size", "particles"]]
    print(f"effective sample size of the posterior: {ess:.1f} of {particles:.0f} particles"
          + (" (few: the intervals rest on few particles; more particles, or priors whose bounds the "
             "posterior does not pile against)" if ess < LOW_EFFECTIVE_SHARE * particles else ""))
    print(f"outputs: {out_dir}")
    if out_dir.resolve() == (DEFAULT_DIR / name).resolve():
        print(f"the posterior median as a run: python -m experiments.run +calibrated={name}")
    else:
        print(f"the posterior median: {out_dir / 'posterior_median.yaml'} (copy it to "
              f"configs/calibrated/{name}.yaml to run it with +calibrated={name})")


def check_calibration_command_line() -> None:
    """Validate ``sys.argv`` as a calibration's command line (one-line errors, exit 2); keep the checked form."""
    with user_errors():
        calibration_file([a for a in sys.argv[1:] if not a.startswith("-")])
        sys.argv[1:] = check_command_line(sys.argv[1:], "calibrate", validate=plan_calibration)


def cli() -> None:
    """Validate the command line and the calibration, then hand it to Hydra."""
    check_calibration_command_line()
    main()


if __name__ == "__main__":
    from experiments import calibrate  # the importable module, so that Dask ships the simulator by reference

    calibrate.cli()
