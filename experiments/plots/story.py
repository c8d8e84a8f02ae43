"""Plots of the collective dynamics the article's stories are about, drawn from a run's tables.

Each figure is drawn only when the run has what it shows (DESIGN.md §4):

- ``coalition_energy.png``: energy of the coalition configuration, greedy
  moves, and members of each coalition per month (Axelrod & Bennett 1993);
- ``coalition_map.png``: the coalition actors on a world map (coastlines, borders), coloured by
  their coalition at the end (rebuilt from the ledger's ``aligned`` events);
- ``declaration_signatures.png``: signatories of each declaration per month,
  its window shaded (Granovetter 1978);
- ``adoption_curves.png``: adopters of each practice, cumulative and per
  month (the diffusion rule: network cascade or Bass);
- ``mega_events.png``: for each mega-event host, proposals involving it and
  its agreements per month, the event's window shaded;
- ``network_members.png``: members of each city network per month;
- ``top_actors.png``: the actors with the most agreements signed in the run.

Timeline events (mega-events, crises, stance changes) are marked on the
time plots, whose axes are in years.  Data flows one way: tables → plots.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib import patheffects

from experiments.plots.common import (EVENT_COLOURS, SERIES_COLOURS, save, series, start_year_of, step_years,
                                      suptitle, world_axes, year_axis)
from experiments.plots.run import label_spot

COALITION_COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b")
SPAN_EVENTS = {"mega_event_start": ("mega_event_end", "#ffd54f"), "crisis_start": ("crisis_end", "#ef9a9a")}
N_TOP = 15
AGREEMENT_KINDS = ("bilateral", "state_relation")


def plot_story(tables: dict[str, pd.DataFrame], out_dir: Path, title: str = "") -> list[Path]:
    """Write the story plots the run's tables support into ``out_dir``; return their paths."""
    metrics, agents, ledger = tables["metrics"], tables["agents"], tables["agreements"]
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    names = set(metrics["metric"])
    figures = {}
    if "coalition_energy" in names:
        figures["coalition_energy.png"] = plot_coalition_energy(metrics, ledger, title)
        figures["coalition_map.png"] = plot_coalition_map(agents, ledger, title)
    if any(n.startswith("declaration_signatories.") for n in names):
        figures["declaration_signatures.png"] = plot_declaration_signatures(metrics, ledger, title)
    if any(n.startswith("adopters.") for n in names):
        figures["adoption_curves.png"] = plot_adoption_curves(metrics, ledger, title)
    if (ledger["event"] == "mega_event_start").any():
        figures["mega_events.png"] = plot_mega_events(agents, ledger, title)
    if any(n.startswith("network_members.") for n in names):
        figures["network_members.png"] = plot_network_members(metrics, agents, ledger, title)
    figures["top_actors.png"] = plot_top_actors(agents, ledger, title)
    return [save(fig, out_dir / name) for name, fig in figures.items()]


# ------------------------------------------------------------------ timeline marks


def timeline_spans(ledger: pd.DataFrame, last_step: int) -> list[tuple[int, int, str, str, str]]:
    """Windows of mega-events and crises: (start, end, label, colour, actor_id); open ones end at last_step."""
    spans = []
    for start_event, (end_event, colour) in SPAN_EVENTS.items():
        starts = ledger[ledger["event"] == start_event]
        ends = ledger[ledger["event"] == end_event]
        for row in starts.itertuples():
            later = ends[(ends["detail"] == row.detail) & (ends["step"] >= row.step)]
            end = int(later["step"].min()) if len(later) else last_step
            spans.append((int(row.step), end, row.detail, colour, row.actor_id))
    return spans


def _mark_timeline(ax, ledger: pd.DataFrame, last_step: int, start_year: int, labels: bool = True,
                   host: str | None = None) -> None:
    """Shade mega-event and crisis windows and draw stance changes as dashed lines (named if ``labels``).

    The x axis is in years (``step_years``).  With ``host``, only that actor's mega-events are shaded.
    """
    marks = [(start, end, label, colour) for start, end, label, colour, actor in timeline_spans(ledger, last_step)
             if host is None or actor in (host, None)]
    marks += [(row.step, None, row.detail, None) for row in ledger[ledger["event"] == "stance_change"].itertuples()]
    for k, (start, end, label, colour) in enumerate(sorted(marks, key=lambda mark: mark[0])):
        if end is None:
            ax.axvline(step_years(start - 0.5, start_year), color="0.35", ls="--", lw=1)
        else:
            ax.axvspan(step_years(start - 0.5, start_year), step_years(end - 0.5, start_year), color=colour,
                       alpha=0.35, lw=0, zorder=0)
        if labels:
            ax.text(step_years(start, start_year), 0.98 - 0.07 * (k % 3), label, transform=ax.get_xaxis_transform(),
                    fontsize=7, va="top", color="0.25")


