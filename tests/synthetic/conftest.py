from __future__ import annotations

import gzip
import json
from pathlib import Path

import pandas as pd
import pytest

from optionsintel.synthetic import DayChains

REPLAY_NSE = Path(__file__).resolve().parents[2] / "src/optionsintel/providers/replay_data/nse"
DAY = "2025-07-16"


def load_real_chain(name: str) -> pd.DataFrame:
    """Parse one recorded NSE chain (gzip copies shipped with the replay provider)."""
    from optionsintel.providers.nse_parse import parse_option_chain

    with gzip.open(REPLAY_NSE / f"{name}.json.gz", "rt") as fh:
        return parse_option_chain(json.load(fh)).chain


@pytest.fixture(scope="session")
def nifty_day() -> DayChains:
    return DayChains("NIFTY", pd.Timestamp(DAY).date(), seed=7)


@pytest.fixture(scope="session")
def nifty_eod(nifty_day: DayChains) -> pd.DataFrame:
    return nifty_day.eod()


@pytest.fixture(scope="session")
def real_chain_loader():
    return load_real_chain
