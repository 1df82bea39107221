"""Dagster resources: the DuckDB warehouse (one writer at a time) and the platform settings."""

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import duckdb

# Every asset and check that opens the warehouse runs in this pool; the instance gives it one
# slot (see orchestration/instance.py), so parallel steps queue instead of failing on the lock.
WAREHOUSE_POOL = "duckdb_warehouse"

LOCK_MESSAGES = ("Could not set lock", "Conflicting lock")


@contextmanager
def open_warehouse(path: Path, *, attempts: int = 30, wait_seconds: float = 1.0):
    """Open the warehouse for writing, waiting while another process holds its lock."""
    path.parent.mkdir(parents=True, exist_ok=True)
    for attempt in range(1, attempts + 1):
        try:
            con = duckdb.connect(str(path))
            break
        except duckdb.IOException as error:
            if attempt == attempts or not any(m in str(error) for m in LOCK_MESSAGES):
                raise
            time.sleep(wait_seconds)
    try:
        yield con
    finally:
        con.close()


class WarehouseResource(dg.ConfigurableResource):
    """The DuckDB warehouse file of the configured EMISSIONS_HOME."""

    path: str

    @contextmanager
    def connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        with open_warehouse(Path(self.path)) as con:
            yield con


class PlatformPaths(dg.ConfigurableResource):
    """Folders of the configured EMISSIONS_HOME that the assets read and write."""

    home: str
    landing_dir: str
    published_dir: str
    site_dir: str
    keep_releases: int = 5

    @property
    def archive_dir(self) -> Path:
        return Path(self.home) / "archive"

    @property
    def rejected_dir(self) -> Path:
        return Path(self.home) / "rejected"
