"""Calibration (fast): plans, the distance, one-line errors, and a smoke calibration and validation."""

from __future__ import annotations

import dataclasses
import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pyabc
import pytest
import yaml
from hydra.core.global_hydra import GlobalHydra
from pyabc.weighted_statistics import weighted_quantile

from experiments import calibrate, validate
from experiments.config import compose_checked, hydra_configs
from experiments.observed import Observation
from experiments.sweep import LOOPBACK_ANY_PORT

ROOT = Path(__file__).resolve().parents[1]
ONE_LINE = re.compile(r"^error: .+: field '[^']*': bad value .+: allowed: .+$")


@pytest.fixture(autouse=True)
def fresh_hydra():
    GlobalHydra.instance().clear()
    yield
    GlobalHydra.instance().clear()


def plan_of(*overrides: str) -> calibrate.Plan:
    overrides = ["calibration=smoke", *overrides]
    with hydra_configs():
        return calibrate.plan_calibration(compose_checked(overrides, "calibrate"), overrides)


@pytest.fixture(scope="module")
def threads_cluster():
    """Two in-process Dask worker threads: a calibration without starting processes."""
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None,
                      scheduler_kwargs={"dashboard_address": LOOPBACK_ANY_PORT}) as cluster:
        yield cluster.scheduler_address


def test_smoke_plan():
    plan = plan_of()
    assert plan.start_year == 2015 and plan.fitted == ["classroom_agreements_active"]
    assert plan.held_out == ["classroom_iclei_members"]
    assert [(p.key, p.step) for p in plan.points][:3] == [
        ("agreements_active@2015-02", 2), ("agreements_active@2015-04", 4), ("agreements_active@2015-06", 6)]
    stats = plan.simulator.run({"rules.utility.tau": 0.5, "rules.utility.proposal_cost": 0.2}, 7)
    assert {k: stats[k] for k in plan.observed} == plan.observed  # the synthetic file: these values, seed 7
    assert plan.discrepancy(stats) == 0.0
    assert len(stats["trajectory:agreements_active"]) == 7


def test_a_log_uniform_prior_is_sampled_on_the_log_scale_and_given_back_on_its_own():
    log_prior = calibrate.Prior("log_uniform", 0.05, 1.5)
    plan = plan_of()
    calibration = dataclasses.replace(plan.calibration, priors={**plan.calibration.priors, "rules.utility.tau": log_prior})
    simulator = dataclasses.replace(plan.simulator, log_keys=frozenset({"rules.utility.tau"}))
    prior = calibrate.prior_distribution(calibration)
    assert set(prior) == {"log10(rules.utility.tau)", "rules.utility.proposal_cost"}
    draws = [prior.rvs() for _ in range(4000)]
    logged = np.array([d["log10(rules.utility.tau)"] for d in draws])
    assert logged.min() >= np.log10(0.05) and logged.max() <= np.log10(1.5)
    assert np.histogram(logged, bins=4)[0].min() > 850  # flat on the log scale
    values = [simulator.natural(d) for d in draws]
    tau = np.array([v["rules.utility.tau"] for v in values])
    assert set(values[0]) == {"rules.utility.tau", "rules.utility.proposal_cost"}
    assert tau.min() >= 0.05 and tau.max() <= 1.5
    assert np.median(tau) == pytest.approx(np.sqrt(0.05 * 1.5), rel=0.1)  # log-uniform: the geometric midpoint
    assert values[0]["rules.utility.proposal_cost"] == draws[0]["rules.utility.proposal_cost"]


def test_a_series_by_its_shape_is_each_figure_as_a_share_of_the_last():
    plan = plan_of("+calibration.targets.0.scale=share_of_last")
    shares = [p for p in plan.points if p.series == "classroom_agreements_active"]
    assert [(p.key, p.step, p.value, p.kind, p.anchor_step) for p in shares] == [
        ("agreements_active/2015-06@2015-02", 2, 10 / 22, "exact", 6),
        ("agreements_active/2015-06@2015-04", 4, 15 / 22, "exact", 6)]
    stats = plan.simulator.run({"rules.utility.tau": 0.5, "rules.utility.proposal_cost": 0.2}, 7)
    assert "trajectory:agreements_active" not in stats  # only the share is a target metric here
    share = stats["trajectory:agreements_active/2015-06"]
    assert share[6] == 1.0 and share[2] == pytest.approx(10 / 22)
    assert stats["agreements_active/2015-06@2015-04"] == pytest.approx(15 / 22)
    assert plan.discrepancy(stats) == pytest.approx(0.0)
    doubled = {**stats, "agreements_active/2015-06@2015-02": 20 / 22, "agreements_active/2015-06@2015-04": 15 / 22}
    assert plan.discrepancy(doubled) == pytest.approx(1 / 2 ** 0.5)  # relative residuals 1 (twice the share) and 0


