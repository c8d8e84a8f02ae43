"""What the page draws: the world map as SVG, its legend, and the charts as Vega-Lite specs.

The map is vector data drawn by the browser at the width it is shown (sharp
on a projector and on a 1920 px screen): actors at their coordinates
(equirectangular), sized by √population, coloured by country or by
coalition, each with its name on hover; agreements in force as lines coloured
by domain (contested ones dashed, several between two places fanned out);
national governments as squares at their capitals, city networks as stars at
their seats; names placed where they do not overlap (the others thinned).
Under it, a base image (``draw_map_base``) drawn once per extent and size, and
sent to the page apart from the SVG (so not again at each Step).

Drawing is done once per month and size, and shared by every page showing
that run (``per_step``): a Step costs the server little.
"""

from __future__ import annotations

import base64
import io
from functools import lru_cache, wraps
from html import escape
from typing import NamedTuple
from weakref import WeakKeyDictionary

import numpy as np
from matplotlib.figure import Figure

from experiments.app.story import month_start
from experiments.plots import DOMAIN_COLOURS, EVENT_COLOURS, OTHER_COLOUR, draw_coastlines_and_borders
from model import DiplomacyModel
from model.agents import CityNetwork
from model.scenario import DOMAINS, is_background

# ----------------------------------------------------------------------------- cached per month

_PER_STEP: WeakKeyDictionary = WeakKeyDictionary()


def per_step(draw):
    """Cache ``draw(model, *args)`` until the model steps; the cache holds the model weakly."""
    @wraps(draw)
    def cached(model: DiplomacyModel, *args):
        slot = _PER_STEP.setdefault(model, {})
        key = (draw.__name__, args)
        hit = slot.get(key)
        if hit is None or hit[0] != model.steps:
            hit = slot[key] = (model.steps, draw(model, *args))
        return hit[1]
    return cached


def per_run(compute):
    """Cache ``compute(model)`` for the whole run (for what does not change as it steps); held weakly."""
    cache: WeakKeyDictionary = WeakKeyDictionary()

    @wraps(compute)
    def cached(model: DiplomacyModel):
        if model not in cache:
            cache[model] = compute(model)
        return cache[model]
    return cached


# ----------------------------------------------------------------------------- the map

MAP_RATIO = 2.4  # width / height of the map
MIN_MAP_WIDTH, MAX_MAP_WIDTH = 320, 2400  # pixels
BASE_SCALE = 2  # the base image has this many pixels per screen pixel (sharp on high-density screens)
MAX_LABELS = 40  # named actors that may be labelled
LABEL_FONT = 12  # pixels
LABEL_PAD = 2  # pixels kept clear around each name (its white halo)
PALETTE = ["#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d", "#1f78b4",
           "#b2df8a", "#fb9a99", "#cab2d6", "#6a3d9a"]
NO_GROUP = "#bdbdbd"  # actors outside every coalition
NETWORK_COLOUR = "gold"
HIGHLIGHT_COLOUR = "#111111"
OCEAN = "#eef3f7"
DENSE_EDGES = 200  # above this many, edges are thin, faint and not spread apart
EDGE_SPACING = 0.9  # degrees between the midpoints of a pair's agreements
MAX_BEND = 10.0  # degrees: widest fan of one pair's agreements


class Edges(NamedTuple):
    """Agreements in force between two actors, ready to draw."""

    ends: np.ndarray        # (n, 2, 2): (lon, lat) of both parties
    bend: np.ndarray        # (n, 2): shift of each edge's midpoint, so a pair's agreements fan out
    domains: np.ndarray     # (n,) domain names
    contested: np.ndarray   # (n,) signed despite a veto
    parties: np.ndarray     # (n, 2) actor indices


@per_step
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
                 np.array([ag.status == "contested" for ag in live], dtype=bool), parties)


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


def edge_curves(edges: Edges, chosen: np.ndarray) -> np.ndarray:
    """Quadratic curves (start, control, end) in degrees of the chosen edges, the short way round.

    The curve passes through the bent midpoint.  An edge that crosses ±180°
    runs past the map's edge and comes a second time, 360° over, from the
    other side.
    """
    ends = edges.ends[chosen]
    d = _direction(ends)
    start = ends[:, 0]
    curves = np.stack([start, start + d / 2 + 2 * edges.bend[chosen], start + d], axis=1)  # (n, 3, 2)
    east = curves[(curves[:, :, 0] > 180).any(axis=1)] - [360, 0]
    west = curves[(curves[:, :, 0] < -180).any(axis=1)] + [360, 0]
    return np.concatenate([curves, east, west])


