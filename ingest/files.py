"""Reading one delivered file into a polars frame: checksum, encoding, format, sheet and types."""

from __future__ import annotations

import csv
import hashlib
import io
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from xml.etree import ElementTree

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
# A number in exponent notation (1e5, 2.5E-7), which polars' float parser accepts and the row
# rules refuse (they accept plain decimals only).
_EXPONENT = re.compile(rb"[0-9.][eE][+-]?[0-9]")


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
            if set(types) <= set(frame.columns) and _parsed_as_written(frame, types, utf8):
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


def _parsed_as_written(frame: pl.DataFrame, types: dict[str, pl.DataType], utf8: bytes) -> bool:
    """Whether the typed parse kept every number the row rules would accept, so that reading
    the text again is not needed: polars also parses NaN, inf and exponents (1e5) as floats,
    which the rules refuse and must see as written. Cheap: a scan for the letter e past the
    header, and the floats' finiteness."""
    floats = [column for column, dtype in types.items() if dtype.is_float()]
    if not floats:
        return True
    body = utf8.find(b"\n") + 1
    if (utf8.find(b"e", body) >= 0 or utf8.find(b"E", body) >= 0) and _EXPONENT.search(utf8, body):
        return False
    return all(frame[column].is_finite().all() for column in floats)


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


def read_xlsx_text(
    path: Path, data: bytes | None = None, columns: Sequence[str] = ()
) -> pl.DataFrame:
    """Read the first sheet of an XLSX (header on row 1) as all-text columns.

    Rejected whole, naming the cell or the sheet, when a cell of the first sheet holds a formula
    without a cached value (the workbook was written by a program that does not compute: its
    values are unknown), or, given the feed's ``columns``, when the first sheet is not the table
    (its row 1 has none of them, or another sheet has them all)."""
    raw = path.read_bytes() if data is None else data
    uncached = uncached_formula_cells(raw)
    if uncached is not None:
        sheet, cells = uncached
        more = f" (and {len(cells) - 1} more)" if len(cells) > 1 else ""
        raise FileRejected(
            "formula_without_value",
            f"cell {cells[0]} of the first sheet {sheet!r}{more} holds a formula without a "
            "cached value: open and save the workbook in a spreadsheet program so its values "
            "are computed, or deliver the values",
        )
    if columns:
        _check_first_sheet(raw, columns)
    try:
        frame = pl.read_excel(raw, sheet_id=1, engine="calamine", infer_schema_length=0)
    except Exception as error:  # calamine raises its own exception types
        raise FileRejected("unreadable", f"not a readable XLSX: {first_line(error)}") from None
    return frame.with_columns(pl.all().cast(pl.String))


_SPREADSHEET = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_RELATIONSHIP = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
_PACKAGE_RELATIONSHIP = "{http://schemas.openxmlformats.org/package/2006/relationships}"


def uncached_formula_cells(raw: bytes) -> tuple[str, list[str]] | None:
    """The first sheet's name and its cells (``C5``, …) holding a formula (``<f>``) without a
    cached value (``<v>``), read from the sheet's XML; None if there are none, or if the file
    is not a workbook this can read (the reader then says why)."""
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as workbook:
            sheets = ElementTree.fromstring(workbook.read("xl/workbook.xml"))
            first = next(sheets.iter(f"{_SPREADSHEET}sheet"), None)
            if first is None:
                return None
            relations = ElementTree.fromstring(workbook.read("xl/_rels/workbook.xml.rels"))
            target = next(
                (
                    relation.get("Target", "")
                    for relation in relations.iter(f"{_PACKAGE_RELATIONSHIP}Relationship")
                    if relation.get("Id") == first.get(_RELATIONSHIP)
                ),
                None,
            )
            if target is None:
                return None
            member = (
                target.lstrip("/") if target.startswith("/") else str(PurePosixPath("xl", target))
            )
            cells = []
            with workbook.open(member) as sheet:
                for _event, element in ElementTree.iterparse(sheet):
                    if element.tag == f"{_SPREADSHEET}c":
                        formula = element.find(f"{_SPREADSHEET}f")
                        if formula is not None and element.find(f"{_SPREADSHEET}v") is None:
                            cells.append(element.get("r", "?"))
                    elif element.tag == f"{_SPREADSHEET}row":
                        element.clear()
    except (zipfile.BadZipFile, KeyError, ElementTree.ParseError, OSError, ValueError):
        return None
    return (first.get("name", "?"), cells) if cells else None


