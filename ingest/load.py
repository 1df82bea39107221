"""Loading a feed: its delivered files into the raw table, in transactions, with their fates.

A file's rows, its quarantined rows and its audit record always commit together; a crash loses
only uncommitted files, which are not recorded and so load again on the next run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import numpy as np
import polars as pl

from ingest.feeds import UPSTREAM_FEEDS
from ingest.landing import Refused, in_window, move_to_rejected, scan_feed
from ingest.ledger import UNREAD, DeliveryLedger, FileOutcome, ensure_audit_tables
from ingest.names import FileName, PeriodBounds
from ingest.prepare import PreparedFile, PreparedFiles, discard_partial
from ingest.raw_tables import ensure_raw_table
from ingest.reference import ReferenceData
from ingest.spec import FeedSpec

COMMIT_ROWS = 2_000_000


@dataclass
class FeedLoadReport:
    feed: str
    outcomes: list[FileOutcome] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for outcome in self.outcomes if outcome.status == status)

    @property
    def rows_loaded(self) -> int:
        return sum(outcome.rows_loaded for outcome in self.outcomes)

    @property
    def rows_quarantined(self) -> int:
        return sum(outcome.rows_quarantined for outcome in self.outcomes)

    @property
    def all_rejected(self) -> bool:
        """Files were seen in this load, and every one was rejected."""
        return bool(self.outcomes) and self.count("rejected") == len(self.outcomes)

    def all_rejected_line(self) -> str:
        """One line for a load whose every file was rejected: the feed, the count, the first
        reason."""
        first = next(outcome for outcome in self.outcomes if outcome.status == "rejected")
        return (
            f"{self.feed}: all {len(self.outcomes)} file(s) of this run were rejected; the "
            f"first: {first.path}: {first.reason}"
        )


class RawWriter:
    """Buffers valid rows of several files and inserts them into the raw table in one go (one
    insert per transaction is much faster than one per file). Each file's checksum and period
    join in from a small table rather than travelling as a string on every row."""

    def __init__(self, con: duckdb.DuckDBPyConnection, spec: FeedSpec):
        self.con = con
        self.spec = spec
        self.frames: list[pl.DataFrame] = []
        self.files: list[tuple[str, str | None]] = []

    def add(self, frame: pl.DataFrame, sha256: str, period: str | None) -> None:
        if frame.height:
            self.files.append((sha256, period))
            self.frames.append(frame)

    def flush(self) -> None:
        if not self.frames:
            return
        incoming_files = pl.DataFrame(
            self.files, schema={"_sha256": pl.String, "_file_period": pl.String}, orient="row"
        ).with_row_index("_file")
        file_of_row = np.repeat(
            np.arange(len(self.frames), dtype=np.uint32), [frame.height for frame in self.frames]
        )
        incoming_rows = pl.concat(self.frames, how="vertical_relaxed", rechunk=False)
        incoming_rows = incoming_rows.with_columns(pl.Series("_file", file_of_row))
        self.frames, self.files = [], []
        columns = ", ".join(f'"{column}"' for column in self.spec.columns)
        self.con.register("incoming_rows", incoming_rows)
        self.con.register("incoming_files", incoming_files)
        self.con.execute(
            f"""insert into raw.{self.spec.table} ({columns}, _sha256, _file_period, _line_number)
            select {", ".join(f'r."{c}"' for c in self.spec.columns)},
                   f._sha256, f._file_period, r._line_number
            from incoming_rows as r join incoming_files as f using (_file)"""
        )
        self.con.unregister("incoming_rows")
        self.con.unregister("incoming_files")


def load_feed(
    con: duckdb.DuckDBPyConnection,
    spec: FeedSpec,
    reference: ReferenceData,
    *,
    landing_dir: Path,
    archive_dir: Path,
    rejected_dir: Path,
    window: tuple[date, date] | None = None,
    bounds: PeriodBounds | None = None,
) -> FeedLoadReport:
    """Load every file of the feed (within the window) not seen before; safe to call again.

    ``bounds`` are the periods a file's name may carry (the platform's years, today); by
    default any year up to today. Entries that are never read (links, hidden files) are
    recorded first, each once."""
    ensure_audit_tables(con)
    ensure_raw_table(con, spec)
    bounds = bounds or PeriodBounds(today=date.today())
    if spec.feed in UPSTREAM_FEEDS:
        reference = reference.with_warehouse(con)
    report = FeedLoadReport(spec.feed)
    files, refused = scan_feed(landing_dir, spec)
    paths = [path for path in files if in_window(spec, path, window, bounds)]
    # Files load in transactions of about COMMIT_ROWS rows. A rejection commits at once,
    # since the file has left the landing zone.
    writer = RawWriter(con, spec)
    ledger = DeliveryLedger.of_feed(con, spec.feed)
    pending_rows = 0
    con.execute("begin transaction")
    try:
        for entry in refused:
            outcome = record_refused(entry, spec, landing_dir, rejected_dir, ledger)
            if outcome is not None:
                report.outcomes.append(outcome)
        ledger.write(con)
        con.execute("commit")
        con.execute("begin transaction")
        with PreparedFiles(paths, spec, reference, archive_dir, ledger.known, bounds) as prepared:
            for delivery in prepared:
                outcome = load_file(
                    con,
                    spec,
                    delivery,
                    landing_dir=landing_dir,
                    rejected_dir=rejected_dir,
                    writer=writer,
                    ledger=ledger,
                )
                if outcome is None:
                    continue
                report.outcomes.append(outcome)
                pending_rows += outcome.rows_loaded + outcome.rows_quarantined
                if outcome.status == "rejected" or pending_rows >= COMMIT_ROWS:
                    writer.flush()
                    ledger.write(con)
                    con.execute("commit")
                    con.execute("begin transaction")
                    pending_rows = 0
        writer.flush()
        ledger.write(con)
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return report


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def record_refused(
    entry: Refused,
    spec: FeedSpec,
    landing_dir: Path,
    rejected_dir: Path,
    ledger: DeliveryLedger,
) -> FileOutcome | None:
    """Record an entry never read (rejected, with the reason); a link moves to rejected/, a
    hidden file stays and is recorded once (None when it was before)."""
    relative = entry.path.relative_to(landing_dir).as_posix()
    if not entry.moves and relative in ledger.unread:
        return None
    outcome = FileOutcome(relative, UNREAD, "rejected", reason=str(entry.rejection))
    if entry.moves:
        move_to_rejected(entry.path, relative, entry.rejection, rejected_dir)
    ledger.record(outcome, spec.parse_name(entry.path.name), None, _now())
    return outcome


def load_file(
    con: duckdb.DuckDBPyConnection,
    spec: FeedSpec,
    delivery: PreparedFile,
    *,
    landing_dir: Path,
    rejected_dir: Path,
    writer: RawWriter,
    ledger: DeliveryLedger,
) -> FileOutcome | None:
    """Record one prepared file inside the caller's transaction; None if already recorded."""
    path, sha256, name = delivery.path, delivery.sha256, delivery.name
    if sha256 == UNREAD:  # not a regular file any more when it was read
        assert delivery.rejection is not None
        return record_refused(
            Refused(path, delivery.rejection), spec, landing_dir, rejected_dir, ledger
        )
    relative = path.relative_to(landing_dir).as_posix()
    seen = ledger.deliveries_of(con, sha256)
    if seen:  # the bytes were prepared before their first delivery was recorded (same run)
        discard_partial(delivery)
    if any(seen_path == relative for seen_path, _status in seen):
        return None
    now = _now()
    if seen:
        first_path = seen[0][0]
        outcome = FileOutcome(relative, sha256, "duplicate", reason=f"same bytes as {first_path}")
        ledger.record(outcome, name, None, now)
        return outcome
    if delivery.rejection is not None:
        outcome = FileOutcome(relative, sha256, "rejected", reason=str(delivery.rejection))
        move_to_rejected(path, relative, delivery.rejection, rejected_dir)
        ledger.record(outcome, name, None, now)
        return outcome
    # Bytes not seen before were read and checked (``known`` is a subset of ``seen``).
    assert delivery.valid is not None and delivery.violations is not None and name is not None
    assert delivery.archived_as is not None
    if delivery.archive_partial is not None:
        delivery.archive_partial.replace(delivery.archived_as)
    outcome = FileOutcome(
        relative,
        sha256,
        "loaded",
        rows_loaded=delivery.valid.height,
        rows_quarantined=delivery.rows_quarantined,
    )
    writer.add(delivery.valid, sha256, name.period)
    if delivery.violations.height:
        con.register("incoming_violations", delivery.violations)
        con.execute(
            "insert into audit.quarantined_rows by name select ? as feed, ? as file, "
            '? as sha256, line_number, "column", rule, raw_row from incoming_violations',
            [spec.feed, relative, sha256],
        )
        con.unregister("incoming_violations")
    # A file that loads no row supersedes nothing: the earlier delivery stays current.
    if delivery.valid.height and (name.period, name.report_type) in ledger.loaded:
        ledger.write(con)
        _supersede_earlier(con, spec, name, relative, writer)
    ledger.loaded.add((name.period, name.report_type))
    ledger.record(outcome, name, delivery.encoding, now, archived_as=delivery.archived_as.name)
    return outcome


def _supersede_earlier(
    con: duckdb.DuckDBPyConnection,
    spec: FeedSpec,
    name: FileName,
    relative: str,
    writer: RawWriter,
) -> None:
    """Mark the earlier deliveries of the same feed, period and report type as vintages."""
    earlier = [
        sha256
        for (sha256,) in con.execute(
            """update audit.file_deliveries set status = 'superseded', superseded_by = ?
            where feed = ? and period = ? and report_type is not distinct from ?
              and status = 'loaded'
            returning sha256""",
            [relative, spec.feed, name.period, name.report_type],
        ).fetchall()
    ]
    if earlier:
        writer.flush()  # the earlier delivery's rows may still be buffered
        con.execute(
            f"update raw.{spec.table} set _is_superseded = true where _sha256 in "
            f"(select unnest(?::varchar[]))",
            [earlier],
        )
