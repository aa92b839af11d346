"""CLI start-up benchmark (issue 21): wall and CPU time of fresh ``optionsintel`` processes.

Each command runs in a new interpreter, interleaved round by round with its peers: an
empty interpreter (``python -c pass``) and ``python -c "import pandas"``. On a loaded
machine wall time mostly measures waiting for a core; the CPU time (user + system of the
child) and the ratio to the peers measured in the same rounds stay meaningful.

Run: ``python benchmarks/bench_cli.py [--rounds 7]``.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time

PY = sys.executable
CASES: dict[str, list[str]] = {
    "python -c pass (peer)": [PY, "-c", "pass"],
    "python -c 'import pandas' (peer)": [PY, "-c", "import pandas"],
    "optionsintel --help": [PY, "-m", "optionsintel.cli.main", "--help"],
    "optionsintel version": [PY, "-m", "optionsintel.cli.main", "version"],
    "optionsintel fetch chain NIFTY --provider replay": [
        PY, "-m", "optionsintel.cli.main", "fetch", "chain", "NIFTY", "--provider", "replay",
    ],
}  # fmt: skip


def _run(argv: list[str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, env=os.environ.copy())
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=7)
    args = ap.parse_args()
    for argv in CASES.values():  # warm the OS file cache and .pyc files once
        _run(argv)
    wall: dict[str, list[float]] = {k: [] for k in CASES}
    cpu: dict[str, list[float]] = {k: [] for k in CASES}
    for r in range(args.rounds):
        names = list(CASES) if r % 2 == 0 else list(reversed(CASES))
        for name in names:
            w, c = _run(CASES[name])
            wall[name].append(w)
            cpu[name].append(c)
    print(f"load average {os.getloadavg()}; {args.rounds} rounds interleaved; medians")
    pandas = statistics.median(cpu["python -c 'import pandas' (peer)"])
    for name in CASES:
        w, c = statistics.median(wall[name]), statistics.median(cpu[name])
        print(
            f"  {name:<52} wall {w:6.3f} s  cpu {c:6.3f} s  cpu / import pandas {c / pandas:5.2f}"
        )


if __name__ == "__main__":
    main()
