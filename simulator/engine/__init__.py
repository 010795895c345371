"""The engine: one step plan, one replicate, many replicates, results."""
