"""The landing zone's entries: where it lives never matters, links are never followed, hidden
files never load, and each of them is recorded once (issue 11, item 1)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from landing_zone import LandingZone

from ingest.ledger import UNREAD
from ingest.reference import ReferenceData

REFERENCE = ReferenceData(
    county_codes=frozenset({"140105"}),
    city_codes=frozenset({"140100"}),
    division_codes=frozenset({"140000", "140100", "140105"}),
    industry_codes=frozenset({"44"}),
    units_by_energy={},
)
FEED = "stats/population"
HEADER = "year,division_code,resident_population_10k"
ROWS = ["2019,140000,3729.22", "2019,140100,446.19"]
CSV = "\n".join([HEADER, *ROWS]) + "\n"


@pytest.fixture
def zone(tmp_path: Path):
    zone = LandingZone(tmp_path, REFERENCE)
    yield zone
    zone.close()


def rows_loaded(zone: LandingZone) -> int:
    return zone.con.execute("select count(*) from raw.stats__population").fetchone()[0]


@pytest.mark.parametrize("home", [".cache/emissions", ".local/share/x y", "with space/landing"])
def test_a_landing_zone_below_a_dot_folder_or_a_space_loads(tmp_path: Path, home: str):
    """Hidden-ness is judged below the feed folder: ~/.cache/… loaded nothing before."""
    zone = LandingZone(tmp_path / home, REFERENCE)
    zone.deliver(FEED, "2019.csv", HEADER, ROWS)
    report = zone.load(FEED)
    assert (report.count("loaded"), report.rows_loaded) == (1, 2)
    zone.close()


def test_a_link_to_a_file_outside_is_never_read_and_moves_to_rejected(zone: LandingZone, tmp_path):
    outside = tmp_path / "outside" / "2019.csv"
    outside.parent.mkdir()
    outside.write_text(CSV, encoding="utf-8")
    folder = zone.landing / FEED
    folder.mkdir(parents=True)
    link = folder / "2019.csv"
    link.symlink_to(outside)

    report = zone.load(FEED)

    assert [(o.path, o.status) for o in report.outcomes] == [(f"{FEED}/2019.csv", "rejected")]
    assert report.outcomes[0].reason.startswith("symbolic_link: a symbolic link (to ")
    assert rows_loaded(zone) == 0, "the link's target was loaded"
    assert outside.read_text(encoding="utf-8") == CSV, "the target is untouched"
    assert not os.path.lexists(link)
    moved = zone.rejected / FEED / "2019.csv"
    assert moved.is_symlink() and os.readlink(moved) == str(outside), "the link itself moved"
    reason = (zone.rejected / FEED / "2019.csv.reason.txt").read_text(encoding="utf-8")
    assert "rejected (symbolic_link)" in reason
    assert zone.deliveries(FEED) == [
        (f"{FEED}/2019.csv", UNREAD, "rejected", report.outcomes[0].reason)
    ]
    assert zone.load(FEED).outcomes == [], "recorded once"


def test_a_linked_folder_is_not_followed_and_gets_one_audit_row(zone: LandingZone, tmp_path):
    batch = tmp_path / "elsewhere"
    batch.mkdir()
    (batch / "2019.csv").write_text(CSV, encoding="utf-8")
    folder = zone.landing / FEED
    folder.mkdir(parents=True)
    (folder / "batch-2").symlink_to(batch, target_is_directory=True)

    report = zone.load(FEED)

    assert [(o.path, o.status) for o in report.outcomes] == [(f"{FEED}/batch-2", "rejected")]
    assert rows_loaded(zone) == 0
    assert (zone.rejected / FEED / "batch-2").is_symlink()
    assert (batch / "2019.csv").exists()
    assert zone.load(FEED).outcomes == []


def test_hidden_files_and_folders_are_recorded_once_and_stay(zone: LandingZone):
    zone.deliver(FEED, "2019.csv", HEADER, ROWS)
    part = zone.deliver(FEED, ".2020.csv.part", HEADER, ["2020,140000,3"])
    inner = zone.deliver(FEED, ".staging/2021.csv", HEADER, ["2021,140000,3"])

    report = zone.load(FEED)

    assert sorted((o.path, o.status) for o in report.outcomes) == [
        (f"{FEED}/.2020.csv.part", "rejected"),
        (f"{FEED}/.staging/2021.csv", "rejected"),
        (f"{FEED}/2019.csv", "loaded"),
    ]
    hidden = [o for o in report.outcomes if o.status == "rejected"]
    assert all(o.reason.startswith("hidden_file: ") for o in hidden)
    assert all(o.sha256 == UNREAD for o in hidden), "a hidden file is never read"
    assert part.exists() and inner.exists(), "an upload in progress stays where it is"
    assert rows_loaded(zone) == 2
    assert zone.load(FEED).outcomes == [], "recorded once, not again at every run"
    assert len(zone.deliveries(FEED)) == 3


def test_a_fifo_is_never_opened(zone: LandingZone):
    folder = zone.landing / FEED
    folder.mkdir(parents=True)
    os.mkfifo(folder / "2019.csv")  # reading it would block forever
    report = zone.load(FEED)
    assert [o.status for o in report.outcomes] == ["rejected"]
    assert report.outcomes[0].reason.startswith("not_a_regular_file: ")
    assert (zone.rejected / FEED / "2019.csv").exists()


def test_nothing_is_written_through_a_link_in_rejected(zone: LandingZone, tmp_path):
    """A link delivered as `x.reason.txt` lands in rejected/; the reason of a later rejected
    `x` must not be written through it, nor a file moved into a linked folder."""
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n", encoding="utf-8")
    victims = tmp_path / "victims"
    victims.mkdir()
    folder = zone.landing / FEED
    folder.mkdir(parents=True)
    (folder / "bad.csv.reason.txt").symlink_to(victim)
    (folder / "batch").symlink_to(victims, target_is_directory=True)
    zone.load(FEED)
    zone.deliver(FEED, "bad.csv", HEADER, ROWS)
    zone.deliver(FEED, "batch/bad.csv", HEADER, ROWS[:1])
    report = zone.load(FEED)
    assert [o.status for o in report.outcomes] == ["rejected", "rejected"]
    assert victim.read_text(encoding="utf-8") == "precious\n"
    assert list(victims.iterdir()) == []
    assert (zone.rejected / FEED / "bad.csv~1").exists()
    assert (zone.rejected / FEED / "bad.csv~1.reason.txt").exists()
    assert (zone.rejected / FEED / "batch~1" / "bad.csv").exists()
