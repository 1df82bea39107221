"""Write–audit–publish: a gated table becomes a new Parquet release, switched in atomically.

A release is written aside, renamed into ``published/.releases/<table>/<release_id>/``, and
``published/<table>`` is switched to it by one rename of a link; old releases are pruned and the
readers' catalog rebuilt (publish.catalog). The folder's names are those of publish.layout.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import jinja2

from publish.catalog import write_catalog
from publish.layout import (
    DICTIONARY_JSON_FILE,
    DICTIONARY_MARKDOWN_FILE,
    GATE_REPORT_FILE,
    MANIFEST_FILE,
    RELEASES_FOLDER,
    is_hidden,
    staging_folder,
    switching_link,
)
from publish.tables import PublishedTable


class PublishError(RuntimeError):
    """The mart cannot be published as it stands; the message says which table and why."""


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
    """Write the table's source relation as a new release and switch ``published/<table>`` to it.

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
    staging = staging_folder(releases_dir, release_id)
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
        "source_model": table.relation,
        "source_relation": source,
        "row_count": total_rows,
        "files": file_entries,
        "gate_results": gate_results,
        "description": {"zh": table.description_zh, "en": table.description_en},
    }
    (staging / MANIFEST_FILE).write_text(
        json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8"
    )
    write_data_dictionary(staging, table)
    write_gate_report(staging, manifest)
    _fsync_tree(staging)
    os.replace(staging, final)
    switch_current(published_dir, table.name, final)
    prune_releases(published_dir, table.name, keep_releases)
    write_catalog(published_dir)
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
    (folder / DICTIONARY_MARKDOWN_FILE).write_text("\n".join(lines) + "\n", encoding="utf-8")
    (folder / DICTIONARY_JSON_FILE).write_text(
        json.dumps([asdict(c) for c in table.columns], ensure_ascii=False, indent=2),
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
    (folder / GATE_REPORT_FILE).write_text(html, encoding="utf-8")


def switch_current(published_dir: Path, table: str, release: Path) -> None:
    link = published_dir / table
    if link.exists() and not link.is_symlink():
        raise PublishError(f"{link} is a real folder, not a release link: move it away first")
    temporary = switching_link(published_dir, table)
    if temporary.is_symlink() or temporary.exists():
        temporary.unlink()
    temporary.symlink_to(release.relative_to(published_dir))
    os.replace(temporary, link)


def current_release(published_dir: Path, table: str) -> Path | None:
    link = published_dir / table
    return link.resolve() if link.is_symlink() else None


def prune_releases(published_dir: Path, table: str, keep: int) -> list[Path]:
    releases_dir = published_dir / RELEASES_FOLDER / table
    current = current_release(published_dir, table)
    releases = sorted(p for p in releases_dir.iterdir() if p.is_dir() and not is_hidden(p.name))
    removed = []
    for old in releases[: max(0, len(releases) - keep)]:
        if current is not None and old.resolve() == current:
            continue
        shutil.rmtree(old)
        removed.append(old)
    for partial in releases_dir.glob(staging_folder(releases_dir, "*").name):
        shutil.rmtree(partial, ignore_errors=True)
    return removed


def _fsync_tree(folder: Path) -> None:
    for path in folder.rglob("*"):
        if path.is_file():
            with path.open("rb") as handle:
                os.fsync(handle.fileno())
