"""Designed experiments: sweeps over parameters with replicates, on a local or remote Dask cluster.

    python -m experiments.sweep experiment=smoke
    python -m experiments.sweep experiment=oversight_comparison sweep.workers=2
    python -m experiments.sweep experiment=sensitivity sweep.scheduler=tcp://10.0.0.5:8786
    python -m experiments.sweep experiment=smoke experiment.replicates=5 hydra.run.dir=results/smoke

An experiment (``configs/experiment/NAME.yaml``) names the base overrides of a
single run, the parameters (override keys of a run: values for a ``grid``,
ranges for ``lhs``, ``sobol``, ``morris``), replicates, steps and the metrics
to summarise.  Every run is one ``experiments.run`` run: its config is
composed from a list of overrides on a Dask worker and written by
``execute`` into ``runs/<run_id>/`` of the sweep's folder (Hydra's output
folder).  A run is complete when its ``manifest.json`` (written last) exists;
running the same command again does only the runs that are not.

Replicate seeds come from the experiment's seed through numpy's SeedSequence
and are shared by all conditions (common random numbers), so the tables do
not depend on the number of workers or on the order in which runs finish.
At the end: ``sweep.parquet`` (tidy: run, condition, replicate, seed,
parameters, step, date, metric, value), ``summary.csv`` (per condition and metric:
n, mean, sd, 95% CI of the per-run statistic), ``failures.csv``,
``sensitivity.csv`` (Sobol or Morris indices) and ``plots/``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import itertools
import json
import logging
import os
import shutil
import sys
import threading
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Literal

import dask
import hydra
import numpy as np
import pandas as pd
from distributed import Client, LocalCluster, as_completed
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig, OmegaConf
from scipy import stats as scipy_stats
from tqdm import tqdm

from experiments import sensitivity
from experiments.config import (CONFIG_DIR, SchemaError, _source_of, check_command_line, compose_checked,
                                hydra_configs, prepare, user_errors)
from experiments.outputs import metrics_table, write_atomic, write_parquet
from experiments.run import execute, run_id, simulate
from model.validation import bounds, load

EXIT_FAILED_RUNS = 1
SET_BY_SWEEP = ("seed", "steps", "plots", "progress")
"""Keys of a run the sweep sets itself: from the experiment's seed and steps; no plots or progress bars."""
LOOPBACK_ANY_PORT = "127.0.0.1:0"
"""Where the local scheduler's HTTP endpoints (health, metrics; no dashboard) listen: never 8787, never outside."""


# ------------------------------------------------------------------ schema


@dataclass(frozen=True)
class Parameter:
    """One swept override key of a run: ``values`` for a grid, ``range: [low, high]`` for a sampled design."""

    values: list[str | int | float | bool] | None = None
    range: list[float] | None = None


@dataclass(frozen=True)
class Experiment:
    """A designed experiment, as written in ``configs/experiment/NAME.yaml``."""

    name: str
    steps: int = field(metadata=bounds(1))
    metrics: list[str]
    description: str = ""
    base: list[str] = field(default_factory=list)
    design: Literal["grid", "lhs", "sobol", "morris"] = "grid"
    parameters: dict[str, Parameter] = field(default_factory=dict)
    samples: int | None = field(default=None, metadata=bounds(1))
    """Rows for lhs; N (a power of two) for sobol; trajectories for morris."""
    levels: int = field(default=4, metadata=bounds(2))
    """Morris grid levels."""
    second_order: bool = False
    """Sobol: also sample for second-order indices (N·(2D+2) rows instead of N·(D+2))."""
    replicates: int = field(default=1, metadata=bounds(1))
    seed: int = field(default=0, metadata=bounds(0))
    statistic: Literal["final", "mean"] = "final"
    """What a run contributes to summary.csv and the indices: a metric's last value, or its mean over steps 1.."""


@dataclass(frozen=True)
class SweepSettings:
    """How to run the sweep (``sweep.*`` on the command line); never changes the results."""

    workers: int | None = field(default=None, metadata=bounds(1))
    scheduler: str | None = None
    progress: bool = True
    fail_condition: str | None = None
    """For tests only: every run of this condition raises."""


