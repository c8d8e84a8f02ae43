"""Benchmark: cost per actor-step of the world scenario against Mesa's Boltzmann wealth model.

    python -m experiments.bench                  # sizes 3,400 and 34,000 cities, 24 steps, median of 3
    python -m experiments.bench repeats=1 steps=12

Both models are timed in the same process and the same run (the machine is
noisy; only ratios measured together mean anything): µs per actor-step at each
size, their ratio, the scaling exponent b of time ∝ N^b between the two sizes,
and the peak resident memory of the process.  Prints a table and writes
``bench.json`` into the Hydra output folder.
"""

from __future__ import annotations

import logging
import math
import os
import platform
import resource
import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path

import hydra
import numpy as np
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig, OmegaConf

from experiments.config import PROJECT_ROOT, load_scenario, user_errors
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


def threshold_for(n_cities: int) -> int:
    """The population threshold that keeps about the ``n_cities`` most populous geonames cities."""
    populations = np.sort(city_table()["population"])[::-1]
    return int(populations[min(n_cities, len(populations)) - 1])


def time_steps(model, steps: int) -> float:
    started = time.perf_counter()
    for _ in range(steps):
        model.step()
    return time.perf_counter() - started


def world_run(min_population: int, steps: int, seed: int) -> tuple[int, float]:
    """(subnational actors, seconds for ``steps`` steps) of one world run; building is not timed."""
    model = DiplomacyModel(load_scenario(PROJECT_ROOT / "scenarios" / "world.yaml", min_population), rng=seed)
    return len(model.subnationals), time_steps(model, steps)


def boltzmann_run(n: int, steps: int, seed: int) -> float:
    from mesa.examples.basic.boltzmann_wealth_model.model import BoltzmannScenario, BoltzmannWealth

    side = math.ceil(math.sqrt(n))
    model = BoltzmannWealth(scenario=BoltzmannScenario(n=n, width=side, height=side, rng=seed))
    return time_steps(model, steps)


def landscape_minimum_seconds(n: int = 20, k: int = 2, seed: int = 0) -> float:
    """Time of the exhaustive landscape minimum (Axelrod & Bennett 1993) for n actors and k coalitions."""
    from model.rules import landscape_minimum

    rng = np.random.default_rng(seed)
    p = rng.normal(size=(n, n))
    started = time.perf_counter()
    landscape_minimum(rng.uniform(0.5, 2.0, n), (p + p.T) / 2, k)
    return time.perf_counter() - started


def peak_memory_mb() -> float:
    """Peak resident set size of this process (Linux reports kB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(settings: BenchSettings) -> dict:
    rows = []
    for size in settings.sizes:
        threshold = threshold_for(size)
        world, boltzmann, n = [], [], 0
        for r in range(settings.repeats):
            n, seconds = world_run(threshold, settings.steps, settings.seed + r)
            world.append(seconds)
            boltzmann.append(boltzmann_run(n, settings.steps, settings.seed + r))
        per_world = statistics.median(world) / (n * settings.steps) * 1e6
        per_boltzmann = statistics.median(boltzmann) / (n * settings.steps) * 1e6
        rows.append({"cities": n, "min_population": threshold, "world_us_per_actor_step": per_world,
                     "boltzmann_us_per_actor_step": per_boltzmann, "ratio": per_world / per_boltzmann})
    small, large = rows[0], rows[-1]
    step_time = [r["world_us_per_actor_step"] * r["cities"] for r in (small, large)]
    exponent = (math.log(step_time[1] / step_time[0]) / math.log(large["cities"] / small["cities"])
                if large["cities"] != small["cities"] else float("nan"))
    return {"sizes": rows, "ratio_to_boltzmann": large["ratio"], "scaling_exponent": exponent,
            "landscape_minimum_20x2_s": landscape_minimum_seconds(),
            "peak_memory_mb": peak_memory_mb(), "steps": settings.steps, "repeats": settings.repeats,
            "cores": os.cpu_count(), "python": platform.python_version()}


def report(result: dict) -> str:
    lines = [f"{'cities':>8} {'min_pop':>9} {'world µs/actor-step':>20} {'Boltzmann µs/actor-step':>24} {'ratio':>6}"]
    for r in result["sizes"]:
        lines.append(f"{r['cities']:>8} {r['min_population']:>9} {r['world_us_per_actor_step']:>20.2f} "
                     f"{r['boltzmann_us_per_actor_step']:>24.2f} {r['ratio']:>6.2f}")
    lines.append(f"ratio to Boltzmann at the large size: {result['ratio_to_boltzmann']:.2f} (target ≤ 1.0)")
    lines.append(f"scaling exponent: {result['scaling_exponent']:.3f} (target ≤ 1.15)")
    lines.append(f"exhaustive landscape minimum, 20 actors, 2 coalitions: {result['landscape_minimum_20x2_s']:.2f} s")
    lines.append(f"peak memory: {result['peak_memory_mb']:.0f} MB; {result['cores']} cores; "
                 f"{result['steps']} steps, median of {result['repeats']}")
    return "\n".join(lines)


@hydra.main(config_path="../configs", config_name="bench", version_base="1.3")
def main(cfg: DictConfig) -> None:
    logging.getLogger("MESA").setLevel(logging.WARNING)
    with user_errors():
        settings = load(BenchSettings, {k: v for k, v in OmegaConf.to_container(cfg, resolve=True).items() if k != "hydra"}, "configs/bench.yaml")
    result = measure(settings)
    print(report(result))
    path = write_json(result, Path(HydraConfig.get().runtime.output_dir) / "bench.json")
    print(f"bench.json: {path}")


if __name__ == "__main__":
    main()
