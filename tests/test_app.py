"""The teaching app in process: its settings, words, map and charts, and the page rendered by solara."""

from __future__ import annotations

import gc
import inspect
import re
import time
import xml.etree.ElementTree as ET

import altair as alt
import ipyvuetify as v
import numpy as np
import pytest
import solara
import solara.comm

import experiments.app  # noqa: F401  (the server settings)
from experiments.app.classrun import ClassRun
from experiments.app.drawing import (
    DOMAIN_COLOURS, Edges, base_image, coalition_chart, domain_chart, edge_curves, events_chart, live_edges,
    map_frame, map_svg, network_chart, place_labels,
)
from experiments.app.frontend import frontend_packages
from experiments.app.page import Page
from experiments.app.settings import (
    CHOICE_EXPLANATIONS, OWN_OVERSIGHT, RUNS_ALIVE, AppModel, defaults, parameters, pending_changes,
    run_settings, scenario_choices,
)
from experiments.app.story import actor_choices, actor_report, month_date, month_events, run_date, this_month
from model import DiplomacyModel, build_rules
from model.rules import REGISTRIES
from model.scenario import is_background

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module")
def classroom_run() -> AppModel:
    """The app's default model (classroom scenario) after a year."""
    model = AppModel()
    model.advance(12)
    return model


# ----------------------------------------------------------------------------- settings


def test_scenarios_listed_classroom_first():
    names = list(scenario_choices())
    assert names[:2] == ["classroom", "article"]
    assert "world" not in names


def test_every_control_is_a_keyword_of_the_model_with_its_default():
    keywords = inspect.signature(AppModel.__init__).parameters
    assert set(parameters()) == set(keywords) - {"self"}
    assert defaults()["scenario_name"] == "classroom"
    for name, value in defaults().items():
        assert value == keywords[name].default, name
    assert parameters()["partner"].choices == tuple(REGISTRIES["partner"].names())
    assert parameters()["oversight"].choices == (OWN_OVERSIGHT, *REGISTRIES["oversight"].names())


def test_every_rule_and_parameter_is_explained():
    for name, p in parameters().items():
        assert p.explanation, name
        for choice in p.choices:
            if name != "scenario_name":
                assert choice in CHOICE_EXPLANATIONS, choice
                assert p.explain(choice).endswith(CHOICE_EXPLANATIONS[choice])


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


def test_pending_changes_name_what_waits_for_reset():
    running = AppModel().params
    assert pending_changes(running, defaults()) == []
    chosen = {**defaults(), "beta_distance": 2.0, "oversight": "restrictive"}
    assert pending_changes(running, chosen) == ["Oversight rule each government's own → restrictive",
                                                "β distance 0.3 → 2"]


def test_same_seed_same_run():
    runs = [AppModel(rng=3) for _ in range(2)]
    for model in runs:
        model.advance(4)
    assert runs[0].ledger.events == runs[1].ledger.events


# ----------------------------------------------------------------------------- dates and words


def test_dates_count_from_january_of_the_start_year():
    assert month_date(2015, 1) == "January 2015"
    assert month_date(2015, 12) == "December 2015"
    assert month_date(2015, 13) == "January 2016"
    assert month_date(2015, 0) == "December 2014"
    assert month_date(2015, -24, short=True) == "Dec 2012"
    model = AppModel()
    assert run_date(model) == "Start · before January 2015"
    model.advance(24)
    assert run_date(model) == "Month 24 · December 2016"


def test_month_events_are_the_ledgers_events_of_that_month(classroom_run):
    for step in (1, 6, 12):
        assert month_events(classroom_run, step) == [e for e in classroom_run.ledger.events if e.step == step]
    assert month_events(classroom_run, 13) == []


