"""Headless materialisation on the configured home, and the one-line reasons of what failed."""

from __future__ import annotations

import contextlib
import os
import re
import sys
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import dagster as dg

from orchestration.settings import Settings


@dataclass
class RunOutcome:
    run_id: str
    success: bool
    steps_succeeded: int
    steps_failed: int
    steps_skipped: int
    failure_lines: list[str] = field(default_factory=list)
    log_path: Path | None = None
    warning_lines: list[str] = field(default_factory=list)
    # which engine built the dbt models, when a run built them (orchestration.dbt.engine_line)
    engine_line: str | None = None

    def summary_line(self) -> str:
        """The warnings of the run, one line each, then its outcome; warnings never fail it."""
        state = "succeeded" if self.success else "FAILED"
        warnings = f", {len(self.warning_lines)} warning(s)" if self.warning_lines else ""
        return "\n".join(
            [
                *(f"WARNING {line}" for line in self.warning_lines),
                f"runs {self.run_id} {state}: {self.steps_succeeded} step(s) ok, "
                f"{self.steps_failed} failed, {self.steps_skipped} skipped{warnings}",
            ]
        )


class RunRefused(Exception):
    """A run that cannot start (nothing to load, a selection that selects nothing): the
    message is the one line the user sees."""


ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*m")
# Lines that say nothing of the error: dbt's header of an adapter error, which repeats what
# "Failure in model …" said, and py4j's of a Java exception (`: org.…Exception: …` follows)
REPEATED_HEADER = re.compile(
    r"^((Runtime|Database) Error( in \S+ \S+ \(.*\))?|An error occurred while calling \S+)$"
)
# Where an error's own lines end and its context begins: Spark's query plan ('Project …, +- …),
# the SQL it points into (== SQL …), a JVM trace (at …, Caused by, JVM stacktrace), dbt's path
# of the compiled code.
ERROR_CONTEXT = re.compile(
    r"^('|\+-|:-|\||== |at |\.\.\. \d+ more|Caused by|JVM stacktrace|compiled code at |"
    r"Traceback \(most recent call last\))"
)
DETAIL_LIMIT = 300


def _dbt_failures(error) -> list[str]:
    """The failing dbt nodes named in a dbt CLI error (its first line says nothing useful), each
    with its error's own lines (a Spark error's first line, without its plan or JVM trace)."""
    while error is not None:
        message = ANSI_ESCAPE.sub("", error.message or "")
        if "Errors parsed from dbt logs:" in message:
            parsed = message.split("Errors parsed from dbt logs:", 1)[1].splitlines()
            failures, detail, in_context = [], "", False
            for line in (line.strip() for line in parsed):
                # a node's failure, or dbt's own (e.g. a Spark session that does not start)
                if line.startswith(("Failure in", "Error in", "Encountered an error")):
                    if detail:
                        failures.append(detail)
                    detail, in_context = line, False
                elif not detail or not line or line.endswith("]") or REPEATED_HEADER.match(line):
                    continue
                elif ERROR_CONTEXT.match(line):
                    in_context = True
                elif not in_context and len(detail) < DETAIL_LIMIT:
                    line = line.removeprefix(": ")  # a Java exception: `: org.…Exception: …`
                    detail += f": {line}" if not detail.endswith(":") else f" {line}"
            if detail:
                failures.append(detail)
            return failures
        error = error.cause
    return []


