"""Properties of the runtime over generated actor topologies and generated fault schedules.

A scenario is a handful of actors (some under a supervisor) joined by random ``send``/``ask``
edges, a script the main task plays (sends, asks, stops) and a :class:`FaultPlan` built from
strategies, whose random source is hypothesis' own (``st.randoms(use_true_random=False)``), so a
failing fault schedule shrinks like any other input.
"""

from __future__ import annotations

import copy
import math
import random
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from kube_actors.runtime import (
    Actor,
    ActorCrashed,
    ActorRef,
    ActorStopped,
    AskTimeout,
    Cancelled,
    ChildSpec,
    CrashActor,
    FaultPlan,
    Intensity,
    MessageFault,
    PauseActor,
    Request,
    SimulationResult,
    StopChild,
    Strategy,
    Supervisor,
    checkpoint,
    handles,
    now,
    rng,
    simulate,
    sleep,
    sleep_until,
    spawn,
    spawn_actor,
)

pytestmark = pytest.mark.usefixtures("quiet_logs")


# --- messages -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Hop:
    """A one-way message; forwarded along the sender's edges while ``ttl`` lasts."""

    ident: int
    ttl: int
    fail: bool = False


@dataclass(frozen=True)
class Query(Request[tuple[str, int]]):
    """An ask; answered with (actor name, ident) after forwarding along the edges."""

    ident: int
    ttl: int
    fail: bool = False


@dataclass(frozen=True)
class Tick:
    """A periodic timer message."""


class Boom(Exception):
    """What a handler raises when told to fail."""


# --- scenarios ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Edge:
    src: int
    dst: int
    kind: str  # "send" or "ask"
    timeout: float


@dataclass(frozen=True)
class Step:
    time: float
    kind: str  # "send", "ask" or "stop"
    target: int
    ttl: int
    fail: bool
    timeout: float
    via_supervisor: bool


@dataclass(frozen=True)
class Scenario:
    supervised: tuple[bool, ...]
    strategy: Strategy
    ticks: tuple[float | None, ...]
    edges: tuple[Edge, ...]
    steps: tuple[Step, ...]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(f"sup/n{i}" if under else f"n{i}" for i, under in enumerate(self.supervised))


@dataclass
class AskRecord:
    asker: str
    target: str
    start: float
    timeout: float
    end: float | None = None
    outcome: str = "pending"


@dataclass
class World:
    """What one run observed (fresh for every run)."""

    scenario: Scenario
    refs: dict[str, ActorRef[Any]] = field(default_factory=dict)
    asks: list[AskRecord] = field(default_factory=list)
    handled: list[tuple[float, str, str]] = field(default_factory=list)
    #: Handler entries in an actor that was already stopped (must stay empty).
    stopped_deliveries: list[tuple[float, str, str]] = field(default_factory=list)
    #: Names whose stop() (or StopChild) had returned.
    stopped_done: set[str] = field(default_factory=set)
    draws: list[int] = field(default_factory=list)


async def timed_ask(world: World, asker: str, ref: ActorRef[Any], msg: Any, timeout: float) -> Any:
    """Ask, recording start, end and outcome in virtual time."""
    record = AskRecord(asker, ref.name, now(), timeout)
    world.asks.append(record)
    try:
        value = await ref.ask(msg, timeout=timeout)
    except AskTimeout:
        record.outcome = "timeout"
    except ActorStopped:
        record.outcome = "stopped"
    except ActorCrashed:
        record.outcome = "crashed"
    except Cancelled:
        record.outcome = "cancelled"  # the asker itself was crashed, killed or wound down
        raise
    except BaseException as error:
        record.outcome = f"other: {type(error).__name__}: {error}"
        raise
    else:
        record.outcome = "ok"
        return value
    finally:
        record.end = now()
    return None


