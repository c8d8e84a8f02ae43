"""The teaching app in process: its model factory, map, charts and actor panel, and the page rendered by solara."""

from __future__ import annotations

import inspect
import re

import altair as alt
import ipyvuetify as v
import ipywidgets
import numpy as np
import pytest
import solara
from matplotlib.collections import LineCollection, PathCollection
from matplotlib.colors import to_hex
from solara.widgets import VegaLite

from experiments.plots import DOMAIN_COLOURS
from model import DiplomacyModel, build_rules
from model.app import (
    OWN_OVERSIGHT, AppModel, Edges, Page, actor_choices, actor_report, coalition_chart, domain_chart, draw_map, edge_segments,
    events_chart, frontend_packages, live_edges, model_params, network_chart, png, run_settings,
    scenario_choices,
)
from model.rules import REGISTRIES


@pytest.fixture(scope="module")
def classroom_run() -> AppModel:
    """The app's default model (classroom scenario) after a year."""
    model = AppModel()
    for _ in range(12):
        model.step()
    return model


def test_scenarios_listed_classroom_first():
    names = list(scenario_choices())
    assert names[:2] == ["classroom", "article"]
    assert "world" not in names


def test_every_control_is_a_keyword_of_the_model():
    params = model_params()
    keywords = inspect.signature(AppModel.__init__).parameters
    assert set(params) <= set(keywords)
    assert params["scenario_name"]["value"] == "classroom"
    assert params["partner"]["values"] == REGISTRIES["partner"].names()
    assert params["oversight"]["values"] == [OWN_OVERSIGHT] + REGISTRIES["oversight"].names()
    for name, spec in params.items():
        assert spec["value"] == keywords[name].default or name == "scenario_name", name


def test_controls_reach_the_rules():
    model = AppModel(partner="random", candidates=3, oversight="restrictive", beta_distance=1.5, rng=7)
    rules = model.rules
    assert (rules.partner.name, rules.partner.candidates, rules.oversight.name) == ("random", 3, "restrictive")
    assert rules.utility.beta_distance == 1.5
    assert run_settings(model).startswith("random partners (K = 3) · restrictive oversight")
    assert "β distance 1.5" in run_settings(model) and run_settings(model).endswith("seed 7")
    assert {g.oversight.name for g in model.nationals} == {"restrictive"}  # one regime for all, in class
    own = {g.actor_id: g.oversight.name for g in AppModel(oversight=OWN_OVERSIGHT).nationals}
    assert (own["gov_CN"], own["gov_BR"], own["gov_ES"]) == ("restrictive", "permissive", "supervisory")


def test_same_seed_same_run():
    runs = [AppModel(rng=3) for _ in range(2)]
    for model in runs:
        for _ in range(4):
            model.step()
    assert runs[0].ledger.events == runs[1].ledger.events


def test_map_shows_every_actor_and_agreement(classroom_run):
    fig = draw_map(classroom_run)
    ax = fig.axes[0]
    points = sum(len(c.get_offsets()) for c in ax.collections if isinstance(c, PathCollection))
    assert points == len(classroom_run.subnationals) + len(classroom_run.nationals) + len(classroom_run.networks)
    lines = [c for c in ax.collections if isinstance(c, LineCollection)]
    drawn = {to_hex(c.get_colors()[0]) for c in lines}
    edges = live_edges(classroom_run)
    assert drawn == {DOMAIN_COLOURS[d] for d in edges.domains}
    assert ax.get_title().startswith(f"Agreements in force: {len(edges.ends)} ")
    assert png(fig).startswith(b"\x89PNG")


def test_map_colours_by_coalition(classroom_run):
    def faces(colour_by):
        ax = draw_map(classroom_run, colour_by).axes[0]
        return [c.get_facecolors().tolist() for c in ax.collections if isinstance(c, PathCollection)]

    assert classroom_run.coalition_labels
    assert faces("coalition") != faces("country")


def test_agreements_of_one_pair_fan_out(classroom_run):
    edges = live_edges(classroom_run, spacing=0.9)
    pairs = [tuple(e) for e in edges.ends.reshape(len(edges.ends), -1).round(6)]
    busiest = max(set(pairs), key=pairs.count)
    bends = edges.bend[[p == busiest for p in pairs]]
    assert len(bends) > 2
    assert len({tuple(b) for b in bends.round(6)}) == len(bends)  # all apart
    assert np.allclose(bends.sum(axis=0), 0)  # around the straight line


def test_edges_across_the_date_line_come_back_from_the_other_side():
    edges = Edges(np.array([[[170.0, 0.0], [-170.0, 10.0]]]), np.zeros((1, 2)),
                  np.array(["water"], dtype=object), np.array([False]))
    segments = edge_segments(edges, np.array([True]))
    assert np.allclose(segments, [[[170, 0], [190, 10]], [[-190, 0], [-170, 10]]])


