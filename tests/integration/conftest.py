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