class Frame(NamedTuple):
    """The map's extent in degrees and its size in pixels."""

    lon0: float
    lon1: float
    lat0: float
    lat1: float
    width: int
    height: int

    def pixels(self, lon, lat) -> tuple[np.ndarray, np.ndarray]:
        x = (np.asarray(lon) - self.lon0) * self.width / (self.lon1 - self.lon0)
        y = (self.lat1 - np.asarray(lat)) * self.height / (self.lat1 - self.lat0)
        return x, y


def map_frame(model: DiplomacyModel, width: int) -> Frame:
    """Every actor with a margin, widened to the map's ratio, at ``width`` pixels."""
    width = int(min(max(width, MIN_MAP_WIDTH), MAX_MAP_WIDTH))
    a = model.actors
    lon0, lon1 = max(a.lon.min() - 20, -180), min(a.lon.max() + 20, 180)  # room for labels
    lat0, lat1 = max(a.lat.min() - 12, -60), min(a.lat.max() + 12, 85)
    grow_lon = max(MAP_RATIO * (lat1 - lat0) - (lon1 - lon0), 0) / 2
    grow_lat = max((lon1 - lon0) / MAP_RATIO - (lat1 - lat0), 0) / 2
    return Frame(round(lon0 - grow_lon, 3), round(lon1 + grow_lon, 3), round(lat0 - grow_lat, 3),
                 round(lat1 + grow_lat, 3), width, round(width / MAP_RATIO))


def draw_map_base(ax) -> None:
    """What lies under the actors, on an Axes in longitude and latitude: sea, land, coastlines and borders.

    Basemap's offline coastlines and borders (``draw_coastlines_and_borders``,
    the run's maps' base too), for the part of the globe the frame shows; the
    axes keep the frame's own aspect, so the SVG drawn over it stays aligned.
    """
    (lon0, lon1), (lat0, lat1) = ax.get_xlim(), ax.get_ylim()
    draw_coastlines_and_borders(ax, (max(lon0, -180.0), min(lon1, 180.0), max(lat0, -90.0), min(lat1, 90.0)))
    ax.set(xlim=(lon0, lon1), ylim=(lat0, lat1), aspect="auto")


@lru_cache(maxsize=16)
def base_image(frame: Frame) -> str:
    """The base of the map as a PNG data URL, drawn once per extent and size."""
    fig = Figure(figsize=(frame.width / 100, frame.height / 100), dpi=100 * BASE_SCALE)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set(xlim=(frame.lon0, frame.lon1), ylim=(frame.lat0, frame.lat1), xticks=[], yticks=[])
    ax.set_axis_off()
    ax.patch.set_visible(True)
    draw_map_base(ax)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", facecolor=OCEAN)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


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
    """One colour per actor: the palette cycled over groups, grey for actors in none."""
    colours = np.array(PALETTE + [NO_GROUP], dtype=object)
    return colours[np.where(group < 0, -1, group % len(PALETTE))]


def short_name(name: str) -> str:
    """A network's short name: 'ICLEI – Local Governments…' → 'ICLEI', 'United Cities and Local Governments' → 'UCLG'.

    The part before a dash; of a name of three words or more, the initials of its capitalised words.
    """
    name = name.split(" – ")[0]
    words = name.split()
    return "".join(w[0] for w in words if w[0].isupper()) if len(words) > 2 else name


def _domain_order(domains) -> list[str]:
    return sorted(set(domains), key=lambda d: list(DOMAIN_COLOURS).index(d) if d in DOMAIN_COLOURS else 99)


def _curve_paths(frame: Frame, curves: np.ndarray) -> str:
    """SVG path data of quadratic curves given in degrees."""
    x, y = frame.pixels(curves[..., 0], curves[..., 1])
    return "".join(f"M{x0:.1f} {y0:.1f}Q{x1:.1f} {y1:.1f} {x2:.1f} {y2:.1f}"
                   for (x0, x1, x2), (y0, y1, y2) in zip(x.tolist(), y.tolist(), strict=True))


def _edges_svg(frame: Frame, edges: Edges, width: float, opacity: float) -> list[str]:
    """One path per domain and style: solid lines, contested ones dashed."""
    parts = []
    for contested, dash in ((False, ""), (True, ' stroke-dasharray="5 3"')):
        for domain in _domain_order(edges.domains[edges.contested == contested]):
            chosen = (edges.contested == contested) & (edges.domains == domain)
            path = _curve_paths(frame, edge_curves(edges, chosen))
            parts.append(f'<path class="edge" data-domain="{domain}" d="{path}" '
                         f'fill="none" stroke="{DOMAIN_COLOURS.get(domain, OTHER_COLOUR)}" '
                         f'stroke-width="{width + 0.4 * contested:g}" stroke-opacity="{opacity:g}"{dash}/>')
    return parts


