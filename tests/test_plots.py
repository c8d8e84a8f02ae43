"""Tests of the per-run plots (experiments.plots) on small hand-made tables, and of the map base."""

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from experiments.network import agreements_in_force
from experiments.outputs import with_dates
from experiments.plots import DOMAIN_COLOURS, WORLD_EXTENT, draw_coastlines_and_borders, plot_run
from experiments.plots.common import start_year_of, step_years, year_axis
from model.scenario import DOMAINS

START_YEAR = 2015

PLOTS = ("agreements_by_domain.png", "signed_vetoed_contested.png", "world_map.png")


def _agents() -> pd.DataFrame:
    rows = [
        ("bcn", "Barcelona", "subnational", "city", "ES", 1_600_000, 41.4, 2.2, 3),
        ("sf", "San Francisco", "subnational", "city", "US", 800_000, 37.8, -122.4, 1),
        ("cat", "Catalonia", "subnational", "region", "ES", 7_500_000, 41.6, 1.5, 2),
        ("tyo", "Tokyo", "subnational", "city", "JP", 14_000_000, 35.7, 139.7, 1),
        ("gov_ES", "Government of Spain", "national", "national", "ES", 47_000_000, 40.4, -3.7, 1),
        ("gov_US", "Government of United States", "national", "national", "US", 330_000_000, 38.9, -77.0, 0),
        ("net", "Eurocities", "network", "network", "", 0, 50.8, 4.4, 0),
    ]
    cols = ["actor_id", "name", "type", "kind", "country", "population", "lat", "lon", "degree"]
    agents = pd.DataFrame(rows, columns=cols)
    agents["memberships"] = [["net"], [], [], [], [], [], []]
    agents["members"] = [0, 0, 0, 0, 0, 0, 1]
    return agents


def _event(step, event, agreement_id, parties, domain="economy", kind="bilateral"):
    return {"step": step, "event": event, "agreement_id": agreement_id, "kind": kind, "domain": domain,
            "parties": parties, "actor_id": parties[0], "detail": ""}


def _ledger() -> pd.DataFrame:
    """0 signed then expired; 1 contested; 2 only vetoed; 3 signed and still in force."""
    events = [
        _event(-6, "signed", 0, ["bcn", "sf"]),
        _event(1, "joined", None, ["bcn", "net"], kind="membership"),
        _event(1, "proposed", 1, ["bcn", "cat"], "culture"),
        _event(1, "vetoed", 1, ["bcn", "cat"], "culture"),
        _event(1, "contested", 1, ["bcn", "cat"], "culture"),
        _event(2, "proposed", 2, ["sf", "cat"], "water"),
        _event(2, "vetoed", 2, ["sf", "cat"], "water"),
        _event(3, "expired", 0, ["bcn", "sf"]),
        _event(4, "proposed", 3, ["cat", "gov_ES"], "health", "state_relation"),
        _event(4, "approved", 3, ["cat", "gov_ES"], "health", "state_relation"),
        _event(4, "signed", 3, ["cat", "gov_ES"], "health", "state_relation"),
    ]
    ledger = pd.DataFrame(events)
    ledger["agreement_id"] = ledger["agreement_id"].astype("Int64")
    return with_dates(ledger, START_YEAR)


def _metrics(steps: int = 24) -> pd.DataFrame:
    series = {
        "signed": lambda t: t % 3, "vetoed": lambda t: t % 2, "contested": lambda t: float(t % 5 == 0),
        "active_by_domain.economy": lambda t: t, "active_by_domain.culture": lambda t: t / 2,
        "active_by_domain.defence": lambda t: 0.0, "agreements_active": lambda t: 1.5 * t,
    }
    rows = [(t, name, float(f(t))) for t in range(steps) for name, f in series.items()]
    return with_dates(pd.DataFrame(rows, columns=["step", "metric", "value"]), START_YEAR)


def _assert_pngs(paths, out_dir):
    assert [p.name for p in paths] == list(PLOTS)
    for path in paths:
        assert path.parent == out_dir
        data = path.read_bytes()
        assert data.startswith(b"\x89PNG\r\n\x1a\n")
        assert len(data) > 10_000, path.name
    assert not list(out_dir.glob("*.tmp")), "temporary files left behind"


def _later(ledger: pd.DataFrame, *events: dict) -> pd.DataFrame:
    return pd.concat([ledger, with_dates(pd.DataFrame(list(events)), START_YEAR)], ignore_index=True)