@dataclass(frozen=True)
class SweepConfig:
    """The sweep app's whole config (``configs/sweep.yaml`` with the chosen experiment)."""

    experiment: Experiment
    sweep: SweepSettings


# ------------------------------------------------------------------ plan


@dataclass(frozen=True)
class Condition:
    """One point of the design: an id (``c07``) and a value per parameter."""

    id: str
    values: dict[str, Any]


@dataclass(frozen=True)
class Run:
    """One replicate of one condition: plain data, shipped to a Dask worker."""

    run_id: str
    condition: str
    replicate: int
    seed: int
    overrides: tuple[str, ...]


@dataclass(frozen=True)
class Plan:
    """A validated sweep: its conditions and runs (several conditions may share a run when
    a sampled design rounds to the same values), and SALib's sample for the analysis."""

    experiment: Experiment
    settings: SweepSettings
    conditions: list[Condition]
    runs: list[Run]
    sample: np.ndarray | None = None
    problem: dict | None = None


def plan_sweep(cfg: DictConfig, overrides: list[str]) -> Plan:
    """Validate the sweep's config and every run it describes (one-line SchemaError); run nothing."""
    source = _experiment_file(overrides)
    field_overrides = [o for o in overrides if not o.startswith("experiment=")]

    def where(field_path: str) -> str:  # the override that set a field, else the experiment file
        return _source_of(field_path, field_overrides, source)

    config = _load_config(cfg, where)
    experiment = config.experiment
    _check_design(experiment, config.sweep, where)
    seeds = replicate_seeds(experiment.seed, experiment.replicates)
    with hydra_configs(), _blamed_on(source):
        configs = _RunConfigs(experiment.base)
        conditions, sample, problem = _conditions(experiment, configs, where)
        runs = [run for condition in conditions for run in _runs(configs, experiment, condition, seeds)]
    if config.sweep.fail_condition not in (None, *(c.id for c in conditions)):
        raise SchemaError(where("sweep.fail_condition"), "sweep.fail_condition", config.sweep.fail_condition,
                          f"a condition id, {conditions[0].id} to {conditions[-1].id}")
    _check_metrics(experiment, runs[0], where)
    return Plan(experiment, config.sweep, conditions, runs, sample, problem)


def replicate_seeds(seed: int, replicates: int) -> list[int]:
    """One seed per replicate, spawned from ``seed``; replicate r's seed does not depend on how many there are."""
    return [int(child.generate_state(1)[0]) for child in np.random.SeedSequence(seed).spawn(replicates)]


def hydra_value(value: Any) -> str:
    """A parameter value as Hydra reads it back on a command line."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return "null" if value is None else repr(value) if isinstance(value, float) else str(value)


def _experiment_file(overrides: list[str]) -> str:
    name = next((o.split("=", 1)[1] for o in overrides if o.startswith("experiment=")), None)
    if not name:
        raise SchemaError("command line", "experiment", None,
                          "experiment=NAME, one of " + ", ".join(experiment_names()))
    return str(CONFIG_DIR / "experiment" / f"{name}.yaml")


def experiment_names() -> list[str]:
    return sorted(p.stem for p in (CONFIG_DIR / "experiment").glob("*.yaml"))


def _load_config(cfg: DictConfig, where: Callable[[str], str]) -> SweepConfig:
    """The typed sweep config; an error names the override that set the field, else the experiment file."""
    data = OmegaConf.to_container(cfg, resolve=True)
    data.pop("hydra", None)
    try:
        return load(SweepConfig, data, "")
    except SchemaError as err:
        raise SchemaError(where(err.field), err.field, err.value, err.allowed) from None


def _check_design(experiment: Experiment, settings: SweepSettings, where: Callable[[str], str]) -> None:
    """What the schema alone cannot say: the design's sample size, metrics, keys the sweep sets."""
    sampled = experiment.design != "grid"
    for key, parameter in experiment.parameters.items():
        _check_parameter(key, parameter, experiment.design, where)
    for text in experiment.base:
        if text.split("=", 1)[0].lstrip("+~") in SET_BY_SWEEP:
            raise SchemaError(where("experiment.base"), "experiment.base", text, _NOT_SET_BY_SWEEP)
    if sampled and not experiment.parameters:
        raise SchemaError(where("experiment.parameters"), "experiment.parameters", {},
                          f"at least one parameter (design {experiment.design})")
    if sampled and experiment.samples is None:
        raise SchemaError(where("experiment.samples"), "experiment.samples", None,
                          f"a number of samples (design {experiment.design})")
    if experiment.design == "sobol" and experiment.samples & (experiment.samples - 1):
        raise SchemaError(where("experiment.samples"), "experiment.samples", experiment.samples,
                          "a power of two (design sobol)")
    if not experiment.metrics or len(set(experiment.metrics)) != len(experiment.metrics):
        raise SchemaError(where("experiment.metrics"), "experiment.metrics", experiment.metrics,
                          "a non-empty list of distinct metric names")
    if settings.scheduler is not None and settings.workers is not None:
        raise SchemaError(where("sweep.workers"), "sweep.workers", settings.workers,
                          "null with sweep.scheduler (the cluster has its own workers)")


