"""docs/ODD.md is complete: the seven ODD elements, every registered rule and every rule parameter."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from model.rules import REGISTRIES

ODD = Path(__file__).resolve().parents[1] / "docs" / "ODD.md"
ELEMENTS = ("Purpose and patterns", "Entities, state variables and scales", "Process overview and scheduling",
            "Design concepts", "Initialisation", "Input data", "Submodels")
"""The seven elements of Grimm et al. (2020), in their order."""


def rule_sections(text: str) -> dict[str, str]:
    """``group/name`` → the text of its ``#### `group/name` `` section."""
    parts = re.split(r"^#### `([^`]+)`\s*$", text, flags=re.M)
    return {name: body.split("\n### ")[0].split("\n## ")[0] for name, body in zip(parts[1::2], parts[2::2])}


def parameter_rows(section: str) -> dict[str, tuple[str, str, str]]:
    """Parameter → (default, range, meaning) from the section's rows ``| `name` | default | range | meaning |``."""
    rows = {}
    for line in section.splitlines():
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", line.strip())[1:-1]]
        if len(cells) == 4 and re.fullmatch(r"`\w+`", cells[0]):
            rows[cells[0].strip("`")] = tuple(cells[1:])
    return rows


def expected_range(field: dataclasses.Field) -> str | None:
    """The range column of a field with numeric bounds, as the ODD writes it; None for other fields."""
    bounds = field.metadata.get("bounds")
    if not bounds or field.default is dataclasses.MISSING:
        return None
    low, high = bounds
    if low is not None and high is not None:
        return f"[{low:g}, {high:g}]"
    return f"≥ {low:g}" if low is not None else f"≤ {high:g}"


def missing_from_odd(text: str, registries=REGISTRIES) -> list[str]:
    """Every registered rule or parameter the ODD lacks, or whose default or range it misstates."""
    sections, problems = rule_sections(text), []
    for group, registry in registries.items():
        for name, cls in registry.classes.items():
            key = f"{group}/{name}"
            if key not in sections:
                problems.append(f"rule {key}: no #### `{key}` section")
                continue
            rows = parameter_rows(sections[key])
            fields = [f for f in dataclasses.fields(cls) if f.init]
            if not fields and "No parameters." not in sections[key]:
                problems.append(f"rule {key}: neither a parameter table nor 'No parameters.'")
            for field in fields:
                if field.name not in rows:
                    problems.append(f"parameter {key}.{field.name}: no row")
                    continue
                default, range_, meaning = rows[field.name]
                if field.default is not dataclasses.MISSING and default.strip("`") != str(field.default):
                    problems.append(f"parameter {key}.{field.name}: default {default}, the code's {field.default}")
                if expected_range(field) not in (None, range_):
                    problems.append(f"parameter {key}.{field.name}: range {range_}, "
                                    f"the code's {expected_range(field)}")
                if not meaning:
                    problems.append(f"parameter {key}.{field.name}: no meaning")
    extra = set(sections) - {f"{g}/{n}" for g, r in registries.items() for n in r.classes}
    problems += [f"rule {key}: in the ODD but not registered" for key in sorted(extra)]
    return problems


def test_odd_has_the_seven_elements_in_order():
    headings = re.findall(r"^## \d\. (.+)$", ODD.read_text(), flags=re.M)
    assert headings == list(ELEMENTS)


def test_every_registered_rule_and_parameter_is_in_the_odd():
    assert missing_from_odd(ODD.read_text()) == []


def test_every_submodel_cites_a_source():
    text = ODD.read_text()
    groups = re.split(r"^### 7\.\d+ ", text.split("## 7. Submodels")[1].split("\n## ")[0], flags=re.M)[1:]
    assert len(groups) == len(REGISTRIES)
    assert all(re.search(r"\b(1[89]\d\d|20\d\d)\b|DESIGN\.md", body) for body in groups)


@dataclasses.dataclass(frozen=True)
class _UnlistedRule:
    strength: float = dataclasses.field(default=1.0, metadata={"bounds": (0, None)})


def test_the_check_fails_for_an_unlisted_rule_or_parameter():
    """A rule registered without an ODD entry, and a parameter without a row, are both reported."""
    from model.rules.registry import Registry

    text = ODD.read_text()
    extra = Registry("partner")
    extra.classes = {**REGISTRIES["partner"].classes, "unlisted": _UnlistedRule}
    registries = {**REGISTRIES, "partner": extra}
    assert missing_from_odd(text, registries) == ["rule partner/unlisted: no #### `partner/unlisted` section"]
    with_section = text.replace("#### `partner/random`",
                                "#### `partner/unlisted`\n\nNo parameters.\n\n#### `partner/random`")
    assert missing_from_odd(with_section, registries) == ["parameter partner/unlisted.strength: no row"]
    wrong_default = text.replace("| `mean_months` | 48.0 |", "| `mean_months` | 36.0 |")
    assert missing_from_odd(wrong_default) == ["parameter expiry/geometric.mean_months: default 36.0, the code's 48.0"]


@pytest.mark.parametrize("element", ELEMENTS)
def test_each_element_has_content(element):
    body = ODD.read_text().split(f". {element}\n", 1)[1].split("\n## ", 1)[0]
    assert len(body.split()) > 30, element
