"""The teaching app: a city-diplomacy run in the browser, on Mesa's SolaraViz.

Run it with ``make app`` (``python -m solara run model.app``: as a module,
since run as a file its folder model/ would shadow the package ``model``) and
open http://127.0.0.1:8765.  The sidebar is SolaraViz's own: Step, Play and Reset,
and the model parameters (scenario, partner and oversight rules, the main
utility weights, the candidate count K, the seed), which take effect on Reset.
The main area shows, updated each step:

- a world map (equirectangular): actors at their coordinates, sized by
  √population, coloured by country or by coalition; agreements in force as
  edges coloured by domain (contested ones dashed); national governments as
  squares at their capitals, city networks as stars at their seats;
- a panel for one actor, picked from a list: its agreements in force, its
  memberships, and the approvals and vetoes of its agreements;
- charts (Vega-Lite, drawn by the browser, as Mesa's Altair components are) of agreements in force by domain;
  signed, vetoed and contested per month; members per network; the coalition
  energy.

Why the page lays out its own components instead of passing them to
SolaraViz: SolaraViz shows components in a draggable grid (vue-grid-layout,
a Vue 2 widget) that does not mount under ipyvuetify 3's Vue 3 ("GlobalVue.use
is not a function" in the browser), so they would never appear.  SolaraViz
still provides the controls, the parameters and the model (``Page`` shares
one reactive model between SolaraViz and the components).

Like experiments/, this module is a front end: it turns the app's simple
parameters into a scenario and rules (``experiments.config.load_scenario``,
``model.build_rules``) and draws from the model's state; the model knows
nothing of it.
"""

from __future__ import annotations

import io
import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd
import solara
import solara.widgets
from matplotlib.collections import LineCollection
from matplotlib.colors import to_rgba_array
from matplotlib.figure import Figure
from mesa.visualization import SolaraViz
from mesa.visualization.utils import update_counter

from experiments.config import PROJECT_ROOT, ScenarioChoice, load_scenario, read_yaml
from experiments.plots import DOMAIN_COLOURS, EVENT_COLOURS, OTHER_COLOUR
from model import DiplomacyModel, RuleSet, Scenario, build_rules, with_oversight
from model.agents import CityNetwork, NationalGovernment, SubnationalGovernment
from model.rules import REGISTRIES
from model.scenario import DOMAINS, is_background
from model.validation import load

SCENARIO_CONFIGS = PROJECT_ROOT / "configs" / "scenario"
FIRST_SCENARIOS = ("classroom", "article")
"""Listed first, in this order; the default is the first."""
TOO_LARGE = {"world"}
"""Scenarios left out of the app: every geonames city is too many for a live map."""
UTILITY_WEIGHTS = {
    "beta_interest": "β interest",   # weight of the interest both sides have in the domain
    "beta_economy": "β economy",     # weight of the partner's economic size
    "beta_distance": "β distance",   # cost of distance
    "beta_network": "β network",     # weight of shared network memberships
}
"""The utility weights a student can change, with their slider labels."""
DEFAULT_SEED = 42
DEFAULT_RULES = RuleSet()
OWN_OVERSIGHT = "each government's own"
"""The oversight choice that keeps every government's regime from the scenario (Beijing restrictive...)."""

# ----------------------------------------------------------------------------- scenarios and rules


@lru_cache(maxsize=1)
def scenario_choices() -> dict[str, ScenarioChoice]:
    """The scenarios of ``configs/scenario/*.yaml`` offered in the app, classroom first."""
    found = {}
    for path in SCENARIO_CONFIGS.glob("*.yaml"):
        choice = load(ScenarioChoice, read_yaml(path, "file"), str(path))
        if choice.name not in TOO_LARGE:
            found[choice.name] = choice
    order = [n for n in FIRST_SCENARIOS if n in found] + sorted(set(found) - set(FIRST_SCENARIOS))
    return {name: found[name] for name in order}


def scenario_named(name: str) -> Scenario:
    """The validated scenario, with its background cities (cached by ``load_scenario``)."""
    choice = scenario_choices()[name]
    path = Path(choice.file)
    return load_scenario(path if path.is_absolute() else PROJECT_ROOT / path, choice.min_population)