def failure_lines(events: list[dg.DagsterEvent]) -> list[str]:
    """One line per failed step, per failed blocking check, per failed expectation."""
    lines: list[str] = []
    for event in events:
        if event.event_type == dg.DagsterEventType.STEP_FAILURE:
            error = event.step_failure_data.error
            dbt_failures = _dbt_failures(error)
            if dbt_failures:
                lines += [f"step {event.step_key}: {failure}" for failure in dbt_failures]
                continue
            user_failure = event.step_failure_data.user_failure_data
            if user_failure is not None and user_failure.description:
                # a dg.Failure raised by the step: its description is the one line to show
                lines.append(f"step {event.step_key}: {user_failure.description.strip()}")
                continue
            message = error.message.strip().splitlines()[0] if error else "failed"
            cause = error.cause if error else None
            while cause is not None and cause.cause is not None:
                cause = cause.cause
            if cause is not None and cause.message.strip():
                message += f" ({cause.message.strip().splitlines()[0]})"
            lines.append(f"step {event.step_key}: {message}")
        elif event.event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION:
            evaluation = event.event_specific_data
            if evaluation.passed or evaluation.severity != dg.AssetCheckSeverity.ERROR:
                continue
            check = f"check {evaluation.asset_key.to_user_string()}:{evaluation.check_name}"
            failed = evaluation.metadata.get("failed_expectations")
            if failed is not None and failed.value:
                for item in failed.value:
                    lines.append(f"{check}: {item['line']}")
            else:
                description = (evaluation.description or "failed").strip().splitlines()[0]
                lines.append(f"{check}: {description}")
    return lines


def warning_lines(events: list[dg.DagsterEvent], limit: int = 1000) -> list[str]:
    """One line per asset check whose latest evaluation in these runs failed with WARN severity
    (a check evaluated by several runs, such as a feed's freshness, counts once)."""
    latest = {}
    for event in events:
        if event.event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION:
            evaluation = event.event_specific_data
            latest[(evaluation.asset_key, evaluation.check_name)] = evaluation
    lines = []
    for evaluation in latest.values():
        if evaluation.passed or evaluation.severity != dg.AssetCheckSeverity.WARN:
            continue
        description = " ".join((evaluation.description or "failed").split())
        if len(description) > limit:
            description = description[: limit - 1] + "…"
        check = f"check {evaluation.asset_key.to_user_string()}:{evaluation.check_name}"
        lines.append(f"{check}: {description}")
    return lines


def landing_partitions(settings: Settings, spec) -> list[str]:
    """Partition keys a run of the feed must cover to see its files in the landing zone, sorted
    (never one outside the partitions: a file of another period is seen by any run)."""
    from orchestration.partitions import landing_partition_keys
    from orchestration.settings import reference_date

    return landing_partition_keys(
        spec,
        settings.landing_dir,
        settings.first_year,
        settings.last_year,
        today=reference_date(settings.as_of),
    )


def days_tags(job: dg.JobDefinition, days: tuple[date, date]) -> dict[str, str]:
    """The tags of a run of ``job`` over the days ``days`` (first, last; one run, a single-run
    backfill), or RunRefused naming the days the partitions do not have."""
    first, last = days
    if last < first:
        raise RunRefused(f"--from {first} is after --to {last}")
    keys = job.partitions_def.get_partition_keys()
    missing = [day.isoformat() for day in days if day.isoformat() not in keys]
    if missing:
        raise RunRefused(
            f"{', '.join(missing)}: no day partition of {job.name} (its days run from "
            f"{keys[0]} to {keys[-1]}, today in China)"
        )
    return {
        "dagster/asset_partition_range_start": first.isoformat(),
        "dagster/asset_partition_range_end": last.isoformat(),
    }


def whole_run_days(settings: Settings) -> dict[str, str]:
    """The tags of a whole run's transform: the daily models built without a window
    (``emissions/days=changed``: int_power__electricity_daily recomputes the days whose files
    changed, the later daily models every day), the run recorded on the last day of the daily
    feeds' files in the landing zone (the latest day without any). Not on every day it
    computed: Dagster's SQLite event log writes one event per asset and partition, and 1,400
    days × 5 daily models would add minutes to every whole run; a backfill records its days."""
    from ingest.feeds import DAILY_FEEDS, FEEDS
    from orchestration.dbt import CHANGED_DAYS, DAYS_TAG
    from orchestration.partitions import daily_partitions

    keys = sorted(
        {key for feed in DAILY_FEEDS for key in landing_partitions(settings, FEEDS[feed])}
    )
    last = keys[-1] if keys else daily_partitions(settings.first_year).get_last_partition_key()
    return {"dagster/partition": last, DAYS_TAG: CHANGED_DAYS}


