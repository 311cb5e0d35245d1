"""Properties of the queues over generated operation sequences with several workers.

A driver plays generated operations (add, add_after, add_rate_limited, forget, with
priorities) at generated virtual times while 1-4 workers process keys for generated durations
and end each piece of work with a generated outcome (success and forget, failure and
add_rate_limited, or add). Every operation is logged in the order it happened, with its
virtual time; afterwards a plain reference model of client-go's semantics replays the log and
must agree with the queue at every step:

- every ``get`` returned exactly the key the model says is next (so duplicates collapse, a key
  added while processing is requeued at ``done``, priorities and FIFO order hold);
- no key is ever processed by two workers at once (checked live, too);
- every key added after its last processing started is processed again;
- each delayed key became available exactly at the time the limiter (modelled separately:
  ``min(cap, base * 2**failures)``) or the delay said, keeping the earlier of two times;
- ``shut_down_with_drain`` returned only once nothing was in flight, workers drained what was
  queued, and adds after shut down were ignored;
- the metrics counted what the model counted.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from hypothesis import example, given
from hypothesis import strategies as st
from prometheus_client import CollectorRegistry

from kube_actors.runtime import now, simulate, sleep, spawn
from kube_actors.workqueue import (
    LOW_PRIORITY,
    ItemExponentialFailureRateLimiter,
    PrometheusMetricsProvider,
    RateLimitingQueue,
    ShutDown,
)

KEYS = st.sampled_from(["a", "b", "c", "d"])
PRIORITIES = st.sampled_from([0, 0, 0, LOW_PRIORITY, 5])
# Multiples of 1/4: every sum of them is exact in binary floating point.
WAITS = st.sampled_from([0.0, 0.0, 0.25, 0.5, 1.0, 2.5])
DELAYS = st.sampled_from([-1.0, 0.0, 0.25, 0.5, 1.0, 3.0])
DURATIONS = st.sampled_from([None, 0.0, 0.25, 0.5, 1.25, 3.0])  # None: no await at all
OUTCOMES = st.sampled_from(["ok", "ok", "retry", "add"])
LIMITERS = st.sampled_from([(0.25, 2.0), (0.5, 4.0), (1.0, 1.0)])

OPS = st.one_of(
    st.tuples(st.just("add"), KEYS, PRIORITIES),
    st.tuples(st.just("add_after"), KEYS, DELAYS, PRIORITIES),
    st.tuples(st.just("add_rate_limited"), KEYS, PRIORITIES),
    st.tuples(st.just("forget"), KEYS),
)


class RecordingQueue(RateLimitingQueue[str]):
    """Logs every ``add`` call, telling direct calls from the delaying timer's."""

    __slots__ = ("direct", "log")

    def __init__(self, log: list[tuple[Any, ...]], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.log = log
        self.direct = 0

    def add(self, key: str, *, priority: int = 0) -> None:
        kind = "add" if self.direct else "fire"
        self.log.append((kind, now(), key, priority))
        super().add(key, priority=priority)


@dataclass
class Model:
    """client-go's workqueue semantics (plus priority lanes), written the obvious way."""

    lanes: dict[int, list[str]] = field(default_factory=lambda: defaultdict(list))
    dirty: set[str] = field(default_factory=set)
    processing: set[str] = field(default_factory=set)
    priority: dict[str, int] = field(default_factory=dict)
    waiting: dict[str, tuple[float, int]] = field(default_factory=dict)
    shutting_down: bool = False
    adds: int = 0
    retries: int = 0

    def add(self, key: str, priority: int) -> bool:
        if self.shutting_down:
            return False
        if key in self.dirty:
            current = self.priority[key]
            if priority > current:
                self.priority[key] = priority
                if key not in self.processing:
                    self.lanes[current].remove(key)
                    self.lanes[priority].append(key)
            return False
        self.adds += 1
        self.dirty.add(key)
        self.priority[key] = priority
        if key not in self.processing:
            self.lanes[priority].append(key)
        return True

    def delay(self, key: str, ready: float, priority: int) -> None:
        if self.shutting_down:
            return
        old = self.waiting.get(key)
        if old is None:
            self.waiting[key] = (ready, priority)
        else:
            self.waiting[key] = (min(ready, old[0]), max(priority, old[1]))

    def queued(self) -> list[str]:
        return [key for p in sorted(self.lanes, reverse=True) for key in self.lanes[p]]

    def get(self) -> str | None:
        queued = self.queued()
        if not queued:
            return None
        key = queued[0]
        self.lanes[self.priority.pop(key)].remove(key)
        self.dirty.remove(key)
        self.processing.add(key)
        return key

    def done(self, key: str) -> None:
        self.processing.remove(key)
        if key in self.dirty:
            self.lanes[self.priority[key]].append(key)


@dataclass
class Scenario:
    steps: list[tuple[float, tuple[Any, ...]]]
    work: list[tuple[float | None, str]]
    workers: int
    limiter: tuple[float, float]
    tail: float


SCENARIOS = st.builds(
    Scenario,
    steps=st.lists(st.tuples(WAITS, OPS), min_size=1, max_size=40),
    # At least one piece of work takes time: work that re-adds its own key and never awaits
    # would spin for ever at one instant (as it would in client-go).
    work=st.builds(
        lambda first, rest: [first, *rest],
        st.tuples(st.sampled_from([0.25, 1.25]), OUTCOMES),
        st.lists(st.tuples(DURATIONS, OUTCOMES), max_size=11),
    ),
    workers=st.integers(1, 4),
    limiter=LIMITERS,
    tail=st.sampled_from([0.0, 0.5, 2.0, 10.0]),
)


def play(scenario: Scenario) -> tuple[list[tuple[Any, ...]], CollectorRegistry]:
    """Run the scenario in virtual time; return the log of everything that happened."""
    log: list[tuple[Any, ...]] = []
    registry = CollectorRegistry()
    base, cap = scenario.limiter

    async def main() -> None:
        q = RecordingQueue(
            log,
            rate_limiter=ItemExponentialFailureRateLimiter(base, cap),
            name="prop",
            metrics=PrometheusMetricsProvider(registry),
        )
        failures: dict[str, int] = defaultdict(int)  # the test's own model of the limiter
        in_flight: set[str] = set()
        counter = [0]

        def rate_limited(key: str, priority: int) -> None:
            delay = min(cap, base * 2 ** failures[key])
            failures[key] += 1
            log.append(("retry", now()))
            log.append(("delay", now(), key, now() + delay, priority))
            q.add_rate_limited(key, priority=priority)

        def forget(key: str) -> None:
            assert q.num_requeues(key) == failures[key]
            failures[key] = 0
            q.forget(key)
            assert q.num_requeues(key) == 0

        async def worker(name: str) -> None:
            while True:
                try:
                    key = await q.get()
                except ShutDown:
                    log.append(("exit", now(), name))
                    return
                log.append(("get", now(), key, name))
                assert key not in in_flight, f"{key} handed to two workers"
                in_flight.add(key)
                duration, outcome = scenario.work[counter[0] % len(scenario.work)]
                counter[0] += 1
                if duration is not None:
                    await sleep(duration)
                q.direct += 1
                if outcome == "ok":
                    forget(key)
                elif outcome == "retry":
                    rate_limited(key, 0)
                else:
                    q.add(key)
                q.direct -= 1
                in_flight.remove(key)
                log.append(("done", now(), key))
                q.done(key)

        workers = [spawn(worker(f"w{i}"), f"w{i}") for i in range(scenario.workers)]
        for wait, op in scenario.steps:
            await sleep(wait)
            q.direct += 1
            kind, key = op[0], op[1]
            if kind == "add":
                q.add(key, priority=op[2])
            elif kind == "add_after":
                delay, priority = op[2], op[3]
                log.append(("retry", now()))
                if delay > 0:
                    log.append(("delay", now(), key, now() + delay, priority))
                q.add_after(key, delay, priority=priority)
            elif kind == "add_rate_limited":
                rate_limited(key, op[2])
            else:
                forget(key)
            q.direct -= 1
        await sleep(scenario.tail)
        log.append(("shutdown", now()))
        await q.shut_down_with_drain()
        assert not in_flight
        log.append(("drained", now()))
        q.direct += 1
        q.add("late")  # ignored
        q.direct -= 1
        for task in workers:
            await task.join()
        assert len(q) == 0

    simulate(main, seed=0)
    return log, registry


def replay(log: list[tuple[Any, ...]]) -> Model:
    """Check the log against the model, step by step."""
    model = Model()
    last_add: dict[str, int] = {}
    last_get: dict[str, int] = {}
    clock = 0.0
    for index, event in enumerate(log):
        kind, t = event[0], event[1]
        assert t >= clock
        clock = t
        # Every delayed key whose time has come was added before anything later happened.
        assert all(ready >= t for ready, _ in model.waiting.values()), (event, model.waiting)
        if kind == "add":
            _, _, key, priority = event
            if model.add(key, priority):
                last_add[key] = index
        elif kind == "fire":
            _, _, key, priority = event
            assert not model.shutting_down
            assert model.waiting.pop(key) == (t, priority), (event, model.waiting)
            if model.add(key, priority):
                last_add[key] = index
        elif kind == "delay":
            _, _, key, ready, priority = event
            model.delay(key, ready, priority)
        elif kind == "retry":
            model.retries += not model.shutting_down
        elif kind == "get":
            _, _, key, _worker = event
            assert model.get() == key, (event, model)
            last_get[key] = index
        elif kind == "done":
            model.done(event[2])
        elif kind == "shutdown":
            model.shutting_down = True
            model.waiting.clear()  # delayed keys are dropped
        elif kind == "drained":
            assert model.shutting_down
            assert not model.processing, "shut_down_with_drain returned with work in flight"
        elif kind == "exit":
            assert model.shutting_down
            assert not model.queued(), "a worker stopped while keys were queued"
        else:  # pragma: no cover
            raise AssertionError(event)
    assert not model.queued()
    assert not model.dirty
    assert not model.processing
    for key, index in last_add.items():
        assert last_get.get(key, -1) > index, f"{key} was added after its last processing"
    return model


@given(SCENARIOS)
@example(  # the one worker is busy while c is raised above a, and b is added above both
    Scenario(
        steps=[
            (0.0, ("add", "x", 0)),
            (0.25, ("add", "a", LOW_PRIORITY)),
            (0.0, ("add", "c", LOW_PRIORITY)),
            (0.0, ("add", "c", 0)),
            (0.0, ("add", "b", 5)),
            (0.0, ("add", "x", LOW_PRIORITY)),
        ],
        work=[(1.0, "ok")],
        workers=1,
        limiter=(0.25, 2.0),
        tail=0.0,
    )
)
def test_the_queue_behaves_like_the_model(scenario: Scenario) -> None:
    log, registry = play(scenario)
    model = replay(log)
    labels = {"name": "prop"}
    assert registry.get_sample_value("workqueue_adds_total", labels) == model.adds
    assert registry.get_sample_value("workqueue_retries_total", labels) == model.retries
    assert registry.get_sample_value("workqueue_depth", labels) == 0
    gets = sum(1 for event in log if event[0] == "get")
    assert registry.get_sample_value("workqueue_queue_duration_seconds_count", labels) == gets
    assert registry.get_sample_value("workqueue_work_duration_seconds_count", labels) == gets


def test_a_busy_scenario_exercises_every_path() -> None:
    # A fixed scenario, so the suite covers delays, retries, priorities and requeues even if
    # the generated examples happen not to.
    steps: list[tuple[float, tuple[Any, ...]]] = [
        (0.0, ("add", "a", LOW_PRIORITY)),
        (0.0, ("add", "b", 0)),
        (0.0, ("add", "a", 0)),
        (0.0, ("add_after", "c", 1.0, 5)),
        (0.0, ("add_after", "c", 0.25, 0)),
        (0.25, ("add_rate_limited", "d", 0)),
        (0.5, ("add", "a", 0)),
        (1.0, ("forget", "d")),
        (1.0, ("add_after", "b", 3.0, 0)),
    ]
    work: list[tuple[float | None, str]] = [
        (0.5, "retry"),
        (None, "add"),
        (1.25, "ok"),
        (0.0, "retry"),
    ]
    log, _ = play(Scenario(steps, work, workers=2, limiter=(0.25, 2.0), tail=0.5))
    kinds = {event[0] for event in log}
    assert kinds == {"add", "fire", "delay", "retry", "get", "done", "shutdown", "drained", "exit"}
    replay(log)


@given(
    st.lists(st.tuples(st.sampled_from(["when", "forget"]), KEYS), max_size=60),
    LIMITERS,
)
def test_the_exponential_limiter_matches_its_formula(
    calls: list[tuple[str, str]], limiter_args: tuple[float, float]
) -> None:
    base, cap = limiter_args
    limiter: ItemExponentialFailureRateLimiter[str] = ItemExponentialFailureRateLimiter(base, cap)
    failures: dict[str, int] = defaultdict(int)
    for call, key in calls:
        if call == "when":
            assert limiter.when(key) == min(cap, base * 2 ** failures[key])
            failures[key] += 1
        else:
            limiter.forget(key)
            failures[key] = 0
        assert limiter.num_requeues(key) == failures[key]
