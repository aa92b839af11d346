"""Analyse a multi-leg strategy priced from a stored chain as it stood at an instant.

The composition the strategy builder performs, as one use case: read the chain of one
provider as of the instant (:func:`optionsintel.services.market.chain`), take the market
(spot, parity forwards, ATM IVs) and each leg's premium and IV from it
(:func:`~optionsintel.strategies.market_from_chain`, :func:`~optionsintel.strategies.chain_quotes`),
build the :class:`~optionsintel.strategies.Strategy` and analyse it
(:func:`~optionsintel.strategies.analyse_strategy`). Leg premiums may be given to
override the chain's (an entry price already paid); IVs then come from the chain.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

from optionsintel.auth import Permission
from optionsintel.services import market
from optionsintel.services.identity import Identity, authorise
from optionsintel.services.serialise import iso, records
from optionsintel.strategies import (
    LegSpec,
    Strategy,
    StrategyAnalysis,
    analyse_strategy,
    build_strategy,
    chain_quotes,
    market_from_chain,
)

if TYPE_CHECKING:
    from optionsintel.store import Store


@dataclass(frozen=True)
class LegRequest:
    """A leg to price: contract, side, lots, and optionally the entry premium paid."""

    spec: LegSpec
    premium: float | None = None


@dataclass(frozen=True)
class AnalysedStrategy:
    """A strategy priced from one provider's chain at ``as_of``, and its analysis."""

    provider: str
    as_of: pd.Timestamp
    strategy: Strategy
    analysis: StrategyAnalysis


def analyse(
    store: Store,
    identity: Identity,
    underlying: str,
    legs: Sequence[LegRequest],
    *,
    as_of: Any = None,
    provider: str | None = None,
    lots: int = 1,
    lot_size: int | None = None,
    volatility: float | None = None,
) -> AnalysedStrategy:
    """Price ``legs`` from the chain as of ``as_of`` (default: the newest snapshot).

    Raises
    ------
    RecordNotFoundError
        No chain of ``underlying`` from that provider at or a day before ``as_of``.
    StrategyError
        A leg the chain cannot price (a ``LegQuoteError``), an unknown lot size, no ATM
        IV for the probabilities and no ``volatility`` given.
    """
    authorise(identity, Permission.OWN_STRATEGIES)
    used, chain = market.chain(store, underlying, at=as_of, provider=provider, expiry=None)
    when = pd.Timestamp(chain["snapshot_ts"].max()) if as_of is None else pd.Timestamp(as_of)
    state = market_from_chain(chain, underlying, when)
    from_chain = chain_quotes(chain, underlying, when)
    given = {leg.spec: leg.premium for leg in legs if leg.premium is not None}

    def quote(spec: LegSpec) -> tuple[float, float | None]:
        premium, iv = from_chain(spec)
        return given.get(spec, premium), iv

    strategy = build_strategy(underlying, [leg.spec for leg in legs], state, quote,
                              lots=lots, lot_size=lot_size)  # fmt: skip
    return AnalysedStrategy(used, when, strategy, analyse_strategy(strategy, volatility))


def _finite(value: Any) -> Any:
    """JSON-safe: non-finite floats become None (unbounded sides are flagged separately)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def as_document(found: AnalysedStrategy) -> dict[str, Any]:
    """The analysis as JSON-ready data (infinite P&L bounds as null with their flags)."""
    a, s = found.analysis, found.strategy
    legs = [{"label": leg.label, "instrument": leg.instrument, "side": leg.side,
             "expiry": leg.expiry.isoformat(), "strike": leg.strike, "lots": leg.lots,
             "lot_size": leg.lot_size, "premium": leg.premium, "iv": leg.iv}
            for leg in s.legs]  # fmt: skip
    pop = {"probability": a.pop.probability, "conventions": a.pop.conventions,
           "profitable_intervals": a.pop.profitable_intervals}  # fmt: skip
    doc = {
        "underlying": s.underlying, "provider": found.provider, "as_of": iso(found.as_of),
        "spot": s.market.spot, "legs": legs, "breakevens": asdict(a.breakevens),
        "profit_range": asdict(a.profit_range), "pop": pop, "expected_value": a.expected_value,
        "sigma_levels": a.sigma_levels,
        "greeks": records(a.greeks.rename_axis("leg").reset_index()),
        "margin": asdict(a.margin),
    }  # fmt: skip
    finite: dict[str, Any] = _finite(doc)
    return finite
