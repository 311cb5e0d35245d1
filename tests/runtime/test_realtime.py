"""The same actors in real time, on anyio's asyncio and trio backends (no timing asserted)."""

from __future__ import annotations

from typing import Any

import attrs
import pytest

from kube_actors.runtime import (
    Actor,
    ActorCrashed,
    Backoff,
    Channel,
    ChildSpec,
    Event,
    Request,
    Supervisor,
    WhichChildren,
    current_runtime,
    handles,
    open_runtime,
    run,
    spawn,
    spawn_actor,
)

BACKENDS = ["asyncio", "trio"]


@attrs.frozen
class Add:
    n: int


@attrs.frozen
class Total(Request[int]):
    pass


@attrs.frozen
class Boom(Request[None]):
    pass


class Counter(Actor[Any]):
    def __init__(self) -> None:
        self.total = 0

    @handles(Add)
    def on_add(self, message: Add) -> None:
        self.total += message.n

    @handles(Total)
    def on_total(self, _message: Total) -> int:
        return self.total

    @handles(Boom)
    def on_boom(self, _message: Boom) -> None:
        raise RuntimeError("boom")


@pytest.mark.parametrize("backend", BACKENDS)
def test_messages_and_asks_in_real_time(backend: str) -> None:
    async def main() -> int:
        ref = spawn_actor(Counter(), "counter")
        for n in range(100):
            await ref.send(Add(n))
        return await ref.ask(Total())

    assert run(main, backend=backend) == 4950


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_supervisor_restarts_a_crashed_child_in_real_time(backend: str) -> None:
    async def main() -> tuple[int, int]:
        sup = spawn_actor(
            Supervisor([ChildSpec("counter", Counter)], backoff=Backoff(initial=0.0)), "sup"
        )
        child = (await sup.ask(WhichChildren()))[0].ref
        child.send_nowait(Add(5))
        with pytest.raises(ActorCrashed):
            await child.ask(Boom())
        after = await child.ask(Total())  # a fresh incarnation
        restarts = (await sup.ask(WhichChildren()))[0].restarts
        return after, restarts

    assert run(main, backend=backend) == (0, 1)


@pytest.mark.parametrize("backend", BACKENDS)
def test_channels_events_and_tasks_in_real_time(backend: str) -> None:
    async def producer(channel: Channel[int]) -> None:
        for i in range(10):
            await channel.send(i)
        channel.close()

    async def main() -> list[int]:
        channel: Channel[int] = Channel(2)
        done = Event()
        got: list[int] = []

        async def consumer() -> None:
            while True:
                try:
                    got.append(await channel.receive())
                except Exception:
                    break
            done.set()

        spawn(producer(channel), "producer")
        spawn(consumer(), "consumer")
        await done.wait()
        return got

    assert run(main, backend=backend) == list(range(10))


@pytest.mark.anyio
@pytest.mark.parametrize("anyio_backend", BACKENDS)
async def test_open_runtime_embeds_in_an_anyio_program_and_stops_actors(
    anyio_backend: str,
) -> None:
    stopped: list[str] = []

    class Noting(Counter):
        async def on_stop(self) -> None:
            stopped.append(self.name)

    async with open_runtime(seed=1) as runtime:
        spawn_actor(Noting(), "a")
        ref = spawn_actor(Noting(), "b")
        ref.send_nowait(Add(2))
        assert await ref.ask(Total()) == 2
        assert current_runtime() is runtime
    assert stopped == ["b", "a"]