_NOT_SET_BY_SWEEP = (f"a key or config group of a run other than {', '.join(SET_BY_SWEEP)} "
                     "(the sweep sets those from experiment.seed and experiment.steps)")


def _check_parameter(key: str, parameter: Parameter, design: str, where: Callable[[str], str]) -> None:
    """A grid parameter has distinct ``values``; a sampled one a ``range`` [low, high]."""
    field_path = f"experiment.parameters.{key}"
    if key.lstrip("+~") in SET_BY_SWEEP or key != key.lstrip("+~"):
        raise SchemaError(where(field_path), field_path, key, _NOT_SET_BY_SWEEP)
    if design == "grid":
        if parameter.range is not None or not parameter.values or len(
                set(map(repr, parameter.values))) != len(parameter.values):
            raise SchemaError(where(field_path), field_path, dataclasses.asdict(parameter),
                              "values: a list of distinct values (design grid; ranges are for lhs, sobol, morris)")
    elif (parameter.values is not None or parameter.range is None or len(parameter.range) != 2
          or not parameter.range[0] < parameter.range[1]):
        raise SchemaError(where(field_path), field_path, dataclasses.asdict(parameter),
                          f"range: [low, high] with low < high (design {design})")


@contextlib.contextmanager
def _blamed_on(source: str) -> Iterator[None]:
    """Prefix a run's SchemaError with the experiment file that asked for the run."""
    try:
        yield
    except SchemaError as err:
        raise SchemaError(f"{source}: {err.where}", err.field, err.value, err.allowed) from None


class _RunConfigs:
    """Run configs of an experiment, composed with Hydra's Compose API.

    Composing costs about 60 ms (copying a config about 3), and a Sobol design
    has hundreds of rows that differ only in numbers; so Hydra composes the base
    overrides plus a condition's config-group choices once per combination of
    choices, and the condition's values are then set on that config in place,
    as Hydra applies a value override (``OmegaConf.update``): every condition
    with the same choices sets the same keys.  Workers compose each run from
    its override list and check that they get the same run id.
    """

    def __init__(self, base: list[str]):
        self.base = list(base)
        self._composed: dict[tuple[str, ...], DictConfig] = {}

    def template(self, groups: tuple[str, ...] = ()) -> DictConfig:
        if groups not in self._composed:
            self._composed[groups] = compose_checked(self.base + list(groups) + ["plots=false", "progress=false"])
        return self._composed[groups]

    def condition(self, values: dict[str, Any]) -> DictConfig:
        """The config of one condition (seed and steps still to set); valid until the next call."""
        texts = [f"{key}={hydra_value(value)}" for key, value in values.items()]
        cfg = self.template(tuple(t for t in texts if _is_group(t.split("=", 1)[0])))
        for key, value in values.items():
            if _is_group(key):
                continue
            if OmegaConf.select(cfg, key, default=_ABSENT) is _ABSENT:
                compose_checked(self.base + texts)  # Hydra's one-line error for the unknown key
            OmegaConf.update(cfg, key, value, merge=True)
        return cfg


_ABSENT = object()


