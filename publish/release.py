"""Write–audit–publish: a checked mart becomes a new Parquet release, switched in atomically."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import jinja2
import yaml
from dagster import AssetKey

PUBLISHED_TABLES_FILE = Path(__file__).resolve().parents[1] / "quality" / "published_tables.yml"
RELEASES_FOLDER = ".releases"


class PublishError(RuntimeError):
    """The mart cannot be published as it stands; the message says which table and why."""


@dataclass(frozen=True)
class ColumnDoc:
    name: str
    zh: str
    en: str
    unit: str


@dataclass(frozen=True)
class PublishedTable:
    name: str
    model: str
    suite: str
    description_zh: str
    description_en: str
    columns: tuple[ColumnDoc, ...]
    disclosure: dict[str, Any] | None = None  # the raw `disclosure` mapping (disclosure/)

    @property
    def source_relation(self) -> str:
        """What is gated and published: the mart, or ``disclosure.<name>`` (its suppressed
        cells null) when the table suppresses."""
        return f"disclosure.{self.name}" if self.disclosure else self.model

    @property
    def gated_asset_key(self) -> AssetKey:
        """The asset whose output is gated: the mart's dbt asset, or ``disclosure_<name>``."""
        if self.disclosure:
            return AssetKey(f"disclosure_{self.name}")
        return AssetKey(self.model.split(".")[-1])


def published_tables(path: Path = PUBLISHED_TABLES_FILE) -> dict[str, PublishedTable]:
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    return {
        name: PublishedTable(
            name=name,
            model=entry["model"],
            suite=entry["suite"],
            description_zh=entry.get("description_zh", ""),
            description_en=entry.get("description_en", ""),
            columns=tuple(ColumnDoc(**column) for column in entry["columns"]),
            disclosure=entry.get("disclosure"),
        )
        for name, entry in document.items()
    }


@dataclass(frozen=True)
class Release:
    table: str
    release_id: str
    path: Path
    row_count: int
    manifest: dict[str, Any]


def git_revision(repo: Path) -> str | None:
    try:
        completed = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True, text=True, check=False
        )
    except OSError:
        return None
    return completed.stdout.strip() or None if completed.returncode == 0 else None


def new_release_id(now: datetime | None = None) -> str:
    now = now or datetime.now(UTC)
    return now.strftime("%Y%m%dT%H%M%S%fZ")


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def publish_table(
    con: duckdb.DuckDBPyConnection,
    table: PublishedTable,
    published_dir: Path,
    *,
    gate_results: list[dict[str, Any]],
    keep_releases: int,
    git_rev: str | None = None,
    release_id: str | None = None,
) -> Release:
    """Write the mart as a new release folder and switch ``published/<table>`` to it.

    The switch is one ``rename`` of a symlink, so a reader (or a run killed at any moment)
    sees either the previous release whole or the new one whole.
    """
    failed = [result for result in gate_results if not result.get("success")]
    if failed:
        raise PublishError(f"{table.name}: quality gate failed, not publishing")
    source = table.source_relation
    available = [row[0] for row in con.execute(f"select * from {source} limit 0").description]
    missing = [c.name for c in table.columns if c.name not in available]
    if missing:
        raise PublishError(f"{table.name}: {source} lacks column(s) {', '.join(missing)}")
    release_id = release_id or new_release_id()
    releases_dir = published_dir / RELEASES_FOLDER / table.name
    final = releases_dir / release_id
    staging = releases_dir / f".{release_id}.partial"
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir(parents=True)
    columns = ", ".join(f'"{c.name}"' for c in table.columns)
    con.execute(
        f"copy (select {columns} from {source} order by all) to '{staging}' "
        "(format parquet, compression zstd, partition_by (year), filename_pattern 'part_{i}')"
    )
    files = sorted(p for p in staging.rglob("*.parquet"))
    file_entries = []
    total_rows = 0
    for path in files:
        rows = con.execute(f"select count(*) from read_parquet('{path}')").fetchone()[0]
        total_rows += rows
        file_entries.append(
            {
                "path": path.relative_to(staging).as_posix(),
                "rows": rows,
                "bytes": path.stat().st_size,
                "sha256": sha256_file(path),
            }
        )
    manifest = {
        "table": table.name,
        "release_id": release_id,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "git_revision": git_rev,
        "source_model": source,
        "row_count": total_rows,
        "files": file_entries,
        "gate_results": gate_results,
        "description": {"zh": table.description_zh, "en": table.description_en},
    }
    (staging / "manifest.json").write_text(
        json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8"
    )
    write_data_dictionary(staging, table)
    write_gate_report(staging, manifest)
    _fsync_tree(staging)
    os.replace(staging, final)
    switch_current(published_dir, table.name, final)
    prune_releases(published_dir, table.name, keep_releases)
    write_reader_catalog(published_dir)
    return Release(table.name, release_id, final, total_rows, manifest)


