"""Recovery after a kill, on real processes and a real Dagster instance: the dbt launcher dies
with its parent, a run whose process is gone is failed and its pool slot freed, a wait for a
slot or for DuckDB's lock says what it waits for in one line, an orphaned dbt is recognised."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
import uuid
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from orchestration.dbt_child import PARENT_PID_VARIABLE
from orchestration.instance import ensure_instance
from orchestration.recovery import (
    PoolWaitReporter,
    ProcessIdentity,
    lock_holder,
    orphan_dbt_of,
    process_is_gone,
    recover_dead_runs,
    runner_tags,
    stop_orphan_dbt,
    this_process,
)
from orchestration.resources import WAREHOUSE_POOL, WarehouseLocked, open_warehouse

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux /proc")


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except OSError:
        return False
    return state != "Z"


def wait_gone(pid: int, seconds: float = 10) -> bool:
    deadline = time.monotonic() + seconds
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    return not alive(pid)


def parent_starting(child: list[str], env: dict | None = None) -> tuple[subprocess.Popen, int]:
    """A parent process that starts ``child`` and then sleeps; returns it and the child's pid."""
    code = textwrap.dedent(
        f"""
        import subprocess, sys, time
        child = subprocess.Popen({child!r})
        print(child.pid, flush=True)
        time.sleep(120)
        """
    )
    parent = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, env=env
    )
    return parent, int(parent.stdout.readline())


def test_a_child_outlives_a_killed_parent_but_not_through_the_launcher():
    # The failure: a plain child (as dbt was started) survives its parent's kill -9.
    parent, child = parent_starting(["sleep", "60"])
    parent.kill()
    parent.wait()
    try:
        time.sleep(0.5)
        assert alive(child), "a plain child should outlive its parent"
    finally:
        os.kill(child, signal.SIGKILL)
    # Through the launcher's exec it dies with its parent.
    launcher = (
        "from orchestration.dbt_child import exec_dying_with_parent; "
        "exec_dying_with_parent(['/bin/sleep', '60'])"
    )
    parent, child = parent_starting([sys.executable, "-c", launcher])
    deadline = time.monotonic() + 30
    while not Path(f"/proc/{child}/cmdline").read_bytes().startswith(b"/bin/sleep"):  # exec'd
        assert time.monotonic() < deadline
        time.sleep(0.05)
    parent.kill()
    parent.wait()
    assert wait_gone(child), "the launched child outlived its parent"


def test_the_launcher_refuses_to_start_when_its_parent_is_already_gone():
    launcher = (
        "from orchestration.dbt_child import exec_dying_with_parent; "
        "exec_dying_with_parent(['/bin/true'])"
    )
    gone = subprocess.Popen(["true"])
    gone.wait()
    # The process that starts dbt names itself; here it is gone: not starting.
    completed = subprocess.run(
        [sys.executable, "-c", launcher],
        env={**os.environ, PARENT_PID_VARIABLE: str(gone.pid)},
        capture_output=True,
        text=True,
    )
    assert completed.returncode == 1
    assert f"parent process {gone.pid} is gone; not starting" in completed.stderr
    # A value only inherited from a live process that is not the parent (here init) is not
    # taken for the parent.
    completed = subprocess.run(
        [sys.executable, "-c", launcher],
        env={**os.environ, PARENT_PID_VARIABLE: "1"},
        capture_output=True,
        text=True,
    )
    assert completed.returncode == 0, completed.stderr


def test_a_process_is_known_by_pid_and_start_time_not_by_pid_alone():
    me = this_process()
    assert process_is_gone(me) is False
    reused = ProcessIdentity(me.host, me.pid, me.boot, (me.start_ticks or 0) + 1)
    assert process_is_gone(reused) is True  # same pid, another process
    assert process_is_gone(ProcessIdentity(me.host, 2**22 + 7)) is True  # no such pid
    assert process_is_gone(ProcessIdentity("another-host", me.pid)) is None  # cannot tell
    assert ProcessIdentity.from_tag(me.tag()) == me
    exited = subprocess.Popen(["true"])  # not waited for: a zombie until reaped
    while not Path(f"/proc/{exited.pid}/stat").read_text().rpartition(")")[2].startswith(" Z"):
        time.sleep(0.01)
    assert process_is_gone(ProcessIdentity(me.host, exited.pid)) is True
    exited.wait()
    assert runner_tags()["emissions/pid"] == str(os.getpid())


# A job of one step in the warehouse pool, as every warehouse writer is; the step holds the
# slot for HOLD_SECONDS.
JOB_MODULE = textwrap.dedent(
    """
    import os, sys, time
    import dagster as dg

    @dg.op(pool="duckdb_warehouse")
    def write_warehouse():
        print("in the step", flush=True)
        time.sleep(float(os.environ.get("HOLD_SECONDS", "0")))

    @dg.job
    def writer():
        write_warehouse()
    """
)


