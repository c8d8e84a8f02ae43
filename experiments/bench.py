"""Benchmark: cost per actor-step of the world and article scenarios against Mesa's Boltzmann model,
and the sweep's and the calibration's parallel throughput.

    python -m experiments.bench                  # sizes 3,400 and 34,000 cities, 24 steps, median of 3
    python -m experiments.bench repeats=1 steps=12 sweep_runs=4 calibration_population=4

Each model is timed against Mesa's Boltzmann model at the same N, the two
in processes of their own taking turns of 12 steps (``Turns``: the machine
is noisy, and only ratios measured together mean anything): µs per
actor-step of the world scenario at each size, its ratio to Boltzmann's at
the same N, the scaling exponent b of time ∝ N^b between the two sizes,
the peak resident memory of a timed model's process; the ``article`` scenario's stepping (as
``experiments.run`` builds it) against Boltzmann at the same N
(``article_ratio_to_boltzmann``); and the same ``sweep_runs`` runs of the
``throughput`` experiment done by two plain processes at once and by the
sweep on 2 Dask workers (``sweep_parallel_efficiency``: the first time over
the second; both include starting their processes); and one generation of
the ``network_growth`` calibration (pyabc on 2 Dask workers) against as many
of its simulations done by two plain processes
(``calibration_parallel_efficiency``, per simulation).  Prints a table and
writes ``bench.json`` into the Hydra output folder.
"""

from __future__ import annotations

import gc
import logging
import math
import multiprocessing
import os
import platform
import pickle
import resource
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import hydra
import numpy as np
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig, OmegaConf

from experiments.config import PROJECT_ROOT, compose_checked, hydra_configs, load_scenario, prepare, user_errors
from experiments.outputs import write_json
from model import DiplomacyModel
from model.scenario import city_table
from model.validation import bounds, load


@dataclass(frozen=True)
class BenchSettings:
    sizes: list[int] = field(default_factory=lambda: [3400, 34000], metadata=bounds(10))
    steps: int = field(default=24, metadata=bounds(1))
    repeats: int = field(default=3, metadata=bounds(1))
    seed: int = 1
    article_steps: int = field(default=120, metadata=bounds(1))
    sweep_runs: int = field(default=8, metadata=bounds(2))
    sweep_steps: int = field(default=24, metadata=bounds(1))
    calibration: str = "network_growth"
    calibration_population: int = field(default=30, metadata=bounds(2))


def threshold_for(n_cities: int) -> int:
    """The population threshold that keeps about the ``n_cities`` most populous geonames cities."""
    populations = np.sort(city_table()["population"])[::-1]
    return int(populations[min(n_cities, len(populations)) - 1])


TURN_STEPS = 12
"""Steps a model takes in each of its turns (``Turns``): long enough that it works in a warm cache."""


def _stepper(build, args: tuple, connection) -> None:
    """A timed model in a process of its own: built, then stepped turn by turn as the parent asks."""
    model, agents = build(*args)
    connection.send(agents)
    gc.collect()  # building's garbage is not the steps' cost
    while (steps := connection.recv()) is not None:
        started = time.perf_counter()
        for _ in range(steps):
            model.step()
        connection.send(time.perf_counter() - started)
    connection.send(peak_memory_mb())


class Turns:
    """Models timed in turns, each in a process of its own (started afresh: ``build`` and its arguments
    are pickled).

    The machine's load changes over a run (2 shared cores): models that
    take turns of ``TURN_STEPS`` steps meet the same load, so their ratio is
    a paired measurement, not two measurements minutes apart; and a model
    alone in its process never pays for collecting another's objects.
    """

    def __init__(self) -> None:
        self.connections, self.processes = [], []
        self.peaks: list[float] = []
        """Each process's peak resident memory in MB, once ``run`` has ended it."""

    def start(self, build, *args) -> int:
        """Build a model in a new process (``build(*args)``: the model and its number of agents); that number."""
        context = multiprocessing.get_context("spawn")
        parent, child = context.Pipe()
        process = context.Process(target=_stepper, args=(build, args, child), daemon=True)
        process.start()
        self.connections.append(parent)
        self.processes.append(process)
        try:
            return parent.recv()
        except EOFError:
            raise RuntimeError(f"building a timed model ({build.__name__}) failed: its error is above") from None

    def run(self, steps: int) -> list[float]:
        """Seconds each model takes for ``steps`` steps, in turns; then each process reports its peak
        memory (``peaks``) and ends."""
        seconds = [0.0] * len(self.connections)
        for first in range(0, steps, TURN_STEPS):
            for k, connection in enumerate(self.connections):
                connection.send(min(TURN_STEPS, steps - first))
                seconds[k] += connection.recv()
        for connection, process in zip(self.connections, self.processes):
            connection.send(None)
            self.peaks.append(connection.recv())
            process.join()
        return seconds