def test_a_share_of_a_lower_bound_is_approximate():
    points = calibrate._share_points(
        calibrate.Target(series="s", metric="m", scale="share_of_last"), "t",
        [Observation("s", "2010", 40.0, "more_than", "src", "a", "f", 2),
         Observation("s", "2012", 50.0, "exact", "src", "", "f", 3),
         Observation("s", "2011", 100.0, "more_than", "src", "", "f", 4)],
        [10, 30, 20], lambda field: "f")
    assert [(p.date, p.value, p.kind, p.anchor_step, p.note) for p in points] == [
        ("2010", 0.8, "approximate", 30, "a (share of 50 on 2012)"),
        ("2011", 2.0, "approximate", 30, "(share of 50 on 2012)")]


def test_parameters_move_the_statistics():
    plan = plan_of()
    low = [plan.simulator.run({"rules.utility.tau": 0.05}, seed)["agreements_active@2015-06"] for seed in range(4)]
    high = [plan.simulator.run({"rules.utility.tau": 1.5}, seed)["agreements_active@2015-06"] for seed in range(4)]
    assert sum(high) > sum(low)


def test_the_distance_is_one_sided_for_more_than_and_tolerant_for_approximate():
    plan = plan_of()
    point = plan.points[0]
    exact = calibrate.Point(**{**point.__dict__, "value": 100.0, "kind": "exact"})
    more = calibrate.Point(**{**exact.__dict__, "kind": "more_than"})
    about = calibrate.Point(**{**exact.__dict__, "kind": "approximate"})
    d = calibrate.Discrepancy((exact,), 0.1)
    assert d.residual(exact, 120) == pytest.approx(0.2) and d.residual(exact, 80) == pytest.approx(-0.2)
    assert d.residual(more, 150) == 0.0 and d.residual(more, 80) == pytest.approx(-0.2)
    assert d.residual(about, 108) == 0.0 and d.residual(about, 130) == pytest.approx(0.2)
    held = calibrate.Point(**{**exact.__dict__, "key": "other", "role": "hold_out"})
    both = calibrate.Discrepancy((exact, held), 0.1)
    assert both({exact.key: 110.0, "other": 1e6}) == pytest.approx(0.1)  # held-out points never count


@pytest.mark.parametrize("args, names", [
    (["calibration.priors.rules.utility.tau.distribution=beta"], "calibration.priors.rules.utility.tau"),
    (["calibration.targets.0.metric=members_of_iclei"], "override 'calibration.targets.0.metric=members_of_iclei': field 'calibration.targets[0].metric'"),
    (["calibration.steps=3"], "classroom_synthetic.csv, row 3"),
    (["calibration.observed=[scenarios/observed/nope.csv]"], "nope.csv"),
    (["+calibration.priors.rules.utility.nope={distribution: uniform, low: 0, high: 1}"], "rules.utility.nope"),
    (["calibration.priors.rules.utility.tau.high=0.01"], "calibration.priors.rules.utility.tau"),
    (["calibration.targets.1.series=iclei"], "override 'calibration.targets.1.series=iclei': field 'calibration.targets[1].series'"),
    (["calibration=nope"], "calibration=nope"),
    (["+calibration.targets.0.scale=log"], "field 'calibration.targets[0].scale'"),
    (["+calibration.targets.0.scale=share_of_last", "+calibration.targets.0.dates=[2015-04]"],
     "override '+calibration.targets.0.scale=share_of_last': field 'calibration.targets[0].scale'"),
])
def test_mistakes_end_with_one_line_and_exit_2(args, names, monkeypatch, capsys):
    argv = args if args[0].startswith("calibration=") else ["calibration=smoke", *args]
    monkeypatch.setattr(sys, "argv", ["experiments.calibrate", *argv])
    with pytest.raises(SystemExit) as exit_:
        calibrate.cli()
    err = capsys.readouterr().err.strip()
    assert exit_.value.code == 2
    assert ONE_LINE.match(err) and len(err.splitlines()) == 1, err
    assert names in err, err


