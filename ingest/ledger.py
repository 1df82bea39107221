"""The audit trail of deliveries: the audit tables' DDL and the ledger one feed's load keeps."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import duckdb
import polars as pl

from ingest.names import FileName

AUDIT_DDL = """
create schema if not exists audit;
create table if not exists audit.file_deliveries (
    path varchar not null,          -- relative to the landing zone
    sha256 varchar not null,        -- UNREAD for an entry never read (a link, a hidden file)
    feed varchar not null,
    period varchar,
    report_type varchar,
    status varchar not null,        -- loaded | rejected | duplicate | superseded
    rows_loaded bigint not null default 0,
    rows_quarantined bigint not null default 0,
    reason varchar,
    encoding varchar,
    superseded_by varchar,
    archived_as varchar,
    received_at timestamp not null
);
create table if not exists audit.quarantined_rows (
    feed varchar not null,
    file varchar not null,
    sha256 varchar not null,
    line_number bigint not null,
    "column" varchar not null,
    rule varchar not null,
    raw_row json not null
);
"""

# The checksum recorded for a landing entry that is never read (a symbolic link, a hidden
# file, a FIFO): it has no bytes of ours, and this is no hexadecimal digest, so it never makes
# a delivered file a duplicate.
UNREAD = "(not read)"


def ensure_audit_tables(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(AUDIT_DDL)


@dataclass
class FileOutcome:
    path: str
    sha256: str
    status: str
    rows_loaded: int = 0
    rows_quarantined: int = 0
    reason: str | None = None


@dataclass
class DeliveryLedger:
    """The audit trail of deliveries as one load sees it. Read once: the checksums seen (of any
    feed: the same bytes delivered again are a duplicate), the (period, report type) of this
    feed with a loaded delivery, which a new delivery supersedes, and the unread entries of
    this feed already recorded (a hidden file is recorded once, not at every run). Written in
    batches: the records of this run's files, in the transaction of their rows."""

    feed: str
    known: frozenset[str]
    loaded: set[tuple[str | None, str | None]]
    unread: set[str] = field(default_factory=set)  # paths of unread entries recorded
    recorded: set[str] = field(default_factory=set)  # checksums recorded in this run
    pending: list[dict[str, object]] = field(default_factory=list)

    def deliveries_of(self, con: duckdb.DuckDBPyConnection, sha256: str) -> list[tuple]:
        """The recorded deliveries (path, status) of these bytes, the first first."""
        if sha256 not in self.known and sha256 not in self.recorded:
            return []
        self.write(con)
        return con.execute(
            "select path, status from audit.file_deliveries where sha256 = ? order by received_at",
            [sha256],
        ).fetchall()

    @classmethod
    def of_feed(cls, con: duckdb.DuckDBPyConnection, feed: str) -> DeliveryLedger:
        checksums = con.execute(
            "select distinct sha256 from audit.file_deliveries where sha256 <> ?", [UNREAD]
        ).fetchall()
        known = frozenset(sha256 for (sha256,) in checksums)
        loaded = set(
            con.execute(
                "select distinct period, report_type from audit.file_deliveries "
                "where feed = ? and status = 'loaded'",
                [feed],
            ).fetchall()
        )
        unread = {
            path
            for (path,) in con.execute(
                "select distinct path from audit.file_deliveries where feed = ? and sha256 = ?",
                [feed, UNREAD],
            ).fetchall()
        }
        return cls(feed, known, loaded, unread)

    def record(
        self,
        outcome: FileOutcome,
        name: FileName | None,
        encoding: str | None,
        received_at: datetime,
        archived_as: str | None = None,
    ) -> None:
        if outcome.sha256 == UNREAD:
            self.unread.add(outcome.path)
        else:
            self.recorded.add(outcome.sha256)
        self.pending.append(
            {
                "path": outcome.path,
                "sha256": outcome.sha256,
                "feed": self.feed,
                "period": name.period if name else None,
                "report_type": name.report_type if name else None,
                "status": outcome.status,
                "rows_loaded": outcome.rows_loaded,
                "rows_quarantined": outcome.rows_quarantined,
                "reason": outcome.reason,
                "encoding": encoding,
                "archived_as": archived_as,
                "received_at": received_at,
            }
        )

    def write(self, con: duckdb.DuckDBPyConnection) -> None:
        """Insert the records kept so far (before anything reads audit.file_deliveries)."""
        if not self.pending:
            return
        records = pl.DataFrame(self.pending, schema=DELIVERY_RECORD, orient="row")
        self.pending = []
        con.register("incoming_deliveries", records)
        con.execute("insert into audit.file_deliveries by name select * from incoming_deliveries")
        con.unregister("incoming_deliveries")


DELIVERY_RECORD = {
    "path": pl.String,
    "sha256": pl.String,
    "feed": pl.String,
    "period": pl.String,
    "report_type": pl.String,
    "status": pl.String,
    "rows_loaded": pl.Int64,
    "rows_quarantined": pl.Int64,
    "reason": pl.String,
    "encoding": pl.String,
    "archived_as": pl.String,
    "received_at": pl.Datetime("us"),
}
