"""The ``disclosure:`` mapping of a published table that suppresses, parsed and checked, and the
disclosure problem (``System``) that one or more such tables form.

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
      joint: [emissions_by_county, ...]  # other tables whose rows are cells of this problem
      known:                            # cells published by tables that never suppress
        - name: …
          query: "select year, division_code, sector_code, total_tco2, … from emissions_by_sector …"
      equations:
        - name: …
          sum_over: sector_code         # cells equal in the other key columns add up to …
          margin: "select year, division_code, total_tco2 from …"
        - name: …
          sum_over: division_code       # … or the children of a code add up to the parent's cell
          parent: "select division_code, parent_code from reference.ref_divisions …"
          values: [total_tco2]          # the value columns it speaks of (default: all)
      relations:                        # identities between the value columns of every cell
        - "surplus_tco2 - shortfall_tco2 = allocated_allowances_tco2 - verified_emissions_tco2"

A table of ``joint`` declares in its own mapping how its rows are cells of this problem::

      disclosure:
        suppressed_flag: {…}
        joint_with: emissions_by_division_sector
        cell: {division_code: division_code, sector_code: "'all'"}  # SQL over its columns
        values: [total_tco2, energy_tco2, …]    # its audited values in those cells
        withheld: […]
        reporting_units: reporting_units        # optional: the rule's inputs of its rows
        largest_share: max_entity_share
        never_hidden: …
        relations: ["total_tco2 = energy_tco2 + process_tco2"]
        withheld_with:                          # columns resting on another cell as well
          - cell: {year: base_year, division_code: division_code, sector_code: "'all'"}
            columns: [base_intensity]           # null where that cell is hidden or no cell

Cells of several tables with the same key are one cell (a division's total row: its CO2 in
emissions_by_county, its energy in energy_by_division): hidden in one table, it is hidden in
all. A cell has the values of the tables that publish it; an equation or identity speaks only of
the values a cell has.

A ``margin`` query reads published tables by their published names and returns the period, the
cell columns other than ``sum_over`` and one column per value column. A ``parent`` query returns
(child code, parent code) pairs of the ``sum_over`` column. A ``known`` query returns the period,
the cell columns and some value columns of cells that are published by a table that never
suppresses (so never hidden). Every published equation an attacker can use must be declared
here: the engine protects against these and the audit checks these.
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
    values: tuple[str, ...] | None = None  # the value columns it speaks of (None: all)


@dataclass(frozen=True)
class Known:
    """Cells published by a table that never suppresses: constants to the attacker."""

    name: str
    query: str


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
    joint: tuple[str, ...] = ()
    known: tuple[Known, ...] = ()

    @property
    def key(self) -> tuple[str, ...]:
        return (self.period, *self.cell)


@dataclass(frozen=True)
class Part:
    """A published table's rows as cells of a disclosure problem: ``cell`` maps each cell
    column of the problem to an SQL expression over the table's columns."""

    table: str
    cell: tuple[tuple[str, str], ...]
    values: tuple[str, ...]
    withheld: tuple[str, ...]
    reporting_units: str | None
    largest_share: str | None
    never_hidden: str | None
    flag: str
    relations: tuple[Relation, ...] = ()
    withheld_with: tuple[Dependency, ...] = ()


@dataclass(frozen=True)
class Dependency:
    """Published columns of a part's row that rest on another cell of the problem than the
    row's own (a plan's base year, say): nulled where that cell is hidden, or is no cell of
    the problem. ``cell`` maps the period and each cell column to SQL over the row's columns."""

    cell: tuple[tuple[str, str], ...]
    columns: tuple[str, ...]


@dataclass(frozen=True)
class System:
    """One disclosure problem: the owner's declaration (period, cell columns, equations,
    known cells) and the tables whose rows are its cells, the owner first."""

    owner: Declaration
    parts: tuple[Part, ...]

    @property
    def table(self) -> str:
        return self.owner.table

    @property
    def period(self) -> str:
        return self.owner.period

    @property
    def cell(self) -> tuple[str, ...]:
        return self.owner.cell

    @property
    def key(self) -> tuple[str, ...]:
        return self.owner.key

    @property
    def values(self) -> tuple[str, ...]:
        """Every value column of the problem, the owner's first (its first drives the costs)."""
        seen: dict[str, None] = {}
        for part in self.parts:
            seen.update(dict.fromkeys(part.values))
        return tuple(seen)

    @property
    def relations(self) -> tuple[Relation, ...]:
        return tuple(relation for part in self.parts for relation in part.relations)

    @property
    def cell_parts(self) -> tuple[Part, ...]:
        """The parts that bring cells and values to the problem (not the followers)."""
        return tuple(part for part in self.parts if part.values)

    @property
    def tables(self) -> tuple[str, ...]:
        return tuple(part.table for part in self.parts)

    def part(self, table: str) -> Part:
        return next(part for part in self.parts if part.table == table)

    @classmethod
    def single(cls, declaration: Declaration) -> System:
        return cls(declaration, (owner_part(declaration),))


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
    if mapping.get("joint_with"):
        raise DeclarationError(
            f"{table}: its cells belong to {mapping['joint_with']}'s disclosure problem "
            "(parse that table's system)"
        )
    required = ("period", "cell", "values", "reporting_units", "largest_share", "equations")
    missing = [key for key in required if not mapping.get(key)]
    if missing:
        raise DeclarationError(f"{table}: disclosure lacks {', '.join(missing)}")
    optional = {
        "withheld",
        "never_hidden",
        "margins_from",
        "relations",
        "suppressed_flag",
        "joint",
        "known",
    }
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
        restricted = entry.get("values")
        if restricted is not None and (not isinstance(restricted, list) or not restricted):
            raise DeclarationError(
                f"{table}: disclosure equation {name!r}: values must list value columns"
            )
        unknown_keys = set(entry) - {"name", "sum_over", "margin", "parent", "values"}
        if unknown_keys:
            raise DeclarationError(
                f"{table}: disclosure equation {name!r} has unknown key(s) "
                f"{', '.join(sorted(unknown_keys))}"
            )
        equations.append(
            Equation(
                name,
                entry["sum_over"],
                entry.get("margin"),
                entry.get("parent"),
                tuple(restricted) if restricted is not None else None,
            )
        )
    known = []
    for index, entry in enumerate(mapping.get("known") or (), start=1):
        if not isinstance(entry, dict) or not entry.get("query"):
            raise DeclarationError(f"{table}: disclosure known {index} needs a query")
        known.append(Known(entry.get("name") or f"known {index}", entry["query"]))
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
        joint=tuple(mapping.get("joint") or ()),
        known=tuple(known),
    )


