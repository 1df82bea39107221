"""Readers and loaders for the landing-zone feeds of the data contract."""
