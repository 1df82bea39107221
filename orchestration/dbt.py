"""The dbt project as Dagster assets: manifest preparation, the key translator, the build step."""

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtCliResource,
    DbtProject,
    dbt_assets,
)

from ingest.raw_tables import ensure_all_raw_tables
from orchestration.dbt_child import PARENT_PID_VARIABLE
from orchestration.owners import group_owners
from orchestration.resources import WAREHOUSE_POOL, WarehouseResource
from orchestration.settings import DBT_PROJECT_DIR, ENGINES
from orchestration.spark import LAKE_EXPORT, copied_events, spark_tables

# Every dbt command starts through `emissions-dbt` (orchestration/dbt_child.py): the venv's dbt,
# killed by the kernel when the process that started it dies, so no dbt outlives its run.
DBT_EXECUTABLE = Path(sys.executable).with_name("emissions-dbt")
MANIFEST_INPUTS = ("models", "seeds", "macros", "tests", "dbt_project.yml", "profiles.yml")

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)


def dbt_executable() -> str:
    """The dbt launcher of this venv; a clear error if the venv predates it."""
    if not DBT_EXECUTABLE.exists():
        raise RuntimeError(
            f"{DBT_EXECUTABLE} is missing (the venv was installed before it existed): "
            "run `make venv`"
        )
    return str(DBT_EXECUTABLE)


