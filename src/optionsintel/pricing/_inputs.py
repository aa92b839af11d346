"""Input normalisation shared by the pricing functions.

Public functions accept scalars, NumPy arrays and pandas Series alike. They call
:func:`as_arrays` once at the boundary, run a kernel on plain ``float64`` arrays and
call :func:`restore` on the way out: a Series in gives a Series out (same index), a
scalar in gives a Python ``float`` out, anything else gives an ``ndarray``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from optionsintel.errors import OptionsIntelError

FloatArray = npt.NDArray[np.float64]

_CALL_NAMES = frozenset({"ce", "c", "call", "calls"})
_PUT_NAMES = frozenset({"pe", "p", "put", "puts"})


class PricingInputError(OptionsIntelError, ValueError):
    """An argument of a pricing function has an invalid value, type or shape."""


def _first_index(values: tuple[Any, ...]) -> pd.Index | None:
    index = None
    for value in values:
        if isinstance(value, pd.Series):
            if index is None:
                index = value.index
            elif not value.index.equals(index):
                raise PricingInputError(
                    "pandas Series arguments have different indexes; align them first "
                    "(e.g. with DataFrame columns) so rows are not silently mismatched"
                )
    return index


def _to_float(value: Any, name: str) -> FloatArray:
    if isinstance(value, pd.Series):
        value = value.to_numpy(dtype=np.float64, na_value=np.nan)
    try:
        return np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise PricingInputError(f"{name} must be numeric, got {value!r:.80}") from exc


def option_sign(option_type: Any) -> FloatArray:
    """Map option types to +1.0 (call) / -1.0 (put).

    Accepts ``"CE"``/``"PE"``, ``"call"``/``"put"``, ``"c"``/``"p"`` in any case, as a
    scalar or as an array/Series of them; numeric +1/-1 are accepted too.

    Raises
    ------
    PricingInputError
        If any value is not one of the accepted names.
    """
    if isinstance(option_type, pd.Series):
        option_type = option_type.to_numpy(dtype=object)
    labels = np.asarray(option_type)
    if labels.dtype.kind in "iuf":
        if not np.all(np.isin(labels, (1, -1))):
            raise PricingInputError("a numeric option_type must be +1 (call) or -1 (put)")
        return labels.astype(np.float64)
    # one hash per row (Python caches a string's hash), then a loop over the few
    # distinct labels: ~2.5x faster than comparing every row with "CE" and then "PE"
    codes, uniques = pd.factorize(np.asarray(labels.reshape(-1), dtype=object))
    signs = np.empty(len(uniques), dtype=np.float64)
    for i, label in enumerate(uniques):  # loop over distinct labels only (a handful)
        key = str(label).strip().lower()
        if key in _CALL_NAMES:
            signs[i] = 1.0
        elif key in _PUT_NAMES:
            signs[i] = -1.0
        else:
            raise PricingInputError(
                f"option_type {label!r} not understood; use 'CE'/'PE', 'call'/'put' or 'c'/'p'"
            )
    if np.any(codes < 0):
        raise PricingInputError("option_type contains missing values; drop those rows first")
    return signs[codes].reshape(labels.shape)


def as_arrays(*, copy: bool = True, **named: Any) -> tuple[list[FloatArray], pd.Index | None, bool]:
    """Convert named numeric arguments to broadcast ``float64`` arrays.

    ``option_type`` (if given) is converted with :func:`option_sign`. With
    ``copy=False`` the arrays may be read-only views of the arguments (broadcast
    scalars have stride 0): for callers that only read them.

    Returns
    -------
    arrays
        The broadcast arrays, in argument order (at least 1-d).
    index
        The index of the first Series argument, or ``None``.
    scalar
        True if every argument was a scalar.
    """
    values = tuple(named.values())
    index = _first_index(values)
    converted = [
        option_sign(v) if k == "option_type" else _to_float(v, k) for k, v in named.items()
    ]
    scalar = all(a.ndim == 0 for a in converted)
    try:
        broadcast = np.broadcast_arrays(*converted)
    except ValueError as exc:
        shapes = {k: a.shape for k, a in zip(named, converted, strict=True)}
        raise PricingInputError(f"arguments cannot be broadcast together: {shapes}") from exc
    arrays = [np.atleast_1d(np.array(a, dtype=np.float64, copy=copy or None)) for a in broadcast]
    if index is not None and arrays[0].shape != (len(index),):
        raise PricingInputError(
            f"Series arguments have length {len(index)} but the broadcast shape is "
            f"{arrays[0].shape}; pass arrays of the Series' length or scalars"
        )
    return arrays, index, scalar


def restore(result: FloatArray, index: pd.Index | None, scalar: bool, name: str | None = None):
    """Give ``result`` the caller's container type (float, ndarray or Series)."""
    if scalar:
        return float(result.reshape(-1)[0])
    if index is not None:
        return pd.Series(result, index=index, name=name)
    return result


def require_non_negative(values: FloatArray, name: str) -> None:
    """Raise :class:`PricingInputError` if any (non-NaN) value is negative."""
    if np.any(values < 0):
        raise PricingInputError(
            f"{name} must be >= 0 (found {values[values < 0][:3]}...); "
            "filter expired contracts or fix the volatility before pricing"
        )