def world_model(min_population: int, seed: int) -> tuple[DiplomacyModel, int]:
    """The world scenario's model of the cities above ``min_population``, and its number of cities."""
    model = DiplomacyModel(load_scenario(PROJECT_ROOT / "scenarios" / "world.yaml", min_population), rng=seed)
    return model, len(model.subnationals)


def boltzmann_model(n: int, seed: int):
    """Mesa's Boltzmann wealth model with ``n`` agents on the smallest square grid that holds them, and n."""
    from mesa.examples.basic.boltzmann_wealth_model.model import BoltzmannScenario, BoltzmannWealth

    side = math.ceil(math.sqrt(n))
    return BoltzmannWealth(scenario=BoltzmannScenario(n=n, width=side, height=side, rng=seed)), n


def article_model(seed: int) -> tuple[DiplomacyModel, int]:
    """The ``article`` scenario's model as ``experiments.run`` builds it, and its governments and networks."""
    overrides = ["scenario=article", f"seed={seed}", "plots=false", "progress=false"]
    with hydra_configs():
        setup = prepare(compose_checked(overrides), overrides)
    model = DiplomacyModel(setup.scenario, setup.rules, rng=seed)
    return model, len(model.subnationals) + len(model.nationals) + len(model.networks)


def against_boltzmann(build, args: tuple, steps: int, seed: int) -> tuple[int, float, float, float]:
    """(agents, seconds of the model ``build(*args)``, seconds of Boltzmann with as many agents, the
    larger peak memory of the two processes in MB) for ``steps`` steps in turns; building is not timed."""
    turns = Turns()
    n = turns.start(build, *args)
    turns.start(boltzmann_model, n, seed)
    model_s, boltzmann_s = turns.run(steps)
    return n, model_s, boltzmann_s, max(turns.peaks)


_LANE = "import pickle, sys\nfrom experiments.sweep import run_task\nfor run in pickle.load(open(sys.argv[1], 'rb')):\n    run_task(run, sys.argv[2])\n"


def sweep_throughput(runs: int, steps: int, folder: Path) -> dict:
    """Seconds for the same runs done by two plain processes at once, and by the sweep on 2 Dask workers.

    Each plain process does every other run through the sweep's own
    ``run_task`` (compose, build, simulate, write), with one thread per
    numerical library as Dask's nannies give their workers, so the two
    differ only in how the runs are distributed.
    """
    from experiments.sweep import SweepSettings, execute_runs, plan_sweep

    overrides = ["experiment=throughput", f"experiment.replicates={runs}", f"experiment.steps={steps}",
                 "sweep.progress=false"]
    plan = plan_sweep(compose_checked(overrides, config_name="sweep"), overrides)
    folder.mkdir(parents=True, exist_ok=True)
    lanes = []
    for k in range(2):
        (folder / f"lane{k}.pkl").write_bytes(pickle.dumps(plan.runs[k::2]))
        lanes.append([sys.executable, "-c", _LANE, str(folder / f"lane{k}.pkl"), str(folder / f"plain{k}")])
    started = time.perf_counter()
    single = {**os.environ, **dict.fromkeys(("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"), "1")}
    for process in [subprocess.Popen(lane, cwd=PROJECT_ROOT, env=single) for lane in lanes]:
        if process.wait():
            raise RuntimeError(f"a plain process of the sweep benchmark failed (exit {process.returncode})")
    plain = time.perf_counter() - started
    started = time.perf_counter()
    failures = execute_runs(plan.runs, folder / "sweep", SweepSettings(workers=2, progress=False), 0, "throughput")
    dask = time.perf_counter() - started
    if failures:
        raise RuntimeError(f"a run of the sweep benchmark failed: {failures[0].error}")
    return {"sweep_runs": runs, "sweep_steps": steps, "two_plain_processes_s": plain, "sweep_2_workers_s": dask,
            "sweep_parallel_efficiency": plain / dask}


