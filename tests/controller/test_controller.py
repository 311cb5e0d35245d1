"""Controllers, the builder and the manager, in virtual time: what a reconcile's outcome does
to its request, how watches map events to requests, predicates, concurrency, leader election,
graceful shutdown and metrics."""

from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import attrs
import pytest
from prometheus_client import CollectorRegistry

from kube_actors.api import ConfigMap, ObjectMeta, OwnerReference, Secret, replace
from kube_actors.client import Client, LocalClient
from kube_actors.controller import (
    Controller,
    ControllerBuilder,
    Funcs,
    GenerationChangedPredicate,
    LabelChangedPredicate,
    LeaderElectionConfig,
    Manager,
    Request,
    Result,
    TerminalError,
    set_controller_reference,
)
from kube_actors.runtime import now, simulate, sleep
from kube_actors.store import APIServer

T = TypeVar("T")


def run(main: Callable[[Client], Awaitable[T]], seed: int = 0) -> T:
    async def entry() -> T:
        return await main(LocalClient(await APIServer.start()))

    return simulate(entry, seed=seed).value


def cm(name: str, **meta: Any) -> ConfigMap:
    return ConfigMap(metadata=ObjectMeta(name=name, namespace="default", **meta))


class Recorder:
    """A reconciler that records each call and answers what ``outcome(request, n)`` says
    (``n`` counts that request's calls from 1); an exception it returns is raised."""

    def __init__(self, outcome: Callable[[Request, int], Result | Exception] | None = None) -> None:
        self.calls: list[tuple[float, Request]] = []
        self._outcome = outcome or (lambda request, n: Result())

    def times(self, request: Request) -> list[float]:
        return [t for t, r in self.calls if r == request]

    async def reconcile(self, request: Request) -> Result:
        self.calls.append((now(), request))
        answer = self._outcome(request, len(self.times(request)))
        if isinstance(answer, Exception):
            raise answer
        return answer


async def started(manager: Manager) -> Manager:
    manager.start()
    await manager.wait_elected()
    return manager


def sample(manager: Manager, metric: str, /, **labels: str) -> float:
    value = manager.registry.get_sample_value(metric, labels)
    return 0.0 if value is None else value


WEB = Request("default", "web")

# --- what the outcome of a reconcile does -------------------------------------------------------


def test_success_forgets_and_reconciles_once() -> None:
    async def main(client: Client) -> None:
        await client.create(cm("web"))
        manager = Manager(client)
        recorder = Recorder()
        controller = ControllerBuilder(manager).for_(ConfigMap).complete(recorder)
        await started(manager)
        await sleep(5)
        assert [r for _, r in recorder.calls] == [WEB]
        assert controller.name == "configmap"
        assert controller.queue is not None
        assert controller.queue.num_requeues(WEB) == 0
        assert (
            sample(
                manager,
                "controller_runtime_reconcile_total",
                controller="configmap",
                result="success",
            )
            == 1
        )
        await manager.stop()

    run(main)


def test_errors_are_retried_with_exponential_backoff_then_forgotten() -> None:
    async def main(client: Client) -> None:
        manager = Manager(client)
        recorder = Recorder(lambda r, n: RuntimeError("boom") if n <= 3 else Result())
        controller = ControllerBuilder(manager).for_(ConfigMap).complete(recorder)
        await started(manager)
        await client.create(cm("web"))
        await sleep(5)
        times = recorder.times(WEB)
        assert len(times) == 4
        gaps = [b - a for a, b in itertools.pairwise(times)]
        assert gaps == pytest.approx([0.005, 0.010, 0.020])
        assert controller.queue is not None
        assert controller.queue.num_requeues(WEB) == 0  # success forgot the failures
        assert (
            sample(
                manager,
                "controller_runtime_reconcile_total",
                controller="configmap",
                result="error",
            )
            == 3
        )
        assert (
            sample(manager, "controller_runtime_reconcile_errors_total", controller="configmap")
            == 3
        )
        assert (
            sample(
                manager,
                "controller_runtime_reconcile_total",
                controller="configmap",
                result="success",
            )
            == 1
        )
        assert sample(manager, "workqueue_retries_total", name="configmap") == 3
        await manager.stop()

    run(main)


