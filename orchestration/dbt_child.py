"""The dbt executable Dagster starts: the venv's dbt, made to die with the process that started it.

`emissions-dbt` (a console script of this package) asks Linux to SIGKILL it when its parent
dies (``prctl(PR_SET_PDEATHSIG)``, kept across ``execve``) and then becomes the venv's ``dbt``.
So a ``kill -9`` of ``emissions run`` during the dbt step takes dbt with it, instead of leaving
an orphan that keeps the warehouse's DuckDB lock and goes on writing. The parent's pid is kept
in the environment (``PARENT_PID_VARIABLE``): should a dbt ever outlive its parent (a parent
that died before the signal was set, a system without prctl), the next run recognises it as an
orphan of this warehouse by it (``orchestration.recovery``) and stops it.

This module imports nothing beyond the standard library: it runs before every dbt command.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

PARENT_PID_VARIABLE = "EMISSIONS_DBT_PARENT_PID"
PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def set_parent_death_signal(signal_number: int = signal.SIGKILL) -> bool:
    """Ask the kernel to send ``signal_number`` to this process when its parent dies; False
    where that is not available (not Linux)."""
    if not sys.platform.startswith("linux"):
        return False
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, signal_number, 0, 0, 0) != 0:
        error = ctypes.get_errno()
        raise OSError(error, f"prctl(PR_SET_PDEATHSIG): {os.strerror(error)}")
    return True


def pid_exists(pid: int) -> bool:
    """Whether a process ``pid`` exists (on this host), also one of another user."""
    if Path("/proc").is_dir():
        return Path(f"/proc/{pid}").exists()
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def expected_parent() -> int:
    """The process that started this one: the one named in the environment by the process
    that starts dbt (so that a parent already gone is noticed), unless that value was only
    inherited through another process (it is alive, but not the parent)."""
    parent = os.getppid()
    named = os.environ.get(PARENT_PID_VARIABLE, "")
    if named.isdigit() and int(named) != parent and not pid_exists(int(named)):
        return int(named)  # it started this process and died before the signal was set
    return parent


def exec_dying_with_parent(argv: Sequence[str]) -> None:
    """Replace this process by ``argv``, to be killed when the process that started it dies."""
    parent = expected_parent()
    os.environ[PARENT_PID_VARIABLE] = str(parent)  # what the orphan check compares to
    set_parent_death_signal()
    # The parent died before the signal was set (this process was handed to init).
    if os.getppid() != parent or parent == 1:
        sys.stderr.write(f"{argv[0]}: parent process {parent} is gone; not starting\n")
        raise SystemExit(1)
    os.execv(argv[0], list(argv))


def dbt_executable() -> Path:
    """The dbt of this interpreter's environment (the venv's ``bin/dbt``)."""
    return Path(sys.executable).with_name("dbt")


def main() -> None:
    exec_dying_with_parent([str(dbt_executable()), *sys.argv[1:]])


if __name__ == "__main__":
    main()
