"""Alerts speed: rule evaluation on one tick, and event-to-webhook latency on loopback.

1. 1,000 active rules (all seven condition types, 1-3 instruments each) evaluated on one
   tick of NIFTY, BANKNIFTY and FINNIFTY: pure evaluation (``alerts.evaluate``) and the
   service path inside a transaction (``evaluate_and_enqueue``: read rules and state, write
   state and outbox). Target < 50 ms.
2. Events committed to the outbox at a steady rate (default 200/s for 60 s) and delivered by
   a dispatcher running in its own process (woken by LISTEN/NOTIFY) to a webhook receiver on
   127.0.0.1 that verifies every signature. Event ``k`` is scheduled at ``start + k / rate``;
   producer processes commit the events due every ``--batch-ms`` through the real enqueue
   path (``services.alerts.enqueue``: outbox append, NOTIFY by its trigger), so the offered
   load is the rate whenever the machine allows; the achieved rate (events committed / time
   to the last commit) is reported.
   Latency = receipt time minus the event's scheduled instant; p50/p95/p99, lost and
   duplicated counts. Target p99 < 50 ms.

Uses a scratch database on the configured server (embedded, or ``DATABASE_URL``) and drops
it afterwards. ``python benchmarks/bench_alerts.py [--rate 200] [--seconds 60] [--producers 2]
[--batch-ms 20]`` (``--seconds 0`` skips the latency run); the last line is a one-line summary.

3. The collection tick: the session's write callback on real synthetic ticks of the three
   indices with the 1,000 rules active: the tick's tables alone against
   ``services.alert_ticks.write_tick`` (tables + history reads + ATM IV + evaluation +
   outbox, one transaction).
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import threading
import time
import timeit
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pandas as pd

from optionsintel.alerts import TickFrames, compile_rules, evaluate, parse_rule
from optionsintel.delivery.webhook import new_secret, verify
from optionsintel.services import alerts as svc
from optionsintel.settings import get_settings
from optionsintel.store import Store, migrate
from optionsintel.store.admin import scratch_database
from optionsintel.store.engine import get_engine, resolve_database_url
from optionsintel.store.notify import ALERTS_CHANNEL, notify
from optionsintel.tz import EXCHANGE_TZ

INDICES = {"NIFTY": (25000.0, 50.0), "BANKNIFTY": (57000.0, 100.0), "FINNIFTY": (26500.0, 50.0)}
ENV = "OPTIONSINTEL_WEBHOOK_SECRET_BENCH"
SUMMARY: dict[str, float] = {}


def _ms(fn, repeat: int = 15) -> float:
    return float(np.median(timeit.repeat(fn, repeat=repeat, number=1)) * 1e3)


def _cpu_ms(fn, repeat: int = 21) -> tuple[float, float]:
    """Median (wall, CPU) milliseconds: on a shared machine the CPU time is the work done."""
    wall, cpu = [], []
    for _ in range(repeat):
        w0, c0 = time.perf_counter(), time.process_time()
        fn()
        cpu.append(time.process_time() - c0)
        wall.append(time.perf_counter() - w0)
    return float(np.median(wall) * 1e3), float(np.median(cpu) * 1e3)


# -- 1. rule evaluation -------------------------------------------------------------------


def tick_frames(rng: np.random.Generator, now: pd.Timestamp) -> TickFrames:
    """A session-long quote history (15-s ticks), the tick's chains, IV history, signals."""
    times = pd.date_range(now - pd.Timedelta(hours=2), now, freq="15s")
    quotes, chains, summary = [], [], []
    for name, (spot, step) in INDICES.items():
        path = spot * np.exp(np.cumsum(rng.normal(0, 2e-4, len(times))))
        vol = np.cumsum(rng.integers(1_000, 5_000, len(times))).astype(float)
        quotes.append(
            pd.DataFrame({"underlying": name, "snapshot_ts": times, "ltp": path, "volume": vol})
        )
        strikes = spot + step * np.arange(-40, 41)
        for e in range(4):
            expiry = (now + pd.Timedelta(days=7 * e + 1)).normalize().tz_localize(None)
            for side in ("CE", "PE"):
                oi = rng.uniform(1e4, 1e6, len(strikes))
                chains.append(
                    pd.DataFrame(
                        {
                            "underlying": name,
                            "expiry": expiry,
                            "strike": strikes,
                            "option_type": side,
                            "oi": oi,
                            "oi_change": oi * rng.uniform(-0.3, 0.3, len(strikes)),
                        }
                    )
                )
            summary.append(
                pd.DataFrame(
                    {
                        "underlying": name,
                        "snapshot_ts": times[::4],
                        "expiry": expiry,
                        "atm_iv": rng.uniform(10, 20, len(times[::4])),
                        "iv_rank": rng.uniform(0, 100, len(times[::4])),
                    }
                )
            )
    signals = pd.DataFrame(
        {
            "underlying": list(INDICES),
            "signal_type": ["CALL_BUILDUP", "GAMMA_SQUEEZE", "MAX_PAIN"],
            "confidence": [72.0, 55.0, 90.0],
            "strength": ["STRONG", "MODERATE", "VERY_STRONG"],
        }
    )
    return TickFrames(
        quotes=pd.concat(quotes, ignore_index=True),
        chain=pd.concat(chains, ignore_index=True),
        summary=pd.concat(summary, ignore_index=True),
        signals=signals,
        pattern_matches=pd.DataFrame({"symbol": ["NIFTY"], "pattern": ["flag"], "version": [1]}),
        scan_matches=pd.DataFrame({"symbol": ["BANKNIFTY"], "scan_id": ["breakouts"]}),
    )


