"""Shared fixtures: small hand-made scenarios and the shipped ones."""

from __future__ import annotations

import copy
import os
from pathlib import Path

import pytest

from experiments.config import load_scenario
from model import DiplomacyModel, build_rules, scenario_from_data, with_background

ROOT = Path(__file__).resolve().parents[1]
REQUIRE_BROWSER = "CITYDIPLOMACY_REQUIRE_BROWSER"
"""Set to 1 by `make test`: a browser test that skips (no Chromium, no front-end files) fails instead."""


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """Under ``make test`` a skipped browser test is a failure that keeps the skip's reason."""
    report = yield
    if report.skipped and item.get_closest_marker("browser") and os.environ.get(REQUIRE_BROWSER) == "1":
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = f"browser test cannot run under make test ({REQUIRE_BROWSER}=1): {reason}"
    return report


def city(id, country, lat, lon, **extra):
    base = {"id": id, "name": id.title(), "kind": "city", "country": country, "population": 1_000_000,
            "lat": lat, "lon": lon, "capacity": 12.0, "interests": {"economy": 1.0}}
    base.update(extra)
    return base


TINY = {
    "name": "tiny",
    "subnationals": [
        city("madrid", "ES", 40.4, -3.7),
        city("lisbon", "PT", 38.7, -9.1),
        city("paris", "FR", 48.9, 2.35),
        city("tokyo", "JP", 35.7, 139.7),
        city("lima", "PE", -12.0, -77.0),
        city("cairo", "EG", 30.0, 31.2),
    ],
    "nationals": [],
    "networks": [{"id": "net", "name": "Net", "focus": ["economy"], "seat": "madrid"}],
}


@pytest.fixture
def tiny_data():
    """Plain data of a six-city world, to modify in a test."""
    return copy.deepcopy(TINY)


def make_model(data, rules=None, seed=1, steps=0):
    """A model of plain scenario data, stepped ``steps`` months."""
    scenario = with_background(scenario_from_data(data, "test"))
    model = DiplomacyModel(scenario, build_rules(rules or {}, "test"), rng=seed)
    for _ in range(steps):
        model.step()
    return model


def ledger_events(model, event: str) -> list[tuple[int, int | None]]:
    """(step, actor) of every ledger event of one type, in order."""
    return [(e.step, e.actor) for e in model.ledger.events if e.event == event]


@pytest.fixture(scope="session")
def classroom():
    return load_scenario(ROOT / "scenarios" / "classroom.yaml")


@pytest.fixture(scope="session")
def article():
    return load_scenario(ROOT / "scenarios" / "article.yaml")
