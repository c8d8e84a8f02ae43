"""Typed loading of plain data (dicts, lists, scalars) into frozen dataclasses.

Scenario files and rule parameters arrive as plain data (parsed YAML, Hydra
configs).  ``load(cls, data, where)`` turns such data into an instance of the
dataclass ``cls`` and refuses anything that does not fit its annotations, so a
scenario can never instantiate code and every mistake is reported with *where*
it is (file or override), *which field*, *the bad value* and *what is allowed*.

Ranges and choices are declared on the dataclass fields with
``field(metadata=bounds(lo, hi))``.
"""

from __future__ import annotations

import dataclasses
import math
import types
import typing
from typing import Any, Literal, Union


class SchemaError(ValueError):
    """A value that does not fit the schema.

    ``where`` names the source (a file path or a command-line override),
    ``field`` the dotted path inside it, ``value`` the offending value and
    ``allowed`` a short description of what would have been accepted.
    """

    def __init__(self, where: str, field: str, value: Any, allowed: str):
        self.where, self.field, self.value, self.allowed = where, field, value, allowed
        super().__init__(self.one_line())

    def one_line(self) -> str:
        shown = repr(self.value)
        if len(shown) > 80:
            shown = shown[:77] + "..."
        field = self.field or "(top level)"
        return f"{self.where}: field '{field}': bad value {shown}: allowed: {self.allowed}"


def bounds(lo: float | None = None, hi: float | None = None) -> dict[str, Any]:
    """Field metadata for a closed numeric interval [lo, hi] (either end open if None)."""
    return {"bounds": (lo, hi)}


def _type_name(tp: Any) -> str:
    origin = typing.get_origin(tp)
    if tp is type(None):
        return "null"
    if origin is Literal:
        return "one of " + ", ".join(repr(a) for a in typing.get_args(tp))
    if origin in (Union, types.UnionType):
        return " or ".join(_type_name(a) for a in typing.get_args(tp))
    if origin is list:
        return f"a list of {_type_name(typing.get_args(tp)[0])}"
    if origin is dict:
        return f"a mapping of {_type_name(typing.get_args(tp)[1])}"
    if dataclasses.is_dataclass(tp):
        return f"a mapping with fields {', '.join(f.name for f in dataclasses.fields(tp))}"
    return {int: "an integer", float: "a number", str: "a string", bool: "true or false"}.get(
        tp, getattr(tp, "__name__", str(tp))
    )


def _check_bounds(value: float, meta: dict, where: str, path: str) -> None:
    lo, hi = meta.get("bounds", (None, None))
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        lo_s = "-inf" if lo is None else f"{lo:g}"
        hi_s = "inf" if hi is None else f"{hi:g}"
        raise SchemaError(where, path, value, f"a number in [{lo_s}, {hi_s}]")


def _convert(tp: Any, value: Any, where: str, path: str, meta: dict) -> Any:
    origin = typing.get_origin(tp)
    if tp is Any:
        return value
    if origin in (Union, types.UnionType):
        args = typing.get_args(tp)
        if value is None and type(None) in args:
            return None
        concrete = [a for a in args if a is not type(None)]
        if len(concrete) == 1:  # Optional[X]: X's own message says more
            try:
                return _convert(concrete[0], value, where, path, meta)
            except SchemaError as err:
                raise SchemaError(where, path, value, err.allowed + " or null") from None
        for arg in args:
            if arg is type(None):
                continue
            try:
                return _convert(arg, value, where, path, meta)
            except SchemaError:
                continue
        raise SchemaError(where, path, value, _type_name(tp))
    if origin is Literal:
        if value not in typing.get_args(tp):
            raise SchemaError(where, path, value, _type_name(tp))
        return value
    if origin is list or origin is tuple:
        if not isinstance(value, (list, tuple)):
            raise SchemaError(where, path, value, _type_name(tp))
        item = typing.get_args(tp)[0]
        items = [_convert(item, v, where, f"{path}[{i}]", meta) for i, v in enumerate(value)]
        return tuple(items) if origin is tuple else items
    if origin is dict:
        key_tp, val_tp = typing.get_args(tp)
        if not isinstance(value, dict):
            raise SchemaError(where, path, value, _type_name(tp))
        out = {}
        for k, v in value.items():
            k = _convert(key_tp, k, where, f"{path}.{k}", {})
            out[k] = _convert(val_tp, v, where, f"{path}.{k}", meta)
        return out
    if dataclasses.is_dataclass(tp):
        return load(tp, value, where, path)
    if tp is bool:
        if not isinstance(value, bool):
            raise SchemaError(where, path, value, "true or false")
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise SchemaError(where, path, value, "an integer" + _bounds_text(meta))
        _check_bounds(value, meta, where, path)
        return value
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise SchemaError(where, path, value, "a finite number" + _bounds_text(meta))
        _check_bounds(value, meta, where, path)
        return float(value)
    if tp is str:
        if not isinstance(value, str):
            raise SchemaError(where, path, value, "a string")
        choices = meta.get("choices")
        if choices is not None and value not in choices:
            raise SchemaError(where, path, value, "one of " + ", ".join(sorted(choices)))
        return value
    raise TypeError(f"unsupported schema type {tp!r} at {path}")  # programming error


def _bounds_text(meta: dict) -> str:
    lo, hi = meta.get("bounds", (None, None))
    if lo is None and hi is None:
        return ""
    return f" in [{'-inf' if lo is None else f'{lo:g}'}, {'inf' if hi is None else f'{hi:g}'}]"


def load(cls: type, data: Any, where: str, path: str = "") -> Any:
    """Build the dataclass ``cls`` from plain ``data``; raise SchemaError on any misfit.

    Unknown fields are refused (a typo never passes silently); fields without a
    default are required.
    """
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise SchemaError(where, path, data, _type_name(cls))
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls) if f.init}
    unknown = sorted((k for k in data if not isinstance(k, str) or k not in fields), key=str)
    if unknown:  # keys may be non-strings in YAML (``1: 2``): look the value up by the key itself
        name = unknown[0]
        raise SchemaError(where, _join(path, str(name)), data[name],
                          f"known fields are {', '.join(fields)}")
    kwargs = {}
    for name, f in fields.items():
        sub = _join(path, name)
        if name in data:
            kwargs[name] = _convert(hints[name], data[name], where, sub, dict(f.metadata))
        elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            raise SchemaError(where, sub, None, f"a required field ({_type_name(hints[name])})")
    return cls(**kwargs)


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name