def start_holder(home: Path, seconds: float) -> tuple[subprocess.Popen, str]:
    """Another `emissions`-like process running a job whose step holds the pool's slot."""
    code = JOB_MODULE + textwrap.dedent(
        """
        import uuid
        from orchestration.recovery import runner_tags
        with dg.DagsterInstance.from_config(sys.argv[1]) as instance:
            run_id = str(uuid.uuid4())
            print(run_id, flush=True)
            writer.execute_in_process(instance=instance, run_id=run_id, tags=runner_tags())
        """
    )
    process = subprocess.Popen(
        [sys.executable, "-c", code, str(home)],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "HOLD_SECONDS": str(seconds)},
    )
    run_id = process.stdout.readline().strip()
    assert process.stdout.readline().strip() == "in the step"
    return process, run_id


@pytest.fixture
def dagster_home(tmp_path: Path) -> Path:
    home = tmp_path / "dagster home"
    ensure_instance(home)
    return home


def claimed(instance: dg.DagsterInstance) -> set[str]:
    info = instance.event_log_storage.get_concurrency_info(WAREHOUSE_POOL)
    return {slot.run_id for slot in info.claimed_slots} | {s.run_id for s in info.pending_steps}


def test_a_run_whose_process_was_killed_is_failed_and_its_slot_freed(dagster_home: Path):
    process, run_id = start_holder(dagster_home, 120)
    process.kill()
    process.wait()
    lines: list[str] = []
    with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
        # The failure: the run stays STARTED, holding the only slot.
        assert instance.get_run_by_id(run_id).status == dg.DagsterRunStatus.STARTED
        assert run_id in claimed(instance)
        assert recover_dead_runs(instance, lines.append) == [run_id]
        assert instance.get_run_by_id(run_id).status == dg.DagsterRunStatus.FAILURE
        assert claimed(instance) == set()
        assert recover_dead_runs(instance, lines.append) == []  # nothing more to do
    assert len(lines) == 1
    assert lines[0].startswith(f"run {run_id[:8]} (writer, pid {process.pid}, started ")
    assert lines[0].endswith("its process is gone; marked failed, pool slots freed")


def test_a_live_run_is_left_alone(dagster_home: Path):
    process, run_id = start_holder(dagster_home, 120)
    try:
        with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
            assert recover_dead_runs(instance, print) == []
            assert instance.get_run_by_id(run_id).status == dg.DagsterRunStatus.STARTED
    finally:
        process.kill()
        process.wait()


def test_a_wait_for_the_pool_says_who_holds_it_once_and_frees_a_dead_holder(dagster_home: Path):
    namespace: dict = {}
    exec(JOB_MODULE, namespace)  # the same job, run here in-process
    writer = namespace["writer"]
    process, holder = start_holder(dagster_home, 120)
    lines: list[str] = []
    with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
        run_id = str(uuid.uuid4())

        def kill_holder_after_the_line() -> None:
            deadline = time.monotonic() + 60  # (else the holder ends by itself after 120 s)
            while not lines and time.monotonic() < deadline:
                time.sleep(0.05)
            time.sleep(2)  # still waiting: no second line while nothing changes
            process.kill()
            process.wait()

        killer = threading.Thread(target=kill_holder_after_the_line)
        killer.start()
        with PoolWaitReporter(dagster_home, run_id, lines.append, interval=0.2):
            result = writer.execute_in_process(
                instance=instance, run_id=run_id, tags=runner_tags(), raise_on_error=False
            )
        killer.join()
    assert result.success
    assert len(lines) == 2, lines
    assert lines[0].startswith(
        f"waiting for pool {WAREHOUSE_POOL}: slot held by run {holder[:8]} (writer, "
        f"pid {process.pid}, started "
    )
    assert " since " in lines[0]
    assert lines[1].startswith(f"run {holder[:8]} (writer, pid {process.pid}")
    assert lines[1].endswith("its process is gone; marked failed, pool slots freed")


