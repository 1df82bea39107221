"""The thresholds of disclosure control, read from the seed ref_disclosure_rules, and the primary
rule that every suppressing table applies to its cells."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

import reference

SEED = "ref_disclosure_rules"
PRIMARY_UNITS = "primary_units"
PRIMARY_DOMINANCE = "primary_dominance"
SECONDARY = "secondary"
REASONS = (PRIMARY_UNITS, PRIMARY_DOMINANCE, SECONDARY)


@dataclass(frozen=True)
class DisclosureRules:
    """``min_reporting_units``: a cell with reporting units behind it needs at least this many;
    ``dominance_share``: no entity may have more than this share of a cell; ``protection_level``:
    the attacker's interval of a primary cell must reach value × (1 ∓ protection_level)."""

    min_reporting_units: int
    dominance_share: float
    protection_level: float

    @classmethod
    def from_frame(cls, frame: pl.DataFrame) -> DisclosureRules:
        """From rows (rule_code, value): the seed as delivered or as loaded in the warehouse."""
        values = {str(code): value for code, value in frame.select("rule_code", "value").rows()}
        missing = {"min_reporting_units", "dominance_share", "protection_level"} - set(values)
        if missing:
            raise ValueError(f"{SEED} lacks the rule(s) {', '.join(sorted(missing))}")
        units = float(values["min_reporting_units"])
        if units != int(units) or units < 1:
            raise ValueError(f"{SEED}: min_reporting_units must be a whole number >= 1")
        rules = cls(int(units), float(values["dominance_share"]), float(values["protection_level"]))
        for name in ("dominance_share", "protection_level"):
            if not 0 < getattr(rules, name) < 1:
                raise ValueError(f"{SEED}: {name} must lie between 0 and 1 (a share)")
        return rules

    @classmethod
    def from_seed(cls) -> DisclosureRules:
        return cls.from_frame(reference.read_seed(SEED))


def primary_reasons(
    values: list[float], units: list[int | None], shares: list[float | None], rules: DisclosureRules
) -> list[str | None]:
    """The primary reason of each cell, or None.

    Fewer reporting units than the minimum (a cell of households alone has none: null units, not
    hidden; an empty cell, 0 t and 0 units, reveals nothing), else one entity above the dominance
    share of the cell.
    """
    reasons: list[str | None] = []
    for value, unit_count, share in zip(values, units, shares, strict=True):
        if unit_count is not None and unit_count < rules.min_reporting_units:
            reasons.append(None if unit_count == 0 and value == 0 else PRIMARY_UNITS)
        elif share is not None and share > rules.dominance_share:
            reasons.append(PRIMARY_DOMINANCE)
        else:
            reasons.append(None)
    return reasons