def child_environment(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of a dbt child: this one, the child's parent (this process) named so
    that the launcher can tell if it is already gone, and ``extra``."""
    return {**os.environ, **(extra or {}), PARENT_PID_VARIABLE: str(os.getpid())}


def newest_input_mtime(project_dir: Path = DBT_PROJECT_DIR) -> float:
    newest = 0.0
    for name in MANIFEST_INPUTS:
        path = project_dir / name
        candidates = [path] if path.is_file() else path.rglob("*") if path.exists() else []
        for candidate in candidates:
            if candidate.is_file():
                newest = max(newest, candidate.stat().st_mtime)
    return newest


def dbt_vars(factor_set: str, first_year: int, last_year: int) -> str:
    """The ``--vars`` of the code location's dbt commands, the parse and every build alike: dbt
    parses the whole project again, at every command, when the vars differ from the parse's."""
    variables = {"factor_set": factor_set, "first_year": first_year, "last_year": last_year}
    return json.dumps(variables, sort_keys=True)


# The dbt target (an output of dbt_project/profiles.yml) of each engine of the settings.
DBT_TARGETS = {"duckdb": "local", "spark": "spark"}
assert set(DBT_TARGETS) == set(ENGINES)
DEFAULT_TARGET = DBT_TARGETS[ENGINES[0]]


def dbt_environment(engine: str, lake: Path | None) -> dict[str, str]:
    """What a dbt command of ``engine`` needs in its environment beyond the settings' paths:
    on Spark, the lake (profiles.yml and dbt_project.yml render it into the session's
    warehouse folder and every table's location)."""
    if engine != "spark":
        return {}
    if lake is None or not lake.is_absolute():
        raise ValueError(f"the Spark engine needs an absolute lake folder (EMISSIONS_LAKE): {lake}")
    return {"EMISSIONS_LAKE": str(lake)}


KEEP_RUN_TARGETS = 20
# dbt_project/target/parses/<key>/: one parse per set of --vars, target and environment
PARSES_FOLDER = "parses"


def parse_dir(
    variables: str,
    target: str = DEFAULT_TARGET,
    environment: Mapping[str, str] | None = None,
    project: DbtProject = dbt_project,
) -> Path:
    """Where the parse with these ``--vars``, ``--target`` and ``environment`` lives (the
    manifest holds what they render, e.g. the lake's paths in the Spark tables' locations):
    each has its own folder, so code locations (or tests) of other settings never overwrite
    each other's manifest."""
    # dbt's partial parse also keeps a hash of the rendered profile, i.e. of the warehouse's
    # path: a parse made for another warehouse would make the build parse everything again.
    warehouse = os.environ.get("EMISSIONS_WAREHOUSE", "")
    material = json.dumps([variables, target, dict(sorted((environment or {}).items())), warehouse])
    key = hashlib.sha256(material.encode("utf-8")).hexdigest()[:12]
    return project.project_dir / project.target_path / PARSES_FOLDER / key


def ensure_manifest(
    variables: str,
    target: str = DEFAULT_TARGET,
    environment: Mapping[str, str] | None = None,
    project: DbtProject = dbt_project,
) -> Path:
    """The manifest of a ``dbt parse`` with the builds' ``--vars`` and ``--target`` (and the
    ``environment`` dbt renders): parsed again when missing, older than any dbt source file, or
    parsed with other vars. Each build starts from this parse's ``partial_parse.msgpack``
    (``build_dbt_assets`` copies it), so it parses nothing again. A process parsing the same
    vars holds a lock, so two never write one parse; the latest parse is also copied
    (atomically) to ``target/manifest.json`` for people and tools."""
    folder = parse_dir(variables, target, environment, project)
    folder.mkdir(parents=True, exist_ok=True)
    manifest = folder / "manifest.json"
    parsed_with = folder / "manifest_vars.json"
    with (folder.parent / f"{folder.name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (
            manifest.exists()
            and manifest.stat().st_mtime >= newest_input_mtime(project.project_dir)
            and parsed_with.exists()
            and parsed_with.read_text(encoding="utf-8") == variables
        ):
            return manifest
        command = [dbt_executable(), "parse", "--quiet", "--vars", variables, "--target", target]
        completed = subprocess.run(
            [*command, "--profiles-dir", str(project.profiles_dir), "--target-path", str(folder)],
            cwd=project.project_dir,
            env=child_environment(environment),
            capture_output=True,
            text=True,
            check=False,
        )
        if completed.returncode != 0:
            raise RuntimeError(
                f"dbt parse (target {target}) failed in dbt_project/:\n"
                + (completed.stdout + completed.stderr).strip()
            )
        manifest.touch()
        parsed_with.write_text(variables, encoding="utf-8")
        latest = project.manifest_path
        copy = latest.with_name(f".{latest.name}.{os.getpid()}")
        shutil.copyfile(manifest, copy)
        os.replace(copy, latest)
    return manifest


def run_target_path(manifest: Path) -> Path:
    """A new target folder for one dbt build, beside its parse, holding a copy of the parse's
    ``partial_parse.msgpack`` (dagster-dbt copies one only from the project's target folder,
    which holds the latest parse of any vars)."""
    runs = sorted(manifest.parent.glob("run-*"), key=lambda path: path.stat().st_mtime)
    for old in runs[:-KEEP_RUN_TARGETS]:  # the newest are kept for a look at their logs
        if time.time() - old.stat().st_mtime > 3600:  # never one a build may still write
            shutil.rmtree(old, ignore_errors=True)
    target = manifest.parent / f"run-{uuid.uuid4().hex[:12]}"
    target.mkdir(parents=True)
    partial = manifest.parent / "partial_parse.msgpack"
    if partial.exists():
        shutil.copyfile(partial, target / "partial_parse.msgpack")
    return target


def run_dbt_cli(
    args: Sequence[str], warehouse: Path, target: Path
) -> subprocess.CompletedProcess[str]:
    """dbt in its own process, as Dagster runs it, on ``warehouse`` with its artifacts and logs
    under ``target`` (for a benchmark or a test on its own warehouse; no DuckDB handle of the
    caller's process outlives the command)."""
    locations = ["--profiles-dir", str(DBT_PROJECT_DIR), "--target-path", str(target)]
    return subprocess.run(
        [dbt_executable(), *args, *locations, "--log-path", str(target / "logs")],
        cwd=DBT_PROJECT_DIR,
        env=child_environment({"EMISSIONS_WAREHOUSE": str(warehouse)}),
        capture_output=True,
        text=True,
        check=False,
    )


LAYER_GROUPS = {
    "staging": "staging",
    "intermediate": "intermediate",
    "marts": "marts",
}


class EmissionsDbtTranslator(DagsterDbtTranslator):
    """Keys are the dbt names (``stg_…``, ``out_…``); a source ``raw.x`` is the ingest asset
    ``raw_x``, so the lineage is one graph from the landing zone to the reports. With
    ``source_export`` (the Spark engine's lake export), every seed and model also depends on
    it: on Spark the sources are the lake's copy of the raw tables."""

    def __init__(
        self,
        settings: DagsterDbtTranslatorSettings | None = None,
        source_export: dg.AssetKey | None = None,
    ):
        super().__init__(settings)
        self.source_export = source_export

    def get_asset_spec(
        self, manifest: Mapping[str, Any], unique_id: str, project: DbtProject | None
    ) -> dg.AssetSpec:
        spec = super().get_asset_spec(manifest, unique_id, project)
        props = self.get_resource_props(manifest, unique_id)
        if props["resource_type"] == "source":
            return spec.replace_attributes(
                key=dg.AssetKey(f"{props['source_name']}_{props['name']}")
            )
        if props["resource_type"] == "seed":
            group = "reference"
        else:
            folder = Path(props.get("original_file_path", "")).parts[1:2]
            group = LAYER_GROUPS.get(folder[0] if folder else "", "dbt")
        spec = spec.replace_attributes(
            key=dg.AssetKey(props["name"]),
            group_name=group,
            owners=group_owners(manifest, props.get("group")),
        )
        # Every seed and model, not only those reading a source: each dbt command on Spark
        # registers the lake's raw tables first (on-run-start), so no dbt step may run before
        # the export (Dagster splits the project into several steps).
        if self.source_export is not None:
            spec = spec.merge_attributes(deps=[self.source_export])
        return spec


TRANSLATOR_SETTINGS = DagsterDbtTranslatorSettings(
    enable_asset_checks=True, enable_code_references=False
)
TRANSLATOR = EmissionsDbtTranslator(settings=TRANSLATOR_SETTINGS)


def dbt_build_args(
    variables: str, target: str = DEFAULT_TARGET, unit_tests: bool = True
) -> list[str]:
    """The dbt command of a run; kept pure so it is unit-tested. ``unit_tests`` False leaves
    dbt's unit tests out (a build of a day window: their fixtures are days outside it)."""
    args = ["build", "--vars", variables, "--target", target]
    return args if unit_tests else [*args, "--exclude-resource-type", "unit_test"]


# The daily models (macros/day_window.sql's daily_model_config tags them) are one partitioned
# multi-asset, by day; every other seed and model is the unpartitioned one.
DAILY_TAG = "daily"
DAILY_STEP = "dbt_daily_models"
# A partition run of the daily assets gives dbt its days in these (macros/day_window.sql).
WINDOW_ENVIRONMENT = ("EMISSIONS_NOWCAST_FROM", "EMISSIONS_NOWCAST_TO")
# A run tagged so (a whole `emissions run`) gives no window: int_power__electricity_daily then
# recomputes the days whose files changed, the later daily models every day.
DAYS_TAG = "emissions/days"
CHANGED_DAYS = "changed"


def partition_window(context: dg.AssetExecutionContext) -> tuple[str, str] | None:
    """The first and last day (ISO) of the run's partitions, for dbt; None for a run tagged
    ``emissions/days=changed`` or without partitions."""
    if context.run.tags.get(DAYS_TAG) == CHANGED_DAYS or not (
        context.has_partition_key or context.has_partition_key_range
    ):
        return None
    window = context.partition_time_window
    last = window.end - timedelta(days=1)
    return window.start.date().isoformat(), last.date().isoformat()


def window_environment(window: tuple[str, str] | None) -> dict[str, str]:
    """The environment of a dbt build of ``window`` (every variable set: empty without one)."""
    if window is None:
        return dict.fromkeys(WINDOW_ENVIRONMENT, "")
    for day in window:
        date.fromisoformat(day)  # the day goes into SQL: never anything but a date
    return dict(zip(WINDOW_ENVIRONMENT, window, strict=True))


def build_dbt_assets(
    manifest: Path,
    variables: str,
    engine: str = ENGINES[0],
    lake: Path | None = None,
    days: dg.PartitionsDefinition | None = None,
) -> list[dg.AssetsDefinition]:
    """The dbt project as two multi-assets, built with ``--vars variables`` (those of the
    parse) on ``engine``: the daily models (tag ``daily``) partitioned by ``days`` (a run builds
    its days, the days given to dbt as its window), and every other seed and model, unpartitioned.
    The daily inputs feed the annual models that the daily nowcast reads, so a run of both
    builds them in the steps Dagster splits them into. On DuckDB the models are built in the
    warehouse; on Spark over ``lake``, each table copied into the warehouse as dbt reports it
    built (orchestration/spark.py), so the same asset keys hold the same tables either way."""
    target = DBT_TARGETS[engine]
    spark = engine == "spark"
    environment = dbt_environment(engine, lake)
    copied = spark_tables(json.loads(manifest.read_text(encoding="utf-8"))) if spark else {}
    translator = (
        EmissionsDbtTranslator(settings=TRANSLATOR_SETTINGS, source_export=LAKE_EXPORT)
        if spark
        else TRANSLATOR
    )
    line = engine_line(engine, lake)

    def build(context, dbt: DbtCliResource, warehouse: WarehouseResource, daily: bool):
        if not spark:
            with warehouse.connect() as con:
                ensure_all_raw_tables(con)  # a feed with no delivery yet is an empty source
        elif daily and LAKE_EXPORT not in context.job_def.asset_layer.selected_asset_keys:
            # a day's run has no lake export of its own: the day's raw rows go to the lake here
            from orchestration.lake import export_raw

            with warehouse.connect() as con:
                ensure_all_raw_tables(con)
                written = export_raw(con, lake)
            context.log.info(f"exported {len(written)} raw table(s) to {lake} for the days")
        # dagster-dbt starts dbt with this process's environment: name this process as its
        # parent, for the launcher (orchestration/dbt_child.py) and a later orphan check.
        os.environ[PARENT_PID_VARIABLE] = str(os.getpid())
        os.environ.update(environment)
        # Spark's daily models are tables rebuilt whole: no window there.
        window = partition_window(context) if daily and not spark else None
        os.environ.update(window_environment(window))
        # dbt's tests of several models run where all of them are built or upstream
        os.environ.setdefault("DBT_INDIRECT_SELECTION", "buildable")
        context.log.info(line)
        if daily:
            context.log.info(
                f"days {window[0]} to {window[1]}"
                if window
                else "days: every day (int_power__electricity_daily: the days whose inputs changed)"
            )
        run_target = run_target_path(manifest)
        invocation = dbt.cli(
            dbt_build_args(variables, target, unit_tests=window is None),
            context=context,
            target_path=run_target,
        )
        if not spark:
            yield from invocation.stream()
            return
        try:
            yield from copied_events(invocation.stream(), copied, warehouse)
        except dg.Failure:  # a table that cannot come back fails the step: stop the build too
            invocation.process.terminate()
            raise
        create_duckdb_views(variables, context)

    @dbt_assets(
        manifest=manifest,
        project=dbt_project,
        dagster_dbt_translator=translator,
        pool=WAREHOUSE_POOL,
        name=DBT_STEP,
        exclude=f"tag:{DAILY_TAG}",
    )
    def dbt_emission_models(
        context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource
    ):
        """Seeds, staging, intermediate and mart models of dbt_project/, with their dbt tests
        (all but the daily models)."""
        yield from build(context, dbt, warehouse, daily=False)

    @dbt_assets(
        manifest=manifest,
        project=dbt_project,
        dagster_dbt_translator=translator,
        pool=WAREHOUSE_POOL,
        name=DAILY_STEP,
        select=f"tag:{DAILY_TAG}",
        partitions_def=days,
        backfill_policy=dg.BackfillPolicy.single_run(),
    )
    def dbt_daily_models(
        context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource
    ):
        """The daily models of the nowcast (tag daily), a run building the days of its
        partitions: the day's electricity and plant CO2, the county nowcast, the published
        daily table's cells."""
        yield from build(context, dbt, warehouse, daily=True)

    return [dbt_emission_models, dbt_daily_models]


VIEWS = "config.materialized:view"  # dbt's selector of the models that are views


def duckdb_view_args(variables: str) -> list[str]:
    """The dbt command that makes the project's views in the warehouse; kept pure."""
    return ["run", "--vars", variables, "--target", DEFAULT_TARGET, "--select", VIEWS]


def create_duckdb_views(variables: str, context: dg.AssetExecutionContext) -> None:
    """After a Spark build: the views of the project (staging, some intermediates) made in the
    DuckDB warehouse by dbt on its own target, as the default engine makes them, over the raw
    tables the lake was exported from and the tables copied back from Spark. A view holds no
    rows (Spark's are queries of its metastore): what a gate or a check reads through one is
    what it reads on DuckDB."""
    manifest = ensure_manifest(variables)
    target = run_target_path(manifest)
    locations = ["--profiles-dir", str(DBT_PROJECT_DIR), "--target-path", str(target)]
    completed = subprocess.run(
        [dbt_executable(), *duckdb_view_args(variables), *locations, "--log-path", str(target)],
        cwd=DBT_PROJECT_DIR,
        env=child_environment(),
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        errors = [line.strip() for line in completed.stdout.splitlines() if "Error" in line]
        raise dg.Failure(
            "dbt could not make the project's views in the DuckDB warehouse after the Spark "
            f"build: {'; '.join(errors[:3]) or completed.stderr.strip()[-500:]} "
            f"(dbt's log: {target / 'dbt.log'})"
        )
    command = " ".join(duckdb_view_args(variables))
    context.log.info(f"views made in the DuckDB warehouse: dbt {command}")


DBT_STEP = "dbt_emission_models"  # the step key of build_dbt_assets' unpartitioned multi-asset


def engine_line(engine: str, lake: Path | None) -> str:
    """The one line a run says about who built its dbt models."""
    if engine == "spark":
        return (
            f"dbt models built by Spark (dbt target {DBT_TARGETS[engine]}, lake {lake}), "
            "each table copied into the DuckDB warehouse"
        )
    return f"dbt models built by DuckDB in the warehouse (dbt target {DBT_TARGETS[engine]})"


def dbt_resource() -> DbtCliResource:
    return DbtCliResource(
        project_dir=dbt_project,
        profiles_dir=str(DBT_PROJECT_DIR),
        dbt_executable=dbt_executable(),
    )
