"""Options-leg backtests on the recorded NSE contract-wise NIFTY history of January 2019.

Data: ``tests/data/nse_contract_history/`` (NSE's own CE/PE contract-wise archive of the
31-Jan-2019 monthly expiry, and the NIFTY 50 daily closes of the month for the six days
NSE wrote ``-`` as the underlying value; provenance in that folder). Loaded into the real
PostgreSQL store as end-of-day chains under provider ``nse_archive`` and read back through
the provider-explicit reads.

Costs: the shipped table starts 2019-04-01, so these tests use a copy whose first periods
start 2019-01-01 (the same Finance Act rates: STT 0.05 % of premium on sales and 0.125 %
on exercise, NSE 0.05 % of premium, SEBI Rs 10/crore, IPFT Rs 0.01/crore, GST 18 %) with
stamp duty overridden to 0 (state-wise before 2020-07-01; not modelled) and Rs 20 per order.
The exercise STT is charged on the *settlement value* in January 2019 (the regime before
2019-09-01) — checked by hand below.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import pytest
import yaml

from optionsintel.backtest.costs import Brokerage, CostModel, load_cost_table
from optionsintel.backtest.options import (
    Execution,
    ExitRule,
    LegRule,
    OptionsStrategySpec,
    Refusal,
    chain_panel,
)
from optionsintel.backtest.options.fills import fill_prices
from optionsintel.services.options_backtests import (
    load_contract_histories,
    run_stored_options_backtest,
    store_options_run,
)
from optionsintel.store.backtests import frame_from_json, read_backtest_run
from optionsintel.store.reads import read_eod_chain

DATA = Path(__file__).parents[1] / "data" / "nse_contract_history"
SHIPPED = Path(__file__).parents[2] / "src/optionsintel/backtest/data/costs.yaml"
PROVIDER = "nse_archive"
SETTLE = 10830.95  # NIFTY close on 2019-01-31 (NSE's Underlying Value that day)


@pytest.fixture(scope="module")
def costs(tmp_path_factory) -> CostModel:
    table = yaml.safe_load(SHIPPED.read_text())
    table["coverage_start"] = dt.date(2019, 1, 1)
    for rules in table["components"].values():
        for rule in rules:
            rule["periods"][0]["from"] = dt.date(2019, 1, 1)
    path = tmp_path_factory.mktemp("costs") / "costs_2019.yaml"
    path.write_text(yaml.safe_dump(table))
    return CostModel(segment="options", brokerage=Brokerage("flat", 20.0),
                     table=load_cost_table(path), overrides={"stamp": 0.0})  # fmt: skip


@pytest.fixture
def loaded(clean_store):
    closes = pd.read_csv(DATA / "NIFTY50_daily_2019-01_arun7pulse_EXCERPT.csv")
    fill = dict(zip(pd.to_datetime(closes["date"]).dt.date, closes["close"], strict=True))
    files = sorted(DATA.glob("nse_contract_history_OPTIDX_NIFTY_*E_*.csv.gz"))
    n = load_contract_histories(clean_store, files, provider=PROVIDER, underlying_closes=fill)
    assert n == 2 * 1817
    return clean_store


def _straddle(side: Literal["buy", "sell"], **exit_rule: Any) -> OptionsStrategySpec:
    legs = (LegRule("CE", side, expiry="monthly"), LegRule("PE", side, expiry="monthly"))
    return OptionsStrategySpec(f"{side} ATM straddle", "NIFTY", legs, exit=ExitRule(**exit_rule))


def _run(store, spec, costs, **kw):
    return run_stored_options_backtest(store, spec, provider=PROVIDER, start="2019-01-01",
                                       end="2019-01-31", costs=costs, **kw)  # fmt: skip


def test_short_straddle_every_day_of_january_held_to_expiry(loaded, costs) -> None:
    res = _run(loaded, _straddle("sell"), costs)
    trades = res.trades.set_index(res.trades["entry_time"].dt.tz_convert("Asia/Kolkata").dt.date)
    assert len(trades) == 23  # every trading day of January 2019
    closed = trades[trades["status"] == "closed"]
    assert len(closed) == 22 and (closed["exit_reason"] == "expiry").all()
    # the 31st is expiry day: an entry at its close has nothing left to hold
    assert trades.loc[dt.date(2019, 1, 31), "status"] == "skipped"
    assert "no later instant" in trades.loc[dt.date(2019, 1, 31), "reason"]

    # 2019-01-01: spot 10910.1, step 50 -> ATM 10900. Closes: CE 211.25, PE 150.95 (lot 75).
    # At 10830.95 the CE expires worthless; the PE is worth 10900 - 10830.95 = 69.05.
    # gross = (211.25 + 150.95 - 69.05) x 75 = 293.15 x 75 = 21,986.25
    day1 = res.legs[res.legs["trade_id"] == 0].set_index("option_type")
    assert day1["strike"].tolist() == [10900.0, 10900.0]
    assert day1.loc["CE", "entry_price"] == 211.25 and day1.loc["PE", "entry_price"] == 150.95
    assert day1.loc["PE", "exit_price"] == pytest.approx(69.05)
    assert day1.loc["PE", "exit_kind"] == "assignment" and day1.loc["CE", "exit_kind"] == "expire"
    assert closed.loc[dt.date(2019, 1, 1), "pnl_gross"] == pytest.approx(21986.25)
    # costs of the CE sale, value 211.25 x 75 = 15,843.75:
    #   brokerage 20 + STT 0.05 % 7.921875 + NSE 0.05 % 7.921875 + SEBI 10/cr 0.01584375
    #   + IPFT 0.01/cr 0.0000158 + GST 18 % x (20 + 7.921875 + 0.01584375 + 0.0000158)
    #   = 35.8596 + 5.0287924 = 40.888402; the PE sale (11,321.25) likewise 35.953535;
    #   expiry and assignment cost nothing (the writer pays no exercise STT)
    assert day1.loc["CE", "costs"] == pytest.approx(40.888402, abs=1e-5)
    assert day1.loc["PE", "costs"] == pytest.approx(35.953535, abs=1e-5)
    assert closed.loc[dt.date(2019, 1, 1), "pnl"] == pytest.approx(21986.25 - 76.841937, abs=1e-4)

    # 2019-01-07: NSE wrote "-" as the underlying; the recorded close 10771.8 fills it.
    # ATM = round(10771.8 / 50) x 50 = 10750: CE 197.3, PE 145 -> CE worth 80.95 at expiry.
    # gross = (197.3 + 145 - 80.95) x 75 = 261.35 x 75 = 19,601.25
    assert closed.loc[dt.date(2019, 1, 7), "pnl_gross"] == pytest.approx(19601.25)
    # 2019-01-29: spot 10652.2 -> ATM 10650: CE 67.9, PE 48.3; the CE ends 180.95 in the
    # money: gross = (67.9 + 48.3 - 180.95) x 75 = -64.75 x 75 = -4,856.25 (a loser)
    assert closed.loc[dt.date(2019, 1, 29), "pnl_gross"] == pytest.approx(-4856.25)

    # the result has the signal backtests' shape, and it adds up
    assert res.metrics["n_trades"] == 22 and res.metrics["n_skipped"] == 1
    assert res.trades["pnl"].sum() == pytest.approx(res.legs["pnl"].sum())
    assert res.costs is not None and res.costs.total == pytest.approx(closed["costs"].sum())
    assert res.equity.iloc[-1] == pytest.approx(1_000_000 + closed["pnl"].sum())
    assert res.inputs.provider == PROVIDER and res.inputs.settings["chain_kind"] == "eod"

    # stored with the signal backtests (kind "options"), read back whole
    stored = store_options_run(loaded, res, user="asha", strategy_pin="asha/straddle@1")
    back = read_backtest_run(loaded, stored.record.run_id).record
    assert back.kind == "options" and back.source["strategy"] == "asha/straddle@1"
    assert back.metrics["n_trades"] == 22 and back.provider == PROVIDER
    assert len(back.trades) == 23 and len(frame_from_json(back.extra["legs"])) == 44


def test_long_straddle_pays_exercise_stt_on_settlement_value_before_2019_09(loaded, costs):
    res = _run(loaded, _straddle("buy"), costs)
    pe = res.legs[(res.legs["trade_id"] == 0) & (res.legs["option_type"] == "PE")].iloc[0]
    assert pe["exit_kind"] == "exercise"
    # entry buy of 150.95 x 75 = 11,321.25 costs 35.953535 less STT (buyers pay none)
    #   = 35.953535 - 5.660625 = 30.29291; exercise: STT 0.125 % of the SETTLEMENT value
    #   (the pre-2019-09-01 regime): 0.00125 x 10830.95 x 75 = 1,015.4016 (not of the
    #   intrinsic 69.05 x 75, which would be 6.47)
    assert pe["costs"] == pytest.approx(30.29291 + 0.00125 * SETTLE * 75, abs=1e-4)
    assert pe["pnl_gross"] == pytest.approx((69.05 - 150.95) * 75)


def test_refusals_are_recorded_per_trade_never_guessed(loaded, costs) -> None:
    far = OptionsStrategySpec("far", "NIFTY", (LegRule("CE", "sell", offset=50,
                                                       expiry="monthly"),))  # fmt: skip
    res = _run(loaded, far, costs)
    skipped = res.trades[res.trades["status"] == "skipped"]
    assert len(skipped) == 23 and res.metrics["n_trades"] == 0
    assert skipped["reason"].str.contains("not in the stored chain").all()
    # a stale price is refused, not filled: on 2019-01-01 the 12050 CE did not trade (NSE
    # carries its old close, 1.8, with 0 contracts), so it has no fresh price that day
    rows = read_eod_chain(loaded, provider=PROVIDER, underlying="NIFTY")
    panel = chain_panel(rows, kind="eod", underlying="NIFTY", provider=PROVIDER)
    col = int(np.flatnonzero((panel.strikes == 12050) & (panel.option_types == "CE"))[0])
    assert panel.price[0, col] == 1.8
    refusal = fill_prices(panel, 0, np.array([col]), np.array([-1]), Execution())
    assert isinstance(refusal, Refusal) and "stale (never traded" in refusal.reason
    # on no stored chain at all the run says so
    with pytest.raises(Exception, match="no stored eod chains of NIFTY"):
        run_stored_options_backtest(loaded, _straddle("sell"), provider="nobody", costs=costs)


def test_stop_loss_and_slippage(loaded, costs) -> None:
    plain = _run(loaded, _straddle("sell"), costs)
    stopped = _run(loaded, _straddle("sell", stop_loss=3000.0), costs)
    hit = stopped.trades[stopped.trades["exit_reason"] == "stop_loss"]
    assert len(hit) >= 1
    # a stop is checked on closes and filled at the close that breached it (not the level)
    first = hit.iloc[0]
    legs = stopped.legs[stopped.legs["trade_id"] == first["trade_id"]]
    assert (legs["exit_time"] == first["exit_time"]).all()
    assert first["pnl_gross"] <= -3000.0
    slipped = _run(loaded, _straddle("sell"), costs, execution=Execution(slippage_pct=0.01))
    a, b = plain.legs.iloc[0], slipped.legs.iloc[0]
    assert b["entry_price"] == pytest.approx(a["entry_price"] * 0.99)
    assert np.isfinite(slipped.metrics["total_pnl"])
