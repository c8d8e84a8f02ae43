"""Observed data: figures reported by public sources, with their date, kind and source.

An observed file (``scenarios/observed/*.csv``) has one row per figure::

    series,date,value,kind,source,note
    iclei_members,2015,1200,more_than,"Saavedra (2015), the article",more than 1200 cities in 84 countries

``date`` is ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``; ``kind`` is ``exact``,
``more_than`` (the source says "more than", "N+") or ``approximate`` ("about",
"c."); ``source`` is required, ``note`` keeps the source's qualifiers.  Files
are validated like scenarios: any bad row is a one-line ``SchemaError`` naming
the file, the row (its line number), the field, the value and what is allowed.

Calendar dates and model steps: a run's step 0 is its initial state (the
start of January of the scenario's ``start_year``) and the metrics at step s
are the state at the end of month s (step 1 = January of ``start_year``).  A
figure dated by month (or day) is compared with the end of that month; a
figure dated by a year alone with the middle of that year (the end of June).
"""

from __future__ import annotations

import csv
import math
import re
from dataclasses import dataclass
from pathlib import Path

from model.validation import SchemaError

KINDS = ("exact", "more_than", "approximate")
COLUMNS = ("series", "date", "value", "kind", "source", "note")
REQUIRED = ("series", "date", "value", "kind", "source")
YEAR_ALONE_MONTH = 6
"""A figure dated by a year alone is compared with the end of June of that year."""
_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")
_SERIES = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class Observation:
    """One reported figure."""

    series: str
    date: str
    value: float
    kind: str
    source: str
    note: str
    file: str
    row: int
    """Line number in the file (the header is line 1)."""

    @property
    def where(self) -> str:
        return f"{self.file}, row {self.row}"

    @property
    def year_month(self) -> tuple[int, int]:
        return year_month(self.date)


def parse_date(text: str) -> tuple[int, int | None, int | None]:
    """(year, month or None, day or None) of ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``; ValueError otherwise."""
    match = _DATE.match(text.strip())
    if not match:
        raise ValueError(text)
    year, month, day = (int(g) if g else None for g in match.groups())
    if month is not None and not 1 <= month <= 12:
        raise ValueError(text)
    if day is not None:
        import datetime

        datetime.date(year, month, day)  # ValueError for 2009-02-30
    return year, month, day


def year_month(date: str) -> tuple[int, int]:
    """(year, month) a date is compared at: its month, or June for a year alone."""
    year, month, _ = parse_date(date)
    return year, month or YEAR_ALONE_MONTH


def step_of(year: int, month: int, start_year: int) -> int:
    """The step whose metrics are the state at the end of ``month`` of ``year`` (step 1 = January of start_year)."""
    return (year - start_year) * 12 + month


def step_date(step: int, start_year: int) -> str:
    """``YYYY-MM`` of the month that step ``step`` ends (step 0: December before start_year)."""
    months = start_year * 12 + step - 1
    return f"{months // 12}-{months % 12 + 1:02d}"


def decimal_year(step: float, start_year: int) -> float:
    """The calendar time at the end of step ``step``, as a decimal year (for plots)."""
    return start_year + step / 12.0


def read_observed(path: str | Path) -> list[Observation]:
    """Read and validate an observed CSV file; SchemaError (one line) on anything wrong."""
    path = Path(path)
    shown = str(path)
    allowed_file = "a readable UTF-8 CSV file with columns " + ", ".join(COLUMNS)
    if not path.is_file():
        raise SchemaError(shown, "file", shown, allowed_file)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        raise SchemaError(shown, "(encoding)", err.reason, "UTF-8 text") from None
    except OSError as err:
        raise SchemaError(shown, "file", shown, f"{allowed_file} ({err.strerror})") from None
    try:
        reader = csv.DictReader(text.splitlines())
        header = reader.fieldnames or []
        rows = list(reader)
    except csv.Error as err:
        raise SchemaError(shown, "(csv)", str(err), allowed_file) from None
    missing = [c for c in REQUIRED if c not in header]
    unknown = [c for c in header if c not in COLUMNS]
    if missing or unknown:
        raise SchemaError(f"{shown}, row 1", "(header)", missing[0] if missing else unknown[0],
                          "the columns " + ", ".join(COLUMNS) + " (note optional)")
    observations = []
    seen: dict[tuple[str, str], int] = {}
    for number, row in enumerate(rows, start=2):
        observation = _observation(row, shown, number)
        key = (observation.series, observation.date)
        if key in seen:
            raise SchemaError(f"{shown}, row {number}", "date", observation.date,
                              f"one figure per series and date (row {seen[key]} has {observation.series} "
                              f"at {observation.date})")
        seen[key] = number
        observations.append(observation)
    if not observations:
        raise SchemaError(shown, "(rows)", [], "at least one figure")
    return observations


def _observation(row: dict, file: str, number: int) -> Observation:
    where = f"{file}, row {number}"
    if None in row:  # more cells than columns
        raise SchemaError(where, "(row)", row[None], f"{len(COLUMNS)} cells at most: " + ", ".join(COLUMNS))
    cells = {k: (v or "").strip() for k, v in row.items()}
    if not _SERIES.match(cells["series"]):
        raise SchemaError(where, "series", cells["series"], "a name of lower-case letters, digits and _")
    try:
        parse_date(cells["date"])
    except ValueError:
        raise SchemaError(where, "date", cells["date"], "a date YYYY, YYYY-MM or YYYY-MM-DD") from None
    try:
        value = float(cells["value"])
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < 0:
        raise SchemaError(where, "value", cells["value"], "a finite number >= 0 (no thousands separator)")
    if cells["kind"] not in KINDS:
        raise SchemaError(where, "kind", cells["kind"], "one of " + ", ".join(KINDS))
    if not cells["source"]:
        raise SchemaError(where, "source", cells["source"], "the public source of the figure")
    return Observation(cells["series"], cells["date"], value, cells["kind"], cells["source"],
                       cells.get("note", ""), file, number)


def series_of(observations: list[Observation]) -> dict[str, list[Observation]]:
    """Observations by series, each in date order."""
    out: dict[str, list[Observation]] = {}
    for observation in sorted(observations, key=lambda o: (o.series, o.year_month, parse_date(o.date)[2] or 0)):
        out.setdefault(observation.series, []).append(observation)
    return out