def owner_part(declaration: Declaration) -> Part:
    return Part(
        table=declaration.table,
        cell=tuple((column, column) for column in declaration.cell),
        values=declaration.values,
        withheld=declaration.withheld,
        reporting_units=declaration.reporting_units,
        largest_share=declaration.largest_share,
        never_hidden=declaration.never_hidden,
        flag=declaration.flag,
        relations=declaration.relations,
    )


MEMBER_KEYS = {
    "suppressed_flag",
    "joint_with",
    "cell",
    "values",
    "withheld",
    "reporting_units",
    "largest_share",
    "never_hidden",
    "relations",
    "withheld_with",
}


def parse_part(table: str, mapping: dict[str, Any], owner: Declaration) -> Part:
    """A ``joint_with`` table's mapping as a Part of the owner's problem."""
    unknown = set(mapping) - MEMBER_KEYS
    if unknown:
        raise DeclarationError(
            f"{table}: disclosure has unknown key(s) {', '.join(sorted(unknown))} (a table "
            f"joint with {owner.table} declares only {', '.join(sorted(MEMBER_KEYS))})"
        )
    cell = mapping.get("cell")
    if not isinstance(cell, dict) or set(cell) != set(owner.cell):
        raise DeclarationError(
            f"{table}: disclosure cell must map each cell column of {owner.table} "
            f"({', '.join(owner.cell)}) to an expression over its columns"
        )
    values = tuple(mapping.get("values") or ())
    # A table with no values of its own follows the problem: its rows are shown or withheld
    # by the decisions of their cells (and withheld_with), and add no cell or value to it.
    if not values and not (mapping.get("withheld") or mapping.get("withheld_with")):
        raise DeclarationError(f"{table}: disclosure lacks values (or withheld, to follow)")
    if not values and mapping.get("reporting_units"):
        raise DeclarationError(
            f"{table}: disclosure has reporting_units but no values for the rule to judge"
        )
    if bool(mapping.get("reporting_units")) != bool(mapping.get("largest_share")):
        raise DeclarationError(
            f"{table}: disclosure needs both reporting_units and largest_share, or neither"
        )
    dependencies = []
    for index, entry in enumerate(mapping.get("withheld_with") or (), start=1):
        keys = (owner.period, *owner.cell)
        if (
            not isinstance(entry, dict)
            or set(entry) != {"cell", "columns"}
            or not isinstance(entry["cell"], dict)
            or set(entry["cell"]) != set(keys)
            or not entry["columns"]
        ):
            raise DeclarationError(
                f"{table}: disclosure withheld_with {index} needs cell (mapping each of "
                f"{', '.join(keys)} to an expression over its columns) and columns"
            )
        dependencies.append(
            Dependency(
                tuple((column, str(entry["cell"][column])) for column in keys),
                tuple(entry["columns"]),
            )
        )
    return Part(
        withheld_with=tuple(dependencies),
        table=table,
        cell=tuple((column, str(cell[column])) for column in owner.cell),
        values=values,
        withheld=tuple(mapping.get("withheld") or ()),
        reporting_units=mapping.get("reporting_units"),
        largest_share=mapping.get("largest_share"),
        never_hidden=mapping.get("never_hidden"),
        flag=(mapping.get("suppressed_flag") or {}).get("name", "is_suppressed"),
        relations=tuple(
            parse_relation(table, text, values) for text in mapping.get("relations") or ()
        ),
    )


def systems(mappings: dict[str, dict[str, Any]]) -> dict[str, System]:
    """Every disclosure problem of the published tables' ``disclosure`` mappings, by the name of
    the table that owns it: a table without ``joint_with`` owns one, and the tables it names in
    ``joint`` (each naming it back in ``joint_with``) are its other parts."""
    owners = {name: m for name, m in mappings.items() if not m.get("joint_with")}
    members = {name: m for name, m in mappings.items() if m.get("joint_with")}
    result = {}
    for name, mapping in owners.items():
        owner = parse(name, mapping)
        parts = [owner_part(owner)]
        for member in owner.joint:
            if member not in members or members[member]["joint_with"] != name:
                raise DeclarationError(
                    f"{name}: disclosure joint names {member}, whose disclosure mapping does "
                    f"not say joint_with: {name}"
                )
            parts.append(parse_part(member, members[member], owner))
        system = System(owner, tuple(parts))
        for equation in owner.equations:
            outside = set(equation.values or ()) - set(system.values)
            if outside:
                raise DeclarationError(
                    f"{name}: disclosure equation {equation.name!r} names "
                    f"{', '.join(sorted(outside))}, not a value column of the problem"
                )
        result[name] = system
    for member, mapping in members.items():
        owner = mapping["joint_with"]
        if owner not in result or member not in result[owner].tables:
            raise DeclarationError(
                f"{member}: disclosure joint_with {owner}, which does not list it in joint"
            )
    return result
