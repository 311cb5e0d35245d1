"""A tour of the actor runtime: actors, asks, timers, a supervisor restarting a crashed child,
injected faults, and a deterministic simulation of one virtual hour that takes milliseconds.

Run: python examples/actors_tour.py
"""

from __future__ import annotations

import time
from typing import Any

import attrs

from kube_actors.runtime import (
    Actor,
    ActorRef,
    ChildSpec,
    CrashActor,
    FaultPlan,
    MessageFault,
    Request,
    Supervisor,
    WhichChildren,
    handles,
    now,
    rng,
    simulate,
    sleep,
    spawn_actor,
)


@attrs.frozen
class Beat:
    """A heartbeat from a worker."""

    worker: str


@attrs.frozen
class Tick:
    """A worker's own timer."""


@attrs.frozen
class Report(Request[dict[str, int]]):
    """Ask the monitor for heartbeats per worker."""


class Monitor(Actor[Any]):
    """Counts heartbeats."""

    def __init__(self) -> None:
        self.beats: dict[str, int] = {}

    @handles(Beat)
    def on_beat(self, beat: Beat) -> None:
        self.beats[beat.worker] = self.beats.get(beat.worker, 0) + 1

    @handles(Report)
    def on_report(self, _request: Report) -> dict[str, int]:
        return dict(sorted(self.beats.items()))


class Worker(Actor[Any]):
    """Sends a heartbeat every 10 to 20 seconds (jitter from the run's seeded random source)."""

    def __init__(self, monitor: ActorRef[Any]) -> None:
        self.monitor = monitor

    async def on_start(self) -> None:
        self.every(10 + 10 * rng().random(), Tick())

    @handles(Tick)
    def on_tick(self, _tick: Tick) -> None:
        self.monitor.send_nowait(Beat(self.name))


async def main() -> dict[str, Any]:
    monitor = spawn_actor(Monitor(), "monitor")
    workers = [
        ChildSpec(f"worker-{i}", lambda: Worker(monitor)) for i in range(5)
    ]  # one factory per incarnation: a restarted worker is a fresh object
    supervisor = spawn_actor(Supervisor(workers), "workers")
    await sleep(3600)  # one virtual hour
    children = await supervisor.ask(WhichChildren())
    return {
        "virtual time": now(),
        "heartbeats": await monitor.ask(Report()),
        "restarts": {child.name: child.restarts for child in children if child.restarts},
    }


if __name__ == "__main__":
    faults = FaultPlan(
        # Lose 10% of heartbeats from worker-0 and crash worker-3 at 20 minutes.
        messages=(MessageFault(sender="workers/worker-0", receiver="monitor", drop=0.1),),
        events=(CrashActor(at=1200, actor="workers/worker-3"),),
    )
    started = time.perf_counter()
    result = simulate(main, seed=42, faults=faults)
    wall = time.perf_counter() - started
    for key, value in result.value.items():
        print(f"{key}: {value}")
    print(f"simulated {result.elapsed:.0f} virtual seconds in {wall:.3f} wall seconds")
    again = simulate(main, seed=42, faults=faults)
    same = again.trace_hash == result.trace_hash
    print(f"trace hash {result.trace_hash}; same seed, same hash: {same}")
    assert again.trace_hash == result.trace_hash
