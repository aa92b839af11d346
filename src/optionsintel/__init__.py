"""optionsintel: an options-intelligence research platform for Indian derivatives.

The package is the library layer of the platform (see ``docs/architecture.md``):
providers, the PostgreSQL store, the NSE calendar, pricing and analytics, signals,
research metrics and the widgets that notebooks and Voila apps display.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("optionsintel")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
