"""The ``disclosure:`` mapping of a published table that suppresses, parsed and checked.

Written in the table's declaration, the ``config.meta.publish`` of its mart's YAML::

    disclosure:
      suppressed_flag: {name: is_suppressed, after: total_tco2, zh: …, en: …, unit: ""}
                                        # the published column the disclosure asset adds
      period: year                      # the equations hold within one period: one LP per period
      cell: [division_code, sector_code]  # a cell's key within its period
      values: [total_tco2]              # published amounts: null where a cell is hidden
      withheld: []                      # other published columns nulled with them (not audited)
      reporting_units: reporting_units  # the mart's columns that feed the primary rule
      largest_share: max_entity_share
      never_hidden: "division_level = 'province'"   # cells another table publishes anyway
      margins_from: [emissions_by_county, ...]      # published tables the margins come from
      equations:
        - name: …
          sum_over: sector_code         # cells equal in the other key columns add up to …
          margin: "select year, division_code, total_tco2 from emissions_by_county …"
        - name: …
          sum_over: division_code       # … or the children of a code add up to the parent's cell
          parent: "select division_code, parent_code from reference.ref_divisions …"
      relations:                        # identities between the value columns of every cell
        - "surplus_tco2 - shortfall_tco2 = allocated_allowances_tco2 - verified_emissions_tco2"

A ``margin`` query reads published tables by their published names and returns the period, the
cell columns other than ``sum_over`` and one column per value column. A ``parent`` query returns
(child code, parent code) pairs of the ``sum_over`` column. Every published equation an attacker
can use must be declared here: the engine protects against these and the audit checks these.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

TERM = re.compile(r"\s*([+-]?)\s*([A-Za-z_][A-Za-z0-9_]*)\s*")


class DeclarationError(ValueError):
    """A ``disclosure`` mapping that cannot be used; the message names the table and the key."""


@dataclass(frozen=True)
class Equation:
    name: str
    sum_over: str
    margin: str | None = None
    parent: str | None = None


@dataclass(frozen=True)
class Relation:
    """``Σ coefficient × column (sense) 0`` for every cell, e.g. surplus − shortfall − allocated
    + verified = 0."""

    text: str
    terms: tuple[tuple[str, float], ...]
    sense: str  # "=" or ">="


@dataclass(frozen=True)
class Declaration:
    table: str
    period: str
    cell: tuple[str, ...]
    values: tuple[str, ...]
    withheld: tuple[str, ...]
    reporting_units: str
    largest_share: str
    never_hidden: str | None
    margins_from: tuple[str, ...]
    equations: tuple[Equation, ...]
    relations: tuple[Relation, ...]
    flag: str = "is_suppressed"

    @property
    def key(self) -> tuple[str, ...]:
        return (self.period, *self.cell)


def parse_relation(table: str, text: str, values: tuple[str, ...]) -> Relation:
    sense = ">=" if ">=" in text else "="
    sides = text.split(sense)
    if len(sides) != 2:
        raise DeclarationError(f"{table}: disclosure relation {text!r} needs one '=' or '>='")
    terms: dict[str, float] = {}
    for side, sign in zip(sides, (1.0, -1.0), strict=True):
        position = 0
        side = side.strip()
        while position < len(side):
            match = TERM.match(side, position)
            if not match or match.end() == position:
                raise DeclarationError(f"{table}: cannot read disclosure relation {text!r}")
            column = match.group(2)
            if column not in values:
                raise DeclarationError(
                    f"{table}: disclosure relation {text!r} names {column}, not a value column"
                )
            coefficient = -1.0 if match.group(1) == "-" else 1.0
            terms[column] = terms.get(column, 0.0) + sign * coefficient
            position = match.end()
    return Relation(text, tuple((c, k) for c, k in terms.items() if k), sense)


def parse(table: str, mapping: dict[str, Any]) -> Declaration:
    """The table's ``disclosure`` mapping as a Declaration, or a DeclarationError naming the key."""
    required = ("period", "cell", "values", "reporting_units", "largest_share", "equations")
    missing = [key for key in required if not mapping.get(key)]
    if missing:
        raise DeclarationError(f"{table}: disclosure lacks {', '.join(missing)}")
    optional = {"withheld", "never_hidden", "margins_from", "relations", "suppressed_flag"}
    unknown = set(mapping) - {*required, *optional}
    if unknown:
        raise DeclarationError(
            f"{table}: disclosure has unknown key(s) {', '.join(sorted(unknown))}"
        )
    cell = tuple(mapping["cell"])
    values = tuple(mapping["values"])
    equations = []
    for index, entry in enumerate(mapping["equations"], start=1):
        name = entry.get("name") or f"equation {index}"
        if entry.get("sum_over") not in cell:
            raise DeclarationError(
                f"{table}: disclosure equation {name!r}: sum_over must be a cell column"
            )
        if bool(entry.get("margin")) == bool(entry.get("parent")):
            raise DeclarationError(
                f"{table}: disclosure equation {name!r} needs exactly one of margin, parent"
            )
        equations.append(
            Equation(name, entry["sum_over"], entry.get("margin"), entry.get("parent"))
        )
    return Declaration(
        table=table,
        period=mapping["period"],
        cell=cell,
        values=values,
        withheld=tuple(mapping.get("withheld") or ()),
        reporting_units=mapping["reporting_units"],
        largest_share=mapping["largest_share"],
        never_hidden=mapping.get("never_hidden"),
        margins_from=tuple(mapping.get("margins_from") or ()),
        equations=tuple(equations),
        flag=(mapping.get("suppressed_flag") or {}).get("name", "is_suppressed"),
        relations=tuple(
            parse_relation(table, text, values) for text in mapping.get("relations") or ()
        ),
    )
