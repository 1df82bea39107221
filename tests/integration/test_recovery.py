"""`kill -9` of the real `emissions run` at each stage, then `emissions run` again: it completes.

One small home (two years, scale 1) goes through a chain of killed runs, each kill followed by
a run that must first recover from it: a whole run killed during ingest; the next killed while
dbt writes (then an orphaned dbt of an older `emissions`, started without the launcher, is left
holding the warehouse's lock); a run of one published table (its mart, gate and release:
``ONE_TABLE``, so that the gates and the publication are reached without building every mart
again) killed during its gate; a whole run that completes; a run of one table killed while it
writes its new release over the last; and a last run of it that completes. After each kill the
killed run is left STARTED holding the warehouse pool's slot (the failure as it was) and no dbt
survives it. At the end: no run unfinished, no slot held, no dbt left, every delivered file
recorded and loaded exactly once, every published table a whole release (its manifest's
checksums match), no half-written release left.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import dagster as dg
import duckdb
import pytest
import yaml

from ingest.feeds import FEEDS
from orchestration.dbt_child import PARENT_PID_VARIABLE
from orchestration.instance import ensure_instance
from orchestration.recovery import RUN_PID_TAG, parent_pid, pid_exists
from orchestration.resources import WAREHOUSE_POOL
from orchestration.settings import DBT_PROJECT_DIR, ENVIRONMENT, Settings
from publish.layout import MANIFEST_FILE, current_release
from publish.tables import published_tables
from quality.gate import THRESHOLDS_FILE

pytestmark = pytest.mark.integration

FIRST_YEAR, LAST_YEAR = 2023, 2024
EMISSIONS = Path(sys.executable).with_name("emissions")
STAGE_TIMEOUT = 600  # seconds; a stage not reached by then is a failure (a hang)
# The one published table whose mart reads only the audit tables: it builds right after ingest.
ONE_TABLE = "quality_ingest_summary"
ONE_TABLE_SELECTION = f"key:out_quality__ingest_summary or key:published_{ONE_TABLE}"


@dataclass
class Home:
    settings: Settings
    env: dict[str, str]
    rows_per_feed: dict[str, int]


@dataclass
class Running:
    process: subprocess.Popen
    log: Path

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Home:
    from sample import generate_landing_zone

    root = tmp_path_factory.mktemp("recovery") / "home with spaces"
    env = {k: v for k, v in os.environ.items() if k not in ENVIRONMENT}
    env.update(
        EMISSIONS_HOME=str(root),
        EMISSIONS_FIRST_YEAR=str(FIRST_YEAR),
        EMISSIONS_LAST_YEAR=str(LAST_YEAR),
    )
    # The sample ends in LAST_YEAR: freshness is judged against it, not against today.
    defaults = yaml.safe_load(THRESHOLDS_FILE.read_text(encoding="utf-8"))
    if "freshness_max_lag_years" in defaults:
        lag = defaults["freshness_max_lag_years"]
        lag["value"] = max(lag["value"], date.today().year - LAST_YEAR)
        thresholds = root.parent / "thresholds.yml"
        thresholds.write_text(yaml.safe_dump(defaults, allow_unicode=True), encoding="utf-8")
        env["EMISSIONS_QUALITY_THRESHOLDS"] = str(thresholds)
    settings = Settings.from_env(env)
    # The instance's storage is created here, once: the test reads it while runs write it.
    ensure_instance(settings.dagster_home)
    dg.DagsterInstance.from_config(str(settings.dagster_home)).dispose()
    summary = generate_landing_zone(
        settings.landing_dir,
        first_year=FIRST_YEAR,
        as_of=date(LAST_YEAR, 12, 31),
        scale=1,
        seed=11,
        daily_days=31,  # the kills need a run of some length, not years of daily files
    )
    return Home(settings, env, dict(summary.rows_per_feed))


def start_run(home: Home, name: str, *arguments: str) -> Running:
    log = home.settings.home.parent / f"{name}.log"
    with log.open("w", encoding="utf-8") as handle:
        process = subprocess.Popen(
            [str(EMISSIONS), "run", *arguments],
            env=home.env,
            stdout=handle,
            stderr=subprocess.STDOUT,
        )
    return Running(process, log)


def instance_of(home: Home) -> dg.DagsterInstance:
    return dg.DagsterInstance.from_config(str(home.settings.dagster_home))


def runs_of(instance: dg.DagsterInstance, running: Running) -> list[dg.DagsterRun]:
    """The runs the process executed, from the pid tag the runner puts on each."""
    return list(
        instance.get_runs(filters=dg.RunsFilter(tags={RUN_PID_TAG: str(running.process.pid)}))
    )


def events_of(instance, running: Running, event_type: dg.DagsterEventType) -> list:
    return [
        record
        for run in runs_of(instance, running)
        for record in instance.all_logs(run.run_id, of_type=event_type)
    ]


def wait_until(running: Running, reached, what: str, interval: float = 0.1) -> None:
    """Poll ``reached()`` until true; fail, with the run's output, if it exits or hangs first."""
    deadline = time.monotonic() + STAGE_TIMEOUT
    while not reached():
        if running.process.poll() is not None:
            pytest.fail(f"`emissions run` ended before {what}:\n{running.output()[-3000:]}")
        if time.monotonic() > deadline:
            running.process.kill()
            pytest.fail(f"{what} not reached in {STAGE_TIMEOUT} s:\n{running.output()[-3000:]}")
        time.sleep(interval)


