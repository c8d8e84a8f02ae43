"""Typed loading of plain data (model.validation) and rule registries (model.rules.registry).

The dataclasses here are defined inside the tests, so that ``bounds`` and
``Registry`` run at test time (mutation testing cannot reach code that runs
only when a module is imported).
"""

from dataclasses import dataclass, field
from typing import Any, Literal, Optional

import pytest

from model.rules.registry import Registry
from model.validation import SchemaError, bounds, load


def schema():
    @dataclass(frozen=True)
    class Inner:
        a: int = 0
        b: str = ""

    @dataclass(frozen=True)
    class Outer:
        count: int = field(default=1, metadata=bounds(0, 10))
        share: float = field(default=0.5, metadata=bounds(0))
        low: float = field(default=0.0, metadata=bounds(None, 1))
        flag: bool = False
        label: str = field(default="x", metadata={"choices": ("x", "y")})
        kind: Literal["a", "b"] = "a"
        maybe: Optional[int] = field(default=None, metadata=bounds(1))
        either: int | str = 0
        items: list[int] = field(default_factory=list)
        pair: tuple[float, ...] = ()
        weights: dict[str, float] = field(default_factory=dict, metadata=bounds(0, 1))
        inner: Inner = field(default_factory=Inner)
        anything: Any = None

    return Outer, Inner


def refused(data, cls=None):
    """(field, value, allowed) of the SchemaError that loading ``data`` raises."""
    with pytest.raises(SchemaError) as err:
        load(cls or schema()[0], data, "f.yaml", "top")
    e = err.value
    assert str(e) == e.one_line() and e.where == "f.yaml"
    return e.field, e.value, e.allowed


def test_bounds_is_the_metadata_of_a_closed_interval():
    assert bounds(0, 1) == {"bounds": (0, 1)}
    assert bounds() == {"bounds": (None, None)}


def test_values_that_fit_are_converted():
    Outer, Inner = schema()
    got = load(Outer, {"count": 10, "share": 2, "low": -5, "flag": True, "label": "y", "kind": "b", "maybe": 3,
                       "either": "s", "items": [1, 2], "pair": [1, 2.5], "weights": {"w": 1},
                       "inner": {"a": 4}, "anything": {"x": [1]}}, "f.yaml")
    assert got == Outer(10, 2.0, -5.0, True, "y", "b", 3, "s", [1, 2], (1.0, 2.5), {"w": 1.0}, Inner(4, ""),
                        {"x": [1]})
    assert type(got.share) is float and type(got.pair) is tuple and type(got.weights["w"]) is float
    assert load(Outer, None, "f.yaml") == Outer()
    assert load(Outer, {"maybe": None}, "f.yaml").maybe is None


@pytest.mark.parametrize("data,expected", [
    ({"count": 11}, ("top.count", 11, "a number in [0, 10]")),
    ({"count": -1}, ("top.count", -1, "a number in [0, 10]")),
    ({"count": 1.5}, ("top.count", 1.5, "an integer in [0, 10]")),
    ({"count": True}, ("top.count", True, "an integer in [0, 10]")),
    ({"share": -0.1}, ("top.share", -0.1, "a number in [0, inf]")),
    ({"low": 1.5}, ("top.low", 1.5, "a number in [-inf, 1]")),
    ({"share": "1"}, ("top.share", "1", "a finite number in [0, inf]")),
    ({"share": float("nan")}, ("top.share", pytest.approx(float("nan"), nan_ok=True),
                               "a finite number in [0, inf]")),
    ({"share": False}, ("top.share", False, "a finite number in [0, inf]")),
    ({"flag": 1}, ("top.flag", 1, "true or false")),
    ({"label": "z"}, ("top.label", "z", "one of x, y")),
    ({"label": 3}, ("top.label", 3, "a string")),
    ({"kind": "c"}, ("top.kind", "c", "one of 'a', 'b'")),
    ({"maybe": 0}, ("top.maybe", 0, "a number in [1, inf] or null")),
    ({"maybe": "x"}, ("top.maybe", "x", "an integer in [1, inf] or null")),
    ({"either": 1.5}, ("top.either", 1.5, "an integer or a string")),
    ({"items": 3}, ("top.items", 3, "a list of an integer")),
    ({"items": [1, "x"]}, ("top.items[1]", "x", "an integer")),
    ({"weights": [1]}, ("top.weights", [1], "a mapping of a number")),
    ({"weights": {"w": 2}}, ("top.weights.w", 2, "a number in [0, 1]")),
    ({"weights": {3: 0.5}}, ("top.weights.3", 3, "a string")),
    ({"inner": 5}, ("top.inner", 5, "a mapping with fields a, b")),
    ({"inner": {"a": "1"}}, ("top.inner.a", "1", "an integer")),
    ({"colour": 1}, ("top.colour", 1, "known fields are count, share, low, flag, label, kind, maybe, either, "
                                      "items, pair, weights, inner, anything")),
    ({1: 2}, ("top.1", 2, "known fields are count, share, low, flag, label, kind, maybe, either, "
                          "items, pair, weights, inner, anything")),
    ([1], ("top", [1], "a mapping with fields count, share, low, flag, label, kind, maybe, either, "
                       "items, pair, weights, inner, anything")),
])
def test_each_misfit_names_its_field_value_and_what_is_allowed(data, expected):
    assert refused(data) == expected