def rule_docs(n: int, rng: np.random.Generator, owner: str = "bench") -> list[dict]:
    """``n`` rules cycling through every condition type, thresholds drawn at random."""
    names = list(INDICES)
    docs = []
    for i in range(n):
        symbols = list(rng.choice(names, size=int(rng.integers(1, 4)), replace=False))
        spot = INDICES[symbols[0]][0]
        kind = i % 9
        if kind == 0:
            cond = {
                "type": "PRICE",
                "op": ["above", "below", "crosses"][i % 3],
                "value": spot * rng.uniform(0.99, 1.01),
            }
        elif kind == 1:
            cond = {
                "type": "PRICE",
                "op": "pct_change",
                "value": float(rng.uniform(0.05, 1)),
                "window_minutes": int(rng.integers(1, 60)),
            }
        elif kind == 2:
            cond = {
                "type": "OI_CHANGE",
                "scope": "total",
                "measure": "pct",
                "threshold": float(rng.uniform(1, 20)),
            }
        elif kind == 3:
            cond = {
                "type": "OI_CHANGE",
                "scope": "strike",
                "measure": "absolute",
                "strike": spot,
                "expiry": str((pd.Timestamp.now(tz=EXCHANGE_TZ) + pd.Timedelta(days=1)).date()),
                "threshold": float(rng.uniform(1e3, 1e5)),
                "side": "CE",
            }
        elif kind == 4:
            cond = {
                "type": "VOLUME_SPIKE",
                "multiple": float(rng.uniform(1.1, 3)),
                "window": int(rng.integers(5, 60)),
            }
        elif kind == 5:
            cond = {
                "type": "VOLATILITY",
                "metric": "atm_iv_change",
                "op": "above",
                "value": float(rng.uniform(-2, 2)),
                "window_minutes": 30,
            }
        elif kind == 6:
            cond = {"type": "SIGNAL", "min_confidence": float(rng.uniform(40, 90))}
        elif kind == 7:
            cond = {"type": "PATTERN", "pattern": "flag", "version": 1}
        else:
            cond = {
                "type": "VOLATILITY",
                "metric": "iv_rank",
                "op": "above",
                "value": float(rng.uniform(0, 100)),
            }
        if cond["type"] == "OI_CHANGE" and cond["scope"] == "strike":
            symbols = symbols[:1]
        docs.append(
            {
                "owner": owner,
                "name": f"rule-{i:04d}",
                "symbols": symbols,
                "condition": cond,
                "channels": [{"kind": "in_app"}],
                "cooldown_seconds": 0,
                "active_days": "every_day",
                "active_from": "00:00",
                "active_until": "23:59",
            }
        )
    return docs


