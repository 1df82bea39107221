"""One generated sample world and one successful run, shared by every integration test module.

Tests that change the home (re-deliveries, failing gates, a second run) work on a copy made by
``home_copy``, so the shared release stays as the first run left it.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest

from orchestration.runner import RunOutcome, materialise_everything
from orchestration.settings import ENVIRONMENT, Settings

FIRST_YEAR, LAST_YEAR = 2017, 2020
SAMPLE_SEED = 7
# The sample world's last day with data: 2017-2019 have their finals (2019's came in October
# 2020), 2020 is in progress with its monthly quick reports to November, and the meter and
# dispatch feeds run day by day from 2017-01-01 (three full years and the year in progress).
SAMPLE_AS_OF = date(LAST_YEAR, 12, 31)
# The platform's today: the morning the last day's files come in; the freshness warnings and
# the ingest judge by it, never by the real today.
AS_OF = (SAMPLE_AS_OF + timedelta(days=1)).isoformat()


@dataclass(frozen=True)
class BuiltHome:
    settings: Settings
    outcome: RunOutcome


def settings_for(home: Path) -> Settings:
    return Settings.from_env(
        {
            "EMISSIONS_HOME": str(home),
            "EMISSIONS_FIRST_YEAR": str(FIRST_YEAR),
            "EMISSIONS_LAST_YEAR": str(LAST_YEAR),
            "EMISSIONS_AS_OF": AS_OF,
        }
    )


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> BuiltHome:
    from sample import generate_landing_zone

    monkeypatch = pytest.MonkeyPatch()
    for variable in ENVIRONMENT:
        monkeypatch.delenv(variable, raising=False)
    settings = settings_for(tmp_path_factory.mktemp("home"))
    generate_landing_zone(
        settings.landing_dir, first_year=FIRST_YEAR, as_of=SAMPLE_AS_OF, seed=SAMPLE_SEED
    )
    outcome = materialise_everything(settings)
    yield BuiltHome(settings, outcome)
    monkeypatch.undo()


@pytest.fixture
def home_copy(built: BuiltHome, tmp_path: Path) -> Settings:
    """A copy of the built home (links kept relative) for a test that changes it."""
    copy = tmp_path / "home"
    shutil.copytree(built.settings.home, copy, symlinks=True)
    return settings_for(copy)


@dataclass(frozen=True)
class SparkRun:
    """``EMISSIONS_ENGINE=spark emissions run`` of the built home's landing zone, in a home of
    its own (its path has a space, as a lake's may), with the artifacts of its dbt build."""

    settings: Settings
    outcome: RunOutcome
    seconds: float
    target: Path  # the dbt build's target folder: run_results.json, logs
    results: list[dict]
    manifest: dict

    @property
    def lake(self) -> Path:
        return self.settings.lake_dir


@pytest.fixture(scope="session")
def spark_run(built: BuiltHome, tmp_path_factory: pytest.TempPathFactory) -> SparkRun:
    """The one Spark run of the suite (three to six minutes: a Spark session per dbt command),
    shared by the parity test (every table of the lake against the built home's) and the engine
    test (every published table against the default run's)."""
    import json
    import time

    from orchestration.dbt import DBT_TARGETS, dbt_environment, dbt_vars, parse_dir

    if shutil.which("java") is None:
        pytest.fail("no `java` on PATH: Spark needs a Java runtime (`make spark` installs one)")
    monkeypatch = pytest.MonkeyPatch()
    for variable in ENVIRONMENT:  # the run exports its settings; the next tests get theirs back
        monkeypatch.delenv(variable, raising=False)
    home = tmp_path_factory.mktemp("spark") / "spark home"
    shutil.copytree(built.settings.landing_dir, home / "landing", symlinks=True)
    default = built.settings
    settings = Settings.from_env(
        {
            "EMISSIONS_HOME": str(home),
            "EMISSIONS_FIRST_YEAR": str(default.first_year),
            "EMISSIONS_LAST_YEAR": str(default.last_year),
            "EMISSIONS_AS_OF": default.as_of.isoformat() if default.as_of else "",
            "EMISSIONS_FACTOR_SET": default.factor_set,
            "EMISSIONS_ENGINE": "spark",
        }
    )
    started, wall = time.perf_counter(), time.time()
    outcome = materialise_everything(settings)
    seconds = time.perf_counter() - started
    print(f"\nEMISSIONS_ENGINE=spark emissions run on the sample: {seconds:.0f} s")
    # The dbt builds' artifacts: the run folders beside the parse of these settings (the parse
    # is keyed by the warehouse too, which the run exported), one per dbt step of the run (the
    # steps Dagster splits the project into: seeds and staging, daily inputs, annual, daily).
    variables = dbt_vars(settings.factor_set, settings.first_year, settings.last_year)
    monkeypatch.setenv("EMISSIONS_WAREHOUSE", str(settings.warehouse_path))
    parse = parse_dir(variables, DBT_TARGETS["spark"], dbt_environment("spark", settings.lake_dir))
    monkeypatch.undo()
    runs = sorted(
        (path for path in parse.glob("run-*/run_results.json") if path.stat().st_mtime >= wall),
        key=lambda path: path.stat().st_mtime,
    )
    assert outcome.success and runs, "\n".join(outcome.failure_lines) or f"no dbt run in {parse}"
    target = runs[-1].parent
    yield SparkRun(
        settings,
        outcome,
        seconds,
        target,
        [
            result
            for run in runs
            for result in json.loads(run.read_text(encoding="utf-8"))["results"]
        ],
        json.loads((parse / "manifest.json").read_text(encoding="utf-8")),
    )