def require_deliveries(settings: Settings) -> None:
    """Refuse a whole run when no feed has any file in the landing zone: it would load nothing
    and then build every mart from empty tables."""
    from ingest.feeds import FEEDS
    from ingest.landing import delivered_files

    if not any(delivered_files(settings.landing_dir, spec) for spec in FEEDS.values()):
        example = next(iter(FEEDS.values())).feed
        raise RunRefused(
            f"no feed has any file in the landing zone {settings.landing_dir} (files go in "
            f"its feed folders, e.g. {example}/; `emissions sample` writes a sample): "
            "nothing to run"
        )


def whole_steps(defs: dg.Definitions, selection: str) -> str | dg.AssetSelection:
    """The selection with every multi-asset it touches taken whole where that multi-asset
    cannot run a part of itself (a disclosure problem decides all its tables at once, and its
    attack check audits them all): what is downstream of one table of it selects them all,
    as the UI would ask of the user. Assets that are only observed, never run (the audit
    tables the ingest writes beside the raw ones), are left out: what is downstream of a raw
    table (`key:raw_x+`) reaches them. A selection that does not resolve is returned as it is (its
    error is the job's to report)."""
    try:
        selected = dg.AssetSelection.from_string(selection)
        graph = defs.resolve_asset_graph()
        resolved = selected.resolve(graph)
        checks = selected.resolve_checks(graph)
    except (dg.DagsterError, ValueError):
        return selection
    keys = set(resolved) & set(graph.executable_asset_keys)
    if not keys:
        return selection
    wider_keys, wider_checks = set(keys), set(checks)
    definitions = [*(defs.assets or ()), *(defs.asset_checks or ())]
    for definition in definitions:
        if not isinstance(definition, dg.AssetsDefinition) or definition.can_subset:
            continue
        if set(definition.keys) & keys or set(definition.check_keys) & checks:
            wider_keys |= set(definition.keys)
            wider_checks |= set(definition.check_keys)
    if wider_keys == set(resolved) and wider_checks == checks:
        return selection
    return dg.AssetSelection.assets(*wider_keys) | dg.AssetSelection.checks(*wider_checks)


def selected_job(defs: dg.Definitions, selection: str) -> dg.JobDefinition:
    """The job of an asset selection, or RunRefused with one line saying what is wrong."""
    try:
        job = dg.define_asset_job("selected_assets", selection=whole_steps(defs, selection))
        resolved = dg.Definitions.merge(defs, dg.Definitions(jobs=[job])).resolve_job_def(
            "selected_assets"
        )
    except (dg.DagsterError, ValueError) as error:
        while error.__cause__ is not None:
            error = error.__cause__
        unknown = re.search(r"AssetKey\(s\) \[(.*?)\] were selected", str(error))
        reason = (
            f"no asset is named {unknown[1]}{_close_matches(defs, unknown[1])}"
            if unknown
            else str(error).strip().splitlines()[0]
            if str(error).strip()
            else type(error).__name__
        )
        raise RunRefused(
            f"--select {selection!r}: {reason} (asset keys are those of `emissions ui`, "
            "e.g. raw_stats__gdp, out_emissions__by_city+)"
        ) from None
    if not resolved.asset_layer.executable_asset_keys:
        raise RunRefused(f"--select {selection!r} selects no asset")
    return resolved


def _close_matches(defs: dg.Definitions, unknown: str) -> str:
    """ ", did you mean …?" with the asset keys closest to the unknown ones, or nothing."""
    import difflib

    keys = [key.to_user_string() for key in defs.resolve_all_asset_keys()]
    names = re.findall(r"\[?'([^']+)'\]?", unknown) or [unknown]
    matches = []
    for name in names:
        for match in difflib.get_close_matches(name, keys, n=3, cutoff=0.6):
            if match not in matches:
                matches.append(match)
    return f"; did you mean {', '.join(matches)}?" if matches else ""


def run_config(verbose: bool) -> dict:
    """Dagster's console logger: every event when verbose, else warnings and errors only (the
    instance's event log, which the UI shows, keeps every event either way)."""
    level = "DEBUG" if verbose else "WARNING"
    return {"loggers": {"console": {"config": {"log_level": level}}}}


