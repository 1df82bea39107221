"""After a kill: runs whose process is gone are failed, their pool slots freed, orphan dbt stopped.

`emissions run` executes its runs in its own process (``execute_in_process``). If that process is
killed (``kill -9``, a lost terminal, an out-of-memory kill), the instance still shows the run
STARTED, holding the one slot of the ``duckdb_warehouse`` pool, and every later run would wait
for it forever. Dagster's run monitoring does not help here: it is a daemon feature, and the
worker-health check it relies on needs a run launcher that supports it (the default launcher
does not, and in-process runs have no launcher at all). So the runner tags each run with the
process that executes it (``RUN_PROCESS_TAG``: host, boot and start time of the pid, which a
reused pid cannot match) and, before it starts and while it waits for a slot, fails the runs
whose process is gone and frees their slots and pending claims.

The dbt child of a run dies with it (``orchestration.dbt_child``); a dbt that outlived its
parent anyway (one started before that existed, or whose parent died before the signal was set)
still holds the warehouse's DuckDB lock: it is recognised by its environment (started by
dagster-dbt on this warehouse, parent gone) and stopped.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import dagster as dg

from orchestration.dbt_child import PARENT_PID_VARIABLE, pid_exists

RUN_PROCESS_TAG = "emissions/process"  # host:pid:boot:start, the process executing the run
RUN_PID_TAG = "emissions/pid"  # the same pid on its own, for people reading the UI
RUN_HOST_TAG = "emissions/host"
# States of a run that may still hold (or wait for) a pool slot.
UNFINISHED = (
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
    dg.DagsterRunStatus.CANCELING,
)

Notice = Callable[[str], None]


@dataclass(frozen=True)
class ProcessIdentity:
    """A process as the kernel knows it: a pid is reused, (boot, start time) is not."""

    host: str
    pid: int
    boot: str | None = None
    start_ticks: int | None = None

    def tag(self) -> str:
        return f"{self.host}:{self.pid}:{self.boot or ''}:{self.start_ticks or ''}"

    @classmethod
    def from_tag(cls, text: str) -> ProcessIdentity | None:
        parts = text.rsplit(":", 3)
        if len(parts) != 4 or not parts[1].isdigit():
            return None
        host, pid, boot, start = parts
        return cls(host, int(pid), boot or None, int(start) if start.isdigit() else None)


def _boot_id() -> str | None:
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return None


def _stat_fields(pid: int) -> list[str] | None:
    """Fields of /proc/<pid>/stat after the command name (which may hold spaces)."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text.rpartition(")")[2].split()


def process_start_ticks(pid: int) -> int | None:
    fields = _stat_fields(pid)
    return int(fields[19]) if fields and len(fields) > 19 else None  # field 22 of stat(5)


def process_start_time(pid: int) -> float | None:
    """When the process started (seconds since the epoch), from /proc; None if unknown."""
    ticks = process_start_ticks(pid)
    if ticks is None:
        return None
    try:
        for line in Path("/proc/stat").read_text().splitlines():
            if line.startswith("btime "):
                return int(line.split()[1]) + ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError):
        return None
    return None


def parent_pid(pid: int) -> int | None:
    fields = _stat_fields(pid)
    return int(fields[1]) if fields and len(fields) > 1 else None


def command_line(pid: int, limit: int = 80) -> str:
    """The process's command, shortened: the program's name and its first arguments."""
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return "?"
    words = [word.decode(errors="replace") for word in argv if word]
    if len(words) > 1 and Path(words[0]).name.startswith("python"):
        words = words[1:]  # a console script: its own name says more than the interpreter's
    if words:
        words[0] = Path(words[0]).name
    text = " ".join(words)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def this_process() -> ProcessIdentity:
    pid = os.getpid()
    return ProcessIdentity(socket.gethostname(), pid, _boot_id(), process_start_ticks(pid))


def runner_tags() -> dict[str, str]:
    """Tags that name the process executing a run, so a later run can tell if it is gone."""
    me = this_process()
    return {RUN_PROCESS_TAG: me.tag(), RUN_PID_TAG: str(me.pid), RUN_HOST_TAG: me.host}


