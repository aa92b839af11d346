"""REST API benchmarks (issue 18): one uvicorn worker on loopback, API-key authenticated.

1. Open loop: requests are *scheduled* at a constant rate (like wrk2/oha) and latency is
   measured from the scheduled instant, so a slow server cannot slow the load down and
   hide its queueing (no coordinated omission). Two endpoints: the chain as of an instant
   (NIFTY, one expiry, recorded real replay data) and a list endpoint (``/keys``; the
   pattern list of the issue does not exist yet and will take its place).
2. Closed loop: ``--connections`` concurrent clients (default 200), each sending its next
   request when the previous answer arrives, for ``--closed-seconds``; errors counted.

Neither wrk2 nor oha is installed on the benchmark machine, so the load generator is
Python (asyncio + httpx) in its own process; on a 2-core machine it competes with the
server for CPU, which makes the figures upper bounds.

Run: ``.venv/bin/python benchmarks/bench_api.py [--rate 500] [--seconds 10]
[--closed-seconds 60]`` (embedded database unless DATABASE_URL is set; it works in a
scratch database and drops it afterwards).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import socket
import subprocess
import sys
import time

import httpx
import numpy as np
from dagster_project.materialise import materialise_partitions
from dagster_project.resources import StoreResource

from optionsintel.services import keys, users
from optionsintel.services.demo import REPLAY_PAIR_DAYS
from optionsintel.services.identity import cli_identity
from optionsintel.settings import get_settings
from optionsintel.store import Store, migrate, resolve_database_url
from optionsintel.store.admin import scratch_database
from optionsintel.store.engine import get_engine

CHAIN = "/api/v2/chains/NIFTY?at=2025-07-17T15:00:00%2B05:30&provider=replay&expiry={expiry}"
LIST = "/api/v2/keys?limit=50"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _prepare(url: str) -> tuple[str, str]:
    """Seed the recorded real NIFTY days and make an INSTITUTIONAL key; (key, expiry)."""
    store = Store(get_engine(url), check_schema=False)
    migrate.upgrade(store.engine)
    # the recorded real NIFTY days, through the real asset graph (as `optionsintel demo`)
    materialise_partitions({"replay": list(REPLAY_PAIR_DAYS)}, underlyings=["NIFTY"],
                           store=StoreResource(database_url=url))  # fmt: skip
    users.create_user(store, cli_identity(), "bench", tier="INSTITUTIONAL")
    for i in range(20):  # something to list
        keys.create_key(store, cli_identity(), name=f"k{i}", username="bench")
    key = keys.create_key(store, cli_identity(), name="bench", username="bench")["key"]
    chain = store.chain_as_of("NIFTY", "2025-07-17 15:00", provider="replay")
    expiry = min(chain["expiry"]).date().isoformat()
    return key, expiry


def breakdown(url: str, key: str, expiry: str, repeats: int = 50) -> list[str]:
    """In-process median ms of each step of an authenticated chain as-of request."""
    from optionsintel.services import market
    from optionsintel.services.access import authenticate
    from optionsintel.services.quotas import count_call
    from optionsintel.services.serialise import records

    store = Store(get_engine(url))
    who = authenticate(store, key, secret="b" * 43, source=None)
    chain = store.chain_as_of("NIFTY", "2025-07-17 15:00", provider="replay", expiry=expiry)
    steps = {
        "authenticate (key + account, 1 query)": lambda: authenticate(
            store, key, secret="b" * 43, source=None
        ),
        "count the call (1 upsert, async commit)": lambda: count_call(store, who),
        f"store.chain_as_of, one expiry ({len(chain)} rows)": lambda: store.chain_as_of(
            "NIFTY", "2025-07-17 15:00", provider="replay", expiry=expiry
        ),
        "records() of that chain (JSON-ready rows)": lambda: records(chain),
        "services.market.chain_view (read + records)": lambda: market.chain_view(
            store, "NIFTY", at="2025-07-17 15:00", provider="replay", expiry=expiry
        ),
    }
    out = []
    for name, fn in steps.items():
        fn()
        times = []
        for _ in range(repeats):
            t = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t)
        out.append(f"  {name:<50} median {np.median(times) * 1000:6.2f} ms")
    return out


def _serve(url: str, port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "DATABASE_URL": url, "OPTIONSINTEL_API_SECRET": "b" * 43}
    cmd = [sys.executable, "-m", "uvicorn", "optionsintel.api:create_app", "--factory",
           "--host", "127.0.0.1", "--port", str(port), "--workers", "1", "--log-level",
           "warning", "--no-access-log"]  # fmt: skip
    proc = subprocess.Popen(cmd, env=env)
    for _ in range(200):
        try:
            httpx.get(f"http://127.0.0.1:{port}/api/v2/openapi.json", timeout=1)
            return proc
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("uvicorn did not start")


def _pcts(lat: list[float]) -> str:
    a = np.asarray(lat) * 1000
    if a.size == 0:
        return "no answers"
    p50, p95, p99 = np.percentile(a, [50, 95, 99])
    return f"p50 {p50:.1f} ms  p95 {p95:.1f} ms  p99 {p99:.1f} ms  max {a.max():.1f} ms"


async def open_loop(base: str, path: str, key: str, rate: float, seconds: float) -> str:
    """Constant-rate load; latency from each request's scheduled instant."""
    n = int(rate * seconds)
    lat: list[float] = []
    errors = 0
    limits = httpx.Limits(max_connections=1000, max_keepalive_connections=1000)
    async with httpx.AsyncClient(base_url=base, headers={"X-API-Key": key}, limits=limits,
                                 timeout=30) as client:  # fmt: skip
        # Warm up connections and caches.
        await asyncio.gather(*(client.get(path) for _ in range(20)))
        t0 = time.perf_counter() + 0.05

        async def one(i: int) -> None:
            nonlocal errors
            scheduled = t0 + i / rate
            try:
                r = await client.get(path)
                ok = r.status_code == 200
            except httpx.HTTPError:
                ok = False
            if ok:
                lat.append(time.perf_counter() - scheduled)
            else:
                errors += 1

        tasks = []
        for i in range(n):
            delay = t0 + i / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(i)))
        await asyncio.gather(*tasks)
        elapsed = time.perf_counter() - t0
    return (f"{path.split('?')[0]:<24} target {rate:.0f}/s achieved {len(lat) / elapsed:.0f}/s "
            f"n={n} errors={errors}  {_pcts(lat)}")  # fmt: skip