def _is_group(key: str) -> bool:
    return (CONFIG_DIR / key).is_dir()


def _conditions(experiment: Experiment, configs: _RunConfigs,
                where: Callable[[str], str]) -> tuple[list[Condition], np.ndarray | None, dict | None]:
    """The design's conditions, in design order; for sampled designs also SALib's sample and problem."""
    keys = list(experiment.parameters)
    if experiment.design == "grid":
        rows = [dict(zip(keys, combo)) for combo in itertools.product(
            *(p.values for p in experiment.parameters.values()))]
        sample, problem = None, None
    else:
        problem = sensitivity.problem({k: tuple(p.range) for k, p in experiment.parameters.items()})
        sample = sensitivity.sample(experiment.design, problem, experiment.samples, experiment.seed,
                                    experiment.levels, experiment.second_order)
        integer = {key: _integer_key(configs, key, experiment.parameters[key], where) for key in keys}
        rows = [{k: sensitivity.tidy_value(x, integer[k]) for k, x in zip(keys, row)} for row in sample]
    width = len(str(len(rows) - 1))
    return [Condition(f"c{i:0{width}d}", row) for i, row in enumerate(rows)], sample, problem


def _integer_key(configs: _RunConfigs, key: str, parameter: Parameter, where: Callable[[str], str]) -> bool:
    """Whether a sampled key holds an integer in the run's config (then samples are rounded)."""
    current = OmegaConf.select(configs.template(), key, default=_ABSENT)
    if current is _ABSENT:
        compose_checked(configs.base + [f"{key}={parameter.range[0]}"])  # Hydra's one-line error
    if isinstance(current, bool) or not isinstance(current, (int, float)):
        raise SchemaError(where(f"experiment.parameters.{key}"), f"experiment.parameters.{key}", current,
                          "a key holding a number in the run's config (ranges are sampled numbers)")
    return isinstance(current, int)


def _runs(configs: _RunConfigs, experiment: Experiment, condition: Condition, seeds: list[int]) -> list[Run]:
    """The condition's runs, validated once: override lists and the ids of their resolved configs
    (``run_id`` of run.py), which differ only in ``seed``."""
    cfg = configs.condition(condition.values)
    cfg.seed, cfg.steps = seeds[0], experiment.steps
    shared = configs.base + [f"{k}={hydra_value(v)}" for k, v in condition.values.items()]
    resolved = prepare(cfg, shared).resolved
    return [Run(run_id({**resolved, "seed": seed}), condition.id, replicate, seed,
                tuple(shared + [f"seed={seed}", f"steps={experiment.steps}", "plots=false", "progress=false"]))
            for replicate, seed in enumerate(seeds)]


def _check_metrics(experiment: Experiment, run: Run, where: Callable[[str], str]) -> None:
    """The metrics to summarise must be ones the model records (read at step 0 of the first run)."""
    with hydra_configs():
        setup = prepare(compose_checked(list(run.overrides)), list(run.overrides))
    setup = dataclasses.replace(setup, settings=dataclasses.replace(setup.settings, steps=0))
    recorded = set(metrics_table(simulate(setup))["metric"])
    unknown = [m for m in experiment.metrics if m not in recorded]
    if unknown:
        raise SchemaError(where("experiment.metrics"), "experiment.metrics", unknown[0],
                          "metrics the model records: " + ", ".join(sorted(recorded)))


# ------------------------------------------------------------------ runs (on the workers)


class InjectedFailure(RuntimeError):
    """Raised by the runs of ``sweep.fail_condition`` (tests of failure handling)."""


_HYDRA_LOCK = threading.Lock()  # Hydra's Compose API keeps global state: one composition at a time per process


def run_task(run: Run, runs_dir: str, fail_condition: str | None = None) -> str:
    """Do one run on a Dask worker: compose its config, check its id, write ``runs_dir/<run_id>/``."""
    if run.condition == fail_condition:
        raise InjectedFailure(f"condition {run.condition} fails on purpose (sweep.fail_condition)")
    out_dir = Path(runs_dir) / run.run_id
    if is_complete(out_dir):  # a retry of a run whose first attempt finished after all
        return run.run_id
    shutil.rmtree(out_dir, ignore_errors=True)  # what an interrupted attempt left
    with _HYDRA_LOCK, hydra_configs():
        setup = prepare(compose_checked(list(run.overrides)), list(run.overrides))
    if run_id(setup.resolved) != run.run_id:
        raise RuntimeError(f"run {run.run_id}: the worker composed a different config (id "
                           f"{run_id(setup.resolved)}); do the sweep and its workers use the same configs/?")
    execute(setup, out_dir)
    return run.run_id


