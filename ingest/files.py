"""Reading one delivered file into an all-text polars frame: checksum, encoding, format."""

from __future__ import annotations

import csv
import hashlib
import io
import re
from dataclasses import dataclass
from pathlib import Path

import polars as pl

UTF8_BOM = b"\xef\xbb\xbf"


class FileRejected(Exception):
    """The whole file breaks the contract; ``rule`` is a short code, ``reason`` a sentence."""

    def __init__(self, rule: str, reason: str):
        super().__init__(f"{rule}: {reason}")
        self.rule = rule
        self.reason = reason


@dataclass(frozen=True)
class DecodedText:
    text: str
    encoding: str  # "utf-8", "utf-8-sig" or "gb18030"


def sha256_of_bytes(data: bytes) -> str:
    """The checksum of a file's bytes, read once for it and the reader (hashlib releases the
    GIL on large buffers, so files are checksummed in parallel)."""
    return hashlib.sha256(data).hexdigest()


def decode_text(raw: bytes) -> DecodedText:
    """Detect UTF-8 (with or without BOM) or GB18030, strictly: no byte is replaced."""
    if raw.startswith(UTF8_BOM):
        try:
            return DecodedText(raw[len(UTF8_BOM) :].decode("utf-8"), "utf-8-sig")
        except UnicodeDecodeError as error:
            raise FileRejected(
                "encoding", f"starts with a UTF-8 BOM but byte {error.start + 3} is not UTF-8"
            ) from None
    try:
        return DecodedText(raw.decode("utf-8"), "utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return DecodedText(raw.decode("gb18030"), "gb18030")
    except UnicodeDecodeError as error:
        raise FileRejected(
            "encoding", f"neither UTF-8 nor GB18030 (invalid byte at offset {error.start})"
        ) from None


_EMPTY_LINE = re.compile(r"^\s*$")
_NOT_WHITESPACE = re.compile(rb"[^ \t\n\r\x0b\x0c]")  # what bytes.strip() keeps


def read_csv_text(
    path: Path, types: dict[str, pl.DataType] | None = None, data: bytes | None = None
) -> tuple[pl.DataFrame, str]:
    """Read a CSV as text columns; returns the frame and the detected encoding.

    With ``types`` (the large feeds), the typed columns are parsed while reading, which is much
    faster; if any value does not parse, the file is read again as text so the row rules can
    name each bad value. ``data`` is the file's bytes when the caller has read them already.
    """
    raw = path.read_bytes() if data is None else data
    if _NOT_WHITESPACE.search(raw) is None:
        raise FileRejected("empty", "the file is empty")
    if raw.isascii():  # UTF-8 already (the large feeds): no need to decode it to be sure
        encoding, utf8 = "utf-8", raw
    else:
        decoded = decode_text(raw)
        encoding = decoded.encoding
        utf8 = raw if encoding == "utf-8" else decoded.text.encode("utf-8")
    if not utf8.endswith((b"\n", b"\r")):
        # A delivery whose last line lacks its newline may have been cut off in transfer:
        # accept it only if the last line has as many fields as the header.
        lines = utf8.decode("utf-8").splitlines()
        if len(lines) > 1 and lines[-1].count(",") != lines[0].count(","):
            raise FileRejected(
                "truncated",
                f"the last line ({len(lines)}) has {lines[-1].count(',') + 1} fields, "
                f"the header {lines[0].count(',') + 1}: the file looks cut off",
            )
    if types:
        try:
            frame = pl.read_csv(io.BytesIO(utf8), infer_schema=False, schema_overrides=types)
            if set(types) <= set(frame.columns):
                return frame, encoding
        except (pl.exceptions.ComputeError, pl.exceptions.InvalidOperationError):
            pass
    try:
        frame = pl.read_csv(
            io.BytesIO(utf8),
            infer_schema=False,
            truncate_ragged_lines=False,
        )
    except pl.exceptions.ComputeError as error:
        reason = _ragged_line(utf8.decode("utf-8")) or first_line(error)
        raise FileRejected("unreadable", reason) from None
    return frame, encoding


def _ragged_line(text: str) -> str | None:
    """Name the first line whose field count differs from the header's."""
    rows = csv.reader(io.StringIO(text))
    header = next(rows, [])
    for line_number, row in enumerate(rows, start=2):
        if row and len(row) != len(header):
            return (
                f"not a well-formed CSV: line {line_number} has {len(row)} fields, "
                f"the header {len(header)}"
            )
    return None


def read_xlsx_text(path: Path, data: bytes | None = None) -> pl.DataFrame:
    """Read the first sheet of an XLSX (header on row 1) as all-text columns."""
    try:
        frame = pl.read_excel(
            path if data is None else data, sheet_id=1, engine="calamine", infer_schema_length=0
        )
    except Exception as error:  # calamine raises its own exception types
        raise FileRejected("unreadable", f"not a readable XLSX: {first_line(error)}") from None
    return frame.with_columns(pl.all().cast(pl.String))


def read_parquet_typed(path: Path, data: bytes | None = None) -> pl.DataFrame:
    """Parquet keeps its column types; the row rules read them as text where they need to."""
    try:
        return pl.read_parquet(path if data is None else io.BytesIO(data))
    except Exception as error:
        raise FileRejected(
            "unreadable", f"not a readable Parquet file: {first_line(error)}"
        ) from None


def read_delivery(
    path: Path, types: dict[str, pl.DataType] | None = None, data: bytes | None = None
) -> tuple[pl.DataFrame, str]:
    """Read a delivered file (CSV and XLSX as text, Parquet typed); returns it and its encoding.

    ``data`` is the file's bytes when the caller has read them already (to checksum them): the
    frame is then parsed from exactly the bytes that were checksummed."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        frame, encoding = read_csv_text(path, types, data)
    elif suffix == ".xlsx":
        frame, encoding = read_xlsx_text(path, data), "xlsx"
    elif suffix == ".parquet":
        frame, encoding = read_parquet_typed(path, data), "parquet"
    else:
        raise FileRejected("format", f"unsupported file type {suffix!r} (csv, xlsx, parquet)")
    frame = frame.rename({column: column.strip() for column in frame.columns})
    if frame.height == 0:
        raise FileRejected("empty", "the file has a header but no rows")
    return frame, encoding


def first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
