"""The published tables, declared once in their marts' YAML and read here from the dbt manifest.

A mart is published when its YAML carries ``config.meta.publish``::

    models:
      - name: out_emissions__by_city
        config:
          meta:
            publish:
              table: emissions_by_city           # the published name
              description_zh: 各市分年度二氧化碳排放
              description_en: CO2 emissions by city and year
              # disclosure: {...}                # published from disclosure.<table> instead
              # daily: {date_column: date, runs_at: "06:00", due: "07:00", timezone: Asia/Shanghai}
              #                                  # a day's rows by that time the next morning
              # alerts: {level_column: level, levels: [红, 橙], key: [division_code, ...],
              #          order: [year, month]}   # a row newly at one of `levels` in the
              #                                  # latest period of its key: a warning check
        columns:
          - name: year
            config:
              meta:
                publish: {zh: 年份, en: Year, unit: ""}

Its published columns are those with ``config.meta.publish``, in the YAML's order; their zh, en
and unit are the table's data dictionary. dbt copies the declarations into
``dbt_project/target/manifest.json`` (the code location prepares it with ``dbt parse``), and the
publish step, the data dictionary, the quality gates' binding, the Dagster assets and the
readers' catalog all read them from there.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import dagster as dg

MANIFEST_PATH = Path(__file__).resolve().parents[1] / "dbt_project" / "target" / "manifest.json"
DISCLOSURE_SCHEMA = "disclosure"
TABLE_KEYS = {"table", "description_zh", "description_en", "disclosure", "daily", "alerts"}
DAILY_KEYS = {"date_column", "runs_at", "due", "timezone"}
ALERT_KEYS = {"level_column", "levels", "key", "order", "reason_column"}
DUE_TIME = re.compile(r"^([01][0-9]|2[0-3]):([0-5][0-9])$")
COLUMN_KEYS = {"zh", "en", "unit"}
TABLE_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
PARTITION_COLUMN = "year"  # every release is partitioned by year (data contract)
RESERVED_NAMES = {"release_manifests", "release_gate_results"}  # tables of the readers' catalog


class DeclarationError(ValueError):
    """A ``meta.publish`` declaration is malformed; the message names the YAML file and key."""


@dataclass(frozen=True)
class ColumnDoc:
    """One published column: its name and its data dictionary entry."""

    name: str
    zh: str
    en: str
    unit: str


@dataclass(frozen=True)
class Daily:
    """A table published every day: its day's run starts at ``runs_at`` (HH:MM, the morning
    schedule of the daily nowcast) and yesterday's rows (``date_column``) are due by ``due``
    (HH:MM) in ``timezone`` (the freshness policy and the check of its asset)."""

    date_column: str
    due: str
    timezone: str
    runs_at: str = "06:00"

    @property
    def deadline_cron(self) -> str:
        hour, minute = self.due.split(":")
        return f"{int(minute)} {int(hour)} * * *"


@dataclass(frozen=True)
class Alerts:
    """Rows a reader must not miss (a red or orange warning): a row whose ``level_column`` is one
    of ``levels`` in the latest period of its ``key`` (periods ordered by ``order``, nulls
    last), where the period before it was not, is new; the asset's warning check lists them."""

    level_column: str
    levels: tuple[str, ...]
    key: tuple[str, ...]
    order: tuple[str, ...]
    reason_column: str


@dataclass(frozen=True)
class PublishedTable:
    """A published table as its mart's YAML declares it (``config.meta.publish``)."""

    name: str  # the published name: published/<name>/, the suite quality/suites/<name>.yml
    model: str  # the dbt model, e.g. out_emissions__by_city
    relation: str  # schema.table of the mart in the warehouse, e.g. marts.out_emissions__by_city
    description_zh: str
    description_en: str
    columns: tuple[ColumnDoc, ...]
    disclosure: Mapping[str, Any] | None = field(default=None, hash=False)
    declared_in: str = ""  # the YAML file of the declaration, for messages
    daily: Daily | None = None
    alerts: Alerts | None = None

    @property
    def source_relation(self) -> str:
        """The relation that is gated and published: the mart, or ``disclosure.<name>`` (the
        disclosure asset's table, exactly the published columns) when disclosure is declared."""
        return f"{DISCLOSURE_SCHEMA}.{self.name}" if self.disclosure is not None else self.relation

    @property
    def gated_asset_key(self) -> dg.AssetKey:
        """The asset whose blocking quality gate lets this table be published."""
        import dagster as dg  # imported here: publishing itself needs no orchestrator

        if self.disclosure is not None:
            return dg.AssetKey(f"disclosure_{self.name}")
        return dg.AssetKey(self.model)

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.columns)


