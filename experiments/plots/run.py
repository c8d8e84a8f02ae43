"""Per-run PNG plots drawn from the run's tables (metrics, agents, agreements ledger).

Data flows one way: tables → plots; nothing here touches a model.  Every PNG
is written atomically (temporary file beside it, then renamed).
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib import patheffects  # noqa: E402
from matplotlib.collections import LineCollection  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

from experiments.outputs import write_atomic  # noqa: E402

DPI = 120
DOMAIN_COLOURS = {
    "economy": "#1f77b4",
    "infrastructure": "#7f7f7f",
    "environment": "#2ca02c",
    "water": "#17becf",
    "education": "#9467bd",
    "health": "#d62728",
    "technology": "#ff7f0e",
    "culture": "#e377c2",
    "security": "#bcbd22",
    "defence": "#8c564b",
}
"""One fixed colour per policy domain, shared by all plots."""
OTHER_COLOUR = "#444444"
EVENT_COLOURS = {"signed": "#2ca02c", "vetoed": "#d62728", "contested": "#ff7f0e"}
LIVE_EVENTS = ("signed", "contested")
END_EVENTS = ("expired", "withdrawn")
N_LABELS = 15
CHAR_DEG, LINE_DEG = 2.0, 3.8  # rough size of a map label character / line, in degrees
LABEL_STYLES = {"national": {"style": "italic"}, "network": {"weight": "bold"}}


def plot_run(metrics: pd.DataFrame, agents: pd.DataFrame, agreements: pd.DataFrame,
             out_dir: Path, title: str = "") -> list[Path]:
    """Write the run's PNG plots into ``out_dir`` and return their paths."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    figures = {
        "agreements_by_domain.png": plot_agreements_by_domain(metrics, title),
        "signed_vetoed_contested.png": plot_signed_vetoed_contested(metrics, title),
        "world_map.png": plot_world_map(agents, agreements, title),
    }
    return [_save(fig, out_dir / name) for name, fig in figures.items()]


def _save(fig: plt.Figure, path: Path) -> Path:
    """Save ``fig`` atomically as PNG and close it."""
    try:
        return write_atomic(path, lambda tmp: fig.savefig(tmp, format="png", dpi=DPI, bbox_inches="tight"))
    finally:
        plt.close(fig)


def _suptitle(text: str, title: str) -> str:
    """Plot title, with the run title on a second line."""
    return f"{text}\n{title}" if title else text


def _series(metrics: pd.DataFrame, prefix: str) -> pd.DataFrame:
    """Metrics whose name starts with ``prefix`` as a step × suffix table."""
    rows = metrics[metrics["metric"].str.startswith(prefix)]
    wide = rows.pivot_table(index="step", columns="metric", values="value", aggfunc="sum")
    return wide.rename(columns=lambda name: name[len(prefix):]).sort_index()


def _domain_order(domains) -> list[str]:
    """Known domains in canonical order, then any others alphabetically."""
    known = [d for d in DOMAIN_COLOURS if d in set(domains)]
    return known + sorted(set(domains) - set(known))


def _month_axis(ax) -> None:
    """Whole-month ticks and a light grid."""
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.grid(alpha=0.3)


def plot_agreements_by_domain(metrics: pd.DataFrame, title: str = "") -> plt.Figure:
    """Stacked area of agreements in force per domain over time."""
    wide = _series(metrics, "active_by_domain.")
    wide = wide.loc[:, wide.fillna(0).ne(0).any()]
    wide = wide[_domain_order(wide.columns)].fillna(0)
    fig, ax = plt.subplots(figsize=(10, 5))
    if wide.empty:
        ax.text(0.5, 0.5, "no agreements in force", ha="center", va="center", transform=ax.transAxes)
    else:
        ax.stackplot(wide.index, wide.T.to_numpy(), labels=wide.columns, alpha=0.85,
                     colors=[DOMAIN_COLOURS.get(d, OTHER_COLOUR) for d in wide.columns])
        handles, labels = ax.get_legend_handles_labels()
        ax.legend(handles[::-1], labels[::-1], title="domain", loc="upper left",
                  bbox_to_anchor=(1.01, 1), frameon=False)
        ax.set_xlim(wide.index.min(), wide.index.max())
    ax.set(xlabel="month", ylabel="agreements in force",
           title=_suptitle("Agreements in force by domain (stacked)", title))
    _month_axis(ax)
    return fig