def bench_rules(store: Store, n_rules: int) -> None:
    rng = np.random.default_rng(7)
    now = pd.Timestamp.now(tz=EXCHANGE_TZ).floor("15s")
    frames = tick_frames(rng, now)
    docs = rule_docs(n_rules, rng)
    rules = [parse_rule(d) for d in docs]
    t_compile = _ms(lambda: compile_rules(rules), repeat=3)
    book = compile_rules(rules)
    ev = evaluate(book, frames, now)
    t_eval, c_eval = _cpu_ms(lambda: evaluate(book, frames, now, ev.state))
    print(
        f"{n_rules} rules -> {len(book)} (rule, instrument) rows; "
        f"compile {t_compile:.1f} ms (once per rule change)"
    )
    print(
        f"evaluate, one tick of 3 indices: {t_eval:7.1f} ms wall, {c_eval:6.1f} ms CPU "
        f"(first tick: {len(ev.triggers)} triggers)"
    )
    for d in docs:
        svc.create_rule(store, d)
    state = {"k": 0}

    def service_tick() -> None:
        state["k"] += 1
        at = now + pd.Timedelta(seconds=15 * state["k"])
        with store.transaction() as writer:
            svc.evaluate_and_enqueue(writer, frames, at)

    service_tick()  # compile and cache the book, first state rows
    t_svc, c_svc = _cpu_ms(service_tick, repeat=9)
    print(f"evaluate_and_enqueue (DB, in a transaction): {t_svc:7.1f} ms wall, {c_svc:6.1f} ms CPU")
    SUMMARY.update(eval_ms=t_eval, eval_cpu_ms=c_eval, service_ms=t_svc)


def bench_collection_tick(store: Store, ticks: int = 8) -> None:
    """The session's write callback on real synthetic ticks of 3 indices, with 1,000 rules.

    ``write_all`` (the tick's tables only) against ``alert_ticks.write_tick`` (the same
    tables plus reading the windows' history, ATM IV of the tick and of the windows'
    start, IV rank, evaluating and appending the outbox), alternating on fresh ticks.
    """
    from optionsintel.collect.session import collect_tick, intraday_tables
    from optionsintel.providers.registry import ProviderConfig, build_provider
    from optionsintel.services.alert_ticks import write_tick

    start = pd.Timestamp("2025-07-16 10:00", tz=EXCHANGE_TZ).tz_convert("UTC")
    at = [start + pd.Timedelta(seconds=15 * k) for k in range(150 + 2 * ticks)]
    clock = {"t": at[0]}
    provider = build_provider("synthetic", ProviderConfig(synthetic_seed=7),
                              clock=lambda: clock["t"].to_pydatetime())  # fmt: skip
    frames = []
    for t in at:
        clock["t"] = t
        frames.append(dict(intraday_tables(collect_tick(provider, list(INDICES), t))))

    def plain(f) -> None:
        with store.transaction() as writer:
            for name, frame in f.items():
                writer.write(name, frame)

    for f in frames[:150]:  # 37 minutes of history (windows of up to 30 min look back)
        plain(f)
    t_plain, t_alert, c_plain, c_alert = [], [], [], []
    for k in range(ticks):
        for fn, f, wall, cpu in ((plain, frames[150 + 2 * k], t_plain, c_plain),
                                 (lambda x: write_tick(store, x), frames[151 + 2 * k], t_alert,
                                  c_alert)):  # fmt: skip
            w0, p0 = time.perf_counter(), time.process_time()
            fn(f)
            wall.append((time.perf_counter() - w0) * 1e3)
            cpu.append((time.process_time() - p0) * 1e3)
    series = {"plain": t_plain, "alert": t_alert, "cplain": c_plain, "calert": c_alert}
    m = {k: float(np.median(v)) for k, v in series.items()}
    print(
        f"collection tick of 3 indices ({len(frames[-1]['option_chain_snapshots'])} chain rows): "
        f"tables only {m['plain']:.1f} ms wall ({m['cplain']:.1f} CPU); tables + 1,000 rules "
        f"(write_tick) {m['alert']:.1f} ms wall ({m['calert']:.1f} CPU): alerts add "
        f"{m['alert'] - m['plain']:.1f} ms"
    )
    SUMMARY.update(tick_plain_ms=m["plain"], tick_alert_ms=m["alert"])


