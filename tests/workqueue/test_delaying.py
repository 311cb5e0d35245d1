"""DelayingQueue and RateLimitingQueue: keys become available at exact virtual times."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

import pytest

from kube_actors.runtime import SimulationDeadlock, now, simulate, sleep, spawn
from kube_actors.workqueue import (
    LOW_PRIORITY,
    DelayingQueue,
    ItemExponentialFailureRateLimiter,
    ItemFastSlowRateLimiter,
    RateLimitingQueue,
    ShutDown,
    WorkQueue,
)

T = TypeVar("T")


def sim(main: Callable[[], Awaitable[T]]) -> T:
    return simulate(main, seed=0).value


def start_collecting(q: WorkQueue[str]) -> list[tuple[float, str]]:
    """A worker that records (time, key) for every key it gets, and is done with it at once."""
    got: list[tuple[float, str]] = []

    async def worker() -> None:
        while True:
            key = await q.get()
            got.append((now(), key))
            q.done(key)

    spawn(worker())
    return got


async def collect(q: WorkQueue[str], until: float) -> list[tuple[float, str]]:
    """(time, key) for every key got from now until ``until``."""
    got = start_collecting(q)
    await sleep(until - now())
    return got


def test_add_after_makes_keys_available_at_their_ready_time() -> None:
    async def main() -> list[tuple[float, str]]:
        q: DelayingQueue[str] = DelayingQueue()
        q.add_after("c", 3)
        q.add_after("a", 1)
        q.add_after("b", 2)
        q.add_after("a2", 1)  # same instant as a: after it
        assert len(q) == 0
        assert q.waiting() == 4
        return await collect(q, 10)

    assert sim(main) == [(1.0, "a"), (1.0, "a2"), (2.0, "b"), (3.0, "c")]


def test_add_after_of_zero_or_less_adds_now() -> None:
    async def main() -> tuple[int, int]:
        q: DelayingQueue[str] = DelayingQueue()
        q.add_after("a", 0)
        q.add_after("b", -5)
        return len(q), q.waiting()

    assert sim(main) == (2, 0)


def test_a_waiting_duplicate_keeps_the_earlier_time() -> None:
    async def main() -> list[tuple[float, str]]:
        q: DelayingQueue[str] = DelayingQueue()
        q.add_after("a", 5)
        q.add_after("a", 2)  # earlier: wins
        q.add_after("a", 4)  # later: ignored
        q.add_after("b", 1)
        q.add_after("b", 3)  # later: ignored
        assert q.waiting() == 2
        return await collect(q, 20)

    assert sim(main) == [(1.0, "b"), (2.0, "a")]


def test_delays_are_relative_to_when_they_are_asked() -> None:
    async def main() -> list[tuple[float, str]]:
        q: DelayingQueue[str] = DelayingQueue()

        async def later() -> None:
            await sleep(1.5)
            q.add_after("late", 1)
            q.add_after("early", 0.25)  # rearms the timer earlier

        q.add_after("early", 10)
        spawn(later())
        return await collect(q, 20)

    assert sim(main) == [(1.75, "early"), (2.5, "late")]


def test_a_key_ready_while_queued_collapses() -> None:
    async def main() -> list[tuple[float, str]]:
        q: DelayingQueue[str] = DelayingQueue()
        q.add("a")
        q.add_after("a", 1)
        await sleep(2)  # a is queued and its delayed add came: still one a
        assert len(q) == 1
        return await collect(q, 5)

    assert sim(main) == [(2.0, "a")]


def test_an_immediate_add_does_not_cancel_a_waiting_one() -> None:
    async def main() -> list[tuple[float, str]]:
        q: DelayingQueue[str] = DelayingQueue()
        q.add_after("a", 3)
        q.add("a")
        return await collect(q, 5)

    # As in client-go: the waiting entry is independent of the queue.
    assert sim(main) == [(0.0, "a"), (3.0, "a")]


def test_add_after_with_a_priority() -> None:
    async def main() -> list[str]:
        q: DelayingQueue[str] = DelayingQueue()
        q.add_after("low", 1, priority=LOW_PRIORITY)
        q.add_after("normal", 1)
        q.add_after("raised", 1, priority=LOW_PRIORITY)
        q.add_after("raised", 2)  # later time ignored, higher priority kept
        await sleep(1)
        return [await q.get() for _ in range(3)]

    assert sim(main) == ["normal", "raised", "low"]


def test_shut_down_drops_waiting_keys_and_ignores_new_ones() -> None:
    async def main() -> tuple[int, float]:
        q: DelayingQueue[str] = DelayingQueue()
        q.add_after("a", 1)
        q.add_after("b", 5)
        await sleep(2)
        q.shut_down()
        q.add_after("c", 1)
        q.add_after("d", 0)
        assert q.waiting() == 0
        assert await q.get() == "a"
        with pytest.raises(ShutDown):
            await q.get()
        await sleep(10)
        return len(q), now()

    assert sim(main) == (0, 12.0)


def test_an_idle_delaying_queue_leaves_no_timer() -> None:
    async def main() -> None:
        q: DelayingQueue[str] = DelayingQueue()
        q.add_after("a", 1)
        await q.get()
        await q.get()  # nothing else will ever come: a deadlock, not a spin

    with pytest.raises(SimulationDeadlock):
        simulate(main, seed=0)


def test_rate_limited_requeues_follow_the_default_limiter() -> None:
    async def main() -> tuple[list[float], int, int]:
        q: RateLimitingQueue[str] = RateLimitingQueue()
        times: list[float] = []
        q.add("k")
        for _ in range(6):
            key = await q.get()
            times.append(now())
            q.add_rate_limited(key)  # failed: retry after a backoff
            q.done(key)
        requeues = q.num_requeues("k")
        q.forget("k")
        return times, requeues, q.num_requeues("k")

    times, requeues, after_forget = sim(main)
    # 5 ms, 10 ms, 20 ms, 40 ms, 80 ms between attempts.
    expected = [0.0]
    for delay in (0.005, 0.01, 0.02, 0.04, 0.08):
        expected.append(expected[-1] + delay)
    assert times == expected
    assert requeues == 6
    assert after_forget == 0


def test_rate_limited_with_a_custom_limiter_and_forget() -> None:
    async def main() -> list[tuple[float, str]]:
        q: RateLimitingQueue[str] = RateLimitingQueue(ItemFastSlowRateLimiter(1.0, 10.0, 2))
        got = start_collecting(q)
        q.add_rate_limited("a")  # 1
        await sleep(1)
        q.add_rate_limited("a")  # 1 -> at 2
        await sleep(1)
        q.add_rate_limited("a")  # 10 -> at 12
        q.forget("a")
        q.add_rate_limited("a")  # 1 -> at 3 (keeps the earlier time)
        await sleep(30)
        return got

    assert sim(main) == [(1.0, "a"), (2.0, "a"), (3.0, "a")]


def test_many_keys_backing_off_become_available_in_time_order() -> None:
    async def main() -> list[tuple[float, str]]:
        q: RateLimitingQueue[str] = RateLimitingQueue(ItemExponentialFailureRateLimiter(1.0, 8.0))
        for _ in range(3):
            q.rate_limiter.when("b")  # b has failed 3 times: next wait 8 s
        q.add_rate_limited("b")
        q.add_rate_limited("a")  # 1 s
        q.add_rate_limited("c")  # 1 s
        return await collect(q, 20)

    assert sim(main) == [(1.0, "a"), (1.0, "c"), (8.0, "b")]


def test_rate_limited_adds_are_ignored_after_shut_down() -> None:
    async def main() -> tuple[int, int]:
        q: RateLimitingQueue[str] = RateLimitingQueue()
        q.shut_down()
        q.add_rate_limited("a")
        return q.waiting(), q.num_requeues("a")

    # The limiter still counts the retry, as client-go's does.
    assert sim(main) == (0, 1)
