"""numba's on-disk cache under the data home, for every library kernel and vectorbt's.

A kernel declared with ``cache=True`` fixes its cache directory when it is decorated, from
``numba.config.CACHE_DIR`` (``NUMBA_CACHE_DIR``); unset, the cache sits in ``__pycache__``
next to the installed source (often read-only, and shared by every environment). Importing
this module points it at ``$OPTIONSINTEL_HOME/numba_cache`` (``~/.optionsintel`` by default;
``OPTIONSINTEL_NUMBA_CACHE_DIR`` overrides), so compiled kernels persist across processes
and a fresh kernel loads them instead of compiling. An explicit ``NUMBA_CACHE_DIR`` in the
environment is left alone. ``optionsintel.research`` and ``optionsintel.backtest._vbt``
import it before anything of theirs is decorated, so the research kernels use the data
home whether or not the backtests were imported first.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

__all__ = ["configure_numba_cache", "numba_cache_dir"]


def numba_cache_dir() -> Path:
    """Directory the numba cache lives in."""
    explicit = os.environ.get("OPTIONSINTEL_NUMBA_CACHE_DIR") or os.environ.get("NUMBA_CACHE_DIR")
    if explicit:
        return Path(explicit).expanduser()
    from optionsintel.settings import get_settings

    # the settings' data home (environment or .env), the one the worker's socket uses
    return get_settings().home / "numba_cache"


def configure_numba_cache() -> Path:
    """Point numba's cache at :func:`numba_cache_dir` (created); the directory in use."""
    path = numba_cache_dir()
    path.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("NUMBA_CACHE_DIR", str(path))
    numba = sys.modules.get("numba")
    if numba is not None:
        # numba read its config when it was imported; the cache locator reads this
        # attribute when each function is decorated (not imported here: a caller that
        # needs no kernel should not pay for numba's import)
        numba.config.CACHE_DIR = os.environ["NUMBA_CACHE_DIR"]
    return Path(os.environ["NUMBA_CACHE_DIR"])


try:
    configure_numba_cache()
except (OSError, ValueError) as _exc:  # a read-only home or a bad setting: numba's default
    logging.getLogger(__name__).warning(
        "numba cache left at numba's default (%s); kernels may compile in every process", _exc
    )
