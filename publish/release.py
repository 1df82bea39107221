"""Write–audit–publish: a gated table becomes a new Parquet release, switched in atomically.

A release is written aside, renamed into ``published/.releases/<table>/<release_id>/``, and
``published/<table>`` becomes a real folder of its files (hard links), exchanged for the previous
one in one atomic step (Linux ``renameat2(RENAME_EXCHANGE)``); old releases are pruned and the
readers' catalog and data package rebuilt (publish.catalog). The folder's names are those of
publish.layout.
"""

from __future__ import annotations

import ctypes
import errno
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
    current_release,
    is_hidden,
    releases_folder,
    staging_folder,
    switching_folder,
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

    The switch is one atomic exchange of ``published/<table>`` with a folder of the release's
    files made beside it, so a reader (or a run killed at any moment) sees either the previous
    release whole or the new one whole. Amounts (DECIMAL in the warehouse) are written as
    doubles, which every reader maps to a number (see ``published_select``).
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
    releases_dir = releases_folder(published_dir, table.name)
    final = releases_dir / release_id
    staging = staging_folder(releases_dir, release_id)
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir(parents=True)
    columns, amounts = published_select(con, table)
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
        # The columns published as doubles, with the decimal places of their warehouse type:
        # cast(value as decimal(38, places)) gives the warehouse's value back exactly.
        "amount_columns": amounts,
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


# Doubles hold 15 significant decimal digits: an amount with 6 decimal places is exact below
# 10**9 (a billion tonnes); beyond, publishing refuses the table rather than round it.
EXACT_DOUBLE_DIGITS = 15


def published_select(
    con: duckdb.DuckDBPyConnection, table: PublishedTable
) -> tuple[str, dict[str, int]]:
    """The select list of a release and its amount columns (name → decimal places).

    The warehouse keeps amounts as DECIMAL (exact sums); Parquet's DECIMAL reaches pandas as
    Python ``Decimal`` objects (dtype object) and some readers not at all, so each is written
    as a DOUBLE, the warehouse's value rounded to its places, which every reader maps to a
    number. A value with more than 15 significant digits would not come back exactly: the
    table is refused, naming the column."""
    kinds = dict(
        con.execute(
            f"select column_name, column_type from (describe {table.source_relation})"
        ).fetchall()
    )
    selected, amounts = [], {}
    for column in table.columns:
        quoted = '"' + column.name.replace('"', '""') + '"'
        kind = kinds.get(column.name, "")
        if kind.upper().startswith("DECIMAL("):
            amounts[column.name] = int(kind.rstrip(")").split(",")[1])
            selected.append(f"cast({quoted} as double) as {quoted}")
        else:
            selected.append(quoted)
    if amounts:  # the largest value of every amount column, in one scan
        names = list(amounts)
        largest = con.execute(
            "select "
            + ", ".join('max(abs("' + name.replace('"', '""') + '"))' for name in names)
            + f" from {table.source_relation}"
        ).fetchone()
        for name, value in zip(names, largest, strict=True):
            bound = 10 ** (EXACT_DOUBLE_DIGITS - amounts[name])
            if value is not None and value >= bound:
                raise PublishError(
                    f"{table.name}: column {name} holds {value}, more than a double keeps "
                    f"exactly with {amounts[name]} decimal places "
                    f"(below 10^{EXACT_DOUBLE_DIGITS - amounts[name]})"
                )
    return ", ".join(selected), amounts


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


# renameat2(2)'s flag that swaps two paths atomically (Linux 3.15, glibc 2.28).
RENAME_EXCHANGE = 2
AT_FDCWD = -100


def exchange_paths(first: Path, second: Path) -> bool:
    """Swap ``first`` and ``second`` in one atomic step; False where the system cannot (then
    nothing has moved)."""
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return False
    result = renameat2(AT_FDCWD, os.fsencode(first), AT_FDCWD, os.fsencode(second), RENAME_EXCHANGE)
    if result == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, errno.EPERM):
        return False
    raise OSError(code, f"cannot exchange {first} and {second}: {os.strerror(code)}")


def _remove(path: Path) -> None:
    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.exists():
        shutil.rmtree(path)


def _link_tree(release: Path, folder: Path) -> None:
    """``folder``: the release's files as hard links (copies across file systems)."""
    for source in sorted(release.rglob("*")):
        target = folder / source.relative_to(release)
        if source.is_dir():
            target.mkdir(parents=True, exist_ok=True)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(source, target)
        except OSError:
            shutil.copy2(source, target)


def switch_current(published_dir: Path, table: str, release: Path) -> None:
    """Make ``published/<table>`` a real folder of ``release``'s files, atomically.

    The new folder is made beside it (hidden), then exchanged with the current one (a folder,
    or the link of an older layout) and the old one removed. Where the file system cannot
    exchange two names, the current folder is renamed aside and the new one renamed in: two
    renames, between which the table is briefly missing (never half of either release)."""
    current = published_dir / table
    if (
        current.is_dir()
        and not current.is_symlink()
        and current_release(published_dir, table) is None
    ):
        raise PublishError(
            f"{current} is a folder that shows no release of {table} (no {MANIFEST_FILE} naming "
            "a kept release): not replacing it, move it away first"
        )
    switching = switching_folder(published_dir, table)
    _remove(switching)  # left by a run killed while it switched
    _link_tree(release, switching)
    _fsync_tree(switching)
    if not (current.exists() or current.is_symlink()):
        os.replace(switching, current)
    elif not exchange_paths(switching, current):
        retired = switching.with_name(switching.name + ".old")
        _remove(retired)
        os.replace(current, retired)
        os.replace(switching, current)
        switching = retired
    _remove(switching)


def prune_releases(published_dir: Path, table: str, keep: int) -> list[Path]:
    releases_dir = releases_folder(published_dir, table)
    current = current_release(published_dir, table)
    releases = sorted(p for p in releases_dir.iterdir() if p.is_dir() and not is_hidden(p.name))
    removed = []
    for old in releases[: max(0, len(releases) - keep)]:
        if current is not None and old.resolve() == current.resolve():
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
