"""Validation of a calibration: the calibrated model against every observed target, fitted and held out.

    python -m experiments.validate calibration=smoke
    python -m experiments.validate calibration=network_growth hydra.run.dir=results/network_growth

Reads the calibration in its folder (the same folder rules as
``experiments.calibrate``; it must have finished), runs the calibrated model
``calibration.replicates`` times — each run a draw from the posterior (weighted)
with its own seed, so the bands hold both the parameters' uncertainty and the
model's own noise — and writes ``validation.md``, ``validation.csv`` (one row
per observed point) and ``plots/validation.png``: each target, observed
against the model's median and 90 % band, its fit, and whether it was fitted
or held out.  A point is inside the band when the 5–95 % band contains it
(``more_than``: when the band's top reaches it; ``approximate``: when the band
meets the value ± the tolerance).
"""

from __future__ import annotations

import time
from pathlib import Path

import hydra
import numpy as np
import pandas as pd
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig

from experiments.calibrate import RECORD, Plan, check_calibration_command_line, plan_calibration
from experiments.config import CONFIG_DIR, SchemaError, user_errors
from experiments.observed import step_date
from experiments.outputs import write_text
from experiments.sweep import SweepSettings, dask_client, replicate_seeds, write_csv


def draws(posterior: pd.DataFrame, plan: Plan) -> list[tuple[dict, int]]:
    """``replicates`` posterior draws (weighted, with replacement) and a seed each, from ``calibration.seed``."""
    calibration = plan.calibration
    rng = np.random.default_rng(calibration.seed)
    picked = rng.choice(len(posterior), size=calibration.replicates, p=posterior["weight"].to_numpy())
    seeds = replicate_seeds(calibration.seed, calibration.replicates)
    keys = list(calibration.priors)
    return [({k: float(posterior[k].iloc[i]) for k in keys}, seed) for i, seed in zip(picked, seeds)]


def run_replicates(plan: Plan, runs: list[tuple[dict, int]]) -> pd.DataFrame:
    """The target metrics of each replicate, tidy: replicate, weight (1), metric, step, value."""
    calibration = plan.calibration
    settings = SweepSettings(workers=calibration.workers, scheduler=calibration.scheduler, progress=False)
    with dask_client(settings) as client:
        futures = [client.submit(plan.simulator.run, values, seed, pure=False) for values, seed in runs]
        results = client.gather(futures)
    frames = []
    for replicate, stats in enumerate(results):
        for metric in plan.simulator.metrics:
            trajectory = np.asarray(stats[f"trajectory:{metric}"], dtype=float)
            frames.append(pd.DataFrame({"replicate": replicate, "weight": 1.0, "metric": metric,
                                        "step": np.arange(len(trajectory)), "value": trajectory}))
    return pd.concat(frames, ignore_index=True)


def point_table(plan: Plan, trajectories: pd.DataFrame) -> pd.DataFrame:
    """One row per observed point: observed, model median and 90 % band, residual, inside the band."""
    tolerance = plan.calibration.approximate_tolerance
    rows = []
    for p in plan.points:
        values = trajectories[(trajectories["metric"] == p.metric) & (trajectories["step"] == p.step)]["value"]
        q05, median, q95 = np.quantile(values, [0.05, 0.5, 0.95])
        if p.kind == "more_than":
            inside = q95 >= p.value
        elif p.kind == "approximate":
            inside = q95 >= p.value * (1 - tolerance) and q05 <= p.value * (1 + tolerance)
        else:
            inside = q05 <= p.value <= q95
        rows.append({"series": p.series, "metric": p.metric, "role": p.role, "date": p.date,
                     "step": p.step, "kind": p.kind, "observed": p.value, "model_median": median,
                     "model_q05": q05, "model_q95": q95,
                     "residual": plan.discrepancy.residual(p, median), "inside_90": bool(inside),
                     "source": p.source})
    return pd.DataFrame(rows)


def target_table(points: pd.DataFrame) -> pd.DataFrame:
    """Per target series: role, points, how many inside the 90 % band, RMS residual of the median."""
    return (points.groupby(["series", "metric", "role"], sort=False)
            .agg(points=("observed", "size"), inside_90=("inside_90", "sum"),
                 rms_residual=("residual", lambda r: float(np.sqrt(np.mean(np.square(r))))))
            .reset_index())


