"""Determinism: the same seed gives the same run, in this process and in fresh ones.

The scenario below is a small script module of its own: dozens of actors (three supervisors of
eight workers, one of them flaky, plus clients and a hub), periodic timers, asks, ``rng()`` and
``new_uid()``, supervisor restarts and every kind of injected fault. The subprocess tests import
it with different ``PYTHONHASHSEED`` values and compare the trace hashes.
"""

from __future__ import annotations

import io
import logging
import os
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import structlog

from kube_actors.runtime import (
    Actor,
    ActorCrashed,
    ActorRef,
    ActorStopped,
    AskTimeout,
    Backoff,
    ChildSpec,
    CrashActor,
    FaultPlan,
    Intensity,
    MessageFault,
    PauseActor,
    Request,
    SimulationResult,
    Supervisor,
    TraceEvent,
    WhichChildren,
    handles,
    new_uid,
    now,
    rng,
    simulate,
    sleep,
    spawn_actor,
)

REPO_ROOT = Path(__file__).resolve().parents[2]


pytestmark = pytest.mark.usefixtures("quiet_logs")


# --- the scenario -----------------------------------------------------------------------------

SUPERVISORS = 3
WORKERS_PER_SUPERVISOR = 8
CLIENTS = 6
RUN_FOR = 12.0


@dataclass(frozen=True)
class Tick:
    pass


@dataclass(frozen=True)
class Work:
    uid: str
    hops: int


@dataclass(frozen=True)
class Record(Request[int]):
    uid: str


@dataclass(frozen=True)
class GetCount(Request[int]):
    pass


class Hub(Actor[Any]):
    """Counts the work it is told about; answers with the running total."""

    def __init__(self) -> None:
        self.total = 0

    @handles(Record)
    def record(self, _msg: Record) -> int:
        self.total += 1
        return self.total

    @handles(GetCount)
    def count(self, _msg: GetCount) -> int:
        return self.total


class Worker(Actor[Any]):
    """Ticks at a random rate; each tick sends work to a random peer; every third piece of work
    is recorded at the hub with an ask. A flaky worker crashes on every fourth piece."""

    def __init__(self, world: World, flaky: bool) -> None:
        self.world = world
        self.flaky = flaky
        self.count = 0

    async def on_start(self) -> None:
        self.every(0.2 + rng().random() * 0.6, Tick(), first=rng().random())

    @handles(Tick)
    def tick(self, _tick: Tick) -> None:
        peers = self.world.workers
        peer = peers[rng().randrange(len(peers))]
        peer.send_nowait(Work(new_uid()[:8], rng().randint(0, 2)))

    @handles(Work)
    async def work(self, msg: Work) -> None:
        self.count += 1
        if self.flaky and self.count % 4 == 0:
            raise RuntimeError(f"flaky worker {self.name} gives up on {msg.uid}")
        if msg.hops > 0:
            peers = self.world.workers
            peers[rng().randrange(len(peers))].send_nowait(Work(msg.uid, msg.hops - 1))
        if self.count % 3 == 0:
            try:
                await self.world.hub.ask(Record(msg.uid), timeout=0.25)
            except AskTimeout:
                self.world.outcomes["record-timeout"] += 1

    @handles(GetCount)
    def get_count(self, _msg: GetCount) -> int:
        return self.count


class Client(Actor[Any]):
    """Polls a random worker with an ask on every tick."""

    def __init__(self, world: World) -> None:
        self.world = world

    async def on_start(self) -> None:
        self.every(0.5, Tick(), first=0.1 + rng().random())

    @handles(Tick)
    async def poll(self, _tick: Tick) -> None:
        workers = self.world.workers
        target = workers[rng().randrange(len(workers))]
        try:
            await target.ask(GetCount(), timeout=0.3)
        except AskTimeout:
            self.world.outcomes["timeout"] += 1
        except ActorStopped:
            self.world.outcomes["stopped"] += 1
        except ActorCrashed:
            self.world.outcomes["crashed"] += 1
        else:
            self.world.outcomes["ok"] += 1


class World:
    def __init__(self) -> None:
        self.workers: list[ActorRef[Any]] = []
        self.hub: ActorRef[Any]
        self.outcomes: Counter[str] = Counter()


