"""User documents (patterns, alert rules, watchlists, strategies, positions, app settings):
export ->
import through their services gives identical rows, in every format; row-level errors."""

from __future__ import annotations

import json

import pandas as pd
import pytest
import sqlalchemy as sa

from optionsintel.errors import ImportValidationError
from optionsintel.services import alerts as alert_service
from optionsintel.services import positions as position_service
from optionsintel.services import user_settings as settings_service
from optionsintel.services import watchlists as watchlist_service
from optionsintel.services.document_exports import document_frame, export_documents
from optionsintel.services.imports import commit_import, plan_import
from optionsintel.services.patterns import save_pattern
from optionsintel.store.strategies import save_user_strategy

FORMATS = ["csv", "json", "jsonl", "xlsx", "parquet"]
TABLES = {
    "patterns": ("custom_patterns", "pattern_versions"),
    "alert_rules": ("alert_rules",),
    "watchlists": ("alert_watchlists",),
    "strategies": ("user_strategies",),
    "positions": ("positions",),
    "user_settings": ("user_settings",),
}
_LEGS = [{"side": "sell", "option_type": "CE", "strike_offset": 100, "lots": 1},
         {"side": "buy", "option_type": "CE", "strike_offset": 300, "lots": 1}]  # fmt: skip


def _instruments(store) -> None:
    store.write("instruments", pd.DataFrame({
        "symbol": ["NIFTY", "BANKNIFTY", "M&M"], "segment": ["index", "index", "equity"],
        "exchange": "NSE", "provider": "user_import"}))  # fmt: skip


def _seed(store, dataset: str) -> None:
    if dataset == "patterns":
        save_pattern(store, "rsi_dip", "RSI(14) < 30", user="asha", name="RSI dip",
                     description='=cmd|"x"')  # fmt: skip
        save_pattern(store, "rsi_dip", "RSI(14) < 25", user="ravi", note="tighter")
        save_pattern(store, "up", "close > SMA(5)", user="asha", name="Up")
    elif dataset == "alert_rules":
        for name, value in (("up", 1000), ("down 2", 900.5)):
            alert_service.create_rule(store, {
                "owner": "asha", "name": name, "symbols": ["NIFTY"], "cooldown_seconds": 60,
                "condition": {"type": "PRICE", "op": "above", "value": value},
                "channels": [{"kind": "in_app"}]})  # fmt: skip
    elif dataset == "watchlists":
        watchlist_service.create_watchlist(store, "asha", "Core", ["NIFTY", "M&M"])
        watchlist_service.create_watchlist(store, "ravi", "banks", ["BANKNIFTY"])
        watchlist_service.create_watchlist(store, "ravi", "later", [])  # empty: kept too
    elif dataset == "strategies":
        save_user_strategy(store, "asha", "bull call", underlying="NIFTY", legs=_LEGS)
        save_user_strategy(store, "asha", "bull call", underlying="NIFTY", legs=_LEGS[:1],
                           rules={"exit": {"dte": 2}}, note="naked")  # fmt: skip
    elif dataset == "user_settings":
        settings_service.set_setting(store, "asha", "number_format", "international")
        settings_service.set_setting(store, "asha", "colour_scheme", "dark")
        settings_service.set_setting(store, "ravi", "default_underlying", "BANKNIFTY")
        settings_service.set_setting(store, "ravi", "refresh_seconds", 60)
    else:
        frame = pd.DataFrame({
            "owner": "asha", "symbol": ["NIFTY", "NIFTY", "M&M"],
            "contract": ["NIFTY 2025-07-31 24500 CE", None, None],
            "opened_at": pd.to_datetime(["2025-07-16 04:00:00.125", "2025-07-16 05:00:00.000",
                                         "2025-07-17 09:00:00.000"], utc=True),
            "qty": [-75.0, 50.0, 1 / 3], "price": [123.45, 25010.0, 3000.1],
            "note": None})  # fmt: skip
        position_service.write_positions(store, frame, "my_broker")


def _stored(store, dataset: str) -> pd.DataFrame:
    return document_frame(store, dataset).astype(str)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("dataset", sorted(TABLES))
def test_export_then_import_gives_identical_documents(clean_store, tmp_path, dataset, fmt):
    _instruments(clean_store)
    _seed(clean_store, dataset)
    before = _stored(clean_store, dataset)
    path = tmp_path / f"{dataset}.{fmt}"
    prov = export_documents(clean_store, dataset, path)
    assert prov.row_count == len(before) > 0
    with clean_store.engine.begin() as conn:
        conn.execute(sa.text(f"TRUNCATE {', '.join(TABLES[dataset])} CASCADE"))
    provider = "my_broker" if dataset == "positions" else None
    plan = plan_import(clean_store, path, dataset, provider=provider)
    assert plan.report.ok, plan.report.summary()
    assert _stored(clean_store, dataset).empty  # the dry run wrote nothing
    result = commit_import(clean_store, plan)
    assert result.inserted == (len(before) if dataset not in ("watchlists",) else 3)
    pd.testing.assert_frame_equal(_stored(clean_store, dataset), before)
    again = commit_import(clean_store, plan_import(clean_store, path, dataset, provider=provider))
    assert (again.inserted, again.updated) == (0, 0)
    pd.testing.assert_frame_equal(_stored(clean_store, dataset), before)