def holding_the_lock(warehouse: Path, seconds: float) -> subprocess.Popen:
    """Another process with the warehouse open for ``seconds``."""
    code = (
        "import duckdb, sys, time; con = duckdb.connect(sys.argv[1]); print('locked', "
        "flush=True); time.sleep(float(sys.argv[2])); con.close()"
    )
    holder = subprocess.Popen(
        [sys.executable, "-c", code, str(warehouse), str(seconds)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout.readline().strip() == "locked"
    return holder


def test_duckdb_names_the_lock_holder_as_the_parser_expects(tmp_path: Path):
    warehouse = tmp_path / "w.duckdb"
    holder = holding_the_lock(warehouse, 30)
    try:
        with pytest.raises(duckdb.IOException) as error:
            duckdb.connect(str(warehouse))
        pid, program = lock_holder(str(error.value))
        assert pid == holder.pid and Path(program).name.startswith("python")
    finally:
        holder.kill()
        holder.wait()


def test_a_wait_for_the_duckdb_lock_names_its_holder_once(tmp_path: Path):
    warehouse = tmp_path / "ware house.duckdb"
    holder = holding_the_lock(warehouse, 2.5)
    lines: list[str] = []
    with open_warehouse(warehouse, wait_seconds=0.2, notice=lines.append) as con:
        assert con.execute("select 42").fetchone() == (42,)
    holder.wait()
    assert len(lines) == 1, lines
    assert lines[0].startswith(
        f"waiting for the warehouse lock ({warehouse}): held by pid {holder.pid} ("
    )
    assert " since " in lines[0]

    holder = holding_the_lock(warehouse, 30)
    try:
        with (
            pytest.raises(WarehouseLocked, match=f"still locked by pid {holder.pid} "),
            open_warehouse(warehouse, attempts=3, wait_seconds=0.1, notice=lines.append),
        ):
            pass
    finally:
        holder.kill()
        holder.wait()


def orphan_like(warehouse: Path, **variables: str) -> int:
    """A process with a dbt child's environment, handed to init (its starter exits)."""
    env = {k: v for k, v in os.environ.items() if k not in (PARENT_PID_VARIABLE, "DAGSTER_DBT_CLI")}
    env.update(EMISSIONS_WAREHOUSE=str(warehouse), **variables)
    shell = subprocess.run(
        ["sh", "-c", "sleep 60 > /dev/null 2>&1 & echo $!"],
        env=env,
        capture_output=True,
        text=True,
    )
    return int(shell.stdout)


def test_an_orphaned_dbt_of_this_warehouse_is_stopped_and_nothing_else(tmp_path: Path):
    warehouse = tmp_path / "warehouse.duckdb"
    dead_parent = subprocess.Popen(["true"])
    dead_parent.wait()
    orphan = orphan_like(warehouse, **{PARENT_PID_VARIABLE: str(dead_parent.pid)})
    old_orphan = orphan_like(warehouse, DAGSTER_DBT_CLI="true")  # started without the launcher
    by_hand = orphan_like(warehouse)  # dbt run by hand: not ours to stop
    elsewhere = orphan_like(tmp_path / "other.duckdb", DAGSTER_DBT_CLI="true")
    with_parent = subprocess.Popen(
        ["sleep", "60"],
        env={
            **os.environ,
            "EMISSIONS_WAREHOUSE": str(warehouse),
            PARENT_PID_VARIABLE: str(os.getpid()),
        },
    )
    try:
        assert orphan_dbt_of(orphan, warehouse) and orphan_dbt_of(old_orphan, warehouse)
        for pid in (by_hand, elsewhere, with_parent.pid):
            assert not orphan_dbt_of(pid, warehouse)
        lines: list[str] = []
        assert sorted(stop_orphan_dbt(warehouse, lines.append)) == sorted([orphan, old_orphan])
        assert not alive(orphan) and not alive(old_orphan)
        assert all(alive(pid) for pid in (by_hand, elsewhere, with_parent.pid))
        assert len(lines) == 2 and all(
            line.startswith("stopped orphaned dbt (pid ") for line in lines
        )
        assert all(str(warehouse) in line for line in lines)
    finally:
        for pid in (by_hand, elsewhere):
            os.kill(pid, signal.SIGKILL)
        with_parent.kill()
        with_parent.wait()


def test_ctrl_c_while_waiting_for_a_slot_cancels_the_run(dagster_home: Path):
    # Dagster defers Ctrl-C until a step ends: a run waiting for a slot could not be stopped.
    process, holder = start_holder(dagster_home, 120)
    waiter_code = JOB_MODULE + textwrap.dedent(
        """
        import uuid
        from pathlib import Path
        from orchestration.recovery import PoolWaitReporter, runner_tags
        with dg.DagsterInstance.from_config(sys.argv[1]) as instance:
            run_id = str(uuid.uuid4())
            with PoolWaitReporter(Path(sys.argv[1]), run_id, print, interval=0.2):
                writer.execute_in_process(instance=instance, run_id=run_id, tags=runner_tags())
        """
    )
    waiter = subprocess.Popen(
        [sys.executable, "-c", waiter_code, str(dagster_home)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert waiter.stdout.readline().startswith(f"waiting for pool {WAREHOUSE_POOL}: ")
        waiter.send_signal(signal.SIGINT)
        assert waiter.wait(timeout=30) == 130
        last = waiter.stdout.read().strip()
        assert last.endswith(": interrupted while waiting for a pool slot; canceled")
        with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
            canceled = instance.get_runs(
                filters=dg.RunsFilter(statuses=[dg.DagsterRunStatus.CANCELED])
            )
            assert [run.run_id[:8] for run in canceled] == [last.split()[1].rstrip(":")]
            assert claimed(instance) == {holder}  # its pending claim is gone, not the holder's
    finally:
        process.kill()
        process.wait()
        waiter.kill()
