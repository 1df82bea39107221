"""Fixtures shared by the test suite: an isolated EMISSIONS_HOME and the shared reference data."""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestration.settings import ENVIRONMENT, Settings

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_REFERENCE = REPO_ROOT.parent / "shared" / "reference"


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Settings of a fresh EMISSIONS_HOME in a temporary folder, exported to the environment."""
    for variable in ENVIRONMENT:
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("EMISSIONS_HOME", str(tmp_path / "home"))
    settings = Settings.from_env()
    for variable, value in settings.as_env().items():
        monkeypatch.setenv(variable, value)
    settings.ensure_dirs()
    return settings


@pytest.fixture(scope="session")
def shared_reference() -> Path:
    if not SHARED_REFERENCE.is_dir():
        pytest.skip(f"the shared reference data is not beside the repository ({SHARED_REFERENCE})")
    return SHARED_REFERENCE


@pytest.fixture(scope="session")
def dbt_manifest() -> Path:
    """dbt_project/target/manifest.json, parsed as the code location does with default settings
    (the published tables are declared in it)."""
    from orchestration.dbt import dbt_vars, ensure_manifest

    defaults = Settings.from_env({}, cwd=REPO_ROOT)
    return ensure_manifest(dbt_vars(defaults.factor_set, defaults.first_year, defaults.last_year))
