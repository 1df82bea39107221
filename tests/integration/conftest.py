"""One generated sample world and one successful run, shared by every integration test module.

Tests that change the home (re-deliveries, failing gates, a second run) work on a copy made by
``home_copy``, so the shared release stays as the first run left it.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
import yaml

from orchestration.runner import RunOutcome, materialise_everything
from orchestration.settings import ENVIRONMENT, Settings
from quality.gate import THRESHOLDS_FILE

FIRST_YEAR, LAST_YEAR = 2017, 2020
SAMPLE_SEED = 7


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
        }
    )


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> BuiltHome:
    from sample import generate_landing_zone

    monkeypatch = pytest.MonkeyPatch()
    for variable in ENVIRONMENT:
        monkeypatch.delenv(variable, raising=False)
    # The sample ends in 2020: freshness is judged against the sample's last year, not today.
    thresholds = tmp_path_factory.mktemp("config") / "thresholds.yml"
    defaults = yaml.safe_load(THRESHOLDS_FILE.read_text(encoding="utf-8"))
    defaults["freshness_max_lag_years"]["value"] = date.today().year - LAST_YEAR
    thresholds.write_text(yaml.safe_dump(defaults, allow_unicode=True), encoding="utf-8")
    monkeypatch.setenv("EMISSIONS_QUALITY_THRESHOLDS", str(thresholds))
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