def app_rules(partner: str, candidates: int, oversight: str, **weights: float) -> RuleSet:
    """Rules from the app's controls; the other rules and parameters keep their defaults."""
    return build_rules({
        "partner": {"name": partner, "candidates": int(candidates)},
        "oversight": {"name": oversight},
        "utility": {"name": "mutual_consent", **{k: float(v) for k, v in weights.items()}},
    }, "app")


class AppModel(DiplomacyModel):
    """A DiplomacyModel made from the app's simple parameters: what SolaraViz builds on Reset.

    SolaraViz instantiates the model class with the values of ``model_params()``
    as keyword arguments.  The scenario is chosen by name (``scenario_name``:
    Mesa reserves ``scenario`` for its own Scenario objects).
    """

    def __init__(self, scenario_name: str = FIRST_SCENARIOS[0], partner: str = DEFAULT_RULES.partner.name,
                 candidates: int = DEFAULT_RULES.partner.candidates,
                 oversight: str = OWN_OVERSIGHT,
                 beta_interest: float = DEFAULT_RULES.utility.beta_interest,
                 beta_economy: float = DEFAULT_RULES.utility.beta_economy,
                 beta_distance: float = DEFAULT_RULES.utility.beta_distance,
                 beta_network: float = DEFAULT_RULES.utility.beta_network,
                 rng: int = DEFAULT_SEED):
        scenario = scenario_named(scenario_name)
        if oversight != OWN_OVERSIGHT:  # one regime for every government, to compare regimes in class
            scenario = with_oversight(scenario, {n.id: oversight for n in scenario.nationals}, "app")
        rules = app_rules(partner, candidates, DEFAULT_RULES.oversight.name if oversight == OWN_OVERSIGHT
                          else oversight, beta_interest=beta_interest, beta_economy=beta_economy,
                          beta_distance=beta_distance, beta_network=beta_network)
        super().__init__(scenario, rules, rng=int(rng))
        self.seed = int(rng)
        self.oversight_choice = oversight


def model_params() -> dict[str, dict]:
    """SolaraViz's user inputs: one per keyword of ``AppModel``, defaults from the rules."""
    defaults = DEFAULT_RULES
    weights = {
        name: {"type": "SliderFloat", "label": label, "value": getattr(defaults.utility, name),
               "min": 0.0, "max": 4.0, "step": 0.1}
        for name, label in UTILITY_WEIGHTS.items()
    }
    return {
        "scenario_name": {"type": "Select", "label": "Scenario", "value": next(iter(scenario_choices())),
                          "values": list(scenario_choices())},
        "partner": {"type": "Select", "label": "Partner rule", "value": defaults.partner.name,
                    "values": REGISTRIES["partner"].names()},
        "oversight": {"type": "Select", "label": "Oversight rule", "value": OWN_OVERSIGHT,
                      "values": [OWN_OVERSIGHT] + REGISTRIES["oversight"].names()},
        **weights,
        "candidates": {"type": "SliderInt", "label": "Candidates per proposal (K)",
                       "value": defaults.partner.candidates, "min": 1, "max": 32, "step": 1},
        "rng": {"type": "SliderInt", "label": "Random seed", "value": DEFAULT_SEED, "min": 0, "max": 100,
                "step": 1},
    }


# ----------------------------------------------------------------------------- the map

MAP_SIZE = (11, 4.6)  # inches
MAP_DPI = 90
MAP_MARGINS = dict(left=0.01, right=0.99, top=0.93, bottom=0.01)
MAX_LABELS = 40  # named actors labelled on the map
MAX_LEGEND_GROUPS = 12  # countries or coalitions listed in the colour legend
PALETTE = ["#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d", "#1f78b4",
           "#b2df8a", "#fb9a99", "#cab2d6", "#6a3d9a"]
