"""Cached numba kernels of the library use the cache under the data home."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

_PROBE = """
import json, sys
import optionsintel.research._rolling as rolling
print(json.dumps({"vectorbt": "vectorbt" in sys.modules,
                  "cache": rolling._load_rows._cache._cache_path}))
"""


def test_research_kernels_use_the_data_home_cache_without_the_backtests(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"}
    env["OPTIONSINTEL_NUMBA_CACHE_DIR"] = str(tmp_path / "nc")
    out = subprocess.run([sys.executable, "-c", _PROBE], env=env, capture_output=True,
                         text=True, check=True, timeout=300)  # fmt: skip
    probe = json.loads(out.stdout.strip().splitlines()[-1])
    assert probe["vectorbt"] is False  # research alone, the backtests never imported
    assert Path(probe["cache"]).is_relative_to(tmp_path / "nc")