class Node(Actor[Any]):
    def __init__(self, world: World, index: int) -> None:
        self.world = world
        self.index = index

    async def on_start(self) -> None:
        self.world.refs[self.name] = self.ref
        interval = self.world.scenario.ticks[self.index]
        if interval is not None:
            self.every(interval, Tick())
        self.world.draws.append(rng().randrange(1000))

    def _entered(self, what: str) -> None:
        world = self.world
        entry = (now(), self.name, what)
        world.handled.append(entry)
        if not self.ref.alive or self.name in world.stopped_done:
            world.stopped_deliveries.append(entry)

    async def _fan_out(self, ident: int, ttl: int) -> None:
        if ttl <= 0:
            return
        names = self.world.scenario.names
        for edge in self.world.scenario.edges:
            if edge.src != self.index:
                continue
            ref = self.world.refs.get(names[edge.dst])
            if ref is None:
                continue
            if edge.kind == "send":
                ref.send_nowait(Hop(ident, ttl - 1))
            else:
                await timed_ask(self.world, self.name, ref, Query(ident, ttl - 1), edge.timeout)

    @handles(Tick)
    def on_tick(self, _tick: Tick) -> None:
        self._entered("Tick")

    @handles(Hop)
    async def on_hop(self, msg: Hop) -> None:
        self._entered("Hop")
        if msg.fail:
            raise Boom(f"hop {msg.ident}")
        await self._fan_out(msg.ident, msg.ttl)

    @handles(Query)
    async def on_query(self, msg: Query) -> tuple[str, int]:
        self._entered("Query")
        if msg.fail:
            raise Boom(f"query {msg.ident}")
        await self._fan_out(msg.ident, msg.ttl)
        return (self.name, msg.ident)


def run_scenario(
    scenario: Scenario, plan: FaultPlan, seed: int = 7
) -> tuple[SimulationResult[None], World]:
    world = World(scenario)
    names = scenario.names

    async def main() -> None:
        specs = [
            ChildSpec(f"n{i}", lambda i=i: Node(world, i))
            for i, under in enumerate(scenario.supervised)
            if under
        ]
        sup = None
        if specs:
            supervisor = Supervisor(
                specs, strategy=scenario.strategy, intensity=Intensity(max_restarts=3)
            )
            sup = spawn_actor(supervisor, "sup")
        for i, under in enumerate(scenario.supervised):
            if not under:
                spawn_actor(Node(world, i), f"n{i}")
        for _ in range(50):
            if len(world.refs) == len(names):
                break
            await checkpoint()
        tasks = []
        for number, step in enumerate(scenario.steps):
            await sleep_until(step.time)
            name = names[step.target]
            ref = world.refs.get(name)
            if ref is None:
                continue
            if step.kind == "send":
                ref.send_nowait(Hop(number, step.ttl, step.fail))
            elif step.kind == "ask":
                query = Query(number, step.ttl, step.fail)
                tasks.append(spawn(timed_ask(world, "main", ref, query, step.timeout)))
            elif step.via_supervisor and sup is not None and name.startswith("sup/"):
                child = name.removeprefix("sup/")
                if await timed_ask(world, "main", sup, StopChild(child), step.timeout):
                    world.stopped_done.add(name)
            else:
                await ref.stop()
                world.stopped_done.add(name)
        await sleep(4.0)  # longer than any ask timeout: every ask has ended
        for task in tasks:
            await task.join()

    result = simulate(main, seed=seed, faults=plan, keep_trace=True, time_limit=500.0)
    return result, world


# --- strategies -----------------------------------------------------------------------------

TIMES = st.integers(0, 60).map(lambda tenths: tenths / 10)
TIMEOUTS = st.sampled_from([0.5, 1.0, 2.5])
PROBABILITIES = st.sampled_from([0.0, 0.3, 1.0])


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    n = draw(st.integers(2, 4))
    supervised = tuple(draw(st.sampled_from([True, True, False])) for _ in range(n))
    node = st.integers(0, n - 1)
    edges = draw(
        st.lists(
            st.builds(Edge, node, node, st.sampled_from(["send", "ask"]), TIMEOUTS), max_size=5
        )
    )
    steps = draw(
        st.lists(
            st.builds(
                Step,
                TIMES,
                st.sampled_from(["send", "ask", "stop"]),
                node,
                st.integers(0, 2),
                st.sampled_from([False, False, True]),
                TIMEOUTS,
                st.booleans(),
            ),
            min_size=2,
            max_size=10,
        ).map(lambda steps: sorted(steps, key=lambda s: s.time))
    )
    return Scenario(
        supervised=supervised,
        strategy=draw(st.sampled_from(Strategy)),
        ticks=tuple(draw(st.sampled_from([None, None, 0.7, 1.5])) for _ in range(n)),
        edges=tuple(edges),
        steps=tuple(steps),
    )