def marker_radius(model: DiplomacyModel) -> np.ndarray:
    """Radius in pixels of each subnational's circle: area ∝ √population."""
    pop = model.actors.population[: len(model.subnationals)]
    return 1.3 * np.sqrt((10 + 220 * np.sqrt(pop / max(pop.max(), 1))) / np.pi)


STAR = np.array([(np.sin(a) * r, -np.cos(a) * r) for k in range(10)
                 for a, r in [(k * np.pi / 5, 10 if k % 2 == 0 else 4.2)]])


def _actors_svg(model: DiplomacyModel, frame: Frame, colours: np.ndarray) -> list[str]:
    """Subnationals as circles (regions hollow), governments as squares, networks as stars; names on hover."""
    a = model.actors
    x, y = frame.pixels(a.lon, a.lat)
    radius = marker_radius(model)
    parts = ['<g class="actors">']
    for agent in model.subnationals:
        i, title = agent.index, f"<title>{escape(agent.name)} ({agent.country})</title>"
        if agent.kind == "region":
            parts.append(f'<circle cx="{x[i]:.1f}" cy="{y[i]:.1f}" r="{radius[i]:.1f}" fill="none" '
                         f'stroke="{colours[i]}" stroke-width="2.2">{title}</circle>')
        else:
            parts.append(f'<circle cx="{x[i]:.1f}" cy="{y[i]:.1f}" r="{radius[i]:.1f}" fill="{colours[i]}" '
                         f'fill-opacity="0.85" stroke="white" stroke-width="0.6">{title}</circle>')
    for g in model.nationals:
        i = g.index
        parts.append(f'<rect x="{x[i] - 4:.1f}" y="{y[i] - 4:.1f}" width="8" height="8" fill="{colours[i]}" '
                     f'stroke="black" stroke-width="0.8"><title>{escape(g.name)}</title></rect>')
    for net in model.networks:
        i = net.index
        points = " ".join(f"{x[i] + dx:.1f},{y[i] + dy:.1f}" for dx, dy in STAR)
        parts.append(f'<polygon points="{points}" fill="{NETWORK_COLOUR}" stroke="black" stroke-width="0.8">'
                     f'<title>{escape(net.name)}</title></polygon>')
    parts.append("</g>")
    return parts


class Label(NamedTuple):
    """A name placed on the map: its text, anchor point (pixels) and box."""

    text: str
    x: float
    y: float
    anchor: str
    bold: bool
    box: tuple[float, float, float, float]  # left, top, right, bottom


def place_labels(model: DiplomacyModel, frame: Frame) -> list[Label]:
    """Names of the networks and the scenario's named cities and regions (largest first), each put beside
    its marker where it overlaps no other name and stays on the map; names with no such place are left out."""
    named = [x for x, spec in zip(model.subnationals, model.spec.subnationals, strict=True) if not is_background(spec)]
    named.sort(key=lambda agent: -agent.population)
    x, y = frame.pixels(model.actors.lon, model.actors.lat)
    placed: list[Label] = []
    for agent in list(model.networks) + named[:MAX_LABELS]:
        network = isinstance(agent, CityNetwork)
        text = short_name(agent.name) if network else agent.name
        w, h = len(text) * LABEL_FONT * (0.64 if network else 0.58), LABEL_FONT * 1.15
        gap = 11 if network else 7
        px, py = x[agent.index], y[agent.index]
        for dx, dy, anchor in _places(gap, h):
            left = px + dx - {"start": 0, "end": w, "middle": w / 2}[anchor]
            box = (left - LABEL_PAD, py + dy - h / 2 - LABEL_PAD, left + w + LABEL_PAD, py + dy + h / 2 + LABEL_PAD)
            inside = box[0] >= 0 and box[1] >= 0 and box[2] <= frame.width and box[3] <= frame.height
            if inside and not any(_overlap(box, other.box) for other in placed):
                placed.append(Label(text, px + dx, py + dy + LABEL_FONT * 0.35, anchor, network, box))
                break
    return placed


