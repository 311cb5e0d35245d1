"""The vectorized path agrees with the per-node path on generated clusters."""

from __future__ import annotations

import random

import numpy as np
import pytest

from kube_actors.scheduler import CycleState, SchedulerCache, Snapshot
from kube_actors.scheduler.fast import NodeTable
from kube_actors.scheduler.plugins import BalancedAllocation, NodeResourcesFit
from tests.scheduler.builders import container, node, pod

GPU = "example.com/gpu"
RTCR = {
    "type": "RequestedToCapacityRatio",
    "requestedToCapacityRatio": {
        "shape": [
            {"utilization": 0, "score": 10},
            {"utilization": 30, "score": 3},
            {"utilization": 100, "score": 0},
        ]
    },
}
STRATEGIES = [
    {},
    {"type": "MostAllocated"},
    {"resources": [{"name": "cpu", "weight": 3}, {"name": "memory", "weight": 1}]},
    {"type": "MostAllocated", "resources": [{"name": "cpu"}, {"name": GPU, "weight": 2}]},
    RTCR,
]
BALANCED = [{}, {"resources": [{"name": "cpu"}, {"name": "memory"}, {"name": GPU}]}]


def random_container(rng, i):
    cpu = rng.choice([None, "0", "50m", "250m", "1", "1500m", "3"])
    memory = rng.choice([None, "64Mi", "512Mi", "1Gi", "3Gi", "10Gi"])
    extra = {GPU: str(rng.randint(1, 2))} if rng.random() < 0.15 else None
    return container(f"c{i}", cpu, memory, extra=extra)


def random_pod(rng, name, node_name=""):
    containers = [random_container(rng, i) for i in range(rng.randint(1, 3))]
    inits = tuple(random_container(rng, 10 + i) for i in range(rng.choice([0, 0, 1])))
    return pod(name, containers=containers, init_containers=inits, node_name=node_name)


def random_cluster(seed):
    rng = random.Random(seed)
    nodes = []
    for i in range(rng.randint(5, 40)):
        extra = {GPU: str(rng.randint(0, 4))} if rng.random() < 0.3 else None
        cpu = rng.choice(["1", "2", "4", "8", "16", "96"])
        memory = rng.choice(["2Gi", "4Gi", "16Gi", "64Gi", "512Gi"])
        nodes.append(node(f"n{i}", cpu, memory, rng.choice([3, 10, 110]), extra=extra))
    pods = [
        random_pod(rng, f"b{j}", rng.choice(nodes).metadata.name) for j in range(rng.randint(0, 80))
    ]
    incoming = [random_pod(rng, f"p{k}") for k in range(6)]
    incoming.append(pod("best-effort", containers=[container()]))
    return Snapshot.build(nodes, pods), incoming


@pytest.mark.parametrize("seed", range(25))
def test_fast_and_per_node_paths_agree(seed):
    snapshot, incoming = random_cluster(seed)
    table = NodeTable.from_snapshot(snapshot)
    for p in incoming:
        fit = NodeResourcesFit()
        state = CycleState()
        fit.pre_filter(state, p, snapshot)
        slow = [int(fit.filter(state, p, n).code) for n in snapshot.nodes]
        assert fit.filter_all(state, p, table).tolist() == slow
        for strategy in STRATEGIES:
            plugin = NodeResourcesFit({"scoringStrategy": strategy})
            state = CycleState()
            slow = [plugin.score(state, p, n) for n in snapshot.nodes]
            assert plugin.score_all(state, p, table).tolist() == slow, strategy
        for args in BALANCED:
            plugin = BalancedAllocation(args)
            state = CycleState()
            if plugin.pre_score(state, p, snapshot.nodes).is_skip:
                continue
            slow = [plugin.score(state, p, n) for n in snapshot.nodes]
            assert plugin.score_all(state, p, table).tolist() == slow, args


@pytest.mark.parametrize("seed", range(10))
def test_cache_table_and_sub_tables_equal_a_table_built_from_the_snapshot(seed):
    snapshot, incoming = random_cluster(seed)
    cache = SchedulerCache()
    for info in snapshot.nodes:
        cache.add_node(info.node)
    for info in snapshot.nodes:
        for p in info.pods:
            cache.add_pod(p)
    built = NodeTable.from_snapshot(snapshot)
    live = cache.table()
    rng = random.Random(seed)
    rows = np.array(rng.sample(range(len(built)), k=len(built) // 2), dtype=np.int64)
    for table, other in ((built, live), (built.take(rows), live.take(rows))):
        assert table.names == other.names
        assert table.resources == other.resources
        for name in ("allocatable", "requested", "non_zero_requested", "pods", "allowed_pods"):
            assert getattr(table, name).tolist() == getattr(other, name).tolist(), name
        for j, resource in enumerate(table.resources):
            assert table.allocatable_of(resource).tolist() == table.allocatable[:, j].tolist()
            assert other.requested_of(resource, non_zero=True).tolist() == (
                table.non_zero_requested[:, j].tolist()
            )
    sub = built.take(rows)
    assert sub.names == tuple(built.names[r] for r in rows.tolist())
    assert sub.requested.tolist() == built.requested[rows].tolist()
    for p in incoming:  # kernels over a sub-table score exactly its rows
        fit = NodeResourcesFit()
        state = CycleState()
        fit.pre_filter(state, p, snapshot)
        everywhere = fit.score_all(state, p, built)
        assert fit.score_all(state, p, sub).tolist() == everywhere[rows].tolist()


def test_table_columns_and_empty_cluster():
    snapshot = Snapshot.build([node("a", extra={GPU: "2"}), node("b")])
    table = NodeTable.from_snapshot(snapshot, extra=["example.com/fpga"])
    assert table.resources == ("cpu", "memory", "ephemeral-storage", "example.com/fpga", GPU)
    assert table.allocatable[:, 0].tolist() == [4000, 4000]
    assert table.column("nothing") is None
    empty = NodeTable.from_snapshot(Snapshot())
    assert len(empty) == 0
    fit = NodeResourcesFit()
    assert fit.filter_all(CycleState(), pod("p", "1"), empty).tolist() == []
    assert fit.score_all(CycleState(), pod("p", "1"), empty).tolist() == []