def _check_first_sheet(raw: bytes, columns: Sequence[str]) -> None:
    """Reject a workbook whose first sheet is not the table: row 1 has none of the feed's
    columns, or lacks some while another sheet has them all."""
    import fastexcel

    try:
        reader = fastexcel.read_excel(raw)
        names = reader.sheet_names

        def header(index: int) -> set[str]:
            sheet = reader.load_sheet(index, n_rows=0)
            return {str(column.name).strip() for column in sheet.available_columns()}

        first = header(0) if names else set()
    except Exception as error:  # fastexcel raises its own exception types
        raise FileRejected("unreadable", f"not a readable XLSX: {first_line(error)}") from None
    wanted = set(columns)
    if wanted <= first:
        return
    holding = [name for index, name in enumerate(names[1:], start=1) if wanted <= header(index)]
    if holding:
        raise FileRejected(
            "sheet",
            f"the first sheet {names[0]!r} is not the table (row 1 lacks "
            f"{', '.join(sorted(wanted - first))}); the table is on sheet "
            f"{', '.join(repr(name) for name in holding)}: the contract reads the header on "
            "row 1 of the first sheet",
        )
    if not wanted & first:
        raise FileRejected(
            "sheet",
            f"the first sheet {names[0] if names else ''!r} is not the table: its row 1 has none "
            f"of the columns ({', '.join(columns)}); sheets: "
            f"{', '.join(repr(name) for name in names)}",
        )


def read_parquet_typed(path: Path, data: bytes | None = None) -> pl.DataFrame:
    """Parquet keeps its column types; ``check_parquet_types`` holds them to the contract's."""
    try:
        return pl.read_parquet(path if data is None else io.BytesIO(data))
    except Exception as error:
        raise FileRejected(
            "unreadable", f"not a readable Parquet file: {first_line(error)}"
        ) from None


# A contract column's stored type (the feed spec's: text unless typed) → the Parquet column
# types it accepts, as polars reads them, and what the rejection calls it.
PARQUET_TYPES: dict[str, tuple[str, object]] = {
    "varchar": ("text (String)", lambda dtype: dtype in (pl.String, pl.Categorical, pl.Enum)),
    "date": ("a date (Date)", lambda dtype: dtype == pl.Date),
    "double": ("a number (Float64)", lambda dtype: dtype.is_numeric()),
    "bigint": ("a whole number (Int64)", lambda dtype: dtype.is_integer()),
}


def check_parquet_types(frame: pl.DataFrame, stored: dict[str, str]) -> pl.DataFrame:
    """Reject a Parquet file whose columns do not hold the contract's types (``stored``: column
    → its stored type), naming each column, its type and the one expected; text held as a
    category becomes text. A column of nulls only (type Null) fits any type."""
    wrong = []
    for column, kind in stored.items():
        if column not in frame.columns or frame.schema[column] == pl.Null:
            continue
        expected, accepts = PARQUET_TYPES[kind]
        if not accepts(frame.schema[column]):
            wrong.append(f"column {column} is {frame.schema[column]}, expected {expected}")
    if wrong:
        raise FileRejected("column_types", "; ".join(wrong))
    return frame.with_columns(
        pl.col(column).cast(pl.String)
        for column, kind in stored.items()
        if kind == "varchar" and column in frame.columns and frame.schema[column] != pl.String
    )


def read_delivery(
    path: Path,
    types: dict[str, pl.DataType] | None = None,
    data: bytes | None = None,
    columns: Sequence[str] = (),
    stored: dict[str, str] | None = None,
) -> tuple[pl.DataFrame, str]:
    """Read a delivered file (CSV and XLSX as text, Parquet typed); returns it and its encoding.

    ``data`` is the file's bytes when the caller has read them already (to checksum them): the
    frame is then parsed from exactly the bytes that were checksummed. ``columns`` are the
    feed's required columns (an XLSX's first sheet must hold them), ``stored`` each column's
    stored type (a Parquet file's columns must hold them)."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        frame, encoding = read_csv_text(path, types, data)
    elif suffix == ".xlsx":
        frame, encoding = read_xlsx_text(path, data, columns), "xlsx"
    elif suffix == ".parquet":
        frame, encoding = read_parquet_typed(path, data), "parquet"
    else:
        raise FileRejected("format", f"unsupported file type {suffix!r} (csv, xlsx, parquet)")
    frame = frame.rename({column: column.strip() for column in frame.columns})
    if suffix == ".parquet" and stored:
        frame = check_parquet_types(frame, stored)
    if frame.height == 0:
        raise FileRejected("empty", "the file has a header but no rows")
    return frame, encoding


def first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