def test_requeue_after_waits_exactly_and_resets_the_backoff() -> None:
    async def main(client: Client) -> None:
        manager = Manager(client)
        failures = {"n": 0}

        def outcome(request: Request, n: int) -> Result | Exception:
            if n == 1:
                failures["n"] += 1
                return RuntimeError("first")
            return Result(requeue_after=2.5) if n == 2 else Result()

        recorder = Recorder(outcome)
        controller = ControllerBuilder(manager).for_(ConfigMap).complete(recorder)
        await started(manager)
        await client.create(cm("web"))
        await sleep(10)
        times = recorder.times(WEB)
        assert len(times) == 3
        assert times[1] - times[0] == pytest.approx(0.005)
        assert times[2] - times[1] == pytest.approx(2.5)
        assert controller.queue is not None
        assert controller.queue.num_requeues(WEB) == 0
        assert (
            sample(
                manager,
                "controller_runtime_reconcile_total",
                controller="configmap",
                result="requeue_after",
            )
            == 1
        )
        await manager.stop()

    run(main)


def test_requeue_true_is_rate_limited() -> None:
    async def main(client: Client) -> None:
        manager = Manager(client)
        recorder = Recorder(lambda r, n: Result(requeue=True) if n <= 2 else Result())
        ControllerBuilder(manager).for_(ConfigMap).complete(recorder)
        await started(manager)
        await client.create(cm("web"))
        await sleep(5)
        times = recorder.times(WEB)
        assert [b - a for a, b in itertools.pairwise(times)] == pytest.approx([0.005, 0.01])
        assert (
            sample(
                manager,
                "controller_runtime_reconcile_total",
                controller="configmap",
                result="requeue",
            )
            == 2
        )
        await manager.stop()

    run(main)


def test_a_terminal_error_is_not_retried_but_counted() -> None:
    async def main(client: Client) -> None:
        manager = Manager(client)
        recorder = Recorder(lambda r, n: TerminalError("invalid spec"))
        controller = ControllerBuilder(manager).for_(ConfigMap).complete(recorder)
        await started(manager)
        await client.create(cm("web"))
        await sleep(60)
        assert len(recorder.times(WEB)) == 1
        assert controller.queue is not None
        assert controller.queue.num_requeues(WEB) == 0
        assert (
            sample(
                manager,
                "controller_runtime_reconcile_total",
                controller="configmap",
                result="error",
            )
            == 1
        )
        assert (
            sample(manager, "controller_runtime_reconcile_errors_total", controller="configmap")
            == 1
        )
        assert (
            sample(
                manager,
                "controller_runtime_terminal_reconcile_errors_total",
                controller="configmap",
            )
            == 1
        )
        await manager.stop()

    run(main)


def test_a_reconcile_timeout_cancels_and_retries() -> None:
    async def main(client: Client) -> None:
        manager = Manager(client)
        calls: list[float] = []

        async def slow(request: Request) -> Result:
            calls.append(now())
            if len(calls) == 1:
                await sleep(100)
            return Result()

        ControllerBuilder(manager).for_(ConfigMap).with_options(reconcile_timeout=1.0).complete(
            slow
        )
        await started(manager)
        await client.create(cm("web"))
        await sleep(5)
        assert len(calls) == 2
        assert calls[1] - calls[0] == pytest.approx(1.005)
        assert (
            sample(manager, "controller_runtime_reconcile_errors_total", controller="configmap")
            == 1
        )
        await manager.stop()

    run(main)


# --- watches and predicates ---------------------------------------------------------------------


def test_owns_enqueues_the_controller_owner_of_the_primary_kind() -> None:
    async def main(client: Client) -> None:
        manager = Manager(client)
        recorder = Recorder()
        ControllerBuilder(manager).for_(ConfigMap).owns(Secret).complete(recorder)
        web = await client.create(cm("web"))
        await started(manager)
        await sleep(1)
        recorder.calls.clear()
        owned = set_controller_reference(
            web, Secret(metadata=ObjectMeta(name="web-tls", namespace="default"))
        )
        await client.create(owned)
        # Not controllers, or controllers of another kind: no request.
        other = OwnerReference(api_version="v1", kind="Secret", name="x", uid="1", controller=True)
        plain = OwnerReference(api_version="v1", kind="ConfigMap", name="y", uid="2")
        await client.create(
            Secret(metadata=ObjectMeta(name="s1", namespace="default", owner_references=(other,)))
        )
        await client.create(
            Secret(metadata=ObjectMeta(name="s2", namespace="default", owner_references=(plain,)))
        )
        await client.create(Secret(metadata=ObjectMeta(name="s3", namespace="default")))
        await sleep(1)
        assert [r for _, r in recorder.calls] == [WEB]
        await client.delete(Secret, "web-tls", namespace="default")
        await sleep(1)
        assert [r for _, r in recorder.calls] == [WEB, WEB]
        await manager.stop()

    run(main)


