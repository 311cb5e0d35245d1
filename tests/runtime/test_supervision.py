"""Supervision: restart strategies, intensity limits and escalation, backoff, restart types,
shutdown order and grace periods, crash isolation, mailboxes across restarts, dynamic children
and crash logging. Everything runs in virtual time under :func:`simulate`."""

from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

import attrs
import pytest
import structlog

from kube_actors.runtime import (
    Actor,
    ActorCrashed,
    ActorRef,
    ActorStopped,
    Backoff,
    ChildInfo,
    ChildSpec,
    Intensity,
    Request,
    Restart,
    SimulationResult,
    StartChild,
    StopChild,
    Strategy,
    Supervisor,
    WhichChildren,
    current_runtime,
    handles,
    now,
    simulate,
    sleep,
    spawn_actor,
)

Events = list[tuple[Any, ...]]
T = TypeVar("T")


class Boom(Exception):
    """What the test actors crash with."""


@attrs.frozen
class Crash:
    """Makes the receiving actor raise :class:`Boom`."""


@attrs.frozen
class CrashAsk(Request[None]):
    """An ``ask`` whose handler raises :class:`Boom`."""


@attrs.frozen
class Quit:
    """Makes the receiving actor stop itself normally."""


@attrs.frozen
class Block:
    """Makes the receiving actor's handler sleep for 100 virtual seconds."""


@attrs.frozen
class Note:
    """Recorded with the incarnation that handles it."""

    n: int


@attrs.frozen
class Ping(Request[tuple[str, int]]):
    """Answered with the actor's label and its incarnation (generation)."""


def simulate_quietly(
    main: Callable[[], Awaitable[T]], *, seed: int, keep_trace: bool = False
) -> SimulationResult[T]:
    """:func:`simulate` with the logs captured rather than rendered: rendering every crash's
    traceback to the console would make up most of this file's run time."""
    with structlog.testing.capture_logs():
        return simulate(main, seed=seed, keep_trace=keep_trace)


def generation_of(name: str) -> int:
    cell = current_runtime().actor(name)
    assert cell is not None, f"no live actor {name!r}"
    return cell.generation


class Recorder(Actor[Any]):
    """Records its lifecycle and the messages it handles into a shared list."""

    def __init__(self, label: str, events: Events) -> None:
        self.label = label
        self.events = events

    async def on_start(self) -> None:
        self.events.append(("start", self.label))

    async def on_stop(self) -> None:
        self.events.append(("stop", self.label))

    @handles(Ping)
    def _ping(self, _message: Ping) -> tuple[str, int]:
        return self.label, generation_of(self.name)

    @handles(Note)
    def _note(self, message: Note) -> None:
        self.events.append(("note", self.label, message.n, generation_of(self.name)))

    @handles(Crash, CrashAsk)
    def _crash(self, message: object) -> None:
        self.events.append(("crash", self.label, generation_of(self.name)))
        raise Boom(f"{self.label} told to crash")

    @handles(Quit)
    def _quit(self, _message: Quit) -> None:
        self.stop()

    @handles(Block)
    async def _block(self, _message: Block) -> None:
        self.events.append(("blocking", self.label))
        await sleep(100)
        self.events.append(("unblocked", self.label))


class SlowStopper(Recorder):
    """An actor whose ``on_stop`` takes 100 virtual seconds."""

    async def on_stop(self) -> None:
        self.events.append(("stopping", self.label))
        await sleep(100)
        self.events.append(("stop", self.label))


class RecordingSupervisor(Supervisor):
    """A supervisor that also records its own ``on_stop``."""

    def __init__(self, events: Events, children: Sequence[ChildSpec], **kwargs: Any) -> None:
        super().__init__(children, **kwargs)
        self.events = events

    async def on_stop(self) -> None:
        self.events.append(("stop", "supervisor"))


