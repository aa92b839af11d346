"""A synthetic universe of NSE-like equities with fundamentals and years of daily OHLCV.

Determinism: symbol attributes are drawn in chunks of 500 symbols from
``SeedSequence([seed, 7, chunk])`` and daily shocks per (calendar year, chunk) from
``SeedSequence([seed, 10, year, chunk])``, so symbol ``i`` is identical whatever ``n`` is
asked for and whichever date range is generated.

Return model (daily, on every weekday from 2019-01-01; holiday returns fold into the
next trading day's gap)::

    r_it = alpha_i + beta_i m_t + gamma_i s_{sector(i), t} + sigma_i sqrt(v_t / 252) e_it

``m_t`` is the market factor (Student-t, df 4, with the log-SV volatility ``v_t`` of
:mod:`optionsintel.synthetic.underlying`), ``s`` are sector factors (8 % a year),
``e`` Student-t (df 4) idiosyncratic shocks scaled to unit variance, with idiosyncratic
volatility ``sigma_i`` decreasing with market cap (small caps 40-60 %, large caps
15-25 %), and a small ``alpha_i`` tied to earnings growth. The open is
``O = C exp(-0.75 r)`` (a quarter of the move happens overnight); high and low extend
beyond ``max(O, C)``/``min(O, C)`` by half-normal multiples of the day's volatility.
Volume (shares) is ``0.25 %`` of market cap per day divided by price, lognormal, higher
on large moves.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from functools import lru_cache

import numpy as np
import numpy.typing as npt
import pandas as pd

from optionsintel.calendar import trading_days
from optionsintel.errors import CalendarError, NoDataError
from optionsintel.frames import CANDLE_COLUMNS
from optionsintel.synthetic.underlying import PROVIDER, _seed_sequence
from optionsintel.tz import EXCHANGE_TZ

FloatArray = npt.NDArray[np.float64]
EQUITY_EPOCH = np.datetime64("2019-01-01", "D")
_END = np.datetime64("2027-01-01", "D")
_CHUNK = 500
_DF = 4.0
SECTORS: dict[str, tuple[float, float, float, float]] = {
    # name: (weight in universe, mean beta, mean profit margin, mean debt/equity)
    "Financials": (0.16, 1.15, 0.18, 3.5),
    "Information Technology": (0.08, 0.85, 0.17, 0.1),
    "Consumer Discretionary": (0.12, 1.05, 0.08, 0.6),
    "Consumer Staples": (0.07, 0.65, 0.10, 0.3),
    "Industrials": (0.14, 1.10, 0.08, 0.7),
    "Materials": (0.12, 1.15, 0.09, 0.8),
    "Health Care": (0.09, 0.75, 0.12, 0.3),
    "Energy": (0.04, 1.00, 0.07, 0.9),
    "Utilities": (0.04, 0.80, 0.12, 1.5),
    "Communication Services": (0.04, 0.95, 0.09, 1.2),
    "Real Estate": (0.05, 1.30, 0.15, 0.9),
    "Automobiles": (0.05, 1.10, 0.07, 0.5),
}
_SYLLABLES = np.array(
    [
        "ka",
        "ra",
        "vi",
        "sha",
        "ma",
        "ni",
        "ta",
        "pu",
        "ro",
        "de",
        "li",
        "sa",
        "ne",
        "go",
        "hi",
        "ja",
        "bha",
        "ku",
        "la",
        "mi",
        "na",
        "po",
        "re",
        "su",
        "ti",
        "va",
        "ya",
        "ze",
        "an",
        "in",
        "on",
        "dra",
        "tri",
        "pra",
        "sri",
        "kri",
        "gan",
    ]
)


def _chunk_attributes(seed: int, chunk: int) -> pd.DataFrame:
    rng = np.random.default_rng(_seed_sequence(seed, 7, chunk))
    names = list(SECTORS)
    weights = np.array([v[0] for v in SECTORS.values()])
    sector = rng.choice(len(names), _CHUNK, p=weights / weights.sum())
    beta_m, margin_m, de_m = (np.array([v[k] for v in SECTORS.values()])[sector] for k in (1, 2, 3))
    cap = np.exp(rng.normal(np.log(5_000.0), 1.6, _CHUNK))  # rupees crore
    syl = rng.integers(0, _SYLLABLES.size, (_CHUNK, 3))
    stem = np.char.add(
        np.char.add(_SYLLABLES[syl[:, 0]], _SYLLABLES[syl[:, 1]]), _SYLLABLES[syl[:, 2]]
    )
    eps_growth = rng.normal(0.12, 0.25, _CHUNK)
    return pd.DataFrame(
        {
            "stem": np.char.upper(stem),
            "sector": np.array(names, dtype=object)[sector],
            "market_cap": np.round(cap, 1),
            "beta": np.clip(beta_m + rng.normal(0, 0.25, _CHUNK), 0.3, 2.2),
            "sector_loading": rng.uniform(0.5, 1.3, _CHUNK),
            "idio_vol": 0.28 * (cap / 5_000.0) ** -0.12 * np.exp(rng.normal(0, 0.25, _CHUNK)),
            "eps_growth": eps_growth,
            "revenue_growth": 0.5 * eps_growth + rng.normal(0.05, 0.08, _CHUNK),
            "profit_margin": np.clip(margin_m + rng.normal(0, 0.06, _CHUNK), -0.3, 0.6),
            "debt_to_equity": de_m * np.exp(rng.normal(0, 0.6, _CHUNK)),
            "base_price": np.exp(rng.normal(np.log(400.0), 1.0, _CHUNK)),
        }
    )


@lru_cache(maxsize=8)
def _universe(n: int, seed: int) -> pd.DataFrame:
    chunks = [_chunk_attributes(seed, c) for c in range(-(-n // _CHUNK))]
    frame = pd.concat(chunks, ignore_index=True).iloc[:n].copy()
    dup = frame.groupby("stem").cumcount()  # prefix-stable suffixes keep symbol i fixed
    symbol = frame["stem"].str.slice(0, 9) + np.where(dup > 0, dup.astype(str), "")
    frame.insert(0, "symbol", symbol.astype(object))
    frame.insert(1, "name", (frame["stem"].str.capitalize() + " Ltd").astype(object))
    frame["alpha"] = 0.04 * frame["eps_growth"] / 252.0
    return frame.drop(columns="stem")


def equity_universe(n: int = 2000, seed: int = 0) -> pd.DataFrame:
    """Return ``n`` synthetic equities with sector labels and fundamentals.

    Parameters
    ----------
    n
        Number of symbols (>= 1).
    seed
        Market seed.

    Returns
    -------
    pandas.DataFrame
        ``symbol, name, sector, market_cap`` (rupees crore), ``beta``,
        ``sector_loading``, ``idio_vol`` (annual), ``eps_growth``, ``revenue_growth``,
        ``profit_margin``, ``debt_to_equity``, ``base_price`` (price on 2019-01-01),
        ``alpha`` (daily drift). Symbol ``i`` does not depend on ``n``.

    Raises
    ------
    ValueError
        If ``n < 1``.
    """
    if int(n) < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    return _universe(int(n), int(seed)).copy()


def _grid() -> npt.NDArray[np.datetime64]:
    days = np.arange(EQUITY_EPOCH, _END, dtype="datetime64[D]")
    return days[np.is_busday(days)]


@lru_cache(maxsize=4)
def _factors(seed: int) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Market return, market variance ratio and sector returns on the weekday grid."""
    from scipy.signal import lfilter

    n = _grid().size
    rng = np.random.default_rng(_seed_sequence(seed, 8))
    eta = 0.3 * np.sqrt(1 - 0.985**2) * rng.standard_normal(n)
    ratio = np.exp(2 * lfilter([1.0], [1.0, -0.985], eta) - 2 * 0.09)
    t = rng.standard_t(_DF, n) / np.sqrt(_DF / (_DF - 2))
    market = 0.14 * np.sqrt(ratio / 252) * t + 0.11 / 252
    sectors = 0.08 / np.sqrt(252) * rng.standard_normal((n, len(SECTORS)))
    return market, ratio, sectors


