"""The alert dispatcher: claim due outbox rows, deliver them, record every attempt.

Guarantees (``docs/alerts.md``):

* **Several dispatchers at once.** Rows are claimed PENDING -> SENDING with
  ``FOR UPDATE SKIP LOCKED`` (:func:`optionsintel.store.outbox.claim_due`), so no two
  dispatchers hold a row.
* **A lease.** Claiming sets ``next_attempt_at`` to now + ``lease_seconds`` (database
  clock). A dispatcher killed mid-send leaves the row SENDING; once the lease expires any
  dispatcher re-claims it, records the lost attempt as ABANDONED and delivers again.
  Delivery is therefore *at least once*: a send that reached the far end just before
  the dispatcher died is repeated once the lease expires (the at-least-once window is
  the lease). Webhook receivers drop the repeat by ``webhook-id``; the in-app feed does
  so itself. A batch's rows leave SENDING in one compare-and-set ``UPDATE`` that moves a
  row only while this dispatcher still holds it (``claimed_by``, ``attempts``); expired
  leases are looked for at most every ``min(poll_seconds, lease_seconds)``.
* **Retries.** Transient failures are retried with exponential backoff and full jitter
  (``Retry-After`` is a floor) up to ``max_attempts``, then FAILED with the last error
  kept; permanent failures (HTTP 4xx but 408/429, SMTP 5xx) go straight to FAILED.
* **Every attempt recorded** in the insert-only ``alert_delivery_attempts``, in the same
  statement (so the same transaction) as the row's transition
  (:func:`optionsintel.store.outbox.finish_batch`).
* **Wake-ups.** LISTEN/NOTIFY wakes an idle dispatcher at once; it still polls every
  ``poll_seconds`` (retries fall due without a notification).
"""

from __future__ import annotations

import datetime as dt
import gc
import logging
import os
import queue
import random
import socket
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from optionsintel.delivery import Channel, FeedItem, Notification
from optionsintel.delivery._redact import redact
from optionsintel.errors import PermanentDeliveryError, TransientDeliveryError
from optionsintel.store import Store, outbox
from optionsintel.store.notify import ALERTS_CHANNEL, Listener

log = logging.getLogger(__name__)

TABLE = "alert_notifications"
#: What a dispatcher process calls its database sessions (its engine's ``application_name``):
#: the admin dashboard asks PostgreSQL whether one is connected (the dispatcher has no port).
APPLICATION_NAME = "optionsintel-dispatcher"
ATTEMPTS = "alert_delivery_attempts"
DEFAULT_RATE_LIMITS: Mapping[str, float] = {
    "webhook": 500.0,
    "email": 5.0,
    "telegram": 25.0,
    "sms": 1.0,
}


@dataclass(frozen=True)
class DispatchPolicy:
    """Retry, lease, batching and rate-limit settings of a dispatcher."""

    max_attempts: int = 8
    base_delay: float = 2.0
    max_delay: float = 600.0
    lease_seconds: float = 60.0
    batch_size: int = 50
    concurrency: int = 8
    poll_seconds: float = 1.0
    rate_limits: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_RATE_LIMITS))


def backoff_seconds(
    attempt: int, policy: DispatchPolicy, rng: random.Random, retry_after: float | None = None
) -> float:
    """Delay before retry number ``attempt + 1``: full jitter, ``Retry-After`` as a floor.

    ``uniform(0, min(max_delay, base_delay * 2 ** (attempt - 1)))`` (AWS Architecture
    Blog, "Exponential Backoff And Jitter", 2015), never below the server's wish.
    """
    cap = min(policy.max_delay, policy.base_delay * 2 ** max(attempt - 1, 0))
    delay = rng.uniform(0.0, cap)
    return max(delay, retry_after or 0.0)


class _RateLimiter:
    """A token bucket per channel kind (``rate`` sends per second, burst of one second)."""

    def __init__(self, rates: Mapping[str, float]) -> None:
        self._rates = dict(rates)
        self._state: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def acquire(self, kind: str) -> None:
        rate = self._rates.get(kind)
        if not rate:
            return
        while True:
            with self._lock:
                tokens, at = self._state.get(kind, (rate, time.monotonic()))
                now = time.monotonic()
                tokens = min(rate, tokens + (now - at) * rate)
                if tokens >= 1.0:
                    self._state[kind] = (tokens - 1.0, now)
                    return
                self._state[kind] = (tokens, now)
                wait = (1.0 - tokens) / rate
            time.sleep(wait)


@dataclass(frozen=True)
class _Outcome:
    row: dict[str, Any]
    outcome: str  # SENT, RETRY, FAILED
    started: dt.datetime
    finished: dt.datetime
    status_code: int | None = None
    error: str | None = None
    delay: float = 0.0


