"""WorkQueue semantics (client-go's ``Type``), all in virtual time."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

import pytest

from kube_actors.runtime import (
    SimulationDeadlock,
    checkpoint,
    move_on_after,
    now,
    simulate,
    sleep,
    spawn,
)
from kube_actors.workqueue import LOW_PRIORITY, ShutDown, WorkQueue

T = TypeVar("T")


def sim(main: Callable[[], Awaitable[T]]) -> T:
    return simulate(main, seed=0).value


def test_fifo_and_len() -> None:
    async def main() -> list[str]:
        q: WorkQueue[str] = WorkQueue()
        for key in ("a", "b", "c"):
            q.add(key)
        assert len(q) == q.len() == 3
        got = [await q.get() for _ in range(3)]
        assert len(q) == 0
        assert q.processing() == {"a", "b", "c"}
        return got

    assert sim(main) == ["a", "b", "c"]


def test_an_empty_queue_is_still_truthy() -> None:
    async def main() -> bool:
        return bool(WorkQueue[str]())

    assert sim(main) is True


def test_adds_of_a_queued_key_collapse() -> None:
    async def main() -> tuple[int, str, int]:
        q: WorkQueue[str] = WorkQueue()
        q.add("a")
        q.add("b")
        q.add("a")
        q.add("a")
        n = len(q)
        first = await q.get()
        q.done(first)
        return n, first, len(q)

    assert sim(main) == (2, "a", 1)


def test_a_key_added_while_processing_is_requeued_at_done() -> None:
    async def main() -> list[object]:
        q: WorkQueue[str] = WorkQueue()
        q.add("a")
        key = await q.get()
        q.add("a")  # dirty while processing: not queued yet
        q.add("a")  # collapses
        seen: list[object] = [len(q)]
        q.done(key)
        seen.append(len(q))
        seen.append(await q.get())
        q.done("a")
        seen.append(len(q))
        return seen

    assert sim(main) == [0, 1, "a", 0]


def test_a_key_is_never_handed_to_two_workers() -> None:
    async def main() -> list[tuple[float, str, str]]:
        q: WorkQueue[str] = WorkQueue()
        log: list[tuple[float, str, str]] = []

        async def worker(name: str) -> None:
            while True:
                key = await q.get()
                log.append((now(), name, key))
                await sleep(1)
                q.done(key)

        spawn(worker("w1"))
        spawn(worker("w2"))
        q.add("a")
        await sleep(0.5)
        q.add("a")  # w1 is processing it: w2 must not get it
        await sleep(5)
        return log

    # Not at 0.5 by w2: at 1.0, when w1 is done with it (w1 asks again first).
    assert sim(main) == [(0.0, "w1", "a"), (1.0, "w1", "a")]


def test_done_of_a_key_not_in_flight_is_ignored() -> None:
    async def main() -> int:
        q: WorkQueue[str] = WorkQueue()
        q.add("a")
        q.done("a")  # queued, not processing: must not queue it twice
        q.done("zzz")
        return len(q)

    assert sim(main) == 1


def test_get_blocks_until_an_add() -> None:
    async def main() -> tuple[str, float]:
        q: WorkQueue[str] = WorkQueue()

        async def later() -> None:
            await sleep(7)
            q.add("x")

        spawn(later())
        key = await q.get()
        return key, now()

    assert sim(main) == ("x", 7.0)


def test_each_add_wakes_one_waiting_worker() -> None:
    async def main() -> list[tuple[float, str, str]]:
        q: WorkQueue[str] = WorkQueue()
        log: list[tuple[float, str, str]] = []

        async def worker(name: str) -> None:
            key = await q.get()
            log.append((now(), name, key))

        for name in ("w1", "w2", "w3"):
            spawn(worker(name))
        await sleep(1)
        q.add("a")
        q.add("b")
        await sleep(1)
        q.add("c")
        await sleep(1)
        return log

    assert sim(main) == [(1.0, "w1", "a"), (1.0, "w2", "b"), (2.0, "w3", "c")]


def test_shut_down_drains_then_raises() -> None:
    async def main() -> list[object]:
        q: WorkQueue[str] = WorkQueue()
        q.add("a")
        q.add("b")
        q.shut_down()
        assert q.shutting_down
        q.add("c")  # ignored
        out: list[object] = [len(q), await q.get(), await q.get()]
        with pytest.raises(ShutDown):
            await q.get()
        return out

    assert sim(main) == [2, "a", "b"]


def test_shut_down_wakes_every_waiting_worker() -> None:
    async def main() -> list[str]:
        q: WorkQueue[str] = WorkQueue()
        ended: list[str] = []

        async def worker(name: str) -> None:
            try:
                await q.get()
            except ShutDown:
                ended.append(name)

        tasks = [spawn(worker(f"w{i}")) for i in range(3)]
        await sleep(1)
        q.shut_down()
        for task in tasks:
            await task.join()
        return ended

    assert sim(main) == ["w0", "w1", "w2"]


def test_a_dirty_key_in_flight_at_shut_down_is_processed_again() -> None:
    async def main() -> list[str]:
        q: WorkQueue[str] = WorkQueue()
        q.add("a")
        key = await q.get()
        q.add("a")
        q.shut_down()
        q.done(key)
        out = [await q.get()]
        q.done("a")
        with pytest.raises(ShutDown):
            await q.get()
        return out

    assert sim(main) == ["a"]


def test_shut_down_with_drain_waits_for_in_flight_keys() -> None:
    async def main() -> tuple[float, list[tuple[float, str]]]:
        q: WorkQueue[str] = WorkQueue()
        finished: list[tuple[float, str]] = []

        async def worker(seconds: float) -> None:
            try:
                while True:
                    key = await q.get()
                    await sleep(seconds)
                    finished.append((now(), key))
                    q.done(key)
            except ShutDown:
                pass

        spawn(worker(3))
        spawn(worker(5))
        for key in "abc":
            q.add(key)
        await sleep(1)
        await q.shut_down_with_drain()
        return now(), finished

    # a (3 s) then c (3 s) on the first worker, b (5 s) on the second.
    assert sim(main) == (6.0, [(3.0, "a"), (5.0, "b"), (6.0, "c")])


def test_shut_down_with_drain_returns_at_once_when_idle() -> None:
    async def main() -> float:
        q: WorkQueue[str] = WorkQueue()
        await sleep(1)
        await q.shut_down_with_drain()
        return now()

    assert sim(main) == 1.0


def test_shut_down_releases_a_draining_shut_down() -> None:
    async def main() -> float:
        q: WorkQueue[str] = WorkQueue()
        q.add("stuck")
        await q.get()  # never done

        async def impatient() -> None:
            await sleep(4)
            q.shut_down()

        spawn(impatient())
        await q.shut_down_with_drain()
        return now()

    assert sim(main) == 4.0


def test_a_drain_that_never_ends_is_a_deadlock() -> None:
    async def main() -> None:
        q: WorkQueue[str] = WorkQueue()
        q.add("stuck")
        await q.get()
        await q.shut_down_with_drain()

    with pytest.raises(SimulationDeadlock):
        simulate(main, seed=0)


def test_a_cancelled_get_does_not_lose_a_key() -> None:
    async def main() -> tuple[list[str], int]:
        q: WorkQueue[str] = WorkQueue()
        got: list[str] = []

        async def impatient() -> None:
            with move_on_after(1):
                got.append(await q.get())

        async def patient() -> None:
            got.append(await q.get())

        first = spawn(impatient())
        spawn(patient())
        await checkpoint()
        # Wake the impatient waiter, then cancel it before it runs: the wake-up must pass on.
        q.add("a")
        first.cancel()
        await sleep(2)
        return got, len(q)

    assert sim(main) == (["a"], 0)


def test_a_get_cancelled_while_waiting_leaves_the_queue_usable() -> None:
    async def main() -> str:
        q: WorkQueue[str] = WorkQueue()
        with move_on_after(1):
            await q.get()
        q.add("a")
        return await q.get()

    assert sim(main) == "a"


def test_cancellation_propagates_out_of_get() -> None:
    async def main() -> bool:
        q: WorkQueue[str] = WorkQueue()
        task = spawn(q.get())
        await sleep(1)
        task.cancel()
        await sleep(1)
        return task.cancelled

    assert sim(main) is True


# --- priorities -----------------------------------------------------------------------------


def test_higher_priorities_are_served_first_fifo_within_one() -> None:
    async def main() -> list[str]:
        q: WorkQueue[str] = WorkQueue()
        q.add("low1", priority=LOW_PRIORITY)
        q.add("n1")
        q.add("high1", priority=10)
        q.add("low2", priority=LOW_PRIORITY)
        q.add("n2")
        q.add("mid", priority=5)
        q.add("high2", priority=10)
        q.add("lower", priority=-200)
        assert len(q) == 8
        return [await q.get() for _ in range(8)]

    assert sim(main) == ["high1", "high2", "mid", "n1", "n2", "low1", "low2", "lower"]


def test_adding_a_queued_key_with_a_higher_priority_moves_it_up() -> None:
    async def main() -> list[str]:
        q: WorkQueue[str] = WorkQueue()
        for key in ("a", "b", "c"):
            q.add(key, priority=LOW_PRIORITY)
        q.add("n")
        q.add("b")  # a live event for b: served with the normal keys, after n
        q.add("a", priority=LOW_PRIORITY - 1)  # lower: no change
        q.add("n", priority=3)  # n moves up
        q.add("c", priority=LOW_PRIORITY)  # same: no change
        assert len(q) == 4
        return [await q.get() for _ in range(4)]

    assert sim(main) == ["n", "b", "a", "c"]


def test_a_key_dirty_while_processing_keeps_its_highest_priority() -> None:
    async def main() -> list[str]:
        q: WorkQueue[str] = WorkQueue()
        order: list[str] = []
        q.add("a")
        key = await q.get()
        q.add("a", priority=LOW_PRIORITY)  # dirty while processing, low
        q.add("x")
        q.done(key)  # a is queued again at LOW_PRIORITY: behind x
        order += [await q.get(), await q.get()]
        q.done("x")
        q.done("a")
        q.add("b")
        key = await q.get()
        q.add("b", priority=LOW_PRIORITY)  # dirty while processing, low...
        q.add("b")  # ... then raised back to the default
        q.add("y")
        q.done(key)  # b is queued again at the default priority: after y
        order += [await q.get(), await q.get()]
        q.done("y")
        q.done("b")
        q.add("c")
        key = await q.get()
        q.add("c", priority=2)  # dirty while processing, high
        q.add("z")
        q.done(key)  # c is queued again at priority 2: before z
        order += [await q.get(), await q.get()]
        return order

    assert sim(main) == ["x", "a", "y", "b", "c", "z"]


def test_priority_lanes_drain_on_shut_down() -> None:
    async def main() -> list[str]:
        q: WorkQueue[str] = WorkQueue()
        q.add("low", priority=LOW_PRIORITY)
        q.add("high", priority=1)
        q.shut_down()
        out = [await q.get(), await q.get()]
        with pytest.raises(ShutDown):
            await q.get()
        return out

    assert sim(main) == ["high", "low"]


def test_an_empty_queue_with_only_parked_workers_deadlocks_visibly() -> None:
    async def main() -> None:
        q: WorkQueue[str] = WorkQueue()
        await q.get()

    with pytest.raises(SimulationDeadlock):
        simulate(main, seed=0)