def _shocks(seed: int, n_symbols: int) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Idiosyncratic shocks and high/low extension draws, (days x symbols) each."""
    grid = _grid()
    years = grid.astype("datetime64[Y]").astype(int) + 1970
    out = np.empty((3, grid.size, n_symbols))
    for y in np.unique(years):  # one block per (year, chunk): a few dozen draws
        rows = np.flatnonzero(years == y)
        for c in range(-(-n_symbols // _CHUNK)):
            cols = slice(c * _CHUNK, min((c + 1) * _CHUNK, n_symbols))
            rng = np.random.default_rng(_seed_sequence(seed, 10, int(y), c))
            e = rng.standard_t(_DF, (rows.size, _CHUNK)) / np.sqrt(_DF / (_DF - 2))
            hl = np.abs(rng.standard_normal((2, rows.size, _CHUNK)))
            width = cols.stop - cols.start
            out[0, rows, cols], out[1, rows, cols], out[2, rows, cols] = (
                e[:, :width], hl[0, :, :width], hl[1, :, :width],
            )  # fmt: skip
    return out[0], out[1], out[2]


def _select(symbols: Sequence[str] | int, seed: int, universe_size: int) -> pd.DataFrame:
    if isinstance(symbols, int | np.integer):
        return equity_universe(int(symbols), seed)
    universe = equity_universe(max(universe_size, 1), seed)
    wanted = pd.Index([str(s).upper() for s in symbols])
    unknown = wanted.difference(universe["symbol"])
    if len(unknown):
        raise NoDataError(
            f"symbols {list(unknown[:5])} are not in the synthetic universe of "
            f"{universe_size} (seed {seed}); list them with equity_universe()",
            provider="synthetic",
        )
    return universe.set_index("symbol").loc[wanted].reset_index()


def equity_daily_ohlcv(
    symbols: Sequence[str] | int,
    start: dt.date | str,
    end: dt.date | str,
    seed: int = 0,
    universe_size: int = 2000,
) -> pd.DataFrame:
    """Daily OHLCV of synthetic equities on every trading day in ``[start, end]``.

    Parameters
    ----------
    symbols
        Symbols from :func:`equity_universe`, or an int ``n`` for its first ``n``.
    start, end
        Inclusive range, from 2019-01-01 (the universe's epoch) to 2026-12-31.
    seed
        Market seed.
    universe_size
        Size of the universe the symbols are looked up in.

    Returns
    -------
    pandas.DataFrame
        Long frame in :data:`~optionsintel.frames.CANDLE_COLUMNS` (``interval == "1d"``,
        ``ts`` at the 09:15 IST open in UTC, ``oi`` NaN), sorted by symbol then time.

    Raises
    ------
    CalendarError
        If the range is reversed or outside ``[2019-01-01, 2026-12-31]``.
    NoDataError
        If a symbol is not in the universe.

    Notes
    -----
    Factor model of the module docstring; everything is one (days x symbols) array
    expression, so 2,000 symbols over five years take about a second.
    """
    lo, hi = (
        np.datetime64(pd.Timestamp(start).date(), "D"),
        np.datetime64(pd.Timestamp(end).date(), "D"),
    )
    if hi < lo or lo < EQUITY_EPOCH or hi >= _END:
        raise CalendarError(
            f"equity range {lo}..{hi} must be ordered and inside [{EQUITY_EPOCH}, {_END})"
        )
    uni = _select(symbols, seed, universe_size)
    full = equity_universe(
        int(uni.index.size and _universe_index(uni, seed, universe_size).max() + 1), seed
    )
    idx = _universe_index(uni, seed, universe_size)
    market, ratio, sectors = _factors(seed)
    e, ext_hi, ext_lo = (a[:, idx] for a in _shocks(seed, full.index.size))
    sector_idx = pd.Index(list(SECTORS)).get_indexer(uni["sector"])
    sd = uni["idio_vol"].to_numpy() * np.sqrt(ratio[:, None] / 252)
    r = (
        uni["alpha"].to_numpy() + uni["beta"].to_numpy() * market[:, None]
        + uni["sector_loading"].to_numpy() * sectors[:, sector_idx] + sd * e
    )  # fmt: skip
    close = uni["base_price"].to_numpy() * np.exp(np.cumsum(r, axis=0))
    return _ohlcv_frame(uni, close, r, sd, ext_hi, ext_lo, lo, hi)


def _universe_index(uni: pd.DataFrame, seed: int, universe_size: int) -> npt.NDArray[np.intp]:
    universe = equity_universe(max(universe_size, uni.index.size), seed)
    return pd.Index(universe["symbol"]).get_indexer(uni["symbol"])


def _ohlcv_frame(
    uni: pd.DataFrame, close: FloatArray, r: FloatArray, sd: FloatArray,
    ext_hi: FloatArray, ext_lo: FloatArray, lo: np.datetime64, hi: np.datetime64,
) -> pd.DataFrame:  # fmt: skip
    grid = _grid()
    days = np.asarray(
        trading_days(pd.Timestamp(lo).date(), pd.Timestamp(hi).date()), "datetime64[D]"
    )
    rows = np.searchsorted(grid, days)
    c = close[rows]
    o = c * np.exp(-0.75 * r[rows])
    day_sd = np.sqrt(0.75) * sd[rows]
    h = np.maximum(o, c) * np.exp(0.5 * day_sd * ext_hi[rows])
    low = np.minimum(o, c) * np.exp(-0.5 * day_sd * ext_lo[rows])
    value = 0.0025 * uni["market_cap"].to_numpy() * 1e7  # rupees per day
    vol = (
        value / c * (1.0 + 2.0 * np.abs(r[rows]) / np.maximum(sd[rows], 1e-9)) * ext_hi[rows] ** 0.3
    )
    n_d, n_s = c.shape
    open_ts = pd.DatetimeIndex(days).tz_localize(EXCHANGE_TZ) + pd.Timedelta(hours=9, minutes=15)
    frame = pd.DataFrame(
        {
            "symbol": pd.Categorical.from_codes(np.repeat(np.arange(n_s), n_d), uni["symbol"]),
            "interval": pd.Categorical.from_codes(np.zeros(n_d * n_s, np.int8), ["1d"]),
            "ts": pd.DatetimeIndex(np.tile(open_ts.tz_convert(None).to_numpy(), n_s))
            .tz_localize("UTC")
            .as_unit("ns"),
            "open": o.T.reshape(-1), "high": h.T.reshape(-1), "low": low.T.reshape(-1),
            "close": c.T.reshape(-1), "volume": np.round(vol.T.reshape(-1)),
            "oi": np.nan,
            "provider": pd.Categorical.from_codes(np.zeros(n_d * n_s, np.int8), [PROVIDER]),
        }
    )  # fmt: skip
    return frame.loc[:, list(CANDLE_COLUMNS)]
