"""The article's stories as scenarios: files, invariants of the collective dynamics, end-to-end runs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from experiments.config import load_scenario, read_yaml, scenario_data
from experiments.outputs import run_tables
from experiments.plots.story import final_coalitions, plot_story
from model import DiplomacyModel, build_rules, scenario_from_data, with_oversight
from model.scenario import is_background
from test_model import assert_ledger_matches_state

ROOT = Path(__file__).resolve().parents[1]
STORIES = ("sao_paulo", "istanbul_water", "barcelona_catalonia", "london", "shanghai", "networks")
STORY_PLOTS = {
    "sao_paulo": ("top_actors.png", "adoption_curves.png", "coalition_map.png"),
    "istanbul_water": ("declaration_signatures.png", "adoption_curves.png", "network_members.png"),
    "barcelona_catalonia": ("adoption_curves.png", "coalition_map.png", "coalition_energy.png"),
    "london": ("mega_events.png", "adoption_curves.png"),
    "shanghai": ("mega_events.png", "declaration_signatures.png"),
    "networks": ("network_members.png", "declaration_signatures.png"),
}


@pytest.mark.parametrize("story", STORIES)
def test_each_story_has_its_data_its_config_and_a_readme_section(story):
    scenario = load_scenario(ROOT / "scenarios" / f"{story}.yaml")
    assert scenario.name == story
    config = read_yaml(ROOT / "configs" / "scenario" / f"{story}.yaml", "file")
    assert config["name"] == story and config["file"] == f"scenarios/{story}.yaml"
    readme = (ROOT / "README.md").read_text()
    section = readme.split(f"- `{story}` —", 1)[1].split("\n- `", 1)[0]
    assert any(plot in section for plot in STORY_PLOTS[story]), story


def classroom_story():
    """The classroom scenario with a declaration, a practice, a mega-event, a crisis and a stance change."""
    data = scenario_data(ROOT / "scenarios" / "classroom.yaml")
    data["timeline"] = {
        "declarations": [{"id": "consensus", "name": "Consensus", "domain": "water", "convenor": "barcelona",
                          "networks": ["uclg"], "step": 3, "months": 5}],
        "mega_events": [{"name": "Expo", "actor": "new_york", "step": 2, "months": 4, "boost": 1.0}],
        "crises": [{"name": "Drought", "domain": "water", "step": 1, "months": 6}],
        "stance_changes": [{"name": "Crackdown", "actor": data["nationals"][0]["id"], "step": 4, "stance": 0.1}],
    }
    data["practices"] = [{"id": "plan", "name": "Plan", "domain": "technology", "origin": "barcelona",
                          "p": 0.02, "q": 0.3}]
    return scenario_from_data(data, "classroom_story")


@settings(max_examples=12, deadline=None)
@given(seed=st.integers(0, 10_000), mean=st.floats(0.0, 0.8), k=st.integers(1, 3))
def test_invariants_of_the_collective_dynamics(seed, mean, k):
    scenario = classroom_story()
    rules = build_rules({"declarations": {"name": "threshold", "mean": mean},
                         "coalition": {"name": "landscape", "max_coalitions": k}}, "t")
    model = DiplomacyModel(scenario, rules, rng=seed)
    adopted = model.diffusion.adopted.copy()
    for _ in range(12):
        model.step()
        labels = model.coalition_labels  # a partition: every coalition actor in exactly one of k coalitions
        assert sorted(labels) == sorted(model.coalitions.members.tolist())
        assert set(labels.values()) <= set(range(k))
        assert np.all(model.diffusion.adopted >= adopted)  # adoption is never undone
        adopted = model.diffusion.adopted.copy()
    window = range(3, 3 + 5)
    assert all(e.step in window for e in model.ledger.events if e.event == "endorsed")
    assert_ledger_matches_state(model)


def test_story_plots_of_a_small_run(tmp_path):
    model = DiplomacyModel(classroom_story(), build_rules({}, "t"), rng=1)
    for _ in range(10):
        model.step()
    tables = run_tables(model)
    paths = plot_story(tables, tmp_path, title="classroom story · seed 1")
    assert {p.name for p in paths} == {"coalition_energy.png", "coalition_map.png", "declaration_signatures.png",
                                       "adoption_curves.png", "mega_events.png", "network_members.png",
                                       "top_actors.png"}
    assert all(p.read_bytes().startswith(b"\x89PNG") for p in paths)
    ids = {model.by_index(i).actor_id: c for i, c in model.coalition_labels.items()}
    assert final_coalitions(tables["agreements"]).to_dict() == ids


# ------------------------------------------------------------------ end to end


@pytest.fixture(scope="module")
def story_runs(tmp_path_factory):
    """Every story run from the command line with its default rules and seed, two at a time.

    48 months instead of 120 keeps the tests short: a run is the prefix of a
    longer one with the same seed, and the Istanbul Water Consensus closes in month 39.
    """
    out = tmp_path_factory.mktemp("stories")
    pending, running = list(STORIES), []
    while pending or running:
        while pending and len(running) < 2:
            story = pending.pop(0)
            running.append((story, subprocess.Popen(
                [sys.executable, "-m", "experiments.run", f"scenario={story}", "steps=48", "progress=false",
                 f"hydra.run.dir={out / story}"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                text=True)))
        story, process = running.pop(0)
        _, stderr = process.communicate(timeout=600)
        assert process.returncode == 0, f"{story}: {stderr}"
    return out


@pytest.mark.slow
@pytest.mark.parametrize("story", STORIES)
def test_each_story_runs_and_writes_its_plots(story_runs, story):
    plots = story_runs / story / "plots"
    for name in STORY_PLOTS[story] + ("world_map.png", "coalition_energy.png", "top_actors.png"):
        assert (plots / name).is_file(), name
    assert (story_runs / story / "manifest.json").is_file()


@pytest.mark.slow
def test_istanbul_water_consensus_gathers_more_than_a_hundred_signatories(story_runs):
    ledger = pd.read_parquet(story_runs / "istanbul_water" / "agreements.parquet")
    signatories = ledger[(ledger["event"] == "endorsed") & (ledger["detail"] == "istanbul_water_consensus")]
    assert signatories["actor_id"].nunique() > 100


def signed_per_year(story: str, government: str, regime: str, actor: str, seeds=(1, 2, 3, 4, 5),
                    months=120) -> float:
    """Mean agreements ``actor`` signs a year with ``government`` under ``regime``, everything else unchanged."""
    scenario = with_oversight(load_scenario(ROOT / "scenarios" / f"{story}.yaml"), {government: regime}, "test")
    per_year = []
    for seed in seeds:
        model = DiplomacyModel(scenario, rng=seed)
        for _ in range(months):
            model.step()
        i = model.by_id[actor].index
        per_year += [signed[i] for _, signed, _ in model.utilisation_log]
    return float(np.mean(per_year))


@pytest.mark.slow
@pytest.mark.parametrize("story,government,actor", [("shanghai", "gov_CN", "shanghai"),
                                                    ("sao_paulo", "gov_BR", "sao_paulo_state")])
def test_a_restrictive_government_halves_what_its_city_signs(story, government, actor):
    """The regime is a mechanism: the same world, only one government's regime changed."""
    permissive = signed_per_year(story, government, "permissive", actor)
    restrictive = signed_per_year(story, government, "restrictive", actor)
    assert permissive > 2
    assert restrictive <= 0.5 * permissive


@pytest.mark.slow
@pytest.mark.parametrize("story", ["sao_paulo", "london"])
def test_named_actors_sign_what_their_agreements_are_worth_not_their_capacity(story_runs, story):
    utilisation = pd.read_parquet(story_runs / story / "utilisation.parquet")
    named = {x.id for x in load_scenario(ROOT / "scenarios" / f"{story}.yaml").subnationals if not is_background(x)}
    named_years = utilisation[utilisation["actor_id"].isin(named)]
    always_full = (named_years.groupby("actor_id")["utilisation"].min() >= 0.95).sum()
    assert always_full <= 3
    assert named_years["utilisation"].std() > 0.1  # volumes differ between actors and years