def test_a_date_outside_the_run_names_it(capsys, monkeypatch):
    monkeypatch.setattr(sys, "argv", ["experiments.calibrate", "calibration=smoke", "calibration.steps=3"])
    with pytest.raises(SystemExit):
        calibrate.cli()
    err = capsys.readouterr().err
    assert "classroom_synthetic.csv, row 3" in err and "'2015-04'" in err and "2014-12 (step 0) to 2015-03" in err


def test_the_command_line_exits_2_on_an_unreadable_observed_file(tmp_path):
    bad = tmp_path / "observed.csv"
    bad.write_bytes(b"\xff\xfe\x00")
    result = subprocess.run([sys.executable, "-m", "experiments.calibrate", "calibration=smoke",
                             f"calibration.observed=[{bad}]", f"hydra.run.dir={tmp_path / 'out'}"],
                            cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and ONE_LINE.match(result.stderr.strip()), result.stderr
    assert str(bad) in result.stderr and "UTF-8" in result.stderr


def test_smoke_calibration_validation_and_resume(tmp_path, threads_cluster):
    plan = plan_of(f"calibration.scheduler={threads_cluster}", "calibration.progress=false",
                   "calibration.population_size=10", "calibration.replicates=4")
    out = tmp_path / "smoke"
    outcome = calibrate.run_abc(plan, out)
    assert outcome.generations == 2 and outcome.resumed_from == 0
    history = pyabc.History(calibrate.database_url(out))
    eps = history.get_all_populations().set_index("t")["epsilon"]
    first = history.get_weighted_distances(0)  # generation 1's ε: the weighted median of generation 0's
    assert eps[1] == pytest.approx(weighted_quantile(first["distance"].values, first["w"].values, alpha=0.5))
    assert eps[1] < eps[0]
    tables = calibrate.write_results(plan, out)
    posterior = pd.read_parquet(out / "posterior.parquet")
    assert len(posterior) == 10 and posterior["weight"].sum() == pytest.approx(1.0)
    assert set(posterior.columns) >= {"rules.utility.tau", "rules.utility.proposal_cost", "distance"}
    assert (posterior["distance"] <= tables["generations"]["epsilon"].iloc[-1] + 1e-12).all()
    ess = tables["generations"].set_index("generation")["effective_sample_size"]
    w = posterior["weight"].to_numpy()
    assert ess[0] == pytest.approx(10.0) and ess[1] == pytest.approx(w.sum() ** 2 / (w ** 2).sum())  # Kish's
    assert json.loads((out / calibrate.RECORD).read_text())["effective_sample_size"] == pytest.approx(ess[1])
    assert {p.name for p in (out / "plots").glob("*.png")} == {"marginals.png", "pairs.png", "predictive.png"}
    median = yaml.safe_load((out / "posterior_median.yaml").read_text())
    assert median["defaults"] == ["override /scenario: classroom"] and median["steps"] == 6
    summary = tables["summary"].set_index("parameter")
    assert median["rules"]["utility"]["tau"] == pytest.approx(summary.loc["rules.utility.tau", "median"])

    again = calibrate.run_abc(plan, out)  # finished: the database is read, nothing is simulated
    assert again.resumed_from == 2 and again.simulations == outcome.simulations

    targets = validate.validate(plan, out)
    assert list(targets["role"]) == ["fit", "hold_out"]
    text = (out / "validation.md").read_text()
    assert "Held out (never in the distance): classroom_iclei_members" in text
    assert f"effective sample size {ess[1]:.1f} of 10 particles" in text
    assert len(pd.read_csv(out / "validation.csv")) == len(plan.points)
    assert (out / "plots" / "validation.png").is_file()


def test_a_folder_of_another_calibration_is_refused(tmp_path):
    plan = plan_of()
    out = tmp_path / "cal"
    out.mkdir()
    (out / calibrate.DATABASE).write_bytes(b"")
    (out / "calibration.yaml").write_text(yaml.safe_dump({**calibrate.what_is_computed(plan.calibration),
                                                          "steps": 5}))
    with pytest.raises(calibrate.SchemaError, match="calibration.steps"):
        calibrate.check_folder(plan, out)
    (out / "calibration.yaml").write_text(yaml.safe_dump({**calibrate.what_is_computed(plan.calibration),
                                                          "description": "said otherwise"}))
    calibrate.check_folder(plan, out)  # the same calibration, described again: resumed


def test_network_growth_is_a_valid_calibration_file():
    data = yaml.safe_load((ROOT / "configs" / "calibration" / "network_growth.yaml").read_text())
    calibration = calibrate.load(calibrate.Calibration, data, "network_growth")
    assert {t.role for t in calibration.targets} == {"fit", "hold_out"}
    assert [t.series for t in calibration.targets if t.role == "fit"] == ["iclei_members", "c40_members"]
    overrides = ["calibration=network_growth"]
    with hydra_configs():
        plan = calibrate.plan_calibration(compose_checked(overrides, "calibrate"), overrides)
    assert plan.simulator.log_keys == {"rules.networks.tau"}  # its log-uniform prior, sampled as log10
    assert "log10(rules.networks.tau)" in calibrate.prior_distribution(plan.calibration)


def test_the_next_generations_time_is_the_last_ones_times_the_growth_of_its_simulations():
    class History:
        def __init__(self, rows):
            self.rows, self.max_t = rows, int(rows["t"].max()) if len(rows) else -1

        def get_all_populations(self):
            return self.rows

    rows = pd.DataFrame({"t": [-1, 0, 1], "samples": [20, 40, 100], "wall_time": [10.0, 20.0, 50.0],
                         "epsilon": [float("inf"), 1.0, 0.5]})
    assert calibrate._next_generation_seconds(History(rows)) == pytest.approx(125.0)
    assert calibrate._next_generation_seconds(History(rows.iloc[:1])) == 0.0  # the first call runs generation 0
    fewer = rows.assign(samples=[20, 40, 30])
    assert calibrate._next_generation_seconds(History(fewer)) == pytest.approx(50.0)  # never less than the last


def test_a_generation_that_would_overrun_the_budget_is_not_started(tmp_path, threads_cluster, monkeypatch):
    """After generation 0 the next one is expected to take 1,000 minutes: it is not started."""
    monkeypatch.setattr(calibrate, "_next_generation_seconds", lambda history: 0.0 if history.max_t < 0 else 6e4)
    plan = plan_of(f"calibration.scheduler={threads_cluster}", "calibration.progress=false",
                   "calibration.population_size=6", "calibration.generations=3", "+calibration.max_minutes=10")
    outcome = calibrate.run_abc(plan, tmp_path / "budget")
    record = json.loads((tmp_path / "budget" / calibrate.RECORD).read_text())
    assert outcome.generations == 1 and record["generations"] == 1
    assert record["stopped"] == ("the wall-time budget (10.0 minutes): the next generation would have taken "
                                 "about 1000 more")


def test_sampler_asks_the_scheduler_for_its_cores_once_per_refresh(monkeypatch):
    """pyabc's loop asks for the workers' cores every 10 ms; the sampler asks the scheduler at most
    once every ``CORES_REFRESH_S`` seconds, and sees a change after it."""
    class Client:
        asked = 0
        cores = {"tcp://a": 1, "tcp://b": 1}

        def ncores(self):
            Client.asked += 1
            return dict(self.cores)

    clock = [100.0]
    monkeypatch.setattr(calibrate.time, "monotonic", lambda: clock[0])
    sampler = calibrate.progress_sampler(Client(), batch_size=1, show=False)
    assert [sampler.client_cores() for _ in range(50)] == [2] * 50
    assert Client.asked == 1
    Client.cores["tcp://c"] = 4
    clock[0] += calibrate.CORES_REFRESH_S / 2
    assert sampler.client_cores() == 2 and Client.asked == 1
    clock[0] += calibrate.CORES_REFRESH_S
    assert sampler.client_cores() == 6 and Client.asked == 2
