"""Finding a feed's delivered files in the landing zone, and moving rejected ones out of it.

The path down to a feed's folder (``landing/stats/gdp``) is the operator's configuration and
may hold links or folders starting with a dot (``~/.cache/…``). Below the feed folder every
entry is a delivery: a symbolic link (to a file or a folder) is never followed nor its target
read, a hidden file (a part of its path below the feed folder starts with ``.``) is never
loaded, and neither is anything that is not a regular file (a FIFO could block the reader).
"""

from __future__ import annotations

import errno
import os
import shutil
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from ingest.files import FileRejected
from ingest.names import PeriodBounds
from ingest.spec import FeedSpec


@dataclass(frozen=True)
class Refused:
    """A landing-zone entry that is never read, and why. A link or a special file moves to
    rejected/ like any rejected file; a hidden file stays where it is (uploaders write
    ``.name.part`` and rename it when complete: it may be an upload in progress)."""

    path: Path
    rejection: FileRejected

    @property
    def moves(self) -> bool:
        return self.rejection.rule != "hidden_file"


def _hidden(parts: tuple[str, ...]) -> bool:
    return any(part.startswith(".") for part in parts)


def _refusal(entry: os.DirEntry, parts: tuple[str, ...]) -> FileRejected | None:
    if entry.is_symlink():
        return FileRejected(
            "symbolic_link",
            f"a symbolic link (to {os.readlink(entry.path)!r}): links are never followed, "
            "deliver the file itself",
        )
    if _hidden(parts):
        return FileRejected(
            "hidden_file",
            "a hidden file (a name below the feed folder starts with '.') is never loaded; "
            "an upload in progress is one (written as .name.part, then renamed): it stays "
            "where it is",
        )
    if not entry.is_file(follow_symlinks=False):
        return FileRejected(
            "not_a_regular_file", "not a regular file (a FIFO, socket or device): never read"
        )
    return None


def _walk(
    folder: Path, parts: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], Path, FileRejected | None]]:
    try:
        entries = list(os.scandir(folder))
    except (FileNotFoundError, NotADirectoryError):
        return
    for entry in entries:
        entry_parts = (*parts, entry.name)
        if entry.is_dir(follow_symlinks=False):
            yield from _walk(Path(entry.path), entry_parts)
        else:
            yield entry_parts, Path(entry.path), _refusal(entry, entry_parts)


def scan_feed(landing_dir: Path, spec: FeedSpec) -> tuple[list[Path], list[Refused]]:
    """The feed's regular, visible files and the entries refused without reading, each in path
    order below the feed folder (deliveries may come in sub-folders: a file is identified by its
    path)."""
    folder = landing_dir / spec.feed
    if not folder.is_dir():
        return [], []
    files, refused = [], []
    for _parts, path, refusal in sorted(_walk(folder), key=lambda found: "/".join(found[0])):
        if refusal is None:
            files.append(path)
        else:
            refused.append(Refused(path, refusal))
    return files, refused


def in_window(
    spec: FeedSpec, path: Path, window: tuple[date, date] | None, bounds: PeriodBounds | None
) -> bool:
    """Whether a run of the partitions [start, end) sees the file: if its name puts its period's
    start inside them, or if the name gives no period the run could cover (a badly named file,
    a period outside the platform's years or in the future): every run sees those, to reject
    them."""
    if window is None:
        return True
    name = spec.parse_name(path.name)
    if name is None or name.start_or_none is None:
        return True
    if bounds is not None and bounds.refusal(name, partitioned=spec.partitioning is not None):
        return True
    return window[0] <= name.start < window[1]


def delivered_files(
    landing_dir: Path,
    spec: FeedSpec,
    window: tuple[date, date] | None = None,
    bounds: PeriodBounds | None = None,
) -> list[Path]:
    """The feed's regular, visible files a run of the window sees, in path order."""
    files, _refused = scan_feed(landing_dir, spec)
    return [path for path in files if in_window(spec, path, window, bounds)]


def read_regular_file(path: Path) -> bytes:
    """The bytes of a regular file, refusing a link or a special file swapped in since the scan
    (opened without following a link, and without blocking on a FIFO)."""
    try:
        handle = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise FileRejected("symbolic_link", "a symbolic link: never followed") from None
        raise
    with os.fdopen(handle, "rb") as file:
        if not stat.S_ISREG(os.fstat(file.fileno()).st_mode):
            raise FileRejected("not_a_regular_file", "not a regular file: never read")
        return file.read()


def move_to_rejected(
    path: Path, relative: str, rejection: FileRejected, rejected_dir: Path
) -> Path:
    """Move the entry itself (a link stays a link, its target untouched) to ``rejected_dir``
    under its landing path, beside ``<name>.reason.txt``; returns where it went. Nothing already
    in rejected/ is replaced, and nothing is written through a link: a name in use gets a
    suffix ``~1``, ``~2``, …"""
    parts = relative.split("/")
    parent = rejected_dir
    parent.mkdir(parents=True, exist_ok=True)
    for part in parts[:-1]:
        parent = _free(parent, part, folder=True)
        parent.mkdir(exist_ok=True)
    target = _free(parent, parts[-1], folder=False)
    try:
        os.rename(path, target)
    except OSError as error:
        if error.errno != errno.EXDEV:
            raise
        if path.is_symlink():
            os.symlink(os.readlink(path), target)
        else:
            shutil.copy2(path, target, follow_symlinks=False)
        os.unlink(path)
    with open(_reason_file(target), "x", encoding="utf-8") as reason:
        reason.write(f"{relative}: rejected ({rejection.rule}): {rejection.reason}\n")
    return target


def _reason_file(target: Path) -> Path:
    return target.with_name(target.name + ".reason.txt")


def _free(parent: Path, name: str, *, folder: bool) -> Path:
    """``parent/name``, or ``parent/name~N`` for the first N free: a folder of ours (not a
    link) may be used again, a file's name and its reason file must both be free."""
    candidate, suffix = parent / name, 0
    while not _usable(candidate, folder):
        suffix += 1
        candidate = parent / f"{name}~{suffix}"
    return candidate


def _usable(candidate: Path, folder: bool) -> bool:
    if folder:
        return not os.path.lexists(candidate) or (candidate.is_dir() and not candidate.is_symlink())
    return not os.path.lexists(candidate) and not os.path.lexists(_reason_file(candidate))