async def closed_loop(base: str, path: str, key: str, conns: int, seconds: float) -> str:
    """``conns`` clients back to back for ``seconds``."""
    lat: list[float] = []
    errors = 0
    limits = httpx.Limits(max_connections=conns, max_keepalive_connections=conns)
    async with httpx.AsyncClient(base_url=base, headers={"X-API-Key": key}, limits=limits,
                                 timeout=60) as client:  # fmt: skip
        stop = time.perf_counter() + seconds

        async def worker() -> None:
            nonlocal errors
            while time.perf_counter() < stop:
                t = time.perf_counter()
                try:
                    r = await client.get(path)
                    if r.status_code == 200:
                        lat.append(time.perf_counter() - t)
                    else:
                        errors += 1
                except httpx.HTTPError:
                    errors += 1

        t0 = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(conns)))
        elapsed = time.perf_counter() - t0
    return (f"{path.split('?')[0]:<24} {conns} connections {seconds:.0f} s: {len(lat)} answers "
            f"({len(lat) / elapsed:.0f}/s) errors={errors}  {_pcts(lat)}")  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rate", type=float, nargs="+", default=[100.0, 500.0])
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--connections", type=int, default=200)
    ap.add_argument("--closed-seconds", type=float, default=60.0)
    args = ap.parse_args()
    print(
        f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, load {os.getloadavg()}, "
        f"{os.cpu_count()} CPUs, 1 uvicorn worker"
    )
    with scratch_database(resolve_database_url(get_settings()), "oi_bench_api") as url:
        key, expiry = _prepare(url)
        print("\n".join(breakdown(url, key, expiry)))
        port = _free_port()
        proc = _serve(url, port)
        base = f"http://127.0.0.1:{port}"
        try:
            for rate in args.rate:
                for path in (CHAIN.format(expiry=expiry), LIST):
                    print(asyncio.run(open_loop(base, path, key, rate, args.seconds)))
            print(asyncio.run(closed_loop(base, CHAIN.format(expiry=expiry), key,
                                          args.connections, args.closed_seconds)))  # fmt: skip
        finally:
            proc.terminate()
            proc.wait(timeout=10)
    print(f"load after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
