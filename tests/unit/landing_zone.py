"""The harness of the ingest unit tests: a landing zone in a temporary folder, loaded into an
in-memory warehouse with the archive and rejected areas beside it."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb

from ingest.feeds import FEEDS
from ingest.load import FeedLoadReport, load_feed
from ingest.names import PeriodBounds
from ingest.reference import ReferenceData
from ingest.spec import FeedSpec


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

    def load(
        self,
        feed: str | FeedSpec,
        bounds: PeriodBounds | None = None,
        window: tuple[date, date] | None = None,
    ) -> FeedLoadReport:
        return load_feed(
            self.con,
            FEEDS[feed] if isinstance(feed, str) else feed,
            self.reference,
            landing_dir=self.landing,
            archive_dir=self.archive,
            rejected_dir=self.rejected,
            window=window,
            **({} if bounds is None else {"bounds": bounds}),
        )

    def deliveries(self, feed: str) -> list[tuple[str, str, str, str | None]]:
        """(path, sha256, status, reason) of the feed's recorded deliveries, in path order."""
        return self.con.execute(
            "select path, sha256, status, reason from audit.file_deliveries where feed = ? "
            "order by path, received_at",
            [feed],
        ).fetchall()

    def quarantined(self, feed: str) -> list[tuple[int, str, str]]:
        """(line number, column, rule) of the feed's quarantined rows."""
        return self.con.execute(
            'select line_number, "column", rule from audit.quarantined_rows where feed = ? '
            "order by line_number, rule",
            [feed],
        ).fetchall()

    def close(self) -> None:
        self.con.close()
