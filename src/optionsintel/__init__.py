"""optionsintel: an options-intelligence research platform for Indian derivatives.

The package is the library layer of the platform (see ``docs/architecture.md``):
providers, the PostgreSQL store, the NSE calendar, pricing and analytics, signals,
research metrics and the widgets that notebooks and Voila apps display.
"""

from __future__ import annotations

from optionsintel._deferred_imports import defer_rfc3987_syntax

__all__ = ["__version__"]

# ~1.2 s off every process that reaches jsonschema (dashboard kernels, vectorbt): see
# optionsintel._deferred_imports.
defer_rfc3987_syntax()


def __getattr__(name: str) -> str:
    """``__version__``, read from the installed metadata on first use.

    Lazily: ``importlib.metadata`` costs ~0.1 s, which every ``optionsintel`` command
    (even ``--help``) would otherwise pay on start.
    """
    if name != "__version__":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib.metadata import PackageNotFoundError, version

    try:
        value = version("optionsintel")
    except PackageNotFoundError:  # running from a source tree without installation
        value = "0.0.0+unknown"
    globals()["__version__"] = value
    return value
