"""Runtime speed: mailbox throughput, ask latency and virtual-time speed, each beside baselines
measured in the same run (a bare anyio memory stream, a bare asyncio.Queue, trio's MockClock,
asyncio with looptime when installed)."""

from __future__ import annotations

import asyncio
import json
import platform
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio
import attrs

from kube_actors.runtime import Actor, Request, handles, run, simulate, sleep, spawn_actor

RESULTS = Path(__file__).resolve().parent / "results"


@attrs.frozen
class Msg:
    n: int


@attrs.frozen
class Done(Request[int]):
    pass


@attrs.frozen
class Echo(Request[int]):
    n: int


class Sink(Actor[Any]):
    """Counts messages; answers the count."""

    def __init__(self) -> None:
        self.count = 0

    @handles(Msg)
    def on_msg(self, _m: Msg) -> None:
        self.count += 1

    @handles(Done)
    def on_done(self, _m: Done) -> int:
        return self.count

    @handles(Echo)
    def on_echo(self, m: Echo) -> int:
        return m.n


class Source(Actor[Any]):
    """Sends n messages to a sink as fast as the mailbox takes them, then asks for the count."""

    def __init__(self, sink: Any, n: int) -> None:
        self.sink = sink
        self.n = n

    @handles(Done)
    async def on_go(self, _m: Done) -> int:
        sink = self.sink
        msg = Msg(0)
        send_nowait = sink.send_nowait
        for _ in range(self.n):
            try:
                send_nowait(msg)
            except Exception:
                await sink.send(msg)
        return int(await sink.ask(Done()))


async def actors_pipeline(n: int) -> float:
    sink = spawn_actor(Sink(), "sink")
    source = spawn_actor(Source(sink, n), "source")
    t0 = time.perf_counter()
    count = await source.ask(Done(), timeout=3600)
    elapsed = time.perf_counter() - t0
    assert count == n, count
    return elapsed


def mailbox_kernel(n: int) -> float:
    holder: list[float] = []

    async def main() -> None:
        holder.append(await actors_pipeline(n))

    simulate(main, seed=0)
    return n / holder[0]


def mailbox_realtime(n: int) -> float:
    async def main() -> float:
        return await actors_pipeline(n)

    return n / run(main, backend="asyncio")


def anyio_stream(n: int) -> float:
    async def main() -> float:
        send, receive = anyio.create_memory_object_stream[int](1024)
        t0 = time.perf_counter()

        async def produce() -> None:
            async with send:
                for i in range(n):
                    await send.send(i)

        async def consume() -> None:
            async with receive:
                async for _ in receive:
                    pass

        async with anyio.create_task_group() as tg:
            tg.start_soon(produce)
            tg.start_soon(consume)
        return time.perf_counter() - t0

    return n / anyio.run(main)


def asyncio_queue(n: int) -> float:
    async def main() -> float:
        queue: asyncio.Queue[int | None] = asyncio.Queue(1024)
        t0 = time.perf_counter()

        async def produce() -> None:
            for i in range(n):
                await queue.put(i)
            await queue.put(None)

        async def consume() -> None:
            while await queue.get() is not None:
                pass

        await asyncio.gather(produce(), consume())
        return time.perf_counter() - t0

    return n / asyncio.run(main())


def ask_latency(asks: int, *, virtual: bool) -> tuple[float, float]:
    """p50/p99 wall microseconds per ask round trip."""
    samples: list[float] = []

    async def main() -> None:
        sink = spawn_actor(Sink(), "echo")
        for i in range(asks):
            t0 = time.perf_counter()
            await sink.ask(Echo(i))
            samples.append(time.perf_counter() - t0)

    if virtual:
        simulate(main, seed=0)
    else:
        run(main, backend="asyncio")
    samples.sort()
    return (
        statistics.median(samples) * 1e6,
        samples[min(len(samples) - 1, int(len(samples) * 0.99))] * 1e6,
    )


# --- virtual time: 50 actors with periodic timers of 1-10 s for one virtual hour -------------


@attrs.frozen
class Tick:
    pass


class Ticker(Actor[Any]):
    def __init__(self, period: float, counts: list[int]) -> None:
        self.period = period
        self.counts = counts

    async def on_start(self) -> None:
        self.every(self.period, Tick())

    @handles(Tick)
    def on_tick(self, _t: Tick) -> None:
        self.counts[0] += 1


def _periods(actors: int) -> list[float]:
    return [1.0 + (i * 9.0 / (actors - 1)) for i in range(actors)]


def virtual_kernel(actors: int, hours: float) -> tuple[float, int]:
    counts = [0]
    horizon = 3600.0 * hours

    async def main() -> None:
        for i, period in enumerate(_periods(actors)):
            spawn_actor(Ticker(period, counts), f"ticker-{i}")
        await sleep(horizon)

    t0 = time.perf_counter()
    simulate(main, seed=0)
    return horizon / (time.perf_counter() - t0), counts[0]


