"""The project's reference data, read from one place: the dbt seeds (code lists, factors).

Every code list of the data contract (products, energy uses, fuel types, regions, …) and every
factor lives in one seed under ``dbt_project/seeds`` with its source. dbt loads them into the
warehouse's ``reference`` schema; Python code (ingest rules, the sample world, benchmarks,
generated documentation) reads the same files through this module, so a code is added in one
place only.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import polars as pl

SEEDS_DIR = Path(__file__).resolve().parents[1] / "dbt_project" / "seeds"


def seed_path(name: str, seeds_dir: Path | None = None) -> Path:
    """The CSV file of seed ``name`` (``ref_products`` → ``dbt_project/seeds/ref_products.csv``)."""
    path = (seeds_dir or SEEDS_DIR) / f"{name.removesuffix('.csv')}.csv"
    if not path.exists():
        raise FileNotFoundError(f"reference seed {path} is missing")
    return path


def read_seed(name: str, seeds_dir: Path | None = None) -> pl.DataFrame:
    """The seed as delivered, every column text, rows in file order."""
    return _read(seed_path(name, seeds_dir))


@cache
def _read(path: Path) -> pl.DataFrame:
    return pl.read_csv(path, infer_schema=False)


def codes(name: str, column: str | None = None, seeds_dir: Path | None = None) -> tuple[str, ...]:
    """The values of a seed's key column (its first, unless named), in file order."""
    frame = read_seed(name, seeds_dir)
    return tuple(frame[column or frame.columns[0]].to_list())


def flagged(
    name: str, flag: str, column: str | None = None, seeds_dir: Path | None = None
) -> tuple[str, ...]:
    """The codes of the rows whose boolean column ``flag`` is true, in file order."""
    frame = read_seed(name, seeds_dir)
    key = column or frame.columns[0]
    return tuple(frame.filter(pl.col(flag).str.to_lowercase() == "true")[key].to_list())


def mapping(
    name: str, value: str, column: str | None = None, seeds_dir: Path | None = None
) -> dict[str, str]:
    """Code → the text of another column, in file order (e.g. product → industry code)."""
    frame = read_seed(name, seeds_dir)
    key = column or frame.columns[0]
    return dict(zip(frame[key].to_list(), frame[value].to_list(), strict=True))
