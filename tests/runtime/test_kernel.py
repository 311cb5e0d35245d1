"""The virtual-time kernel and the runtime primitives on it: clock, cancel scopes, Event,
Channel, tasks, deadlock and foreign-await detection."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Generator

import anyio
import pytest

from kube_actors.runtime import (
    Channel,
    ChannelClosed,
    ChannelEmpty,
    ChannelFull,
    Event,
    NoRuntime,
    SimulationDeadlock,
    cancel_scope,
    checkpoint,
    elapsed,
    fail_after,
    move_on_after,
    new_uid,
    now,
    rng,
    simulate,
    sleep,
    spawn,
    wall_time,
)


def test_an_hour_of_virtual_sleep_takes_well_under_a_second() -> None:
    async def main() -> float:
        await sleep(3600)
        return now()

    started = time.perf_counter()
    result = simulate(main, seed=0)
    assert time.perf_counter() - started < 0.5
    assert result.value == 3600.0
    assert result.elapsed == 3600.0


def test_virtual_wall_clock_starts_at_the_epoch() -> None:
    async def main() -> str:
        await sleep(90)
        return wall_time().isoformat()

    assert simulate(main, seed=0).value == "2025-01-01T00:01:30+00:00"


def test_sleepers_wake_in_deadline_order_and_ties_in_start_order() -> None:
    order: list[tuple[str, float]] = []

    async def sleeper(name: str, seconds: float) -> None:
        await sleep(seconds)
        order.append((name, now()))

    async def main() -> None:
        for name, seconds in [("c", 3), ("a", 1), ("b1", 2), ("b2", 2)]:
            spawn(sleeper(name, seconds), name)
        await sleep(10)

    simulate(main, seed=0)
    assert order == [("a", 1.0), ("b1", 2.0), ("b2", 2.0), ("c", 3.0)]


def test_move_on_after_cancels_at_the_deadline() -> None:
    async def main() -> tuple[bool, float]:
        with move_on_after(5) as scope:
            await sleep(100)
        return scope.cancelled_caught, now()

    assert simulate(main, seed=0).value == (True, 5.0)


def test_fail_after_raises_timeout_error() -> None:
    async def main() -> float:
        try:
            with fail_after(2):
                await sleep(3)
        except TimeoutError:
            return now()
        return -1.0

    assert simulate(main, seed=0).value == 2.0


def test_a_scope_that_finishes_in_time_is_not_cancelled() -> None:
    async def main() -> bool:
        with move_on_after(5) as scope:
            await sleep(1)
        await sleep(10)  # the scope's deadline must not fire later
        return scope.cancelled_caught

    assert simulate(main, seed=0).value is False


def test_outer_cancel_wins_over_inner_scopes() -> None:
    async def main() -> tuple[bool, bool]:
        with move_on_after(1) as outer, move_on_after(10) as inner:
            await sleep(100)
        return outer.cancelled_caught, inner.cancelled_caught

    assert simulate(main, seed=0).value == (True, False)


def test_a_shielded_scope_finishes_its_cleanup() -> None:
    async def main() -> float:
        with move_on_after(1):
            try:
                await sleep(100)
            finally:
                with cancel_scope(shield=True):
                    await sleep(5)
        return now()

    assert simulate(main, seed=0).value == 6.0


def test_cancelled_task_stops_at_its_next_await() -> None:
    steps: list[str] = []

    async def worker() -> None:
        steps.append("start")
        await sleep(10)
        steps.append("never")

    async def main() -> tuple[bool, float]:
        task = spawn(worker(), "worker")
        await sleep(1)
        task.cancel()
        await checkpoint()
        await checkpoint()
        return task.cancelled, now()

    assert simulate(main, seed=0).value == (True, 1.0)
    assert steps == ["start"]


def test_join_returns_the_result_or_raises_the_error() -> None:
    async def ok() -> int:
        await sleep(1)
        return 7

    async def bad() -> None:
        raise ValueError("nope")

    async def main() -> int:
        value = int(await spawn(ok(), "ok").join())
        with pytest.raises(ValueError, match="nope"):
            await spawn(bad(), "bad").join()
        return value

    assert simulate(main, seed=0).value == 7


def test_event_wakes_every_waiter() -> None:
    woken: list[tuple[int, float]] = []

    async def waiter(event: Event, i: int) -> None:
        await event.wait()
        woken.append((i, now()))

    async def main() -> None:
        event = Event()
        for i in range(3):
            spawn(waiter(event, i), f"w{i}")
        await sleep(4)
        event.set()
        await sleep(0)
        await event.wait()  # already set: returns at once

    simulate(main, seed=0)
    assert woken == [(0, 4.0), (1, 4.0), (2, 4.0)]


def test_channel_is_bounded_and_fifo() -> None:
    async def main() -> list[object]:
        channel: Channel[int] = Channel(2)
        channel.send_nowait(1)
        channel.send_nowait(2)
        with pytest.raises(ChannelFull, match="full"):
            channel.send_nowait(3)
        got: list[object] = [channel.receive_nowait()]
        channel.send_nowait(3)
        got += [await channel.receive(), await channel.receive()]
        with pytest.raises(ChannelEmpty):
            channel.receive_nowait()
        return got

    assert simulate(main, seed=0).value == [1, 2, 3]


def test_channel_send_waits_for_room() -> None:
    log: list[tuple[str, float]] = []

    async def producer(channel: Channel[int]) -> None:
        for i in range(3):
            await channel.send(i)
            log.append((f"sent {i}", now()))

    async def main() -> None:
        channel: Channel[int] = Channel(1)
        spawn(producer(channel), "producer")
        await sleep(5)
        assert await channel.receive() == 0
        await sleep(5)
        assert await channel.receive() == 1
        assert await channel.receive() == 2

    simulate(main, seed=0)
    assert log == [("sent 0", 0.0), ("sent 1", 5.0), ("sent 2", 10.0)]


def test_closed_channel_drains_then_reports_closed() -> None:
    async def main() -> list[int]:
        channel: Channel[int] = Channel(4)
        channel.send_nowait(1)
        channel.close()
        with pytest.raises(ChannelClosed):
            channel.send_nowait(2)
        got = [await channel.receive()]
        with pytest.raises(ChannelClosed):
            await channel.receive()
        return got

    assert simulate(main, seed=0).value == [1]


def test_a_cancelled_receiver_does_not_lose_an_item() -> None:
    async def receiver(channel: Channel[int], out: list[int]) -> None:
        out.append(await channel.receive())

    async def main() -> list[int]:
        channel: Channel[int] = Channel(4)
        first: list[int] = []
        second: list[int] = []
        doomed = spawn(receiver(channel, first), "doomed")
        spawn(receiver(channel, second), "second")
        await checkpoint()
        doomed.cancel()
        channel.send_nowait(42)
        await sleep(1)
        return first + second

    assert simulate(main, seed=0).value == [42]


def test_channel_rejects_a_capacity_below_one() -> None:
    async def main() -> None:
        Channel(0, name="bad")

    with pytest.raises(ValueError, match="channel 'bad': capacity must be at least 1"):
        simulate(main, seed=0)


def test_deadlock_is_reported_with_the_blocked_tasks() -> None:
    async def main() -> None:
        await Event().wait()

    with pytest.raises(SimulationDeadlock) as info:
        simulate(main, seed=0)
    assert "blocked tasks: main" in "\n".join(info.value.__notes__)


def test_time_limit_stops_a_run_that_never_ends() -> None:
    async def main() -> None:
        while True:
            await sleep(60)

    with pytest.raises(TimeoutError, match="time limit"):
        simulate(main, seed=0, time_limit=3600)


class _ForeignTrap:
    def __await__(self) -> Generator[object, None, None]:
        yield object()


def test_awaiting_a_foreign_awaitable_is_a_clear_error() -> None:
    async def main() -> None:
        await _ForeignTrap()

    with pytest.raises(RuntimeError, match=r"only kube_actors\.runtime primitives"):
        simulate(main, seed=0)


@pytest.mark.parametrize("call", [lambda: asyncio.sleep(1), lambda: anyio.sleep(1)])
def test_asyncio_and_anyio_calls_in_a_simulation_say_why_they_fail(
    call: Callable[[], Awaitable[None]],
) -> None:
    async def main() -> None:
        await call()

    with pytest.raises(Exception) as info:  # noqa: PT011 - the library's own error type
        simulate(main, seed=0)
    assert any("only kube_actors.runtime primitives" in n for n in info.value.__notes__)


def test_errors_from_main_carry_the_seed_and_virtual_time() -> None:
    async def main() -> None:
        await sleep(12)
        raise KeyError("lost")

    with pytest.raises(KeyError) as info:
        simulate(main, seed=99)
    assert any("seed=99" in n and "12.000000s" in n for n in info.value.__notes__)


def test_random_source_and_uids_follow_the_seed() -> None:
    async def main() -> tuple[float, str, float]:
        await sleep(1)
        return rng().random(), new_uid(), elapsed()

    first = simulate(main, seed=5).value
    assert simulate(main, seed=5).value == first
    assert simulate(main, seed=6).value[:2] != first[:2]
    assert first[1][14] == "4"  # a version-4 UUID


def test_helpers_outside_a_runtime_raise_no_runtime() -> None:
    with pytest.raises(NoRuntime, match="inside simulate"):
        now()
