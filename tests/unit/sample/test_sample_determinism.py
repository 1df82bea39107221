"""Same seed, same bytes (CSV, XLSX and Parquet alike); another seed, other bytes."""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path

from sample import generate_landing_zone

ARGS = {"first_year": 2024, "as_of": date(2025, 12, 31), "daily_days": 5}


def digests(root: Path) -> dict[str, str]:
    return {
        path.relative_to(root).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def test_same_seed_gives_identical_bytes_and_another_seed_does_not(tmp_path):
    first = generate_landing_zone(tmp_path / "a", seed=11, **ARGS)
    generate_landing_zone(tmp_path / "b", seed=11, **ARGS)
    generate_landing_zone(tmp_path / "c", seed=12, **ARGS)
    a, b, c = (digests(tmp_path / name) for name in "abc")
    assert len(a) == first.total_files
    assert {Path(name).suffix for name in a} == {".csv", ".xlsx", ".parquet"}
    assert a == b
    assert a.keys() == c.keys()
    different = {name for name in a if a[name] != c[name]}
    # Everything drawn at random differs; only the published grid factors are the same.
    assert different == {name for name in a if not name.startswith("factors/grid/")}
    assert len(different) > 50
    # No clock and no machine in the content.
    for path in (tmp_path / "a").rglob("*.csv"):
        raw = path.read_bytes()
        assert str(tmp_path).encode() not in raw
        assert b"T00:" not in raw and b"UTC" not in raw
