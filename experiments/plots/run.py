"""Per-run PNG plots drawn from the run's tables (metrics, agents, agreements ledger).

- ``agreements_by_domain.png``: agreements in force per domain over time (stacked);
- ``signed_vetoed_contested.png``: signed, vetoed and contested agreements per month;
- ``world_map.png``: the actors on a world map (coastlines, borders) with the
  agreements in force at the end as edges.

Data flows one way: tables → plots; nothing here touches a model.  Every PNG
is written atomically (temporary file beside it, then renamed).
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib import patheffects
from matplotlib.collections import LineCollection
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from experiments.network import agreements_in_force
from experiments.plots.common import (DOMAIN_COLOURS, EVENT_COLOURS, OTHER_COLOUR, domain_order, save, series,
                                      suptitle, world_axes, year_axis, years_of)

N_LABELS = 15
CHAR_DEG, LINE_DEG = 2.0, 3.8  # rough size of a map label character / line, in degrees
LABEL_STYLES = {"national": {"style": "italic"}, "network": {"weight": "bold"}, "private": {"color": "indigo"}}


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
    return [save(fig, out_dir / name) for name, fig in figures.items()]


def plot_agreements_by_domain(metrics: pd.DataFrame, title: str = "") -> plt.Figure:
    """Stacked area of agreements in force per domain over time."""
    wide = series(metrics, "active_by_domain.")
    wide = wide.loc[:, wide.fillna(0).ne(0).any()]
    wide = wide[domain_order(wide.columns)].fillna(0)
    fig, ax = plt.subplots(figsize=(10, 5))
    years = years_of(wide.index, metrics)
    if wide.empty:
        ax.text(0.5, 0.5, "no agreements in force", ha="center", va="center", transform=ax.transAxes)
    else:
        ax.stackplot(years, wide.T.to_numpy(), labels=wide.columns, alpha=0.85,
                     colors=[DOMAIN_COLOURS.get(d, OTHER_COLOUR) for d in wide.columns])
        handles, labels = ax.get_legend_handles_labels()
        ax.legend(handles[::-1], labels[::-1], title="domain", loc="upper left",
                  bbox_to_anchor=(1.01, 1), frameon=False)
        ax.set_xlim(years.min(), years.max())
    ax.set(ylabel="agreements in force", title=suptitle("Agreements in force by domain (stacked)", title))
    year_axis(ax)
    return fig


def plot_signed_vetoed_contested(metrics: pd.DataFrame, title: str = "") -> plt.Figure:
    """Monthly signed / vetoed / contested counts with a 12-month rolling mean."""
    rows = metrics[metrics["metric"].isin(EVENT_COLOURS)]
    wide = rows.pivot_table(index="step", columns="metric", values="value", aggfunc="sum")
    wide = wide.reindex(columns=list(EVENT_COLOURS)).sort_index().fillna(0)
    fig, ax = plt.subplots(figsize=(10, 5))
    years = years_of(wide.index, metrics)
    for event, colour in EVENT_COLOURS.items():
        ax.plot(years, wide[event], color=colour, lw=0.8, alpha=0.35)
        ax.plot(years, wide[event].rolling(12, min_periods=1).mean(), color=colour, lw=2.2)
    handles = [Patch(color=c, label=e) for e, c in EVENT_COLOURS.items()] + [
        Line2D([], [], color="0.4", lw=0.8, alpha=0.5, label="monthly count"),
        Line2D([], [], color="0.4", lw=2.2, label="12-month mean")]
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)
    ax.set(ylabel="events per month", ylim=(0, None),
           title=suptitle("Signed, vetoed and contested agreements per month", title))
    ax.text(0, -0.16, "signed: concluded with every required approval · vetoed: a national government "
            "vetoed one subnational side · contested: signed despite a veto",
            transform=ax.transAxes, fontsize=8, color="0.3", va="top")
    year_axis(ax)
    return fig


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
    domains = domain_order(edges["domain"].unique())
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
    """Cities (filled) and regions (open) as circles sized by population; governments, networks, private actors."""
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
    private = agents[agents["type"] == "private"]  # at their home city
    ax.scatter(private["lon"], private["lat"], s=70, marker="D", color="tab:purple", edgecolors="black", lw=0.7,
               zorder=4)


def _label_rows(agents: pd.DataFrame) -> pd.DataFrame:
    """The actors worth naming: every network and private actor, the top nationals and subnationals by degree."""
    linked = agents[agents["degree"] > 0].sort_values("degree", ascending=False, kind="stable")
    nat = linked[linked["type"] == "national"].head(3)
    net = agents[agents["type"].isin(["network", "private"])]
    sub = linked[linked["type"] == "subnational"].head(max(N_LABELS - len(nat) - len(net), 0))
    return pd.concat([net, nat, sub])


def label_spot(lon: float, lat: float, width: float, placed: list) -> tuple[float, float]:
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
        x, y = label_spot(row.lon, row.lat, width, placed)
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
        Line2D([], [], marker="D", markerfacecolor="tab:purple", label="firm or business lobby (home city)",
               **marker_only),
        Line2D([], [], color="0.3", lw=1, label="agreement in force"),
        Line2D([], [], color="0.3", lw=1, linestyle=(0, (4, 2)), label="contested (signed despite veto)"),
    ]
    ax.legend(handles=actor_handles, title="actors and agreements", loc="upper right",
              bbox_to_anchor=(1, -0.1), ncol=2, fontsize=8, title_fontsize=8)


def plot_world_map(agents: pd.DataFrame, agreements: pd.DataFrame, title: str = "") -> plt.Figure:
    """Actors on an equirectangular world map (land, coastlines, borders) with the agreements in force at the end."""
    edges = agreements_in_force(agents, agreements)
    fig, ax = world_axes()
    domains = _draw_edges(ax, agents, edges)
    _draw_actors(ax, agents)
    _draw_labels(ax, agents)
    _map_legends(ax, domains)
    ax.set(xlabel="longitude (°)", ylabel="latitude (°)")
    counts = edges["status"].value_counts()
    ax.set_title(suptitle("Agreements in force at the end of the run: "
                           f"{counts.get('active', 0)} active, {counts.get('contested', 0)} contested", title))
    return fig