@st.composite
def fault_plans(draw: st.DrawFn, scenario: Scenario) -> FaultPlan:
    names = scenario.names
    pattern = st.sampled_from(["*", "*", "", "n*", "sup*", *names])
    messages = draw(
        st.lists(
            st.builds(
                MessageFault,
                sender=pattern,
                receiver=pattern,
                message=st.sampled_from(["*", "Hop", "Query", "StopChild", "?op"]),
                drop=st.sampled_from([0.0, 0.2, 0.5, 1.0]),
                duplicate=PROBABILITIES,
                delay=PROBABILITIES,
                max_delay=st.sampled_from([0.0, 0.3, 2.0]),
                reorder=PROBABILITIES,
                start=st.sampled_from([0.0, 0.0, 2.0]),
                end=st.sampled_from([math.inf, math.inf, 4.0]),
            ),
            min_size=1,
            max_size=3,
        )
    )
    actor = st.sampled_from([*names, "sup", "nobody"])
    at = st.integers(1, 60).map(lambda tenths: tenths / 10)
    events = draw(
        st.lists(
            st.one_of(
                st.builds(CrashActor, at=at, actor=actor),
                st.builds(
                    PauseActor, at=at, actor=actor, duration=st.sampled_from([0.5, 2.0, 4.0])
                ),
            ),
            min_size=1,
            max_size=3,
        )
    )
    return FaultPlan(messages=tuple(messages), events=tuple(events))


@st.composite
def cases(draw: st.DrawFn) -> tuple[Scenario, FaultPlan, random.Random]:
    scenario = draw(scenarios())
    plan = draw(fault_plans(scenario))
    fault_rng = draw(st.randoms(use_true_random=False))
    return scenario, plan, fault_rng


def with_rng(plan: FaultPlan, fault_rng: random.Random) -> FaultPlan:
    """The plan driven by a fresh copy of ``fault_rng`` (copies replay the same draws)."""
    return FaultPlan(messages=plan.messages, events=plan.events, rng=copy.copy(fault_rng))


# --- checks ---------------------------------------------------------------------------------


def deliveries_after_stop(result: SimulationResult[Any]) -> list[str]:
    """Trace check: a deliver/deliver-ask to a name after its "stopped" and before a new
    "start" of that name."""
    stopped: set[str] = set()
    bad = []
    for event in result.trace:
        if event.kind == "stopped":
            stopped.add(event.actor)
        elif event.kind == "start":
            stopped.discard(event.actor)
        elif event.kind in ("deliver", "deliver-ask") and event.actor in stopped:
            bad.append(str(event))
    return bad


ALLOWED_OUTCOMES = {"ok", "timeout", "stopped", "crashed", "cancelled"}


def check_asks(world: World) -> None:
    for record in world.asks:
        assert record.end is not None, f"ask never ended: {record}"
        assert record.outcome in ALLOWED_OUTCOMES, record
        deadline = record.start + record.timeout
        assert record.end <= deadline, f"ask ended after its deadline: {record}"
        if record.outcome == "timeout":
            # AskTimeout is raised exactly at the deadline, not before.
            assert record.end == deadline, record
        if record.outcome == "cancelled":
            assert record.asker != "main", record


# --- hand-picked cases (always run, besides the generated ones) ------------------------------

