"""A deterministic sample world of Shanxi's landing-zone feeds, at the province's magnitudes."""

from ingest.uscc import is_valid_uscc, make_uscc
from sample.generate import SampleSummary, generate_landing_zone

__all__ = ["SampleSummary", "generate_landing_zone", "is_valid_uscc", "make_uscc"]
