"""One generated sample world and one successful run, shared by every integration test module.

Tests that change the home (re-deliveries, failing gates, a second run) work on a copy made by
``home_copy``, so the shared release stays as the first run left it.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from orchestration.runner import RunOutcome, materialise_everything
from orchestration.settings import ENVIRONMENT, Settings

FIRST_YEAR, LAST_YEAR = 2017, 2020
SAMPLE_SEED = 7
# The sample world ends on 31 December of its last year: the freshness warnings look at it as
# of the next day, never as of today.
AS_OF = f"{LAST_YEAR + 1}-01-01"


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
        settings.landing_dir, first_year=FIRST_YEAR, last_year=LAST_YEAR, seed=SAMPLE_SEED
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
