"""One generated sample landing zone (default arguments) shared by the sample tests."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from sample import SampleSummary, generate_landing_zone

# The default world (2015 to the as-of date) pinned: its last day with data.
AS_OF = date(2025, 12, 31)


@pytest.fixture(scope="session")
def landing(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, SampleSummary]:
    out = tmp_path_factory.mktemp("landing")
    summary = generate_landing_zone(out, as_of=AS_OF)
    return out, summary