def test_agreements_in_force_keeps_only_agreements_in_force():
    edges = agreements_in_force(_agents(), _ledger())
    assert list(edges.columns) == ["agreement_id", "domain", "kind", "status", "a", "b", "signed_step",
                                   "signed_date"]
    got = edges.set_index("agreement_id")[["status", "domain", "kind", "a", "b", "signed_step"]]
    assert got.to_dict("index") == {
        1: {"status": "contested", "domain": "culture", "kind": "bilateral", "a": "bcn", "b": "cat", "signed_step": 1},
        3: {"status": "active", "domain": "health", "kind": "state_relation", "a": "cat", "b": "gov_ES",
            "signed_step": 4},
    }
    assert list(edges["signed_date"].dt.strftime("%Y-%m")) == ["2015-01", "2015-04"]


def test_agreements_in_force_uses_step_order_and_drops_unknown_actors():
    ledger = _ledger().iloc[::-1].reset_index(drop=True)  # rows out of order: steps decide "later"
    ledger = _later(ledger, _event(5, "signed", 9, ["bcn", "ghost"]))
    assert sorted(agreements_in_force(_agents(), ledger)["agreement_id"]) == [1, 3]


def test_agreements_in_force_leaves_out_declarations():
    ledger = _later(_ledger(), _event(5, "signed", 7, ["bcn", "sf"], kind="declaration"))
    assert sorted(agreements_in_force(_agents(), ledger)["agreement_id"]) == [1, 3]


def test_agreements_in_force_empty_ledger():
    empty = _ledger().iloc[0:0]
    assert agreements_in_force(_agents(), empty).empty


def test_plot_run_writes_three_pngs(tmp_path):
    ledger = _later(_ledger(), _event(5, "signed", 4, ["sf", "tyo"], "technology"))
    out_dir = tmp_path / "plots"
    _assert_pngs(plot_run(_metrics(), _agents(), ledger, out_dir, title="test · seed 0"), out_dir)


@pytest.mark.parametrize("steps", [1, 0])
def test_plot_run_copes_with_nothing_to_show(tmp_path, steps):
    _assert_pngs(plot_run(_metrics(steps), _agents(), _ledger().iloc[0:0], tmp_path), tmp_path)


def test_every_model_domain_has_a_colour():
    assert set(DOMAIN_COLOURS) == set(DOMAINS)


def test_time_axis_in_years():
    metrics = _metrics(30)
    assert start_year_of(metrics) == START_YEAR
    assert start_year_of(with_dates(pd.DataFrame({"step": [7]}), 1999)) == 1999
    assert list(step_years([0, 1, 13], START_YEAR)) == pytest.approx([2014 + 11 / 12, 2015, 2016])
    fig, ax = plt.subplots()
    ax.plot(step_years(metrics["step"], START_YEAR), metrics["value"])
    year_axis(ax)
    fig.canvas.draw()
    labels = [t.get_text() for t in ax.get_xticklabels() if t.get_visible() and t.get_text()]
    plt.close(fig)
    assert ax.get_xlabel() == "year" and {"2015", "2016"} <= set(labels), labels


def test_time_axis_of_a_short_run_names_months():
    fig, ax = plt.subplots()
    ax.plot(step_years(range(1, 7), START_YEAR), range(6))
    year_axis(ax)
    fig.canvas.draw()
    labels = {t.get_text() for t in ax.get_xticklabels() if t.get_text()}
    plt.close(fig)
    assert {"2015-01", "2015-03", "2015-06"} <= labels, labels


def _drawn(extent, **kwargs) -> tuple[np.ndarray, plt.Axes]:
    fig, ax = plt.subplots(figsize=(4, 3), dpi=60)
    if extent is not None:
        draw_coastlines_and_borders(ax, extent, **kwargs)
    else:
        ax.set(xlim=WORLD_EXTENT[:2], ylim=WORLD_EXTENT[2:], aspect="equal")
    fig.canvas.draw()
    pixels = np.asarray(fig.canvas.buffer_rgba())[..., :3].copy()
    plt.close(fig)
    return pixels, ax


def test_map_base_draws_coastlines_and_borders_offline():
    pixels, ax = _drawn(WORLD_EXTENT)
    lines = [c for c in ax.collections if type(c).__name__ == "LineCollection"]
    assert len(lines) == 2, "one collection of coastlines, one of borders"
    assert all(c.get_zorder() < 1 for c in ax.collections + ax.patches), "the base sits under the actors"
    assert len(ax.patches) > 100, "land polygons"
    assert (ax.get_xlim(), ax.get_ylim()) == (WORLD_EXTENT[:2], WORLD_EXTENT[2:])
    bare, _ = _drawn(None)
    assert (pixels != bare).any(axis=2).mean() > 0.3


def test_map_base_of_a_region_is_more_detailed():
    europe = (-12, 32, 34, 62)
    _, low = _drawn(europe)
    _, crude = _drawn(europe, resolution="c")
    assert sum(len(p) for p in low.collections[0].get_segments()) > 2 * sum(
        len(p) for p in crude.collections[0].get_segments())
