"""Pipeline steps the Dagster assets call: pure transforms and collection I/O."""
