"""Use cases: read models and commands over the domain packages and the store."""
