"""Observed data files: the shipped figures, their validation, and calendar dates as model steps."""

from __future__ import annotations

from pathlib import Path

import pytest

from experiments.observed import KINDS, read_observed, series_of, step_date, step_of, year_month
from model import SchemaError

ROOT = Path(__file__).resolve().parents[1]
HEADER = "series,date,value,kind,source,note\n"


def test_the_shipped_figures_of_issue_11():
    series = series_of(read_observed(ROOT / "scenarios" / "observed" / "networks.csv"))
    counts = {name: len(rows) for name, rows in series.items()}
    assert counts["iclei_members"] == 7 and counts["c40_members"] == 7 and counts["covenant_signatories"] == 8
    assert counts["cor_members"] == 6 and counts["eurocities_members"] == 3 and counts["water_consensus_mayors"] == 2
    iclei = {o.date: (o.value, o.kind) for o in series["iclei_members"]}
    assert iclei["2009"] == (1227, "exact") and iclei["2015"] == (1200, "more_than")
    assert iclei["2012"] == (1012, "approximate")
    assert all(o.kind in KINDS and o.source for rows in series.values() for o in rows)
    assert [o.date for o in series["covenant_signatories"]][:2] == ["2009-10-30", "2009-12-07"]  # date order


def test_dates_as_steps():
    assert step_of(*year_month("2015-01"), 2015) == 1  # step 1 is January of start_year
    assert step_of(*year_month("2015"), 2015) == 6  # a year alone: the end of June
    assert step_of(*year_month("2009-10-30"), 2008) == 22
    assert step_of(*year_month("2014-12"), 2015) == 0
    assert step_date(0, 2015) == "2014-12" and step_date(13, 2015) == "2016-01"


@pytest.mark.parametrize("row, field, allowed", [
    ("iclei,2015-13,5,exact,src,", "date", "YYYY-MM"),
    ("iclei,2009-02-30,5,exact,src,", "date", "YYYY-MM"),
    ("iclei,2015,1 200,exact,src,", "value", "finite number"),
    ("iclei,2015,-3,exact,src,", "value", ">= 0"),
    ("iclei,2015,5,at_least,src,", "kind", "exact, more_than, approximate"),
    ("iclei,2015,5,exact,,", "source", "source"),
    ("ICLEI members,2015,5,exact,src,", "series", "lower-case"),
])
def test_a_bad_row_names_file_row_field_value(tmp_path, row, field, allowed):
    path = tmp_path / "bad.csv"
    path.write_text(HEADER + "iclei,2014,4,exact,src,\n" + row + "\n")
    with pytest.raises(SchemaError) as err:
        read_observed(path)
    assert err.value.where == f"{path}, row 3" and err.value.field == field
    assert allowed in err.value.allowed and len(err.value.one_line().splitlines()) == 1


def test_duplicates_headers_and_unreadable_files(tmp_path):
    path = tmp_path / "dup.csv"
    path.write_text(HEADER + "iclei,2014,4,exact,src,\niclei,2014,5,exact,src,\n")
    with pytest.raises(SchemaError, match="row 2 has iclei at 2014"):
        read_observed(path)
    path.write_text("series,when,value,kind,source\n")
    with pytest.raises(SchemaError, match="row 1: field '\\(header\\)'"):
        read_observed(path)
    path.write_bytes(b"series,date,value,kind,source\n\xff\xfe,2014,4,exact,src\n")
    with pytest.raises(SchemaError, match="UTF-8"):
        read_observed(path)
    with pytest.raises(SchemaError, match="readable UTF-8 CSV"):
        read_observed(tmp_path / "missing.csv")