@contextlib.contextmanager
def _console(settings: Settings, verbose: bool) -> Iterator[Path | None]:
    """Where the steps' own output goes (dbt's log lines, printed by dagster-dbt): the terminal
    when verbose, else a log file of the home, named in the summary."""
    if verbose:
        yield None
        return
    folder = settings.home / "logs"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"run-{datetime.now(UTC):%Y%m%dT%H%M%S}.log"
    with path.open("a", encoding="utf-8") as log, contextlib.redirect_stdout(log):
        yield path


def _count(events, event_type: dg.DagsterEventType) -> int:
    return sum(1 for event in events if event.event_type == event_type)


def _describe(result) -> str:
    """One line for a finished run: its job, id, outcome and step counts."""
    ok = _count(result.all_events, dg.DagsterEventType.STEP_SUCCESS)
    failed = _count(result.all_events, dg.DagsterEventType.STEP_FAILURE)
    state = "ok" if result.success and not failed else "FAILED"
    return f"{result.job_def.name:<34} {result.run_id[:8]}  {state:<6} {ok} step(s) ok" + (
        f", {failed} failed" if failed else ""
    )


def materialise_everything(
    settings: Settings,
    selection: str | None = None,
    verbose: bool = False,
    progress: Callable[[str], None] | None = None,
    notice: Callable[[str], None] | None = None,
    days: tuple[date, date] | None = None,
) -> RunOutcome:
    """Ingest every feed, then build, check, publish and report, on the home's instance.
    With ``days`` (first, last), a backfill of those days instead: one run of the daily
    nowcast over them (their meter and dispatch files loaded, the daily models built for them
    only), then, if it succeeded, the publication of the daily table and the report site.

    Each partitioned feed loads in one run over the range of partitions its files cover
    (a single-run backfill); every feed loads whatever another feed's fate, and a failed ingest
    stops the marts from being rebuilt. ``progress``
    gets one line per finished run; the steps' output goes to a log file unless ``verbose``.
    ``notice`` (default ``progress``, else stderr) gets one line for each thing done to recover
    from an earlier killed run and each wait for a pool slot. Raises RunRefused, before any run,
    when no feed has a file (whole runs) or the selection selects nothing.

    First, runs left unfinished by a killed process are failed and their pool slots freed, and
    a dbt that outlived its run is stopped (orchestration/recovery.py). Each run is tagged with
    this process, so the next `emissions run` can tell if it is gone.
    """
    from ingest.feeds import FEEDS
    from orchestration.dbt import DAILY_STEP, DBT_STEP, engine_line
    from orchestration.definitions import (
        NOWCAST_JOB,
        PUBLISH_NOWCAST_JOB,
        TRANSFORM_JOB,
        build_defs,
        ingest_job_name,
    )
    from orchestration.instance import ensure_instance
    from orchestration.recovery import recover, reporting_pool_waits, runner_tags

    settings.ensure_dirs()
    if not selection and days is None:
        require_deliveries(settings)
    ensure_instance(settings.dagster_home)
    settings.export()
    os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    defs = build_defs(settings)
    job_of_selection = selected_job(defs, selection) if selection else None
    backfill_tags = days_tags(defs.resolve_job_def(NOWCAST_JOB), days) if days else None
    results = []
    built_by: list[str] = []
    config = run_config(verbose)
    report = progress or (lambda line: None)
    tell = notice or progress or (lambda line: print(f"  {line}", file=sys.stderr, flush=True))
    with (
        dg.DagsterInstance.from_config(str(settings.dagster_home)) as instance,
        _console(settings, verbose) as log_path,
    ):
        recover(instance, settings.warehouse_path, tell)

        def execute(job: dg.JobDefinition, tags: dict | None = None) -> bool:
            run_id = str(uuid.uuid4())
            with reporting_pool_waits(settings.dagster_home, run_id, tell):
                result = job.execute_in_process(
                    instance=instance,
                    raise_on_error=False,
                    run_id=run_id,
                    tags={**(tags or {}), **runner_tags()},
                    run_config=config,
                )
            results.append(result)
            report(_describe(result))
            if any(
                event.event_type == dg.DagsterEventType.STEP_START
                and event.step_key.startswith((DBT_STEP, DAILY_STEP))
                for event in result.all_events
            ):
                built_by.append(engine_line(settings.engine, settings.lake_dir))
                report(f"  {built_by[-1]}")
            return result.success

        if backfill_tags is not None:
            if execute(defs.resolve_job_def(NOWCAST_JOB), backfill_tags):
                execute(defs.resolve_job_def(PUBLISH_NOWCAST_JOB))
            else:
                report(f"{PUBLISH_NOWCAST_JOB:<34} skipped: the nowcast of the days failed")
        elif job_of_selection is not None:
            from orchestration.partitions import daily_partitions

            # a selection with daily models runs as a whole run does (no window, the last day)
            daily = job_of_selection.partitions_def == daily_partitions(settings.first_year)
            execute(job_of_selection, whole_run_days(settings) if daily else None)
        else:
            # Every feed loads, whatever another feed's fate; the marts are rebuilt only when
            # every ingest succeeded (a mart must not mix a failed feed's old rows with new ones).
            failed_feeds = []
            for spec in FEEDS.values():
                job = defs.resolve_job_def(ingest_job_name(spec))
                tags = {}
                if spec.partitioning:
                    keys = landing_partitions(settings, spec)
                    if not keys:
                        continue
                    tags = {
                        "dagster/asset_partition_range_start": keys[0],
                        "dagster/asset_partition_range_end": keys[-1],
                    }
                if not execute(job, tags):
                    failed_feeds.append(spec.feed)
            if failed_feeds:
                report(
                    f"{TRANSFORM_JOB:<34} skipped: the ingest of {', '.join(failed_feeds)} "
                    "failed, so the marts are not rebuilt and nothing is published"
                )
            else:
                execute(defs.resolve_job_def(TRANSFORM_JOB), whole_run_days(settings))
    events = [event for result in results for event in result.all_events]
    succeeded = _count(events, dg.DagsterEventType.STEP_SUCCESS)
    failed = _count(events, dg.DagsterEventType.STEP_FAILURE)
    skipped = _count(events, dg.DagsterEventType.STEP_SKIPPED)
    lines = failure_lines(events)
    check_failed = any(line.startswith("check ") for line in lines)
    return RunOutcome(
        run_id=", ".join(result.run_id[:8] for result in results),
        success=all(r.success for r in results) and not check_failed and failed == 0,
        steps_succeeded=succeeded,
        steps_failed=failed,
        steps_skipped=skipped,
        failure_lines=lines,
        log_path=log_path,
        warning_lines=warning_lines(events),
        engine_line=built_by[-1] if built_by else None,
    )