def published_tables(manifest_path: Path | None = None) -> dict[str, PublishedTable]:
    """Every published table of the dbt manifest, by published name (sorted)."""
    path = Path(manifest_path) if manifest_path is not None else MANIFEST_PATH
    if not path.is_file():
        raise FileNotFoundError(
            f"dbt manifest {path} not found: the code location writes it when it loads "
            "(orchestration.dbt.ensure_manifest); by hand: cd dbt_project && "
            "dbt parse --profiles-dir ."
        )
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise DeclarationError(f"dbt manifest {path}: {error}") from None
    return tables_of_manifest(manifest)


def tables_of_manifest(manifest: Mapping[str, Any]) -> dict[str, PublishedTable]:
    """The published tables declared in a parsed dbt manifest (see the module docstring)."""
    tables: dict[str, PublishedTable] = {}
    problems: list[str] = []
    for node in (manifest.get("nodes") or {}).values():
        if node.get("resource_type") != "model":
            continue
        declaration = _meta(node).get("publish")
        if declaration is None:
            continue
        try:
            table = _table(node, declaration)
        except DeclarationError as error:
            problems.append(str(error))
            continue
        if table.name in tables:
            problems.append(
                f"published table {table.name} is declared twice: on {tables[table.name].model} "
                f"({tables[table.name].declared_in}) and on {table.model} ({table.declared_in})"
            )
            continue
        tables[table.name] = table
    if problems:
        raise DeclarationError("\n".join(problems))
    return dict(sorted(tables.items()))


def _meta(entry: Mapping[str, Any]) -> Mapping[str, Any]:
    """``config.meta`` of a node or column (dbt also copies it to ``meta``)."""
    config_meta = (entry.get("config") or {}).get("meta")
    return config_meta if config_meta else (entry.get("meta") or {})


def _yaml_file(node: Mapping[str, Any]) -> str:
    """The YAML file of a model's properties, as the repository names it."""
    patch = node.get("patch_path") or ""
    relative = patch.split("://", 1)[-1] if patch else node.get("original_file_path", "")
    return f"{MANIFEST_PATH.parents[1].name}/{relative}"


def _text(where: str, key: str, value: Any, *, empty_ok: bool = False) -> str:
    if not isinstance(value, str) or (not value.strip() and not empty_ok):
        raise DeclarationError(f"{where}: {key} must be a non-empty text, got {value!r}")
    return value


def _with_flag(columns: list[ColumnDoc], flag: Any, where: str) -> list[ColumnDoc]:
    """The published columns with the suppression flag, which the disclosure asset adds to what
    the mart has (``suppressed_flag: {name, zh, en, unit[, after: column]}``)."""
    keys = COLUMN_KEYS | {"name"}
    if not isinstance(flag, Mapping) or not keys <= set(flag) or set(flag) - keys - {"after"}:
        raise DeclarationError(
            f"{where}.suppressed_flag needs name, zh, en and unit (and optionally after): {flag!r}"
        )
    column = ColumnDoc(
        name=_text(where, "suppressed_flag.name", flag["name"]),
        zh=_text(where, "suppressed_flag.zh", flag["zh"]),
        en=_text(where, "suppressed_flag.en", flag["en"]),
        unit=_text(where, "suppressed_flag.unit", flag["unit"], empty_ok=True),
    )
    names = [c.name for c in columns]
    after = flag.get("after")
    if after is not None and after not in names:
        raise DeclarationError(f"{where}.suppressed_flag: after {after!r} is no published column")
    position = names.index(after) + 1 if after is not None else len(columns)
    return [*columns[:position], column, *columns[position:]]