def write_data_dictionary(folder: Path, table: PublishedTable) -> None:
    lines = [
        f"# {table.name}",
        "",
        f"{table.description_zh} / {table.description_en}",
        "",
        "| column | 含义 | meaning | unit |",
        "|---|---|---|---|",
    ]
    lines += [f"| {c.name} | {c.zh} | {c.en} | {c.unit} |" for c in table.columns]
    (folder / "data_dictionary.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (folder / "data_dictionary.json").write_text(
        json.dumps([c.__dict__ for c in table.columns], ensure_ascii=False, indent=2),
        encoding="utf-8",
    )


def write_gate_report(folder: Path, manifest: dict[str, Any]) -> None:
    """The gate results as one self-contained HTML page (no scripts, nothing from the internet)."""
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(Path(__file__).resolve().parent / "templates"),
        autoescape=True,
    )
    environment.policies["json.dumps_kwargs"] = {"ensure_ascii": False, "sort_keys": True}
    html = environment.get_template("gate_report.html.j2").render(
        table=manifest["table"],
        release_id=manifest["release_id"],
        created_at=manifest["created_at"],
        success=all(gate.get("success") for gate in manifest["gate_results"]),
        gates=manifest["gate_results"],
    )
    (folder / "quality_report.html").write_text(html, encoding="utf-8")


def switch_current(published_dir: Path, table: str, release: Path) -> None:
    link = published_dir / table
    if link.exists() and not link.is_symlink():
        raise PublishError(f"{link} is a real folder, not a release link: move it away first")
    temporary = published_dir / f".{table}.switching"
    if temporary.is_symlink() or temporary.exists():
        temporary.unlink()
    temporary.symlink_to(release.relative_to(published_dir))
    os.replace(temporary, link)


CATALOG_FILE = "catalog.duckdb"


def published_table_names(published_dir: Path) -> list[str]:
    return sorted(
        link.name for link in published_dir.iterdir() if link.is_symlink() and link.is_dir()
    )


def write_reader_catalog(published_dir: Path) -> Path:
    """A small DuckDB file of views over the current releases, for statisticians' SQL.

    It is a separate file from the warehouse, so readers never wait for (or block) the run that
    writes the warehouse; its views read ``published/<table>/``, the link that each publish
    switches atomically, so a query sees a whole release, old or new. The file itself is
    rebuilt aside and renamed into place.
    """
    target = published_dir / CATALOG_FILE
    building = published_dir / f".{CATALOG_FILE}.building"
    building.unlink(missing_ok=True)
    con = duckdb.connect(str(building))
    try:
        for name in published_table_names(published_dir):
            if not any((published_dir / name).glob("year=*/*.parquet")):
                continue  # an empty release (e.g. no carbon-market year yet): no view
            files = (published_dir / name).as_posix() + "/year=*/*.parquet"
            # year as a real column, not a Hive partition column: DuckDB 2.0 fails window
            # functions partitioned by a partition column.
            con.execute(
                f"create view {name} as select * replace (cast(year as integer) as year) from "
                f"read_parquet('{files}', hive_partitioning = true, union_by_name = true)"
            )
            dictionary = published_dir / name / "data_dictionary.json"
            if dictionary.exists():
                description = json.loads(dictionary.read_text(encoding="utf-8"))
                for column in description:
                    comment = f"{column['zh']} / {column['en']}" + (
                        f" [{column['unit']}]" if column["unit"] else ""
                    )
                    con.execute(
                        f'comment on column {name}."{column["name"]}" is '
                        + "'"
                        + comment.replace("'", "''")
                        + "'"
                    )
    finally:
        con.close()
    os.replace(building, target)
    return target


def current_release(published_dir: Path, table: str) -> Path | None:
    link = published_dir / table
    return link.resolve() if link.is_symlink() else None


def prune_releases(published_dir: Path, table: str, keep: int) -> list[Path]:
    releases_dir = published_dir / RELEASES_FOLDER / table
    current = current_release(published_dir, table)
    releases = sorted(
        p for p in releases_dir.iterdir() if p.is_dir() and not p.name.startswith(".")
    )
    removed = []
    for old in releases[: max(0, len(releases) - keep)]:
        if current is not None and old.resolve() == current:
            continue
        shutil.rmtree(old)
        removed.append(old)
    for partial in releases_dir.glob(".*.partial"):
        shutil.rmtree(partial, ignore_errors=True)
    return removed


def _fsync_tree(folder: Path) -> None:
    for path in folder.rglob("*"):
        if path.is_file():
            with path.open("rb") as handle:
                os.fsync(handle.fileno())