def dbt_children(pid: int) -> list[int]:
    """Live dbt processes started by ``pid`` (by the parent the launcher records, so they are
    found after their parent is gone too)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            environ = (entry / "environ").read_bytes().split(b"\0")
            command = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        marker = f"{PARENT_PID_VARIABLE}={pid}".encode()
        if marker in environ and b"dbt" in command:
            found.append(int(entry.name))
    return found


def alive(pid: int) -> bool:
    """Running (a zombie waiting for init to reap it runs no more)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except OSError:
        return False
    return state != "Z"


def kill_9(running: Running) -> None:
    running.process.send_signal(signal.SIGKILL)
    running.process.wait(timeout=30)


def assert_left_stuck(home: Home, running: Running) -> str:
    """The failure as it was: the killed run is still STARTED and holds the pool's slot."""
    with instance_of(home) as instance:
        started = [
            run for run in runs_of(instance, running) if run.status == dg.DagsterRunStatus.STARTED
        ]
        assert started, "the kill did not land inside a run"
        info = instance.event_log_storage.get_concurrency_info(WAREHOUSE_POOL)
        holders = {slot.run_id for slot in info.claimed_slots}
    assert started[0].run_id in holders, "the killed run should still hold the pool's slot"
    return started[0].run_id


def assert_recovered_from(running: Running, killed_run: str) -> None:
    output = running.output()
    assert f"run {killed_run[:8]} (" in output and "its process is gone; marked failed" in output


def manifest_of(release: Path) -> dict:
    return json.loads((release / MANIFEST_FILE).read_text(encoding="utf-8"))


def assert_whole_release(published: Path, table: str) -> None:
    shown = published / table
    assert shown.is_dir() and not shown.is_symlink(), f"{shown} is not a real folder"
    release = current_release(published, table)
    assert release is not None, f"{shown} shows no release"
    assert sorted(p.relative_to(shown).as_posix() for p in shown.rglob("*")) == sorted(
        p.relative_to(release).as_posix() for p in release.rglob("*")
    ), f"{shown} does not show its release whole"
    manifest = manifest_of(release)
    listed = {entry["path"]: entry for entry in manifest["files"]}
    present = {p.relative_to(release).as_posix() for p in release.rglob("*.parquet")}
    assert present == set(listed), f"{table}: files differ from its manifest"
    for path, entry in listed.items():
        data = (release / path).read_bytes()
        assert hashlib.sha256(data).hexdigest() == entry["sha256"], f"{table}/{path} changed"
        assert len(data) == entry["bytes"]
    if not listed:  # a table published empty (this world has no such rows yet): no file
        assert manifest["row_count"] == 0, f"{table}: rows in its manifest but no file"
        return
    rows = (
        duckdb.connect()
        .execute(f"select count(*) from read_parquet('{release}/**/*.parquet')")
        .fetchone()
    )
    assert rows[0] == manifest["row_count"] == sum(e["rows"] for e in listed.values())