# -- 2. event -> webhook latency ------------------------------------------------------------


def _receiver(secret: str, got: dict[str, list[float]]):
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["content-length"]))
            at = time.time()
            doc = verify(secret, dict(self.headers.items()), body)
            with lock:
                got.setdefault(self.headers["webhook-id"], []).append(at - doc["data"]["sent"])
            self.send_response(204)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def _dispatch_process(url: str, secret: str, stop) -> None:
    import httpx

    from optionsintel.delivery import WebhookChannel
    from optionsintel.services.dispatch import Dispatcher, DispatchPolicy, settle_heap

    store = Store(get_engine(url))
    channels = {"webhook": WebhookChannel({ENV: secret}, httpx.Client(timeout=5))}
    d = Dispatcher(store, channels, DispatchPolicy(batch_size=50, concurrency=8, poll_seconds=0.5))
    stopper = threading.Event()
    threading.Thread(target=lambda: (stop.wait(), stopper.set()), daemon=True).start()
    trace_to = os.environ.get("BENCH_ALERTS_TRACE")
    dump = _trace_dispatcher(channels["webhook"], f"{trace_to}.{os.getpid()}") if trace_to else None
    profile_to = os.environ.get("BENCH_ALERTS_PROFILE")  # cProfile of the dispatcher loop
    settle_heap()  # as `optionsintel alerts dispatch` does before its loop
    if profile_to:
        import cProfile

        cProfile.runctx(
            "d.run_forever(stopper)", globals(), locals(), f"{profile_to}.{os.getpid()}"
        )
    else:
        cpu = time.process_time()
        d.run_forever(stopper)
        print(f"dispatcher process CPU during the run: {time.process_time() - cpu:.2f} s",
              flush=True)  # fmt: skip
    d.close()
    if dump is not None:
        dump()


def _enqueue(writer, rows: pd.DataFrame) -> None:
    """The producers' outbox append: ``services.alerts.enqueue`` (NOTIFY by its trigger).

    The peer measured beside it in RESULTS.md (main before issue 17's changes) has no
    ``enqueue``; there the producers appended and sent ``NOTIFY`` themselves, as
    ``evaluate_and_enqueue`` then did.
    """
    if hasattr(svc, "enqueue"):
        svc.enqueue(writer, rows)
    else:
        writer.append("alert_notifications", rows, on_duplicate="skip")
        notify(writer, ALERTS_CHANNEL)


def _hog(stop) -> None:
    """Spin on a core until ``stop`` is set (``--cpu-hogs``: a machine shared with others)."""
    x = 0
    while not stop.is_set():
        for _ in range(10_000):
            x += 1


def _trace_dispatcher(channel, path: str):
    """Record when the dispatcher woke, claimed and posted each row (``--trace``).

    Wraps the listener's wait, the claim and the channel's send of this dispatcher; the
    per-row instants are written to ``path`` (JSON lines) by the returned function.
    """
    import json

    from optionsintel.services import dispatch as dmod
    from optionsintel.store import outbox as ob

    marks: list = []
    last = {"woke": 0.0}
    wait, claim, send = dmod.Listener.wait, ob.claim_due, channel.send

    def traced_wait(self, timeout):
        got = wait(self, timeout)
        last["woke"] = time.time()
        return got

    def traced_claim(*a, **kw):
        t0 = time.time()
        rows = claim(*a, **kw)
        t1 = time.time()
        for r in rows:
            marks.append(("claim", r["dedupe_key"], last["woke"], t0, t1))
        return rows

    def traced_send(note):
        t0 = time.time()
        try:
            return send(note)
        finally:
            marks.append(("send", note.dedupe_key, t0, time.time()))

    dmod.Listener.wait, ob.claim_due, channel.send = traced_wait, traced_claim, traced_send
    import gc

    gc_start = {}

    def on_gc(phase, info):
        if phase == "start":
            gc_start["t"] = time.perf_counter()
        else:
            marks.append(
                ("gc", "", info["generation"], time.perf_counter() - gc_start["t"], time.time())
            )

    gc.callbacks.append(on_gc)

    def dump() -> None:
        with open(path, "w") as fh:
            for m in list(marks):
                fh.write(json.dumps(m) + "\n")

    return dump