def _last_step(metrics: pd.DataFrame) -> int:
    return int(metrics["step"].max()) if len(metrics) else 0


# ------------------------------------------------------------------ coalitions


def final_coalitions(ledger: pd.DataFrame) -> pd.Series:
    """Each coalition actor's coalition at the end of the run: the last ``aligned`` event's detail."""
    aligned = ledger[ledger["event"] == "aligned"].sort_values("step", kind="stable")
    return aligned.groupby("actor_id", sort=False)["detail"].last().astype(int)


def plot_coalition_energy(metrics: pd.DataFrame, ledger: pd.DataFrame, title: str = "") -> plt.Figure:
    """Energy (top, with greedy moves) and members of each coalition (bottom) per month."""
    wide = metrics.pivot_table(index="step", columns="metric", values="value", aggfunc="sum").sort_index()
    members = series(metrics, "coalition_members.")
    start_year = start_year_of(metrics)
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(10, 7), sharex=True, height_ratios=(3, 2))
    top.plot(step_years(wide.index, start_year), wide["coalition_energy"], color="black", lw=1.8,
             label="energy E(X)")
    moved = wide.index[wide["coalition_moves"] > 0]
    top.plot(step_years(moved, start_year), wide.loc[moved, "coalition_energy"], "o", ms=4, color="#ff7f0e",
             label="month with a move")
    top.set(ylabel="energy E = Σ s_i s_j p_ij d_ij",
            title=suptitle("Coalitions by landscape descent (Axelrod & Bennett 1993)", title))
    top.legend(loc="upper right", frameon=False, fontsize=8)
    for k, column in enumerate(sorted(members.columns, key=int)):
        bottom.step(step_years(members.index, start_year), members[column], where="post", lw=2,
                    color=COALITION_COLOURS[k % len(COALITION_COLOURS)], label=f"coalition {column}")
    bottom.set(ylabel="members")
    bottom.legend(loc="upper right", frameon=False, fontsize=8)
    for ax in (top, bottom):
        _mark_timeline(ax, ledger, _last_step(metrics), start_year, labels=ax is top)
        year_axis(ax)
    top.text(0, -0.02, "energy falls with each greedy move; it can rise between moves when new "
             "agreements change the propensities", transform=top.transAxes, fontsize=8, color="0.3", va="top")
    return fig


def plot_coalition_map(agents: pd.DataFrame, ledger: pd.DataFrame, title: str = "") -> plt.Figure:
    """The coalition actors on an equirectangular map (coastlines, borders), coloured by their final coalition."""
    labels = final_coalitions(ledger)
    where = agents.set_index("actor_id").loc[labels.index]
    fig, ax = world_axes()
    background = agents[agents["type"] == "subnational"]
    ax.scatter(background["lon"], background["lat"], s=3, color="0.6", lw=0, zorder=1)
    placed: list[tuple[float, float, float]] = []
    halo = [patheffects.withStroke(linewidth=2.5, foreground="white")]
    for coalition in sorted(labels.unique()):
        rows = where[labels.to_numpy() == coalition]
        colour = COALITION_COLOURS[coalition % len(COALITION_COLOURS)]
        ax.scatter(rows["lon"], rows["lat"], s=90, color=colour, edgecolors="black", lw=0.6, zorder=3,
                   label=f"coalition {coalition} ({len(rows)})")
        for name, lon, lat in zip(rows["name"], rows["lon"], rows["lat"]):
            x, y = label_spot(lon, lat, 2.0 * len(name), placed)
            placed.append((x, x + 2.0 * len(name), y))
            ax.annotate(name, (lon, lat), (x, y), fontsize=8, color=colour, zorder=4, path_effects=halo)
    ax.legend(loc="lower left", fontsize=9, title="final coalition", title_fontsize=9)
    ax.set(xlabel="longitude (°)", ylabel="latitude (°)",
           title=suptitle("Coalitions at the end of the run (landscape theory; grey: other cities)", title))
    return fig