class Scripted(Actor[Any]):
    """Records the virtual time of each start; incarnation ``n`` follows ``script[n]``:
    ``0`` crash in ``on_start``, ``t > 0`` crash ``t`` seconds after starting; past the end
    of the script (or ``None``) it stays up."""

    def __init__(self, script: Sequence[float | None], starts: list[float]) -> None:
        self.script = script
        self.starts = starts

    async def on_start(self) -> None:
        incarnation = len(self.starts)
        self.starts.append(now())
        after = self.script[incarnation] if incarnation < len(self.script) else None
        if after == 0:
            raise Boom(f"incarnation {incarnation + 1} fails to start")
        if after is not None:
            self.send_after(after, Crash())

    @handles(Crash)
    def _crash(self, _message: Crash) -> None:
        raise Boom("scheduled crash")

    @handles(Ping)
    def _ping(self, _message: Ping) -> tuple[str, int]:
        return "scripted", generation_of(self.name)


def recorder(label: str, events: Events, **options: Any) -> ChildSpec:
    return ChildSpec(label, lambda: Recorder(label, events), **options)


def scripted(
    label: str, script: Sequence[float | None], starts: list[float], **options: Any
) -> ChildSpec:
    return ChildSpec(label, lambda: Scripted(script, starts), **options)


async def children(supervisor: ActorRef[Any]) -> dict[str, ChildInfo]:
    return {info.name: info for info in await supervisor.ask(WhichChildren())}


def intervals(times: Sequence[float]) -> list[float]:
    return [later - earlier for earlier, later in itertools.pairwise(times)]


# --- strategies -------------------------------------------------------------------------------


@attrs.frozen
class StrategyRun:
    """What :func:`crash_middle_child` saw."""

    #: Lifecycle events after the crash, up to the moment ``main`` returned.
    events: Events
    #: ``(kind, actor)`` of the trace's crash and exit events, in order (not the wind-down).
    exits: list[tuple[str, str]]
    generations: dict[str, int]
    restarts: dict[str, int]
    states: dict[str, str]
    same_refs: bool


def crash_middle_child(strategy: Strategy, *, wait: float) -> StrategyRun:
    """Start children a, b, c under ``strategy``, crash b at t=1, look again ``wait`` s later."""
    events: Events = []

    async def main() -> StrategyRun:
        specs = [recorder(label, events) for label in "abc"]
        sup = spawn_actor(Supervisor(specs, strategy=strategy), "sup")
        await sleep(1)
        assert events == [("start", "a"), ("start", "b"), ("start", "c")]
        events.clear()
        before = await children(sup)
        before["b"].ref.send_nowait(Crash())
        await sleep(wait)
        after = await children(sup)
        return StrategyRun(
            events=list(events),
            exits=[],
            generations={name: generation_of(info.ref.name) for name, info in after.items()},
            restarts={name: info.restarts for name, info in after.items()},
            states={name: info.state for name, info in after.items()},
            same_refs=all(after[name].ref is before[name].ref for name in "abc"),
        )

    result = simulate_quietly(main, seed=1, keep_trace=True)
    exits = [
        (event.kind, event.actor)
        for event in result.trace
        if event.kind in ("crash", "exit") and event.time < result.elapsed
    ]
    return attrs.evolve(result.value, exits=exits)


def starts_in(events: Events) -> list[str]:
    return [event[1] for event in events if event[0] == "start"]


def test_one_for_one_restarts_only_the_crashed_child() -> None:
    run = crash_middle_child(Strategy.ONE_FOR_ONE, wait=1)

    assert run.events == [("crash", "b", 1), ("stop", "b"), ("start", "b")]
    assert run.exits == [("crash", "sup/b")]
    assert run.generations == {"a": 1, "b": 2, "c": 1}
    assert run.restarts == {"a": 0, "b": 1, "c": 0}
    assert run.states == {"a": "running", "b": "running", "c": "running"}
    assert run.same_refs


def test_one_for_all_stops_the_others_newest_first_and_restarts_all_in_start_order() -> None:
    run = crash_middle_child(Strategy.ONE_FOR_ALL, wait=30)

    assert run.exits == [("crash", "sup/b"), ("exit", "sup/c"), ("exit", "sup/a")]
    assert starts_in(run.events) == ["a", "b", "c"]
    assert run.generations == {"a": 2, "b": 2, "c": 2}
    assert run.restarts == {"a": 1, "b": 1, "c": 1}
    assert run.states == {"a": "running", "b": "running", "c": "running"}
    assert run.same_refs