def _produce(url: str, hook: str, rate: float, n: int, plan: tuple, out, go) -> None:
    """Enqueue events ``offset, offset + step, ...`` on the shared schedule, in small batches.

    Event ``k`` is due at ``start + k / rate`` (its scheduled instant, carried in the
    payload as ``sent``). Every ``batch_ms`` this producer commits the events that fell
    due since its last commit through the real enqueue path (``services.alerts.enqueue``,
    the outbox append every producer uses, whose insert trigger sends the ``NOTIFY``; one
    transaction), so the
    offered load stays at ``rate`` even when one transaction takes longer than 1/rate.
    Latency is measured from the scheduled instant: waiting for the batch counts.
    ``plan`` is (offset, step, batch_ms, start): ``start`` (a shared value) is set once
    every producer is connected and ready (``out`` gets ``None`` then), signalled by ``go``.
    Reports (events committed, batches, batches that started behind schedule, last commit).
    """
    offset, step, batch_ms, shared_start = plan
    trace: list | None = [] if os.environ.get("BENCH_ALERTS_TRACE") else None
    store = Store(get_engine(url))
    with store.transaction() as writer:  # connect before the clock starts
        notify(writer, ALERTS_CHANNEL)
    out.put(None)
    go.wait()
    start, cpu = shared_start.value, time.process_time()
    mine = list(range(offset, n, step))
    done = batches = late = j = 0
    tick = batch_ms / 1e3
    phase = tick * offset / step  # the producers' batch instants interleave
    while done < len(mine):
        pause = start + phase + j * tick - time.time()
        if pause > 0:
            time.sleep(pause)
        elif pause < -tick:
            late += 1
        now = time.time()
        j = max(j + 1, int((now - start - phase) / tick) + 1)  # skip instants already past
        upto = done
        while upto < len(mine) and start + mine[upto] / rate <= now:
            upto += 1
        due = mine[done:upto]
        if not due:
            continue
        rows = pd.DataFrame(
            [
                {
                    "dedupe_key": f"ev-{k:06d}",
                    "owner": "bench",
                    "rule_name": "latency",
                    "channel": "webhook",
                    "payload": {
                        "event": {
                            "type": "PRICE",
                            "instrument": "NIFTY",
                            "rule": "latency",
                            "seq": k,
                            "sent": start + k / rate,
                        },
                        "target": {"kind": "webhook", "url": hook, "secret_env": ENV},
                    },
                }
                for k in due
            ]
        )
        t0 = time.time()
        with store.transaction() as writer:
            _enqueue(writer, rows)
        if trace is not None:
            trace.append((due, t0, time.time()))
        done += len(due)
        batches += 1
    out.put((done, batches, late, time.time(), trace, time.process_time() - cpu))


