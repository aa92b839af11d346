"""The alert dispatcher: claim due outbox rows, deliver them, record every attempt.

Guarantees (``docs/alerts.md``):

* **Several dispatchers at once.** Rows are claimed PENDING -> SENDING with
  ``FOR UPDATE SKIP LOCKED`` (:meth:`Writer.claim`), so no two dispatchers hold a row.
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
  transaction as the row's transition.
* **Wake-ups.** LISTEN/NOTIFY wakes an idle dispatcher at once; it still polls every
  ``poll_seconds`` (retries fall due without a notification).
"""

from __future__ import annotations

import logging
import os
import random
import socket
import threading
import time
import uuid
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from optionsintel.delivery import Channel, FeedItem, Notification
from optionsintel.delivery._redact import redact
from optionsintel.errors import PermanentDeliveryError, TransientDeliveryError
from optionsintel.store import Increment, Now, Store
from optionsintel.store.api import Writer
from optionsintel.store.notify import ALERTS_CHANNEL, Listener

log = logging.getLogger(__name__)

TABLE = "alert_notifications"
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
    started: pd.Timestamp
    finished: pd.Timestamp
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
    def run_once(self) -> int:
        """Claim what is due (expired leases first), deliver it, record it; rows handled."""
        rows = self._claim()
        if not rows:
            return 0
        outcomes = list(self._pool.map(self._deliver, rows))
        with self.store.transaction() as writer:
            writer.append(ATTEMPTS, _attempt_frame(outcomes, self.name), on_duplicate="skip")
            self._finish(writer, outcomes)
        return len(rows)

    def _claim(self) -> list[dict[str, Any]]:
        lease = Now(pd.Timedelta(seconds=self.policy.lease_seconds).to_pytimedelta())
        changes: dict[str, Any] = {
            "attempts": Increment(1),
            "next_attempt_at": lease,
            "claimed_by": self.name,
        }
        limit = self.policy.batch_size
        with self.store.transaction() as writer:
            expired = pd.DataFrame()
            if self._expiry_check_due():
                expired = writer.claim(
                    TABLE, state="SENDING", to_state="SENDING", limit=limit,
                    order_by=["next_attempt_at"], due="next_attempt_at", **changes,
                )  # fmt: skip
            if len(expired):
                _record_abandoned(writer, expired)
            fresh = writer.claim(
                TABLE, state="PENDING", to_state="SENDING", limit=max(limit - len(expired), 1),
                order_by=["next_attempt_at"], due="next_attempt_at", **changes,
            )  # fmt: skip
        parts = [f for f in (expired, fresh) if len(f)]
        if not parts:
            return []
        return pd.concat(parts, ignore_index=True).to_dict("records")

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
        started = pd.Timestamp.now(tz="UTC")

        def done(outcome: str, **kw: Any) -> _Outcome:
            return _Outcome(row, outcome, started, pd.Timestamp.now(tz="UTC"), **kw)

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

    def _finish(self, writer: Writer, outcomes: list[_Outcome]) -> None:
        """Move the batch's rows out of SENDING: one compare-and-set ``UPDATE`` per change set.

        A row moves only while this dispatcher still holds it (state SENDING, ``claimed_by``
        this dispatcher, ``attempts`` the attempt it claimed); a row re-claimed after an
        expired lease is left to its new holder. Normally every row of a batch is SENT, so
        the whole batch is one statement; retries (each with its own jittered delay) and
        failures (their own error) group by identical changes.
        """
        groups: dict[tuple[str, Any, Any], list[dict[str, Any]]] = {}
        for o in outcomes:
            held = {"dedupe_key": o.row["dedupe_key"], "claimed_by": self.name,
                    "attempts": int(o.row["attempts"])}  # fmt: skip
            groups.setdefault((o.outcome, o.error, o.delay), []).append(held)
        for (outcome, error, delay), held_rows in groups.items():
            changes: dict[str, Any]
            if outcome == "SENT":
                changes, new = {"sent_at": Now(), "last_error": None}, "SENT"
            elif outcome == "RETRY":
                at = Now(pd.Timedelta(seconds=delay).to_pytimedelta())
                changes, new = {"next_attempt_at": at, "last_error": error}, "PENDING"
            else:
                changes, new = {"last_error": error}, "FAILED"
            moved = writer.transition_many(TABLE, held_rows, "SENDING", new, **changes)
            if len(moved) < len(held_rows):
                done = {m["dedupe_key"] for m in moved}
                for r in held_rows:
                    if r["dedupe_key"] not in done:
                        log.warning(
                            "outbox row %s left this dispatcher before it finished it",
                            r["dedupe_key"],
                        )

    # -- the loop ---------------------------------------------------------------------------
    def run_forever(self, stop: threading.Event) -> None:
        """Deliver until ``stop`` is set: drain, then sleep on LISTEN or the poll timer."""
        with Listener(self.store, ALERTS_CHANNEL) as listener:
            while not stop.is_set():
                try:
                    handled = self.run_once()
                except Exception as exc:  # the database may be briefly unavailable
                    log.error("dispatch round failed: %s", redact(str(exc))[:300])
                    handled = 0
                    stop.wait(self.policy.poll_seconds)
                if handled < self.policy.batch_size:
                    listener.wait(self.policy.poll_seconds)


def _attempt_frame(outcomes: list[_Outcome], name: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "dedupe_key": [o.row["dedupe_key"] for o in outcomes],
            "attempt": [int(o.row["attempts"]) for o in outcomes],
            "channel": [o.row["channel"] for o in outcomes],
            "dispatcher": name,
            "started_at": [o.started for o in outcomes],
            "finished_at": [o.finished for o in outcomes],
            "outcome": [o.outcome for o in outcomes],
            "status_code": pd.array([o.status_code for o in outcomes], dtype="Int64"),
            "error": [o.error for o in outcomes],
            "latency_ms": [(o.finished - o.started).total_seconds() * 1e3 for o in outcomes],
        }
    )


def _record_abandoned(writer: Writer, expired: pd.DataFrame) -> None:
    """The attempt a dead dispatcher never finished, recorded as ABANDONED."""
    now = pd.Timestamp.now(tz="UTC")
    frame = pd.DataFrame(
        {
            "dedupe_key": expired["dedupe_key"],
            "attempt": expired["attempts"].astype("int64") - 1,
            "channel": expired["channel"],
            "dispatcher": "unknown (lease expired)",
            "started_at": now,
            "finished_at": now,
            "outcome": "ABANDONED",
            "error": "the dispatcher holding the lease did not finish the attempt",
        }
    )
    writer.append(ATTEMPTS, frame[frame["attempt"] >= 1], on_duplicate="skip")


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