def dispatcher_id() -> str:
    """``host:pid:random`` naming this dispatcher in claims and attempt records."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class Dispatcher:
    """Deliver the alert outbox.

    Parameters
    ----------
    store
        The store holding the outbox.
    channels
        Channel kind -> channel (:func:`optionsintel.delivery.build_channels`).
    policy
        Retries, lease, batch, concurrency, rate limits.
    seed
        Seed of the jitter's random generator.
    """

    def __init__(
        self,
        store: Store,
        channels: Mapping[str, Channel],
        policy: DispatchPolicy | None = None,
        *,
        seed: int | None = None,
        name: str | None = None,
    ) -> None:
        self.store = store
        self.channels = dict(channels)
        self.policy = policy or DispatchPolicy()
        self.name = name or dispatcher_id()
        self._rng = random.Random(seed)
        self._limiter = _RateLimiter(self.policy.rate_limits)
        self._pool = ThreadPoolExecutor(self.policy.concurrency, thread_name_prefix="dispatch")
        self._expiry_checked = -float("inf")

    def close(self) -> None:
        """Stop the delivery threads."""
        self._pool.shutdown(wait=True)

    # -- one round --------------------------------------------------------------------------
    def run_once(self, record: Callable[[list[_Outcome]], None] | None = None) -> int:
        """Claim what is due (expired leases first), deliver it, record it; rows handled.

        ``record`` takes the round's outcomes instead of recording them before returning
        (:meth:`run_forever` hands them to its recorder thread).
        """
        rows = self._claim()
        if not rows:
            return 0
        # The first row is sent on this thread (at a steady rate a round holds one or two
        # rows), the others meanwhile by the send threads.
        rest = [self._pool.submit(self._deliver, row) for row in rows[1:]]
        outcomes = [self._deliver(rows[0])] + [f.result() for f in rest]
        (record or self._finish)(outcomes)
        return len(rows)

    def _claim(self) -> list[dict[str, Any]]:
        """Claim up to ``batch_size`` rows: expired leases (now and then), then PENDING ones.

        Each claim is one statement in its own transaction (:mod:`optionsintel.store.outbox`);
        claiming an expired lease records its unfinished attempt as ABANDONED in it.
        """
        limit, lease = self.policy.batch_size, self.policy.lease_seconds
        expired: list[dict[str, Any]] = []
        if self._expiry_check_due():
            expired = outbox.claim_due(self.store, self.name, limit, lease, expired=True)
        fresh = outbox.claim_due(self.store, self.name, max(limit - len(expired), 1), lease)
        return expired + fresh

    def _expiry_check_due(self) -> bool:
        """Look for expired leases at most every ``min(poll_seconds, lease_seconds)``.

        Leases expire rarely (a dispatcher died); checking on every round of a busy
        dispatcher cost one more statement per batch. The wait adds at most that interval
        to the re-delivery of a dead dispatcher's rows.
        """
        now = time.monotonic()
        every = min(self.policy.poll_seconds, self.policy.lease_seconds)
        if now - self._expiry_checked < every:
            return False
        self._expiry_checked = now
        return True

    def _deliver(self, row: dict[str, Any]) -> _Outcome:
        started = dt.datetime.now(dt.UTC)

        def done(outcome: str, **kw: Any) -> _Outcome:
            return _Outcome(row, outcome, started, dt.datetime.now(dt.UTC), **kw)

        if int(row["attempts"]) > self.policy.max_attempts:
            return done("FAILED", error=row.get("last_error") or "lease expired too often")
        channel = self.channels.get(str(row["channel"]))
        if channel is None:
            return done("FAILED", error=f"channel {row['channel']} is not configured here")
        payload = row["payload"] or {}
        note = Notification(
            dedupe_key=row["dedupe_key"],
            owner=row["owner"],
            rule_name=row["rule_name"],
            channel=row["channel"],
            event=dict(payload.get("event") or {}),
            target=dict(payload.get("target") or {}),
        )
        try:
            self._limiter.acquire(channel.kind)
            receipt = channel.send(note)
        except PermanentDeliveryError as exc:
            return done("FAILED", error=redact(str(exc)))
        except TransientDeliveryError as exc:
            return self._retry(done, row, redact(str(exc)), exc.retry_after)
        except Exception as exc:  # a channel bug must not kill the dispatcher
            log.error("channel %s raised %s", row["channel"], type(exc).__name__)
            return self._retry(done, row, f"unexpected {type(exc).__name__}", None)
        return done("SENT", status_code=receipt.status_code)

    def _retry(self, done: Any, row: dict[str, Any], error: str, after: float | None) -> _Outcome:
        attempt = int(row["attempts"])
        if attempt >= self.policy.max_attempts:
            return done("FAILED", error=f"{error} (gave up after {attempt} attempts)")
        return done(
            "RETRY", error=error, delay=backoff_seconds(attempt, self.policy, self._rng, after)
        )

    def _finish(self, outcomes: list[_Outcome]) -> None:
        """Record every attempt and move the batch's rows out of SENDING: one statement.

        A row moves only while this dispatcher still holds it (state SENDING, ``claimed_by``
        this dispatcher, ``attempts`` the attempt it claimed); a row re-claimed after an
        expired lease is left to its new holder (its attempt is recorded all the same).
        """
        attempts = [
            outbox.Attempt(
                dedupe_key=o.row["dedupe_key"],
                attempt=int(o.row["attempts"]),
                channel=o.row["channel"],
                outcome=o.outcome,
                started=o.started,
                finished=o.finished,
                status_code=o.status_code,
                error=o.error,
                delay=o.delay,
            )
            for o in outcomes
        ]
        moved = outbox.finish_batch(self.store, self.name, attempts)
        for a in attempts:
            if a.dedupe_key not in moved:
                log.warning("outbox row %s left this dispatcher before it finished it",
                            a.dedupe_key)  # fmt: skip

    # -- the loop ---------------------------------------------------------------------------
    def run_forever(self, stop: threading.Event) -> None:
        """Deliver until ``stop`` is set: drain, then sleep on LISTEN or the poll timer.

        Recording a round (attempts + state moves) runs on a recorder thread, so the next
        claim does not wait for it; a row stays SENDING, under its lease, until its
        outcome is committed, so a dispatcher dying in between loses nothing (the lease
        expires and the row is delivered again: the at-least-once window). On ``stop``
        the recorder commits what it holds before this returns. What the process holds
        when the loop starts.
        """
        recorder = _Recorder(self._finish)
        try:
            with Listener(self.store, ALERTS_CHANNEL) as listener:
                while not stop.is_set():
                    try:
                        handled = self.run_once(recorder.put)
                    except Exception as exc:  # the database may be briefly unavailable
                        log.error("dispatch round failed: %s", redact(str(exc))[:300])
                        handled = 0
                        stop.wait(self.policy.poll_seconds)
                    if handled < self.policy.batch_size:
                        listener.wait(self.policy.poll_seconds)
        finally:
            recorder.close()


def settle_heap() -> None:
    """Exempt the objects that exist now from the cyclic GC's passes (``gc.freeze``).

    A dispatcher process holds pandas, SQLAlchemy, httpx and their modules: one full
    (generation 2) pass over that heap took 92-195 ms on the 2-core VM (``bench_alerts.py``
    trace, RESULTS.md, issue 17), and CPython runs one whenever the long-lived objects
    have grown by a quarter, so a dispatcher running for hours would stall delivery that
    long now and then. Frozen objects are skipped by those passes and still freed by
    reference counting; only reference cycles among them are never collected, and these
    are start-up objects that live as long as the process. Called by the dispatcher's
    process (``optionsintel alerts dispatch``), not by :meth:`Dispatcher.run_forever`: a
    library call must not change the collector of whoever embeds it.
    """
    gc.collect()
    gc.freeze()


class _Recorder:
    """A thread committing delivered rounds' outcomes, everything pending in one statement."""

    def __init__(self, finish: Callable[[list[_Outcome]], None]) -> None:
        self._finish = finish
        self._queue: queue.SimpleQueue[list[_Outcome] | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="dispatch-recorder", daemon=True)
        self._thread.start()

    def put(self, outcomes: list[_Outcome]) -> None:
        self._queue.put(outcomes)

    def close(self) -> None:
        """Record what is queued, then stop the thread."""
        self._queue.put(None)
        self._thread.join()

    def _run(self) -> None:
        done = False
        while not done:
            batch = self._queue.get()
            if batch is None:
                return
            pending = list(batch)
            while not self._queue.empty():
                more = self._queue.get()
                if more is None:
                    done = True
                    break
                pending.extend(more)
            try:
                self._finish(pending)
            except Exception as exc:  # the rows stay SENDING; their lease brings them back
                log.error("recording %d outcomes failed: %s", len(pending), redact(str(exc))[:300])


