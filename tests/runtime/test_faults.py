"""Fault injection: every message fault and actor fault has its effect, in virtual time."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest

from kube_actors.runtime import (
    Actor,
    ActorCrashed,
    ActorStopped,
    AskTimeout,
    ChildSpec,
    CrashActor,
    FaultPlan,
    MailboxFull,
    MessageFault,
    PauseActor,
    Request,
    SimulationResult,
    Supervisor,
    TraceEvent,
    WhichChildren,
    handles,
    now,
    rng,
    simulate,
    sleep,
    sleep_until,
    spawn_actor,
)

pytestmark = pytest.mark.usefixtures("quiet_logs")


# --- actors ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Ping:
    n: int


@dataclass(frozen=True)
class Pong:
    n: int


@dataclass(frozen=True)
class Echo(Request[int]):
    n: int


@dataclass(frozen=True)
class Linger(Request[int]):
    """Handled slowly: the handler sleeps ``seconds`` before answering."""

    seconds: float


@dataclass(frozen=True)
class Tick:
    pass


class Recorder(Actor[Any]):
    """Records (virtual time, what) for every message it handles."""

    def __init__(self, seen: list[tuple[float, Any]], starts: list[float] | None = None) -> None:
        self.seen = seen
        self.starts = starts
        self.stops: list[float] = []

    async def on_start(self) -> None:
        if self.starts is not None:
            self.starts.append(now())

    @handles(Ping, Pong)
    def on_ping(self, msg: Ping | Pong) -> None:
        self.seen.append((now(), msg))

    @handles(Echo)
    def on_echo(self, msg: Echo) -> int:
        self.seen.append((now(), msg))
        return msg.n

    @handles(Linger)
    async def on_linger(self, msg: Linger) -> int:
        self.seen.append((now(), msg))
        await sleep(msg.seconds)
        return 0

    @handles(Tick)
    def on_tick(self, msg: Tick) -> None:
        self.seen.append((now(), msg))


class Sender(Actor[Any]):
    """Forwards every Ping it gets to ``target`` (so the sender of the copy is this actor)."""

    def __init__(self, target: Any) -> None:
        self.target = target

    @handles(Ping, Pong)
    def forward(self, msg: Ping | Pong) -> None:
        self.target.send_nowait(msg)


def run(
    main: Callable[[], Awaitable[Any]], plan: FaultPlan | None, seed: int = 1
) -> SimulationResult[Any]:
    return simulate(main, seed=seed, faults=plan, keep_trace=True)


def events(result: SimulationResult[Any], kind: str) -> list[TraceEvent]:
    return [e for e in result.trace if e.kind == kind]


def fault_events(result: SimulationResult[Any]) -> list[TraceEvent]:
    return [e for e in result.trace if e.kind.startswith("fault-")]


def numbers(seen: list[tuple[float, Any]]) -> list[int]:
    return [msg.n for _, msg in seen]


# --- drop -----------------------------------------------------------------------------------


def test_drop_message_is_never_handled_and_is_traced() -> None:
    seen: list[tuple[float, Any]] = []
    other: list[tuple[float, Any]] = []

    async def main() -> None:
        sink = spawn_actor(Recorder(seen), "sink")
        keep = spawn_actor(Recorder(other), "keep")
        for n in range(5):
            sink.send_nowait(Ping(n))
            keep.send_nowait(Ping(n))
        await sleep(10)

    plan = FaultPlan(messages=(MessageFault(receiver="sink", drop=1.0),))
    result = run(main, plan)

    assert seen == []
    assert numbers(other) == [0, 1, 2, 3, 4]
    drops = events(result, "fault-drop")
    assert [(e.time, e.actor, e.detail) for e in drops] == [(0.0, "sink", "-->Ping")] * 5
    assert fault_events(result) == drops
    # Dropped is not dead-lettered: the actor was alive.
    assert result.dead_letters == 0
    assert not [e for e in result.trace if e.kind == "deliver" and e.actor == "sink"]


def test_dropped_ask_raises_ask_timeout_exactly_at_its_timeout() -> None:
    seen: list[tuple[float, Any]] = []

    async def main() -> tuple[float, float, str]:
        sink = spawn_actor(Recorder(seen), "sink")
        await sleep(1.25)
        started = now()
        with pytest.raises(AskTimeout) as info:
            await sink.ask(Echo(7), timeout=2.5)
        return started, now(), str(info.value)

    plan = FaultPlan(messages=(MessageFault(message="Echo", drop=1.0),))
    result = run(main, plan)

    started, ended, text = result.value
    assert started == 1.25
    assert ended == 1.25 + 2.5
    assert result.elapsed == 3.75
    assert "Echo" in text
    assert "'sink'" in text
    assert seen == []
    assert [(e.time, e.actor) for e in events(result, "fault-drop")] == [(1.25, "sink")]


def test_ask_without_faults_is_answered_at_once() -> None:
    """The control for the test above: the same ask is answered with no time passing."""

    async def main() -> tuple[int, float]:
        sink = spawn_actor(Recorder([]), "sink")
        await sleep(1.25)
        return await sink.ask(Echo(7), timeout=2.5), now()

    result = run(main, FaultPlan(messages=(MessageFault(message="Ping", drop=1.0),)))
    assert result.value == (7, 1.25)
    assert fault_events(result) == []


def test_partial_drop_is_decided_by_the_plan_rng() -> None:
    """With ``FaultPlan(rng=Random(x))`` the decisions are exactly that generator's draws."""
    count, probability, x = 40, 0.5, 1234
    seen: list[tuple[float, Any]] = []

    async def main() -> None:
        sink = spawn_actor(Recorder(seen), "sink")
        for n in range(count):
            sink.send_nowait(Ping(n))
        await sleep(1)

    plan = FaultPlan(messages=(MessageFault(drop=probability),), rng=random.Random(x))
    result = run(main, plan)

    replay = random.Random(x)
    expected = [n for n in range(count) if not replay.random() < probability]
    assert numbers(seen) == expected
    assert 0 < len(expected) < count
    assert len(events(result, "fault-drop")) == count - len(expected)


