import datetime as dt

import pandas as pd

from optionsintel.collect.session import collect_day, intraday_tables
from optionsintel.reference import load_reference_data
from optionsintel.services.instance import dagster_storage_url
from optionsintel.services.maintenance import retention_cutoff, run_maintenance


def test_reference_data_loads_idempotently(clean_store):
    first = load_reference_data(clean_store)
    assert first["trading_calendar"].inserted > 2000 and first["expiries"].inserted > 500
    again = load_reference_data(clean_store)
    assert all(r.inserted == 0 and r.updated == 0 for r in again.values())
    cal = clean_store.read("trading_calendar", where={"day": dt.date(2025, 8, 15)})
    assert not cal["is_trading_day"].iloc[0] and cal["note"].iloc[0]
    nifty = clean_store.read("contract_specs", where={"symbol": "NIFTY"}, order_by=["valid_from"])
    assert ((nifty["lot_size"] > 0).all() and nifty["valid_to"].iloc[-1] is None) or pd.isna(
        nifty["valid_to"].iloc[-1]
    )


def test_maintenance_drops_old_partitions_only(clean_store):
    old = collect_day("synthetic", dt.date(2025, 1, 2), ["FINNIFTY"], interval_seconds=3600)
    new = collect_day("synthetic", dt.date(2025, 7, 16), ["FINNIFTY"], interval_seconds=3600)
    with clean_store.transaction() as w:
        for got in (old, new):
            for name, frame in intraday_tables(got).items():
                w.write(name, frame)
    report = run_maintenance(clean_store, dt.date(2025, 7, 20), retention_days=90)
    assert report.cutoff == retention_cutoff(dt.date(2025, 7, 20), 90)
    # Other tests may have left older (empty) partitions: every one before the cutoff goes.
    assert all(f"{t}_p20250102" in names for t, names in report.dropped.items())
    assert all(
        n.rsplit("_p", 1)[1] < "20250421" for names in report.dropped.values() for n in names
    )
    kept = clean_store.partition_inventory()
    assert all(f"{t}_p20250716" in names for t, names in kept.items())
    assert clean_store.count("underlying_quotes") == len(new.quotes)  # 2025-07-16 kept
    assert "underlying_quotes" in report.vacuumed and "Maintenance report" in report.to_markdown()


def test_dagster_storage_url_targets_its_own_schema(database_url, monkeypatch):
    from optionsintel.settings import get_settings

    monkeypatch.setenv("DATABASE_URL", database_url)
    get_settings.cache_clear()
    try:
        url = dagster_storage_url()
    finally:
        get_settings.cache_clear()
    assert url.startswith("postgresql+psycopg2://") and "search_path%3Ddagster" in url