def test_type_names_of_null_unions_and_plain_classes():
    class Thing:
        pass

    @dataclass
    class Odd:
        x: None | Literal[1, 2] = None
        y: list[Thing] = field(default_factory=list)
        z: bool | int | None = None

    assert refused({"x": 3}, Odd) == ("top.x", 3, "one of 1, 2 or null")
    assert refused({"z": "yes"}, Odd) == ("top.z", "yes", "true or false or an integer or null")
    assert refused({"y": 3}, Odd) == ("top.y", 3, "a list of Thing")


def test_a_required_field_and_the_top_level_are_named():
    @dataclass
    class Needs:
        name: str
        size: int = 0

    assert refused({}, Needs) == ("top.name", None, "a required field (a string)")
    with pytest.raises(SchemaError) as err:
        load(Needs, {"size": 1}, "f.yaml")
    assert err.value.field == "name"
    assert SchemaError("w", "", 1, "x").one_line() == "w: field '(top level)': bad value 1: allowed: x"


def test_a_long_value_is_cut_in_the_one_line_message():
    message = SchemaError("w", "f", "v" * 200, "a string").one_line()
    assert message == f"w: field 'f': bad value '{'v' * 76}...: allowed: a string"
    assert len(repr("v" * 78)) == 80 and "..." not in SchemaError("w", "f", "v" * 78, "s").one_line()


def test_an_unsupported_annotation_is_a_programming_error():
    @dataclass
    class Bad:
        x: set = field(default_factory=set)

    with pytest.raises(TypeError, match="unsupported schema type"):
        load(Bad, {"x": [1]}, "f.yaml")


# ------------------------------------------------------------------ registries


def test_a_registry_names_and_creates_its_rules():
    registry = Registry("colour")

    @registry.register("red")
    @dataclass(frozen=True)
    class Red:
        shade: float = field(default=0.5, metadata=bounds(0, 1))

    @registry.register("blue")
    @dataclass(frozen=True)
    class Blue:
        pass

    assert registry.group == "colour" and Red.name == "red" and Blue.name == "blue"
    assert registry.classes == {"red": Red, "blue": Blue} and registry.names() == ["blue", "red"]
    assert registry.create("red", {"shade": 0.2}, "cli") == Red(0.2)
    assert registry.create("blue", None, "cli") == Blue()
    with pytest.raises(SchemaError) as err:
        registry.create("green", {}, "cli")
    assert (err.value.where, err.value.field, err.value.value, err.value.allowed) == (
        "cli", "rules.colour.name", "green", "one of blue, red")
    with pytest.raises(SchemaError) as err:
        registry.create("red", {"shade": 2}, "cli")
    assert (err.value.field, err.value.allowed) == ("rules.colour.shade", "a number in [0, 1]")
