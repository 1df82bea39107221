"""Dagster resources: the DuckDB warehouse (one writer at a time) and the platform settings."""

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import dagster as dg
import duckdb

from orchestration.recovery import (
    describe_lock_holder,
    lock_holder,
    orphan_dbt_of,
    stop_orphan_dbt,
)

# Every asset and check that opens the warehouse runs in this pool; the instance gives it one
# slot (see orchestration/instance.py), so parallel steps queue instead of failing on the lock.
WAREHOUSE_POOL = "duckdb_warehouse"

LOCK_MESSAGES = ("Could not set lock", "Conflicting lock")


class WarehouseLocked(RuntimeError):
    """Another process kept the warehouse's DuckDB lock for as long as a writer waits."""


def _to_stderr(line: str) -> None:
    print(f"  {line}", file=sys.stderr, flush=True)


@contextmanager
def open_warehouse(
    path: Path,
    *,
    attempts: int = 30,
    wait_seconds: float = 1.0,
    notice: Callable[[str], None] = _to_stderr,
):
    """Open the warehouse for writing, waiting while another process holds its lock.

    A wait says so in one line, naming the holder DuckDB names (and again only if the holder
    changes); a dbt orphaned by a killed run is stopped instead of waited for; after
    ``attempts`` tries, WarehouseLocked names the holder.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    waiting_since: float | None = None
    told: object = None
    for attempt in range(1, attempts + 1):
        try:
            con = duckdb.connect(str(path))
            break
        except duckdb.IOException as error:
            message = str(error)
            if not any(m in message for m in LOCK_MESSAGES):
                raise
            holder = lock_holder(message)
            if holder is not None and orphan_dbt_of(holder[0], path):
                stop_orphan_dbt(path, notice)
                continue
            waiting_since = waiting_since or time.time()
            described = describe_lock_holder(message)
            if attempt == attempts:
                raise WarehouseLocked(
                    f"the warehouse {path} is still locked by {described} after "
                    f"{time.time() - waiting_since:.0f} s"
                ) from error
            if holder != told:
                since = datetime.fromtimestamp(waiting_since).strftime("%H:%M:%S")
                notice(
                    f"waiting for the warehouse lock ({path}): held by {described} since {since}"
                )
                told = holder
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
