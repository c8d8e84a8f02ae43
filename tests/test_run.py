"""The command line end to end: outputs, their schema, determinism, multirun."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import networkx as nx
import pandas as pd
import pytest

from experiments.network import agreements_in_force

ROOT = Path(__file__).resolve().parents[1]

AGENT_COLUMNS = {"actor_id", "name", "type", "kind", "country", "population", "lat", "lon", "degree",
                 "memberships"}
LEDGER_COLUMNS = {"step", "event", "agreement_id", "kind", "domain", "parties", "actor_id"}


def run_cli(*args, cwd):
    result = subprocess.run([sys.executable, "-m", "experiments.run", *args], cwd=cwd,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    return result


@pytest.fixture(scope="module")
def classroom_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("classroom")
    result = run_cli("scenario=classroom", "steps=24", "seed=3", f"hydra.run.dir={out}", cwd=out)
    return out, result


def test_run_writes_every_output(classroom_run):
    out, result = classroom_run
    for name in ("config.yaml", "manifest.json", "metrics.parquet", "agents.parquet", "agreements.parquet",
                 "agent_steps.parquet", "utilisation.parquet", "network.graphml", "plots/agreements_by_domain.png",
                 "plots/signed_vetoed_contested.png", "plots/world_map.png"):
        assert (out / name).is_file(), name
    assert f"outputs: {out}" in result.stdout
    assert not list(out.rglob("*.tmp"))


def test_output_schema(classroom_run):
    out, _ = classroom_run
    agents = pd.read_parquet(out / "agents.parquet")
    ledger = pd.read_parquet(out / "agreements.parquet")
    metrics = pd.read_parquet(out / "metrics.parquet")
    assert AGENT_COLUMNS <= set(agents.columns)
    assert set(agents["type"]) == {"subnational", "national", "network"}
    assert LEDGER_COLUMNS <= set(ledger.columns)
    assert list(metrics.columns) == ["step", "date", "metric", "value"]
    assert {"agreements_active", "signed", "vetoed", "contested", "subnational_share"} <= set(metrics["metric"])
    assert metrics["step"].max() == 24


def test_every_table_with_a_step_has_its_date(classroom_run):
    """Step 1 is January of the scenario's start_year (classroom: 2015); step 0, the start, the month before."""
    out, _ = classroom_run
    for name in ("metrics", "agreements", "agent_steps"):
        table = pd.read_parquet(out / f"{name}.parquet")
        assert list(table.columns).index("date") == list(table.columns).index("step") + 1, name
        months = table["date"].dt.year * 12 + table["date"].dt.month - 1
        assert (months == 2015 * 12 + table["step"] - 1).all(), name
    metrics = pd.read_parquet(out / "metrics.parquet")
    assert set(metrics.loc[metrics["step"].isin([0, 1, 24]), "date"].dt.strftime("%Y-%m")) == {
        "2014-12", "2015-01", "2016-12"}
    utilisation = pd.read_parquet(out / "utilisation.parquet")
    assert set(zip(utilisation["year"], utilisation["calendar_year"])) == {(1, 2015), (2, 2016)}


def test_network_graphml_has_every_actor_and_agreement_in_force(classroom_run):
    out, _ = classroom_run
    graph = nx.read_graphml(out / "network.graphml")
    agents = pd.read_parquet(out / "agents.parquet")
    assert set(graph.nodes) == set(agents["actor_id"])
    assert all(set(data) == set(agents.columns) - {"actor_id"} for _, data in graph.nodes(data=True))
    in_force = agreements_in_force(agents, pd.read_parquet(out / "agreements.parquet"))
    assert len(in_force) > 0
    assert sorted(data["agreement_id"] for *_, data in graph.edges(data=True)) == sorted(in_force["agreement_id"])


def test_manifest(classroom_run):
    out, _ = classroom_run
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["seed"] == 3 and manifest["steps"] == 24
    assert {"python", "mesa", "numpy", "pandas"} <= set(manifest["versions"])
    assert len(manifest["run_id"]) == 16 and manifest["wall_time_s"] > 0


@pytest.mark.slow
def test_same_seed_gives_identical_metrics_data(tmp_path):
    tables = []
    for name, seed in (("a", 9), ("b", 9), ("c", 10)):
        run_cli("scenario=classroom", "steps=30", f"seed={seed}", "plots=false", f"hydra.run.dir={tmp_path / name}",
                cwd=tmp_path)
        tables.append(pd.read_parquet(tmp_path / name / "metrics.parquet"))
    pd.testing.assert_frame_equal(tables[0], tables[1])
    assert not tables[0].equals(tables[2])


@pytest.mark.slow
def test_article_run_has_every_actor_and_vetoes(tmp_path):
    run_cli("steps=12", "plots=false", f"hydra.run.dir={tmp_path}", cwd=tmp_path)
    agents = pd.read_parquet(tmp_path / "agents.parquet")
    from test_scenario import ARTICLE_ACTORS
    assert set(ARTICLE_ACTORS) <= set(agents["actor_id"])
    events = pd.read_parquet(tmp_path / "agreements.parquet")["event"].value_counts()
    assert events["signed"] > 0 and events["vetoed"] > 0


@pytest.mark.slow
def test_multirun_gives_each_job_its_outputs(tmp_path):
    run_cli("--multirun", "scenario=classroom", "steps=6", "plots=false",
            "rules/oversight=permissive,restrictive", f"hydra.sweep.dir={tmp_path}", cwd=tmp_path)
    for job in ("0", "1"):
        assert (tmp_path / job / "manifest.json").is_file()
        assert (tmp_path / job / "metrics.parquet").is_file()


@pytest.mark.slow
def test_user_scenario_file(tmp_path):
    source = (ROOT / "scenarios" / "classroom.yaml").read_text()
    mine = tmp_path / "mine.yaml"
    mine.write_text(source.replace("name: classroom", "name: mine", 1))
    run_cli(f"scenario_file={mine}", "steps=3", "plots=false", f"hydra.run.dir={tmp_path / 'out'}", cwd=tmp_path)
    assert json.loads((tmp_path / "out" / "manifest.json").read_text())["scenario"] == "mine"
