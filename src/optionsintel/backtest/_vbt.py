"""The one place vectorbt is imported, after pointing numba's cache at the data home.

vectorbt compiles its numba kernels with ``cache=True``; :mod:`optionsintel._numba_cache`
(imported first) puts that cache under ``$OPTIONSINTEL_HOME/numba_cache``, so a fresh
kernel's first backtest loads the compiled kernels instead of compiling them. When the
``vectorbt-rust`` extra is installed and version-matched, vectorbt dispatches the supported
kernels to Rust (see ``benchmarks/RESULTS.md`` for both measured).
"""

from __future__ import annotations

import sys

from optionsintel._numba_cache import numba_cache_dir

# isort: split
# After the cache set-up. jsonschema's IRI grammar, which vectorbt's import would build
# (1.2 s), is deferred by optionsintel._deferred_imports.
import vectorbt as vbt
from vectorbt._engine import is_rust_available as rust_available


def _cache_plain_kernels() -> int:
    """Turn on numba's disk cache for vectorbt kernels declared without ``cache=True``.

    vectorbt leaves some kernels uncached, notably ``simulate_from_signal_func_nb`` (the
    signal-function simulation behind time-in-trade exits), which then compiles in every
    process. ``Dispatcher.enable_caching`` is what ``cache=True`` does at decoration time;
    a kernel numba cannot cache is still compiled (numba warns and skips the cache).
    """
    from numba.core.caching import NullCache
    from numba.core.registry import CPUDispatcher

    modules = ("portfolio.nb", "signals.nb", "generic.nb", "records.nb", "base.combine_fns")
    done = 0
    for name in modules:
        module = sys.modules.get(f"vectorbt.{name}")
        for obj in vars(module).values() if module else ():
            if isinstance(obj, CPUDispatcher) and isinstance(obj._cache, NullCache):  # type: ignore[attr-defined]
                obj.enable_caching()
                done += 1
    return done


_cache_plain_kernels()

__all__ = ["numba_cache_dir", "rust_available", "vbt"]