def test_rest_for_one_restarts_the_crashed_child_and_later_ones_but_not_earlier_ones() -> None:
    run = crash_middle_child(Strategy.REST_FOR_ONE, wait=30)

    assert run.exits == [("crash", "sup/b"), ("exit", "sup/c")]
    assert starts_in(run.events) == ["b", "c"]
    assert run.generations == {"a": 1, "b": 2, "c": 2}
    assert run.restarts == {"a": 0, "b": 1, "c": 1}
    assert run.states == {"a": "running", "b": "running", "c": "running"}
    assert run.same_refs


def test_one_for_all_stops_idle_siblings_at_once_with_on_stop_newest_first() -> None:
    run = crash_middle_child(Strategy.ONE_FOR_ALL, wait=1)

    assert run.events == [
        ("crash", "b", 1),
        ("stop", "b"),
        ("stop", "c"),
        ("stop", "a"),
        ("start", "a"),
        ("start", "b"),
        ("start", "c"),
    ]


def test_rest_for_one_stops_idle_later_siblings_at_once_with_on_stop() -> None:
    run = crash_middle_child(Strategy.REST_FOR_ONE, wait=1)

    assert run.events == [
        ("crash", "b", 1),
        ("stop", "b"),
        ("stop", "c"),
        ("start", "b"),
        ("start", "c"),
    ]


def test_a_supervised_crash_replays_identically_with_the_same_seed() -> None:
    def run() -> str:
        events: Events = []

        async def main() -> None:
            specs = [recorder(label, events) for label in "abc"]
            sup = spawn_actor(Supervisor(specs, strategy=Strategy.ONE_FOR_ALL), "sup")
            await sleep(1)
            (await children(sup))["b"].ref.send_nowait(Crash())
            await sleep(1)

        return simulate_quietly(main, seed=7).trace_hash

    assert run() == run()


# --- restart intensity and escalation ---------------------------------------------------------


def test_a_top_level_supervisor_that_gives_up_stops_with_all_its_children() -> None:
    events: Events = []
    starts: list[float] = []

    async def main() -> dict[str, Any]:
        bystander = spawn_actor(Recorder("bystander", events), "bystander")
        sup = spawn_actor(
            Supervisor(
                [recorder("a", events), scripted("w", [0] * 10, starts)],
                intensity=Intensity(max_restarts=2, period=10),
                backoff=Backoff(initial=0),
            ),
            "sup",
        )
        await sleep(1)
        with pytest.raises(ActorStopped):
            await sup.ask(WhichChildren())
        runtime = current_runtime()
        return {
            "sup_alive": sup.alive,
            "children_left": [
                cell.name for cell in runtime.actors() if cell.name.startswith("sup")
            ],
            "bystander": await bystander.ask(Ping()),
            "events": list(events),
        }

    with structlog.testing.capture_logs() as logs:
        outcome = simulate(main, seed=1).value

    assert len(starts) == 3  # the first start and two restarts; the third crash is one too many
    assert outcome == {
        "sup_alive": False,
        "children_left": [],
        "bystander": ("bystander", 1),
        "events": [("start", "bystander"), ("start", "a"), ("stop", "a")],
    }
    (gave_up,) = [
        entry for entry in logs if entry["event"] == "actor crashed" and entry["actor"] == "sup"
    ]
    assert gave_up["error"].startswith("RestartIntensityExceeded: supervisor 'sup' gave up")


def test_restarts_spread_wider_than_the_intensity_period_do_not_escalate() -> None:
    starts: list[float] = []

    async def main() -> dict[str, ChildInfo]:
        sup = spawn_actor(
            Supervisor(
                [scripted("w", [6.0] * 100, starts)],
                intensity=Intensity(max_restarts=2, period=10),
                backoff=Backoff(initial=0),
            ),
            "sup",
        )
        await sleep(61)
        assert sup.alive
        return await children(sup)

    infos = simulate_quietly(main, seed=1).value

    assert infos["w"].restarts == 10
    assert infos["w"].state == "running"
    assert starts == pytest.approx([6.0 * n for n in range(11)])