def run_process(instance: dg.DagsterInstance, run: dg.DagsterRun) -> ProcessIdentity | None:
    """The process that executes (or executed) the run: from its tag, or for a run started
    otherwise (an older `emissions`, the UI's run worker) the pid of its first event."""
    tagged = run.tags.get(RUN_PROCESS_TAG)
    if tagged:
        return ProcessIdentity.from_tag(tagged)
    for record in instance.all_logs(run.run_id, of_type=dg.DagsterEventType.RUN_START):
        if record.dagster_event is not None and record.dagster_event.pid is not None:
            return ProcessIdentity(socket.gethostname(), record.dagster_event.pid)
    return None


def process_is_gone(identity: ProcessIdentity, started_by: float | None = None) -> bool | None:
    """True if the process no longer runs, False if it does, None if this host cannot tell
    (another host's process). ``started_by``: the process must have started by then (the run's
    start), for a pid known without its start time."""
    if identity.host != socket.gethostname():
        return None
    if identity.boot and _boot_id() and identity.boot != _boot_id():
        return True  # started before the machine rebooted
    if not pid_exists(identity.pid) or _is_zombie(identity.pid):  # a zombie runs no more
        return True
    if identity.start_ticks is not None:
        ticks = process_start_ticks(identity.pid)
        return ticks is not None and ticks != identity.start_ticks  # the pid was reused
    if started_by is not None:
        started = process_start_time(identity.pid)
        return started is not None and started > started_by + 2  # the pid was reused
    return False


def _clock(timestamp: float | datetime | None) -> str:
    if timestamp is None:
        return "?"
    if isinstance(timestamp, datetime):
        timestamp = timestamp.timestamp()
    return datetime.fromtimestamp(timestamp).strftime("%H:%M:%S")


@dataclass(frozen=True)
class RunHolder:
    """A run of the instance as a waiting run describes it."""

    run_id: str
    job_name: str
    process: ProcessIdentity | None
    started: float | None
    gone: bool | None

    def describe(self) -> str:
        where = "process unknown"
        if self.process is not None:
            where = f"pid {self.process.pid}"
            if self.process.host != socket.gethostname():
                where += f" on {self.process.host}"
        return f"run {self.run_id[:8]} ({self.job_name}, {where}, started {_clock(self.started)})"


def run_holder(instance: dg.DagsterInstance, run_id: str) -> RunHolder | None:
    record = instance.get_run_record_by_id(run_id)
    if record is None:
        return None
    run = record.dagster_run
    started = record.start_time or record.create_timestamp.timestamp()
    process = run_process(instance, run)
    if run.status not in UNFINISHED:
        gone: bool | None = True  # finished: whatever it holds is stale
    elif process is None:
        gone = None
    else:
        gone = process_is_gone(process, started_by=record.start_time)
    return RunHolder(run_id, run.job_name, process, started, gone)


def fail_dead_run(instance: dg.DagsterInstance, holder: RunHolder, notice: Notice) -> None:
    """Mark the run failed (if it is not finished) and free its slots and pending claims."""
    run = instance.get_run_by_id(holder.run_id)
    if run is not None and run.status in UNFINISHED:
        pid = holder.process.pid if holder.process else "?"
        instance.report_run_failed(
            run,
            f"The process that executed this run (pid {pid}) is gone: killed, or its machine "
            "stopped. Marked failed by the next `emissions run`, which freed its pool slots.",
        )
        notice(f"{holder.describe()}: its process is gone; marked failed, pool slots freed")
    else:
        notice(f"{holder.describe()}: finished, but still held a pool slot; freed")
    instance.event_log_storage.free_concurrency_slots_for_run(holder.run_id)


def pool_run_ids(instance: dg.DagsterInstance) -> set[str]:
    storage = instance.event_log_storage
    if not storage.supports_global_concurrency_limits:
        return set()
    return set(storage.get_concurrency_run_ids())


