"""Tests of the per-run plots (experiments.plots) on small hand-made tables."""

import pandas as pd
import pytest

from experiments.plots import DOMAIN_COLOURS, active_edges, plot_run
from model.scenario import DOMAINS

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
    return ledger


def _metrics(steps: int = 24) -> pd.DataFrame:
    series = {
        "signed": lambda t: t % 3, "vetoed": lambda t: t % 2, "contested": lambda t: float(t % 5 == 0),
        "active_by_domain.economy": lambda t: t, "active_by_domain.culture": lambda t: t / 2,
        "active_by_domain.defence": lambda t: 0.0, "agreements_active": lambda t: 1.5 * t,
    }
    rows = [(t, name, float(f(t))) for t in range(steps) for name, f in series.items()]
    return pd.DataFrame(rows, columns=["step", "metric", "value"])


def _assert_pngs(paths, out_dir):
    assert [p.name for p in paths] == list(PLOTS)
    for path in paths:
        assert path.parent == out_dir
        data = path.read_bytes()
        assert data.startswith(b"\x89PNG\r\n\x1a\n")
        assert len(data) > 10_000, path.name
    assert not list(out_dir.glob("*.tmp")), "temporary files left behind"


def test_active_edges_keeps_only_agreements_in_force():
    edges = active_edges(_agents(), _ledger())
    assert list(edges.columns) == ["agreement_id", "domain", "kind", "status", "a", "b"]
    got = edges.set_index("agreement_id")[["status", "domain", "kind", "a", "b"]]
    assert got.to_dict("index") == {
        1: {"status": "contested", "domain": "culture", "kind": "bilateral", "a": "bcn", "b": "cat"},
        3: {"status": "active", "domain": "health", "kind": "state_relation", "a": "cat", "b": "gov_ES"},
    }


def test_active_edges_uses_step_order_and_drops_unknown_actors():
    ledger = _ledger().iloc[::-1].reset_index(drop=True)  # rows out of order: steps decide "later"
    ledger = pd.concat([ledger, pd.DataFrame([_event(5, "signed", 9, ["bcn", "ghost"])])], ignore_index=True)
    assert sorted(active_edges(_agents(), ledger)["agreement_id"]) == [1, 3]


def test_active_edges_empty_ledger():
    empty = _ledger().iloc[0:0]
    assert active_edges(_agents(), empty).empty


def test_plot_run_writes_three_pngs(tmp_path):
    ledger = pd.concat([_ledger(), pd.DataFrame([_event(5, "signed", 4, ["sf", "tyo"], "technology")])],
                       ignore_index=True)
    out_dir = tmp_path / "plots"
    _assert_pngs(plot_run(_metrics(), _agents(), ledger, out_dir, title="test · seed 0"), out_dir)


@pytest.mark.parametrize("steps", [1, 0])
def test_plot_run_copes_with_nothing_to_show(tmp_path, steps):
    _assert_pngs(plot_run(_metrics(steps), _agents(), _ledger().iloc[0:0], tmp_path), tmp_path)


def test_every_model_domain_has_a_colour():
    assert set(DOMAIN_COLOURS) == set(DOMAINS)
