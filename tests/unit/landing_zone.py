"""The harness of the ingest unit tests: a landing zone in a temporary folder, loaded into an
in-memory warehouse with the archive and rejected areas beside it."""

from __future__ import annotations

from pathlib import Path

import duckdb

from ingest.feeds import FEEDS, FeedSpec
from ingest.load import FeedLoadReport, load_feed
from ingest.reference import ReferenceData


class LandingZone:
    def __init__(self, root: Path, reference: ReferenceData):
        self.landing = root / "landing"
        self.archive = root / "archive"
        self.rejected = root / "rejected"
        self.reference = reference
        self.con = duckdb.connect()

    def deliver_text(self, relative: str, text: str, encoding: str = "utf-8") -> Path:
        """A file at ``relative`` below the landing zone, ``text`` in ``encoding``."""
        path = self.landing / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode(encoding))
        return path

    def deliver(self, feed: str, name: str, header: str, rows: list[str]) -> Path:
        """A CSV delivery of ``feed``: the header line, then the rows."""
        return self.deliver_text(f"{feed}/{name}", "\n".join([header, *rows]) + "\n")

    def load(self, feed: str | FeedSpec) -> FeedLoadReport:
        return load_feed(
            self.con,
            FEEDS[feed] if isinstance(feed, str) else feed,
            self.reference,
            landing_dir=self.landing,
            archive_dir=self.archive,
            rejected_dir=self.rejected,
        )

    def quarantined(self, feed: str) -> list[tuple[int, str, str]]:
        """(line number, column, rule) of the feed's quarantined rows."""
        return self.con.execute(
            'select line_number, "column", rule from audit.quarantined_rows where feed = ? '
            "order by line_number, rule",
            [feed],
        ).fetchall()

    def close(self) -> None:
        self.con.close()