def test_plan_rng_decides_whatever_the_run_seed() -> None:
    def handled(seed: int, plan_rng: random.Random | None) -> list[int]:
        seen: list[tuple[float, Any]] = []

        async def main() -> None:
            sink = spawn_actor(Recorder(seen), "sink")
            for n in range(30):
                sink.send_nowait(Ping(n))
            await sleep(1)

        run(main, FaultPlan(messages=(MessageFault(drop=0.5),), rng=plan_rng), seed=seed)
        return numbers(seen)

    # The same controllable rng: the same decisions under different run seeds.
    assert handled(1, random.Random(99)) == handled(2, random.Random(99))
    assert handled(1, random.Random(99)) != handled(1, random.Random(100))
    # By default the fault rng is seeded from the run seed.
    assert handled(5, None) == handled(5, None)
    assert handled(5, None) != handled(6, None)


def test_faults_do_not_consume_the_runtime_rng() -> None:
    """Fault decisions come from their own source: ``rng()`` gives the same numbers."""

    def draws(plan: FaultPlan | None) -> list[float]:
        async def main() -> list[float]:
            sink = spawn_actor(Recorder([]), "sink")
            values = []
            for n in range(10):
                sink.send_nowait(Ping(n))
                values.append(rng().random())
                await sleep(0.1)
            return values

        return run(main, plan, seed=3).value

    noisy = FaultPlan(messages=(MessageFault(drop=0.3, duplicate=0.3, delay=0.3, reorder=0.3),))
    assert draws(None) == draws(noisy)


# --- duplicate ------------------------------------------------------------------------------


def test_duplicate_is_handled_twice_after_the_original() -> None:
    seen: list[tuple[float, Any]] = []

    async def main() -> None:
        sink = spawn_actor(Recorder(seen), "sink")
        await sleep(2)
        for n in range(3):
            sink.send_nowait(Ping(n))
        await sleep(1)

    result = run(main, FaultPlan(messages=(MessageFault(duplicate=1.0),)))

    assert numbers(seen) == [0, 1, 2, 0, 1, 2]
    assert {t for t, _ in seen} == {2.0}  # a duplicate costs no time
    assert [(e.time, e.actor) for e in events(result, "fault-duplicate")] == [(2.0, "sink")] * 3


def test_duplicated_ask_runs_the_handler_twice_and_answers_once() -> None:
    seen: list[tuple[float, Any]] = []

    async def main() -> int:
        sink = spawn_actor(Recorder(seen), "sink")
        answer = await sink.ask(Echo(5), timeout=1)
        await sleep(1)
        return answer

    result = run(main, FaultPlan(messages=(MessageFault(duplicate=1.0),)))
    assert result.value == 5
    assert numbers(seen) == [5, 5]
    assert len(events(result, "deliver-ask")) == 2