def recover_dead_runs(instance: dg.DagsterInstance, notice: Notice) -> list[str]:
    """Fail every unfinished run whose process is gone; free every pool slot or pending claim
    of a run that is gone or finished. Returns the run ids recovered."""
    recovered = []
    unfinished = instance.get_run_records(filters=dg.RunsFilter(statuses=list(UNFINISHED)))
    candidates = {record.dagster_run.run_id for record in unfinished} | pool_run_ids(instance)
    for run_id in sorted(candidates):
        holder = run_holder(instance, run_id)
        if holder is None:  # a claim of a deleted run
            instance.event_log_storage.free_concurrency_slots_for_run(run_id)
            notice(f"run {run_id[:8]} (deleted) still held a pool slot; freed")
            recovered.append(run_id)
        elif holder.gone:
            fail_dead_run(instance, holder, notice)
            recovered.append(run_id)
    return recovered


# ---------------------------------------------------------------------------------------------
# dbt processes that outlived their run


def _environment(pid: int, names: tuple[str, ...]) -> dict[str, str] | None:
    """The named variables of a process's environment (only those), None if unreadable."""
    try:
        raw = Path(f"/proc/{pid}/environ").read_bytes()
    except OSError:
        return None
    wanted = {name.encode(): name for name in names}
    found = {}
    for entry in raw.split(b"\0"):
        name, _, value = entry.partition(b"=")
        if name in wanted:
            found[wanted[name]] = value.decode(errors="replace")
    return found


def _same_file(a: str, b: Path) -> bool:
    try:
        return Path(a).resolve() == b.resolve()
    except OSError:
        return False


def orphan_dbt_of(pid: int, warehouse: Path) -> bool:
    """True if ``pid`` is a dbt that dagster-dbt started on this warehouse and whose parent is
    gone: the parent recorded by the launcher is no longer its parent, or (a dbt started without
    the launcher) it was handed to init."""
    if pid == os.getpid():
        return False
    variables = _environment(
        pid, ("DAGSTER_DBT_CLI", PARENT_PID_VARIABLE, "EMISSIONS_WAREHOUSE", "DBT_PROJECT_DIR")
    )
    if not variables or "EMISSIONS_WAREHOUSE" not in variables:
        return False
    if "DAGSTER_DBT_CLI" not in variables and PARENT_PID_VARIABLE not in variables:
        return False  # a dbt run by hand (or anything else) is none of our business
    if not _same_file(variables["EMISSIONS_WAREHOUSE"], warehouse):
        return False
    parent = parent_pid(pid)
    if parent is None:
        return False
    recorded = variables.get(PARENT_PID_VARIABLE, "")
    if recorded.isdigit():
        return parent != int(recorded)
    return parent == 1


def orphan_dbt_processes(warehouse: Path) -> list[int]:
    if not Path("/proc").is_dir():
        return []
    pids = sorted(int(entry.name) for entry in Path("/proc").iterdir() if entry.name.isdigit())
    return [pid for pid in pids if orphan_dbt_of(pid, warehouse)]