def _places(gap: float, h: float) -> list[tuple[float, float, str]]:
    """Where a name may go, relative to its marker, in order of preference: right, left, above, below, the
    diagonals, then a line further up or down."""
    near = [(gap, 0, "start"), (-gap, 0, "end"), (0, -gap - h / 2, "middle"), (0, gap + h / 2, "middle"),
            (gap, -h * 0.8, "start"), (gap, h * 0.8, "start"), (-gap, -h * 0.8, "end"), (-gap, h * 0.8, "end")]
    far = [(dx, dy + (h if dy > 0 else -h), anchor) for dx, dy, anchor in near[2:]]
    return near + far


def _overlap(a: tuple, b: tuple) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


BOLD = ' font-weight="bold"'


def _labels_svg(labels: list[Label]) -> list[str]:
    return ['<g class="labels" font-family="sans-serif" font-size="12" paint-order="stroke" stroke="white" '
            'stroke-width="3" stroke-linejoin="round">'] + [
        f'<text x="{label.x:.1f}" y="{label.y:.1f}" text-anchor="{label.anchor}"{BOLD if label.bold else ""}>'
        f'{escape(label.text)}</text>' for label in labels] + ["</g>"]


@per_step
def map_layers(model: DiplomacyModel, width: int, colour_by: str) -> tuple[str, str]:
    """The map's SVG in two parts, the picked actor's highlight to go between them: base, edges and actors;
    then the names and the closing tag."""
    frame = map_frame(model, width)
    edges = live_edges(model, 0.0 if len(model.live) > DENSE_EDGES else EDGE_SPACING)
    dense = len(edges.ends) > DENSE_EDGES
    below = [f'<svg xmlns="http://www.w3.org/2000/svg" class="world-map-svg" width="{frame.width}" '
             f'height="{frame.height}" viewBox="0 0 {frame.width} {frame.height}" '
             f'data-agreements="{len(edges.ends)}" data-contested="{int(edges.contested.sum())}">',
             '<g class="edges">', *_edges_svg(frame, edges, 0.6 if dense else 1.6, 0.35 if dense else 0.85), "</g>",
             *_actors_svg(model, frame, group_colours(actor_groups(model, colour_by).group))]
    return "".join(below), "".join(_labels_svg(place_labels(model, frame))) + "</svg>"


def highlight_svg(model: DiplomacyModel, width: int, index: int) -> str:
    """The picked actor ringed, and its agreements in force drawn bold on top."""
    frame = map_frame(model, width)
    edges = live_edges(model, 0.0 if len(model.live) > DENSE_EDGES else EDGE_SPACING)
    mine = (edges.parties == index).any(axis=1)
    x, y = frame.pixels(model.actors.lon[index], model.actors.lat[index])
    parts = ['<g class="highlight">']
    if mine.any():
        chosen = Edges(edges.ends[mine], edges.bend[mine], edges.domains[mine], edges.contested[mine],
                       edges.parties[mine])
        parts.append(f'<path d="{_curve_paths(frame, edge_curves(chosen, np.ones(len(chosen.ends), bool)))}" '
                     'fill="none" stroke="white" stroke-width="6" stroke-opacity="0.9"/>')
        parts += _edges_svg(frame, chosen, 3.2, 1.0)
    parts.append(f'<circle class="picked" cx="{x:.1f}" cy="{y:.1f}" r="13" fill="none" '
                 f'stroke="{HIGHLIGHT_COLOUR}" stroke-width="2.5"/></g>')
    return "".join(parts)


def map_svg(model: DiplomacyModel, width: int, colour_by: str = "country", picked: int | None = None) -> str:
    """The whole map as SVG ``width`` pixels wide, with the picked actor highlighted."""
    below, above = map_layers(model, width, colour_by)
    return below + (highlight_svg(model, width, picked) if picked is not None else "") + above


def map_title(model: DiplomacyModel) -> str:
    live = model.pair_agreements()
    contested = sum(ag.status == "contested" for ag in live)
    return f"Agreements in force: {len(live)} ({contested} contested)"


class LegendEntry(NamedTuple):
    """One entry of the legend under the map."""

    symbol: str
    colour: str
    label: str


MAX_LEGEND_GROUPS = 12  # countries or coalitions listed in the colour legend