def test_send_nowait_rejected_as_mailbox_full_delivers_nothing_even_when_duplicated() -> None:
    seen: list[tuple[float, Any]] = []

    async def main() -> bool:
        sink = spawn_actor(Recorder(seen), "sink", mailbox_size=1)
        sink.send_nowait(Ping(1))  # fills the mailbox: the actor has not run yet
        try:
            sink.send_nowait(Ping(2))
        except MailboxFull:
            rejected = True
        else:
            rejected = False
        await sleep(1)
        return rejected

    result = run(main, FaultPlan(messages=(MessageFault(message="Ping", duplicate=1.0),)))
    assert result.value is True  # the sender was told Ping(2) was not sent...
    # ...so Ping(2) must not be handled (it is, once: the copy scheduled by the fault).
    assert 2 not in numbers(seen)


# --- delay ----------------------------------------------------------------------------------


def test_delay_hands_the_message_over_later_by_at_most_max_delay() -> None:
    max_delay, x = 2.0, 42
    seen: list[tuple[float, Any]] = []
    sent: dict[int, float] = {}

    async def main() -> None:
        sink = spawn_actor(Recorder(seen), "sink")
        for n in range(8):
            await sleep_until(n * 0.5)
            sent[n] = now()
            sink.send_nowait(Ping(n))
        await sleep(max_delay + 1)

    plan = FaultPlan(messages=(MessageFault(delay=1.0, max_delay=max_delay),), rng=random.Random(x))
    result = run(main, plan)

    handled_at = {msg.n: t for t, msg in seen}
    assert sorted(handled_at) == list(range(8))  # nothing lost
    lateness = {n: handled_at[n] - sent[n] for n in sent}
    assert all(0.0 <= late <= max_delay for late in lateness.values())
    assert any(late > 0.1 for late in lateness.values())
    # The delays are the plan rng's draws (chance, then uniform), and traced.
    replay = random.Random(x)
    expected = []
    for _ in range(8):
        assert replay.random() < 1.0
        expected.append(replay.uniform(0.0, max_delay))
    assert [lateness[n] for n in range(8)] == pytest.approx(expected, abs=1e-9)
    delays = events(result, "fault-delay")
    assert [float(e.detail.split()[-1]) for e in delays] == pytest.approx(expected, abs=1e-6)
    assert [e.time for e in delays] == [sent[n] for n in range(8)]


def test_delayed_message_to_an_actor_stopped_meanwhile_is_a_dead_letter() -> None:
    seen: list[tuple[float, Any]] = []

    async def main() -> None:
        sink = spawn_actor(Recorder(seen), "sink")
        sink.send_nowait(Ping(1))
        await sink.stop()
        await sleep(5)

    result = run(main, FaultPlan(messages=(MessageFault(delay=1.0, max_delay=1.0),)))
    assert seen == []
    assert result.dead_letters == 1
    [dead] = events(result, "dead-letter")
    assert (dead.actor, dead.detail) == ("sink", "Ping")
    [stopped] = events(result, "stopped")
    assert stopped.time < dead.time <= 1.0


# --- reorder --------------------------------------------------------------------------------


def test_reorder_changes_the_order_but_loses_nothing() -> None:
    seen: list[tuple[float, Any]] = []

    async def main() -> None:
        sink = spawn_actor(Recorder(seen), "sink")
        # The actor has not run yet: the messages pile up in its mailbox.
        for n in range(20):
            sink.send_nowait(Ping(n))
        await sleep(1)

    result = run(main, FaultPlan(messages=(MessageFault(reorder=1.0),), rng=random.Random(5)))

    got = numbers(seen)
    assert sorted(got) == list(range(20))
    assert got != list(range(20))
    reorders = events(result, "fault-reorder")
    assert len(reorders) == 20
    assert all(e.detail.startswith("-->Ping @") for e in reorders)


def test_reorder_positions_follow_the_plan_rng() -> None:
    seen: list[tuple[float, Any]] = []

    async def main() -> None:
        sink = spawn_actor(Recorder(seen), "sink")
        for n in range(10):
            sink.send_nowait(Ping(n))
        await sleep(1)

    run(main, FaultPlan(messages=(MessageFault(reorder=1.0),), rng=random.Random(8)))

    replay = random.Random(8)
    queue: list[int] = []
    for n in range(10):
        assert replay.random() < 1.0
        queue.insert(replay.randrange(len(queue) + 1), n)
    assert numbers(seen) == queue


# --- rule matching --------------------------------------------------------------------------