def feed_writer(store: Store) -> Any:
    """The in-app channel's writer: an insert-only append that skips a stored key."""

    def write(item: FeedItem) -> None:
        frame = pd.DataFrame(
            [
                {
                    "username": item.username,
                    "dedupe_key": item.dedupe_key,
                    "owner": item.owner,
                    "rule_name": item.rule_name,
                    "title": item.title,
                    "body": item.body,
                    "payload": item.payload,
                }
            ]
        )
        store.append("alert_feed", frame, on_duplicate="skip")

    return write


def send_test(
    channels: Mapping[str, Channel], kind: str, target: Mapping[str, Any], owner: str
) -> Any:
    """Send a sample notification straight to one channel target (no outbox, no retry)."""
    channel = channels.get(kind)
    if channel is None:
        raise PermanentDeliveryError(f"channel {kind} is not configured here")
    event = {
        "owner": owner,
        "rule": "test-send",
        "type": "PRICE",
        "instrument": "NIFTY",
        "triggered_at": pd.Timestamp.now(tz="UTC").isoformat(),
        "value": 1.0,
        "threshold": 1.0,
    }
    key = f"test-{uuid.uuid4().hex}"
    return channel.send(Notification(key, owner, "test-send", kind, event, dict(target)))


def channels_from_environment(
    store: Store, settings: Any, environ: Mapping[str, str]
) -> dict[str, Channel]:
    """The channels configured by ``settings`` and the environment (the edge resolves them)."""
    from optionsintel.delivery import DeliveryConfig, build_channels

    config = DeliveryConfig.from_environment(settings, environ)
    return build_channels(config, feed_writer(store))
