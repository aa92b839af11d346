"""Issue 21 start-up cuts keep what the commands print and read (speed: benchmarks/bench_cli.py).

* ``fetch chain --provider replay`` prints byte for byte what it printed before the cuts
  (``tests/data/cli/fetch_chain_NIFTY_replay.txt``, recorded from main at 58aae7e).
* The replay provider reads no setting: its config is the defaults, exactly what
  ``ProviderConfig.from_settings`` gives it; other providers still read the settings.
* The replay provider orders snapshots by :func:`snapshot_time`, which equals the
  ``snapshot_ts`` of the full parse on every recorded file.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from optionsintel.cli import market
from optionsintel.errors import ConfigurationError
from optionsintel.providers.nse_parse import parse_option_chain, snapshot_time
from optionsintel.providers.registry import ProviderConfig
from optionsintel.providers.replay import catalog
from optionsintel.providers.replay_files import data_root, read_bytes
from optionsintel.settings import get_settings

GOLDEN = Path(__file__).parent / "data" / "cli" / "fetch_chain_NIFTY_replay.txt"


def test_fetch_chain_replay_output_is_unchanged_byte_for_byte() -> None:
    env = {**os.environ, "COLUMNS": "80"}
    out = subprocess.run(
        [sys.executable, "-m", "optionsintel.cli.main", "fetch", "chain", "NIFTY",
         "--provider", "replay"],
        capture_output=True, check=True, timeout=120, env=env,
    ).stdout  # fmt: skip
    assert out == GOLDEN.read_bytes()


@pytest.fixture
def fresh_settings():
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.mark.usefixtures("fresh_settings")
def test_replay_config_is_what_the_settings_give_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPTIONSINTEL_SYNTHETIC_SEED", "11")
    monkeypatch.setenv("OPTIONSINTEL_ALLOW_SYNTHETIC_FALLBACK", "true")
    from_settings = ProviderConfig.from_settings(get_settings())
    assert market._provider_config("replay") == ProviderConfig()
    assert market._provider_config("replay").replay_data_dir == from_settings.replay_data_dir


@pytest.mark.usefixtures("fresh_settings")
def test_other_providers_still_read_and_validate_the_settings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OPTIONSINTEL_SYNTHETIC_SEED", "11")
    assert market._provider_config("synthetic").synthetic_seed == 11
    assert market._provider_config().synthetic_seed == 11
    get_settings.cache_clear()
    monkeypatch.setenv("OPTIONSINTEL_SYNTHETIC_SEED", "not-a-number")
    with pytest.raises(ConfigurationError, match="OPTIONSINTEL_SYNTHETIC_SEED"):
        market._provider_config("synthetic")


def test_snapshot_time_equals_the_full_parse_on_every_recorded_file() -> None:
    root = data_root()
    files = [f for f in catalog() if f.kind == "chain_snapshot"]
    assert len(files) >= 10
    for f in files:
        payload = json.loads(read_bytes(root, f.subdir, f.name))
        assert snapshot_time(payload) == parse_option_chain(payload).snapshot_ts, f.name