def test_rule_restricted_by_sender() -> None:
    seen: list[tuple[float, Any]] = []

    async def main() -> None:
        sink = spawn_actor(Recorder(seen), "sink")
        alice = spawn_actor(Sender(sink), "alice")
        bob = spawn_actor(Sender(sink), "bob")
        for n in range(3):
            alice.send_nowait(Ping(n))
            bob.send_nowait(Ping(10 + n))
        sink.send_nowait(Ping(100))  # from main: sender ""
        await sleep(1)

    result = run(main, FaultPlan(messages=(MessageFault(sender="alice", drop=1.0),)))
    assert sorted(numbers(seen)) == [10, 11, 12, 100]
    assert {e.detail for e in events(result, "fault-drop")} == {"alice->Ping"}


def test_rule_for_the_main_task_matches_the_empty_sender() -> None:
    seen: list[tuple[float, Any]] = []

    async def main() -> None:
        sink = spawn_actor(Recorder(seen), "sink")
        relay = spawn_actor(Sender(sink), "relay")
        sink.send_nowait(Ping(1))
        relay.send_nowait(Ping(2))
        await sleep(1)

    result = run(main, FaultPlan(messages=(MessageFault(sender="", receiver="sink", drop=1.0),)))
    assert numbers(seen) == [2]
    assert [e.detail for e in events(result, "fault-drop")] == ["-->Ping"]


def test_rule_restricted_by_receiver_pattern() -> None:
    seen = {name: [] for name in ("sink-a", "sink-b", "other")}

    async def main() -> None:
        refs = [spawn_actor(Recorder(log), name) for name, log in seen.items()]
        for ref in refs:
            ref.send_nowait(Ping(1))
        await sleep(1)

    result = run(main, FaultPlan(messages=(MessageFault(receiver="sink-*", drop=1.0),)))
    assert seen["sink-a"] == seen["sink-b"] == []
    assert numbers(seen["other"]) == [1]
    assert sorted(e.actor for e in events(result, "fault-drop")) == ["sink-a", "sink-b"]


def test_rule_restricted_by_message_type_pattern() -> None:
    seen: list[tuple[float, Any]] = []

    async def main() -> int:
        sink = spawn_actor(Recorder(seen), "sink")
        sink.send_nowait(Ping(1))
        sink.send_nowait(Pong(2))
        answer = await sink.ask(Echo(3), timeout=1)
        await sleep(1)
        return answer

    result = run(main, FaultPlan(messages=(MessageFault(message="P?ng", duplicate=1.0),)))
    assert result.value == 3
    assert [type(m).__name__ for _, m in seen] == ["Ping", "Pong", "Echo", "Ping", "Pong"]
    assert sorted(e.detail for e in events(result, "fault-duplicate")) == [
        "-->Ping",
        "-->Pong",
    ]


def test_rule_applies_only_inside_its_time_window() -> None:
    seen: list[tuple[float, Any]] = []

    async def main() -> None:
        sink = spawn_actor(Recorder(seen), "sink")
        for n in range(15):
            await sleep_until(float(n))
            sink.send_nowait(Ping(n))
        await sleep(1)

    result = run(main, FaultPlan(messages=(MessageFault(drop=1.0, start=5.0, end=10.0),)))
    assert numbers(seen) == [0, 1, 2, 3, 4, 10, 11, 12, 13, 14]
    assert [e.time for e in events(result, "fault-drop")] == [5.0, 6.0, 7.0, 8.0, 9.0]


def test_first_matching_rule_decides() -> None:
    seen: list[tuple[float, Any]] = []

    async def main() -> None:
        sink = spawn_actor(Recorder(seen), "sink")
        sink.send_nowait(Ping(1))
        sink.send_nowait(Pong(2))
        await sleep(1)

    rules = (MessageFault(message="Ping"), MessageFault(drop=1.0))
    result = run(main, FaultPlan(messages=rules))
    # Ping matches the first rule (no fault) and is not dropped by the catch-all second.
    assert numbers(seen) == [1]
    assert [e.detail for e in events(result, "fault-drop")] == ["-->Pong"]


def test_rule_outside_its_window_lets_a_later_rule_decide() -> None:
    seen: list[tuple[float, Any]] = []

    async def main() -> None:
        sink = spawn_actor(Recorder(seen), "sink")
        sink.send_nowait(Ping(1))
        await sleep(3)
        sink.send_nowait(Ping(2))
        await sleep(1)

    rules = (MessageFault(start=2.0), MessageFault(duplicate=1.0))
    run(main, FaultPlan(messages=rules))
    # At t=0 the first rule is not active yet: the second duplicates; at t=3 the first decides.
    assert numbers(seen) == [1, 1, 2]


