"""Actors in virtual time: typed handlers, ask, backpressure, timers, stopping, dead letters."""

from __future__ import annotations

from typing import Any

import attrs
import pytest

from kube_actors.runtime import (
    Actor,
    ActorCrashed,
    ActorRef,
    ActorStopped,
    AskTimeout,
    DuplicateActorName,
    MailboxFull,
    Request,
    current_runtime,
    handles,
    now,
    simulate,
    sleep,
    spawn,
    spawn_actor,
)


@attrs.frozen
class Add:
    n: int


@attrs.frozen
class AddTwice(Add):
    pass


@attrs.frozen
class Total(Request[int]):
    pass


@attrs.frozen
class Slow(Request[str]):
    seconds: float


@attrs.frozen
class Fail(Request[None]):
    pass


@attrs.frozen
class Tick:
    label: str


class Counter(Actor[Any]):
    def __init__(self, log: list[Any] | None = None) -> None:
        self.total = 0
        self.seen = log if log is not None else []

    @handles(Add)
    def on_add(self, message: Add) -> None:
        self.total += message.n

    @handles(AddTwice)
    def on_add_twice(self, message: AddTwice) -> None:
        self.total += 2 * message.n

    @handles(Total)
    def on_total(self, _message: Total) -> int:
        return self.total

    @handles(Slow)
    async def on_slow(self, message: Slow) -> str:
        await sleep(message.seconds)
        return "done"

    @handles(Fail)
    def on_fail(self, _message: Fail) -> None:
        raise ValueError("handler failed")

    @handles(Tick)
    def on_tick(self, message: Tick) -> None:
        self.seen.append((message.label, now()))


def test_ask_returns_the_handlers_answer_after_queued_messages() -> None:
    async def main() -> int:
        ref = spawn_actor(Counter(), "counter")
        for n in range(1, 5):
            ref.send_nowait(Add(n))
        return await ref.ask(Total())

    assert simulate(main, seed=0).value == 10


def test_the_most_specific_handler_wins_and_subclasses_dispatch() -> None:
    @attrs.frozen
    class AddThrice(AddTwice):
        pass

    async def main() -> int:
        ref = spawn_actor(Counter(), "counter")
        ref.send_nowait(Add(1))
        ref.send_nowait(AddTwice(1))
        ref.send_nowait(AddThrice(1))  # no handler of its own: AddTwice's
        return await ref.ask(Total())

    assert simulate(main, seed=0).value == 5


def test_async_handler_answers_after_its_await() -> None:
    async def main() -> tuple[str, float]:
        ref = spawn_actor(Counter(), "counter")
        answer = await ref.ask(Slow(7))
        return answer, now()

    assert simulate(main, seed=0).value == ("done", 7.0)


def test_ask_times_out_at_exactly_its_timeout() -> None:
    async def main() -> tuple[str, float]:
        ref = spawn_actor(Counter(), "counter")
        try:
            await ref.ask(Slow(60), timeout=2.5)
        except AskTimeout as error:
            return str(error), now()
        return "answered", now()

    message, at = simulate(main, seed=0).value
    assert at == 2.5
    assert message == "ask Slow to actor 'counter' got no answer in 2.5s"


def test_a_crashing_handler_fails_the_ask_with_its_cause() -> None:
    async def main() -> BaseException | None:
        ref = spawn_actor(Counter(), "counter")
        with pytest.raises(ActorCrashed, match="crashed handling Fail: ValueError") as info:
            await ref.ask(Fail())
        return info.value.__cause__

    cause = simulate(main, seed=0).value
    assert isinstance(cause, ValueError)


def test_an_unhandled_message_type_crashes_the_actor_with_a_clear_error() -> None:
    @attrs.frozen
    class Unknown(Request[None]):
        pass

    async def main() -> str:
        ref = spawn_actor(Counter(), "counter")
        try:
            await ref.ask(Unknown())
        except ActorCrashed as error:
            return str(error.__cause__)
        return ""

    assert simulate(main, seed=0).value == (
        "actor 'counter' (Counter) has no handler for "
        "test_an_unhandled_message_type_crashes_the_actor_with_a_clear_error.<locals>.Unknown"
    )


def test_full_mailbox_fails_fast_or_blocks_the_sender() -> None:
    events: list[tuple[str, float]] = []

    async def sender(ref: ActorRef[Any]) -> None:
        await ref.send(Add(100))  # blocks until the actor makes room
        events.append(("sent", now()))

    async def main() -> int:
        ref = spawn_actor(Counter(), "counter", mailbox_size=2)
        ref.send_nowait(Slow(5))  # keeps the actor busy for 5 s
        await sleep(0)
        ref.send_nowait(Add(1))
        ref.send_nowait(Add(2))
        with pytest.raises(MailboxFull, match="mailbox of actor 'counter' is full"):
            ref.send_nowait(Add(3))
        spawn(sender(ref), "sender")
        await sleep(1)
        assert events == []
        return await ref.ask(Total(), timeout=10)

    assert simulate(main, seed=0).value == 103
    assert events == [("sent", 5.0)]


def test_queued_messages_are_handled_in_one_batch_after_one_wake_up() -> None:
    async def main() -> None:
        ref = spawn_actor(Counter(), "counter")
        await sleep(0)
        for n in range(50):
            ref.send_nowait(Add(n))
        await ref.ask(Total())

    result = simulate(main, seed=0, keep_trace=True)
    delivered = [e for e in result.trace if e.kind == "deliver"]
    assert [e.detail for e in delivered] == ["Add x50"]