def test_a_nested_supervisor_that_gives_up_is_restarted_by_its_parent() -> None:
    starts: list[float] = []

    def inner() -> Supervisor:
        return Supervisor(
            [scripted("w", [0, 0, 0], starts)],  # crashes three times, then stays up
            intensity=Intensity(max_restarts=2, period=10),
            backoff=Backoff(initial=0),
        )

    async def main() -> dict[str, Any]:
        outer = spawn_actor(Supervisor([ChildSpec("inner", inner)]), "outer")
        inner_ref = (await children(outer))["inner"].ref
        await sleep(1)
        worker = current_runtime().actor("outer/inner/w")
        assert worker is not None
        return {
            "outer_alive": outer.alive,
            "inner": (await children(outer))["inner"],
            "inner_ref_kept": (await children(outer))["inner"].ref is inner_ref,
            "inner_generation": generation_of("outer/inner"),
            "worker_restarts": (await children(inner_ref))["w"].restarts,
            "worker": await worker.ref.ask(Ping()),
        }

    with structlog.testing.capture_logs() as logs:
        outcome = simulate(main, seed=1).value

    assert outcome["outer_alive"]
    assert outcome["inner"].restarts == 1
    assert outcome["inner"].state == "running"
    assert outcome["inner_ref_kept"]
    assert outcome["inner_generation"] == 2
    assert outcome["worker_restarts"] == 0  # a fresh child of the fresh inner supervisor
    assert outcome["worker"] == ("scripted", 1)
    # Three crashes under the first inner supervisor, then one start under the second, after
    # the outer supervisor's default backoff of 0.1 s.
    assert starts == pytest.approx([0.0, 0.0, 0.0, 0.1])
    (gave_up,) = [
        entry
        for entry in logs
        if entry["event"] == "actor crashed" and entry["actor"] == "outer/inner"
    ]
    assert gave_up["error"].startswith("RestartIntensityExceeded")


# --- backoff ----------------------------------------------------------------------------------


def test_restart_backoff_doubles_from_initial_up_to_the_cap() -> None:
    starts: list[float] = []

    async def main() -> None:
        spawn_actor(
            Supervisor(
                [scripted("w", [0] * 8, starts)],
                intensity=Intensity(max_restarts=100, period=60),
                backoff=Backoff(initial=0.1, factor=2.0, cap=0.5, reset_after=60),
            ),
            "sup",
        )
        await sleep(10)

    simulate_quietly(main, seed=1)

    assert len(starts) == 9
    assert intervals(starts) == pytest.approx([0.1, 0.2, 0.4, 0.5, 0.5, 0.5, 0.5, 0.5])


def test_a_child_waiting_out_its_backoff_is_listed_as_exited() -> None:
    starts: list[float] = []

    async def main() -> list[str]:
        sup = spawn_actor(
            Supervisor([scripted("w", [0], starts)], backoff=Backoff(initial=1.0)), "sup"
        )
        await sleep(0.5)
        during = (await children(sup))["w"].state
        await sleep(1)
        return [during, (await children(sup))["w"].state]

    assert simulate_quietly(main, seed=1).value == ["exited", "running"]
    assert starts == [0.0, 1.0]


def restart_delays_around_a_run(run_for: float) -> tuple[float, float]:
    """Three failed starts, one run of ``run_for`` seconds that ends in a crash, one more
    failed start (``reset_after`` is 5 s): the delays after the run's crash and after the
    failed start that follows it."""
    starts: list[float] = []

    async def main() -> None:
        spawn_actor(
            Supervisor(
                [scripted("w", [0, 0, 0, run_for, 0], starts)],
                intensity=Intensity(max_restarts=100, period=60),
                backoff=Backoff(initial=0.1, factor=2.0, cap=10.0, reset_after=5.0),
            ),
            "sup",
        )
        await sleep(20)

    simulate_quietly(main, seed=1)

    assert len(starts) == 6
    assert starts[:4] == pytest.approx([0.0, 0.1, 0.3, 0.7])
    return starts[4] - (starts[3] + run_for), starts[5] - starts[4]


def test_backoff_starts_again_from_initial_after_a_healthy_run_of_reset_after() -> None:
    assert restart_delays_around_a_run(6.0) == pytest.approx((0.1, 0.2))


def test_backoff_keeps_growing_after_a_run_shorter_than_reset_after() -> None:
    assert restart_delays_around_a_run(4.0) == pytest.approx((0.8, 1.6))


# --- restart types ----------------------------------------------------------------------------


@attrs.frozen
class Ending:
    """What :func:`end_child` saw one virtual second after the child's incarnation ended."""

    listed: bool
    alive: bool
    answer: object
    starts: int
    stopped: int


