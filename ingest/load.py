"""Loading a feed's delivered files into the warehouse: raw rows, quarantine and the audit trail."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import polars as pl

from ingest.feeds import UPSTREAM_FEEDS, FeedSpec, FileName
from ingest.files import FileRejected, read_delivery, sha256_of
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
        self.files: list[tuple[int, str, str | None]] = []

    def add(self, frame: pl.DataFrame, sha256: str, period: str | None) -> None:
        if frame.height:
            index = len(self.files)
            self.files.append((index, sha256, period))
            self.frames.append(frame.with_columns(pl.lit(index, pl.Int32).alias("_file")))

    def flush(self) -> None:
        if not self.frames:
            return
        incoming_rows = pl.concat(self.frames, how="vertical_relaxed", rechunk=False)
        incoming_files = pl.DataFrame(
            self.files,
            schema={"_file": pl.Int32, "_sha256": pl.String, "_file_period": pl.String},
            orient="row",
        )
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
    pending_rows = 0
    con.execute("begin transaction")
    try:
        for path in delivered_files(landing_dir, spec, window):
            outcome = load_file(
                con,
                spec,
                reference,
                path,
                landing_dir=landing_dir,
                archive_dir=archive_dir,
                rejected_dir=rejected_dir,
                writer=writer,
            )
            if outcome is None:
                continue
            report.outcomes.append(outcome)
            pending_rows += outcome.rows_loaded + outcome.rows_quarantined
            if outcome.status == "rejected" or pending_rows >= COMMIT_ROWS:
                writer.flush()
                con.execute("commit")
                con.execute("begin transaction")
                pending_rows = 0
        writer.flush()
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return report


def load_file(
    con: duckdb.DuckDBPyConnection,
    spec: FeedSpec,
    reference: ReferenceData,
    path: Path,
    *,
    landing_dir: Path,
    archive_dir: Path,
    rejected_dir: Path,
    writer: RawWriter,
) -> FileOutcome | None:
    """Load one delivered file inside the caller's transaction; None if already recorded."""
    relative = path.relative_to(landing_dir).as_posix()
    sha256 = sha256_of(path)
    seen = con.execute(
        "select path, status from audit.file_deliveries where sha256 = ? order by received_at",
        [sha256],
    ).fetchall()
    if any(seen_path == relative for seen_path, _status in seen):
        return None
    now = datetime.now(UTC).replace(tzinfo=None)
    name = spec.parse_name(path.name)
    if seen:
        first_path = seen[0][0]
        outcome = FileOutcome(relative, sha256, "duplicate", reason=f"same bytes as {first_path}")
        _record(con, spec, outcome, name, None, now)
        return outcome
    try:
        if name is None:
            raise FileRejected(
                "file_name",
                f"the name {path.name!r} does not follow <period>[_<report_type>].<ext> "
                f"({spec.name_pattern.pattern})",
            )
        frame, encoding = read_delivery(
            path, {column: POLARS_TYPES[sql] for column, sql in spec.types.items()}
        )
        _check_columns(frame, spec)
    except FileRejected as rejection:
        outcome = FileOutcome(relative, sha256, "rejected", reason=str(rejection))
        _reject(path, relative, rejection, rejected_dir)
        _record(con, spec, outcome, name, None, now)
        return outcome

    frame = frame.select(spec.columns)
    violations = find_violations(frame, spec, name, reference)
    bad_lines = set(violations["line_number"].to_list()) if violations.height else set()
    valid = (
        frame.with_row_index("_row")
        .with_columns((pl.col("_row") + DATA_ROW_OFFSET).cast(pl.Int64).alias("_line_number"))
        .filter(~pl.col("_line_number").is_in(list(bad_lines)) if bad_lines else pl.lit(True))
        .drop("_row")
    )
    archived = archive_dir / spec.feed / f"{sha256}{path.suffix.lower()}"
    archived.parent.mkdir(parents=True, exist_ok=True)
    if not archived.exists():
        shutil.copy2(path, archived)
    outcome = FileOutcome(
        relative,
        sha256,
        "loaded",
        rows_loaded=valid.height,
        rows_quarantined=len(bad_lines),
    )
    writer.add(typed(valid, spec).select(*spec.columns, "_line_number"), sha256, name.period)
    if violations.height:
        con.register("incoming_violations", violations)
        con.execute(
            "insert into audit.quarantined_rows by name select ? as feed, ? as file, "
            '? as sha256, line_number, "column", rule, raw_row from incoming_violations',
            [spec.feed, relative, sha256],
        )
        con.unregister("incoming_violations")
    _supersede_earlier(con, spec, name, relative, writer)
    _record(con, spec, outcome, name, encoding, now, archived_as=archived.name)
    return outcome


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
    key = pl.col(spec.key[0]) if len(spec.key) == 1 else pl.struct(spec.key)
    flags = frame.select(
        *(
            rule.expression(frame.schema, name, reference).alias(f"_rule_{index}")
            for index, rule in enumerate(expression_rules)
        ),
        key.is_duplicated().alias("_duplicated"),
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
    if flags["_duplicated"].any():
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


def _record(
    con: duckdb.DuckDBPyConnection,
    spec: FeedSpec,
    outcome: FileOutcome,
    name: FileName | None,
    encoding: str | None,
    received_at: datetime,
    archived_as: str | None = None,
) -> None:
    con.execute(
        """insert into audit.file_deliveries
        (path, sha256, feed, period, report_type, status, rows_loaded, rows_quarantined, reason,
         encoding, archived_as, received_at)
        values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        [
            outcome.path,
            outcome.sha256,
            spec.feed,
            name.period if name else None,
            name.report_type if name else None,
            outcome.status,
            outcome.rows_loaded,
            outcome.rows_quarantined,
            outcome.reason,
            encoding,
            archived_as,
            received_at,
        ],
    )
