"""The figure-to-parameter table (docs/article_figures.md) holds every figure the article-world issue lists."""

from __future__ import annotations

from conftest import ROOT

TABLE = (ROOT / "docs" / "article_figures.md").read_text(encoding="utf-8")

FIGURES = [  # the article's figures as issue 10 lists them, and the rest of the article's numbers
    "1,000", "1,200", "84 countries", "355", "450 foreign delegations", "150 international cooperation programmes",
    "more than 50 consulates", "nearly €20 million", "12 million paradiplomacy", "800,000 euros",
    "700,000 jobs", "112 national associations", "30 million", "42 million", "20th largest economy",
    "50 international commitments", "nearly 15 million", "600 mayors and 250 local and regional representatives",
    "2009", "2013", "2012", "2002", "November 2014", "55%", "Rome and Vienna", "China, Eastern Europe, Morocco and Latin America",
    "Brussels, Beijing, Shanghai, New Delhi, Bombay and Caracas", ".london", "Habitat III", "Post-2015",
]


def rows() -> list[list[str]]:
    lines = [line for line in TABLE.splitlines() if line.startswith("| ") and not line.startswith("| figure")]
    return [[cell.strip() for cell in line.strip("|").split("|")] for line in lines if not set(line) <= {"|", "-", " "}]


def test_every_listed_figure_has_a_row_with_a_use_or_a_reason():
    table = rows()
    for figure in FIGURES:
        matching = [row for row in table if figure in row[0] or figure in row[1]]
        assert matching, f"{figure!r} is not in docs/article_figures.md"
        for row in matching:
            assert len(row) == 4 and row[3], f"{figure!r}: no formula or reason"
            assert row[2] != "—" or row[3].startswith("unused"), f"{figure!r}: no parameter and no reason"