def report(plan: Plan, points: pd.DataFrame, targets: pd.DataFrame, record: dict) -> str:
    calibration = plan.calibration
    lines = [f"# Validation of calibration `{calibration.name}`", "",
             calibration.description, "",
             f"Calibration: {record['generations']} generations, {record['simulations']} simulations, "
             f"final epsilon {record['epsilon']:.4g}"
             + (f", effective sample size {record['effective_sample_size']:.1f} of {calibration.population_size} "
                f"particles" if "effective_sample_size" in record else "")
             + f" (stopped: {record['stopped']}). "
             f"Validation: {calibration.replicates} runs of `{' '.join(calibration.base)}` over "
             f"{calibration.steps} months ({step_date(1, plan.start_year)} to "
             f"{step_date(calibration.steps, plan.start_year)}), each a posterior draw with its own seed.", "",
             f"- Fitted: {', '.join(plan.fitted)}",
             f"- Held out (never in the distance): {', '.join(plan.held_out) or 'none'}", "",
             "Residual: (model median − observed) / observed; for a `more_than` figure only a shortfall counts, "
             f"for an `approximate` one only what lies beyond ±{calibration.approximate_tolerance:g}.", "",
             "## Targets", "", "| series | metric | role | points | inside 90 % band | RMS residual |",
             "|---|---|---|---|---|---|"]
    for row in targets.itertuples():
        lines.append(f"| {row.series} | `{row.metric}` | {row.role.replace('_', ' ')} | {row.points} | "
                     f"{row.inside_90} | {row.rms_residual:.3f} |")
    lines += ["", "## Points", "", "| series | date | kind | observed | model median | model 90 % | residual | inside |",
              "|---|---|---|---|---|---|---|---|"]
    for row in points.itertuples():
        lines.append(f"| {row.series} | {row.date} | {row.kind.replace('_', ' ')} | {row.observed:g} | "
                     f"{row.model_median:.4g} | [{row.model_q05:.4g}, {row.model_q95:.4g}] | {row.residual:+.3f} | "
                     f"{'yes' if row.inside_90 else 'no'} |")
    lines += ["", "![observed against the model](plots/validation.png)", ""]
    return "\n".join(lines)


def validate(plan: Plan, out_dir: Path) -> pd.DataFrame:
    """Run the replicates and write validation.md, validation.csv and plots/validation.png."""
    import json

    from experiments.plots.calibration import bands, plot_predictive

    record_path = out_dir / RECORD
    posterior_path = out_dir / "posterior.parquet"
    if not record_path.is_file() or not posterior_path.is_file():
        raise SchemaError(str(out_dir), "calibration", plan.calibration.name,
                          f"the folder of a finished calibration (run python -m experiments.calibrate "
                          f"calibration={plan.calibration.name} with the same folder first)")
    posterior = pd.read_parquet(posterior_path)
    missing = [k for k in plan.calibration.priors if k not in posterior.columns]
    if missing:
        raise SchemaError(str(posterior_path), "columns", missing[0], "the parameters of this calibration")
    trajectories = run_replicates(plan, draws(posterior, plan))
    points = point_table(plan, trajectories)
    targets = target_table(points)
    write_csv(points, out_dir / "validation.csv")
    plot_predictive(bands(trajectories), plan.points, plan.start_year, out_dir / "plots" / "validation.png",
                    f"{plan.calibration.name}: validation ({plan.calibration.replicates} posterior runs)",
                    plan.calibration.approximate_tolerance)
    write_text(report(plan, points, targets, json.loads(record_path.read_text())), out_dir / "validation.md")
    return targets


@hydra.main(config_path=str(CONFIG_DIR), config_name="calibrate", version_base="1.3")
def main(cfg: DictConfig) -> None:
    import logging

    logging.getLogger("distributed").setLevel(logging.WARNING)
    logging.getLogger("MESA").setLevel(logging.WARNING)
    hydra_cfg = HydraConfig.get()
    out_dir = Path(hydra_cfg.runtime.output_dir)
    started = time.perf_counter()
    with user_errors():
        plan = plan_calibration(cfg, list(hydra_cfg.overrides.task))
        targets = validate(plan, out_dir)
    for row in targets.itertuples():
        print(f"  {row.series} ({row.role.replace('_', ' ')}): {row.inside_90}/{row.points} points inside "
              f"the 90 % band, RMS residual {row.rms_residual:.3f}")
    print(f"{plan.calibration.name}: validation.md ({time.perf_counter() - started:.1f} s)")
    print(f"outputs: {out_dir}")


def cli() -> None:
    """Validate the command line and the calibration (the calibration's own checks), then hand it to Hydra."""
    check_calibration_command_line()
    main()


if __name__ == "__main__":
    from experiments import validate as importable  # so that Dask ships functions by reference

    importable.cli()
