"""Loading a feed's delivered files into the warehouse: raw rows, quarantine and the audit trail."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import numpy as np
import polars as pl

from ingest.feeds import UPSTREAM_FEEDS, FeedSpec, FileName
from ingest.files import FileRejected, read_delivery, sha256_of_bytes
from ingest.reference import ReferenceData

AUDIT_DDL = """
create schema if not exists audit;
create schema if not exists raw;
create table if not exists audit.file_deliveries (
    path varchar not null,          -- relative to the landing zone
    sha256 varchar not null,
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

DATA_ROW_OFFSET = 2  # header is line 1, the first data row line 2
COMMIT_ROWS = 2_000_000
# Files are read, checksummed and checked by PREPARE_THREADS threads ahead of the one that
# writes the warehouse (polars, hashlib and DuckDB release the GIL): enough files ahead that the
# threads keep working while it inserts a transaction's rows, bounded for memory.
PREPARE_THREADS = 2
PREPARE_AHEAD_BYTES = 128 * 2**20
PREPARE_AHEAD_FILES = 64


@dataclass
class FileOutcome:
    path: str
    sha256: str
    status: str
    rows_loaded: int = 0
    rows_quarantined: int = 0
    reason: str | None = None


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


def ensure_schemas(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(AUDIT_DDL)


def ensure_raw_table(con: duckdb.DuckDBPyConnection, spec: FeedSpec) -> None:
    columns = ",\n    ".join(
        f'"{column}" {spec.types.get(column, "varchar")}' for column in spec.columns
    )
    con.execute(
        f"""create table if not exists raw.{spec.table} (
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
    from ingest.feeds import FEEDS

    ensure_schemas(con)
    for spec in FEEDS.values():
        ensure_raw_table(con, spec)


def delivered_files(
    landing_dir: Path, spec: FeedSpec, window: tuple[date, date] | None = None
) -> Iterator[Path]:
    """The feed's files in path order; with a window [start, end), only the files whose name
    puts their period's start inside it (a badly named file is in every window, to be rejected).
    """
    folder = landing_dir / spec.feed
    if not folder.is_dir():
        return
    # Deliveries may come in sub-folders (batches); a file is identified by its path.
    for path in sorted(folder.rglob("*"), key=lambda p: p.relative_to(folder).as_posix()):
        if not path.is_file() or any(part.startswith(".") for part in path.parts):
            continue
        if window is not None:
            name = spec.parse_name(path.name)
            if name is not None and not (window[0] <= name.start < window[1]):
                continue
        yield path


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
) -> FeedLoadReport:
    """Load every file of the feed (within the window) not seen before; safe to call again."""
    ensure_schemas(con)
    ensure_raw_table(con, spec)
    if spec.feed in UPSTREAM_FEEDS:
        reference = reference.with_warehouse(con)
    report = FeedLoadReport(spec.feed)
    # Files load in transactions of about COMMIT_ROWS rows: a file's rows, its quarantine and
    # its audit record always commit together, and a crash loses only uncommitted files, which
    # are not recorded and so load again on the next run. A rejection commits at once, since
    # the file has left the landing zone.
    writer = RawWriter(con, spec)
    ledger = DeliveryLedger.of_feed(con, spec)
    paths = delivered_files(landing_dir, spec, window)
    pending_rows = 0
    con.execute("begin transaction")
    try:
        with PreparedFiles(paths, spec, reference, archive_dir, ledger.known) as prepared:
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


@dataclass
class DeliveryLedger:
    """The audit trail of deliveries as one load sees it. Read once: the checksums seen (of any
    feed: the same bytes delivered again are a duplicate) and the (period, report type) of this
    feed with a loaded delivery, which a new delivery supersedes. Written in batches: the
    records of this run's files, in the transaction of their rows."""

    feed: str
    known: frozenset[str]
    loaded: set[tuple[str | None, str | None]]
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
    def of_feed(cls, con: duckdb.DuckDBPyConnection, spec: FeedSpec) -> DeliveryLedger:
        checksums = con.execute("select distinct sha256 from audit.file_deliveries").fetchall()
        known = frozenset(sha256 for (sha256,) in checksums)
        loaded = set(
            con.execute(
                "select distinct period, report_type from audit.file_deliveries "
                "where feed = ? and status = 'loaded'",
                [spec.feed],
            ).fetchall()
        )
        return cls(spec.feed, known, loaded)

    def record(
        self,
        outcome: FileOutcome,
        name: FileName | None,
        encoding: str | None,
        received_at: datetime,
        archived_as: str | None = None,
    ) -> None:
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


@dataclass
class PreparedFile:
    """A delivered file read once, checksummed, parsed and checked against the row rules: all
    of a file's work that needs no warehouse, done off the thread that writes it."""

    path: Path
    sha256: str
    name: FileName | None
    rejection: FileRejected | None = None
    encoding: str | None = None
    valid: pl.DataFrame | None = None  # typed valid rows and their _line_number
    violations: pl.DataFrame | None = None
    rows_quarantined: int = 0
    archived_as: Path | None = None  # the archive copy, once the file is recorded as loaded
    archive_partial: Path | None = None  # the copy written, until then


def prepare_file(
    path: Path,
    spec: FeedSpec,
    reference: ReferenceData,
    archive_dir: Path,
    known: frozenset[str] = frozenset(),
) -> PreparedFile:
    """Read the file once: its checksum, and unless those bytes were delivered before, its
    rows checked against the feed's rules and a copy of those very bytes for the archive."""
    data = path.read_bytes()
    sha256 = sha256_of_bytes(data)
    name = spec.parse_name(path.name)
    if sha256 in known:  # already loaded from this path, or a duplicate: nothing to read
        return PreparedFile(path, sha256, name)
    try:
        if name is None:
            raise FileRejected(
                "file_name",
                f"the name {path.name!r} does not follow {spec.name_rule} "
                f"({spec.name_pattern.pattern})",
            )
        frame, encoding = read_delivery(
            path, {column: POLARS_TYPES[sql] for column, sql in spec.types.items()}, data
        )
        _check_columns(frame, spec)
    except FileRejected as rejection:
        return PreparedFile(path, sha256, name, rejection=rejection)

    frame = frame.select(spec.columns)
    violations = find_violations(frame, spec, name, reference)
    bad_lines = violations["line_number"].unique() if violations.height else None
    valid = frame.with_row_index("_line_number", offset=DATA_ROW_OFFSET).with_columns(
        pl.col("_line_number").cast(pl.Int64)
    )
    if bad_lines is not None:
        valid = valid.filter(~pl.col("_line_number").is_in(bad_lines.implode()))
    archived = archive_dir / spec.feed / f"{sha256}{path.suffix.lower()}"
    return PreparedFile(
        path,
        sha256,
        name,
        encoding=encoding,
        valid=typed(valid, spec).select(*spec.columns, "_line_number"),
        violations=violations,
        rows_quarantined=0 if bad_lines is None else bad_lines.len(),
        archived_as=archived,
        archive_partial=None if archived.exists() else _write_partial(data, path, archived),
    )


class PreparedFiles:
    """Prepare files on worker threads, up to PREPARE_AHEAD_BYTES (and at least one file) ahead,
    and yield them in order. On leaving, archive copies no loaded file took are removed."""

    def __init__(
        self,
        paths: Iterable[Path],
        spec: FeedSpec,
        reference: ReferenceData,
        archive_dir: Path,
        known: frozenset[str],
    ):
        self.paths = iter(paths)
        self.arguments = (spec, reference, archive_dir, known)
        self.pool = ThreadPoolExecutor(PREPARE_THREADS, thread_name_prefix="ingest-prepare")
        self.pending: deque[tuple[Future[PreparedFile], int]] = deque()
        self.pending_bytes = 0
        self.current: PreparedFile | None = None

    def __enter__(self) -> Iterator[PreparedFile]:
        return self._in_order()

    def __exit__(self, *_exc: object) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)
        if self.current is not None:
            _discard_partial(self.current)
        for future, _size in self.pending:
            if not future.cancelled() and future.exception() is None:
                _discard_partial(future.result())

    def _submit_ahead(self) -> None:
        while len(self.pending) < PREPARE_AHEAD_FILES and (
            not self.pending or self.pending_bytes < PREPARE_AHEAD_BYTES
        ):
            path = next(self.paths, None)
            if path is None:
                return
            size = path.stat().st_size
            self.pending.append((self.pool.submit(prepare_file, path, *self.arguments), size))
            self.pending_bytes += size

    def _in_order(self) -> Iterator[PreparedFile]:
        self._submit_ahead()
        while self.pending:
            future, size = self.pending.popleft()
            self.pending_bytes -= size
            self.current = future.result()
            self._submit_ahead()
            yield self.current


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
    relative = path.relative_to(landing_dir).as_posix()
    seen = ledger.deliveries_of(con, sha256)
    if seen:  # the bytes were prepared before their first delivery was recorded (same run)
        _discard_partial(delivery)
    if any(seen_path == relative for seen_path, _status in seen):
        return None
    now = datetime.now(UTC).replace(tzinfo=None)
    if seen:
        first_path = seen[0][0]
        outcome = FileOutcome(relative, sha256, "duplicate", reason=f"same bytes as {first_path}")
        ledger.record(outcome, name, None, now)
        return outcome
    if delivery.rejection is not None:
        outcome = FileOutcome(relative, sha256, "rejected", reason=str(delivery.rejection))
        _reject(path, relative, delivery.rejection, rejected_dir)
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
    if (name.period, name.report_type) in ledger.loaded:
        ledger.write(con)
        _supersede_earlier(con, spec, name, relative, writer)
    ledger.loaded.add((name.period, name.report_type))
    ledger.record(outcome, name, delivery.encoding, now, archived_as=delivery.archived_as.name)
    return outcome


def _write_partial(data: bytes, delivered: Path, archived: Path) -> Path:
    """Write the bytes read from the delivered file (with its times and mode) beside their
    archive name; the loader renames them into place when it records the file as loaded, so
    the archive only ever holds whole files, and exactly the bytes checksummed."""
    archived.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(dir=archived.parent, prefix=f".{archived.name}.")
    with os.fdopen(handle, "wb") as partial:
        partial.write(data)
    shutil.copystat(delivered, name)
    return Path(name)


def _discard_partial(delivery: PreparedFile) -> None:
    if delivery.archive_partial is not None:
        delivery.archive_partial.unlink(missing_ok=True)


POLARS_TYPES = {"date": pl.Date, "double": pl.Float64, "bigint": pl.Int64, "varchar": pl.String}


def typed(frame: pl.DataFrame, spec: FeedSpec) -> pl.DataFrame:
    """Valid rows with the feed's typed columns converted (text is parsed, types are cast)."""
    conversions = []
    for column, sql_type in spec.types.items():
        target = POLARS_TYPES[sql_type]
        if frame.schema[column] == target:
            continue
        if frame.schema[column] == pl.String and target == pl.Date:
            conversions.append(pl.col(column).str.strip_chars().str.to_date("%Y-%m-%d"))
        elif frame.schema[column] == pl.String:
            conversions.append(pl.col(column).str.strip_chars().cast(target))
        else:
            conversions.append(pl.col(column).cast(target))
    return frame.with_columns(conversions) if conversions else frame


def find_violations(
    frame: pl.DataFrame, spec: FeedSpec, name: FileName, reference: ReferenceData
) -> pl.DataFrame:
    """One row per (line, column, rule) broken, with the raw row as JSON."""
    found: list[pl.DataFrame] = []
    lines = pl.Series("line_number", range(DATA_ROW_OFFSET, frame.height + DATA_ROW_OFFSET))
    expression_rules = [rule for rule in spec.rules if rule.expression is not None]
    flags = frame.select(
        rule.expression(frame.schema, name, reference).alias(f"_rule_{index}")
        for index, rule in enumerate(expression_rules)
    )
    broken_by_rule = [(rule, flags.to_series(i)) for i, rule in enumerate(expression_rules)]
    broken_by_rule += [
        (rule, rule.broken(frame, name, reference))
        for rule in spec.rules
        if rule.expression is None
    ]
    for rule, broken in broken_by_rule:
        broken = broken.fill_null(False)
        if broken.any():
            found.append(
                pl.DataFrame({"line_number": lines.filter(broken)}).with_columns(
                    pl.lit(rule.column).alias("column"), pl.lit(rule.rule).alias("rule")
                )
            )
    if _may_have_duplicate_keys(frame, spec.key):
        # Duplicate keys among the rows that pass every other rule: none of them is trusted.
        flagged = pl.concat(found)["line_number"] if found else pl.Series([], dtype=pl.Int64)
        keyed = (
            frame.select(spec.key).with_columns(lines).filter(~pl.col("line_number").is_in(flagged))
        )
        duplicated = keyed.filter(pl.struct(spec.key).is_duplicated())
        if duplicated.height:
            found.append(
                duplicated.select("line_number").with_columns(
                    pl.lit(",".join(spec.key)).alias("column"),
                    pl.lit("duplicate_key").alias("rule"),
                )
            )
    if not found:
        return pl.DataFrame(
            schema={
                "line_number": pl.Int64,
                "column": pl.String,
                "rule": pl.String,
                "raw_row": pl.String,
            }
        )
    violations = pl.concat(found).with_columns(pl.col("line_number").cast(pl.Int64))
    raw_rows = frame.with_columns(lines.cast(pl.Int64)).select(
        "line_number",
        pl.struct(spec.columns).struct.json_encode().alias("raw_row"),
    )
    return (
        violations.join(raw_rows, on="line_number", how="left")
        .unique(["line_number", "column", "rule"])
        .sort("line_number", "rule")
    )


def _may_have_duplicate_keys(frame: pl.DataFrame, key: tuple[str, ...]) -> bool:
    """False only if no key occurs twice (two nulls count, as for ``is_duplicated``). A sorted
    single-column key (the sample's meter files are sorted by account) takes one sequential
    pass; otherwise a distinct count, cheaper than marking each duplicated row."""
    if len(key) == 1:
        column = frame[key[0]]
        if column.is_sorted():
            return column.null_count() > 1 or bool((column == column.shift(1)).any())
        return column.n_unique() < frame.height
    return frame.select(pl.struct(key).n_unique()).item() < frame.height


def _check_columns(frame: pl.DataFrame, spec: FeedSpec) -> None:
    present = set(frame.columns)
    missing = [c for c in spec.columns if c not in present and c not in spec.optional_columns]
    unexpected = [c for c in frame.columns if c not in spec.columns]
    if missing or unexpected:
        parts = []
        if missing:
            parts.append(f"missing column(s) {', '.join(missing)}")
        if unexpected:
            parts.append(f"unexpected column(s) {', '.join(unexpected)}")
        raise FileRejected("columns", "; ".join(parts) + f" (expected {', '.join(spec.columns)})")
    for column in spec.optional_columns:
        if column not in present:
            frame.insert_column(len(frame.columns), pl.lit(None, pl.String).alias(column))


def _reject(path: Path, relative: str, rejection: FileRejected, rejected_dir: Path) -> None:
    target = rejected_dir / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(path, target)
    target.with_name(target.name + ".reason.txt").write_text(
        f"{relative}: rejected ({rejection.rule}): {rejection.reason}\n", encoding="utf-8"
    )


def _supersede_earlier(
    con: duckdb.DuckDBPyConnection,
    spec: FeedSpec,
    name: FileName | None,
    relative: str,
    writer: RawWriter,
) -> None:
    """Mark the earlier delivery of the same feed, period and report type as a vintage."""
    if name is None:
        return
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
