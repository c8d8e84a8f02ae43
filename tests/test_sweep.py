"""Designed experiments (experiments.sweep): plans, one-line errors, determinism across workers,
failures, resume after SIGKILL, a real Dask cluster, sampled designs and their plots.

The command-line tests run the tiny ``smoke`` experiment (2 conditions × 2 replicates × 6 months
of the classroom scenario); they are marked slow (each starts Python, Hydra and a Dask cluster).
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hydra.core.global_hydra import GlobalHydra
from omegaconf import OmegaConf

from experiments import sweep
from experiments.config import compose_checked, hydra_configs, prepare
from experiments.outputs import with_dates
from experiments.run import run_id
from experiments import sensitivity
from experiments.sensitivity import tidy_value

ROOT = Path(__file__).resolve().parents[1]
ONE_LINE = re.compile(r"^error: .+: field '[^']*': bad value .+: allowed: .+$")
TIMEOUT = 300


@pytest.fixture(autouse=True)
def fresh_hydra():
    """Hydra's Compose API is global state: start and end each test without it."""
    GlobalHydra.instance().clear()
    yield
    GlobalHydra.instance().clear()


def plan_of(*overrides: str, **experiment) -> sweep.Plan:
    """The plan of ``experiment=...`` overrides, with experiment fields replaced by ``experiment``."""
    with hydra_configs():
        cfg = compose_checked(list(overrides), "sweep")
        OmegaConf.set_struct(cfg, False)
        for key, value in experiment.items():
            cfg.experiment[key] = value
        return sweep.plan_sweep(cfg, list(overrides))


