"""The serial kernel twins are compiled from their own function, not the threaded one's.

numba's on-disk cache keys entries by the function's qualified name and signature, not by
``parallel``: a twin made from the same function could load the threaded machine code from
the cache (a single symbol's detections then cost 17 ms of CPU instead of ~2.5 ms).
"""

from __future__ import annotations

from optionsintel.geometry import _detect, _kernels


def test_each_serial_twin_has_its_own_cache_identity() -> None:
    pairs = [
        (_detect.detect, _detect.detect_serial),
        (_kernels.fractal_pivots, _kernels.fractal_pivots_serial),
        (_kernels.zigzag_pivots, _kernels.zigzag_pivots_serial),
        (_kernels.rolling_lines, _kernels.rolling_lines_serial),
    ]
    for threaded, twin in pairs:
        assert twin.py_func is not threaded.py_func
        assert twin.py_func.__qualname__ == threaded.py_func.__qualname__ + "_serial"
        assert twin.py_func.__code__ is threaded.py_func.__code__  # the same algorithm
        assert not twin.targetoptions.get("parallel") and threaded.targetoptions["parallel"]
