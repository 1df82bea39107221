"""The names of the published folder, in one place: what every reader reads and what it skips.

Each release of a table is written once to ``published/.releases/<table>/<release_id>/``, a
folder of Hive-style ``year=YYYY/`` Parquet partitions beside the release's metadata, and never
changed. ``published/<table>`` is a real folder (no symbolic link: zip files, Windows shares and
copies carry it as it is) holding the current release's files as hard links (copies where the
file system has none), exchanged for the previous one in one atomic step. The metadata files
start with ``_`` and everything half-made (a release being written, a folder being switched, a
catalog being built) with ``.``: pandas, pyarrow, DuckDB's ``**/*.parquet`` glob and Spark skip
both by convention, so ``pandas.read_parquet(published/<table>)`` reads the table as it is.
"""

from __future__ import annotations

import json
from pathlib import Path

RELEASES_FOLDER = ".releases"
CATALOG_FILE = "catalog.duckdb"
# The Frictionless data package of the published folder: every current table as a resource.
DATAPACKAGE_FILE = "datapackage.json"

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


def switching_folder(published_dir: Path, table: str) -> Path:
    """The new ``published/<table>`` while it is made beside it; after the exchange, the old one
    until it is removed."""
    return published_dir / f".{table}.switching"


def building_catalog(published_dir: Path) -> Path:
    """The readers' catalog while it is built, then renamed over ``catalog.duckdb``."""
    return published_dir / f".{CATALOG_FILE}.building"


def releases_folder(published_dir: Path, table: str) -> Path:
    """Where every release of ``table`` is kept, one folder per release id."""
    return published_dir / RELEASES_FOLDER / table


def current_release(published_dir: Path, table: str) -> Path | None:
    """The release folder (under ``.releases``) that ``published/<table>`` shows: the one its
    manifest names (or, in the layout before real folders, the one its link points to)."""
    current = Path(published_dir) / table
    if current.is_symlink():
        return current.resolve()
    manifest = current / MANIFEST_FILE
    if not manifest.is_file():
        return None
    try:
        release_id = json.loads(manifest.read_text(encoding="utf-8")).get("release_id")
    except ValueError as error:
        raise ValueError(f"{manifest}: not a JSON manifest ({error})") from None
    folder = releases_folder(Path(published_dir), table) / str(release_id)
    return folder if release_id and folder.is_dir() else None