def plot_signed_vetoed_contested(metrics: pd.DataFrame, title: str = "") -> plt.Figure:
    """Monthly signed / vetoed / contested counts with a 12-month rolling mean."""
    rows = metrics[metrics["metric"].isin(EVENT_COLOURS)]
    wide = rows.pivot_table(index="step", columns="metric", values="value", aggfunc="sum")
    wide = wide.reindex(columns=list(EVENT_COLOURS)).sort_index().fillna(0)
    fig, ax = plt.subplots(figsize=(10, 5))
    for event, colour in EVENT_COLOURS.items():
        ax.plot(wide.index, wide[event], color=colour, lw=0.8, alpha=0.35)
        ax.plot(wide.index, wide[event].rolling(12, min_periods=1).mean(), color=colour, lw=2.2)
    handles = [Patch(color=c, label=e) for e, c in EVENT_COLOURS.items()] + [
        Line2D([], [], color="0.4", lw=0.8, alpha=0.5, label="monthly count"),
        Line2D([], [], color="0.4", lw=2.2, label="12-month mean")]
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)
    ax.set(xlabel="month", ylabel="events per month", ylim=(0, None),
           title=_suptitle("Signed, vetoed and contested agreements per month", title))
    ax.text(0, -0.16, "signed: concluded with every required approval · vetoed: a national government "
            "vetoed one subnational side · contested: signed despite a veto",
            transform=ax.transAxes, fontsize=8, color="0.3", va="top")
    _month_axis(ax)
    return fig


def active_edges(agents: pd.DataFrame, agreements: pd.DataFrame) -> pd.DataFrame:
    """Agreements in force at the end of the ledger, one row per agreement.

    In force = a ``signed`` or ``contested`` event and no later ``expired`` or
    ``withdrawn`` one.  Columns: agreement_id, domain, kind, status
    ('active'/'contested'), a, b (the first two parties, both known actors).
    """
    led = agreements[agreements["agreement_id"].notna()].sort_values("step", kind="stable")
    led = led.assign(order=np.arange(len(led)))
    last = led.pivot_table(index="agreement_id", columns="event", values="order", aggfunc="max")
    last = last.reindex(columns=[*LIVE_EVENTS, *END_EVENTS])
    start, end = last[list(LIVE_EVENTS)].max(axis=1), last[list(END_EVENTS)].max(axis=1)
    live = last.index[start.notna() & ~(end > start)]
    first = led.drop_duplicates("agreement_id").set_index("agreement_id").loc[live]
    first = first[first["parties"].map(len) >= 2]
    edges = pd.DataFrame({
        "agreement_id": first.index.astype("Int64"),
        "domain": first["domain"].to_numpy(),
        "kind": first["kind"].to_numpy(),
        "status": np.where(last.loc[first.index, "contested"].notna(), "contested", "active"),
        "a": first["parties"].map(lambda p: p[0]).to_numpy(),
        "b": first["parties"].map(lambda p: p[1]).to_numpy(),
    })
    known = set(agents["actor_id"])
    return edges[edges["a"].isin(known) & edges["b"].isin(known)].reset_index(drop=True)


def _segments(ends: np.ndarray) -> np.ndarray:
    """Edge segments [(lon, lat), (lon, lat)], split in two where the short way crosses ±180°."""
    dlon = ends[:, 1, 0] - ends[:, 0, 0]
    wrap = np.abs(dlon) > 180
    shift = -360 * np.sign(dlon[wrap])
    first, second = ends[wrap].copy(), ends[wrap].copy()
    first[:, 1, 0] += shift
    second[:, 0, 0] -= shift
    return np.concatenate([ends[~wrap], first, second])


def _draw_edges(ax, agents: pd.DataFrame, edges: pd.DataFrame) -> list[str]:
    """Draw agreement edges coloured by domain (contested dashed); return domains drawn."""
    where = agents.set_index("actor_id")[["lon", "lat"]]
    domains = _domain_order(edges["domain"].unique())
    for status, style, width in (("active", "solid", 0.5), ("contested", (0, (4, 2)), 0.9)):
        for domain in domains:
            sel = edges[(edges["status"] == status) & (edges["domain"] == domain)]
            if sel.empty:
                continue
            ends = np.stack([where.loc[sel["a"]].to_numpy(), where.loc[sel["b"]].to_numpy()], axis=1)
            ax.add_collection(LineCollection(_segments(ends), colors=DOMAIN_COLOURS.get(domain, OTHER_COLOUR),
                                             linewidths=width, linestyles=style, alpha=0.35, zorder=1))
    return domains


def _draw_actors(ax, agents: pd.DataFrame) -> None:
    """Cities (filled) and regions (open) as circles sized by population; governments and networks."""
    sub = agents[agents["type"] == "subnational"]
    size = 4 + 140 * sub["population"] / max(sub["population"].max(), 1)  # marker area ∝ population
    city = (sub["kind"] == "city").to_numpy()
    ax.scatter(sub["lon"][city], sub["lat"][city], s=size[city], color="#37474f", alpha=0.55, lw=0, zorder=2)
    ax.scatter(sub["lon"][~city], sub["lat"][~city], s=size[~city], facecolors="none",
               edgecolors="#37474f", lw=0.8, alpha=0.8, zorder=2)
    nat = agents[agents["type"] == "national"]
    ax.scatter(nat["lon"], nat["lat"], s=22, marker="s", facecolors="white", edgecolors="black", lw=0.7, zorder=3)
    net = agents[agents["type"] == "network"]
    ax.scatter(net["lon"], net["lat"], s=180, marker="*", color="gold", edgecolors="black", lw=0.7, zorder=4)


