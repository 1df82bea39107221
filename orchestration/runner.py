"""Headless materialisation on the configured home, and the one-line reasons of what failed."""

from __future__ import annotations

import contextlib
import os
import re
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
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

    def summary_line(self) -> str:
        state = "succeeded" if self.success else "FAILED"
        return (
            f"runs {self.run_id} {state}: {self.steps_succeeded} step(s) ok, "
            f"{self.steps_failed} failed, {self.steps_skipped} skipped"
        )


ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*m")


def _dbt_failures(error) -> list[str]:
    """The failing dbt nodes named in a dbt CLI error (its first line says nothing useful)."""
    while error is not None:
        message = ANSI_ESCAPE.sub("", error.message or "")
        if "Errors parsed from dbt logs:" in message:
            parsed = message.split("Errors parsed from dbt logs:", 1)[1].splitlines()
            failures, detail = [], ""
            for line in (line.strip() for line in parsed):
                if line.startswith(("Failure in", "Error in")):
                    if detail:
                        failures.append(detail)
                    detail = line
                elif detail and line and not line.endswith("]") and len(detail) < 300:
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


def landing_partitions(settings: Settings, spec) -> list[str]:
    """Partition keys a run of the feed must cover to see its files in the landing zone, sorted
    (never one outside the partitions: a file of another period is seen by any run)."""
    from orchestration.partitions import landing_partition_keys

    return landing_partition_keys(
        spec, settings.landing_dir, settings.first_year, settings.last_year
    )


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
) -> RunOutcome:
    """Ingest every feed, then build, check, publish and report, on the home's instance.

    Each partitioned feed loads in one run over the range of partitions its files cover
    (a single-run backfill); a failed ingest stops before the marts are rebuilt. ``progress``
    gets one line per finished run; the steps' output goes to a log file unless ``verbose``.
    """
    from ingest.feeds import FEEDS
    from orchestration.definitions import TRANSFORM_JOB, build_defs, ingest_job_name
    from orchestration.instance import ensure_instance

    settings.ensure_dirs()
    ensure_instance(settings.dagster_home)
    settings.export()
    os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    defs = build_defs(settings)
    results = []
    config = run_config(verbose)
    report = progress or (lambda line: None)
    with (
        dg.DagsterInstance.from_config(str(settings.dagster_home)) as instance,
        _console(settings, verbose) as log_path,
    ):

        def execute(job: dg.JobDefinition, tags: dict | None = None) -> bool:
            result = job.execute_in_process(
                instance=instance, raise_on_error=False, tags=tags, run_config=config
            )
            results.append(result)
            report(_describe(result))
            return result.success

        if selection:
            job = dg.define_asset_job("selected_assets", selection=selection)
            defs = dg.Definitions.merge(defs, dg.Definitions(jobs=[job]))
            execute(defs.resolve_job_def("selected_assets"))
        else:
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
                    break
            else:
                execute(defs.resolve_job_def(TRANSFORM_JOB))
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