def bench_latency(
    store: Store,
    url: str,
    rate: float,
    seconds: float,
    producers: int,
    batch_ms: float = 20.0,
    dispatchers: int = 1,
    cpu_hogs: int = 0,
) -> None:
    """Offer ``rate`` events/s for ``seconds``; report the achieved rate and the latencies.

    ``cpu_hogs`` processes spin on the CPU for the whole run, the same for every code
    compared: the latency of a machine whose cores are shared with other work.
    """
    secret = new_secret()
    got: dict[str, list[float]] = {}
    server = _receiver(secret, got)
    hook = f"http://127.0.0.1:{server.server_address[1]}/hook"
    svc.create_rule(
        store,
        {
            "owner": "bench",
            "name": "latency",
            "symbols": ["NIFTY"],
            "condition": {"type": "PRICE", "op": "above", "value": 1},
            "channels": [{"kind": "webhook", "url": hook, "secret_env": ENV}],
        },
    )
    ctx = mp.get_context("spawn")
    stop, reports, go, shared_start = ctx.Event(), ctx.Queue(), ctx.Event(), ctx.Value("d", 0.0)
    procs = [
        ctx.Process(target=_dispatch_process, args=(url, secret, stop)) for _ in range(dispatchers)
    ]
    for proc in procs:
        proc.start()
    time.sleep(4.0)  # the dispatcher imports, connects and listens
    n = int(rate * seconds)
    workers = [
        ctx.Process(
            target=_produce,
            args=(url, hook, rate, n, (i, producers, batch_ms, shared_start), reports, go),
        )
        for i in range(producers)
    ]
    for w in workers:
        w.start()
    for _ in workers:  # every producer imported, connected and waiting
        reports.get()
    hogs = [ctx.Process(target=_hog, args=(stop,)) for _ in range(cpu_hogs)]
    for h in hogs:
        h.start()
    start = time.time() + 0.5
    shared_start.value = start
    cpu_main = time.process_time()
    go.set()
    got_back = [reports.get() for _ in workers]
    for w in workers:
        w.join()
    committed = sum(r[0] for r in got_back)
    batches, late = sum(r[1] for r in got_back), sum(r[2] for r in got_back)
    # the offered span is (n - 1) / rate; the achieved rate counts until the last commit
    span = max(max(r[3] for r in got_back) - start, (n - 1) / rate, 1e-9)
    deadline = time.time() + 30
    while len(got) < n and time.time() < deadline:
        time.sleep(0.1)
    received_by = time.time() - start
    cpu_main = time.process_time() - cpu_main
    stop.set()
    for proc in procs + hogs:
        proc.join(10)
    server.shutdown()
    lat = np.array([v[0] for v in got.values()]) * 1e3
    dup = sum(len(v) - 1 for v in got.values())
    lost = n - len(got)
    sent_rows = store.count("alert_notifications", {"status": "SENT", "rule_name": "latency"})
    p50, p95, p99 = np.percentile(lat, [50, 95, 99]) if len(lat) else (np.nan,) * 3
    print(
        f"offered {n} events at {rate:.0f}/s over {(n - 1) / rate:.1f} s from {producers} "
        f"producers (batches every {batch_ms:.0f} ms) to {dispatchers} dispatcher(s): "
        f"committed {committed} in {span:.1f} s = "
        f"{committed / span:.1f}/s achieved, {batches} transactions ({late} behind schedule)"
    )
    print(
        f"received {len(got)} (last by {received_by:.1f} s), lost {lost}, duplicated {dup}, "
        f"rows SENT {sent_rows}"
    )
    print(
        f"CPU during the run: producers {sum(r[5] for r in got_back):.2f} s, receiver "
        f"(this process) {cpu_main:.2f} s; {cpu_hogs} CPU hog process(es) running"
    )
    print(
        f"scheduled event instant -> webhook receipt (signature verified): p50 {p50:.1f} ms, "
        f"p95 {p95:.1f} ms, p99 {p99:.1f} ms, max {lat.max() if len(lat) else np.nan:.1f} ms"
    )
    if os.environ.get("BENCH_ALERTS_TRACE"):
        _trace_report(os.environ["BENCH_ALERTS_TRACE"], got_back, got, start, rate)
    SUMMARY.update(rate=rate, achieved=committed / span, p50=p50, p95=p95, p99=p99, lost=lost,
                   dup=dup)  # fmt: skip