async def _bare_tickers(actors: int, horizon: float, sleep_fn: Any, counts: list[int]) -> None:
    async def ticker(period: float) -> None:
        k = 1
        while k * period <= horizon:
            await sleep_fn(period)
            counts[0] += 1
            k += 1

    async with anyio.create_task_group() as tg:
        for period in _periods(actors):
            tg.start_soon(ticker, period)


def virtual_trio(actors: int, hours: float) -> tuple[float, int] | None:
    try:
        import trio
        import trio.testing
    except ImportError:
        return None
    counts = [0]
    horizon = 3600.0 * hours
    t0 = time.perf_counter()
    trio.run(
        _bare_tickers,
        actors,
        horizon,
        trio.sleep,
        counts,
        clock=trio.testing.MockClock(autojump_threshold=0),
    )
    return horizon / (time.perf_counter() - t0), counts[0]


def virtual_looptime(actors: int, hours: float) -> tuple[float, int] | None:
    try:
        import looptime
    except ImportError:
        return None
    counts = [0]
    horizon = 3600.0 * hours

    async def main() -> None:
        await _bare_tickers(actors, horizon, asyncio.sleep, counts)

    loop = asyncio.new_event_loop()
    # No idle cycles before each time jump: looptime at its fastest.
    looptime.patch_event_loop(loop, noop_cycles=0)
    t0 = time.perf_counter()
    try:
        loop.run_until_complete(main())
    finally:
        loop.close()
    return horizon / (time.perf_counter() - t0), counts[0]


def best(fn: Callable[[], float], repeat: int = 3) -> float:
    return max(fn() for _ in range(repeat))


def main(quick: bool = False) -> dict[str, Any]:
    n = 50_000 if quick else 300_000
    asks = 2_000 if quick else 20_000
    hours = 0.25 if quick else 1.0
    rows: list[dict[str, Any]] = []

    def row(name: str, value: float, unit: str, baseline: str, base: float | None) -> None:
        rows.append(
            {
                "benchmark": name,
                "value": round(value, 2),
                "unit": unit,
                "baseline": baseline,
                "baseline_value": None if base is None else round(base, 2),
                "ratio": None if not base else round(value / base, 3),
            }
        )

    stream = best(lambda: anyio_stream(n))
    queue = best(lambda: asyncio_queue(n))
    row("mailbox, virtual kernel", best(lambda: mailbox_kernel(n)), "msg/s", "anyio stream", stream)
    row(
        "mailbox, real time (asyncio)",
        best(lambda: mailbox_realtime(n)),
        "msg/s",
        "anyio stream",
        stream,
    )
    row("asyncio.Queue (bare)", queue, "msg/s", "anyio stream", stream)

    for virtual in (True, False):
        p50, p99 = ask_latency(asks, virtual=virtual)
        where = "virtual kernel" if virtual else "real time (asyncio)"
        row(f"ask p50, {where}", p50, "us", "", None)
        row(f"ask p99, {where}", p99, "us", "", None)

    speed, events = max(virtual_kernel(50, hours) for _ in range(3))
    trio_result = virtual_trio(50, hours)
    loop_result = virtual_looptime(50, hours)
    label = f"virtual speed, 50 actors, {hours:g} h ({events:,} ticks)"
    if trio_result is not None:
        row(label, speed, "x real", "trio MockClock, bare tasks", trio_result[0])
    if loop_result is not None:
        row(label, speed, "x real", "asyncio + looptime, bare tasks", loop_result[0])
    if trio_result is None and loop_result is None:
        row(label, speed, "x real", "", None)

    result = {
        "command": "python -m benchmarks" + (" --quick" if quick else ""),
        "python": platform.python_version(),
        "machine": platform.machine(),
        "messages": n,
        "asks": asks,
        "virtual_hours": hours,
        "results": rows,
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "runtime.json").write_text(json.dumps(result, indent=2) + "\n")
    header = ("benchmark", "value", "unit", "baseline", "baseline", "ratio")
    print("{:<48} {:>12} {:<7} {:<32} {:>12} {:>7}".format(*header))
    for r in rows:
        base = "" if r["baseline_value"] is None else f"{r['baseline_value']:,.0f}"
        ratio = "" if r["ratio"] is None else f"{r['ratio']:.3f}"
        print(
            f"{r['benchmark']:<48} {r['value']:>12,.1f} {r['unit']:<7} {r['baseline']:<32} "
            f"{base:>12} {ratio:>7}"
        )
    return result


if __name__ == "__main__":
    main(quick=True)