FAULTS = FaultPlan(
    messages=(
        MessageFault(message="Work", drop=0.05, duplicate=0.05, delay=0.1, max_delay=0.3),
        MessageFault(message="Work", reorder=0.3, start=4.0, end=8.0),
        MessageFault(receiver="hub", message="Record", drop=0.05, delay=0.1, max_delay=0.4),
        MessageFault(sender="client-*", drop=0.05, duplicate=0.05, reorder=0.2),
    ),
    events=(
        CrashActor(2.0, "sup0/w3"),
        CrashActor(6.5, "sup2/w0", reason="node lost"),
        PauseActor(3.0, "hub", 0.5),
        PauseActor(5.0, "sup1/w5", 1.0),
    ),
)


async def scenario_main() -> dict[str, Any]:
    world = World()
    world.hub = spawn_actor(Hub(), "hub")
    sups = []
    for s in range(SUPERVISORS):
        specs = [
            ChildSpec(f"w{w}", lambda s=s, w=w: Worker(world, flaky=(s, w) == (1, 2)))
            for w in range(WORKERS_PER_SUPERVISOR)
        ]
        sup = Supervisor(specs, intensity=Intensity(100, 10.0), backoff=Backoff(initial=0.05))
        sups.append(spawn_actor(sup, f"sup{s}"))
    for sup in sups:
        children = await sup.ask(WhichChildren(), timeout=1.0)
        world.workers.extend(child.ref for child in children)
    for c in range(CLIENTS):
        spawn_actor(Client(world), f"client-{c}")
    await sleep(RUN_FOR)
    restarts = []
    for sup in sups:
        restarts.extend(child.restarts for child in await sup.ask(WhichChildren(), timeout=5.0))
    return {
        "hub_total": await world.hub.ask(GetCount(), timeout=5.0),
        "outcomes": dict(sorted(world.outcomes.items())),
        "restarts": restarts,
        "uid": new_uid(),
        "now": now(),
    }


def run_scenario(
    seed: int | str, *, keep_trace: bool = False, faults: FaultPlan | None = FAULTS
) -> SimulationResult[dict[str, Any]]:
    """Run the scenario with crash logs silenced (they are slow to render and not traced)."""
    saved = structlog.get_config()
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.CRITICAL))
    try:
        return simulate(scenario_main, seed=seed, faults=faults, keep_trace=keep_trace)
    finally:
        structlog.configure(**saved)


def fault_schedule(result: SimulationResult[Any]) -> list[TraceEvent]:
    return [e for e in result.trace if e.kind.startswith("fault-")]


# --- in other processes ---------------------------------------------------------------------

_CHILD = (
    "from tests.runtime.test_determinism import run_scenario\n"
    "result = run_scenario({seed!r})\n"
    "print('RESULT', result.trace_hash, result.steps, result.dead_letters, repr(result.value))\n"
)