NO_GROUP = "#bdbdbd"  # actors outside every coalition
GROUP_RGBA = to_rgba_array(PALETTE + [NO_GROUP])  # group −1 (none) takes the last row
NETWORK_COLOUR = "gold"
CITY_ALPHA = np.array([1, 1, 1, 0.85])  # cities a little transparent: edges show through
DENSE_EDGES = 200  # above this many, edges are thin, faint and not spread apart
EDGE_SPACING = 0.9  # degrees between the midpoints of a pair's agreements
MAX_BEND = 10.0  # degrees: widest fan of one pair's agreements
CURVE_POINTS = 7  # points along a bent edge


class Edges(NamedTuple):
    """Agreements in force between two actors, ready to draw."""

    ends: np.ndarray        # (n, 2, 2): (lon, lat) of both parties
    bend: np.ndarray        # (n, 2): shift of each edge's midpoint, so a pair's agreements fan out
    domains: np.ndarray     # (n,) domain names
    contested: np.ndarray   # (n,) signed despite a veto


def live_edges(model: DiplomacyModel, spacing: float = 0.0) -> Edges:
    """Agreements in force between two actors; those between one pair of places fan out ``spacing``° apart.

    Each edge runs from its western (then southern) end, so that edges
    between the same two places (Barcelona and the Generalitat share one)
    have the same ends and fan out together.
    """
    live = model.pair_agreements()
    parties = np.array([ag.parties for ag in live], dtype=np.int64).reshape(-1, 2)
    a = model.actors
    ends = np.stack([a.lon[parties], a.lat[parties]], axis=-1)
    (lon0, lat0), (lon1, lat1) = ends[:, 0].T, ends[:, 1].T
    west_first = (lon0 < lon1) | ((lon0 == lon1) & (lat0 <= lat1))
    ends = np.where(west_first[:, None, None], ends, ends[:, ::-1])
    bend = _bends(ends, spacing) if spacing and len(live) else np.zeros((len(live), 2))
    return Edges(ends, bend, np.array([ag.domain for ag in live], dtype=object),
                 np.array([ag.status == "contested" for ag in live], dtype=bool))


def _direction(ends: np.ndarray) -> np.ndarray:
    """From the first end to the second, the short way round (longitude difference within ±180°)."""
    d = ends[:, 1] - ends[:, 0]
    d[:, 0] = (d[:, 0] + 180) % 360 - 180
    return d


def _bends(ends: np.ndarray, spacing: float) -> np.ndarray:
    """Midpoint shifts across each edge: the k edges between two places side by side, at most MAX_BEND wide."""
    places = ends.reshape(len(ends), 4).round(4)
    _, group, counts = np.unique(places, axis=0, return_inverse=True, return_counts=True)
    group = group.ravel()
    order = np.argsort(group, kind="stable")
    first = np.concatenate([[0], np.cumsum(counts)[:-1]])
    rank = np.empty(len(ends))
    rank[order] = np.arange(len(ends)) - first[group[order]]
    d = _direction(ends)
    normal = np.stack([-d[:, 1], d[:, 0]], axis=1)
    normal /= np.maximum(np.linalg.norm(normal, axis=1, keepdims=True), 1e-9)
    n = counts[group]
    step = np.minimum(spacing, MAX_BEND / np.maximum(n - 1, 1))
    return ((rank - (n - 1) / 2) * step)[:, None] * normal


def edge_segments(edges: Edges, chosen: np.ndarray) -> np.ndarray:
    """Line segments of the chosen edges: straight, or curved through the bent midpoint, the short way round.

    An edge that crosses ±180° runs past the map's edge and is drawn a second
    time, 360° over, coming in from the other side.
    """
    ends = edges.ends[chosen]
    t = np.linspace(0, 1, CURVE_POINTS if edges.bend.any() else 2)[None, :, None]
    curve = (ends[:, :1] + t * _direction(ends)[:, None, :]
             + 4 * t * (1 - t) * edges.bend[chosen][:, None, :])  # (n, points, 2)
    pieces = np.stack([curve[:, :-1], curve[:, 1:]], axis=2).reshape(-1, 2, 2)
    east = pieces[(pieces[:, :, 0] > 180).any(axis=1)] - [360, 0]
    west = pieces[(pieces[:, :, 0] < -180).any(axis=1)] + [360, 0]
    return np.concatenate([pieces, east, west])


