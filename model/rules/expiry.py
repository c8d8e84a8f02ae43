"""Agreement expiry: how many months a newly signed agreement stays in force (its term).

At term the renewal rule decides whether it is renewed or lapses.  For an
agreement the scenario says is already in force, ``remaining`` draws the
rest of its term given that it has lasted ``age`` months so far.

Twinning and cooperation agreements between cities are mostly signed for a
fixed term and often lapse unrenewed (Zelinsky, W. (1991). The twinning of the
world: sister cities in geographic and historical perspective. Annals of the
Association of American Geographers 81(1), 1–31).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from model.rules.registry import Registry
from model.validation import bounds

if TYPE_CHECKING:
    from model.model import DiplomacyModel

EXPIRY_RULES = Registry("expiry")


@EXPIRY_RULES.register("fixed")
@dataclass(frozen=True)
class FixedTerm:
    """Every agreement lasts ``months``; one older than that has been renewed on the same terms."""

    months: int = field(default=48, metadata=bounds(1))

    def duration(self, model: DiplomacyModel) -> int:
        return self.months

    def remaining(self, model: DiplomacyModel, age: int) -> int:
        return self.months - age % self.months


@EXPIRY_RULES.register("geometric")
@dataclass(frozen=True)
class GeometricTerm:
    """Each month an agreement reaches term with probability 1/``mean_months`` (memoryless terms)."""

    mean_months: float = field(default=48.0, metadata=bounds(1))

    def duration(self, model: DiplomacyModel) -> int:
        return int(model.stream("expiry").geometric(1.0 / self.mean_months))

    def remaining(self, model: DiplomacyModel, age: int) -> int:
        """Memoryless: whatever its age, the rest of the term has the law of a new one."""
        return self.duration(model)