def chart_series(spec: dict) -> set[str]:
    """The series of a chart, after checking it is valid Vega-Lite (Altair validates it)."""
    alt.Chart.from_dict(spec)
    return {row["series"] for row in spec["data"]["values"]}


def test_charts(classroom_run):
    assert chart_series(domain_chart(classroom_run)) <= set(DOMAIN_COLOURS)
    assert chart_series(events_chart(classroom_run)) == {"signed", "vetoed", "contested"}
    assert chart_series(network_chart(classroom_run)) == {"UCLG", "ICLEI"}
    assert chart_series(coalition_chart(classroom_run)) == {"energy"}


def test_no_coalition_chart_without_coalitions(classroom):
    model = DiplomacyModel(classroom, build_rules({"coalition": {"name": "none"}}, "test"), rng=1)
    model.step()
    assert coalition_chart(model) is None
    assert draw_map(model, "coalition")  # falls back to countries


def test_actor_panel_of_a_subnational(classroom_run):
    index = actor_choices(classroom_run)["Generalitat de Catalunya (ES)"]
    report = actor_report(classroom_run, index)
    assert len(report.agreements) == sum(index in ag.parties for ag in classroom_run.live.values())
    assert set(report.reviews["event"]) <= {"approved", "vetoed", "contested"}
    assert sum(report.tally.values()) == len(report.reviews)
    assert report.facts[:2] == ["region in ES", "7,510,000 people"]


def test_actor_panel_of_a_government_lists_its_decisions(classroom_run):
    index = actor_choices(classroom_run)["Government of Spain (ES)"]
    reviews = actor_report(classroom_run, index).reviews
    assert set(reviews["event"]) == {"approved", "vetoed"}
    assert set(reviews["about"]) <= {"Barcelona", "Generalitat de Catalunya"}


def test_actor_panel_of_a_network(classroom_run):
    index = actor_choices(classroom_run)["United Cities and Local Governments"]
    network = classroom_run.by_index(index)
    assert f"{len(network.members)} members" in actor_report(classroom_run, index).facts


def test_frontend_packages_are_npm_specs():
    packages = frontend_packages()
    assert any(p.startswith("@widgetti/solara-vuetify") for p in packages)
    assert {"requirejs", "vega", "vega-lite", "vega-embed"} <= {p.rsplit("@", 1)[0] for p in packages}
    assert all(re.fullmatch(r"(@[\w.-]+/)?[\w.-]+@[\w.-]+", p) for p in packages)


# ----------------------------------------------------------------------------- the page, rendered by solara


def texts(rc) -> list[str]:
    """Every text shown by solara.Text."""
    return [w.children[0] for w in rc.find(v.Html, tag="span").widgets if w.children and isinstance(w.children[0], str)]


def map_bytes(rc) -> bytes:
    """The PNG the map shows."""
    (image,) = [w for w in rc.find(ipywidgets.Image).widgets if "world-map" in w._dom_classes]
    return bytes(image.value)


def test_page_steps_redraws_and_resets():
    _, rc = solara.render(solara.AppLayout(children=[Page()]), handle_error=False)
    assert "Step: 0" in texts(rc)
    assert len(rc.find(VegaLite).widgets) == 4  # the charts
    assert rc.find(v.Select, label="Scenario").widget.items == list(scenario_choices())
    before = map_bytes(rc)
    step = rc.find(v.Btn, children=["Step"])
    for _ in range(3):
        step.widget.click()
    assert "Step: 3" in texts(rc)
    assert map_bytes(rc) != before
    rc.find(v.Select, label="Oversight rule").widget.v_model = "restrictive"
    rc.find(v.Btn, children=["Reset"]).widget.click()
    assert "Step: 0" in texts(rc)
    assert any("restrictive oversight" in t for t in texts(rc))
    rc.close()


def test_page_actor_picker_and_colour_switch():
    _, rc = solara.render(solara.AppLayout(children=[Page()]), handle_error=False)
    rc.find(v.Btn, children=["Step"]).widget.click()
    picker = rc.find(v.Select, label="Actor").widget
    assert picker.v_model == "Barcelona (ES)"
    picker.v_model = "Shanghai (CN)"
    assert any(t.startswith("city in CN") for t in texts(rc))
    before = map_bytes(rc)
    rc.find(v.BtnToggle).widget.v_model = "coalition"
    assert map_bytes(rc) != before
    rc.close()


@pytest.mark.parametrize("name", list(scenario_choices()))
def test_every_scenario_draws(name):
    model = AppModel(scenario_name=name)
    model.step()
    for colour_by in ("country", "coalition"):
        png(draw_map(model, colour_by))
    for chart_of in (domain_chart, events_chart, network_chart, coalition_chart):
        spec = chart_of(model)
        assert spec is None or alt.Chart.from_dict(spec)
    assert actor_report(model, 0).facts