def hash_in_subprocess(seed: int | str, hash_seed: str) -> str:
    env = {**os.environ, "PYTHONHASHSEED": hash_seed, "PYTHONPATH": str(REPO_ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", _CHILD.format(seed=seed)],
        env=env,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    [line] = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    return line.removeprefix("RESULT ")


@pytest.fixture(scope="module")
def reference() -> SimulationResult[dict[str, Any]]:
    return run_scenario(11, keep_trace=True)


def test_scenario_exercises_everything_it_should(
    reference: SimulationResult[dict[str, Any]],
) -> None:
    kinds = Counter(e.kind for e in reference.trace)
    started = {e.actor for e in reference.trace if e.kind == "start"}
    assert len(started) >= 30
    for kind in (
        "fault-drop",
        "fault-duplicate",
        "fault-delay",
        "fault-reorder",
        "fault-crash",
        "fault-pause",
        "pause",
        "resume",
        "crash",
        "restart",
        "timer",
        "deliver",
        "deliver-ask",
    ):
        assert kinds[kind] > 0, kind
    assert kinds["fault-crash"] == 2
    assert kinds["fault-pause"] == 2
    value = reference.value
    assert value["hub_total"] > 0
    assert value["outcomes"]["ok"] > 0
    assert sum(value["restarts"]) >= 3  # two injected crashes and the flaky worker
    assert RUN_FOR <= reference.elapsed < RUN_FOR + 1.0


def test_same_hash_in_fresh_processes_with_different_hash_seeds(
    reference: SimulationResult[dict[str, Any]],
) -> None:
    first = hash_in_subprocess(11, "1")
    second = hash_in_subprocess(11, "2")
    assert first == second
    trace_hash, steps, dead_letters, _value = first.split(" ", 3)
    assert trace_hash == reference.trace_hash
    assert int(steps) == reference.steps
    assert int(dead_letters) == reference.dead_letters
    assert first == (
        f"{reference.trace_hash} {reference.steps} {reference.dead_letters} {reference.value!r}"
    )


def test_same_seed_in_process_gives_the_same_run(
    reference: SimulationResult[dict[str, Any]],
) -> None:
    again = run_scenario(11, keep_trace=True)
    assert again.trace_hash == reference.trace_hash
    assert again.trace == reference.trace
    assert again.value == reference.value
    assert (again.steps, again.dead_letters, again.elapsed) == (
        reference.steps,
        reference.dead_letters,
        reference.elapsed,
    )
    # Keeping the trace changes nothing about the run or its hash.
    assert run_scenario(11).trace_hash == reference.trace_hash


def test_different_seeds_give_different_fault_schedules_and_hashes(
    reference: SimulationResult[dict[str, Any]],
) -> None:
    other = run_scenario(12, keep_trace=True)
    third = run_scenario("another seed", keep_trace=True)
    schedules = [fault_schedule(r) for r in (reference, other, third)]
    assert all(schedules)
    assert schedules[0] != schedules[1]
    assert schedules[0] != schedules[2]
    assert schedules[1] != schedules[2]
    assert len({r.trace_hash for r in (reference, other, third)}) == 3
    # The timed events are part of the plan, not of the seed: the same in every run.
    for schedule in schedules:
        timed = [
            (e.time, e.kind, e.actor) for e in schedule if e.kind in ("fault-crash", "fault-pause")
        ]
        assert timed == [
            (2.0, "fault-crash", "sup0/w3"),
            (3.0, "fault-pause", "hub"),
            (5.0, "fault-pause", "sup1/w5"),
            (6.5, "fault-crash", "sup2/w0"),
        ]


def test_same_seed_without_faults_differs_from_with_faults(
    reference: SimulationResult[dict[str, Any]],
) -> None:
    calm = run_scenario(11, keep_trace=True, faults=None)
    assert fault_schedule(calm) == []
    assert calm.trace_hash != reference.trace_hash
    assert run_scenario(11, faults=None).trace_hash == calm.trace_hash


def test_trace_can_be_dumped(reference: SimulationResult[dict[str, Any]]) -> None:
    out = io.StringIO()
    reference.dump_trace(out)
    lines = out.getvalue().splitlines()
    assert len(lines) == len(reference.trace)
    assert lines == [str(event) for event in reference.trace]
    assert lines[0] == "0.000000 start hub 1"
    assert any(line.startswith("2.000000 fault-crash sup0/w3 ") for line in lines)
    # Times never go backwards.
    times = [e.time for e in reference.trace]
    assert times == sorted(times)


def test_trace_is_empty_unless_kept() -> None:
    result = run_scenario(11)
    assert result.trace == ()
    out = io.StringIO()
    result.dump_trace(out)
    assert out.getvalue() == ""


class _Crashes(Actor[Any]):
    @handles(Work)
    def work(self, msg: Work) -> None:
        if msg.hops < 0:
            raise RuntimeError("bad work")


def test_trace_records_deliveries_before_a_crashing_handler() -> None:
    async def main() -> None:
        ref = spawn_actor(_Crashes(), "a")
        for hops in (0, 0, 0, -1):
            ref.send_nowait(Work("x", hops))
        await sleep(1)

    result = simulate(main, seed=1, keep_trace=True)
    delivered = sum(int(e.detail.rsplit("x", 1)[1]) for e in result.trace if e.kind == "deliver")
    assert [e.kind for e in result.trace if e.actor == "a"][-2:] == ["crash", "stopped"]
    assert delivered == 4