def test_this_month_says_who_signed_with_whom():
    model = AppModel()
    model.advance(1)
    report = this_month(model)
    events = month_events(model)
    signed = [e for e in events if e.event == "signed"]
    assert report.heading == "This month: January 2015"
    said = [s for s in report.sentences if " signed a" in s]
    assert len(said) == len(signed) > 0
    first = next(e for e in signed if e.kind == "bilateral")
    names = [model.by_index(p).name for p in first.parties]
    assert f"{names[0]} and {names[1]} signed an agreement on {first.domain}." in report.sentences
    proposals = sum(e.event == "proposed" for e in events)
    assert proposals > 1 and report.summary == f"{proposals} proposals, " \
                                               f"{sum(e.event == 'declined' for e in events)} declined by the partner."


def first_quiet_month(beta_distance: float = 2.0, within: int = 36) -> int:
    """The first month of the classroom run (seed 42) in which nothing is signed, vetoed or ended.

    With the defaults São Paulo state signs something nearly every month;
    exercise 2's β distance 2 leaves quiet months."""
    model = AppModel(beta_distance=beta_distance)
    for month in range(1, within + 1):
        model.advance(1)
        if not this_month(model).sentences:
            return month
    raise AssertionError(f"no quiet month in {within}")


def test_this_month_says_when_nothing_happened():
    quiet = first_quiet_month()
    model = AppModel(beta_distance=2.0)
    model.advance(quiet)
    report = this_month(model)
    assert report.sentences == ()
    assert report.summary.startswith("Nothing happened this month")
    assert not [e for e in month_events(model) if e.event not in ("proposed", "declined", "approved")]


def test_vetoes_and_contested_signatures_in_words():
    model = AppModel(oversight="restrictive")
    texts = []
    for _ in range(12):
        model.advance(1)
        texts += this_month(model).sentences
    vetoes = [t for t in texts if " vetoed " in t]
    assert vetoes and all(t.startswith("Government of ") for t in vetoes)
    contested = [t for t in texts if t.endswith("(contested).")]
    assert contested and all("despite the veto of Government of " in t for t in contested)


@pytest.mark.parametrize("name", ["istanbul_water", "shanghai", "networks"])
def test_every_event_of_a_scenario_in_words(name):
    """Declarations, practices, mega-events, networks: every event but proposals and approvals is a sentence."""
    model = AppModel(scenario_name=name)
    counted = {"proposed", "declined", "approved"}
    for _ in range(24):
        model.advance(1)
        events = [e for e in month_events(model) if e.event not in counted]
        contested = {e.agreement_id for e in events if e.event == "contested"}
        said = [e for e in events if not (e.event == "vetoed" and e.agreement_id in contested)]
        report = this_month(model)
        assert len(report.sentences) == min(len(said), 60) + (len(said) > 60)
        assert all(s.endswith(".") and "None" not in s for s in report.sentences)


def test_actor_picker_lists_named_actors_and_governments_first():
    model = AppModel(scenario_name="article")
    labels = list(actor_choices(model))
    indices = list(actor_choices(model).values())
    assert len(labels) == (len(model.subnationals) + len(model.nationals) + len(model.networks)
                           + len(model.private_actors))
    named = [a.index for a, spec in zip(model.subnationals, model.spec.subnationals, strict=True)
             if not is_background(spec)]
    first = (named + [g.index for g in model.nationals] + [n.index for n in model.networks]
             + [p.index for p in model.private_actors])
    assert indices[:len(first)] == first
    background = labels[len(first):]
    assert background and background == sorted(background)
    assert labels[0] == f"{model.subnationals[named[0]].name} (BR)"
    assert labels.index("Government of China (CN)") < len(first)


def test_actor_panel_of_a_subnational(classroom_run):
    index = actor_choices(classroom_run)["Generalitat de Catalunya (ES)"]
    report = actor_report(classroom_run, index)
    assert len(report.agreements.rows) == sum(index in ag.parties for ag in classroom_run.live.values())
    assert set(report.reviews.column("event")) <= {"approved", "vetoed", "contested"}
    assert sum(report.tally.values()) == len(report.reviews.rows)
    assert report.facts[:2] == ["region in ES", "7,510,000 people"]
    assert all(re.fullmatch(r"[A-Z][a-z]{2} \d{4}", d) for d in report.agreements.column("since"))


