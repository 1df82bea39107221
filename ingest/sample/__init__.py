"""A deterministic sample world of Shanxi's landing-zone feeds, at the province's magnitudes."""

from ingest.sample.generate import SampleSummary, generate_landing_zone
from ingest.sample.uscc import is_valid_uscc, make_uscc

__all__ = ["SampleSummary", "generate_landing_zone", "is_valid_uscc", "make_uscc"]