# ------------------------------------------------------------------ declarations and practices


def plot_declaration_signatures(metrics: pd.DataFrame, ledger: pd.DataFrame, title: str = "") -> plt.Figure:
    """Signatories of each declaration per month, the window it was open shaded in its colour."""
    wide = series(metrics, "declaration_signatories.")
    start_year = start_year_of(metrics)
    fig, ax = plt.subplots(figsize=(10, 5))
    names = ledger[ledger["event"] == "opened"].set_index("detail")
    for k, column in enumerate(wide.columns):
        colour = SERIES_COLOURS[k % len(SERIES_COLOURS)]
        ax.plot(step_years(wide.index, start_year), wide[column], color=colour, lw=2.2,
                label=f"{column}: {int(wide[column].iloc[-1])}")
        if column in names.index:
            opened = int(names.loc[column, "step"])
            closed = ledger[(ledger["event"] == "closed") & (ledger["detail"] == column)]["step"]
            end = int(closed.iloc[0]) if len(closed) else _last_step(metrics)
            ax.axvspan(step_years(opened - 0.5, start_year), step_years(end - 0.5, start_year), color=colour,
                       alpha=0.12, lw=0)
    _mark_timeline(ax, ledger, _last_step(metrics), start_year)
    ax.legend(title="declaration: signatories at the end", loc="upper left", bbox_to_anchor=(1.01, 1),
              frameon=False, fontsize=8)
    ax.set(ylabel="signatories", ylim=(0, None),
           title=suptitle("Declaration signatures (threshold cascades, Granovetter 1978); "
                           "shaded: open for signature", title))
    year_axis(ax)
    return fig


def plot_adoption_curves(metrics: pd.DataFrame, ledger: pd.DataFrame, title: str = "") -> plt.Figure:
    """Adopters of each practice: cumulative (top) and new adopters per month (bottom)."""
    wide = series(metrics, "adopters.")
    start_year = start_year_of(metrics)
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(10, 7), sharex=True, height_ratios=(3, 2))
    width = 0.8 / max(len(wide.columns), 1)  # in months
    for k, column in enumerate(wide.columns):
        colour = SERIES_COLOURS[k % len(SERIES_COLOURS)]
        top.plot(step_years(wide.index, start_year), wide[column], color=colour, lw=2.2, label=column)
        new = wide[column].diff().fillna(wide[column].iloc[0])
        bottom.bar(step_years(wide.index + (k - (len(wide.columns) - 1) / 2) * width, start_year), new,
                   width=width / 12, color=colour)
    top.legend(loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False, fontsize=8)
    top.set(ylabel="adopters", ylim=(0, None),
            title=suptitle("Diffusion of practices: innovation and imitation", title))
    bottom.set(ylabel="new adopters per month")
    for ax in (top, bottom):
        _mark_timeline(ax, ledger, _last_step(metrics), start_year, labels=ax is top)
        year_axis(ax)
    return fig


# ------------------------------------------------------------------ mega-events, networks, ranking


def _hostseries(ledger: pd.DataFrame, host: str, steps: pd.Index) -> pd.DataFrame:
    """Per month: proposals with ``host`` as a party, its agreements signed or contested, vetoes of them."""
    involved = ledger[ledger["parties"].map(lambda p: host in list(p)) & ledger["kind"].isin(AGREEMENT_KINDS)]
    counts = involved[involved["step"] > 0].pivot_table(index="step", columns="event", values="agreement_id",
                                                       aggfunc="count")
    counts = counts.reindex(index=steps, columns=["proposed", "signed", "contested", "vetoed"]).fillna(0)
    return pd.DataFrame({"proposed": counts["proposed"], "signed": counts["signed"] + counts["contested"],
                         "vetoed": counts["vetoed"]})