def _errors(store, dataset: str, rows: list[dict], **kw) -> list[tuple[int, str, str]]:
    plan = plan_import(store, json.dumps(rows).encode(), dataset, name="x.json", **kw)
    with pytest.raises(ImportValidationError):
        commit_import(store, plan)
    return [(e.row, e.column, e.code) for e in plan.report.errors]


def test_every_bad_row_is_reported_and_nothing_stored(clean_store):
    _instruments(clean_store)
    bad_patterns = [{"pattern_id": "ok", "definition": {"nope": 1}},
                    {"pattern_id": "Bad Id", "definition": {"nope": 1}}]  # fmt: skip
    assert {(r, c) for r, c, _ in _errors(clean_store, "patterns", bad_patterns)} == {
        (1, "definition"), (2, "pattern_id"), (2, "definition")}  # fmt: skip
    rules = [{"owner": "asha", "name": "x", "definition": {"symbols": ["NIFTY"],
              "condition": {"type": "PRICE", "op": "above", "value": -1},
              "channels": [{"kind": "in_app"}]}}]  # fmt: skip
    assert _errors(clean_store, "alert_rules", rules) == [(1, "definition", "invalid")]
    lists = [{"owner": "asha", "name": "Core", "symbol": s} for s in ("NIFTY", "NOPE", "NIFTY")]
    assert _errors(clean_store, "watchlists", lists) == [
        (2, "symbol", "unknown_symbol"), (3, "owner, name, symbol", "duplicate_key")]  # fmt: skip
    strategies = [{"owner": "asha", "name": "s", "underlying": "NIFTY", "legs": []}]
    assert _errors(clean_store, "strategies", strategies) == [(1, "legs", "invalid")]
    positions = [{"owner": "asha", "symbol": "NIFTY", "opened_at": "2025-07-16 10:00",
                  "qty": 0, "price": -1}]  # fmt: skip
    assert {c for _, c, _ in _errors(clean_store, "positions", positions)} == {"qty", "price"}
    settings = [{"owner": "asha", "settings": {"refresh_seconds": 2}},
                {"owner": "ravi", "settings": {"theme": "dark"}},
                {"owner": "kiran", "settings": [1]}]  # fmt: skip
    assert _errors(clean_store, "user_settings", settings) == [
        (row, "settings", "invalid") for row in (1, 2, 3)
    ]
    for dataset in TABLES:
        assert document_frame(clean_store, dataset).empty


def test_the_dry_run_refuses_a_pattern_the_commit_would_refuse(clean_store):
    never = {
        "kind": "between",
        "operand": {"kind": "series", "name": "close"},
        "low": {"kind": "number", "value": 10},
        "high": {"kind": "number", "value": 1},
    }
    rows = [{"pattern_id": "p", "name": "P", "definition": {"condition": never}}]
    assert _errors(clean_store, "patterns", rows) == [(1, "definition", "invalid")]
    assert document_frame(clean_store, "patterns").empty


def test_a_stored_version_is_never_replaced(clean_store, tmp_path):
    save_pattern(clean_store, "p", "close > SMA(5)", user="asha", name="P")
    save_pattern(clean_store, "q", "close < SMA(5)", user="asha", name="Q")
    frame = document_frame(clean_store, "patterns")
    frame.loc[0, "definition"] = json.dumps(frame.loc[1, "definition"])  # p@1 := q's rule
    path = tmp_path / "p.json"
    path.write_text(frame.iloc[:1].to_json(orient="records"))
    plan = plan_import(clean_store, path, "patterns")
    assert [(e.row, e.code) for e in plan.report.errors] == [(1, "duplicate_key")]
    assert "immutable" in plan.report.errors[0].message
    frame.loc[0, "version"] = 3  # a gap after the stored version 1
    path.write_text(frame.iloc[:1].to_json(orient="records"))
    assert "would not follow" in plan_import(clean_store, path, "patterns").report.errors[0].message


def test_positions_of_two_sources_never_mix(clean_store, tmp_path):
    _instruments(clean_store)
    _seed(clean_store, "positions")
    path = tmp_path / "pos.csv"
    export_documents(clean_store, "positions", path)
    commit_import(clean_store, plan_import(clean_store, path, "positions", provider="broker_b"))
    mine = position_service.list_positions(clean_store, "asha", source="broker_b")
    assert len(mine) == 3
    assert len(position_service.list_positions(clean_store, "asha")) == 6


def test_settings_import_names_the_bound_keeps_other_keys_and_is_audited(clean_store, tmp_path):
    settings_service.set_setting(clean_store, "asha", "decimals", 4)
    path = tmp_path / "settings.json"
    path.write_text(json.dumps([{"owner": "asha", "settings": {"refresh_seconds": 4000}}]))
    plan = plan_import(clean_store, path, "user_settings")
    assert "less than or equal to 3600" in plan.report.errors[0].message
    assert settings_service.get_settings(clean_store, "asha").decimals == 4  # untouched
    rows = [{"owner": "asha", "settings": {"decimals": 1}},
            {"owner": "new", "settings": {"colour_scheme": "light"}}]  # fmt: skip
    path.write_text(json.dumps(rows))
    result = commit_import(clean_store, plan_import(clean_store, path, "user_settings",
                                                    user="admin"))  # fmt: skip
    assert (result.inserted, result.updated) == (1, 1)
    assert settings_service.get_settings(clean_store, "asha").decimals == 1
    assert settings_service.get_settings(clean_store, "new").colour_scheme == "light"
    audit = clean_store.read("audit_log", where={"action": "settings.update"})
    assert (audit["actor"] == "admin").sum() == 2
