"""Plots of a sweep, drawn from its summary tables (experiments.sweep computes every statistic).

- ``time_<metric>.png``: the metric over time, one line per condition (mean across
  replicates) with its 95% band; drawn when there are at most MAX_LINES conditions.
- ``heatmap_<metric>.png``: a two-parameter grid, the per-run statistic's mean per cell.
- ``lhs_<metric>.png``: a Latin hypercube, the statistic of each condition against each parameter.
- ``sobol_<metric>.png``: first-order and total Sobol indices with 95% intervals.
- ``morris_<metric>.png``: Morris μ* against σ, one labelled point per parameter.

Every PNG is written atomically (experiments.plots.common.save).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from experiments.plots.common import save, year_axis, years_of

MAX_LINES = 12
"""More conditions than this make a time plot unreadable; the summary table has them all."""
STATISTIC_TEXT = {"final": "final value", "mean": "mean over time"}


def short_name(key: str) -> str:
    """``rules.utility.beta_network`` → ``beta_network``; ``rules/oversight`` → ``oversight``."""
    return key.replace("/", ".").rsplit(".", 1)[-1]


def condition_label(values: dict[str, Any]) -> str:
    """``oversight=permissive, candidates=8``, for legends; ``base`` for a design without parameters."""
    return ", ".join(f"{short_name(k)}={v}" for k, v in values.items()) or "base"


def plot_sweep(over_time: pd.DataFrame, summary: pd.DataFrame, indices: pd.DataFrame | None,
               conditions: dict[str, dict[str, Any]], design: str, parameters: list[str], statistic: str,
               out_dir: Path, title: str = "") -> list[Path]:
    """Write the sweep's plots into ``out_dir`` and return their paths.

    ``over_time``: condition, metric, step, date, n, mean, ci95_low, ci95_high;
    ``summary``: condition, the parameters, metric, mean (of the per-run statistic);
    ``indices``: metric, parameter and Sobol (S1, S1_conf, ST, ST_conf) or
    Morris (mu_star, sigma, mu_star_conf) columns; ``conditions``: id → values.
    """
    out_dir = Path(out_dir)
    paths = []
    for metric in summary["metric"].unique():
        if len(conditions) <= MAX_LINES:
            paths.append(save(plot_over_time(over_time[over_time["metric"] == metric], conditions, metric, title),
                               out_dir / f"time_{metric}.png"))
        rows = summary[summary["metric"] == metric]
        if design == "grid" and len(parameters) == 2:
            paths.append(save(plot_heatmap(rows, parameters, metric, statistic, title),
                               out_dir / f"heatmap_{metric}.png"))
        if design == "lhs":
            paths.append(save(plot_against_parameters(rows, parameters, metric, statistic, title),
                               out_dir / f"lhs_{metric}.png"))
        if indices is not None:
            draw = plot_sobol if design == "sobol" else plot_morris
            paths.append(save(draw(indices[indices["metric"] == metric], metric, statistic, title),
                               out_dir / f"{design}_{metric}.png"))
    return paths


def _titled(ax, text: str, title: str) -> None:
    ax.set_title(f"{text}\n{title}" if title else text, fontsize=11)


def plot_over_time(rows: pd.DataFrame, conditions: dict[str, dict[str, Any]], metric: str,
                   title: str = "") -> plt.Figure:
    """Mean across replicates per condition, with the 95% confidence band of that mean."""
    fig, ax = plt.subplots(figsize=(9, 5))
    colours = plt.get_cmap("tab10" if len(conditions) <= 10 else "tab20").colors
    for (condition, values), colour in zip(conditions.items(), colours):
        line = rows[rows["condition"] == condition].sort_values("step")
        if line.empty:
            continue
        n = int(line["n"].min())
        years = years_of(line["step"], line)
        ax.plot(years, line["mean"], color=colour, lw=1.8, label=f"{condition_label(values)} (n={n})")
        ax.fill_between(years, line["ci95_low"], line["ci95_high"], color=colour, alpha=0.2, lw=0)
    ax.set_ylabel(metric)
    year_axis(ax)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=8, loc="best")
    _titled(ax, f"{metric}: mean across replicates, 95% band", title)
    return fig


def plot_heatmap(rows: pd.DataFrame, parameters: list[str], metric: str, statistic: str,
                 title: str = "") -> plt.Figure:
    """The per-run statistic's mean for each cell of a two-parameter grid, values written in."""
    first, second = parameters
    grid = rows.pivot_table(index=first, columns=second, values="mean", sort=False)
    fig, ax = plt.subplots(figsize=(1.4 * len(grid.columns) + 3, 1.0 * len(grid.index) + 2.5))
    image = ax.imshow(grid.to_numpy(dtype=float), cmap="viridis", aspect="auto", origin="lower")
    ax.set_xticks(range(len(grid.columns)), [str(v) for v in grid.columns])
    ax.set_yticks(range(len(grid.index)), [str(v) for v in grid.index])
    ax.set_xlabel(short_name(second))
    ax.set_ylabel(short_name(first))
    middle = np.nanmean(grid.to_numpy(dtype=float))
    for (i, j), value in np.ndenumerate(grid.to_numpy(dtype=float)):
        if np.isfinite(value):
            text = f"{value:.0f}" if abs(value) >= 100 else f"{value:.3g}"
            ax.text(j, i, text, ha="center", va="center", fontsize=9, color="white" if value < middle else "black")
    fig.colorbar(image, ax=ax, label=f"{metric} ({STATISTIC_TEXT[statistic]})")
    _titled(ax, f"{metric}: mean of the {STATISTIC_TEXT[statistic]} across replicates", title)
    return fig