def plot_mega_events(agents: pd.DataFrame, ledger: pd.DataFrame, title: str = "") -> plt.Figure:
    """For each mega-event host, per year of the run: proposals involving it, its agreements and vetoes.

    Yearly, because capacity is a yearly budget: a busy host fills it early in
    the year and is idle until the next.
    """
    last = int(ledger["step"].max())
    start_year = start_year_of(ledger)
    hosts = list(dict.fromkeys(ledger.loc[ledger["event"] == "mega_event_start", "actor_id"]))
    names = agents.set_index("actor_id")["name"]
    fig, axes = plt.subplots(len(hosts), 1, figsize=(10, 3.6 * len(hosts)), sharex=True, squeeze=False)
    colours = {"proposed": "#1f77b4", "signed": EVENT_COLOURS["signed"], "vetoed": EVENT_COLOURS["vetoed"]}
    for ax, host in zip(axes[:, 0], hosts):
        series = _hostseries(ledger, host, pd.RangeIndex(1, last + 1))
        yearly = series.groupby((series.index - 1) // 12).sum()
        for k, (column, colour) in enumerate(colours.items()):
            ax.bar(start_year + yearly.index + 0.5 + (k - 1) * 0.3, yearly[column], width=0.28, color=colour,
                   label=column)
        _mark_timeline(ax, ledger, last, start_year, host=host)
        ax.set(ylabel="per year", ylim=(0, yearly.to_numpy().max() * 1.25 + 1), title=names.get(host, host))
        ax.set_xticks(np.arange(start_year, start_year + (last + 11) // 12 + 1))
        ax.legend(loc="upper right", fontsize=8)
        ax.grid(axis="y", alpha=0.3)
    axes[-1, 0].set_xlabel("year (bars: the years of the run)")
    fig.suptitle(suptitle("Mega-events: proposals involving the host, its agreements (signed or contested) "
                           "and vetoes", title))
    fig.tight_layout()
    return fig


def plot_network_members(metrics: pd.DataFrame, agents: pd.DataFrame, ledger: pd.DataFrame,
                         title: str = "") -> plt.Figure:
    """Members of each city network per month."""
    wide = series(metrics, "network_members.")
    names = agents.set_index("actor_id")["name"]
    start_year = start_year_of(metrics)
    fig, ax = plt.subplots(figsize=(10, 5))
    for k, column in enumerate(wide.columns):
        ax.plot(step_years(wide.index, start_year), wide[column], lw=2.2, color=SERIES_COLOURS[k % len(SERIES_COLOURS)],
                label=f"{names.get(column, column)}: {int(wide[column].iloc[-1])}")
    _mark_timeline(ax, ledger, _last_step(metrics), start_year)
    ax.legend(title="network: members at the end", loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False,
              fontsize=8)
    ax.set(ylabel="members", ylim=(0, None),
           title=suptitle("City networks recruiting members", title))
    year_axis(ax)
    return fig


def top_actors(agents: pd.DataFrame, ledger: pd.DataFrame, n: int = N_TOP) -> pd.DataFrame:
    """The n actors with the most agreements signed (or contested) during the run: actor_id, name, kind, agreements."""
    signed = ledger[ledger["event"].isin(("signed", "contested")) & ledger["kind"].isin(AGREEMENT_KINDS)
                    & (ledger["step"] > 0)]
    counts = signed["parties"].explode().value_counts()
    table = agents.set_index("actor_id")[["name", "kind"]].join(counts.rename("agreements"), how="inner")
    table = table.sort_values("agreements", ascending=False, kind="stable").head(n)
    return table.rename_axis("actor_id").reset_index()


def plot_top_actors(agents: pd.DataFrame, ledger: pd.DataFrame, title: str = "") -> plt.Figure:
    """Horizontal bars: the actors with the most agreements signed during the run."""
    table = top_actors(agents, ledger)
    kind_colours = {"city": "#37474f", "region": "#8d6e63", "national": "#90a4ae"}
    fig, ax = plt.subplots(figsize=(9, 0.35 * max(len(table), 3) + 1.5))
    ax.barh(np.arange(len(table)), table["agreements"],
            color=[kind_colours.get(k, "#444444") for k in table["kind"]])
    ax.set_yticks(np.arange(len(table)), table["name"])
    ax.invert_yaxis()
    for kind, colour in kind_colours.items():
        if kind in set(table["kind"]):
            ax.bar(0, 0, color=colour, label=kind)
    ax.legend(loc="lower right", frameon=False, fontsize=8)
    ax.set(xlabel="agreements signed in the run (signed or contested)",
           title=suptitle(f"Top {len(table)} actors by agreements", title))
    ax.grid(axis="x", alpha=0.3)
    return fig
