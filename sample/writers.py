"""Deterministic file writers: CSV (UTF-8, UTF-8 with BOM, GB18030), XLSX and Parquet.

The same frame always gives the same bytes: no timestamps in content, fixed XLSX
document properties (xlsxwriter also pins the zip entries' dates), Parquet written by
polars with fixed row groups.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import xlsxwriter

UTF8_BOM = b"\xef\xbb\xbf"
# The XLSX creation date written into docProps/core.xml: fixed for reproducible bytes.
XLSX_CREATED = dt.datetime(2000, 1, 1)


def write_csv(
    frame: pl.DataFrame, path: Path, *, encoding: str = "utf-8", crlf: bool = False
) -> int:
    """Write ``frame`` as CSV in ``encoding`` (utf-8, utf-8-sig or gb18030); returns bytes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = frame.write_csv(line_terminator="\r\n" if crlf else "\n", null_value="")
    if encoding == "utf-8":
        data = text.encode("utf-8")
    elif encoding == "utf-8-sig":
        data = UTF8_BOM + text.encode("utf-8")
    elif encoding == "gb18030":
        data = text.encode("gb18030")
    else:
        raise ValueError(f"unsupported encoding {encoding!r}")
    path.write_bytes(data)
    return len(data)


def write_xlsx(frame: pl.DataFrame, path: Path, *, sheet_name: str = "Sheet1") -> int:
    """Write ``frame`` to the first sheet of an XLSX, header on row 1; returns bytes.

    String columns are written as text cells (codes keep their leading digits), numeric
    columns as numbers, nulls as empty cells.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False})
    workbook.set_properties({"created": XLSX_CREATED, "author": "", "company": ""})
    sheet = workbook.add_worksheet(sheet_name)
    sheet.write_row(0, 0, frame.columns)
    for column_index, column in enumerate(frame.columns):
        series = frame[column]
        numeric = series.dtype.is_numeric()
        for row_index, value in enumerate(series.to_list(), start=1):
            if value is None:
                continue
            if numeric:
                sheet.write_number(row_index, column_index, value)
            else:
                sheet.write_string(row_index, column_index, str(value))
    workbook.close()
    return path.stat().st_size


def write_parquet(frame: pl.DataFrame, path: Path) -> int:
    """Write a frame as zstd Parquet (one row group, statistics on); returns bytes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.write_parquet(path, compression="zstd", statistics=True, row_group_size=1 << 22)
    return path.stat().st_size
