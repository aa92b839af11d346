"""NotifiedCache (issue 18): one read per missing key, stale-while-revalidate past ttl,
and nothing read before an announced change is kept after it. Listens on the real store."""

from __future__ import annotations

import asyncio

from optionsintel.services.notified_cache import NotifiedCache


class _Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def _direct(compute):  # the API runs it in a worker thread; here inline
    return compute()


def _counter(values: list[str]):
    calls: list[str] = []

    def compute() -> str:
        calls.append(values[len(calls)])
        return calls[-1]

    return compute, calls


def test_an_expired_entry_is_served_while_one_refresh_replaces_it(store) -> None:
    clock = _Clock()
    cache = NotifiedCache("optionsintel_test_cache", ttl=5.0, clock=clock)
    cache.start(store)
    try:
        compute, calls = _counter(["v1", "v2", "v3"])

        async def scenario() -> None:
            assert await cache.fetch("k", compute, _direct) == "v1"
            assert await cache.fetch("k", compute, _direct) == "v1"  # fresh hit
            assert calls == ["v1"]
            clock.now = 6.0  # past ttl, no notification: stale value now, refresh behind
            assert (
                await asyncio.gather(*(cache.fetch("k", compute, _direct) for _ in range(5)))
                == ["v1"] * 5
            )
            await asyncio.gather(*list(cache._refreshes))
            assert calls == ["v1", "v2"]  # one refresh for five requests
            assert await cache.fetch("k", compute, _direct) == "v2"
            cache.clear()  # what a notification does: the next request reads again, now
            assert await cache.fetch("k", compute, _direct) == "v3"

        asyncio.run(scenario())
    finally:
        cache.stop()


def test_a_refresh_read_before_a_change_is_not_kept(store) -> None:
    clock = _Clock()
    cache = NotifiedCache("optionsintel_test_cache", ttl=5.0, clock=clock)
    cache.start(store)
    try:

        async def scenario() -> None:
            assert await cache.fetch("k", lambda: "old", _direct) == "old"
            clock.now = 6.0

            def read_then_change() -> str:
                cache.clear()  # a change announced while the refresh reads
                return "read-before-change"

            assert await cache.fetch("k", read_then_change, _direct) == "old"
            await asyncio.gather(*list(cache._refreshes))
            assert cache.get("k") is None  # the refresh's value was discarded
            assert await cache.fetch("k", lambda: "new", _direct) == "new"

        asyncio.run(scenario())
    finally:
        cache.stop()
