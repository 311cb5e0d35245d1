"""The scheduler component end to end, against the in-process API server, in virtual time."""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kube_actors.api import Event, Node, Pod, Toleration, replace
from kube_actors.client import LocalClient
from kube_actors.runtime import PluginRegistry, simulate, sleep
from kube_actors.scheduler import (
    SCHEDULER_PLUGINS,
    Code,
    Scheduler,
    Status,
    build_profile,
    explain,
    pod_requests,
)
from kube_actors.store import APIServer
from tests.scheduler.builders import container, node
from tests.scheduler.builders import pod as _pod

PAUSE = "registry.k8s.io/pause:3.10"


def pod(name: str, cpu: str | None = None, memory: str | None = None, **spec: Any) -> Pod:
    """A pod the API server accepts (it needs an image)."""
    containers = spec.pop("containers", None) or [container(cpu=cpu, memory=memory)]
    containers = [replace(c, image=c.image or PAUSE) for c in containers]
    return _pod(name, containers=containers, **spec)


def run(main: Callable[[LocalClient], Awaitable[Any]], seed: int = 1) -> Any:
    async def wrapper() -> Any:
        client = LocalClient(await APIServer.start())
        return await main(client)

    return simulate(wrapper, seed=seed, time_limit=3600).value


async def events(client: LocalClient, reason: str) -> list[Event]:
    return [e for e in (await client.list(Event, namespace="default")).items if e.reason == reason]


def test_pods_are_bound_with_condition_and_event() -> None:
    async def main(client: LocalClient) -> None:
        for i in range(3):
            await client.create(node(f"n{i}", cpu="2"))
        scheduler = Scheduler(client)
        scheduler.start()
        for i in range(6):
            await client.create(pod(f"p{i}", "500m"))
        await scheduler.wait_idle()
        await scheduler.stop()
        pods = (await client.list(Pod, namespace="default")).items
        assert all(p.spec.node_name for p in pods)
        # LeastAllocated spreads six equal pods two per node.
        per_node: dict[str, int] = {}
        for p in pods:
            per_node[p.spec.node_name] = per_node.get(p.spec.node_name, 0) + 1
            [cond] = [c for c in p.status.conditions if c.type == "PodScheduled"]
            assert cond.status == "True"
        assert sorted(per_node.values()) == [2, 2, 2]
        scheduled = await events(client, "Scheduled")
        assert {e.message for e in scheduled} == {
            f"Successfully assigned default/{p.metadata.name} to {p.spec.node_name}" for p in pods
        }
        assert scheduler.stats.scheduled == 6
        assert scheduler.cache.pod_count == 6

    run(main)


def test_a_high_priority_pod_preempts_a_lower_one_and_is_nominated() -> None:
    """Preemption through the running scheduler: the cycle's PostFilter works on the cache's
    snapshot, the victim is evicted with a Preempted event, the preemptor is nominated."""

    async def main(client: LocalClient) -> None:
        for i in range(2):
            await client.create(node(f"n{i}", cpu="1"))
        scheduler = Scheduler(client)
        scheduler.start()
        await client.create(pod("low", "600m", priority=1))
        await client.create(pod("lower", "600m", priority=0))
        await scheduler.wait_idle()
        await client.create(pod("vip", "600m", priority=1000))
        await scheduler.wait_idle()
        await sleep(1)
        await scheduler.wait_idle()
        vip = await client.get(Pod, "vip", namespace="default")
        lower = await client.get(Pod, "lower", namespace="default")
        assert scheduler.stats.preemptions == 1
        assert vip.status.nominated_node_name == lower.spec.node_name
        [preempted] = await events(client, "Preempted")
        assert preempted.involved_object.name == "lower"
        assert (
            preempted.message
            == f"Preempted by pod {vip.metadata.uid} on node {lower.spec.node_name}"
        )
        assert lower.metadata.deletion_timestamp is not None  # evicted (graceful deletion)
        await scheduler.stop()

    run(main)


