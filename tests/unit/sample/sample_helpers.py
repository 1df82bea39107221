"""Helpers of the sample tests: read any delivered file, read a project seed."""

from __future__ import annotations

import io
from pathlib import Path

import polars as pl

from reference import SEEDS_DIR, read_seed

REPO = Path(__file__).resolve().parents[3]
SEEDS = SEEDS_DIR


def read_any(path: Path) -> pl.DataFrame:
    """Read a delivered file as all-text columns (CSV in UTF-8, UTF-8-BOM or GB18030, XLSX)."""
    if path.suffix == ".parquet":
        return pl.read_parquet(path)
    if path.suffix == ".xlsx":
        frame = pl.read_excel(path, sheet_id=1, infer_schema_length=0)
        return frame.with_columns(pl.all().cast(pl.String))
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("gb18030")
    return pl.read_csv(io.BytesIO(text.encode()), infer_schema=False)


def seed(name: str) -> pl.DataFrame:
    return read_seed(name)
