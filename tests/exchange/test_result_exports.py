"""Results out: a backtest run (trades, equity, metrics) and alert history, with provenance."""

from __future__ import annotations

import numpy as np
import openpyxl
import pandas as pd

from optionsintel.exchange.provenance import read_sidecar
from optionsintel.exchange.readers import read_table
from optionsintel.services import alerts as alert_service
from optionsintel.services.document_exports import export_alert_history, export_backtest_run
from optionsintel.store.backtests import BacktestRunRecord, append_backtest_run


def _run(store) -> str:
    idx = pd.date_range("2024-03-01", periods=3, tz="Asia/Kolkata")
    rec = BacktestRunRecord(
        kind="options", created_by="bob", source={"type": "strategy", "name": "iron condor"},
        universe=["NIFTY"], period_start=idx[0], period_end=idx[-1], provider="synthetic",
        trades=pd.DataFrame({"leg": ["=CE 22000", "PE 21000"], "pnl": [12.5, -3.25]}),
        equity=pd.DataFrame({"equity": [1.0, 1.1, np.nan]}, index=idx),
        metrics={"sharpe_ratio": 1.5, "n_trades": 2},
    )  # fmt: skip
    return append_backtest_run(store, rec).run_id


def test_backtest_run_to_workbook_and_csv(clean_store, tmp_path):
    run_id = _run(clean_store)
    book = tmp_path / "run.xlsx"
    prov = export_backtest_run(clean_store, run_id, book)
    assert prov.provider == "synthetic" and prov.query["run_id"] == run_id
    assert prov.row_count == 2 + 3 + 2
    wb = openpyxl.load_workbook(book)
    assert wb.sheetnames == ["trades", "equity", "metrics"]
    assert wb["trades"]["A2"].value == "=CE 22000" and wb["trades"]["A2"].data_type == "s"
    trades = tmp_path / "trades.csv"
    prov = export_backtest_run(clean_store, run_id, trades)
    assert read_sidecar(trades).provider == "synthetic"
    back = read_table(trades.read_bytes(), name="trades.csv")
    assert back["pnl"].astype(float).tolist() == [12.5, -3.25]
    equity = tmp_path / "equity.parquet"
    export_backtest_run(clean_store, run_id, equity, table="equity")
    assert len(pd.read_parquet(equity)) == 3


def test_alert_history_with_attempts(clean_store, tmp_path):
    now = pd.Timestamp("2025-07-16 04:00", tz="UTC")
    for owner in ("asha", "ravi"):
        alert_service.create_rule(clean_store, {
            "owner": owner, "name": "up", "symbols": ["NIFTY"],
            "condition": {"type": "PRICE", "op": "above", "value": 1000},
            "channels": [{"kind": "in_app"}]})  # fmt: skip
    clean_store.append("alert_notifications", pd.DataFrame({
        "dedupe_key": ["k1:0", "k2:0"], "owner": ["asha", "ravi"], "rule_name": "up",
        "channel": "in_app", "payload": [{"msg": "NIFTY above 1000"}, {"msg": "x"}],
        "status": "SENT", "attempts": 1}))  # fmt: skip
    clean_store.append("alert_delivery_attempts", pd.DataFrame({
        "dedupe_key": ["k1:0", "k2:0"], "attempt": 1, "channel": "in_app",
        "dispatcher": "d1", "started_at": now, "finished_at": now, "outcome": "SENT"}))  # fmt: skip
    path = tmp_path / "history.jsonl"
    prov = export_alert_history(clean_store, path, owner="asha")
    assert prov.row_count == 1 and prov.query == {"owner": "asha"}
    assert read_table(path.read_bytes(), name="h.jsonl")["dedupe_key"].tolist() == ["k1:0"]
    attempts = tmp_path / "attempts.csv"
    assert (
        export_alert_history(clean_store, attempts, owner="asha", table="attempts").row_count == 1
    )
    book = tmp_path / "history.xlsx"
    export_alert_history(clean_store, book)
    assert openpyxl.load_workbook(book).sheetnames == ["notifications", "attempts"]


def test_scan_results_with_the_runs_provenance(clean_store, tmp_path):
    import datetime as dt

    from optionsintel.scans import scan_spec
    from optionsintel.services import patterns
    from optionsintel.services import scans as svc
    from optionsintel.services.document_exports import export_scan_results
    from optionsintel.tz import EXCHANGE_TZ
    from scans.helpers import seed_universe

    symbols, days = [f"S{i:02d}" for i in range(6)], pd.bdate_range("2025-01-01", periods=60).date
    seed_universe(clean_store, symbols, days)
    patterns.save_pattern(clean_store, "dip", "RSI(14) < 50", user="alice", name="Dip")
    as_of = pd.Timestamp(dt.datetime.combine(days[-1], dt.time(18, 0)), tz=EXCHANGE_TZ)
    spec = scan_spec(universe="symbols:" + ",".join(symbols), patterns=["dip@1"],
                     as_of=as_of, provider="synthetic")  # fmt: skip
    run = svc.run_scan(clean_store, spec)
    path = tmp_path / "scan.parquet"
    prov = export_scan_results(clean_store, run.run_id, path)
    expected = svc.read_scan_results(clean_store, run.run_id)
    assert prov.provider == "synthetic" and prov.query["run_id"] == run.run_id
    assert prov.query["pins"] == run.plan.pins and prov.row_count == len(expected)
    assert pd.read_parquet(path)["symbol"].tolist() == expected["symbol"].tolist()