def end_child(restart: Restart, ending: object) -> Ending:
    """Start child x with ``restart`` under a supervisor, end it with ``ending``, look again."""
    events: Events = []

    async def main() -> Ending:
        sup = spawn_actor(Supervisor([recorder("x", events, restart=restart)]), "sup")
        await sleep(1)
        child = (await children(sup))["x"].ref
        child.send_nowait(ending)
        await sleep(1)
        try:
            answer: object = await child.ask(Ping())
        except ActorStopped:
            answer = "stopped"
        return Ending(
            listed="x" in await children(sup),
            alive=child.alive,
            answer=answer,
            starts=events.count(("start", "x")),
            stopped=events.count(("stop", "x")),
        )

    return simulate_quietly(main, seed=1).value


RESTARTED = Ending(listed=True, alive=True, answer=("x", 2), starts=2, stopped=1)
GONE = Ending(listed=False, alive=False, answer="stopped", starts=1, stopped=1)


def test_a_permanent_child_is_restarted_after_a_normal_exit() -> None:
    assert end_child(Restart.PERMANENT, Quit()) == RESTARTED


def test_a_transient_child_is_not_restarted_after_a_normal_exit() -> None:
    assert end_child(Restart.TRANSIENT, Quit()) == GONE


def test_a_temporary_child_is_not_restarted_after_a_normal_exit() -> None:
    assert end_child(Restart.TEMPORARY, Quit()) == GONE


def test_a_permanent_child_is_restarted_after_a_crash() -> None:
    assert end_child(Restart.PERMANENT, Crash()) == RESTARTED


def test_a_transient_child_is_restarted_after_a_crash() -> None:
    assert end_child(Restart.TRANSIENT, Crash()) == RESTARTED


def test_a_temporary_child_is_never_restarted_even_after_a_crash() -> None:
    assert end_child(Restart.TEMPORARY, Crash()) == GONE


def test_an_ask_queued_for_a_temporary_child_that_crashed_fails_with_actor_stopped() -> None:
    events: Events = []

    async def main() -> None:
        sup = spawn_actor(Supervisor([recorder("x", events, restart=Restart.TEMPORARY)]), "sup")
        child = (await children(sup))["x"].ref
        child.send_nowait(Crash())
        with pytest.raises(ActorStopped):
            await child.ask(Ping())

    simulate_quietly(main, seed=1)
    assert events.count(("start", "x")) == 1


# --- shutdown and grace periods ---------------------------------------------------------------


def test_stopping_a_supervisor_stops_its_children_in_reverse_start_order_first() -> None:
    events: Events = []

    async def main() -> dict[str, Any]:
        specs = [recorder(label, events) for label in "abc"]
        sup = spawn_actor(RecordingSupervisor(events, specs), "sup")
        await sleep(1)
        refs = [info.ref for info in (await children(sup)).values()]
        events.clear()
        await sup.stop()
        return {
            "stopped_at": now(),
            "alive": [sup.alive, *(ref.alive for ref in refs)],
            "registered": [cell.name for cell in current_runtime().actors()],
            "events": list(events),
        }

    assert simulate_quietly(main, seed=1).value == {
        "stopped_at": 1.0,
        "alive": [False] * 4,
        "registered": [],
        "events": [("stop", "c"), ("stop", "b"), ("stop", "a"), ("stop", "supervisor")],
    }


def test_a_child_blocked_in_a_handler_is_cancelled_at_its_shutdown_grace_deadline() -> None:
    events: Events = []

    async def main() -> tuple[float, Events]:
        sup = spawn_actor(
            Supervisor([recorder("a", events), recorder("b", events, shutdown=2.0)]), "sup"
        )
        await sleep(1)
        (await children(sup))["b"].ref.send_nowait(Block())
        await sleep(1)
        await sup.stop()
        return now(), list(events)

    with structlog.testing.capture_logs() as logs:
        stopped_at, seen = simulate(main, seed=1).value

    assert stopped_at == 4.0  # stop at t=2, b's grace of 2 s
    # b was cancelled mid-handler, so neither the handler nor on_stop finished; a then stopped.
    assert seen[2:] == [("blocking", "b"), ("stop", "a")]
    assert any(
        entry["event"] == "actor did not stop within its grace period; cancelling"
        and entry["actor"] == "sup/b"
        and entry["grace"] == 2.0
        for entry in logs
    )