def is_complete(run_dir: Path) -> bool:
    """A run is complete when its manifest, written last, exists."""
    return (Path(run_dir) / "manifest.json").is_file()


# ------------------------------------------------------------------ execution


@dataclass(frozen=True)
class Failure:
    """A run that raised twice (Dask retries once): its one-line error and traceback."""

    run: Run
    error: str
    traceback: str


@contextlib.contextmanager
def dask_client(settings: SweepSettings) -> Iterator[Any]:
    """A client of ``sweep.scheduler``, or of a local cluster: one single-threaded worker process per
    core (``sweep.workers``), listening on 127.0.0.1 only, no dashboard, without the workers'
    statistical profiler (it samples the running task's stack every 10 ms: runs took about twice as
    long with it), and with glibc's own heap trimming in the workers: Dask's nannies set
    ``MALLOC_TRIM_THRESHOLD_=65536``, which hands freed memory back to the system at once, so that a
    run's many short-lived arrays fault their pages in again (a run of the throughput experiment
    took about 20 % more CPU in a worker than in a plain process with it, about 5 % without)."""
    if settings.scheduler:
        try:
            client = Client(settings.scheduler)
        except (OSError, TimeoutError, ValueError) as err:
            raise SchemaError(f"override 'sweep.scheduler={settings.scheduler}'", "sweep.scheduler",
                              settings.scheduler, f"the address of a running Dask scheduler ({err})") from None
        with client:
            yield client
        return
    workers = settings.workers or os.cpu_count() or 1
    local = {"distributed.worker.profile.enabled": False,
             "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None}
    with dask.config.set(local), LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None, scheduler_kwargs={"dashboard_address": LOOPBACK_ANY_PORT},
                      silence_logs=logging.CRITICAL) as cluster, Client(cluster) as client:
        yield client  # failures are reported in failures.csv: the workers' own logs are silenced


def execute_runs(todo: list[Run], runs_dir: Path, settings: SweepSettings, complete: int,
                 name: str) -> list[Failure]:
    """Run ``todo`` on Dask (each retried once), with a progress bar; return the runs that failed."""
    failures: list[Failure] = []
    done = complete
    with dask_client(settings) as client, tqdm(total=complete + len(todo), initial=complete, unit="run",
                                               desc=name, disable=not settings.progress) as bar:
        futures = client.map(run_task, todo, runs_dir=str(runs_dir), fail_condition=settings.fail_condition,
                             retries=1, pure=False)
        by_key = {future.key: run for future, run in zip(futures, todo)}
        for future in as_completed(futures):
            if future.status == "error":
                error = future.exception()
                failures.append(Failure(by_key[future.key], _one_line(error), "".join(
                    traceback.format_exception(type(error), error, future.traceback()))))
            else:
                done += 1
            future.release()
            bar.set_postfix(done=done, failed=len(failures), refresh=False)
            bar.update()
    return failures


def _one_line(error: BaseException) -> str:
    text = " ".join(str(error).split("\n")[0].split())
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


# ------------------------------------------------------------------ results


def sweep_table(plan: Plan, runs_dir: Path) -> pd.DataFrame:
    """All complete runs, tidy: run_id, condition, replicate, seed, one column per parameter, step,
    date, metric, value (only the experiment's metrics).  Incomplete runs are never read."""
    values = {c.id: c.values for c in plan.conditions}
    keys = list(plan.experiment.parameters)
    columns = ["run_id", "condition", "replicate", "seed", *keys, "step", "date", "metric", "value"]
    frames = []
    for run in plan.runs:
        if not is_complete(runs_dir / run.run_id):
            continue
        metrics = pd.read_parquet(runs_dir / run.run_id / "metrics.parquet")
        metrics = metrics[metrics["metric"].isin(plan.experiment.metrics)]
        frames.append(metrics.assign(run_id=run.run_id, condition=run.condition, replicate=run.replicate,
                                     seed=run.seed, **values[run.condition])[columns])
    if not frames:
        return pd.DataFrame(columns=columns)
    return (pd.concat(frames, ignore_index=True)
            .sort_values(["condition", "replicate", "step", "metric"], kind="stable").reset_index(drop=True))