def province_summary(settings: Settings) -> str:
    """Province totals by year, from the published extract (what departments see): the
    territorial total (energy + process) and, beside it and not in it, indirect emissions. Read
    from emissions_by_sector, which is never suppressed (the sum of the cities is not the
    province's where a city's row is suppressed)."""
    import duckdb

    table = settings.published_dir / "emissions_by_sector"
    if not table.exists():
        return "no published emissions_by_sector yet"
    con = duckdb.connect()
    rows = con.execute(
        f"""select year, any_value(report_type) as report_type,
                   sum(energy_tco2) / 1e6 as energy_mt,
                   sum(process_tco2) / 1e6 as process_mt,
                   sum(total_tco2) / 1e6 as total_mt,
                   sum(electricity_indirect_tco2) / 1e6 as electricity_indirect_mt,
                   sum(heat_indirect_tco2) / 1e6 as heat_indirect_mt
            from read_parquet('{table}/**/*.parquet', hive_partitioning = true)
            group by year order by year"""
    ).fetchall()
    lines = [
        "Shanxi province, CO2 (Mt, from published/emissions_by_sector); total = energy + process,",
        "indirect emissions of electricity and heat reported beside it, not in it:",
        "  year    energy  process    total   indirect: electricity  heat   report",
    ]
    lines += [
        f"  {year}  {energy:8.1f} {process:8.1f} {total:8.1f}  {electricity:20.1f} {heat:5.1f}"
        f"   {report_type}"
        for year, report_type, energy, process, total, electricity, heat in rows
    ]
    return "\n".join(lines)