def _table(node: Mapping[str, Any], declaration: Any) -> PublishedTable:
    model = node["name"]
    yaml_file = _yaml_file(node)
    where = f"{yaml_file}: model {model}: config.meta.publish"
    if not isinstance(declaration, Mapping):
        raise DeclarationError(f"{where} must be a mapping, got {declaration!r}")
    unknown = set(declaration) - TABLE_KEYS
    if unknown:
        raise DeclarationError(
            f"{where}: unknown key(s) {', '.join(sorted(unknown))} "
            f"(allowed: {', '.join(sorted(TABLE_KEYS))})"
        )
    name = _text(where, "table", declaration.get("table"))
    if not TABLE_NAME.match(name) or name in RESERVED_NAMES:
        raise DeclarationError(
            f"{where}: table {name!r} must be lower_snake_case and not one of "
            f"{', '.join(sorted(RESERVED_NAMES))}"
        )
    disclosure = declaration.get("disclosure")
    if disclosure is not None and not isinstance(disclosure, Mapping):
        raise DeclarationError(f"{where}: disclosure must be a mapping, got {disclosure!r}")
    columns = []
    for column_name, column in (node.get("columns") or {}).items():
        documented = _meta(column).get("publish")
        if documented is None:
            continue
        column_where = f"{yaml_file}: model {model}: column {column_name}: config.meta.publish"
        if not isinstance(documented, Mapping) or set(documented) != COLUMN_KEYS:
            raise DeclarationError(
                f"{column_where} must have exactly zh, en and unit, got {documented!r}"
            )
        columns.append(
            ColumnDoc(
                name=column_name,
                zh=_text(column_where, "zh", documented["zh"]),
                en=_text(column_where, "en", documented["en"]),
                unit=_text(column_where, "unit", documented["unit"], empty_ok=True),
            )
        )
    if disclosure is not None and disclosure.get("suppressed_flag") is not None:
        columns = _with_flag(columns, disclosure["suppressed_flag"], f"{where}.disclosure")
    daily = _daily(declaration.get("daily"), columns, where)
    alerts = _alerts(declaration.get("alerts"), columns, where)
    if PARTITION_COLUMN not in {column.name for column in columns}:
        raise DeclarationError(
            f"{where}: the published columns must include {PARTITION_COLUMN} (every release is "
            f"partitioned by it); found {', '.join(c.name for c in columns) or 'none'}"
        )
    return PublishedTable(
        name=name,
        model=model,
        relation=f"{node['schema']}.{node.get('alias') or model}",
        description_zh=_text(where, "description_zh", declaration.get("description_zh")),
        description_en=_text(where, "description_en", declaration.get("description_en")),
        columns=tuple(columns),
        disclosure=dict(disclosure) if disclosure is not None else None,
        declared_in=yaml_file,
        daily=daily,
        alerts=alerts,
    )


def _alerts(declaration: Any, columns: list[ColumnDoc], where: str) -> Alerts | None:
    if declaration is None:
        return None
    if not isinstance(declaration, Mapping) or set(declaration) != ALERT_KEYS:
        raise DeclarationError(
            f"{where}.alerts needs exactly {', '.join(sorted(ALERT_KEYS))}: {declaration!r}"
        )
    names = {column.name for column in columns}
    single = [declaration["level_column"], declaration["reason_column"]]
    listed = [*declaration["key"], *declaration["order"]]
    unknown = [name for name in [*single, *listed] if name not in names]
    if unknown or not declaration["levels"] or not declaration["key"]:
        raise DeclarationError(
            f"{where}.alerts: {', '.join(map(str, unknown)) or 'levels and key'} "
            "must be published columns (levels and key not empty)"
        )
    return Alerts(
        level_column=str(declaration["level_column"]),
        levels=tuple(str(level) for level in declaration["levels"]),
        key=tuple(declaration["key"]),
        order=tuple(declaration["order"]),
        reason_column=str(declaration["reason_column"]),
    )


def _daily(declaration: Any, columns: list[ColumnDoc], where: str) -> Daily | None:
    if declaration is None:
        return None
    if not isinstance(declaration, Mapping) or set(declaration) != DAILY_KEYS:
        raise DeclarationError(
            f"{where}.daily needs exactly {', '.join(sorted(DAILY_KEYS))}: {declaration!r}"
        )
    date_column = _text(f"{where}.daily", "date_column", declaration["date_column"])
    if date_column not in {column.name for column in columns}:
        raise DeclarationError(f"{where}.daily: date_column {date_column!r} is no published column")
    due = _text(f"{where}.daily", "due", declaration["due"])
    if not DUE_TIME.match(due):
        raise DeclarationError(f"{where}.daily: due must be HH:MM, got {due!r}")
    runs_at = _text(f"{where}.daily", "runs_at", declaration["runs_at"])
    if not DUE_TIME.match(runs_at) or runs_at >= due:
        raise DeclarationError(
            f"{where}.daily: runs_at must be HH:MM before due ({due}), got {runs_at!r}"
        )
    timezone = _text(f"{where}.daily", "timezone", declaration["timezone"])
    try:
        from zoneinfo import ZoneInfo

        ZoneInfo(timezone)
    except Exception as error:  # an unknown zone: say which
        raise DeclarationError(f"{where}.daily: unknown timezone {timezone!r}") from error
    return Daily(date_column, due, timezone, runs_at)