class Grouping(NamedTuple):
    """How actors are coloured: group names, each actor's group (−1: none) and the name of 'none'."""

    names: list[str]
    group: np.ndarray
    outside: str


def actor_groups(model: DiplomacyModel, colour_by: str) -> Grouping:
    """Group actors by country, or by coalition when asked and there are coalitions."""
    labels = model.coalition_labels if colour_by == "coalition" else {}
    if not labels:
        return Grouping(list(model.countries), model.actors.country.copy(), "")
    names = sorted(set(labels.values()))
    group = np.full(len(model.actors.country), -1)
    for actor, label in labels.items():
        group[actor] = names.index(label)
    return Grouping([f"coalition {n + 1}" for n in names], group, "not in the coalition game")


def group_colours(group: np.ndarray) -> np.ndarray:
    """One RGBA colour per actor: the palette cycled over groups, grey for actors in none."""
    return GROUP_RGBA[np.where(group < 0, -1, group % len(PALETTE))]


def short_name(name: str) -> str:
    """A network's short name: 'ICLEI – Local Governments…' → 'ICLEI', 'United Cities and Local Governments' → 'UCLG'.

    The part before a dash; of a name of three words or more, the initials of its capitalised words.
    """
    name = name.split(" – ")[0]
    words = name.split()
    return "".join(w[0] for w in words if w[0].isupper()) if len(words) > 2 else name


def _draw_edges(ax, edges: Edges) -> None:
    """Agreements as lines coloured by domain (contested dashed)."""
    dense = len(edges.ends) > DENSE_EDGES
    styles = ((False, "solid", 0.4 if dense else 1.4), (True, (0, (4, 2)), 0.8 if dense else 1.8))
    for contested, style, width in styles:
        for domain in _domain_order(edges.domains[edges.contested == contested]):
            chosen = (edges.contested == contested) & (edges.domains == domain)
            lines = LineCollection(edge_segments(edges, chosen), colors=DOMAIN_COLOURS.get(domain, OTHER_COLOUR),
                                   linewidths=width, linestyles=style, alpha=0.3 if dense else 0.85, zorder=1)
            ax.add_collection(lines, autolim=False)


def _domain_order(domains) -> list[str]:
    return sorted(set(domains), key=lambda d: list(DOMAIN_COLOURS).index(d) if d in DOMAIN_COLOURS else 99)


def _draw_actors(ax, model: DiplomacyModel, colours: np.ndarray) -> None:
    """Subnationals as circles (regions hollow) sized by √population; governments squares; networks stars."""
    a = model.actors
    subs = np.arange(len(model.subnationals))
    size = 10 + 220 * np.sqrt(a.population[subs] / max(a.population[subs].max(), 1))
    region = np.array([agent.kind == "region" for agent in model.subnationals], dtype=bool)
    city = subs[~region]
    ax.scatter(a.lon[city], a.lat[city], s=size[~region], c=colours[city] * CITY_ALPHA,
               edgecolors="white", linewidths=0.4, zorder=2)
    ax.scatter(a.lon[subs[region]], a.lat[subs[region]], s=size[region], facecolors="none",
               edgecolors=colours[subs[region]], linewidths=1.8, zorder=2)
    nats = np.array([g.index for g in model.nationals], dtype=np.int64)
    ax.scatter(a.lon[nats], a.lat[nats], s=30, marker="s", c=colours[nats], edgecolors="black",
               linewidths=0.6, zorder=3)
    nets = np.array([n.index for n in model.networks], dtype=np.int64)
    ax.scatter(a.lon[nets], a.lat[nets], s=260, marker="*", c=NETWORK_COLOUR, edgecolors="black",
               linewidths=0.7, zorder=4)


