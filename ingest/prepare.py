"""Preparing a delivered file off the writing thread: read once, checksum, parse, check its rows.

Everything about a file that needs no warehouse happens here, on worker threads ahead of the
one thread that writes DuckDB (polars, hashlib and DuckDB release the GIL).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from ingest.files import FileRejected, read_csv_text, read_delivery, sha256_of_bytes
from ingest.landing import read_regular_file
from ingest.ledger import UNREAD
from ingest.names import FileName, PeriodBounds
from ingest.reference import ReferenceData
from ingest.spec import FeedSpec

DATA_ROW_OFFSET = 2  # header is line 1, the first data row line 2
# Files are read, checksummed and checked by PREPARE_THREADS threads ahead of the one that
# writes the warehouse: enough files ahead that the threads keep working while it inserts a
# transaction's rows, bounded for memory.
PREPARE_THREADS = 2
PREPARE_AHEAD_BYTES = 128 * 2**20
PREPARE_AHEAD_FILES = 64

POLARS_TYPES = {"date": pl.Date, "double": pl.Float64, "bigint": pl.Int64, "varchar": pl.String}


@dataclass
class PreparedFile:
    """A delivered file read once, checksummed, parsed and checked against the row rules."""

    path: Path
    sha256: str  # UNREAD if the entry turned out not to be a regular file when read
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
    bounds: PeriodBounds | None = None,
) -> PreparedFile:
    """Read the file once: its checksum, and unless those bytes were delivered before, its
    rows checked against the feed's rules and a copy of those very bytes for the archive."""
    name = spec.parse_name(path.name)
    try:
        data = read_regular_file(path)
    except FileRejected as refusal:  # a link or a FIFO put in the file's place since the scan
        return PreparedFile(path, UNREAD, name, rejection=refusal)
    sha256 = sha256_of_bytes(data)
    if sha256 in known:  # already loaded from this path, or a duplicate: nothing to read
        return PreparedFile(path, sha256, name)
    try:
        if name is None:
            raise FileRejected(
                "file_name",
                f"the name {path.name!r} does not follow {spec.name_rule} "
                f"({spec.name_pattern.pattern})",
            )
        refusal = (
            bounds.refusal(name, partitioned=spec.partitioning is not None) if bounds else None
        )
        if refusal is not None:
            raise refusal
        types = {column: POLARS_TYPES[sql] for column, sql in spec.types.items()}
        frame, encoding = read_delivery(
            path, types, data, columns=spec.required_columns, stored=spec.stored_types
        )
        check_columns(frame, spec)
    except FileRejected as rejection:
        return PreparedFile(path, sha256, name, rejection=rejection)

    frame = conform(frame, spec)

    def raw_frame() -> pl.DataFrame:
        """The rows as written: a CSV parsed typed is read again as text (for its bad rows only:
        the typed parse writes -1 as -1.0 and would lose what the rule refused)."""
        if path.suffix.lower() == ".csv" and any(frame.schema[c] != pl.String for c in spec.types):
            text, _encoding = read_csv_text(path, None, data)
            return conform(text.rename({c: c.strip() for c in text.columns}), spec)
        return frame

    violations = find_violations(frame, spec, name, reference, raw_frame)
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
        bounds: PeriodBounds | None = None,
    ):
        self.paths = iter(paths)
        self.arguments = (spec, reference, archive_dir, known, bounds)
        self.pool = ThreadPoolExecutor(PREPARE_THREADS, thread_name_prefix="ingest-prepare")
        self.pending: deque[tuple[Future[PreparedFile], int]] = deque()
        self.pending_bytes = 0
        self.current: PreparedFile | None = None

    def __enter__(self) -> Iterator[PreparedFile]:
        return self._in_order()

    def __exit__(self, *_exc: object) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)
        if self.current is not None:
            discard_partial(self.current)
        for future, _size in self.pending:
            if not future.cancelled() and future.exception() is None:
                discard_partial(future.result())

    def _submit_ahead(self) -> None:
        while len(self.pending) < PREPARE_AHEAD_FILES and (
            not self.pending or self.pending_bytes < PREPARE_AHEAD_BYTES
        ):
            path = next(self.paths, None)
            if path is None:
                return
            size = os.lstat(path).st_size
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


def _write_partial(data: bytes, delivered: Path, archived: Path) -> Path:
    """Write the bytes read from the delivered file (with its times and mode) beside their
    archive name; the loader renames them into place when it records the file as loaded, so
    the archive only ever holds whole files, and exactly the bytes checksummed."""
    archived.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(dir=archived.parent, prefix=f".{archived.name}.")
    with os.fdopen(handle, "wb") as partial:
        partial.write(data)
    shutil.copystat(delivered, name, follow_symlinks=False)
    return Path(name)


def discard_partial(delivery: PreparedFile) -> None:
    if delivery.archive_partial is not None:
        delivery.archive_partial.unlink(missing_ok=True)


def typed(frame: pl.DataFrame, spec: FeedSpec) -> pl.DataFrame:
    """Valid rows with the feed's typed columns converted (text is parsed, types are cast; the
    row rules have checked every value, a blank becomes null)."""
    conversions = []
    for column, sql_type in spec.types.items():
        target = POLARS_TYPES[sql_type]
        if frame.schema[column] == target:
            continue
        if frame.schema[column] == pl.String:
            text = pl.col(column).str.strip_chars()
            parsed = text.str.to_date("%Y-%m-%d") if target == pl.Date else text.cast(target)
            conversions.append(pl.when(text != "").then(parsed).alias(column))
        else:
            conversions.append(pl.col(column).cast(target))
    return frame.with_columns(conversions) if conversions else frame


def find_violations(
    frame: pl.DataFrame,
    spec: FeedSpec,
    name: FileName,
    reference: ReferenceData,
    raw_frame: Callable[[], pl.DataFrame] | None = None,
) -> pl.DataFrame:
    """One row per (line, column, rule) broken, with the raw row as JSON text values (from
    ``raw_frame()``, the rows as written, when given; read only if a rule is broken)."""
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
    raw = frame if raw_frame is None else raw_frame()
    raw_rows = raw.with_columns(lines.cast(pl.Int64)).select(
        "line_number",
        pl.struct(pl.col(column).cast(pl.String) for column in spec.columns)
        .struct.json_encode()
        .alias("raw_row"),
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


def check_columns(frame: pl.DataFrame, spec: FeedSpec) -> None:
    """Reject a file with a missing (required) or an unexpected column."""
    present = set(frame.columns)
    missing = [c for c in spec.required_columns if c not in present]
    unexpected = [c for c in frame.columns if c not in spec.columns]
    if missing or unexpected:
        parts = []
        if missing:
            parts.append(f"missing column(s) {', '.join(missing)}")
        if unexpected:
            parts.append(f"unexpected column(s) {', '.join(unexpected)}")
        raise FileRejected("columns", "; ".join(parts) + f" (expected {', '.join(spec.columns)})")


def conform(frame: pl.DataFrame, spec: FeedSpec) -> pl.DataFrame:
    """The feed's columns in its order, an optional column left out added as nulls."""
    absent = [column for column in spec.optional_columns if column not in frame.columns]
    return frame.with_columns(pl.lit(None, pl.String).alias(c) for c in absent).select(spec.columns)
