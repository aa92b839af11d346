"""Chart-geometry benchmarks (prints figures; recorded in benchmarks/RESULTS.md).

1. All detectors (fractal swing points + every pattern with breakouts and volume) over
   1,000 symbols x 504 daily bars (two years): target < 2 s.
2. One symbol's detections for a chart (the same, 504 bars): target < 20 ms.
3. Per-bar trendlines (support and resistance through the last 3 pivots), 1,000 x 504.
4. The canvas and Technical tab's chart for one symbol: detections + candlestick figure with
   the patterns drawn + its JSON for plotly.js (504 bars), and a drawn line's condition
   (``close CROSSES ABOVE LINE(...)``) evaluated over 1,000 x 504.

Numba kernels are compiled (and cached) before timing. Wall and process-CPU medians are
printed; the kernels run ``numba.prange`` over symbols, so CPU can exceed wall on 2 cores.

Run: .venv/bin/python benchmarks/bench_geometry.py
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable

import numpy as np
import pandas as pd

from optionsintel.geometry import detect_patterns, swing_points, trendlines
from optionsintel.rules import evaluate, parse_rule
from optionsintel.ui.chart_figures import candle_figure, detect_for_chart
from optionsintel.ui.plotly_grid import figure_json


def make_panel(bars: int, symbols: int, seed: int) -> dict[str, pd.DataFrame]:
    """Seeded daily OHLCV random walks (2 % daily volatility)."""
    rng = np.random.default_rng(seed)
    idx = pd.date_range("2023-01-02", periods=bars, freq="B")
    cols = pd.Index([f"SYM{i:04d}" for i in range(symbols)])
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.02, (bars, symbols)), axis=0))
    spread = np.abs(rng.normal(0, 0.01, (bars, symbols)))
    arrays = {
        "high": close * (1 + spread),
        "low": close * (1 - spread),
        "close": close,
        "volume": rng.integers(10_000, 50_000, (bars, symbols)).astype(float),
    }
    return {k: pd.DataFrame(v, index=idx, columns=cols) for k, v in arrays.items()}


def _median_ms(fn: Callable[[], object], repeats: int) -> tuple[float, float]:
    wall, cpu = [], []
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return 1e3 * float(np.median(wall)), 1e3 * float(np.median(cpu))


def main() -> None:
    panel = make_panel(504, 1000, seed=11)
    args = [panel[k] for k in ("high", "low", "close", "volume")]
    one = [a.iloc[:, 0] for a in args]
    detect_patterns(*one)  # compile / load the numba cache
    n_det = len(detect_patterns(*args))
    print(f"load average: {os.getloadavg()}")
    w, c = _median_ms(lambda: detect_patterns(*args), 5)
    print(f"all detectors, 1,000 x 504 bars ({n_det} detections): wall {w:.0f} ms, CPU {c:.0f} ms")
    w, c = _median_ms(lambda: detect_patterns(*one), 50)
    print(f"one symbol, 504 bars: wall {w:.2f} ms, CPU {c:.2f} ms")
    sw = swing_points(args[0], args[1])
    w, c = _median_ms(lambda: swing_points(args[0], args[1]), 5)
    print(f"swing points only, 1,000 x 504: wall {w:.0f} ms, CPU {c:.0f} ms")
    w, c = _median_ms(lambda: trendlines(sw, points=3), 5)
    print(f"per-bar trendlines, 1,000 x 504: wall {w:.0f} ms, CPU {c:.0f} ms")
    bars = pd.DataFrame({k: panel[k].iloc[:, 0] for k in ("high", "low", "close", "volume")})
    bars.insert(0, "open", bars["close"])

    def chart() -> None:
        det = detect_for_chart(bars, "SYM0000")
        figure_json(candle_figure(bars, "SYM0000", indicators=["SMA(20)", "Volume"], detected=det))

    chart()
    w, c = _median_ms(chart, 20)
    print(
        f"one symbol's chart (detections + figure + JSON), 504 bars: wall {w:.1f} ms, "
        f"CPU {c:.1f} ms"
    )
    rule = parse_rule("close CROSSES ABOVE LINE(2023-06-01, 100, 2023-09-01, 110)")
    evaluate(rule, panel)
    w, c = _median_ms(lambda: evaluate(rule, panel), 5)
    print(f"drawn-line condition over 1,000 x 504: wall {w:.1f} ms, CPU {c:.1f} ms")


if __name__ == "__main__":
    main()