def assert_every_file_loaded_once(home: Home) -> None:
    settings = home.settings
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        recorded = con.execute(
            "select path, count(*), sum(rows_loaded), sum(rows_quarantined), any_value(status), "
            "any_value(sha256) from audit.file_deliveries group by path"
        ).fetchall()
        raw_rows = {}
        for spec in FEEDS.values():
            raw_rows.update(
                con.execute(
                    f"select _sha256, count(*) from raw.{spec.table} group by _sha256"
                ).fetchall()
            )
    delivered = {
        path.relative_to(settings.landing_dir).as_posix()
        for path in settings.landing_dir.rglob("*")
        if path.is_file()
    }
    by_path = {row[0]: row[1:] for row in recorded}
    assert set(by_path) == delivered, "every delivered file has its audit row, and no other"
    assert [path for path, row in by_path.items() if row[0] != 1] == [], "recorded twice"
    for path, (_count, loaded, _quarantined, status, sha256) in by_path.items():
        assert status in ("loaded", "superseded"), (path, status)
        assert raw_rows.get(sha256, 0) == loaded, f"{path}: raw rows differ from its audit row"
    rows_by_feed: dict[str, int] = {}
    for path, (_count, loaded, quarantined, _status, _sha) in by_path.items():
        feed = next(spec.feed for spec in FEEDS.values() if path.startswith(f"{spec.feed}/"))
        rows_by_feed[feed] = rows_by_feed.get(feed, 0) + loaded + quarantined
    assert rows_by_feed == home.rows_per_feed, "every delivered row is loaded or quarantined once"


def start_orphan_dbt(home: Home) -> int:
    """A dbt as an `emissions` without the launcher left it when killed: started by
    dagster-dbt (its environment says so) on this warehouse, its parent gone (handed to init),
    holding the warehouse's DuckDB lock. Returns its pid once it holds the lock."""
    env = {**home.env, **home.settings.as_env(), "DAGSTER_DBT_CLI": "true"}
    env.pop(PARENT_PID_VARIABLE, None)
    dbt = Path(sys.executable).with_name("dbt")
    script = (
        f'"{dbt}" build --vars \'{{"first_year": {FIRST_YEAR}, "last_year": {LAST_YEAR}}}\' '
        "--profiles-dir . > /dev/null 2>&1 & echo $!"
    )
    shell = subprocess.run(
        ["sh", "-c", script], cwd=DBT_PROJECT_DIR, env=env, capture_output=True, text=True
    )
    pid = int(shell.stdout.strip())
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            duckdb.connect(str(home.settings.warehouse_path), read_only=True).close()
        except duckdb.IOException:
            assert parent_pid(pid) == 1, "the orphan should have been handed to init"
            return pid
        assert alive(pid), "the orphan dbt ended before taking the warehouse's lock"
        time.sleep(0.1)
    pytest.fail("the orphan dbt never took the warehouse's lock")


