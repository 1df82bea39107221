"""Settings: defaults under EMISSIONS_HOME, overrides, absolute paths, clear errors."""

from datetime import timedelta
from pathlib import Path

import pytest

from orchestration.settings import ENVIRONMENT, Settings, SettingsError, reference_date


def test_defaults_live_under_home(tmp_path: Path):
    settings = Settings.from_env({}, cwd=tmp_path)
    home = tmp_path / "var"
    assert settings.home == home
    assert settings.landing_dir == home / "landing"
    assert settings.warehouse_path == home / "warehouse.duckdb"
    assert settings.published_dir == home / "published"
    assert settings.site_dir == home / "site"
    assert settings.dagster_home == home / "dagster"
    assert settings.factor_set == "provincial_guidelines"
    yesterday = reference_date() - timedelta(days=1)
    assert (settings.first_year, settings.last_year) == (2015, yesterday.year)
    assert settings.engine == "duckdb"
    assert settings.lake_dir == home / "lake"


def test_the_last_year_is_that_of_the_day_before_the_platforms_today(tmp_path: Path):
    assert Settings.from_env({"EMISSIONS_AS_OF": "2026-01-01"}, cwd=tmp_path).last_year == 2025
    assert Settings.from_env({"EMISSIONS_AS_OF": "2026-01-02"}, cwd=tmp_path).last_year == 2026
    explicit = {"EMISSIONS_AS_OF": "2026-06-01", "EMISSIONS_LAST_YEAR": "2024"}
    assert Settings.from_env(explicit, cwd=tmp_path).last_year == 2024


def test_the_engine_and_the_lake(tmp_path: Path):
    settings = Settings.from_env(
        {"EMISSIONS_ENGINE": " spark ", "EMISSIONS_LAKE": "shared/lake"}, cwd=tmp_path
    )
    assert settings.engine == "spark"
    assert settings.lake_dir == tmp_path / "shared" / "lake"  # absolute, as dbt needs it
    assert settings.as_env()["EMISSIONS_LAKE"] == str(tmp_path / "shared" / "lake")


def test_relative_paths_are_made_absolute_and_overrides_win(tmp_path: Path):
    settings = Settings.from_env(
        {"EMISSIONS_HOME": "somewhere", "EMISSIONS_WAREHOUSE": "/data/w.duckdb"}, cwd=tmp_path
    )
    assert settings.home == tmp_path / "somewhere"
    assert settings.landing_dir == tmp_path / "somewhere" / "landing"
    assert settings.warehouse_path == Path("/data/w.duckdb")
    assert all(Path(v).is_absolute() for k, v in settings.as_env().items() if "HOME" in k)


def test_as_env_round_trips_every_variable(tmp_path: Path):
    settings = Settings.from_env({"EMISSIONS_HOME": str(tmp_path), "EMISSIONS_KEEP_RELEASES": "3"})
    exported = settings.as_env()
    assert set(exported) == set(ENVIRONMENT)
    assert Settings.from_env(exported) == settings


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"EMISSIONS_FACTOR_SET": "made_up"}, "EMISSIONS_FACTOR_SET='made_up' is not one of"),
        ({"EMISSIONS_ENGINE": "Spark"}, "EMISSIONS_ENGINE='Spark' is not one of duckdb, spark$"),
        ({"EMISSIONS_KEEP_RELEASES": "many"}, "EMISSIONS_KEEP_RELEASES='many' is not an integer"),
        ({"EMISSIONS_KEEP_RELEASES": "0"}, "EMISSIONS_KEEP_RELEASES=0 must be at least 1"),
        (
            {"EMISSIONS_FIRST_YEAR": "2020", "EMISSIONS_LAST_YEAR": "2019"},
            "EMISSIONS_LAST_YEAR=2019 is before EMISSIONS_FIRST_YEAR=2020",
        ),
    ],
)
def test_bad_values_name_the_variable(env, message, tmp_path: Path):
    with pytest.raises(SettingsError, match=message.replace("(", r"\(")):
        Settings.from_env(env, cwd=tmp_path)


def test_readme_documents_every_variable():
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    for variable in ENVIRONMENT:
        assert f"`{variable}`" in readme, f"README's configuration table lacks {variable}"