#: A supervised child stopped by hand, then a sibling crashes under ONE_FOR_ALL: the stopped
#: child must stay stopped (the supervisor must not restart it), even while paused.
STOPPED_SIBLING = (
    Scenario(
        supervised=(True, True),
        strategy=Strategy.ONE_FOR_ALL,
        ticks=(0.7, None),
        edges=(Edge(1, 0, "send", 1.0),),
        steps=(
            Step(1.0, "stop", 0, 0, False, 1.0, False),
            Step(2.0, "send", 1, 1, True, 1.0, False),
            Step(3.0, "send", 0, 0, False, 1.0, False),
            Step(3.5, "ask", 0, 0, False, 1.0, False),
            Step(3.5, "ask", 1, 1, False, 1.0, False),
        ),
    ),
    FaultPlan(events=(PauseActor(1.5, "sup/n0", 1.0), PauseActor(2.5, "sup/n1", 1.0))),
    random.Random(0),
)

#: Nested asks across a crash and delayed messages: the outer ask still ends by its deadline.
CRASH_DURING_NESTED_ASK = (
    Scenario(
        supervised=(False, True, False),
        strategy=Strategy.REST_FOR_ONE,
        ticks=(None, 1.5, None),
        edges=(Edge(0, 1, "ask", 2.5), Edge(1, 2, "ask", 1.0), Edge(2, 0, "send", 0.5)),
        steps=(
            Step(1.0, "ask", 0, 2, False, 2.5, False),
            Step(1.2, "ask", 1, 2, False, 0.5, False),
            Step(2.0, "stop", 2, 0, False, 1.0, False),
            Step(2.1, "ask", 2, 0, False, 1.0, False),
        ),
    ),
    FaultPlan(
        messages=(MessageFault(receiver="sup/*", delay=1.0, max_delay=2.0),),
        events=(CrashActor(1.5, "n0"), CrashActor(1.6, "sup")),
    ),
    random.Random(1),
)

#: Every message fault at once on a burst of sends and asks.
ALL_MESSAGE_FAULTS = (
    Scenario(
        supervised=(True, False),
        strategy=Strategy.ONE_FOR_ONE,
        ticks=(0.7, 0.7),
        edges=(Edge(0, 1, "send", 1.0), Edge(1, 0, "ask", 0.5)),
        steps=tuple(
            Step(t / 10, kind, t % 2, 2, t % 5 == 4, 1.0, False)
            for t in range(10)
            for kind in ("send", "ask")
        ),
    ),
    FaultPlan(
        messages=(MessageFault(drop=0.2, duplicate=0.3, delay=0.3, max_delay=0.3, reorder=1.0),),
    ),
    random.Random(2),
)


# --- properties -----------------------------------------------------------------------------


@example(STOPPED_SIBLING)
@example(CRASH_DURING_NESTED_ASK)
@example(ALL_MESSAGE_FAULTS)
@given(cases())
def test_no_delivery_to_stopped_actor_and_every_ask_ends_by_its_deadline(
    case: tuple[Scenario, FaultPlan, random.Random],
) -> None:
    scenario, plan, fault_rng = case
    result, world = run_scenario(scenario, with_rng(plan, fault_rng))

    assert world.stopped_deliveries == []
    assert deliveries_after_stop(result) == []
    check_asks(world)
    # Every name main saw stop is really stopped in the trace.
    stopped_in_trace = {e.actor for e in result.trace if e.kind == "stopped"}
    assert world.stopped_done <= stopped_in_trace


@example(CRASH_DURING_NESTED_ASK)
@example(ALL_MESSAGE_FAULTS)
@given(cases())
def test_same_scenario_same_trace_hash(case: tuple[Scenario, FaultPlan, random.Random]) -> None:
    scenario, plan, fault_rng = case
    first, world1 = run_scenario(scenario, with_rng(plan, fault_rng))
    second, world2 = run_scenario(scenario, with_rng(plan, fault_rng))

    assert first.trace_hash == second.trace_hash
    assert first.trace == second.trace
    assert (first.elapsed, first.steps, first.dead_letters) == (
        second.elapsed,
        second.steps,
        second.dead_letters,
    )
    assert world1.handled == world2.handled
    assert world1.draws == world2.draws
    assert [(a.start, a.end, a.outcome) for a in world1.asks] == [
        (a.start, a.end, a.outcome) for a in world2.asks
    ]
