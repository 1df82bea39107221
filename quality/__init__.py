"""Quality gates (Great Expectations suites) and the write–audit–publish of indicator tables."""
