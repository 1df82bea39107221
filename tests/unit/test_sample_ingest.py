"""The sample world loads whole under the row and file rules: no file rejected, no row
quarantined (the sample writes plain decimals, never 1e-05)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from landing_zone import LandingZone

from ingest.feeds import FEEDS
from ingest.names import PeriodBounds
from ingest.reference import ReferenceData

FIRST_YEAR, LAST_YEAR = 2023, 2024


def test_every_sample_feed_loads_with_nothing_quarantined_or_rejected(tmp_path: Path):
    from sample import generate_landing_zone

    zone = LandingZone(tmp_path, ReferenceData.from_seeds())
    generate_landing_zone(
        zone.landing, first_year=FIRST_YEAR, as_of=date(LAST_YEAR, 12, 31), seed=3, daily_days=31
    )
    delivered = sum(1 for path in zone.landing.rglob("*") if path.is_file())
    bounds = PeriodBounds(date(LAST_YEAR + 1, 1, 1), FIRST_YEAR, LAST_YEAR)
    problems, loaded = [], 0
    for feed in FEEDS:
        report = zone.load(feed, bounds=bounds)
        loaded += report.count("loaded")
        problems += [o for o in report.outcomes if o.status != "loaded" or o.rows_quarantined]
    assert problems == []
    assert loaded == delivered
    assert zone.con.execute("select count(*) from audit.quarantined_rows").fetchone() == (0,)
    zone.close()