@per_step
def map_legend(model: DiplomacyModel, colour_by: str) -> tuple[LegendEntry, ...]:
    """The map's legend: colour groups (when few), actor shapes, edge domains."""
    grouping = actor_groups(model, colour_by)
    shown = sorted(set(grouping.group[grouping.group >= 0].tolist()))
    entries = [LegendEntry("■", PALETTE[g % len(PALETTE)], grouping.names[g]) for g in shown]
    if len(entries) > MAX_LEGEND_GROUPS:
        entries = []
    if grouping.outside:
        entries.append(LegendEntry("■", NO_GROUP, grouping.outside))
    entries += [LegendEntry("●", "#757575", "city (area ∝ √population)"), LegendEntry("○", "#757575", "region"),
                LegendEntry("■", "#757575", "national government"), LegendEntry("★", NETWORK_COLOUR, "city network")]
    domains = _domain_order(ag.domain for ag in model.pair_agreements())
    entries += [LegendEntry("━", DOMAIN_COLOURS.get(d, OTHER_COLOUR), d) for d in domains]
    entries.append(LegendEntry("┅", "#555555", "contested"))
    return tuple(entries)


# ----------------------------------------------------------------------------- charts


CHART_HEIGHT = 150  # pixels; charts take their container's width
VEGA_LITE_SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json"  # the version Solara's page loads


def metric(model: DiplomacyModel, name: str) -> list:
    """One model metric of the DataCollector, month by month (month 0 is the start)."""
    return model.datacollector.model_vars[name]


def series_chart(model: DiplomacyModel, series: dict[str, tuple[str, str]], title: str, ylabel: str) -> dict:
    """A Vega-Lite line chart over the run's months (dates), drawn by the browser: ``series`` maps a label to
    (metric column, colour).

    A plain spec, not an Altair chart (Altair validates every chart each
    step), with one row per month and one field per series, folded into
    lines by the browser: a small message to send each Step.
    """
    labels = list(series)
    columns = {label: [_number(v) for v in metric(model, column)] for label, (column, _) in series.items()}
    values = [{"date": date, **{label: v[month] for label, v in columns.items()}}
              for month, date in enumerate(chart_dates(model.spec.start_year, len(metric(model, "signed"))))]
    return {
        "$schema": VEGA_LITE_SCHEMA,
        "title": title,
        "width": "container",
        "height": CHART_HEIGHT,
        "data": {"values": values},
        "transform": [{"fold": labels, "as": ["series", "value"]}],
        "mark": {"type": "line"},
        "encoding": {
            "x": {"field": "date", "type": "temporal", "title": None, "axis": {"format": "%b %Y", "tickCount": 6}},
            "y": {"field": "value", "type": "quantitative", "title": ylabel},
            "color": {"field": "series", "type": "nominal", "title": None, "sort": labels,
                      "scale": {"domain": labels, "range": [colour for _, colour in series.values()]}},
            "tooltip": [{"field": "date", "type": "temporal", "format": "%B %Y"}, {"field": "series"},
                        {"field": "value"}],
        },
    }


def _number(value) -> float | None:
    """A metric's value for the chart (None for a missing one)."""
    return None if value is None or value != value else round(float(value), 4)


@lru_cache(maxsize=64)
def chart_dates(start_year: int, months: int) -> tuple[str, ...]:
    """The first day of months 0, 1, … of a run (month 0: the start)."""
    return tuple(month_start(start_year, month) for month in range(months))


@per_step
def domain_chart(model: DiplomacyModel) -> dict:
    """Agreements in force per domain (domains that ever had one)."""
    series = {d: (f"active_by_domain.{d}", DOMAIN_COLOURS.get(d, OTHER_COLOUR)) for d in DOMAINS
              if any(metric(model, f"active_by_domain.{d}"))}
    return series_chart(model, series, "Agreements in force by domain", "agreements")


@per_step
def events_chart(model: DiplomacyModel) -> dict:
    """Signed, vetoed and contested agreements per month."""
    series = {event: (event, colour) for event, colour in EVENT_COLOURS.items()}
    return series_chart(model, series, "Signed, vetoed and contested per month", "per month")


@per_step
def network_chart(model: DiplomacyModel) -> dict:
    """Members of each city network."""
    series = {short_name(net.name): (f"network_members.{net.actor_id}", PALETTE[k % len(PALETTE)])
              for k, net in enumerate(model.networks)}
    return series_chart(model, series, "Members per network", "members")


@per_step
def coalition_chart(model: DiplomacyModel) -> dict | None:
    """Energy of the coalition configuration (Axelrod & Bennett), or None while there are no coalitions."""
    if not model.coalition_labels or "coalition_energy" not in model.datacollector.model_vars:
        return None
    return series_chart(model, {"energy": ("coalition_energy", "#444444")},
                        "Coalition energy (lower: fewer frustrated pairs)", "energy")