def sweep_cli(out: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run([sys.executable, "-m", "experiments.sweep", *args, f"hydra.run.dir={out}",
                             "sweep.progress=false"], cwd=ROOT, capture_output=True, text=True, timeout=TIMEOUT)
    if check:
        assert result.returncode == 0, result.stderr
    return result


def manifests(out: Path) -> dict[str, int]:
    """Complete runs of a sweep folder: run id → modification time (ns) of its manifest."""
    return {p.parent.name: p.stat().st_mtime_ns for p in (out / "runs").glob("*/manifest.json")}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ------------------------------------------------------------------ plans (fast)


def test_replicate_seeds_do_not_depend_on_how_many():
    assert sweep.replicate_seeds(5, 3) == sweep.replicate_seeds(5, 8)[:3]
    assert len(set(sweep.replicate_seeds(5, 20))) == 20
    assert sweep.replicate_seeds(5, 3) != sweep.replicate_seeds(6, 3)


def test_sampled_values_are_tidy_for_hydra():
    assert tidy_value(0.1 + 0.7, integer=False) == 0.8
    assert sweep.hydra_value(tidy_value(0.1 + 0.7, integer=False)) == "0.8"
    assert tidy_value(7.6, integer=True) == 8 and isinstance(tidy_value(7.6, integer=True), int)
    assert [sweep.hydra_value(v) for v in (True, None, 3, "restrictive", 1e-5)] == [
        "true", "null", "3", "restrictive", "1e-05"]


@pytest.mark.parametrize("design", ["sobol", "morris"])
def test_indices_find_the_only_input_that_matters(design):
    """The SALib wrappers keep rows and parameters in order: y depends on ``a`` only."""
    spec = sensitivity.problem({"a": (0.0, 1.0), "b": (0.0, 1.0)})
    X = sensitivity.sample(design, spec, 64, seed=1)
    table = sensitivity.analyse(design, spec, X, X[:, 0] ** 2, seed=1).set_index("parameter")
    if design == "sobol":
        assert table.loc["a", "S1"] > 0.9 and table.loc["a", "ST"] > 0.9
        assert abs(table.loc["b", "S1"]) < 0.05 and table.loc["b", "ST"] < 0.05
    else:
        assert table.loc["a", "mu_star"] > 0.5 and table.loc["b", "mu_star"] == 0


def test_smoke_plan():
    plan = plan_of("experiment=smoke")
    assert [c.values for c in plan.conditions] == [{"scenario.oversight.gov_ES": "permissive"},
                                                   {"scenario.oversight.gov_ES": "restrictive"}]
    assert len(plan.runs) == 4 and len({r.run_id for r in plan.runs}) == 4
    seeds = {c: [r.seed for r in plan.runs if r.condition == c] for c in ("c0", "c1")}
    assert seeds["c0"] == seeds["c1"] == sweep.replicate_seeds(1, 2)  # common random numbers
    assert {"steps=6", "plots=false", "progress=false", "scenario=classroom"} <= set(plan.runs[0].overrides)


@pytest.mark.parametrize("design", ["grid", "sobol"])
def test_plan_ids_are_those_of_composing_each_run(design):
    """The planner sets values on a composed config; a worker composes each run from scratch."""
    if design == "grid":
        plan = plan_of("experiment=network_catalyst", base=["scenario=classroom"], replicates=2,
                       parameters={"rules/partner": {"values": ["gravity", "network"]},
                                   "rules.utility.beta_network": {"values": [0.0, 1.5]}})
    else:
        plan = plan_of("experiment=sensitivity", samples=2, replicates=2)
    with hydra_configs():
        for run in plan.runs[::3]:
            overrides = list(run.overrides)
            assert run_id(prepare(compose_checked(overrides), overrides).resolved) == run.run_id


def test_sampled_integer_parameters_are_rounded():
    plan = plan_of("experiment=sensitivity", design="lhs", samples=8, replicates=1,
                   parameters={"rules.partner.candidates": {"range": [2, 16]},
                               "rules.utility.beta_network": {"range": [0.0, 2.0]}})
    assert len(plan.conditions) == 8 and plan.sample.shape == (8, 2)
    for condition, row in zip(plan.conditions, plan.sample):
        assert condition.values["rules.partner.candidates"] == round(row[0])
        assert condition.values["rules.utility.beta_network"] == pytest.approx(row[1], rel=1e-9)


@pytest.mark.parametrize("name", sweep.experiment_names())
def test_shipped_experiments_are_valid(name):
    plan = plan_of(f"experiment={name}")
    assert plan.runs and plan.experiment.name == name


@pytest.mark.parametrize("args, names", [
    ([], "command line"),
    (["experiment=nope"], "experiment=nope"),
    (["experiment=smoke", "experiment.replicates=0"], "experiment.replicates=0"),
    (["experiment=smoke", "experiment.metrics=[signed,nope]"], "experiment.metrics=[signed,nope]"),
    (["experiment=smoke", "experiment.design=sobol"], "smoke.yaml"),
    (["experiment=sensitivity", "experiment.samples=6"], "experiment.samples=6"),
    (["experiment=smoke", "experiment.base=['rules/oversight=strict']"], "override 'rules/oversight=strict'"),
    (["experiment=smoke", "experiment.base=[seed=3]"], "experiment.base=[seed=3]"),
    (["experiment=smoke", "sweep.workers=0"], "sweep.workers=0"),
    (["experiment=smoke", "sweep.fail_condition=c9"], "sweep.fail_condition=c9"),
])
def test_mistakes_end_with_one_line_and_exit_2(args, names, monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", ["experiments.sweep", *args])
    with pytest.raises(SystemExit) as exit_:
        sweep.cli()
    err = capsys.readouterr().err.strip()
    assert exit_.value.code == 2
    assert ONE_LINE.match(err) and len(err.splitlines()) == 1, err
    assert names in err.split(": field")[0], err


def test_incomplete_runs_are_never_read(tmp_path):
    """A run folder without manifest.json (an interrupted run) contributes nothing to the table."""
    plan = plan_of("experiment=smoke")
    first, second = plan.runs[:2]
    metrics = with_dates(pd.DataFrame({"step": [0, 1], "metric": ["signed", "signed"], "value": [0.0, 3.0]}), 2015)
    for run in (first, second):
        (tmp_path / run.run_id).mkdir()
        metrics.to_parquet(tmp_path / run.run_id / "metrics.parquet")
    (tmp_path / first.run_id / "manifest.json").write_text("{}")
    table = sweep.sweep_table(plan, tmp_path)
    assert set(table["run_id"]) == {first.run_id}
    assert list(table.columns) == ["run_id", "condition", "replicate", "seed", "scenario.oversight.gov_ES", "step",
                                   "date", "metric", "value"]


def test_summary_statistics():
    table = pd.DataFrame({"condition": ["c0"] * 6, "replicate": [0, 0, 1, 1, 2, 2], "step": [0, 1] * 3,
                          "metric": ["m"] * 6, "value": [9.0, 1.0, 9.0, 2.0, 9.0, 3.0]})
    final = sweep.run_statistics(table, "final")
    assert list(final["value"]) == [1.0, 2.0, 3.0]
    assert list(sweep.run_statistics(table, "mean")["value"]) == [1.0, 2.0, 3.0]  # steps >= 1
    row = sweep.describe(final, ["condition", "metric"]).iloc[0]
    half = 4.302652729911275 * 1.0 / np.sqrt(3)  # t(0.975, 2) · sd / √n
    assert (row["n"], row["mean"], row["sd"]) == (3, 2.0, 1.0)
    assert row["ci95_low"] == pytest.approx(2.0 - half) and row["ci95_high"] == pytest.approx(2.0 + half)


# ------------------------------------------------------------------ sampled designs, in process


@pytest.fixture(scope="module")
def threads_cluster():
    """One in-process Dask worker thread: runs of the in-process tests without starting processes."""
    from distributed import LocalCluster

    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None,
                      scheduler_kwargs={"dashboard_address": sweep.LOOPBACK_ANY_PORT}) as cluster:
        yield cluster.scheduler_address


@pytest.mark.parametrize("design, plots", [
    ("sobol", {"sobol_signed.png", "sobol_agreements_active.png"}),
    ("morris", {"morris_signed.png", "morris_agreements_active.png"}),
    ("grid", {"heatmap_signed.png", "time_signed.png"}),
])
def test_designs_end_to_end(design, plots, threads_cluster, tmp_path):
    parameters = {"rules.utility.beta_network": {"range": [0.0, 1.5]},
                  "rules.partner.candidates": {"range": [2, 12]}}
    if design == "grid":
        parameters = {"rules.utility.beta_network": {"values": [0.0, 1.5]},
                      "rules.partner.candidates": {"values": [4, 8]}}
    plan = plan_of("experiment=sensitivity", f"sweep.scheduler={threads_cluster}", design=design, samples=2,
                   replicates=2, steps=4, metrics=["signed", "agreements_active"], parameters=parameters)
    assert sweep.run_sweep(plan, tmp_path).failures == []
    assert plots <= {p.name for p in (tmp_path / "plots").glob("*.png")}
    table = pd.read_parquet(tmp_path / "sweep.parquet")
    assert set(table["condition"]) == {c.id for c in plan.conditions}
    summary = pd.read_csv(tmp_path / "summary.csv")
    assert len(summary) == 2 * len(plan.conditions) and (summary["n"] == 2).all()
    if design != "grid":
        indices = pd.read_csv(tmp_path / "sensitivity.csv")
        assert set(indices["parameter"]) == set(parameters) and set(indices["metric"]) == {"signed",
                                                                                          "agreements_active"}


# ------------------------------------------------------------------ the command line (slow)


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The smoke sweep with one local worker: its folder and table."""
    out = tmp_path_factory.mktemp("smoke_1_worker")
    result = sweep_cli(out, "experiment=smoke", "sweep.workers=1")
    assert "4 runs: 0 already complete, 4 done, 0 failed" in result.stdout
    return out, pd.read_parquet(out / "sweep.parquet")


@pytest.mark.slow
def test_smoke_sweep_outputs(reference):
    out, table = reference
    assert len(manifests(out)) == 4
    for run in (out / "runs").iterdir():
        assert {"config.yaml", "manifest.json", "metrics.parquet", "agents.parquet",
                "agreements.parquet"} <= {p.name for p in run.iterdir()}
    assert set(table["metric"]) == {"agreements_active", "signed", "vetoed", "contested"}
    assert set(table["scenario.oversight.gov_ES"]) == {"permissive", "restrictive"} and table["step"].max() == 6
    assert pd.read_csv(out / "failures.csv").empty
    assert len(pd.read_csv(out / "summary.csv")) == 2 * 4
    assert len(list((out / "plots").glob("time_*.png"))) == 4
    assert not list(out.rglob("*.tmp"))


@pytest.mark.slow
def test_two_workers_give_the_same_table(reference, tmp_path):
    sweep_cli(tmp_path, "experiment=smoke", "sweep.workers=2")
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "sweep.parquet"), reference[1])


@pytest.mark.slow
def test_a_failing_condition_then_resume(reference, tmp_path):
    failed = sweep_cli(tmp_path, "experiment=smoke", "sweep.workers=1", "sweep.fail_condition=c1", check=False)
    assert failed.returncode == sweep.EXIT_FAILED_RUNS, failed.stderr
    assert "4 runs: 0 already complete, 2 done, 2 failed" in failed.stdout
    failures = pd.read_csv(tmp_path / "failures.csv")
    assert list(failures["condition"]) == ["c1", "c1"]
    assert failures["error"].str.startswith("InjectedFailure").all()
    assert set(pd.read_parquet(tmp_path / "sweep.parquet")["condition"]) == {"c0"}
    before = manifests(tmp_path)

    resumed = sweep_cli(tmp_path, "experiment=smoke", "sweep.workers=1")  # the same, without the failure
    assert "4 runs: 2 already complete, 2 done, 0 failed" in resumed.stdout
    after = manifests(tmp_path)
    assert len(after) == 4 and all(after[k] == v for k, v in before.items())  # c0's runs not redone
    assert pd.read_csv(tmp_path / "failures.csv").empty
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "sweep.parquet"), reference[1])


@pytest.mark.slow
def test_sigkill_then_resume_does_only_the_missing_runs(tmp_path, threads_cluster):
    args = ["experiment=smoke", "experiment.replicates=10", "experiment.steps=20", "sweep.workers=1"]
    log = (tmp_path / "killed.log").open("w")
    command = [sys.executable, "-m", "experiments.sweep", *args, f"hydra.run.dir={tmp_path / 'sweep'}",
               "sweep.progress=false"]
    process = subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=log, start_new_session=True)
    deadline = time.monotonic() + TIMEOUT
    while len(manifests(tmp_path / "sweep")) < 3 and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGKILL)  # the sweep and its Dask workers
    process.wait()
    assert process.returncode == -signal.SIGKILL
    done = manifests(tmp_path / "sweep")
    assert 3 <= len(done) < 20 and not (tmp_path / "sweep" / "sweep.parquet").exists()

    result = sweep_cli(tmp_path / "sweep", *args)
    assert f"20 runs: {len(done)} already complete, {20 - len(done)} done, 0 failed" in result.stdout
    after = manifests(tmp_path / "sweep")
    assert len(after) == 20 and all(after[k] == v for k, v in done.items())

    plan = plan_of(*args[:3], f"sweep.scheduler={threads_cluster}")  # the same sweep, uninterrupted
    sweep.run_sweep(plan, tmp_path / "uninterrupted")
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "sweep" / "sweep.parquet"),
                                  pd.read_parquet(tmp_path / "uninterrupted" / "sweep.parquet"))


@pytest.mark.slow
def test_a_real_dask_cluster_gives_the_same_table(reference, tmp_path):
    from distributed import Client

    dask = str(Path(sys.executable).parent / "dask")
    address = f"tcp://127.0.0.1:{free_port()}"
    port = address.rsplit(":", 1)[1]
    logs = (tmp_path / "cluster.log").open("w")
    local = ["--no-dashboard", "--dashboard-address", sweep.LOOPBACK_ANY_PORT]  # nothing listens outside
    scheduler = subprocess.Popen([dask, "scheduler", "--host", "127.0.0.1", "--port", port, *local],
                                 cwd=ROOT, stdout=logs, stderr=logs)
    worker = subprocess.Popen([dask, "worker", address, "--host", "127.0.0.1", "--nworkers", "1",
                               "--nthreads", "1", *local], cwd=ROOT, stdout=logs, stderr=logs)
    try:
        with Client(address, timeout=60) as client:
            client.wait_for_workers(1, timeout=60)
        sweep_cli(tmp_path / "sweep", "experiment=smoke", f"sweep.scheduler={address}")
        pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "sweep" / "sweep.parquet"), reference[1])
    finally:
        for process in (worker, scheduler):
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