def _draw_labels(ax, model: DiplomacyModel) -> None:
    """Name the subnationals named in the scenario and the networks; labels at one spot are stacked."""
    named = [x for x, spec in zip(model.subnationals, model.spec.subnationals, strict=True) if not is_background(spec)]
    stacked: Counter = Counter()
    for agent in named[:MAX_LABELS] + list(model.networks):
        spot = (round(agent.lon), round(agent.lat))
        network = isinstance(agent, CityNetwork)
        ax.annotate(short_name(agent.name) if network else agent.name, (agent.lon, agent.lat),
                    xytext=(7, 2 - 10 * stacked[spot]), textcoords="offset points", fontsize=8, zorder=5,
                    weight="bold" if network else "normal")
        stacked[spot] += 1


class LegendEntry(NamedTuple):
    """One entry of the legend under the map."""

    symbol: str
    colour: str
    label: str


def map_legend(model: DiplomacyModel, colour_by: str) -> tuple[LegendEntry, ...]:
    """The map's legend, shown in the page under it: colour groups (when few), actor shapes, edge domains.

    In the page rather than in the figure: crisp at any size, and a quarter
    less drawing each step.
    """
    grouping = actor_groups(model, colour_by)
    shown = sorted(set(grouping.group[grouping.group >= 0].tolist()))
    entries = [LegendEntry("■", PALETTE[g % len(PALETTE)], grouping.names[g]) for g in shown]
    if len(entries) > MAX_LEGEND_GROUPS:
        entries = []
    if grouping.outside:
        entries.append(LegendEntry("■", NO_GROUP, grouping.outside))
    entries += [LegendEntry("●", "#757575", "city (area ∝ √population)"), LegendEntry("○", "#757575", "region"),
                LegendEntry("■", "#757575", "national government"), LegendEntry("★", NETWORK_COLOUR, "city network")]
    domains = _domain_order(live_edges(model).domains)
    entries += [LegendEntry("━", DOMAIN_COLOURS.get(d, OTHER_COLOUR), d) for d in domains]
    entries.append(LegendEntry("┅", "#555555", "contested"))
    return tuple(entries)


def map_extent(model: DiplomacyModel, ratio: float) -> tuple[tuple[float, float], tuple[float, float]]:
    """Longitudes and latitudes shown: every actor with a margin, widened to the axes' width/height ``ratio``."""
    a = model.actors
    lon0, lon1 = max(a.lon.min() - 20, -180), min(a.lon.max() + 20, 180)  # room for labels
    lat0, lat1 = max(a.lat.min() - 12, -60), min(a.lat.max() + 12, 85)
    grow_lon = max(ratio * (lat1 - lat0) - (lon1 - lon0), 0) / 2
    grow_lat = max((lon1 - lon0) / ratio - (lat1 - lat0), 0) / 2
    return (lon0 - grow_lon, lon1 + grow_lon), (lat0 - grow_lat, lat1 + grow_lat)


def draw_map(model: DiplomacyModel, colour_by: str = "country") -> Figure:
    """The world map of the model's current state (equirectangular)."""
    fig = Figure(figsize=MAP_SIZE, dpi=MAP_DPI)
    ax = fig.add_subplot()
    ax.set_facecolor("#eef3f7")
    grouping = actor_groups(model, colour_by)
    edges = live_edges(model, spacing=0.0 if len(model.live) > DENSE_EDGES else EDGE_SPACING)
    _draw_edges(ax, edges)
    _draw_actors(ax, model, group_colours(grouping.group))
    _draw_labels(ax, model)
    fig.subplots_adjust(**MAP_MARGINS)
    box = ax.get_position()
    lons, lats = map_extent(model, box.width * MAP_SIZE[0] / (box.height * MAP_SIZE[1]))
    ax.set(xlim=lons, ylim=lats, aspect="equal", xticks=[], yticks=[])
    contested = int(edges.contested.sum())
    ax.set_title(f"Agreements in force: {len(edges.ends)} ({contested} contested)", fontsize=11)
    return fig


def png(fig: Figure) -> bytes:
    """The figure as PNG bytes, at its own resolution."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", pil_kwargs={"compress_level": 1})  # fast rather than small
    return buffer.getvalue()


# ----------------------------------------------------------------------------- charts


CHART_HEIGHT = 170  # pixels; charts take their container's width
VEGA_LITE_SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json"  # the version Solara's page loads


def metrics_table(model: DiplomacyModel) -> pd.DataFrame:
    """The DataCollector's model metrics, one row per month."""
    return model.datacollector.get_model_vars_dataframe().reset_index(drop=True)