def test_kill_9_at_each_stage_then_a_run_completes(home: Home):
    settings = home.settings
    timings = {}

    # 1. Killed during ingest: inside the step loading the biggest feed.
    started = time.monotonic()
    run = start_run(home, "1-killed-in-ingest")

    def ingesting() -> bool:
        with instance_of(home) as instance:
            begun = events_of(instance, run, dg.DagsterEventType.STEP_START)
            ended = events_of(instance, run, dg.DagsterEventType.STEP_SUCCESS)
        return any(e.step_key == "raw_stats__energy_consumption" for e in begun) and not ended

    wait_until(run, ingesting, "the ingest of stats/energy_consumption")
    kill_9(run)
    killed = assert_left_stuck(home, run)
    timings["ingest"] = time.monotonic() - started

    # 2. The next run recovers, finishes the ingest, and is killed while dbt writes.
    started = time.monotonic()
    run = start_run(home, "2-killed-in-dbt")
    dbt = []

    def building() -> bool:
        with instance_of(home) as instance:
            written = [
                e
                for e in events_of(instance, run, dg.DagsterEventType.ASSET_MATERIALIZATION)
                if e.step_key == "dbt_emission_models"
            ]
        dbt[:] = dbt_children(run.process.pid)
        return bool(written) and bool(dbt)

    wait_until(run, building, "dbt writing the warehouse")
    assert_recovered_from(run, killed)
    kill_9(run)
    deadline = time.monotonic() + 10
    while any(alive(pid) for pid in dbt) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not [pid for pid in dbt if alive(pid)], "the dbt child outlived its run"
    killed = assert_left_stuck(home, run)
    assert_every_file_loaded_once(home)  # the ingest this run completed
    timings["dbt"] = time.monotonic() - started

    # An older `emissions` left a dbt running, holding the lock: the next run stops it.
    orphan = start_orphan_dbt(home)

    # 3. One table's run, killed during its quality gate (Great Expectations).
    started = time.monotonic()
    run = start_run(home, "3-killed-in-gates", "--select", ONE_TABLE_SELECTION)

    def gating() -> bool:
        with instance_of(home) as instance:
            begun = events_of(instance, run, dg.DagsterEventType.STEP_START)
        return any("_gx_" in (e.step_key or "") for e in begun)

    wait_until(run, gating, "the quality gate")
    assert f"stopped orphaned dbt (pid {orphan}," in run.output()
    assert not alive(orphan)
    assert_recovered_from(run, killed)
    time.sleep(0.5)  # inside the gate's check (importing Great Expectations takes seconds)
    kill_9(run)
    killed = assert_left_stuck(home, run)
    timings["gates"] = time.monotonic() - started

    # 4. A whole run completes after it.
    started = time.monotonic()
    run = start_run(home, "4-completes")
    assert run.process.wait(timeout=STAGE_TIMEOUT) == 0, run.output()[-3000:]
    assert_recovered_from(run, killed)
    tables = sorted(published_tables())
    for table in tables:
        assert_whole_release(settings.published_dir, table)
    last_release = current_release(settings.published_dir, ONE_TABLE)
    timings["complete"] = time.monotonic() - started

    # 5. One table's run, killed while it writes its new release (or, at the latest, just
    # after it switched to it).
    started = time.monotonic()
    run = start_run(home, "5-killed-in-publish", "--select", ONE_TABLE_SELECTION)
    releases = settings.published_dir / ".releases" / ONE_TABLE

    def publishing() -> bool:
        moved = current_release(settings.published_dir, ONE_TABLE) != last_release
        return moved or any(releases.glob(".*.partial"))

    wait_until(run, publishing, f"the publication of {ONE_TABLE}", interval=0.01)
    kill_9(run)
    killed = assert_left_stuck(home, run)
    for table in tables:  # the last release, or the new one: whole either way
        assert_whole_release(settings.published_dir, table)
    timings["publish"] = time.monotonic() - started

    # 6. The next run of that table completes.
    started = time.monotonic()
    run = start_run(home, "6-completes", "--select", ONE_TABLE_SELECTION)
    assert run.process.wait(timeout=STAGE_TIMEOUT) == 0, run.output()[-3000:]
    assert_recovered_from(run, killed)
    timings["complete again"] = time.monotonic() - started

    with instance_of(home) as instance:
        unfinished = instance.get_runs(
            filters=dg.RunsFilter(
                statuses=[dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.STARTING]
            )
        )
        assert unfinished == []
        info = instance.event_log_storage.get_concurrency_info(WAREHOUSE_POOL)
        assert info.claimed_slots == [] and info.pending_steps == []
        failed = instance.get_runs(filters=dg.RunsFilter(statuses=[dg.DagsterRunStatus.FAILURE]))
        assert len(failed) == 4  # the four killed runs, each marked failed by the next one
    assert [pid for pid in dbt_children(run.process.pid) if alive(pid)] == []
    assert not any(pid_exists(pid) and alive(pid) for pid in (orphan, *dbt))
    assert_every_file_loaded_once(home)
    for table in tables:
        assert_whole_release(settings.published_dir, table)
    assert current_release(settings.published_dir, ONE_TABLE) != last_release  # a new one
    assert list(releases.glob(".*.partial")) == [], "a half-written release was left"
    print("recovery chain, seconds per stage:", {k: round(v) for k, v in timings.items()})