def stop_process(pid: int, timeout: float = 10.0) -> bool:
    """SIGKILL the process and wait until it is gone; True if it is."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not pid_exists(pid) or _is_zombie(pid):
            return True
        time.sleep(0.05)
    return False


def _is_zombie(pid: int) -> bool:
    fields = _stat_fields(pid)
    return bool(fields) and fields[0] == "Z"


def stop_orphan_dbt(warehouse: Path, notice: Notice) -> list[int]:
    """Stop every orphaned dbt of this warehouse (it holds the DuckDB lock); one line each."""
    stopped = []
    for pid in orphan_dbt_processes(warehouse):
        since = _clock(process_start_time(pid))
        what = command_line(pid)
        if stop_process(pid):
            notice(f"stopped orphaned dbt (pid {pid}, {what}, since {since}) of {warehouse}")
            stopped.append(pid)
        else:
            notice(f"could not stop orphaned dbt (pid {pid}, {what}) of {warehouse}")
    return stopped


def recover(instance: dg.DagsterInstance, warehouse: Path, notice: Notice) -> None:
    """Everything a run needs after a kill, before it starts: no orphan dbt on the warehouse,
    no run of a dead process left unfinished or holding a slot."""
    stop_orphan_dbt(warehouse, notice)
    recover_dead_runs(instance, notice)


# ---------------------------------------------------------------------------------------------
# DuckDB's lock


LOCK_HOLDER = re.compile(r"Conflicting lock is held in (?P<program>.*?) \(PID (?P<pid>\d+)\)")


def lock_holder(message: str) -> tuple[int, str] | None:
    """The pid and program DuckDB names in its lock error, if it names them."""
    match = LOCK_HOLDER.search(message)
    return (int(match["pid"]), match["program"]) if match else None


def describe_lock_holder(message: str) -> str:
    found = lock_holder(message)
    if found is None:
        return "another process (DuckDB does not say which)"
    pid, program = found
    command = command_line(pid)
    started = process_start_time(pid)
    what = command if command != "?" else Path(program).name
    return f"pid {pid} ({what}" + (f", running since {_clock(started)})" if started else ")")


# ---------------------------------------------------------------------------------------------
# Waiting for a pool slot


class PoolWaitReporter:
    """While a run executes, watch the pools it waits on: print one line when a step of it
    waits for a slot (what holds it, since when) and again only when the holder changes; a
    holder whose process is gone is failed and its slot freed at once. Ctrl-C while waiting
    (Dagster defers it until a step ends) cancels the run."""

    def __init__(
        self, dagster_home: Path, run_id: str, notice: Notice, interval: float = 1.0
    ) -> None:
        self.dagster_home = dagster_home
        self.run_id = run_id
        self.notice = notice
        self.interval = interval
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._watch, name="pool-wait-reporter", daemon=True)
        self.last: dict[str, tuple[str, ...]] = {}  # pool -> the live runs last said to hold it

    def __enter__(self) -> PoolWaitReporter:
        # The instance's storage imports SQLAlchemy's ORM lazily: done here first, the watcher
        # never imports it while the run's thread does (a half-imported module fails the read).
        import sqlalchemy.orm  # noqa: F401

        self.thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stopped.set()
        self.thread.join(timeout=10)

    def _watch(self) -> None:
        from dagster._utils.interrupts import check_captured_interrupt

        with dg.DagsterInstance.from_config(str(self.dagster_home)) as instance:
            while not self.stopped.wait(self.interval):
                try:
                    waiting = self.check(instance)
                except Exception as error:  # never let the watcher take the run down
                    self.notice(f"(could not read the pools' state: {error})")
                    return
                if waiting and check_captured_interrupt():
                    self._cancel(instance)

    def check(self, instance: dg.DagsterInstance) -> bool:
        """One look at the pools; True if this run is waiting for a slot."""
        storage = instance.event_log_storage
        if not storage.supports_global_concurrency_limits:
            return False
        waits = []
        for pool in sorted(storage.get_concurrency_keys()):
            info = storage.get_concurrency_info(pool)
            mine = [
                step
                for step in info.pending_steps
                if step.run_id == self.run_id and step.assigned_timestamp is None
            ]
            if mine:
                holders = tuple(
                    sorted({slot.run_id for slot in info.claimed_slots} - {self.run_id})
                )
                waits.append((pool, holders, min(step.enqueued_timestamp for step in mine)))
        if not waits:
            self.last = {}
            return False
        told = {}
        for pool, holders, since in waits:
            live = []
            for run_id in holders:
                holder = run_holder(instance, run_id)
                if holder is not None and holder.gone:  # killed while this run waited
                    fail_dead_run(instance, holder, self.notice)
                else:
                    live.append((run_id, holder))
            told[pool] = tuple(run_id for run_id, _holder in live)
            # No live holder: the slot is being handed over to this run; nothing to say.
            if live and told[pool] != self.last.get(pool):
                held = ", ".join(h.describe() if h else f"run {r[:8]}" for r, h in live)
                self.notice(f"waiting for pool {pool}: slot held by {held} since {_clock(since)}")
        self.last = told
        return True

    def _cancel(self, instance: dg.DagsterInstance) -> None:
        run = instance.get_run_by_id(self.run_id)
        if run is not None:
            instance.report_run_canceled(run, "Interrupted while waiting for a pool slot.")
        instance.event_log_storage.free_concurrency_slots_for_run(self.run_id)
        self.notice(f"run {self.run_id[:8]}: interrupted while waiting for a pool slot; canceled")
        sys.stderr.flush()
        sys.stdout.flush()
        os._exit(130)


@contextlib.contextmanager
def reporting_pool_waits(dagster_home: Path, run_id: str, notice: Notice) -> Iterator[None]:
    with PoolWaitReporter(dagster_home, run_id, notice):
        yield