def plot_against_parameters(rows: pd.DataFrame, parameters: list[str], metric: str, statistic: str,
                            title: str = "") -> plt.Figure:
    """One panel per parameter: each condition's mean statistic against the parameter's value."""
    fig, axes = plt.subplots(1, len(parameters), figsize=(3.6 * len(parameters) + 1, 3.8), sharey=True,
                             squeeze=False)
    for ax, key in zip(axes[0], parameters):
        ax.scatter(rows[key], rows["mean"], s=12, alpha=0.7)
        ax.set_xlabel(short_name(key))
        ax.grid(alpha=0.3)
    axes[0][0].set_ylabel(f"{metric} ({STATISTIC_TEXT[statistic]})")
    fig.suptitle(f"{metric} across the Latin hypercube\n{title}" if title else metric, fontsize=11)
    return fig


def plot_sobol(rows: pd.DataFrame, metric: str, statistic: str, title: str = "") -> plt.Figure:
    """First-order (S1) and total (ST) Sobol indices per parameter, with 95% confidence intervals."""
    fig, ax = plt.subplots(figsize=(1.3 * len(rows) + 3, 4.5))
    x = np.arange(len(rows))
    ax.bar(x - 0.2, rows["S1"], 0.4, yerr=rows["S1_conf"], capsize=3, label="first order S1", color="#1f77b4")
    ax.bar(x + 0.2, rows["ST"], 0.4, yerr=rows["ST_conf"], capsize=3, label="total ST", color="#ff7f0e")
    ax.set_xticks(x, [short_name(p) for p in rows["parameter"]], rotation=20, ha="right")
    ax.axhline(0, color="black", lw=0.8)
    ax.set_ylabel("Sobol index")
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize=9)
    _titled(ax, f"Sobol indices of {metric} ({STATISTIC_TEXT[statistic]}), 95% intervals", title)
    return fig


def plot_morris(rows: pd.DataFrame, metric: str, statistic: str, title: str = "") -> plt.Figure:
    """Morris screening: μ* (overall influence) against σ (non-linearity and interactions)."""
    fig, ax = plt.subplots(figsize=(7, 5))
    ax.errorbar(rows["mu_star"], rows["sigma"], xerr=rows["mu_star_conf"], fmt="o", capsize=3)
    for _, row in rows.iterrows():
        ax.annotate(short_name(row["parameter"]), (row["mu_star"], row["sigma"]), xytext=(5, 5),
                    textcoords="offset points", fontsize=9)
    ax.set_xlabel("μ* (mean absolute elementary effect)")
    ax.set_ylabel("σ (standard deviation of the effects)")
    ax.set_xlim(left=0)
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    _titled(ax, f"Morris screening of {metric} ({STATISTIC_TEXT[statistic]})", title)
    return fig
