"""What a feed spec says: its folder, file naming, columns, key, row rules, partitions and types."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ingest.names import FileName, Naming
from ingest.rules import RowRule


@dataclass(frozen=True)
class FeedSpec:
    feed: str  # the landing-zone folder, e.g. "stats/energy_consumption"
    columns: tuple[str, ...]
    key: tuple[str, ...]
    naming: Naming
    rules: tuple[RowRule, ...] = field(default=())
    optional_columns: tuple[str, ...] = ()
    # Dagster partitions of the ingest asset: "year", "month", "day", or None for registries
    # and decisions delivered at any time (entities, accounts, targets).
    partitioning: str | None = None
    # Raw columns stored typed rather than as delivered text (the large feeds): column → type.
    types: dict[str, str] = field(default_factory=dict)

    @property
    def table(self) -> str:
        """The raw table: ``raw.<source>__<entity>``."""
        return self.feed.replace("/", "__")

    @property
    def asset_name(self) -> str:
        return f"raw_{self.table}"

    @property
    def name_pattern(self) -> re.Pattern[str]:
        return self.naming.pattern

    @property
    def name_rule(self) -> str:
        """The naming rule in words, for the rejection of a file that breaks it."""
        return self.naming.words

    @property
    def required_columns(self) -> tuple[str, ...]:
        """The columns every delivery must have (the optional ones may be left out)."""
        return tuple(column for column in self.columns if column not in self.optional_columns)

    @property
    def stored_types(self) -> dict[str, str]:
        """Each column's type in the raw table: text unless the spec types it."""
        return {column: self.types.get(column, "varchar") for column in self.columns}

    def parse_name(self, file_name: str) -> FileName | None:
        match = self.name_pattern.fullmatch(file_name)
        if match is None:
            return None
        groups = match.groupdict()
        return FileName(period=groups["period"], report_type=groups.get("report_type"))