def test_unschedulable_pod_gets_event_condition_and_is_retried_on_node_add() -> None:
    async def main(client: LocalClient) -> None:
        await client.create(node("small", cpu="1"))
        await client.create(node("tainted", cpu="8", taints=[("dedicated", "db", "NoSchedule")]))
        scheduler = Scheduler(client)
        scheduler.start()
        await client.create(pod("big", "4"))
        await scheduler.wait_idle()
        await sleep(1)
        message = (
            "0/2 nodes are available: 1 Insufficient cpu, "
            "1 node(s) had untolerated taint {dedicated: db}. "
            "preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling."
        )
        [failed] = await events(client, "FailedScheduling")
        assert failed.type == "Warning"
        assert failed.message == message
        big = await client.get(Pod, "big", namespace="default")
        [cond] = [c for c in big.status.conditions if c.type == "PodScheduled"]
        assert (cond.status, cond.reason, cond.message) == ("False", "Unschedulable", message)
        assert not big.spec.node_name
        assert scheduler.queue.counts().unschedulable == 1
        # A node where it fits: the NodeAdd event moves the pod back and it is bound.
        await client.create(node("large", cpu="8"))
        await sleep(15)
        await scheduler.wait_idle()
        big = await client.get(Pod, "big", namespace="default")
        assert big.spec.node_name == "large"
        await scheduler.stop()

    run(main)


def test_pods_of_other_schedulers_are_left_alone_and_profiles_apply() -> None:
    async def main(client: LocalClient) -> None:
        await client.create(node("a", cpu="4"))
        await client.create(node("b", cpu="4"))
        packer = build_profile(
            {
                "schedulerName": "bin-packer",
                "plugins": {
                    "score": {
                        "disabled": [{"name": "*"}],
                        "enabled": [{"name": "NodeResourcesFit"}],
                    }
                },
                "pluginConfig": [
                    {
                        "name": "NodeResourcesFit",
                        "args": {"scoringStrategy": {"type": "MostAllocated"}},
                    }
                ],
            }
        )
        scheduler = Scheduler(client, profiles=[packer])
        scheduler.start()
        await client.create(pod("other", "100m", scheduler_name="default-scheduler"))
        for i in range(4):
            await client.create(pod(f"packed{i}", "500m", scheduler_name="bin-packer"))
        await scheduler.wait_idle()
        await scheduler.stop()
        other = await client.get(Pod, "other", namespace="default")
        assert not other.spec.node_name
        nodes = {
            (await client.get(Pod, f"packed{i}", namespace="default")).spec.node_name
            for i in range(4)
        }
        assert len(nodes) == 1  # MostAllocated packs them onto one node

    run(main)


class _FlakyBinder:
    """Fails the first bind of every pod (an error status, or raising with ``raise: true``),
    then defers to the default binder."""

    def __init__(self, args: Any = None) -> None:
        self.seen: set[str] = set()
        self.raises = bool((args or {}).get("raise"))

    @property
    def name(self) -> str:
        return "FlakyBinder"

    async def bind(self, client: Any, state: Any, p: Pod, node_name: str) -> Status:
        if p.metadata.name not in self.seen:
            self.seen.add(p.metadata.name)
            if self.raises:
                raise RuntimeError("flaky")
            return Status.error("flaky")
        return Status.skip()


@pytest.mark.parametrize("raises", [False, True])
def test_failed_binding_forgets_the_pod_and_retries(raises: bool) -> None:
    registry = PluginRegistry("kube_actors.test_scheduler_plugins", "scheduler plugin")
    for name in SCHEDULER_PLUGINS.names():
        registry.register(name, SCHEDULER_PLUGINS.get(name))
    registry.register("FlakyBinder", _FlakyBinder)
    binders = [{"name": "FlakyBinder"}, {"name": "DefaultBinder"}]
    profile = build_profile(
        {
            "plugins": {"bind": {"disabled": [{"name": "*"}], "enabled": binders}},
            "pluginConfig": [{"name": "FlakyBinder", "args": {"raise": raises}}],
        },
        registry=registry,
    )

    async def main(client: LocalClient) -> None:
        await client.create(node("n", cpu="1"))
        scheduler = Scheduler(client, profiles=[profile])
        scheduler.start()
        await client.create(pod("p", "600m"))
        await scheduler.wait_idle()
        await sleep(5)  # the backoff
        await scheduler.wait_idle()
        p = await client.get(Pod, "p", namespace="default")
        assert p.spec.node_name == "n"
        assert scheduler.stats.bind_failures == 1
        assert scheduler.stats.scheduled == 1
        [failed] = await events(client, "FailedScheduling")
        reason = "RuntimeError: flaky" if raises else "flaky"
        assert failed.message == f"running FlakyBinder: {reason}"
        # The forgotten assumption did not leak: the node holds exactly the one pod.
        info = scheduler.cache.get("n")
        assert info is not None
        assert [x.metadata.name for x in info.pods] == ["p"]
        # The binders survived the failure: another pod (failed once too) still gets bound.
        await client.create(pod("q", "100m"))
        await scheduler.wait_idle()
        await sleep(5)
        await scheduler.wait_idle()
        assert (await client.get(Pod, "q", namespace="default")).spec.node_name == "n"
        await scheduler.stop()

    run(main)