def test_invalid_probability_is_rejected() -> None:
    with pytest.raises(ValueError, match="probability"):
        MessageFault(drop=1.5)


# --- crash ----------------------------------------------------------------------------------


def test_crash_actor_crashes_a_top_level_actor_at_its_time_and_stops_it() -> None:
    seen: list[tuple[float, Any]] = []
    starts: list[float] = []

    async def main() -> tuple[bool, str]:
        sink = spawn_actor(Recorder(seen, starts), "sink")
        sink.send_nowait(Ping(1))
        await sleep(5)
        sink.send_nowait(Ping(2))  # a dead letter
        with pytest.raises(ActorStopped):
            await sink.ask(Echo(3), timeout=1)
        return sink.alive, sink.name

    result = run(main, FaultPlan(events=(CrashActor(3.0, "sink", reason="boom"),)))

    assert result.value == (False, "sink")
    assert numbers(seen) == [1]
    assert starts == [0.0]  # no supervisor: no restart
    by_kind = {e.kind: e for e in result.trace if e.actor == "sink"}
    assert by_kind["fault-crash"] == TraceEvent(3.0, "fault-crash", "sink", "boom")
    assert by_kind["crash"] == TraceEvent(3.0, "crash", "sink", "InjectedCrash")
    assert by_kind["stopped"].time == 3.0
    assert result.dead_letters == 1


def test_crash_actor_under_a_supervisor_restarts_it_and_keeps_its_mailbox() -> None:
    seen: list[tuple[float, Any]] = []
    starts: list[float] = []

    async def main() -> tuple[int, int]:
        sup = spawn_actor(Supervisor([ChildSpec("w", lambda: Recorder(seen, starts))]), "sup")
        await sleep(1)
        [info] = await sup.ask(WhichChildren(), timeout=1)
        worker = info.ref
        await sleep_until(3.05)  # crashed at 3.0, restart due at 3.1 (backoff 0.1 s)
        worker.send_nowait(Ping(1))
        answer = await worker.ask(Echo(2), timeout=1)
        [info] = await sup.ask(WhichChildren(), timeout=1)
        return answer, info.restarts

    result = run(main, FaultPlan(events=(CrashActor(3.0, "sup/w"),)))

    assert result.value == (2, 1)
    assert starts == [0.0, 3.1]
    # Queued while the child was down, handled by the new incarnation when it starts.
    assert seen == [(3.1, Ping(1)), (3.1, Echo(2))]
    kinds = [(e.time, e.kind) for e in result.trace if e.actor == "sup/w"]
    assert kinds[:5] == [
        (0.0, "start"),
        (3.0, "fault-crash"),
        (3.0, "crash"),
        (3.1, "restart"),
        (3.1, "start"),
    ]


def test_crash_actor_for_an_absent_actor_is_traced_as_missed() -> None:
    async def main() -> None:
        spawn_actor(Recorder([]), "sink")
        await sleep(2)

    result = run(main, FaultPlan(events=(CrashActor(1.0, "ghost"), PauseActor(1.5, "ghost", 1))))
    assert [(e.time, e.kind, e.actor, e.detail) for e in fault_events(result)] == [
        (1.0, "fault-missed", "ghost", "CrashActor"),
        (1.5, "fault-missed", "ghost", "PauseActor"),
    ]


def test_crash_actor_runs_on_stop_and_periodic_timers_end() -> None:
    ticks: list[tuple[float, Any]] = []
    stopped_at: list[float] = []

    class Ticker(Recorder):
        async def on_start(self) -> None:
            self.every(1.0, Tick())

        async def on_stop(self) -> None:
            stopped_at.append(now())

    async def main() -> None:
        spawn_actor(Ticker(ticks), "ticker")
        await sleep(10)

    result = run(main, FaultPlan(events=(CrashActor(3.5, "ticker"),)))
    assert [t for t, _ in ticks] == [1.0, 2.0, 3.0]
    assert stopped_at == [3.5]
    assert [e.time for e in events(result, "timer")] == [1.0, 2.0, 3.0]


def test_ask_being_handled_when_the_actor_is_crashed_fails_at_the_crash() -> None:
    async def main() -> tuple[str, float]:
        sink = spawn_actor(Recorder([]), "sink")
        try:
            await sink.ask(Linger(5.0), timeout=10.0)
        except Exception as error:
            return type(error).__name__, now()
        return "answered", now()

    result = run(main, FaultPlan(events=(CrashActor(1.0, "sink"),)))
    # The handler "raised" InjectedCrash at 1.0 (crash(): "as if a handler had raised").
    assert result.value == (ActorCrashed.__name__, 1.0)