def series_chart(table: pd.DataFrame, series: dict[str, tuple[str, str]], title: str, ylabel: str) -> dict:
    """A Vega-Lite line chart over months, drawn by the browser: ``series`` maps a label to (column, colour).

    A plain spec rather than an Altair chart: Altair validates every chart
    against the schema, about 20 ms each, every step.
    """
    labels = list(series)
    values = [{"month": int(month), "series": label, "value": None if pd.isna(value) else float(value)}
              for label, (column, _) in series.items() for month, value in table[column].items()]
    return {
        "$schema": VEGA_LITE_SCHEMA,
        "title": title,
        "width": "container",
        "height": CHART_HEIGHT,
        "data": {"values": values},
        "mark": {"type": "line"},
        "encoding": {
            "x": {"field": "month", "type": "quantitative", "axis": {"format": "d", "tickMinStep": 1}},
            "y": {"field": "value", "type": "quantitative", "title": ylabel},
            "color": {"field": "series", "type": "nominal", "title": None, "sort": labels,
                      "scale": {"domain": labels, "range": [colour for _, colour in series.values()]}},
            "tooltip": [{"field": "month"}, {"field": "series"}, {"field": "value"}],
        },
    }


def domain_chart(model: DiplomacyModel) -> dict:
    """Agreements in force per domain (domains that ever had one)."""
    table = metrics_table(model)
    series = {d: (f"active_by_domain.{d}", DOMAIN_COLOURS.get(d, OTHER_COLOUR)) for d in DOMAINS
              if table[f"active_by_domain.{d}"].gt(0).any()}
    return series_chart(table, series, "Agreements in force by domain", "agreements")


def events_chart(model: DiplomacyModel) -> dict:
    """Signed, vetoed and contested agreements per month."""
    series = {event: (event, colour) for event, colour in EVENT_COLOURS.items()}
    return series_chart(metrics_table(model), series, "Signed, vetoed and contested per month", "per month")


def network_chart(model: DiplomacyModel) -> dict:
    """Members of each city network."""
    series = {short_name(net.name): (f"network_members.{net.actor_id}", PALETTE[k % len(PALETTE)])
              for k, net in enumerate(model.networks)}
    return series_chart(metrics_table(model), series, "Members per network", "members")


def coalition_chart(model: DiplomacyModel) -> dict | None:
    """Energy of the coalition configuration (Axelrod & Bennett), or None while there are no coalitions."""
    table = metrics_table(model)
    if not model.coalition_labels or "coalition_energy" not in table:
        return None
    return series_chart(table, {"energy": ("coalition_energy", "#444444")},
                        "Coalition energy (lower: fewer frustrated pairs)", "energy")


# ----------------------------------------------------------------------------- one actor


@dataclass
class ActorReport:
    """What the actor panel shows about one actor."""

    facts: list[str]
    agreements: pd.DataFrame   # in force: partner, domain, kind, status, since (month)
    reviews: pd.DataFrame      # approvals, vetoes and contested signatures: month, event, domain, about
    tally: dict[str, int]


def actor_choices(model: DiplomacyModel) -> dict[str, int]:
    """Actor labels for the picker ('Barcelona (ES)'), in scenario order, with their indices."""
    labels: dict[str, int] = {}
    for agent in model.subnationals + model.nationals + model.networks:
        label = f"{agent.name} ({agent.country})" if agent.country else agent.name
        labels[label if label not in labels else f"{label} [{agent.actor_id}]"] = agent.index
    return labels


def _name(model: DiplomacyModel, index: int) -> str:
    return model.by_index(index).name


def _agreements_of(model: DiplomacyModel, index: int) -> pd.DataFrame:
    rows = [{"partner": ", ".join(_name(model, p) for p in ag.parties if p != index),
             "domain": ag.domain, "kind": ag.kind, "status": ag.status, "since": ag.signed_step}
            for ag in model.live.values() if index in ag.parties]
    return pd.DataFrame(rows, columns=["partner", "domain", "kind", "status", "since"])