# --- the property: whatever the workload, decisions are sound --------------------------------

node_specs = st.lists(
    st.tuples(
        st.sampled_from(["1", "2", "4"]),
        st.sampled_from(["1Gi", "4Gi"]),
        st.sampled_from([2, 5, 110]),
        st.booleans(),  # tainted
    ),
    min_size=1,
    max_size=6,
)
pod_specs = st.lists(
    st.tuples(
        st.sampled_from([None, "100m", "700m", "1500m"]),
        st.sampled_from([None, "256Mi", "1Gi", "3Gi"]),
        st.booleans(),  # tolerates the taint
        st.sampled_from([None, "zone-a", "zone-b"]),  # node selector
        st.booleans(),  # deleted later
    ),
    min_size=1,
    max_size=15,
)


@settings(max_examples=25, deadline=None)
@given(node_specs, pod_specs, st.integers(0, 2**16))
def test_scheduled_pods_pass_every_filter_and_nodes_are_never_overcommitted(
    nodes_in: list[tuple[str, str, int, bool]],
    pods_in: list[tuple[str | None, str | None, bool, str | None, bool]],
    seed: int,
) -> None:
    async def main(client: LocalClient) -> None:
        nodes: list[Node] = []
        for i, (cpu, memory, max_pods, tainted) in enumerate(nodes_in):
            n = node(
                f"n{i}",
                cpu,
                memory,
                max_pods,
                labels={"zone": "zone-a" if i % 2 else "zone-b"},
                taints=[("dedicated", "x", "NoSchedule")] if tainted else [],
            )
            nodes.append(await client.create(n))
        scheduler = Scheduler(client, rng=random.Random(seed))
        scheduler.start()
        to_delete = []
        for j, (cpu, memory, tolerates, selector, delete) in enumerate(pods_in):
            spec: dict[str, Any] = {}
            if tolerates:
                spec["tolerations"] = (Toleration(key="dedicated", operator="Exists"),)
            if selector:
                spec["node_selector"] = {"zone": selector}
            await client.create(
                pod(f"p{j}", containers=[container(cpu=cpu, memory=memory)], **spec)
            )
            if delete:
                to_delete.append(f"p{j}")
            if j % 4 == 3:
                await sleep(0.5)
        for name in to_delete[: len(to_delete) // 2]:
            await client.delete(Pod, name, namespace="default", grace_period_seconds=0)
        await sleep(30)
        await scheduler.wait_idle()
        await scheduler.stop()

        pods = list((await client.list(Pod, namespace="default")).items)
        bound = [p for p in pods if p.spec.node_name]
        for n in nodes:
            here = [p for p in bound if p.spec.node_name == n.metadata.name]
            cpu = sum(pod_requests(p).milli_cpu for p in here)
            memory = sum(pod_requests(p).memory for p in here)
            alloc = n.status.allocatable
            assert cpu <= alloc["cpu"].milli_value()
            assert memory <= alloc["memory"].value()
            assert len(here) <= alloc["pods"].value()
        for p in bound:
            others = [o for o in bound if o is not p]
            unbound = replace(p, spec=replace(p.spec, node_name=""))
            verdict = explain(unbound, nodes, others)
            assert p.spec.node_name in verdict.feasible, (p.metadata.name, verdict.message)
        for p in pods:
            if not p.spec.node_name and p.metadata.deletion_timestamp is None:
                # Left pending only when it really fits nowhere.
                assert explain(p, nodes, bound).feasible == ()

    run(main, seed=seed)


def test_cycle_result_code_for_unresolvable_pod() -> None:
    async def main(client: LocalClient) -> None:
        await client.create(node("n", cpu="1"))
        scheduler = Scheduler(client)
        scheduler.start()
        await client.create(pod("huge", "64"))
        await scheduler.wait_idle()
        assert scheduler.stats.unschedulable == 1
        result = scheduler._frameworks["default-scheduler"].schedule(pod("huge", "64"))
        assert result.code is Code.UNSCHEDULABLE_AND_UNRESOLVABLE
        await scheduler.stop()

    run(main)