def test_a_child_blocked_in_on_stop_is_cancelled_at_its_shutdown_grace_deadline() -> None:
    events: Events = []

    async def main() -> tuple[float, Events]:
        sup = spawn_actor(
            Supervisor(
                [
                    recorder("a", events),
                    ChildSpec("b", lambda: SlowStopper("b", events), shutdown=2.0),
                ]
            ),
            "sup",
        )
        await sleep(1)
        await sup.stop()
        return now(), list(events)

    stopped_at, seen = simulate_quietly(main, seed=1).value

    assert stopped_at == 3.0  # stop at t=1, b's grace of 2 s (today: 101.0, on_stop ran out)
    assert seen[2:] == [("stopping", "b"), ("stop", "a")]


# --- crash isolation --------------------------------------------------------------------------


def test_a_crashing_top_level_actor_stops_alone_and_logs_its_name() -> None:
    events: Events = []

    async def main() -> dict[str, Any]:
        fragile = spawn_actor(Recorder("fragile", events), "fragile")
        steady = spawn_actor(Recorder("steady", events), "steady")
        with pytest.raises(ActorCrashed) as crashed:
            await fragile.ask(CrashAsk())
        assert isinstance(crashed.value.__cause__, Boom)
        await sleep(1)
        with pytest.raises(ActorStopped):
            await fragile.ask(Ping())
        return {"fragile_alive": fragile.alive, "steady": await steady.ask(Ping())}

    with structlog.testing.capture_logs() as logs:
        result = simulate(main, seed=1)

    assert result.value == {"fragile_alive": False, "steady": ("steady", 1)}
    assert events.count(("start", "fragile")) == 1  # a top-level actor is not restarted
    (crash,) = [entry for entry in logs if entry["event"] == "actor crashed"]
    assert crash["actor"] == "fragile"
    assert crash["log_level"] == "error"
    assert crash["error"] == "Boom: fragile told to crash"


def test_a_supervised_crash_does_not_disturb_an_unrelated_actor() -> None:
    events: Events = []

    async def main() -> tuple[list[Any], Events]:
        sup = spawn_actor(Supervisor([recorder("x", events)]), "sup")
        steady = spawn_actor(Recorder("steady", events), "steady")
        answers: list[Any] = []
        child = (await children(sup))["x"].ref
        for _ in range(3):
            child.send_nowait(Crash())
            answers.append(await steady.ask(Ping()))
            await sleep(1)
        return answers, list(events)

    answers, seen = simulate_quietly(main, seed=1).value

    assert answers == [("steady", 1)] * 3
    assert seen.count(("crash", "x", 3)) == 1  # the child did crash three times
    assert [event for event in seen if "steady" in event] == [("start", "steady")]


def test_a_restart_is_logged_by_the_supervisor_with_both_names() -> None:
    events: Events = []

    async def main() -> None:
        sup = spawn_actor(Supervisor([recorder("x", events)]), "sup")
        (await children(sup))["x"].ref.send_nowait(Crash())
        await sleep(1)

    with structlog.testing.capture_logs() as logs:
        simulate(main, seed=1)

    crashed = [entry for entry in logs if entry["event"] == "actor crashed"]
    restarting = [entry for entry in logs if entry["event"] == "restarting child"]
    assert [entry["actor"] for entry in crashed] == ["sup/x"]
    assert [(entry["actor"], entry["child"], entry["restarts"]) for entry in restarting] == [
        ("sup", "sup/x", 1)
    ]


# --- mailboxes across restarts ----------------------------------------------------------------


def test_messages_queued_behind_a_crash_reach_the_next_incarnation() -> None:
    events: Events = []

    async def main() -> tuple[str, int]:
        sup = spawn_actor(Supervisor([recorder("x", events)]), "sup")
        await sleep(1)
        child = (await children(sup))["x"].ref
        child.send_nowait(Note(1))
        child.send_nowait(Crash())
        child.send_nowait(Note(2))
        child.send_nowait(Note(3))
        return await child.ask(Ping())  # queued behind the crash too

    answer = simulate_quietly(main, seed=1).value

    assert answer == ("x", 2)
    assert [event for event in events if event[0] in ("note", "crash")] == [
        ("note", "x", 1, 1),
        ("crash", "x", 1),  # handled once, not retried by the next incarnation
        ("note", "x", 2, 2),
        ("note", "x", 3, 2),
    ]


