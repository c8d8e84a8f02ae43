"""Plots of a calibration and its validation: marginal and pair plots of the posterior, and model
bands (median, 90 %) against every observed point, by calendar date."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from experiments.observed import decimal_year
from experiments.plots.common import save, year_axis

MARKERS = {"exact": "o", "more_than": "^", "approximate": "D"}
ROLE_COLOURS = {"fit": "tab:blue", "hold_out": "tab:orange"}


def bands(trajectories: pd.DataFrame) -> pd.DataFrame:
    """Per metric and step: weighted median and 5 % / 95 % quantiles of ``value`` (column ``weight``)."""
    from experiments.calibrate import weighted_quantile

    rows = []
    for (metric, step), group in trajectories.groupby(["metric", "step"], sort=True):
        q05, median, q95 = weighted_quantile(group["value"].to_numpy(), group["weight"].to_numpy(),
                                             np.array([0.05, 0.5, 0.95]))
        rows.append({"metric": metric, "step": step, "q05": q05, "median": median, "q95": q95})
    return pd.DataFrame(rows)


def plot_predictive(band: pd.DataFrame, points, start_year: int, path: Path, title: str,
                    tolerance: float) -> Path:
    """One panel per target series: the model's median and 90 % band, the observed figures
    (● exact, ▲ more than, ◆ approximate with its tolerance), fitted in blue, held out in orange."""
    series = list(dict.fromkeys(p.series for p in points))
    columns = min(len(series), 3)
    rows = int(np.ceil(len(series) / columns))
    fig, axes = plt.subplots(rows, columns, figsize=(5 * columns, 3.6 * rows), squeeze=False)
    for ax, name in zip(axes.ravel(), series):
        mine = [p for p in points if p.series == name]
        role = mine[0].role
        model = band[band["metric"] == mine[0].metric]
        years = decimal_year(model["step"].to_numpy(), start_year)
        ax.fill_between(years, model["q05"], model["q95"], color="0.8", label="model 90 %")
        ax.plot(years, model["median"], color="0.3", lw=1.2, label="model median")
        for p in mine:
            x = decimal_year(p.step, start_year)
            error = [[p.value * tolerance], [p.value * tolerance]] if p.kind == "approximate" else None
            ax.errorbar([x], [p.value], yerr=error, marker=MARKERS[p.kind], color=ROLE_COLOURS[role], ls="none",
                        ms=7, capsize=3)
        ax.set_title(f"{name} ({'fitted' if role == 'fit' else 'held out'})\nvs {mine[0].metric}", fontsize=9)
        year_axis(ax)
    for ax in axes.ravel()[len(series):]:
        ax.axis("off")
    handles = [plt.Line2D([], [], marker=m, ls="none", color="k", label=k.replace("_", " "))
               for k, m in MARKERS.items()]
    handles += [plt.Line2D([], [], marker="s", ls="none", color=c, label="fitted" if r == "fit" else "held out")
                for r, c in ROLE_COLOURS.items()]
    handles += [plt.Rectangle((0, 0), 1, 1, color="0.8", label="model 90 %"),
                plt.Line2D([], [], color="0.3", label="model median")]
    fig.legend(handles=handles, loc="lower center", ncol=len(handles), fontsize=8, frameon=False)
    fig.suptitle(title)
    fig.tight_layout(rect=(0, 0.06, 1, 0.95))
    return save(fig, Path(path))


def plot_marginals(posterior: pd.DataFrame, summary: pd.DataFrame, priors: dict, path: Path, title: str) -> Path:
    """Weighted histogram of each parameter over its prior's range, with the median and 90 % interval."""
    keys = list(priors)
    fig, axes = plt.subplots(1, len(keys), figsize=(4.2 * len(keys), 3.4), squeeze=False)
    for ax, key in zip(axes.ravel(), keys):
        prior = priors[key]
        low, high = ((prior.low, prior.high) if prior.low is not None
                     else (prior.mean - 3 * prior.sd, prior.mean + 3 * prior.sd))
        edges = (np.geomspace(low, high, 21) if prior.distribution == "log_uniform" else np.linspace(low, high, 21))
        ax.hist(posterior[key], bins=edges, weights=posterior["weight"], color="tab:blue", alpha=0.7)
        row = summary.set_index("parameter").loc[key]
        for value, style in ((row["median"], "-"), (row["q05"], "--"), (row["q95"], "--")):
            ax.axvline(value, color="k", ls=style, lw=1)
        if prior.distribution == "log_uniform":
            ax.set_xscale("log")
        ax.set_xlim(low, high)
        ax.set_title(f"{key}\nmedian {row['median']:.3g} [{row['q05']:.3g}, {row['q95']:.3g}]", fontsize=9)
        ax.set_ylabel("posterior weight")
    fig.suptitle(title)
    fig.tight_layout()
    return save(fig, Path(path))


def plot_pairs(posterior: pd.DataFrame, priors: dict, path: Path, title: str) -> Path:
    """Every pair of parameters: the final generation's particles, sized by weight."""
    keys = list(priors)
    n = len(keys)
    fig, axes = plt.subplots(n, n, figsize=(2.8 * n + 1, 2.8 * n + 1), squeeze=False)
    sizes = 6 + 300 * posterior["weight"] / posterior["weight"].max()
    for i, row_key in enumerate(keys):
        for j, column_key in enumerate(keys):
            ax = axes[i, j]
            if i == j:
                ax.hist(posterior[row_key], bins=15, weights=posterior["weight"], color="tab:blue", alpha=0.7)
            else:
                ax.scatter(posterior[column_key], posterior[row_key], s=sizes, alpha=0.4, color="tab:blue")
            if i == n - 1:
                ax.set_xlabel(column_key, fontsize=8)
            if j == 0:
                ax.set_ylabel(row_key, fontsize=8)
    fig.suptitle(title)
    fig.tight_layout()
    return save(fig, Path(path))


def plot_calibration(plan, tables: dict[str, pd.DataFrame], out_dir: Path) -> list[Path]:
    name = plan.calibration.name
    return [
        plot_marginals(tables["posterior"], tables["summary"], plan.calibration.priors, out_dir / "marginals.png",
                       f"{name}: posterior marginals"),
        plot_pairs(tables["posterior"], plan.calibration.priors, out_dir / "pairs.png", f"{name}: posterior pairs"),
        plot_predictive(bands(tables["predictive"]), plan.points, plan.start_year, out_dir / "predictive.png",
                        f"{name}: posterior predictive (final generation)", plan.calibration.approximate_tolerance),
    ]

