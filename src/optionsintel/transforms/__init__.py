"""Pure pipeline transforms: canonical frames in, store-table frames out (no I/O)."""