def run_statistics(table: pd.DataFrame, statistic: str) -> pd.DataFrame:
    """One value per run and metric: its last value (``final``) or its mean over steps 1.. (``mean``)."""
    by = ["condition", "replicate", "metric"]
    if statistic == "final":
        picked = table[table["step"] == table.groupby(by)["step"].transform("max")]
        return picked[by + ["value"]].reset_index(drop=True)
    return table[table["step"] >= 1].groupby(by, as_index=False)["value"].mean()


def describe(frame: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """n, mean, sd and the 95% confidence interval of the mean (Student t) of ``value`` per group."""
    out = frame.groupby(by, as_index=False)["value"].agg(n="count", mean="mean", sd="std")
    half = scipy_stats.t.ppf(0.975, out["n"] - 1) * out["sd"] / np.sqrt(out["n"])  # NaN for n = 1
    return out.assign(ci95_low=out["mean"] - half, ci95_high=out["mean"] + half)


def summary_table(plan: Plan, statistics: pd.DataFrame) -> pd.DataFrame:
    """Per condition and metric: the parameter values, the statistic's name, n, mean, sd, 95% CI."""
    params = pd.DataFrame([{"condition": c.id, **c.values} for c in plan.conditions])
    described = describe(statistics, ["condition", "metric"]).assign(statistic=plan.experiment.statistic)
    columns = ["condition", *plan.experiment.parameters, "metric", "statistic", "n", "mean", "sd",
               "ci95_low", "ci95_high"]
    return params.merge(described, on="condition")[columns]


def indices_table(plan: Plan, statistics: pd.DataFrame) -> pd.DataFrame | None:
    """Sobol or Morris indices per metric, from each row's statistic averaged over its replicates.

    None for grids and LHS, or when a row has no complete run (SALib needs every row)."""
    if plan.sample is None or plan.experiment.design == "lhs":
        return None
    means = statistics.groupby(["metric", "condition"])["value"].mean()
    ids = [c.id for c in plan.conditions]
    tables = []
    for metric in plan.experiment.metrics:
        y = means.get(metric, pd.Series(dtype=float)).reindex(ids).to_numpy()
        if np.isnan(y).any():
            return None
        table = sensitivity.analyse(plan.experiment.design, plan.problem, plan.sample, y, plan.experiment.seed,
                                    plan.experiment.levels, plan.experiment.second_order)
        tables.append(table.assign(metric=metric, statistic=plan.experiment.statistic))
    return pd.concat(tables, ignore_index=True)


def failures_table(plan: Plan, failures: list[Failure]) -> pd.DataFrame:
    """One row per failed run (and per condition sharing it): ids, seed, the error and its traceback."""
    by_id = {f.run.run_id: f for f in failures}
    rows = [{"run_id": r.run_id, "condition": r.condition, "replicate": r.replicate, "seed": r.seed,
             "error": by_id[r.run_id].error, "traceback": by_id[r.run_id].traceback}
            for r in plan.runs if r.run_id in by_id]
    return pd.DataFrame(rows, columns=["run_id", "condition", "replicate", "seed", "error", "traceback"])


def write_results(plan: Plan, out_dir: Path, failures: list[Failure]) -> None:
    """Write sweep.parquet, summary.csv, failures.csv, sensitivity.csv (Sobol, Morris) and plots/,
    replacing those of an earlier command in the same folder."""
    from experiments.plots.sweep import plot_sweep  # matplotlib: only here, never on the workers

    table = sweep_table(plan, out_dir / "runs")
    statistics = run_statistics(table, plan.experiment.statistic)
    summary = summary_table(plan, statistics)
    indices = indices_table(plan, statistics)
    write_parquet(table, out_dir / "sweep.parquet")
    write_csv(summary, out_dir / "summary.csv")
    write_csv(failures_table(plan, failures), out_dir / "failures.csv")
    (out_dir / "sensitivity.csv").unlink(missing_ok=True)
    if indices is not None:
        write_csv(indices, out_dir / "sensitivity.csv")
    for old in (out_dir / "plots").glob("*.png"):
        old.unlink()
    plot_sweep(over_time=describe(table, ["condition", "metric", "step", "date"]), summary=summary,
               indices=indices, conditions={c.id: c.values for c in plan.conditions}, design=plan.experiment.design,
               parameters=list(plan.experiment.parameters), statistic=plan.experiment.statistic,
               out_dir=out_dir / "plots", title=plan.experiment.name)


def write_csv(table: pd.DataFrame, path: Path) -> Path:
    return write_atomic(path, lambda tmp: table.to_csv(tmp, index=False))


# ------------------------------------------------------------------ command line


@dataclass(frozen=True)
class Outcome:
    """What one command did: runs of the sweep, complete before it, done by it, failed."""

    runs: int
    complete_before: int
    failures: list[Failure]
    revisions: set[str]
    """Git revisions of the code that made the complete runs (resume keys on configs, not code)."""

    @property
    def done(self) -> int:
        return self.runs - self.complete_before - len(self.failures)


def run_sweep(plan: Plan, out_dir: Path) -> Outcome:
    """Do the runs that are not complete yet, then write the sweep's tables and plots."""
    runs_dir = out_dir / "runs"
    unique = list({run.run_id: run for run in plan.runs}.values())
    todo = [run for run in unique if not is_complete(runs_dir / run.run_id)]
    failures = []
    if todo:  # a finished sweep starts no cluster
        failures = execute_runs(todo, runs_dir, plan.settings, len(unique) - len(todo), plan.experiment.name)
    write_results(plan, out_dir, failures)
    revisions = {json.loads((runs_dir / run.run_id / "manifest.json").read_text())["git_revision"]
                 for run in unique if is_complete(runs_dir / run.run_id)}
    return Outcome(len(unique), len(unique) - len(todo), failures, revisions)


@hydra.main(config_path=str(CONFIG_DIR), config_name="sweep", version_base="1.3")
def main(cfg: DictConfig) -> None:
    """The Hydra app: plan, run what is missing, write the results, summarise; exit 1 if a run failed."""
    for name in ("MESA", "distributed"):
        logging.getLogger(name).setLevel(logging.WARNING)
    hydra_cfg = HydraConfig.get()
    out_dir = Path(hydra_cfg.runtime.output_dir)
    started = time.perf_counter()
    with user_errors():
        plan = plan_sweep(cfg, list(hydra_cfg.overrides.task))
        outcome = run_sweep(plan, out_dir)
    print(f"{plan.experiment.name}: {len(plan.conditions)} conditions × {plan.experiment.replicates} replicates, "
          f"{outcome.runs} runs: {outcome.complete_before} already complete, {outcome.done} done, "
          f"{len(outcome.failures)} failed ({time.perf_counter() - started:.1f} s)")
    if outcome.failures:
        print(f"failed runs: {out_dir / 'failures.csv'} (first: {outcome.failures[0].error})")
    if len(outcome.revisions) > 1:
        print(f"warning: the runs come from {len(outcome.revisions)} revisions of the code ("
              + ", ".join(sorted(r[:10] for r in outcome.revisions)) + "): git_revision in runs/*/manifest.json")
    print(f"outputs: {out_dir}")
    if outcome.failures:
        sys.exit(EXIT_FAILED_RUNS)


def cli() -> None:
    """Validate the command line and the whole design (one-line errors, exit 2), then hand it to Hydra."""
    with user_errors():
        _experiment_file([a for a in sys.argv[1:] if not a.startswith("-")])
        sys.argv[1:] = check_command_line(sys.argv[1:], "sweep", validate=plan_sweep)
    main()


if __name__ == "__main__":
    from experiments import sweep  # the importable module, so that Dask ships run_task by reference

    sweep.cli()
