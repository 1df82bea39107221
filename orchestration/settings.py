"""The platform's one settings object: every path and knob, read from environment variables."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
REPORT_PAGES_DIR = REPO_ROOT / "reports" / "pages"

FACTOR_SETS = ("provincial_guidelines", "ipcc_2006")
# What builds the dbt project: DuckDB in the warehouse itself, or Spark over the lake (the marts
# then come back into the warehouse; orchestration/dbt.py names each engine's dbt target).
ENGINES = ("duckdb", "spark")
# China's time zone, declared once: its IANA name (for Dagster's partitions and schedules) and
# its offset (for dates computed here). China has no daylight saving time since 1991, so the
# fixed offset is exact for every date the platform handles.
CHINA_TIMEZONE = "Asia/Shanghai"
CHINA = timezone(timedelta(hours=8), "CST")


def reference_date(as_of: date | None = None) -> date:
    """The platform's today: ``as_of`` if set (EMISSIONS_AS_OF), else today in China, the
    statistical calendar's time zone. The one date the freshness checks judge lateness by and
    the ingest judges a file's period "in the future" by."""
    return as_of if as_of is not None else datetime.now(CHINA).date()


def last_day_with_data(as_of: date | None = None) -> date:
    """The day before the platform's today: the last day whose meter and dispatch files have
    come in (they arrive the next morning), the default as-of date of the sample world."""
    return reference_date(as_of) - timedelta(days=1)


class SettingsError(ValueError):
    """A configuration value is missing or malformed; the message names the variable."""


@dataclass(frozen=True)
class Settings:
    """Resolved configuration. Every path is absolute.

    The environment variable behind each field is listed in ``ENVIRONMENT`` and in the
    README's configuration table.
    """

    home: Path
    landing_dir: Path
    warehouse_path: Path
    published_dir: Path
    site_dir: Path
    dagster_home: Path
    factor_set: str
    keep_releases: int
    first_year: int
    last_year: int
    sample_seed: int
    sample_scale: int
    engine: str  # one of ENGINES
    lake_dir: Path
    # The reference date of the freshness warnings; None: the day each check runs.
    as_of: date | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, cwd: Path | None = None) -> Settings:
        env = os.environ if env is None else env
        cwd = Path.cwd() if cwd is None else cwd

        def path(name: str, default: Path) -> Path:
            raw = env.get(name, "").strip()
            chosen = Path(raw).expanduser() if raw else default
            return (chosen if chosen.is_absolute() else cwd / chosen).resolve()

        def integer(name: str, default: int, minimum: int) -> int:
            raw = env.get(name, "").strip()
            if not raw:
                return default
            try:
                value = int(raw)
            except ValueError:
                raise SettingsError(f"{name}={raw!r} is not an integer") from None
            if value < minimum:
                raise SettingsError(f"{name}={value} must be at least {minimum}")
            return value

        def day(name: str) -> date | None:
            raw = env.get(name, "").strip()
            if not raw:
                return None
            try:
                return date.fromisoformat(raw)
            except ValueError:
                raise SettingsError(f"{name}={raw!r} is not a date (YYYY-MM-DD)") from None

        home = path("EMISSIONS_HOME", Path("var"))
        factor_set = env.get("EMISSIONS_FACTOR_SET", "").strip() or FACTOR_SETS[0]
        if factor_set not in FACTOR_SETS:
            raise SettingsError(
                f"EMISSIONS_FACTOR_SET={factor_set!r} is not one of {', '.join(FACTOR_SETS)}"
            )
        engine = env.get("EMISSIONS_ENGINE", "").strip() or ENGINES[0]
        if engine not in ENGINES:
            raise SettingsError(f"EMISSIONS_ENGINE={engine!r} is not one of {', '.join(ENGINES)}")
        as_of = day("EMISSIONS_AS_OF")
        first_year = integer("EMISSIONS_FIRST_YEAR", 2015, 1990)
        # By default the platform accounts up to the year in progress: that of yesterday.
        last_year = integer("EMISSIONS_LAST_YEAR", last_day_with_data(as_of).year, 1990)
        if last_year < first_year:
            raise SettingsError(
                f"EMISSIONS_LAST_YEAR={last_year} is before EMISSIONS_FIRST_YEAR={first_year}"
            )
        return cls(
            home=home,
            landing_dir=path("EMISSIONS_LANDING", home / "landing"),
            warehouse_path=path("EMISSIONS_WAREHOUSE", home / "warehouse.duckdb"),
            published_dir=path("EMISSIONS_PUBLISHED", home / "published"),
            site_dir=path("EMISSIONS_SITE", home / "site"),
            dagster_home=path("DAGSTER_HOME", home / "dagster"),
            factor_set=factor_set,
            keep_releases=integer("EMISSIONS_KEEP_RELEASES", 5, 1),
            first_year=first_year,
            last_year=last_year,
            sample_seed=integer("EMISSIONS_SAMPLE_SEED", 42, 0),
            sample_scale=integer("EMISSIONS_SAMPLE_SCALE", 1, 1),
            as_of=as_of,
            engine=engine,
            lake_dir=path("EMISSIONS_LAKE", home / "lake"),
        )

    def as_env(self) -> dict[str, str]:
        """The environment that makes every process (Dagster, dbt, readers) see these values."""
        values = {field: getattr(self, field) for field, _default, _meaning in ENVIRONMENT.values()}
        return {
            variable: "" if values[field] is None else str(values[field])
            for variable, (field, _default, _meaning) in ENVIRONMENT.items()
        }

    def export(self) -> None:
        """Write the resolved values back into ``os.environ`` so dbt's ``env_var()`` sees them."""
        os.environ.update(self.as_env())

    def ensure_dirs(self) -> None:
        for directory in (
            self.home,
            self.landing_dir,
            self.warehouse_path.parent,
            self.published_dir,
            self.dagster_home,
        ):
            directory.mkdir(parents=True, exist_ok=True)


