"""Use cases (application layer): commands and read models over the store, domain and adapters."""