def _reviews_of(model: DiplomacyModel, index: int) -> pd.DataFrame:
    """Oversight decisions: on this actor's agreements (subnational) or by it (national government)."""
    agent = model.by_index(index)
    if isinstance(agent, NationalGovernment):
        mine = [e for e in model.ledger.events if e.event in ("approved", "vetoed") and e.actor == index]
        about = [model.by_id[e.detail].name for e in mine]
    else:
        mine = [e for e in model.ledger.events
                if (e.event in ("approved", "vetoed") and e.detail == agent.actor_id)
                or (e.event == "contested" and e.actor == index)]
        about = [", ".join(_name(model, p) for p in e.parties if p != index) for e in mine]
    return pd.DataFrame({"month": [e.step for e in mine], "event": [e.event for e in mine],
                         "domain": [e.domain for e in mine], "about": about})


def _facts(model: DiplomacyModel, index: int) -> list[str]:
    agent = model.by_index(index)
    if isinstance(agent, CityNetwork):
        focus = ", ".join(DOMAINS[d] for d in agent.focus)
        return ["city network", f"{len(agent.members)} members", f"focus: {focus}"]
    facts = [f"{agent.kind} in {agent.country}", f"{agent.population:,} people"]
    if isinstance(agent, SubnationalGovernment):
        names = [net.name for net in model.networks if index in net.members]
        facts.append("member of " + ", ".join(names) if names else "member of no network")
    return facts


def actor_report(model: DiplomacyModel, index: int) -> ActorReport:
    """The agreements, memberships, approvals and vetoes of actor ``index``."""
    reviews = _reviews_of(model, index)
    return ActorReport(facts=_facts(model, index),
                       agreements=_agreements_of(model, index), reviews=reviews,
                       tally={k: int(v) for k, v in reviews["event"].value_counts().items()})


# ----------------------------------------------------------------------------- components


def run_settings(model: DiplomacyModel) -> str:
    """The rules and parameters of the run, in one line (the sliders do not show their values)."""
    r = model.rules
    weights = " · ".join(f"{label} {getattr(r.utility, name):g}" for name, label in UTILITY_WEIGHTS.items())
    oversight = getattr(model, "oversight_choice", OWN_OVERSIGHT)
    return (f"{r.partner.name} partners (K = {r.partner.candidates}) · {oversight} oversight · "
            f"{weights} · seed {getattr(model, 'seed', '–')}")


@solara.component
def RunHeader(model: DiplomacyModel):
    """'Step: N' (one step is one month), the scenario and the settings of the run."""
    update_counter.get()
    with solara.Row(style={"align-items": "baseline"}):
        solara.Text(f"Step: {model.steps}", classes=["step-counter"],
                    style={"font-size": "1.5em", "font-weight": "bold", "white-space": "nowrap"})
        with solara.Column(gap="2px"):
            solara.Text(f"{model.spec.name}: {model.spec.description}", style={"font-size": "0.9em"})
            solara.Text(run_settings(model), style={"font-size": "0.9em", "color": "#555"})


@solara.component
def WorldMap(model: DiplomacyModel):
    """The map, with a switch between colouring actors by country and by coalition."""
    update_counter.get()
    colour_by = solara.use_reactive("country")
    with solara.Card(margin=0):
        with solara.Row(style={"align-items": "center"}):
            solara.Text("World map: colour actors by", style={"font-weight": "bold"})
            solara.ToggleButtonsSingle(value=colour_by, values=["country", "coalition"])
        solara.Image(png(draw_map(model, colour_by.value)), width="100%", classes=["world-map"])
        MapLegend(map_legend(model, colour_by.value))


@solara.component
def MapLegend(entries: tuple[LegendEntry, ...]):
    """The legend under the map (redrawn only when it changes)."""
    with solara.Row(gap="16px", style={"flex-wrap": "wrap", "row-gap": "2px", "font-size": "0.85em"}):
        for entry in entries:
            with solara.Row(gap="4px"):
                solara.Text(entry.symbol, style={"color": entry.colour, "font-weight": "bold"})
                solara.Text(entry.label)


