"""JSON text a user sends (files, command-line values, rule documents) to Python values.

Every way ``json.loads`` can refuse a text becomes one :class:`JsonTextError` with a
one-line message, so each caller maps one exception to its own error type: a syntax error
(``JSONDecodeError``, with its line and column), nesting deep enough to exhaust the
recursion limit (``RecursionError``), and the other ``ValueError``s (an integer of more
than 4,300 digits; a constant a caller's ``parse_constant`` refuses).
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["JsonTextError", "loads"]


class JsonTextError(ValueError):
    """The text is not acceptable JSON; the message says why, in one line."""


def loads(text: str | bytes, **kwargs: Any) -> Any:
    """``json.loads(text, **kwargs)``, every refusal a :class:`JsonTextError`."""
    try:
        return json.loads(text, **kwargs)
    except json.JSONDecodeError as exc:
        raise JsonTextError(f"{exc.msg} at line {exc.lineno} column {exc.colno}") from None
    except RecursionError:
        raise JsonTextError("nested too deeply") from None
    except ValueError as exc:
        raise JsonTextError(str(exc)[:120]) from None
