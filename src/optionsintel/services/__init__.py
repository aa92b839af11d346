"""Use cases: what the entry points (CLI, API, Voila apps, Dagster) call."""
