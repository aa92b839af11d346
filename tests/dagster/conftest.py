"""Make the ``dagster_project`` code location importable from the repository root."""

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


@pytest.fixture
def store_resource(database_url, clean_store):
    from dagster_project.resources import StoreResource

    return StoreResource(database_url=database_url)


#: A small stored equity universe and one pattern: what every scan-job test scans.
SCAN_SYMBOLS = [f"SCN{i:03d}" for i in range(48)]


@pytest.fixture
def scan_universe(clean_store):
    """Daily bars of 48 synthetic equities over 60 trading days and pattern ``up@1``."""
    from optionsintel.calendar import trading_days
    from optionsintel.scans import scan_spec
    from optionsintel.services.patterns import save_pattern
    from scans.helpers import seed_universe

    days = [d.date() for d in trading_days("2025-04-01", "2025-07-15")[-60:]]
    seed_universe(clean_store, SCAN_SYMBOLS, days)
    save_pattern(clean_store, "up", "close > SMA(5)", user="alice", name="Up")
    return scan_spec(universe="equity", patterns=["up@1"], provider="synthetic")


def comparable(results):
    """Scan results without the run-specific columns, in rank order."""
    return results.drop(columns=[c for c in ("run_id",) if c in results.columns]).reset_index(
        drop=True
    )
