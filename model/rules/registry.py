"""Registries of rules by name, in the manner of the Axelrod library's strategy index.

Each rule is a small frozen dataclass whose fields are its parameters (typed,
documented, validated on creation) and whose methods do one job.  A rule is
configuration only: whatever it computes per model or per step lives on the
model (or on the process object its ``start`` returns), so one rule object
can serve any number of models.  A registry
maps the names used in configs (``rules/partner=gravity``) to those classes.
"""

from __future__ import annotations

from typing import Any, Callable, TypeVar

from model.validation import SchemaError, load

T = TypeVar("T")


class Registry:
    """Rules of one group (partner, oversight, ...), registered by name."""

    def __init__(self, group: str):
        self.group = group
        self.classes: dict[str, type] = {}

    def register(self, name: str) -> Callable[[type[T]], type[T]]:
        def add(cls: type[T]) -> type[T]:
            cls.name = name  # type: ignore[attr-defined]
            self.classes[name] = cls
            return cls
        return add

    def names(self) -> list[str]:
        return sorted(self.classes)

    def create(self, name: Any, params: dict[str, Any] | None, where: str) -> Any:
        """Instantiate rule ``name`` with ``params``; SchemaError on an unknown name or bad value."""
        if name not in self.classes:
            raise SchemaError(where, f"rules.{self.group}.name", name, "one of " + ", ".join(self.names()))
        return load(self.classes[name], params or {}, where, f"rules.{self.group}")
