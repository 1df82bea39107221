"""Bookkeeping of what a sample generation wrote: files, rows and bytes per feed."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Recorder:
    """Counts files, rows and bytes per feed (``stats/energy_consumption`` etc.)."""

    out_dir: Path
    files: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    rows: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    bytes: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def path(self, feed: str, file_name: str) -> Path:
        return self.out_dir / feed / file_name

    def record(self, feed: str, rows: int, size: int) -> None:
        self.files[feed] += 1
        self.rows[feed] += rows
        self.bytes[feed] += size