# --- pause ----------------------------------------------------------------------------------


def test_pause_queues_messages_and_hands_them_over_at_the_resume_time() -> None:
    seen: list[tuple[float, Any]] = []

    async def main() -> tuple[int, float]:
        sink = spawn_actor(Recorder(seen), "sink")
        for at, n in ((1.0, 1), (2.5, 2), (3.0, 3), (4.5, 4)):
            await sleep_until(at)
            sink.send_nowait(Ping(n))
        answer = await sink.ask(Echo(5), timeout=10)
        answered_at = now()
        await sleep_until(6.0)
        sink.send_nowait(Ping(6))
        await sleep(1)
        return answer, answered_at

    result = run(main, FaultPlan(events=(PauseActor(2.0, "sink", 3.0),)))

    assert result.value == (5, 5.0)
    assert [(t, type(m).__name__, m.n) for t, m in seen] == [
        (1.0, "Ping", 1),
        (5.0, "Ping", 2),
        (5.0, "Ping", 3),
        (5.0, "Ping", 4),
        (5.0, "Echo", 5),
        (6.0, "Ping", 6),
    ]
    assert [(e.time, e.kind) for e in result.trace if e.kind in ("pause", "resume")] == [
        (2.0, "pause"),
        (5.0, "resume"),
    ]
    assert [(e.time, e.detail) for e in events(result, "fault-pause")] == [(2.0, "3.000000")]


def test_ask_to_a_paused_actor_times_out_at_its_deadline() -> None:
    seen: list[tuple[float, Any]] = []

    async def main() -> float:
        sink = spawn_actor(Recorder(seen), "sink")
        await sleep(3)
        with pytest.raises(AskTimeout):
            await sink.ask(Echo(1), timeout=1.0)
        timed_out_at = now()
        await sleep(3)
        return timed_out_at

    result = run(main, FaultPlan(events=(PauseActor(2.0, "sink", 3.0),)))
    assert result.value == 4.0
    # The request stays queued and is handled at the resume (the answer goes nowhere).
    assert seen == [(5.0, Echo(1))]


def test_pause_queues_timer_ticks() -> None:
    ticks: list[tuple[float, Any]] = []

    class Ticker(Recorder):
        async def on_start(self) -> None:
            self.every(1.0, Tick())

    async def main() -> None:
        spawn_actor(Ticker(ticks), "ticker")
        await sleep(7.5)

    run(main, FaultPlan(events=(PauseActor(1.5, "ticker", 3.0),)))
    handled = Counter(t for t, _ in ticks)
    assert handled == {1.0: 1, 4.5: 3, 5.0: 1, 6.0: 1, 7.0: 1}


def test_pause_under_a_supervisor_ends_with_a_restart() -> None:
    seen: list[tuple[float, Any]] = []

    async def main() -> None:
        sup = spawn_actor(Supervisor([ChildSpec("w", lambda: Recorder(seen))]), "sup")
        await sleep(1)
        [info] = await sup.ask(WhichChildren(), timeout=1)
        await sleep_until(2.5)
        info.ref.send_nowait(Ping(1))
        await sleep(10)

    plan = FaultPlan(events=(PauseActor(2.0, "sup/w", 5.0), CrashActor(3.0, "sup/w")))
    result = run(main, plan)
    # The new incarnation is not paused: it handles the queued message at its start.
    assert seen == [(3.1, Ping(1))]
    assert [(e.time, e.kind) for e in result.trace if e.kind in ("pause", "resume")] == [
        (2.0, "pause")
    ]


def test_overlapping_pauses_last_until_the_latest_end() -> None:
    seen: list[tuple[float, Any]] = []

    async def main() -> None:
        sink = spawn_actor(Recorder(seen), "sink")
        for at in (1.5, 4.0, 6.5, 8.0):
            await sleep_until(at)
            sink.send_nowait(Ping(int(at * 10)))
        await sleep(1)

    # Paused over [1, 3.5) and over [2, 7): so over [1, 7).
    plan = FaultPlan(events=(PauseActor(1.0, "sink", 2.5), PauseActor(2.0, "sink", 5.0)))
    run(main, plan)
    assert seen == [(7.0, Ping(15)), (7.0, Ping(40)), (7.0, Ping(65)), (8.0, Ping(80))]