def test_watches_maps_with_a_function_and_owner_changes_notify_both() -> None:
    async def main(client: Client) -> None:
        manager = Manager(client)
        recorder = Recorder()

        def by_annotation(secret: Secret) -> list[Request]:
            target = secret.metadata.annotations.get("for", "")
            return [Request("default", target)] if target else []

        ControllerBuilder(manager).for_(ConfigMap).watches(Secret, by_annotation).complete(recorder)
        await started(manager)
        s = await client.create(
            Secret(metadata=ObjectMeta(name="s", namespace="default", annotations={"for": "a"}))
        )
        await sleep(1)
        await client.update(replace(s, metadata=replace(s.metadata, annotations={"for": "b"})))
        await sleep(1)
        names = [r.name for _, r in recorder.calls]
        assert names[0] == "a"
        assert sorted(names[1:]) == ["a", "b"]  # the new target and the old one
        await manager.stop()

    run(main)


def test_predicates_filter_events() -> None:
    async def main(client: Client) -> None:
        manager = Manager(client)
        recorder = Recorder()
        (
            ControllerBuilder(manager)
            .for_(ConfigMap, predicates=[Funcs(delete=lambda obj: False)])
            .with_event_filter(GenerationChangedPredicate())
            .complete(recorder)
        )
        await started(manager)
        made = await client.create(cm("web"))
        await sleep(1)
        assert len(recorder.calls) == 1  # create passes
        relabelled = await client.update(
            replace(made, metadata=replace(made.metadata, labels={"a": "b"}))
        )
        await sleep(1)
        assert len(recorder.calls) == 1  # metadata only: the generation did not change
        await client.update(replace(relabelled, data={"k": "v"}))
        await sleep(1)
        assert len(recorder.calls) == 2  # data is spec-like: new generation
        await client.delete(ConfigMap, "web", namespace="default")
        await sleep(1)
        assert len(recorder.calls) == 2  # deletes filtered by the custom predicate
        await manager.stop()

    run(main)


def test_label_changed_predicate() -> None:
    async def main(client: Client) -> None:
        manager = Manager(client)
        recorder = Recorder()
        ControllerBuilder(manager).for_(ConfigMap).with_event_filter(
            LabelChangedPredicate()
        ).complete(recorder)
        await started(manager)
        made = await client.create(cm("web"))
        await sleep(1)
        made = await client.update(replace(made, data={"k": "v"}))
        await sleep(1)
        assert len(recorder.calls) == 1
        await client.update(replace(made, metadata=replace(made.metadata, labels={"a": "b"})))
        await sleep(1)
        assert len(recorder.calls) == 2
        await manager.stop()

    run(main)


def test_live_events_overtake_the_initial_list() -> None:
    async def main(client: Client) -> None:
        for i in range(5):
            await client.create(cm(f"old-{i}"))
        manager = Manager(client)
        order: list[str] = []

        async def slow(request: Request) -> Result:
            order.append(request.name)
            await sleep(1)
            return Result()

        ControllerBuilder(manager).for_(ConfigMap).complete(slow)
        await started(manager)
        await sleep(0.5)
        await client.create(cm("new"))
        await sleep(10)
        assert len(order) == 6
        assert order.index("new") == 1  # right after the one in flight when it arrived
        await manager.stop()

    run(main)


# --- concurrency --------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(3))
def test_max_concurrent_reconciles_never_runs_one_key_twice_at_once(seed: int) -> None:
    async def main(client: Client) -> None:
        manager = Manager(client)
        in_flight: set[Request] = set()
        peak = {"n": 0}
        overlaps: list[Request] = []
        done: list[Request] = []

        async def reconcile(request: Request) -> Result:
            if request in in_flight:
                overlaps.append(request)
            in_flight.add(request)
            peak["n"] = max(peak["n"], len(in_flight))
            await sleep(0.3)
            in_flight.discard(request)
            done.append(request)
            return Result()

        ControllerBuilder(manager).for_(ConfigMap).with_options(
            max_concurrent_reconciles=3
        ).complete(reconcile)
        await started(manager)
        objects = [await client.create(cm(f"c{i}")) for i in range(4)]
        for round_ in range(10):
            for i, obj in enumerate(objects):
                objects[i] = await client.update(replace(obj, data={"round": str(round_)}))
            await sleep(0.1)
        await sleep(10)
        assert overlaps == []
        assert peak["n"] == 3
        assert {r.name for r in done} == {"c0", "c1", "c2", "c3"}
        await manager.stop()

    run(main, seed)