@solara.component
def Chart(model: DiplomacyModel, chart_of, empty: str = ""):
    """The Vega-Lite chart ``chart_of(model)`` (as solara.FigureAltair shows one); ``empty`` when it is None."""
    update_counter.get()
    spec = chart_of(model)
    with solara.Card(margin=0):
        if spec is None:
            solara.Info(empty)
        else:
            solara.widgets.VegaLite.element(spec=spec)


@solara.component
def ActorPanel(model: DiplomacyModel):
    """One actor, picked from a list (not redrawn each step: the list is long at world scale)."""
    choices = solara.use_memo(lambda: actor_choices(model), [model])
    labels = solara.use_memo(lambda: list(choices), [choices])
    picked = solara.use_reactive(labels[0])
    label = picked.value if picked.value in choices else labels[0]
    with solara.Card("One actor", margin=0), solara.Column(gap="6px"):
        solara.Select("Actor", value=label, values=labels, on_value=picked.set)
        ActorRecord(model, choices[label])


@solara.component
def ActorRecord(model: DiplomacyModel, index: int):
    """The actor's agreements in force, memberships, approvals and vetoes, updated each step."""
    update_counter.get()
    report = actor_report(model, index)
    tally = ", ".join(f"{n} {event}" for event, n in report.tally.items()) or "none yet"
    with solara.Column(gap="6px"):
        solara.Text(" · ".join(report.facts))
        solara.Text(f"Agreements in force: {len(report.agreements)}", style={"font-weight": "bold"})
        solara.DataFrame(report.agreements, items_per_page=5)
        solara.Text(f"Approvals and vetoes: {tally}", style={"font-weight": "bold"})
        solara.DataFrame(report.reviews.iloc[::-1], items_per_page=5)


@solara.component
def Dashboard(model: DiplomacyModel):
    """Header and map, the charts two by two, then the actor panel."""
    RunHeader(model)
    WorldMap(model)
    with solara.Columns([1, 1]):
        Chart(model, domain_chart)
        Chart(model, events_chart)
    with solara.Columns([1, 1]):
        Chart(model, network_chart)
        Chart(model, coalition_chart, empty="No coalitions in this run.")
    ActorPanel(model)


@solara.component
def Page():
    """SolaraViz (controls, parameters, model) and the dashboard, sharing one model per browser session."""
    model = solara.use_reactive(solara.use_memo(AppModel, []))
    SolaraViz(model, components=[], model_params=model_params(), name="City diplomacy: teaching app")
    Dashboard(model.value)


# ----------------------------------------------------------------------------- front-end files


CDN_REFERENCES = {
    "server/templates/solara.html.j2": r"\{\{cdn\}\}(/[^\"'\s{]+)",  # the page itself
    "widgets/vue/vegalite.vue": r"\$\{this\.getCdn\(\)\}(/[^`'\"\s]+)",  # the charts (Vega-Lite)
}
"""Files of the solara package that load front-end files from the CDN, and the pattern of those paths."""


def frontend_packages() -> list[str]:
    """The npm packages (``name@version``) whose files the app's page loads from Solara's CDN.

    Solara's server fetches them through its CDN proxy and caches them under
    ``<venv>/share/solara/cdn/<name>@<version>/``.  Where the CDN cannot be
    reached (a closed network, a classroom without internet) ``make
    app-assets`` fills that cache from the npm registry, with this list: the
    packages named in ``CDN_REFERENCES``, for the Vue version in use.
    """
    import solara.server.server
    import solara.server.settings

    root = Path(solara.__file__).parent
    paths = [solara.server.settings.assets.fontawesome_path]
    for name, pattern in CDN_REFERENCES.items():
        paths += re.findall(pattern, (root / name).read_text(encoding="utf-8"))
    packages = {m.group(1) for p in paths if (m := re.match(r"/((?:@[^/]+/)?[^/@]+@[^/]+)/", p))}
    other_app = "@widgetti/solara-vuetify-app@" if solara.server.server.vue3 else "@widgetti/solara-vuetify3-app@"
    return sorted(p for p in packages if not p.startswith(other_app))