def _label_rows(agents: pd.DataFrame) -> pd.DataFrame:
    """The actors worth naming: every network, the top nationals and subnationals by degree."""
    linked = agents[agents["degree"] > 0].sort_values("degree", ascending=False, kind="stable")
    nat = linked[linked["type"] == "national"].head(3)
    net = agents[agents["type"] == "network"]
    sub = linked[linked["type"] == "subnational"].head(max(N_LABELS - len(nat) - len(net), 0))
    return pd.concat([net, nat, sub])


def _label_spot(lon: float, lat: float, width: float, placed: list) -> tuple[float, float]:
    """First free label position near (lon, lat): right or left of it, then a line lower or higher."""
    for dy in (0, -1, 1, -2, 2, -3, 3):
        for x in (lon + 1.5, lon - 1.5 - width):
            y = lat - 1.0 + dy * LINE_DEG
            clash = any(x < right and left < x + width and abs(y - base) < LINE_DEG
                        for left, right, base in placed)
            if x + width <= 180 and not clash:
                return x, y
    return lon + 1.5, lat - 1.0


def _draw_labels(ax, agents: pd.DataFrame) -> None:
    """Name the most connected actors, placing labels where they do not overlap."""
    placed: list[tuple[float, float, float]] = []  # (left, right, baseline) in degrees
    halo = [patheffects.withStroke(linewidth=2.5, foreground="white")]
    for row in _label_rows(agents).itertuples():
        name = row.name.removeprefix("Government of ")
        width = CHAR_DEG * len(name)
        x, y = _label_spot(row.lon, row.lat, width, placed)
        placed.append((x, x + width, y))
        moved = abs(y - row.lat) > LINE_DEG
        ax.annotate(name, (row.lon, row.lat), (x, y), fontsize=7.5, zorder=5, path_effects=halo,
                    **LABEL_STYLES.get(row.type, {}),
                    arrowprops=dict(arrowstyle="-", color="0.4", lw=0.5, shrinkA=0) if moved else None)


def _map_legends(ax, domains: list[str]) -> None:
    """Domain legend (edges) and actor/status legend, side by side below the map."""
    domain_handles = [Line2D([], [], color=DOMAIN_COLOURS.get(d, OTHER_COLOUR), lw=2, label=d) for d in domains]
    if domain_handles:
        ax.add_artist(ax.legend(handles=domain_handles, title="agreement domain", loc="upper left",
                                bbox_to_anchor=(0, -0.1), ncol=4, fontsize=8, title_fontsize=8))
    marker_only = dict(color="none", markeredgecolor="black", linestyle="none")
    actor_handles = [
        Line2D([], [], marker="o", markerfacecolor="#37474f", alpha=0.6, label="city (area ∝ population)",
               **marker_only),
        Line2D([], [], marker="o", markerfacecolor="none", label="region", **marker_only),
        Line2D([], [], marker="s", markerfacecolor="white", label="national government (capital)", **marker_only),
        Line2D([], [], marker="*", markerfacecolor="gold", markersize=12, label="city network (seat)",
               **marker_only),
        Line2D([], [], color="0.3", lw=1, label="agreement in force"),
        Line2D([], [], color="0.3", lw=1, linestyle=(0, (4, 2)), label="contested (signed despite veto)"),
    ]
    ax.legend(handles=actor_handles, title="actors and agreements", loc="upper right",
              bbox_to_anchor=(1, -0.1), ncol=2, fontsize=8, title_fontsize=8)


def plot_world_map(agents: pd.DataFrame, agreements: pd.DataFrame, title: str = "") -> plt.Figure:
    """Actors on an equirectangular world map with the agreements in force at the end as edges."""
    edges = active_edges(agents, agreements)
    fig, ax = plt.subplots(figsize=(14, 6.6))
    ax.set_facecolor("#f3f6f9")
    ax.set_xticks(range(-180, 181, 30))
    ax.set_yticks(range(-60, 85, 30))
    ax.grid(color="white", lw=1.0)
    domains = _draw_edges(ax, agents, edges)
    _draw_actors(ax, agents)
    _draw_labels(ax, agents)
    _map_legends(ax, domains)
    ax.set(xlim=(-180, 180), ylim=(-60, 85), aspect="equal", xlabel="longitude (°)", ylabel="latitude (°)")
    counts = edges["status"].value_counts()
    ax.set_title(_suptitle("Agreements in force at the end of the run: "
                           f"{counts.get('active', 0)} active, {counts.get('contested', 0)} contested", title))
    return fig
