"""Third-party imports deferred to their first use, where they would cost every process ~1 s.

``rfc3987_syntax``: jsonschema imports it at start-up whenever it is installed (here
through jupyter-events' ``jsonschema[format-nongpl]``), and the module builds three Earley
parsers for RFC 3987 as it is imported: 1.1-1.2 s on this project's 2-core machine. Every
process that imports jsonschema pays it: nbformat does, plotly's ``FigureWidget`` imports
nbformat, and vectorbt and every dashboard kernel import ``FigureWidget``. So ``import
vectorbt`` took 3.8 s, of which 1.3 s was this grammar, for jsonschema's ``iri`` format
check, which nothing here calls.

:func:`defer_rfc3987_syntax` puts a stand-in module into ``sys.modules`` (only when the
real one is installed and not yet imported). Its ``is_valid_syntax``, the one name
jsonschema takes, imports the real module on first call and forwards to it; any other
attribute does the same; submodules import as usual (the stand-in has the real package's
``__path__``). Every answer is the real module's; only the parser's construction moves
from start-up to the first IRI actually validated.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import threading
import types
from typing import Any

_NAME = "rfc3987_syntax"
_lock = threading.Lock()
_loaded: types.ModuleType | None = None


def _real() -> types.ModuleType:
    """The real ``rfc3987_syntax``, imported on the first call (thread-safe)."""
    global _loaded
    if _loaded is not None:
        return _loaded
    with _lock:
        if _loaded is None:
            stand_in = sys.modules.get(_NAME)
            if isinstance(stand_in, _DeferredRfc3987Syntax):
                del sys.modules[_NAME]
            try:
                _loaded = importlib.import_module(_NAME)
            except BaseException:
                if isinstance(stand_in, _DeferredRfc3987Syntax):
                    sys.modules[_NAME] = stand_in
                raise
    return _loaded


class _DeferredRfc3987Syntax(types.ModuleType):
    """Stands in for ``rfc3987_syntax`` until something uses it."""

    def __getattr__(self, attr: str) -> Any:
        if attr.startswith("__") and attr.endswith("__"):
            raise AttributeError(attr)
        return getattr(_real(), attr)

    @staticmethod
    def is_valid_syntax(term: str, value: str) -> Any:
        return _real().is_valid_syntax(term, value)


def defer_rfc3987_syntax() -> bool:
    """Install the stand-in; ``True`` if it was installed.

    A no-op when jsonschema, the real module or a stand-in is already loaded, or the
    package is not installed.
    """
    if _NAME in sys.modules or "jsonschema" in sys.modules:
        return False
    try:
        spec = importlib.util.find_spec(_NAME)
    except (ImportError, ValueError):
        return False
    if spec is None:
        return False
    stand_in = _DeferredRfc3987Syntax(
        _NAME, "stand-in until first use, see optionsintel._deferred_imports"
    )
    stand_in.__spec__ = spec
    stand_in.__file__ = spec.origin
    if spec.submodule_search_locations is not None:
        stand_in.__path__ = list(spec.submodule_search_locations)
    sys.modules[_NAME] = stand_in
    return True