_SIMULATIONS = ("import pickle, sys\nsimulator, draws = pickle.load(open(sys.argv[1], 'rb'))\n"
                "for values, seed in draws:\n    simulator.run(values, seed)\n")


def calibration_throughput(name: str, population: int, folder: Path) -> dict:
    """Seconds per simulation of calibration ``name`` (pyabc on 2 Dask workers, one
    generation of ``population`` particles after its prior sample), and of as many simulations of
    its prior's draws done by two plain processes at once (``calibration_parallel_efficiency``: the
    plain processes' time per simulation over pyabc's; both include starting their processes)."""
    from experiments import calibrate

    overrides = [f"calibration={name}", f"calibration.population_size={population}",
                 "calibration.generations=1", "calibration.workers=2", "calibration.progress=false"]
    with hydra_configs():
        plan = calibrate.plan_calibration(compose_checked(overrides, config_name="calibrate"), overrides)
    outcome = calibrate.run_abc(plan, folder / "abc")
    rng = np.random.default_rng(0)
    prior = calibrate.prior_distribution(plan.calibration)
    draws = [(plan.simulator.natural(prior.rvs()), int(rng.integers(2**31 - 1)))
             for _ in range(outcome.simulations)]
    single = {**os.environ, **dict.fromkeys(("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"), "1")}
    lanes = []
    for k in range(2):
        (folder / f"simulations{k}.pkl").write_bytes(pickle.dumps((plan.simulator, draws[k::2])))
        lanes.append([sys.executable, "-c", _SIMULATIONS, str(folder / f"simulations{k}.pkl")])
    started = time.perf_counter()
    for process in [subprocess.Popen(lane, cwd=PROJECT_ROOT, env=single) for lane in lanes]:
        if process.wait():
            raise RuntimeError(f"a plain process of the calibration benchmark failed (exit {process.returncode})")
    plain = time.perf_counter() - started
    per_abc, per_plain = outcome.wall_time_s / outcome.simulations, plain / outcome.simulations
    return {"calibration": name, "calibration_simulations": outcome.simulations, "calibration_abc_s": outcome.wall_time_s,
            "calibration_two_plain_processes_s": plain, "calibration_parallel_efficiency": per_plain / per_abc}


def landscape_minimum_seconds(n: int = 20, k: int = 2, seed: int = 0) -> float:
    """Time of the exhaustive landscape minimum (Axelrod & Bennett 1993) for n actors and k coalitions."""
    from model.rules import landscape_minimum

    rng = np.random.default_rng(seed)
    p = rng.normal(size=(n, n))
    started = time.perf_counter()
    landscape_minimum(rng.uniform(0.5, 2.0, n), (p + p.T) / 2, k)
    return time.perf_counter() - started


