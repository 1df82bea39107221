"""The names of the published folder, in one place: what every reader reads and what it skips.

``published/<table>`` is a link to ``published/.releases/<table>/<release_id>/``, a folder of
Hive-style ``year=YYYY/`` Parquet partitions beside the release's metadata. The metadata files
start with ``_`` and everything half-made (a release being written, a link being switched, a
catalog being built) with ``.``: pandas, pyarrow, DuckDB's ``**/*.parquet`` glob and Spark skip
both by convention, so ``pandas.read_parquet(published/<table>)`` reads the table as it is.
"""

from __future__ import annotations

from pathlib import Path

RELEASES_FOLDER = ".releases"
CATALOG_FILE = "catalog.duckdb"

MANIFEST_FILE = "_manifest.json"
DICTIONARY_MARKDOWN_FILE = "_data_dictionary.md"
DICTIONARY_JSON_FILE = "_data_dictionary.json"
GATE_REPORT_FILE = "_quality_report.html"
METADATA_FILES = (MANIFEST_FILE, DICTIONARY_MARKDOWN_FILE, DICTIONARY_JSON_FILE, GATE_REPORT_FILE)

HIDDEN_PREFIXES = (".", "_")  # what pandas, pyarrow, Spark and Hadoop skip


def is_hidden(name: str) -> bool:
    """A name readers skip: metadata (``_…``) or something half-made (``.…``)."""
    return name.startswith(HIDDEN_PREFIXES)


def staging_folder(releases_dir: Path, release_id: str) -> Path:
    """Where a release is written before it is renamed into place (hidden from every reader)."""
    return releases_dir / f".{release_id}.partial"


def switching_link(published_dir: Path, table: str) -> Path:
    """The new link of ``published/<table>``, made beside it, then renamed over it."""
    return published_dir / f".{table}.switching"


def building_catalog(published_dir: Path) -> Path:
    """The readers' catalog while it is built, then renamed over ``catalog.duckdb``."""
    return published_dir / f".{CATALOG_FILE}.building"
