"""The ``optionsintel`` command line."""