def _trace_report(prefix: str, got_back, got, start: float, rate: float) -> None:
    """Per-event stages (ms): percentiles of each hop from the scheduled instant to receipt."""
    import glob
    import json

    ev: dict[int, dict[str, float]] = {}
    gcs: list[tuple[int, float]] = []
    for r in got_back:
        for due, t0, t1 in r[4] or []:
            for k in due:
                ev[k] = {"sched": start + k / rate, "tx0": t0, "commit": t1}
    for path in glob.glob(prefix + ".*"):
        with open(path) as fh:
            for line in fh:
                m = json.loads(line)
                if m[0] == "gc":
                    if m[4] >= start:  # passes while events flowed, not at start-up
                        gcs.append((m[2], m[3] * 1e3))
                    continue
                k = int(m[1].split("-")[1])
                if k not in ev:
                    continue
                if m[0] == "claim" and "claim1" not in ev[k]:
                    ev[k].update(woke=m[2], claim0=m[3], claim1=m[4])
                elif m[0] == "send" and "send0" not in ev[k]:
                    ev[k].update(send0=m[2], send1=m[3])
        os.remove(path)
    for key, lat in got.items():
        k = int(key.split("-")[1])
        if k in ev:
            ev[k]["recv"] = start + k / rate + lat[0]
    hops = [("sched->tx start (batch wait)", "sched", "tx0"),
            ("tx start->commit (enqueue tx)", "tx0", "commit"),
            ("commit->claim start (wake/queue)", "commit", "claim0"),
            ("  of which last wake->claim start", "woke", "claim0"),
            ("claim statement", "claim0", "claim1"),
            ("claimed->send start", "claim1", "send0"),
            ("send start->receipt (sign+POST)", "send0", "recv"),
            ("receipt->send returns", "recv", "send1"),
            ("total sched->receipt", "sched", "recv")]  # fmt: skip
    for gen in range(3):
        ms = [d for g, d in gcs if g == gen]
        if ms:
            print(
                f"dispatcher gc generation {gen} while events flowed: {len(ms)} passes, "
                f"max {max(ms):.1f} ms, "
                f"total {sum(ms):.0f} ms"
            )
    print(f"trace of {len(ev)} events (ms):            p50     p95     p99     max")
    for name, a, b in hops:
        d = np.array([e[b] - e[a] for e in ev.values() if a in e and b in e]) * 1e3
        if len(d):
            q = np.percentile(d, [50, 95, 99, 100])
            print(f"  {name:34s} {q[0]:7.1f} {q[1]:7.1f} {q[2]:7.1f} {q[3]:7.1f}")
    ranked = sorted((e["recv"] - e["sched"], k) for k, e in ev.items() if "recv" in e)
    slow = [ev[k] for _, k in ranked[-len(ev) // 100 :]]
    medians = []
    for name, a, b in hops[:-1]:
        d = [(e[b] - e[a]) * 1e3 for e in slow if a in e and b in e]
        medians.append(f"{name.strip()} {np.median(d) if d else np.nan:.1f}")
    print("  hops of the slowest 1 % (median ms): " + ", ".join(medians))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rules", type=int, default=1000)
    ap.add_argument("--rate", type=float, default=200.0)
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--producers", type=int, default=2)
    ap.add_argument("--batch-ms", type=float, default=20.0, help="producers commit every N ms")
    ap.add_argument("--dispatchers", type=int, default=1, help="dispatcher processes")
    ap.add_argument("--cpu-hogs", type=int, default=0, help="processes spinning meanwhile")
    ap.add_argument("--skip-rules", action="store_true")
    args = ap.parse_args()
    with scratch_database(resolve_database_url(get_settings()), "oi_bench_alerts") as url:
        migrate.upgrade(get_engine(url))
        store = Store(get_engine(url))
        if not args.skip_rules:
            bench_rules(store, args.rules)
            bench_collection_tick(store)
        if args.seconds > 0:
            bench_latency(
                store, url, args.rate, args.seconds, args.producers, args.batch_ms,
                args.dispatchers, args.cpu_hogs,
            )  # fmt: skip
    _print_summary()


def _print_summary() -> None:
    """One line: the figures RESULTS.md records, with the load average beside them."""
    import os

    s, load = SUMMARY, os.getloadavg()
    parts = []
    if "eval_ms" in s:
        parts.append(f"evaluate 1000 rules {s['eval_ms']:.1f} ms ({s['eval_cpu_ms']:.1f} CPU)")
        parts.append(f"tick write+alerts {s['tick_alert_ms']:.0f} ms vs {s['tick_plain_ms']:.0f}")
    if "p99" in s:
        parts.append(f"webhook p50/p95/p99 {s['p50']:.0f}/{s['p95']:.0f}/{s['p99']:.0f} ms at "
                     f"{s['achieved']:.0f}/s (offered {s['rate']:.0f}/s), lost {s['lost']}, "
                     f"dup {s['dup']}")  # fmt: skip
    print("SUMMARY bench_alerts: " + "; ".join(parts) + f"; load {load[0]:.1f}/{load[1]:.1f}")


if __name__ == "__main__":
    main()
