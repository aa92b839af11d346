"""Five years of daily partitions in the four intraday tables (issue 12 item 3).

Before the fix, counting rows, ``db status``'s table sizes, VACUUM/ANALYZE and retention
touched every partition in one transaction and failed with "out of shared memory"
(``max_locks_per_transaction``) on a server with default settings. Run on the
``DATABASE_URL`` server (when set) and on a fresh embedded server with our settings.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from optionsintel.store import Store, migrate
from optionsintel.store.admin import scratch_database
from optionsintel.store.embedded import embedded_url, stop_embedded
from optionsintel.store.engine import dispose_engine, get_engine
from optionsintel.store.partitions import ensure_partitions
from optionsintel.store.schema import PARTITIONED_TABLES

pytestmark = pytest.mark.slow

FIRST_DAY = dt.date(2021, 1, 1)
DAYS = [FIRST_DAY + dt.timedelta(days=k) for k in range(5 * 365)]


def _years_of_partitions(url: str) -> Store:
    engine = get_engine(url)
    migrate.upgrade(engine)
    for table in PARTITIONED_TABLES:
        for k in range(0, len(DAYS), 100):  # creation batched too: DDL locks what it makes
            with engine.begin() as conn:
                ensure_partitions(conn, table, DAYS[k : k + 100])
    store = Store(engine)
    quotes = pd.DataFrame(
        {
            "underlying": "NIFTY",
            "snapshot_ts": [pd.Timestamp(d, tz="UTC") + pd.Timedelta(hours=5) for d in DAYS[::7]],
            "ltp": 25000.0,
            "provider": "replay",
        }
    )
    store.write("underlying_quotes", quotes)
    return store


@pytest.fixture(params=["server", "embedded"])
def years_store(request) -> Iterator[Store]:
    if request.param == "server":
        base = os.environ.get("DATABASE_URL")
        if not base:
            pytest.skip("needs DATABASE_URL for the server case")  # the embedded case still runs
        with scratch_database(base, "oi_years") as url:
            yield _years_of_partitions(url)
        return
    root = Path(tempfile.mkdtemp(prefix="oi_years_"))
    try:
        url = embedded_url(root / "pgdata", database="optionsintel_years")
        yield _years_of_partitions(url)
        dispose_engine(url)
    finally:
        stop_embedded(root / "pgdata")
        shutil.rmtree(root, ignore_errors=True)


def test_five_years_of_partitions_count_inspect_maintain(years_store: Store) -> None:
    store = years_store
    n_quotes = len(DAYS[::7])
    inventory = store.partition_inventory()
    assert all(len(inventory[t]) == len(DAYS) for t in PARTITIONED_TABLES)
    assert store.count("underlying_quotes") == n_quotes
    assert store.count("underlying_quotes", where={"provider": "replay"}) == n_quotes
    assert store.count("option_chain_snapshots") == 0
    counts = store.table_counts()
    assert counts["underlying_quotes"] == n_quotes and counts["oi_delta_log"] == 0
    assert "underlying_quotes" in store.vacuum_analyze()

    cutoff = FIRST_DAY + dt.timedelta(days=4 * 365)
    dropped = store.drop_partitions_before(cutoff)
    assert all(len(dropped[t]) == 4 * 365 for t in PARTITIONED_TABLES)
    assert all(len(v) == 365 for v in store.partition_inventory().values())
    kept = sum(1 for d in DAYS[::7] if d >= cutoff)
    assert store.count("underlying_quotes") == kept
