"""The raw tables' DDL: one table per feed, its columns as delivered plus the delivery's trail."""

from __future__ import annotations

import duckdb

from ingest.feeds import FEEDS
from ingest.ledger import ensure_audit_tables
from ingest.spec import FeedSpec


def ensure_raw_table(con: duckdb.DuckDBPyConnection, spec: FeedSpec) -> None:
    """``raw.<source>__<entity>``: the feed's columns (text unless typed), the delivered file's
    checksum and period, the line, and whether a later delivery superseded it."""
    columns = ",\n    ".join(f'"{column}" {kind}' for column, kind in spec.stored_types.items())
    con.execute(
        f"""create schema if not exists raw;
create table if not exists raw.{spec.table} (
    {columns},
    _sha256 varchar not null,
    _file_period varchar,
    _line_number bigint not null,
    _is_superseded boolean not null default false
)"""
    )


def ensure_all_raw_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Create the audit tables and every feed's raw table, empty, where missing: the dbt
    sources exist even for a feed that has delivered nothing yet."""
    ensure_audit_tables(con)
    for spec in FEEDS.values():
        ensure_raw_table(con, spec)
