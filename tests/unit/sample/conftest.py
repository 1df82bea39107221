"""One generated sample landing zone (default arguments) shared by the sample tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from sample import SampleSummary, generate_landing_zone


@pytest.fixture(scope="session")
def landing(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, SampleSummary]:
    out = tmp_path_factory.mktemp("landing")
    summary = generate_landing_zone(out)
    return out, summary
