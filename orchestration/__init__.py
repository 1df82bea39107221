"""The Dagster code location of the platform: definitions, assets, resources and the CLI."""