# variable -> (Settings field, default, meaning). The README's table is written from this.
ENVIRONMENT: dict[str, tuple[str, str, str]] = {
    "EMISSIONS_HOME": ("home", "./var", "Root of everything the platform writes."),
    "EMISSIONS_LANDING": ("landing_dir", "$EMISSIONS_HOME/landing", "The landing zone."),
    "EMISSIONS_WAREHOUSE": (
        "warehouse_path",
        "$EMISSIONS_HOME/warehouse.duckdb",
        "The DuckDB warehouse (also read by dbt's profiles.yml).",
    ),
    "EMISSIONS_PUBLISHED": (
        "published_dir",
        "$EMISSIONS_HOME/published",
        "Published Parquet extracts, one folder per table.",
    ),
    "EMISSIONS_SITE": ("site_dir", "$EMISSIONS_HOME/site", "The rendered report site."),
    "DAGSTER_HOME": ("dagster_home", "$EMISSIONS_HOME/dagster", "The Dagster instance."),
    "EMISSIONS_FACTOR_SET": (
        "factor_set",
        "provincial_guidelines",
        "Emission factor set: provincial_guidelines or ipcc_2006.",
    ),
    "EMISSIONS_KEEP_RELEASES": (
        "keep_releases",
        "5",
        "Published releases kept per table (older ones are pruned).",
    ),
    "EMISSIONS_FIRST_YEAR": ("first_year", "2015", "First year of the sample and the marts."),
    "EMISSIONS_LAST_YEAR": (
        "last_year",
        "the year of yesterday",
        "Last year of the sample and the marts: by default the year in progress (that of the day "
        "before EMISSIONS_AS_OF).",
    ),
    "EMISSIONS_SAMPLE_SEED": ("sample_seed", "42", "Seed of the generated sample landing zone."),
    "EMISSIONS_SAMPLE_SCALE": ("sample_scale", "1", "Scale of the generated sample."),
    "EMISSIONS_AS_OF": (
        "as_of",
        "today",
        "Reference date (YYYY-MM-DD) of the freshness warnings; unset, the day each check runs "
        "(China time).",
    ),
    "EMISSIONS_ENGINE": (
        "engine",
        "duckdb",
        "What builds the dbt models: duckdb (in the warehouse) or spark (dbt-spark over the "
        'lake; the marts then come back into the warehouse). See "Scale-out on Spark".',
    ),
    "EMISSIONS_LAKE": (
        "lake_dir",
        "$EMISSIONS_HOME/lake",
        "The lake (EMISSIONS_ENGINE=spark): raw tables as Parquet, Spark's tables and metastore.",
    ),
}

assert {field for field, _d, _m in ENVIRONMENT.values()} == {f.name for f in fields(Settings)}
