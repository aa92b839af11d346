"""Shared fixtures of the provider tests (NSE, replay, Angel One...).

Recorded real NSE option-chain responses are read from the replay provider's packaged
copy (``optionsintel/providers/replay_data/nse``, see its PROVENANCE.md), to avoid a
second 11 MB copy under ``tests/data``; small NSE quote payloads live in
``tests/data/nse``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from optionsintel.providers.replay_files import data_root, list_files, read_bytes

TEST_DATA = Path(__file__).resolve().parents[1] / "data"
NSE_CHAIN_FILES: list[str] = [
    n for n in list_files(data_root(), "nse") if n.startswith("nse_option_chain_")
]


def load_nse_chain(name: str) -> dict[str, Any]:
    """Decoded JSON of one recorded NSE option-chain response."""
    return json.loads(read_bytes(data_root(), "nse", name))


def load_nse_test_json(name: str) -> dict[str, Any]:
    """Decoded JSON of a small NSE payload copied into ``tests/data/nse``."""
    return json.loads((TEST_DATA / "nse" / name).read_text())


@pytest.fixture(params=NSE_CHAIN_FILES, ids=lambda n: n.removeprefix("nse_option_chain_"))
def nse_chain_payload(request: pytest.FixtureRequest) -> tuple[str, dict[str, Any]]:
    """Every recorded NSE option-chain response, as (file name, payload)."""
    return request.param, load_nse_chain(request.param)


@pytest.fixture(scope="session")
def nifty_2019_payload() -> dict[str, Any]:
    """NIFTY 23-Aug-2019 chain (21 expiries, ``filtered`` block, no ``index`` block)."""
    return load_nse_chain("nse_option_chain_indices_NIFTY_2019-08-23_aadityatamrakar.json")


@pytest.fixture(scope="session")
def nifty_2025_payload() -> dict[str, Any]:
    """NIFTY 16-Jul-2025 chain (fractional OI, ``index`` block)."""
    return load_nse_chain("nse_option_chain_indices_NIFTY_2025-07-16_ethanelliott50.json")


@pytest.fixture(scope="session")
def nse_test_json():
    """Loader of the small NSE payloads in ``tests/data/nse`` (call with a file name)."""
    return load_nse_test_json