def peak_memory_mb() -> float:
    """Peak resident set size of the calling process (Linux reports kB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(settings: BenchSettings, folder: Path) -> dict:
    rows, peaks = [], []
    for size in settings.sizes:
        threshold = threshold_for(size)
        world, boltzmann, n = [], [], 0
        for r in range(settings.repeats):
            n, world_s, boltzmann_s, peak = against_boltzmann(world_model, (threshold, settings.seed + r),
                                                              settings.steps, settings.seed + r)
            world.append(world_s)
            boltzmann.append(boltzmann_s)
            peaks.append(peak)
        per_world = statistics.median(world) / (n * settings.steps) * 1e6
        per_boltzmann = statistics.median(boltzmann) / (n * settings.steps) * 1e6
        rows.append({"cities": n, "min_population": threshold, "world_us_per_actor_step": per_world,
                     "boltzmann_us_per_actor_step": per_boltzmann, "ratio": per_world / per_boltzmann})
    small, large = rows[0], rows[-1]
    step_time = [r["world_us_per_actor_step"] * r["cities"] for r in (small, large)]
    exponent = (math.log(step_time[1] / step_time[0]) / math.log(large["cities"] / small["cities"])
                if large["cities"] != small["cities"] else float("nan"))
    article, boltzmann, n = [], [], 0
    for r in range(settings.repeats):
        n, article_s, boltzmann_s, peak = against_boltzmann(article_model, (settings.seed + r,),
                                                            settings.article_steps, settings.seed + r)
        article.append(article_s)
        boltzmann.append(boltzmann_s)
        peaks.append(peak)
    per_article = statistics.median(article) / (n * settings.article_steps) * 1e6
    per_boltzmann = statistics.median(boltzmann) / (n * settings.article_steps) * 1e6
    memory = max(peaks)  # of the timed models' processes, before the sweep's
    sweep = sweep_throughput(settings.sweep_runs, settings.sweep_steps, Path(folder) / "sweep")
    calibration = calibration_throughput(settings.calibration, settings.calibration_population,
                                         Path(folder) / "calibration")
    return {"sizes": rows, "ratio_to_boltzmann": large["ratio"], "scaling_exponent": exponent,
            "article": {"actors": n, "steps": settings.article_steps, "article_us_per_actor_step": per_article,
                        "boltzmann_us_per_actor_step": per_boltzmann},
            "article_ratio_to_boltzmann": per_article / per_boltzmann,
            **sweep, **calibration,
            "landscape_minimum_20x2_s": landscape_minimum_seconds(),
            "peak_memory_mb": memory, "steps": settings.steps, "repeats": settings.repeats,
            "cores": os.cpu_count(), "python": platform.python_version()}


def report(result: dict) -> str:
    lines = [f"{'cities':>8} {'min_pop':>9} {'world µs/actor-step':>20} {'Boltzmann µs/actor-step':>24} {'ratio':>6}"]
    for r in result["sizes"]:
        lines.append(f"{r['cities']:>8} {r['min_population']:>9} {r['world_us_per_actor_step']:>20.2f} "
                     f"{r['boltzmann_us_per_actor_step']:>24.2f} {r['ratio']:>6.2f}")
    lines.append(f"ratio to Boltzmann at the large size: {result['ratio_to_boltzmann']:.2f} (target ≤ 1.0)")
    lines.append(f"scaling exponent: {result['scaling_exponent']:.3f} (target ≤ 1.15)")
    art = result["article"]
    lines.append(f"article, {art['actors']} actors: {art['article_us_per_actor_step']:.2f} µs/actor-step, Boltzmann "
                 f"{art['boltzmann_us_per_actor_step']:.2f}: ratio {result['article_ratio_to_boltzmann']:.2f} "
                 "(target ≤ 2)")
    lines.append(f"sweep, {result['sweep_runs']} runs of {result['sweep_steps']} months: two plain processes "
                 f"{result['two_plain_processes_s']:.1f} s, 2 Dask workers {result['sweep_2_workers_s']:.1f} s: "
                 f"parallel efficiency {result['sweep_parallel_efficiency']:.2f} (target ≥ 0.9)")
    lines.append(f"calibration {result['calibration']}, {result['calibration_simulations']} simulations: pyabc on 2 Dask "
                 f"workers {result['calibration_abc_s']:.1f} s, two plain processes "
                 f"{result['calibration_two_plain_processes_s']:.1f} s: parallel efficiency "
                 f"{result['calibration_parallel_efficiency']:.2f} (target ≥ 0.9)")
    lines.append(f"exhaustive landscape minimum, 20 actors, 2 coalitions: {result['landscape_minimum_20x2_s']:.2f} s")
    lines.append(f"peak memory: {result['peak_memory_mb']:.0f} MB; {result['cores']} cores; "
                 f"{result['steps']} steps, median of {result['repeats']}")
    return "\n".join(lines)


@hydra.main(config_path="../configs", config_name="bench", version_base="1.3")
def main(cfg: DictConfig) -> None:
    for name in ("MESA", "distributed"):
        logging.getLogger(name).setLevel(logging.WARNING)
    with user_errors():
        settings = load(BenchSettings, {k: v for k, v in OmegaConf.to_container(cfg, resolve=True).items() if k != "hydra"}, "configs/bench.yaml")
    folder = Path(HydraConfig.get().runtime.output_dir)
    result = measure(settings, folder)
    print(report(result))
    path = write_json(result, folder / "bench.json")
    print(f"bench.json: {path}")


if __name__ == "__main__":
    main()