def test_send_after_and_every_fire_at_their_virtual_times() -> None:
    log: list[Any] = []

    class Timed(Counter):
        async def on_start(self) -> None:
            self.send_after(1.5, Tick("once"))
            self.every(2, Tick("every"))
            cancelled = self.send_after(1, Tick("cancelled"))
            cancelled.cancel()

    async def main() -> None:
        spawn_actor(Timed(log), "timed")
        await sleep(7)

    simulate(main, seed=0)
    assert log == [("once", 1.5), ("every", 2.0), ("every", 4.0), ("every", 6.0)]


def test_every_with_a_first_delay_keeps_a_fixed_rate() -> None:
    log: list[Any] = []

    class Timed(Counter):
        async def on_start(self) -> None:
            self.every(10, Tick("t"), first=0.5)

        @handles(Tick)
        async def on_tick(self, message: Tick) -> None:
            self.seen.append((message.label, now()))
            await sleep(3)  # slow handler: the schedule does not drift

    async def main() -> None:
        spawn_actor(Timed(log), "timed")
        await sleep(31)

    simulate(main, seed=0)
    assert log == [("t", 0.5), ("t", 10.5), ("t", 20.5), ("t", 30.5)]


def test_a_periodic_tick_is_skipped_when_the_mailbox_is_full() -> None:
    log: list[Any] = []

    class Busy(Counter):
        async def on_start(self) -> None:
            self.every(1, Tick("tick"))

    async def main() -> None:
        ref = spawn_actor(Busy(log), "busy", mailbox_size=1)
        ref.send_nowait(Slow(3.5))  # busy from 0 to 3.5; the mailbox holds one tick
        await sleep(4.2)

    result = simulate(main, seed=0, keep_trace=True)
    skipped = [e.time for e in result.trace if e.kind == "tick-skipped"]
    assert skipped == [2.0, 3.0]
    assert log == [("tick", 3.5), ("tick", 4.0)]


def test_timers_stop_with_their_actor() -> None:
    log: list[Any] = []

    class Timed(Counter):
        async def on_start(self) -> None:
            self.every(1, Tick("tick"))

    async def main() -> None:
        ref = spawn_actor(Timed(log), "timed")
        await sleep(2.5)
        await ref.stop()
        await sleep(10)

    simulate(main, seed=0)
    assert log == [("tick", 1.0), ("tick", 2.0)]


def test_stop_drains_the_queue_then_runs_on_stop() -> None:
    seen: list[str] = []

    class Stopping(Counter):
        async def on_stop(self) -> None:
            seen.append(f"on_stop total={self.total}")

    async def main() -> bool:
        ref = spawn_actor(Stopping(), "stopping")
        for n in range(3):
            ref.send_nowait(Add(n))
        await ref.stop()
        return ref.alive

    assert simulate(main, seed=0).value is False
    assert seen == ["on_stop total=3"]


def test_messages_to_a_stopped_actor_are_dead_letters_and_asks_fail() -> None:
    async def main() -> int:
        ref = spawn_actor(Counter(), "counter")
        await ref.stop()
        ref.send_nowait(Add(1))
        with pytest.raises(ActorStopped, match="actor 'counter' is stopped"):
            await ref.ask(Total())
        return current_runtime().dead_letters

    result = simulate(main, seed=0)
    assert result.value == 1
    assert result.dead_letters == 1


def test_an_actor_that_stops_itself_fails_queued_asks() -> None:
    @attrs.frozen
    class Quit:
        pass

    class Quitter(Counter):
        @handles(Quit)
        def on_quit(self, _message: Quit) -> None:
            self.stop()

    async def main() -> int:
        ref = spawn_actor(Quitter(), "quitter")
        ref.send_nowait(Quit())
        ref.send_nowait(Add(1))  # still handled: stop() drains what is queued
        total = await ref.ask(Total())
        await sleep(1)
        with pytest.raises(ActorStopped):
            await ref.ask(Total())
        return total

    assert simulate(main, seed=0).value == 1


def test_two_live_actors_cannot_share_a_name_but_a_stopped_name_is_free() -> None:
    async def main() -> str:
        ref = spawn_actor(Counter(), "same")
        with pytest.raises(DuplicateActorName, match="'same'"):
            spawn_actor(Counter(), "same")
        await ref.stop()
        return spawn_actor(Counter(), "same").name

    assert simulate(main, seed=0).value == "same"


def test_children_stop_before_their_parent_in_reverse_start_order() -> None:
    order: list[str] = []

    class Noting(Actor[Any]):
        def __init__(self, label: str) -> None:
            self.label = label

        async def on_stop(self) -> None:
            order.append(self.label)

    class Parent(Noting):
        async def on_start(self) -> None:
            for label in ("a", "b", "c"):
                self.spawn_child(lambda label=label: Noting(label), label)

    async def main() -> list[str]:
        spawn_actor(Parent("parent"), "parent")
        await sleep(1)
        names = sorted(c.name for c in current_runtime().actors())
        await current_runtime().shutdown()
        return names

    names = simulate(main, seed=0).value
    assert names == ["parent", "parent/a", "parent/b", "parent/c"]
    assert order == ["c", "b", "a", "parent"]


def test_actors_log_with_their_name_and_virtual_time() -> None:
    from structlog.testing import capture_logs

    async def main() -> None:
        ref = spawn_actor(Counter(), "noisy")
        await sleep(3)
        ref.send_nowait(Fail())
        await sleep(1)

    with capture_logs() as logs:
        simulate(main, seed=0)
    crash = [entry for entry in logs if entry["event"] == "actor crashed"]
    assert len(crash) == 1
    assert crash[0]["actor"] == "noisy"
    assert crash[0]["virtual_time"] == 3.0
    assert crash[0]["error"] == "ValueError: handler failed"
