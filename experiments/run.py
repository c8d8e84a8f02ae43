"""Run one scenario from the Hydra configuration and write its tables and plots.

    python -m experiments.run                                  # the article scenario, 120 months
    python -m experiments.run scenario=classroom rules/oversight=restrictive seed=3 steps=60
    python -m experiments.run scenario_file=my_cities.yaml hydra.run.dir=out/mine
    python -m experiments.run --multirun rules/oversight=permissive,supervisory,restrictive

Outputs (DESIGN.md §7) go to Hydra's output folder: config.yaml, manifest.json,
metrics.parquet, agents.parquet, agreements.parquet, agent_steps.parquet,
utilisation.parquet, network.graphml (the agreements in force, experiments.network)
and plots/*.png.
"""

from __future__ import annotations

import gc
import hashlib
import json
import logging
import platform
import subprocess
import sys
import time
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig, OmegaConf
from tqdm import tqdm

from experiments.config import PROJECT_ROOT, RunSetup, check_command_line, prepare, user_errors
from experiments.network import write_graphml
from experiments.outputs import run_tables, write_json, write_parquet, write_text
from model import DiplomacyModel


def run_id(resolved: dict) -> str:
    """A stable id: the hash of the resolved configuration."""
    return hashlib.sha256(json.dumps(resolved, sort_keys=True, default=str).encode()).hexdigest()[:16]


def git_revision() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=PROJECT_ROOT, capture_output=True,
                             text=True, timeout=5)
        return out.stdout.strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def versions() -> dict[str, str]:
    import mesa
    import numpy
    import pandas

    return {"python": platform.python_version(), "mesa": mesa.__version__,
            "numpy": numpy.__version__, "pandas": pandas.__version__}


def freeze_process_heap() -> None:
    """Once per process, before its first simulation: what is alive then (the imported libraries, a
    Dask worker's own state) moves to the garbage collector's permanent generation (``gc.freeze``).

    The cyclic collector then scans only the simulations' objects: in a Dask
    worker, whose heap holds the cluster machinery as well as the libraries,
    runs took 15–25 % longer than in a plain process without this, and
    about 10 % with it (runs of the throughput experiment).  What is frozen
    is never collected, so it is done only once.
    """
    global _HEAP_FROZEN
    if not _HEAP_FROZEN:
        gc.collect()
        gc.freeze()
        _HEAP_FROZEN = True


_HEAP_FROZEN = False


def simulate(setup: RunSetup, progress: bool = False) -> DiplomacyModel:
    """Build the model and step it ``steps`` months."""
    logging.getLogger("MESA").setLevel(logging.WARNING)  # Mesa logs every step at INFO under Hydra
    freeze_process_heap()
    model = DiplomacyModel(setup.scenario, setup.rules, rng=setup.settings.seed)
    for _ in tqdm(range(setup.settings.steps), desc=setup.scenario.name, unit="month",
                  disable=not progress, leave=False):
        model.step()
    return model


def execute(setup: RunSetup, out_dir: Path, progress: bool = False) -> dict:
    """Run and write every output of one run into ``out_dir``; return the manifest."""
    out_dir = Path(out_dir)
    started = time.perf_counter()
    model = simulate(setup, progress)
    tables = run_tables(model)
    write_text(OmegaConf.to_yaml(OmegaConf.create(setup.resolved)), out_dir / "config.yaml")
    for name, table in tables.items():
        write_parquet(table, out_dir / f"{name}.parquet")
    write_graphml(tables["agents"], tables["agreements"], out_dir / "network.graphml")
    if setup.settings.plots:
        from experiments.plots import plot_run, plot_story

        title = f"{setup.scenario.name} · seed {setup.settings.seed}"
        plot_run(tables["metrics"], tables["agents"], tables["agreements"], out_dir / "plots", title=title)
        plot_story(tables, out_dir / "plots", title=title)
    totals = {event: int((tables["agreements"]["event"] == event).sum())
              for event in ("signed", "vetoed", "contested", "expired", "joined")}
    manifest = {
        "run_id": run_id(setup.resolved), "seed": setup.settings.seed, "steps": setup.settings.steps,
        "scenario": setup.scenario.name, "actors": len(tables["agents"]),
        "versions": versions(), "git_revision": git_revision(),
        "wall_time_s": round(time.perf_counter() - started, 3), "events": totals,
    }
    write_json(manifest, out_dir / "manifest.json")  # written last: its presence marks a complete run
    return manifest


@hydra.main(config_path="../configs", config_name="config", version_base="1.3")
def main(cfg: DictConfig) -> None:
    hydra_cfg = HydraConfig.get()
    out_dir = Path(hydra_cfg.runtime.output_dir)
    with user_errors():
        setup = prepare(cfg, list(hydra_cfg.overrides.task))
    manifest = execute(setup, out_dir, progress=setup.settings.progress and sys.stderr.isatty())
    events = manifest["events"]
    print(f"{setup.scenario.name}: {manifest['actors']} actors, {setup.settings.steps} months, "
          f"{events['signed']} signed, {events['vetoed']} vetoed, {events['contested']} contested "
          f"({manifest['wall_time_s']:.1f} s)")
    print(f"outputs: {out_dir}")


def cli() -> None:
    """Validate the command line (one-line errors, exit 2), then hand it to Hydra."""
    with user_errors():
        sys.argv[1:] = check_command_line(sys.argv[1:])
    main()


if __name__ == "__main__":
    cli()
