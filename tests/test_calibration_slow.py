"""Calibration (slow): recovery of known parameters, SIGKILL then resume, a real Dask cluster."""

from __future__ import annotations

import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from hydra.core.global_hydra import GlobalHydra

from experiments import calibrate
from experiments.config import compose_checked, hydra_configs
from experiments.sweep import LOOPBACK_ANY_PORT

ROOT = Path(__file__).resolve().parents[1]
TIMEOUT = 600
pytestmark = pytest.mark.slow


@pytest.fixture(autouse=True)
def fresh_hydra():
    GlobalHydra.instance().clear()
    yield
    GlobalHydra.instance().clear()


def calibrate_cli(out: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "experiments.calibrate", "calibration=smoke", *args,
                           "calibration.progress=false", f"hydra.run.dir={out}"],
                          cwd=ROOT, capture_output=True, text=True, timeout=TIMEOUT)


# Each check holds with probability about 0.9 for a calibrated posterior: six checks all pass about half the
# time for an exact posterior, more often for ABC's wider one; values at a prior's edge fail most often.
TRUE_VALUES = [{"rules.utility.tau": 0.4, "rules.utility.proposal_cost": 0.5},
               {"rules.utility.tau": 0.8, "rules.utility.proposal_cost": 0.7},
               {"rules.utility.tau": 1.2, "rules.utility.proposal_cost": 1.0}]


@pytest.mark.parametrize("truth", TRUE_VALUES, ids=["low", "middle", "high"])
def test_recovery_true_values_inside_the_90_percent_intervals(truth, tmp_path):
    dates = ["2015-02", "2015-04", "2015-06", "2015-08", "2015-10", "2015-12"]
    observed = tmp_path / "synthetic.csv"
    observed.write_text(calibrate.synthetic_observed(["scenario=classroom"], 12, truth, 11,
                                                     {"synthetic_active": ("agreements_active", dates)},
                                                     f"synthetic: classroom at {truth}, seed 11"))
    overrides = ["calibration=smoke", "calibration.steps=12", f"calibration.observed=[{observed}]",
                 "calibration.targets=[{series: synthetic_active, metric: agreements_active}]",
                 "calibration.population_size=40", "calibration.generations=3", "calibration.progress=false",
                 "calibration.workers=2"]
    with hydra_configs():
        plan = calibrate.plan_calibration(compose_checked(overrides, "calibrate"), overrides)
    out = tmp_path / "recovery"
    calibrate.run_abc(plan, out)
    summary = calibrate.posterior_tables(plan, out)["summary"].set_index("parameter")
    print(summary.to_string())  # the figures of the report (pytest -s)
    for key, value in truth.items():
        assert summary.loc[key, "q05"] <= value <= summary.loc[key, "q95"], (key, value, summary.loc[key].to_dict())


def test_sigkill_in_the_second_generation_then_resume(tmp_path):
    out = tmp_path / "killed"
    args = ["calibration.generations=3", "calibration.population_size=20", "calibration.workers=2"]
    command = [sys.executable, "-m", "experiments.calibrate", "calibration=smoke", *args,
               "calibration.progress=false", f"hydra.run.dir={out}"]
    log = (tmp_path / "killed.log").open("w")
    process = subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=log, start_new_session=True)
    deadline = time.monotonic() + TIMEOUT
    while generations_done(out) < 1 and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGKILL)  # the calibration and its Dask workers, in generation 1 (the second)
    process.wait()
    assert process.returncode == -signal.SIGKILL
    done = generations_done(out)
    assert 1 <= done < 3 and not (out / calibrate.RECORD).exists()

    result = calibrate_cli(out, *args)
    assert result.returncode == 0, result.stderr
    assert f"smoke: 3 generations ({done} already done)" in result.stdout, result.stdout
    posterior = pd.read_parquet(out / "posterior.parquet")
    assert len(posterior) == 20 and (posterior["generation"] == 2).all()
    assert generations_done(out) == 3


def generations_done(out: Path) -> int:
    """Generations stored in a calibration's database (0 while it has none)."""
    path = out / calibrate.DATABASE
    if not path.is_file():
        return 0
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=1) as db:
            (t,) = db.execute("SELECT MAX(t) FROM populations WHERE t >= 0").fetchone()
    except sqlite3.Error:  # not created yet
        return 0
    return 0 if t is None else t + 1


def test_a_real_dask_scheduler_and_worker_run_smoke(tmp_path):
    from distributed import Client

    dask = str(Path(sys.executable).parent / "dask")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = str(s.getsockname()[1])
    address = f"tcp://127.0.0.1:{port}"
    logs = (tmp_path / "cluster.log").open("w")
    local = ["--no-dashboard", "--dashboard-address", LOOPBACK_ANY_PORT]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}  # the worker imports this checkout's code
    scheduler = subprocess.Popen([dask, "scheduler", "--host", "127.0.0.1", "--port", port, *local],
                                 cwd=ROOT, stdout=logs, stderr=logs, env=env)
    worker = subprocess.Popen([dask, "worker", address, "--host", "127.0.0.1", "--nworkers", "1",
                               "--nthreads", "1", *local], cwd=ROOT, stdout=logs, stderr=logs, env=env)
    try:
        with Client(address, timeout=60) as client:
            client.wait_for_workers(1, timeout=60)
        result = calibrate_cli(tmp_path / "smoke", f"calibration.scheduler={address}")
        assert result.returncode == 0, result.stderr
        assert re.search(r"smoke: 2 generations \(0 already done\), \d+ simulations", result.stdout), result.stdout
        assert len(pd.read_parquet(tmp_path / "smoke" / "posterior.parquet")) == 20
    finally:
        for process in (worker, scheduler):
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
