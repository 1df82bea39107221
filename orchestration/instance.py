"""The Dagster instance under EMISSIONS_HOME: its dagster.yaml gives the warehouse pool one slot.

A run whose process is killed keeps its slot until something frees it: `emissions run` does,
before it starts and while it waits (orchestration/recovery.py). Dagster's run monitoring is not
configured: it runs in the daemon and detects dead run workers only through a run launcher that
can check them, which neither the default launcher nor in-process runs offer.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from orchestration.resources import WAREHOUSE_POOL

INSTANCE_CONFIG = {
    "concurrency": {
        # Every pool (the warehouse writers' `duckdb_warehouse` among them) runs one step at a
        # time across all runs, so a second writer waits for the first instead of failing.
        "pools": {"default_limit": 1, "granularity": "op"},
    },
    "telemetry": {"enabled": False},
    "nux": {"enabled": False},
}


def ensure_instance(dagster_home: Path) -> Path:
    """Write dagster.yaml into DAGSTER_HOME unless the operator wrote their own."""
    dagster_home.mkdir(parents=True, exist_ok=True)
    config_path = dagster_home / "dagster.yaml"
    if not config_path.exists():
        header = (
            "# Written by `emissions`: the instance of this EMISSIONS_HOME.\n"
            f"# Pool `{WAREHOUSE_POOL}` (all warehouse writers) has one slot.\n"
        )
        config_path.write_text(header + yaml.safe_dump(INSTANCE_CONFIG, sort_keys=False))
    return config_path
