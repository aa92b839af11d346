"""The one place vectorbt is imported, after pointing numba's cache at the data home.

vectorbt compiles its numba kernels with ``cache=True``; by default the cache sits next to
the installed package (often read-only, and shared by every environment). Pointing
``NUMBA_CACHE_DIR`` at ``$OPTIONSINTEL_HOME/numba_cache`` (``~/.optionsintel`` by default;
``OPTIONSINTEL_NUMBA_CACHE_DIR`` overrides) before the import makes the compiled kernels
persist across processes, so a fresh kernel's first backtest loads them instead of
compiling. An explicit ``NUMBA_CACHE_DIR`` in the environment is left alone. When the
``vectorbt-rust`` extra is installed and version-matched, vectorbt dispatches the supported
kernels to Rust (see ``benchmarks/RESULTS.md`` for both measured).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any


def numba_cache_dir() -> Path:
    """Directory the numba cache of the backtests lives in."""
    explicit = os.environ.get("OPTIONSINTEL_NUMBA_CACHE_DIR") or os.environ.get("NUMBA_CACHE_DIR")
    if explicit:
        return Path(explicit).expanduser()
    home = Path(os.environ.get("OPTIONSINTEL_HOME", Path.home() / ".optionsintel")).expanduser()
    return home / "numba_cache"


def _configure_cache() -> None:
    path = numba_cache_dir()
    path.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("NUMBA_CACHE_DIR", str(path))
    import numba

    # numba may already be imported (optionsintel.research uses it): its config was read
    # then, and the cache locator reads this attribute when each function is compiled.
    numba.config.CACHE_DIR = os.environ["NUMBA_CACHE_DIR"]  # type: ignore[attr-defined]


_configure_cache()


def _import_vectorbt() -> Any:
    """Import vectorbt without jsonschema's optional IRI grammar.

    vectorbt imports plotly's ``FigureWidget``, which imports nbformat and so jsonschema;
    jsonschema imports the optional ``rfc3987_syntax`` (its ``iri`` format checker) when
    installed, and that module compiles a Lark grammar at import: 1.5 s on an idle core,
    5 s on the loaded benchmark machine, a third of the first backtest's import time.
    Nothing a backtest does validates IRIs, so while jsonschema is first imported the
    optional module is marked absent (``sys.modules[name] = None`` makes its import fail
    and jsonschema leaves that one format checker out); the mark is removed afterwards,
    so a later ``import rfc3987_syntax`` works. A process that imported jsonschema
    before is left as it is.
    """
    name = "rfc3987_syntax"
    hide = "jsonschema" not in sys.modules and name not in sys.modules
    if hide:
        sys.modules[name] = None  # type: ignore[assignment]
    try:
        import vectorbt
    finally:
        if hide and name in sys.modules and sys.modules[name] is None:
            del sys.modules[name]
    return vectorbt


vbt = _import_vectorbt()
from vectorbt._engine import is_rust_available as rust_available  # noqa: E402


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
