"""Publication: Parquet releases of the gated marts, switched in whole, and the readers' catalog."""
