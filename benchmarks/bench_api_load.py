"""REST API load (issue 18): open-loop constant rate and a 200-connection closed loop.

One uvicorn worker on 127.0.0.1, every request authenticated with an API key
(INSTITUTIONAL tier, so quotas and the token bucket never refuse), in a scratch
database seeded with the recorded real NIFTY days through the asset graph.

**Open loop** (what wrk2/oha do; neither is packaged in Debian): a small generator of our
own. ``--procs`` processes each send ``rate / procs`` requests a second at *fixed
instants* ``t0 + i / rate`` over a pool of keep-alive HTTP/1.1 connections (raw asyncio
streams, pre-built request bytes: a few microseconds of client CPU per request, far less
than httpx). Latency is measured from the request's *scheduled* instant, not from when it
was actually written, so a server (or generator) that falls behind cannot hide its queue
(no coordinated omission). The generator also reports how late it was in sending: a
large send lag means the machine, not the server, was the bottleneck.

**Closed loop**: ``wrk`` (``apt-get install wrk``; closed loop by design) with 200
connections for 60 s; without wrk the same generator runs closed-loop and says so.

Endpoints: the chain as of an instant (NIFTY, one expiry, provider ``replay``) and the
pattern list (``GET /api/v2/patterns``, 20 patterns). Targets: p95 < 20 ms at 500
requests/s for both; the closed loop with zero errors, p99 reported.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres \\
        python benchmarks/bench_api_load.py [--rate 500] [--seconds 20] [--closed-seconds 60]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import multiprocessing as mp
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_api import _free_port, _prepare, _serve
from optionsintel.services import pattern_access
from optionsintel.services.identity import Identity
from optionsintel.settings import get_settings
from optionsintel.store import Store, resolve_database_url
from optionsintel.store.admin import scratch_database
from optionsintel.store.engine import get_engine

CHAIN = "/api/v2/chains/NIFTY?at=2025-07-17T15:00:00%2B05:30&provider=replay&expiry={expiry}"
PATTERNS = "/api/v2/patterns?limit=50"


@dataclass
class Outcome:
    """Latencies (s, from the scheduled instant) of answered requests, errors, send lag."""

    latencies: list[float]
    errors: int
    send_lag: list[float]
    elapsed: float
    codes: dict[int, int] = field(default_factory=dict)  # non-200 answers by status (0: I/O)


def _request(path: str, key: str, port: int) -> bytes:
    return (f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nX-API-Key: {key}\r\n"
            "Accept: application/json\r\n\r\n").encode()  # fmt: skip


async def _exchange(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, req: bytes) -> int:
    """Send one request, read the whole response; its status code."""
    writer.write(req)
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    m = re.search(rb"(?i)content-length:\s*(\d+)", head)
    if m:
        await reader.readexactly(int(m.group(1)))
    elif re.search(rb"(?i)transfer-encoding:\s*chunked", head):
        while True:
            size = int((await reader.readline()).strip(), 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    return status


async def _open_loop(port: int, req: bytes, rate: float, n: int, t0: float, conns: int) -> Outcome:
    pool: asyncio.Queue[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = asyncio.Queue()
    for _ in range(conns):
        pool.put_nowait(await asyncio.open_connection("127.0.0.1", port))
    lat: list[float] = []
    lag: list[float] = []
    codes: Counter[int] = Counter()

    async def one(scheduled: float) -> None:
        conn = await pool.get()
        try:
            code = await _exchange(*conn, req)
        except (ConnectionError, asyncio.IncompleteReadError) as exc:
            # the server closed an idle keep-alive connection (uvicorn: after 5 s): like
            # any HTTP client, send again on a fresh connection (the latency keeps counting)
            code = 0
            conn = await asyncio.open_connection("127.0.0.1", port)
            if not isinstance(exc, asyncio.IncompleteReadError) or not exc.partial:
                try:
                    code = await _exchange(*conn, req)
                except (OSError, asyncio.IncompleteReadError, ValueError):
                    conn = await asyncio.open_connection("127.0.0.1", port)
        except (OSError, ValueError):
            code = 0
            conn = await asyncio.open_connection("127.0.0.1", port)
        pool.put_nowait(conn)
        if code == 200:
            lat.append(time.monotonic() - scheduled)
        else:
            codes[code] += 1

    tasks = []
    for i in range(n):
        scheduled = t0 + i / rate
        delay = scheduled - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        lag.append(max(0.0, time.monotonic() - scheduled))
        tasks.append(asyncio.create_task(one(scheduled)))
    await asyncio.gather(*tasks)
    return Outcome(lat, sum(codes.values()), lag, time.monotonic() - t0, dict(codes))


def _open_worker(args: tuple[int, bytes, float, int, float, int, float], out: mp.Queue) -> None:
    port, req, rate, n, t0, conns, offset = args
    out.put(asyncio.run(_open_loop(port, req, rate, n, t0 + offset, conns)))


def open_loop(port: int, path: str, key: str, rate: float, seconds: float, procs: int,
              conns: int) -> Outcome:  # fmt: skip
    """``rate`` requests/s for ``seconds`` from ``procs`` processes, interleaved in time."""
    req = _request(path, key, port)
    each = rate / procs
    n = int(each * seconds)
    t0 = time.monotonic() + 1.0  # every process connects first, then starts together
    out: mp.Queue = mp.Queue()
    jobs = [(port, req, each, n, t0, conns, k / rate) for k in range(procs)]
    workers = [mp.Process(target=_open_worker, args=(job, out)) for job in jobs]
    for w in workers:
        w.start()
    parts = [out.get() for _ in workers]
    for w in workers:
        w.join()
    return Outcome(
        [x for p in parts for x in p.latencies],
        sum(p.errors for p in parts),
        [x for p in parts for x in p.send_lag],
        max(p.elapsed for p in parts),
        dict(sum((Counter(p.codes) for p in parts), Counter())),
    )


async def _closed(port: int, req: bytes, conns: int, seconds: float) -> Outcome:
    lat: list[float] = []
    errors = 0
    stop = time.monotonic() + seconds

    async def client() -> None:
        nonlocal errors
        conn = await asyncio.open_connection("127.0.0.1", port)
        while time.monotonic() < stop:
            t = time.monotonic()
            try:
                ok = await _exchange(*conn, req) == 200
            except (OSError, asyncio.IncompleteReadError, ValueError):
                ok = False
                conn = await asyncio.open_connection("127.0.0.1", port)
            if ok:
                lat.append(time.monotonic() - t)
            else:
                errors += 1

    t0 = time.monotonic()
    await asyncio.gather(*(client() for _ in range(conns)))
    return Outcome(lat, errors, [], time.monotonic() - t0)


_WRK_KEYS_LUA = """
-- one API key per wrk thread (several client programs, each within its own key's bucket)
local keys, n = {KEYS}, 0
function setup(thread) n = n + 1; thread:set("key", keys[(n - 1) % #keys + 1]) end
function init(args) wrk.headers["X-API-Key"] = key end
"""


def closed_loop_wrk(port: int, path: str, keys: list[str], conns: int, seconds: float) -> str:
    """wrk's summary line: requests/s, non-2xx and socket errors, latency percentiles.

    The connections are spread over ``keys`` (one per wrk thread): the per-key token
    bucket (INSTITUTIONAL: 1,000/s) must not be what refuses requests in a capacity test.
    """
    lua = _WRK_KEYS_LUA.replace("{KEYS}", "{" + ", ".join(f'"{k}"' for k in keys) + "}")
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as fh:
        fh.write(lua)
    try:
        cmd = ["wrk", f"-t{len(keys)}", f"-c{conns}", f"-d{int(seconds)}s", "--latency",
               "--timeout", "30s", "-s", fh.name, f"http://127.0.0.1:{port}{path}"]  # fmt: skip
        text = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    finally:
        os.unlink(fh.name)
    pct = dict(re.findall(r"^\s+(50|75|90|99)%\s+(\S+)", text, re.M))
    rps = re.search(r"Requests/sec:\s+(\S+)", text)
    total = re.search(r"(\d+) requests in", text)
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    bad = int(non2xx.group(1)) if non2xx else 0
    socket_errs = sum(int(g) for g in sock.groups()) if sock else 0
    return (f"wrk {conns} connections over {len(keys)} keys {seconds:.0f} s: "
            f"{total.group(1) if total else '?'} answers ({rps.group(1) if rps else '?'}/s) "
            f"errors={bad + socket_errs} (non-2xx {bad}; socket "
            f"{sock.group(0) if sock else 'none'})  p50 {pct.get('50')}  p90 {pct.get('90')}  "
            f"p99 {pct.get('99')}")  # fmt: skip


def _summary(name: str, o: Outcome, target: float | None = None) -> str:
    a = np.asarray(o.latencies) * 1000
    if a.size == 0:
        return f"{name}: no answers, errors={o.errors}"
    p50, p95, p99 = np.percentile(a, [50, 95, 99])
    rate = f"target {target:.0f}/s " if target else ""
    lag = (f"  send lag p99 {np.percentile(o.send_lag, 99) * 1000:.1f} ms"
           if o.send_lag else "")  # fmt: skip
    errs = f"errors={o.errors}" + (f" {o.codes}" if o.codes else "")
    return (f"{name}: {rate}achieved {a.size / o.elapsed:.0f}/s n={a.size} {errs}  "
            f"p50 {p50:.1f} ms  p95 {p95:.1f} ms  p99 {p99:.1f} ms  "
            f"max {a.max():.1f} ms{lag}")  # fmt: skip


def _seed_patterns(url: str, n: int = 20) -> None:
    from optionsintel.auth import Role, Tier

    store = Store(get_engine(url))
    me = Identity("bench", Role.USER, Tier.INSTITUTIONAL, "cli")
    for i in range(n):
        pattern_access.create(store, me, f"bench-{i:02d}", f"RSI(14) < {20 + i}", name=f"p{i}")


def _more_keys(url: str, n: int) -> list[str]:
    """``n`` more API keys of the benchmark's user (each with its own token bucket)."""
    from optionsintel.services import keys
    from optionsintel.services.identity import cli_identity

    store = Store(get_engine(url))
    return [keys.create_key(store, cli_identity(), name=f"wrk{i}", username="bench")["key"]
            for i in range(n)]  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rate", type=float, nargs="*", default=[500.0],
                    help="open-loop rates (none: closed loop only)")  # fmt: skip
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--procs", type=int, default=2, help="generator processes (open loop)")
    ap.add_argument("--conns", type=int, default=64, help="connections per generator process")
    ap.add_argument("--connections", type=int, default=200, help="closed loop connections")
    ap.add_argument("--closed-seconds", type=float, default=60.0)
    ap.add_argument("--wrk-keys", type=int, default=4,
                    help="closed loop: API keys, one per wrk thread (each key's token bucket "
                         "allows the INSTITUTIONAL 1,000 requests/s; a worker faster than "
                         "keys x 1,000/s would draw 429s that are the tier's limit, not "
                         "failures)")  # fmt: skip
    args = ap.parse_args()
    print(f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, load {os.getloadavg()}, "
          f"{os.cpu_count()} CPUs, 1 uvicorn worker, open-loop generator: {args.procs} "
          f"processes x {args.conns} keep-alive connections")  # fmt: skip
    with scratch_database(resolve_database_url(get_settings()), "oi_bench_load") as url:
        key, expiry = _prepare(url)
        _seed_patterns(url)
        port = _free_port()
        proc = _serve(url, port)
        try:
            paths = {"chain as-of": CHAIN.format(expiry=expiry), "pattern list": PATTERNS}
            for rate in args.rate:
                for name, path in paths.items():
                    o = open_loop(port, path, key, rate, args.seconds, args.procs, args.conns)
                    print(_summary(f"open loop {name}", o, rate), flush=True)
            chain = paths["chain as-of"]
            if shutil.which("wrk"):
                wrk_keys = [key, *_more_keys(url, max(args.wrk_keys, 1) - 1)]
                line = closed_loop_wrk(port, chain, wrk_keys, args.connections,
                                       args.closed_seconds)  # fmt: skip
                print("closed loop chain as-of: " + line, flush=True)
            else:
                o = asyncio.run(_closed(port, _request(chain, key, port), args.connections,
                                        args.closed_seconds))  # fmt: skip
                print(_summary("closed loop chain as-of (no wrk: own generator)", o))
        finally:
            proc.terminate()
            proc.wait(timeout=10)
    print(f"load after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
