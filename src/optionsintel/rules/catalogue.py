"""The closed catalogue of operands a rule may name, as data a UI can list.

Every operand is one number per (bar, symbol): a price field, an indicator of
:mod:`optionsintel.research.indicators` (or one defined here), an option-chain
figure of :func:`optionsintel.chain.chain_summary` for the n-th expiry, or a
fundamental ratio. Each entry states its unit, the panel datasets it reads, its
parameters (type, default, bounds) and the kernel that computes it: entries that
share a kernel (MACD line/signal/histogram, the Bollinger family, pivots) are
computed once per parameter set.

Panel dataset names
-------------------
``open, high, low, close, volume``: wide frames of bars (index = bars, columns =
symbols). ``chain_summary.<column>.e<k>``: a :func:`~optionsintel.chain.chain_summary`
column for the k-th nearest expiry (k = 0 is the nearest) per underlying.
``chain.atm_oi.e<k>``: open interest (calls + puts) summed over the ATM strike and
its two neighbours each side. ``fundamentals.<field>``: the latest reported value
known at each bar (aligned by report date, see :func:`align_reports`).
``signals.<TYPE>``: confidence (0-1) of each of the eight signals, NaN when absent.
``anomaly``: 1 where the DBSCAN anomaly label flags the symbol at the bar, else 0.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from optionsintel.geometry.patterns import PATTERNS

ParamKind = Literal["int", "float", "choice"]
Family = Literal["price", "indicator", "chain", "fundamental"]

MAX_WINDOW = 1000
"""Longest window (bars) any parameter may ask for: bounds the history a rule needs."""
MAX_EXPIRY_INDEX = 2


@dataclass(frozen=True)
class ParamSpec:
    """One parameter of an operand: its type, default and closed range or choices."""

    name: str
    kind: ParamKind
    default: int | float | str
    low: float = 1
    high: float = MAX_WINDOW
    choices: tuple[str, ...] = ()
    doc: str = ""


@dataclass(frozen=True)
class OperandSpec:
    """One operand of the rule language (see the module docstring for datasets)."""

    name: str
    token: str
    family: Family
    unit: str
    datasets: tuple[str, ...]
    description: str
    kernel: str
    output: str | None = None
    params: tuple[ParamSpec, ...] = field(default_factory=tuple)

    def datasets_for(self, params: dict[str, int | float | str]) -> tuple[str, ...]:
        """Return the panel datasets needed with these parameters filled in."""
        return tuple(d.format(**params) for d in self.datasets)


def _window(default: int, low: int = 1, name: str = "window") -> ParamSpec:
    return ParamSpec(name, "int", default, low, MAX_WINDOW, doc="bars in the window")


_EXPIRY = ParamSpec("expiry", "int", 0, 0, MAX_EXPIRY_INDEX, doc="0 = nearest expiry, 1 = next")
_MACD = (_window(12, 1, "fast"), _window(26, 2, "slow"), _window(9, 1, "signal"))
_BB = (_window(20, 2), ParamSpec("num_std", "float", 2.0, 0.1, 10.0, doc="band width in std"))
_HLC = ("high", "low", "close")
_OHLCV = ("open", "high", "low", "close", "volume")


def _price() -> list[OperandSpec]:
    units = {"volume": "shares/contracts"}
    return [
        OperandSpec(f, f, "price", units.get(f, "INR"), (f,), f"bar {f}", "field", f)
        for f in _OHLCV
    ]


def _indicators() -> list[OperandSpec]:
    def ind(name, token, unit, data, desc, kernel, out=None, params=()):  # type: ignore[no-untyped-def]
        return OperandSpec(name, token, "indicator", unit, data, desc, kernel, out, params)

    out = [
        ind(
            "sma",
            "SMA",
            "INR",
            ("close",),
            "simple moving average of close",
            "sma",
            None,
            (_window(20),),
        ),
        ind(
            "ema",
            "EMA",
            "INR",
            ("close",),
            "exponential moving average of close (SMA seed)",
            "ema",
            None,
            (_window(20, 1, "span"),),
        ),
        ind("rsi", "RSI", "0-100", ("close",), "Wilder's RSI", "rsi", None, (_window(14, 2),)),
        ind("atr", "ATR", "INR", _HLC, "Wilder's average true range", "atr", None, (_window(14),)),
        ind("vwap", "VWAP", "INR", (*_HLC, "volume"), "session VWAP of the typical price", "vwap"),
        ind(
            "high_52w",
            "HIGH_52W",
            "INR",
            ("high",),
            "highest high of the window (252 = 52 w)",
            "high_52w",
            None,
            (_window(252),),
        ),
        ind(
            "low_52w",
            "LOW_52W",
            "INR",
            ("low",),
            "lowest low of the window (252 = 52 w)",
            "low_52w",
            None,
            (_window(252),),
        ),
        ind(
            "rvol",
            "RVOL",
            "ratio",
            ("volume",),
            "volume / mean volume of the previous window bars",
            "rvol",
            None,
            (_window(20),),
        ),
    ]
    for part, token in (("macd", "MACD"), ("signal", "MACD_SIGNAL"), ("histogram", "MACD_HIST")):
        out.append(
            ind(
                f"macd_{part}" if part != "macd" else "macd",
                token,
                "INR",
                ("close",),
                f"MACD {part} (EMA fast - EMA slow)",
                "macd",
                part,
                _MACD,
            )
        )
    bands = {"upper": "BB_UPPER", "middle": "BB_MIDDLE", "lower": "BB_LOWER"}
    for part, token in bands.items():
        out.append(
            ind(
                f"bb_{part}",
                token,
                "INR",
                ("close",),
                f"Bollinger {part} band",
                "bollinger",
                part,
                _BB,
            )
        )
    out.append(
        ind(
            "bb_percent_b",
            "BB_PCTB",
            "fraction",
            ("close",),
            "Bollinger %B: (close - lower) / (upper - lower)",
            "bollinger",
            "percent_b",
            _BB,
        )
    )
    out.append(
        ind(
            "bb_bandwidth",
            "BB_WIDTH",
            "fraction",
            ("close",),
            "Bollinger bandwidth: (upper - lower) / middle",
            "bollinger",
            "bandwidth",
            _BB,
        )
    )
    for level in ("pivot", "r1", "r2", "r3", "s1", "s2", "s3"):
        out.append(
            ind(
                level,
                level.upper(),
                "INR",
                _HLC,
                f"floor pivot {level} from the previous bar",
                "pivots",
                level,
            )
        )
    return out


def _chain() -> list[OperandSpec]:
    def ch(name, token, unit, col, desc, params=(_EXPIRY,)):  # type: ignore[no-untyped-def]
        data = (f"chain_summary.{col}.e{{expiry}}",)
        return OperandSpec(name, token, "chain", unit, data, desc, "dataset", None, params)

    rank_params = (_window(252, 2), _EXPIRY)
    return [
        ch("pcr_oi", "PCR_OI", "ratio", "pcr_oi", "put/call ratio of open interest"),
        ch("pcr_volume", "PCR_VOLUME", "ratio", "pcr_volume", "put/call ratio of volume"),
        ch("max_pain", "MAX_PAIN", "INR", "max_pain", "max-pain strike"),
        ch(
            "max_pain_distance",
            "MAX_PAIN_DIST",
            "%",
            "max_pain_distance_pct",
            "max pain relative to spot, percent",
        ),
        ch("atm_iv", "ATM_IV", "% p.a.", "atm_iv", "at-the-money implied volatility"),
        OperandSpec(
            "iv_rank",
            "IV_RANK",
            "chain",
            "0-100",
            ("chain_summary.atm_iv.e{expiry}",),
            "ATM IV rank over the window",
            "iv_rank",
            None,
            rank_params,
        ),
        OperandSpec(
            "iv_percentile",
            "IV_PCTL",
            "chain",
            "0-100",
            ("chain_summary.atm_iv.e{expiry}",),
            "ATM IV percentile over the window",
            "iv_percentile",
            None,
            rank_params,
        ),
        ch("expected_move", "EXP_MOVE", "INR", "expected_move", "ATM straddle expected move"),
        ch(
            "expected_move_pct",
            "EXP_MOVE_PCT",
            "%",
            "expected_move_pct",
            "straddle expected move, percent of the forward",
        ),
        ch("gex", "GEX", "INR per 1 % move", "total_gex", "total dealer gamma exposure"),
        ch("gamma_flip", "GAMMA_FLIP", "INR", "gamma_flip_level", "gamma flip level"),
        ch("call_wall", "CALL_WALL", "INR", "resistance", "call OI wall (resistance strike)"),
        ch("put_wall", "PUT_WALL", "INR", "support", "put OI wall (support strike)"),
        ch("dte", "DTE", "days", "days_to_expiry", "calendar days to expiry"),
        OperandSpec(
            "atm_oi",
            "ATM_OI",
            "chain",
            "contracts",
            ("chain.atm_oi.e{expiry}",),
            "OI (CE + PE) at ATM +/- 2 strikes",
            "dataset",
            None,
            (_EXPIRY,),
        ),
        OperandSpec(
            "atm_oi_change",
            "ATM_OI_CHG",
            "chain",
            "contracts",
            ("chain.atm_oi.e{expiry}",),
            "change of ATM OI over the window bars",
            "diff",
            None,
            (_window(1), _EXPIRY),
        ),
    ]


def _fundamentals() -> list[OperandSpec]:
    rows = (
        ("eps_growth", "EPS_GROWTH", "% YoY", "EPS growth, latest report"),
        ("revenue_growth", "REVENUE_GROWTH", "% YoY", "revenue growth, latest report"),
        ("margin", "NET_MARGIN", "%", "net profit margin, latest report"),
        ("debt_equity", "DEBT_EQUITY", "ratio", "debt to equity, latest report"),
    )
    return [
        OperandSpec(n, t, "fundamental", u, (f"fundamentals.{n}",), d, "dataset")
        for n, t, u, d in rows
    ]


def _geometry() -> list[OperandSpec]:
    # chart patterns of optionsintel.geometry (docs/chart_patterns.md), all causal
    names = ("any", *PATTERNS)
    pattern = ParamSpec("pattern", "choice", "any", choices=names, doc="chart pattern or any")
    return [
        OperandSpec(
            "chart_pattern", "PATTERN", "indicator", "0/1", _HLC,
            "1 when the pattern became known within the last lookback bars", "chart_pattern",
            None, (pattern, _window(20, 1, "lookback")),
        ),
        OperandSpec(
            "pattern_breakout", "BREAKOUT", "indicator", "+1/-1/0", (*_HLC, "volume"),
            "+1 (-1) when the pattern broke out up (down) within the last lookback bars; "
            "volume_multiple > 0 counts only breakouts on that multiple of the 20-bar average",
            "pattern_breakout", None,
            (pattern, _window(1, 1, "lookback"),
             ParamSpec("volume_multiple", "float", 0.0, 0.0, 20.0, doc="0 = no volume test")),
        ),
        OperandSpec(
            "trendline_distance", "TRENDLINE_DIST", "indicator", "%", _HLC,
            "close vs the trendline through the last swing highs (resistance) or lows, percent",
            "trendline_distance", None,
            (ParamSpec("side", "choice", "resistance", choices=("resistance", "support")),
             _window(3, 2, "points")),
        ),
    ]  # fmt: skip


CATALOGUE: dict[str, OperandSpec] = {
    s.name: s for s in (*_price(), *_indicators(), *_chain(), *_fundamentals(), *_geometry())
}
"""Every operand by canonical name, in display order (price, indicators, chain, fundamentals)."""

BY_TOKEN: dict[str, OperandSpec] = {s.token.upper(): s for s in CATALOGUE.values()}
"""The same entries keyed by their (upper-case) text token."""

SIGNAL_TYPES: tuple[str, ...] = (
    "CALL_BUILDUP",
    "PUT_BUILDUP",
    "CALL_UNWINDING",
    "PUT_UNWINDING",
    "GAMMA_SQUEEZE",
    "MAX_PAIN",
    "UNUSUAL_ACTIVITY",
    "MOMENTUM_SHIFT",
)
"""The eight signals (``optionsintel.signals.SignalType`` values; a test keeps them equal)."""


def catalogue_rows() -> list[dict[str, object]]:
    """Return the catalogue as plain rows (name, token, family, unit, datasets, params, ...).

    Returns
    -------
    list of dict
        One row per operand, for a UI's dropdowns or the documentation table.
    """
    return [
        {
            "name": s.name,
            "token": s.token,
            "family": s.family,
            "unit": s.unit,
            "datasets": list(s.datasets),
            "description": s.description,
            "params": [
                {
                    "name": p.name,
                    "kind": p.kind,
                    "default": p.default,
                    "low": p.low,
                    "high": p.high,
                    "choices": list(p.choices),
                    "doc": p.doc,
                }
                for p in s.params
            ],
        }
        for s in CATALOGUE.values()
    ]