def test_the_ask_that_crashed_an_actor_fails_and_is_not_retried() -> None:
    events: Events = []

    async def main() -> tuple[str, int]:
        sup = spawn_actor(Supervisor([recorder("x", events)]), "sup")
        child = (await children(sup))["x"].ref
        with pytest.raises(ActorCrashed, match="sup/x") as crashed:
            await child.ask(CrashAsk())
        assert isinstance(crashed.value.__cause__, Boom)
        await sleep(1)
        return await child.ask(Ping())

    assert simulate_quietly(main, seed=1).value == ("x", 2)
    assert events.count(("crash", "x", 1)) == 1
    assert not any(event[0] == "crash" and event[2] == 2 for event in events)


def test_one_for_all_keeps_a_stopped_siblings_messages_for_its_next_incarnation() -> None:
    events: Events = []

    async def main() -> None:
        specs = [recorder("a", events), recorder("b", events)]
        sup = spawn_actor(Supervisor(specs, strategy=Strategy.ONE_FOR_ALL), "sup")
        await sleep(1)
        refs = {name: info.ref for name, info in (await children(sup)).items()}
        refs["b"].send_nowait(Crash())
        await sleep(0.05)  # b has crashed, a has been stopped; both wait out the backoff
        refs["a"].send_nowait(Note(1))
        await sleep(1)

    simulate_quietly(main, seed=1)

    assert ("note", "a", 1, 2) in events


# --- dynamic children -------------------------------------------------------------------------


def test_start_child_adds_a_supervised_child_that_is_restarted_on_crash() -> None:
    events: Events = []

    async def main() -> dict[str, Any]:
        sup = spawn_actor(Supervisor(), "sup")
        assert await children(sup) == {}
        ref = await sup.ask(StartChild(recorder("x", events)))
        first = await ref.ask(Ping())
        ref.send_nowait(Crash())
        await sleep(1)
        infos = await children(sup)
        return {
            "name": ref.name,
            "first": first,
            "after_crash": await ref.ask(Ping()),
            "listed": [(name, info.ref is ref, info.restarts) for name, info in infos.items()],
        }

    assert simulate_quietly(main, seed=1).value == {
        "name": "sup/x",
        "first": ("x", 1),
        "after_crash": ("x", 2),
        "listed": [("x", True, 1)],
    }


def test_stop_child_stops_and_forgets_the_child_and_frees_its_name() -> None:
    events: Events = []

    async def main() -> dict[str, Any]:
        sup = spawn_actor(Supervisor([recorder("x", events), recorder("y", events)]), "sup")
        old = (await children(sup))["x"].ref
        stopped = await sup.ask(StopChild("x"))
        await sleep(1)
        outcome = {
            "stopped": stopped,
            "old_alive": old.alive,
            "listed": list(await children(sup)),
            "again": await sup.ask(StopChild("x")),
        }
        new = await sup.ask(StartChild(recorder("x", events)))
        outcome["new_is_old"] = new is old
        outcome["new"] = await new.ask(Ping())
        outcome["order"] = list(await children(sup))
        outcome["events"] = list(events)
        return outcome

    outcome = simulate_quietly(main, seed=1).value

    assert outcome == {
        "stopped": True,
        "old_alive": False,
        "listed": ["y"],
        "again": False,
        "new_is_old": False,
        "new": ("x", 1),
        "order": ["y", "x"],
        "events": [("start", "x"), ("start", "y"), ("stop", "x"), ("start", "x")],
    }


def test_start_child_with_a_taken_name_is_refused_without_crashing_the_supervisor() -> None:
    events: Events = []

    async def main() -> dict[str, Any]:
        sup = spawn_actor(Supervisor([recorder("x", events)]), "sup")
        child = (await children(sup))["x"].ref
        refused: Exception | None = None
        try:
            await sup.ask(StartChild(recorder("x", events)))
        except Exception as exc:
            refused = exc
        await sleep(1)
        return {
            "refused": refused is not None,
            "sup_alive": sup.alive,
            "child_alive": child.alive,
        }

    assert simulate_quietly(main, seed=1).value == {
        "refused": True,
        "sup_alive": True,
        "child_alive": True,
    }
