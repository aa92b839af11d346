"""Use cases: commands and read models over the domain packages and the store."""
