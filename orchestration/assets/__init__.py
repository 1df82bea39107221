"""Dagster assets and checks of the platform, one module per layer."""