def test_actor_panel_of_a_government_lists_its_decisions(classroom_run):
    index = actor_choices(classroom_run)["Government of Spain (ES)"]
    reviews = actor_report(classroom_run, index).reviews
    assert set(reviews.column("event")) == {"approved", "vetoed"}
    assert set(reviews.column("about")) <= {"Barcelona", "Generalitat de Catalunya"}


def test_actor_panel_of_a_network(classroom_run):
    index = actor_choices(classroom_run)["United Cities and Local Governments"]
    network = classroom_run.by_index(index)
    assert f"{len(network.members)} members" in actor_report(classroom_run, index).facts


# ----------------------------------------------------------------------------- the map


def svg_tree(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def test_map_shows_every_actor_and_agreement(classroom_run):
    root = svg_tree(map_svg(classroom_run, 960))
    actors = root.find(f"{SVG}g[@class='actors']")
    assert len(actors) == len(classroom_run.subnationals) + len(classroom_run.nationals) + len(classroom_run.networks)
    assert {"Barcelona (ES)", "Government of Spain"} <= {a.find(f"{SVG}title").text for a in actors}
    edges = live_edges(classroom_run)
    assert int(root.get("data-agreements")) == len(edges.ends) == len(classroom_run.pair_agreements())
    paths = root.find(f"{SVG}g[@class='edges']")
    assert {p.get("stroke") for p in paths} == {DOMAIN_COLOURS[d] for d in edges.domains}
    assert sum(p.get("d").count("M") for p in paths) >= len(edges.ends)


def test_map_is_drawn_at_the_width_shown(classroom_run):
    for width in (640, 1568):
        root = svg_tree(map_svg(classroom_run, width))
        assert root.get("width") == str(width)
        assert root.get("viewBox") == f"0 0 {width} {map_frame(classroom_run, width).height}"
    frame = map_frame(classroom_run, 1568)
    assert base_image(frame).startswith("data:image/png;base64,")


def test_map_highlights_the_picked_actor(classroom_run):
    index = actor_choices(classroom_run)["São Paulo State (BR)"]
    root = svg_tree(map_svg(classroom_run, 960, "country", index))
    highlight = root.find(f"{SVG}g[@class='highlight']")
    ring = highlight.find(f"{SVG}circle[@class='picked']")
    x, y = map_frame(classroom_run, 960).pixels(classroom_run.actors.lon[index], classroom_run.actors.lat[index])
    assert (float(ring.get("cx")), float(ring.get("cy"))) == (round(float(x), 1), round(float(y), 1))
    mine = sum(index in ag.parties for ag in classroom_run.pair_agreements())
    bold = [p for p in highlight.findall(f"{SVG}path") if p.get("stroke") != "white"]
    assert mine > 0 and sum(p.get("d").count("M") for p in bold) >= mine
    assert svg_tree(map_svg(classroom_run, 960)).find(f"{SVG}g[@class='highlight']") is None


def test_map_colours_by_coalition(classroom_run):
    def fills(colour_by):
        return [c.get("fill") for c in svg_tree(map_svg(classroom_run, 960, colour_by)).iter(f"{SVG}circle")]

    assert classroom_run.coalition_labels
    assert fills("coalition") != fills("country")


@pytest.mark.parametrize("width", [640, 1024, 1920])
def test_map_labels_do_not_overlap(width):
    model = AppModel(scenario_name="article")
    frame = map_frame(model, width)
    labels = place_labels(model, frame)
    assert len(labels) >= 8
    for k, a in enumerate(labels):
        assert 0 <= a.box[0] and a.box[2] <= frame.width and 0 <= a.box[1] and a.box[3] <= frame.height
        for b in labels[k + 1:]:
            assert not (a.box[0] < b.box[2] and b.box[0] < a.box[2] and a.box[1] < b.box[3] and b.box[1] < a.box[3]), \
                (a.text, b.text)
    assert "London" in {label.text for label in place_labels(model, map_frame(model, 1920))}


def test_agreements_of_one_pair_fan_out(classroom_run):
    edges = live_edges(classroom_run, 0.9)
    pairs = [tuple(e) for e in edges.ends.reshape(len(edges.ends), -1).round(6)]
    busiest = max(set(pairs), key=pairs.count)
    bends = edges.bend[[p == busiest for p in pairs]]
    assert len(bends) > 2
    assert len({tuple(b) for b in bends.round(6)}) == len(bends)  # all apart
    assert np.allclose(bends.sum(axis=0), 0)  # around the straight line


def test_edges_across_the_date_line_come_back_from_the_other_side():
    edges = Edges(np.array([[[170.0, 0.0], [-170.0, 10.0]]]), np.zeros((1, 2)),
                  np.array(["water"], dtype=object), np.array([False]), np.array([[0, 1]]))
    curves = edge_curves(edges, np.array([True]))
    assert np.allclose(curves, [[[170, 0], [180, 5], [190, 10]], [[-190, 0], [-180, 5], [-170, 10]]])


# ----------------------------------------------------------------------------- charts


def chart_series(spec: dict) -> set[str]:
    """The series of a chart, after checking it is valid Vega-Lite (Altair validates it)."""
    alt.Chart.from_dict(spec)
    return set(spec["transform"][0]["fold"])


def test_charts(classroom_run):
    assert chart_series(domain_chart(classroom_run)) <= set(DOMAIN_COLOURS)
    assert chart_series(events_chart(classroom_run)) == {"signed", "vetoed", "contested"}
    assert chart_series(network_chart(classroom_run)) == {"UCLG", "ICLEI"}
    assert chart_series(coalition_chart(classroom_run)) == {"energy"}
    rows = events_chart(classroom_run)["data"]["values"]
    assert [r["date"] for r in rows[:2]] == ["2014-12-01", "2015-01-01"] and len(rows) == 13
    assert [r["signed"] for r in rows] == classroom_run.datacollector.model_vars["signed"]


def test_no_coalition_chart_without_coalitions(classroom):
    model = DiplomacyModel(classroom, build_rules({"coalition": {"name": "none"}}, "test"), rng=1)
    model.step()
    assert coalition_chart(model) is None
    assert map_svg(model, 800, "coalition")  # falls back to countries


@pytest.mark.parametrize("name", list(scenario_choices()))
def test_every_scenario_draws(name):
    model = AppModel(scenario_name=name)
    model.advance(1)
    for colour_by in ("country", "coalition"):
        svg_tree(map_svg(model, 1024, colour_by, 0))
    for chart_of in (domain_chart, events_chart, network_chart, coalition_chart):
        spec = chart_of(model)
        assert spec is None or alt.Chart.from_dict(spec)
    assert actor_report(model, 0).facts and this_month(model).heading


def test_frontend_packages_are_npm_specs():
    packages = frontend_packages()
    assert any(p.startswith("@widgetti/solara-vuetify") for p in packages)
    assert {"requirejs", "vega", "vega-lite", "vega-embed"} <= {p.rsplit("@", 1)[0] for p in packages}
    assert all(re.fullmatch(r"(@[\w.-]+/)?[\w.-]+@[\w.-]+", p) for p in packages)


# ----------------------------------------------------------------------------- the class run


def test_class_run_publish_follow_withdraw():
    run, model = ClassRun(), AppModel()
    assert run.model() is None and run.wait((0, 0), timeout=0) == (0, 0)
    run.publish(model, "teacher")
    assert run.model() is model and run.wait((0, 0), timeout=0) == (1, 1)
    run.publish(model, "teacher")  # a Step: followers wake up, the others do not
    assert run.wait((1, 1), timeout=0) == (2, 1)
    start = time.monotonic()
    assert run.wait((2, 1), timeout=0.2, steps=False) == (2, 1) and time.monotonic() - start >= 0.2
    run.withdraw("student")  # only the publisher withdraws
    assert run.model() is model
    run.withdraw("teacher")
    assert run.model() is None and run.wait((2, 1), timeout=0, steps=False) == (3, 2)


def test_class_run_holds_its_model_weakly():
    run = ClassRun()
    run.publish(AppModel(), "teacher")
    gc.collect()
    assert run.model() is None


# ----------------------------------------------------------------------------- the page, rendered by solara


def texts(rc) -> list[str]:
    """Every text shown by solara.Text."""
    return [w.children[0] for w in rc.find(v.Html, tag="span").widgets if w.children and isinstance(w.children[0], str)]


def counter(rc) -> str:
    return rc.find(v.Html, class_="step-counter").widget.children[0]


def click(rc, label: str) -> None:
    rc.find(v.Btn, children=[label]).widget.click()


def test_page_steps_runs_to_a_month_and_resets():
    _, rc = solara.render(solara.AppLayout(children=[Page()]), handle_error=False)
    assert counter(rc) == "Start · before January 2015"
    assert len(rc.find(solara.widgets.VegaLite).widgets) == 4  # the charts
    before = rc.find(v.Html, class_="month-summary").widget.children[0]
    for _ in range(3):
        click(rc, "Step")
    assert counter(rc) == "Month 3 · March 2015"
    assert rc.find(v.Html, class_="month-summary").widget.children[0] != before
    click(rc, "Run to month")  # 24 by default
    assert counter(rc) == "Month 24 · December 2016"
    rc.find(v.Select, label="Oversight rule").widget.v_model = "restrictive"
    pending = rc.find(v.Alert, class_="pending-changes").widget
    assert "Oversight rule each government's own → restrictive" in str(pending.children)
    click(rc, "Reset")
    assert counter(rc) == "Start · before January 2015"
    assert any("restrictive oversight" in t for t in texts(rc))
    assert not rc.find(v.Alert, class_="pending-changes").widgets
    click(rc, "Restore defaults")
    assert "restrictive → each government's own" in str(rc.find(v.Alert, class_="pending-changes").widget.children)
    rc.close()


def map_widget(rc):
    (widget,) = [w for w in rc.find(v.VuetifyTemplate).widgets if hasattr(w, "svg")]
    return widget


def test_page_actor_picker_highlight_and_colour_switch():
    _, rc = solara.render(solara.AppLayout(children=[Page()]), handle_error=False)
    click(rc, "Step")
    picker = rc.find(v.Autocomplete).widget
    assert picker.v_model == "Barcelona (ES)"
    barcelona = map_widget(rc).svg
    picker.v_model = "Shanghai (CN)"
    assert any(t.startswith("city in CN") for t in texts(rc))
    model = next(m for m in RUNS_ALIVE if m.steps == 1 and m.params == defaults())
    shanghai_index = actor_choices(model)["Shanghai (CN)"]
    live = sum(shanghai_index in ag.parties for ag in model.live.values())
    assert f"Agreements in force: {live} (bold on the map)" in texts(rc)
    shanghai = map_widget(rc).svg
    assert shanghai != barcelona and 'class="picked"' in shanghai
    rc.find(v.BtnToggle).widget.v_model = "coalition"
    assert map_widget(rc).svg != shanghai
    map_widget(rc).width = 1504  # the browser says how wide the map is shown: it is drawn at that width
    assert 'width="1504"' in map_widget(rc).svg
    rc.close()


def test_closed_page_releases_its_run():
    """A closed page's model is garbage, as when Solara closes a culled session (its render context and widgets).

    Rendered outside a server, solara keeps every widget's comm in
    ``solara.comm.orphan_comm_stacks`` (a debugging aid of kernel-less
    rendering, which a server does not have): the test drops this page's ones.
    """
    gc.collect()
    alive, comms = set(map(id, RUNS_ALIVE)), set(solara.comm.orphan_comm_stacks)
    _, rc = solara.render(solara.AppLayout(children=[Page()]), handle_error=False)
    click(rc, "Step")
    click(rc, "Publish my run to the class")
    mine = [m for m in RUNS_ALIVE if id(m) not in alive]
    assert len(mine) == 1
    del mine
    rc.close()
    del rc, _
    for comm in set(solara.comm.orphan_comm_stacks) - comms:
        del solara.comm.orphan_comm_stacks[comm]
    gc.collect()
    assert not [m for m in RUNS_ALIVE if id(m) not in alive]