def test_stop_drains_in_flight_reconciles() -> None:
    async def main(client: Client) -> None:
        manager = Manager(client)
        finished: list[float] = []

        async def slow(request: Request) -> Result:
            await sleep(3)
            finished.append(now())
            return Result()

        ControllerBuilder(manager).for_(ConfigMap).complete(slow)
        await started(manager)
        await client.create(cm("web"))
        await sleep(1)
        await manager.stop()
        assert len(finished) == 1  # the reconcile in flight was let finish
        assert not manager.controllers[0].running

    run(main)


# --- the manager ---------------------------------------------------------------------------------


def test_names_must_be_unique_and_a_primary_kind_is_required() -> None:
    async def main(client: Client) -> None:
        manager = Manager(client)
        ControllerBuilder(manager).for_(ConfigMap).complete(Recorder())
        with pytest.raises(ValueError, match="already"):
            ControllerBuilder(manager).for_(ConfigMap).complete(Recorder())
        with pytest.raises(ValueError, match="for_"):
            ControllerBuilder(manager).named("x").complete(Recorder())
        with pytest.raises(ValueError, match="at least 1"):
            Controller("x", Recorder(), max_concurrent_reconciles=0)

    run(main)


def test_two_managers_with_leader_election_run_each_controller_once_and_hand_over() -> None:
    async def main() -> None:
        server = await APIServer.start()
        calls: list[tuple[str, str]] = []

        def make(identity: str) -> Manager:
            client = LocalClient(server)
            config = LeaderElectionConfig(lease_name="websites", identity=identity)
            manager = Manager(client, leader_election=config)

            async def reconcile(request: Request) -> Result:
                calls.append((identity, request.name))
                return Result()

            ControllerBuilder(manager).for_(ConfigMap).complete(reconcile)
            return manager

        client = LocalClient(server)
        await client.create(cm("one"))
        a, b = make("a"), make("b")
        a.start()
        await a.wait_elected()
        b.start()
        await sleep(5)
        await client.create(cm("two"))
        await sleep(5)
        assert a.is_leader
        assert not b.is_leader
        assert calls == [("a", "one"), ("a", "two")]
        stopped = now()
        await a.stop()
        await b.wait_elected()
        # a released the lease: b takes over within a couple of retry periods, not 15 s.
        assert now() - stopped < 10
        await sleep(1)
        assert sorted(calls[2:]) == [("b", "one"), ("b", "two")]  # b's initial list
        await client.create(cm("three"))
        await sleep(1)
        assert calls[-1] == ("b", "three")
        assert len(calls) == 5
        await b.stop()

    simulate(main, seed=0)


def test_metrics_live_in_each_managers_own_registry() -> None:
    async def main(client: Client) -> None:
        registry = CollectorRegistry()
        first = Manager(client, registry=registry)
        second = Manager(client)
        assert first.registry is registry
        assert second.registry is not registry
        for manager in (first, second):
            ControllerBuilder(manager).named("cms").for_(ConfigMap).complete(Recorder())
        await started(first)
        await client.create(cm("web"))
        await sleep(1)
        assert (
            sample(first, "controller_runtime_reconcile_total", controller="cms", result="success")
            == 1
        )
        assert (
            sample(first, "controller_runtime_reconcile_time_seconds_count", controller="cms") == 1
        )
        assert sample(first, "workqueue_adds_total", name="cms") == 1
        assert sample(first, "controller_runtime_max_concurrent_reconciles", controller="cms") == 1
        # The second manager never ran: its series exist, at zero.
        assert (
            second.registry.get_sample_value(
                "controller_runtime_reconcile_total", {"controller": "cms", "result": "success"}
            )
            == 0
        )
        await first.stop()

    run(main)


def test_event_recorders_write_events() -> None:
    async def main(client: Client) -> None:
        from kube_actors.api import Event as KubeEvent

        manager = Manager(client)
        recorder = manager.event_recorder("website-controller")
        assert manager.event_recorder("website-controller") is recorder

        async def reconcile(request: Request) -> Result:
            obj = await client.get(ConfigMap, request.name, namespace=request.namespace)
            recorder.event(obj, "Normal", "Seen", "reconciled")
            return Result()

        ControllerBuilder(manager).for_(ConfigMap).complete(reconcile)
        await started(manager)
        await client.create(cm("web"))
        await sleep(1)
        await manager.stop()
        events = (await client.list(KubeEvent, namespace="default")).items
        assert [(e.reason, e.involved_object.name) for e in events] == [("Seen", "web")]

    run(main)


def test_request_is_a_hashable_value() -> None:
    assert {Request("a", "b"), Request("a", "b")} == {Request("a", "b")}
    assert Request.for_object(cm("web")) == WEB
    assert Result() == Result(requeue=False, requeue_after=0.0)
    assert attrs.has(Result)
    assert attrs.has(Request)
