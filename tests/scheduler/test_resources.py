from __future__ import annotations

import pytest

from kube_actors.scheduler import Code, CycleState, NodeInfo, Snapshot
from kube_actors.scheduler.plugins import BalancedAllocation, NodeResourcesFit
from tests.scheduler.builders import container, node, pod

SMALL = node("small", "4", "8Gi")
BIG = node("big", "8", "32Gi")
BUSY = pod("busy", "1", "2Gi", node_name="small")


def info(n, *pods):
    return NodeInfo.build(n, pods)


def run_filter(p, n):
    plugin = NodeResourcesFit()
    state = CycleState()
    assert plugin.pre_filter(state, p, Snapshot((n,))).is_success
    return plugin.filter(state, p, n)


@pytest.mark.parametrize(
    ("incoming", "target", "code", "reasons"),
    [
        (pod("p", "2", "1Gi"), info(SMALL, BUSY), Code.SUCCESS, ()),
        (pod("p", "3500m"), info(SMALL, BUSY), Code.UNSCHEDULABLE, ("Insufficient cpu",)),
        (pod("p", "5"), info(SMALL), Code.UNSCHEDULABLE_AND_UNRESOLVABLE, ("Insufficient cpu",)),
        (
            pod("p", "3500m", "7Gi"),
            info(SMALL, BUSY),
            Code.UNSCHEDULABLE,
            ("Insufficient cpu", "Insufficient memory"),
        ),
        (pod("p", "1"), info(node("one", pods=1), BUSY), Code.UNSCHEDULABLE, ("Too many pods",)),
        # A pod requesting nothing passes on a full node (only the pod count applies).
        (pod("p"), info(node("full", "1", "1Gi"), pod("f", "1", "1Gi")), Code.SUCCESS, ()),
        (
            pod("p", containers=[container(extra={"example.com/gpu": "1"})]),
            info(SMALL),
            Code.UNSCHEDULABLE_AND_UNRESOLVABLE,
            ("Insufficient example.com/gpu",),
        ),
        (
            pod("p", containers=[container(extra={"example.com/gpu": "1"})]),
            info(node("gpu", extra={"example.com/gpu": "2"})),
            Code.SUCCESS,
            (),
        ),
        # The largest init container (3 cpu) counts, not the app containers' sum (1 cpu).
        (
            pod("p", "1", init_containers=(container("i", "3"),)),
            info(SMALL, BUSY),
            Code.SUCCESS,
            (),
        ),
        (
            pod("p", "1", init_containers=(container("i", "3100m"),)),
            info(SMALL, BUSY),
            Code.UNSCHEDULABLE,
            ("Insufficient cpu",),
        ),
    ],
)
def test_fit_filter(incoming, target, code, reasons):
    status = run_filter(incoming, target)
    assert status.code is code
    assert status.reasons == reasons


def score(plugin, p, n):
    state = CycleState()
    if hasattr(plugin, "pre_score"):
        assert plugin.pre_score(state, p, [n]).is_success
    return plugin.score(state, p, n)


A = info(SMALL, BUSY)  # 4 cpu / 8Gi with 1 cpu / 2Gi used
B = info(BIG)  # 8 cpu / 32Gi, empty


@pytest.mark.parametrize(
    ("args", "incoming", "target", "expected"),
    [
        # LeastAllocated: cpu (4000-2000)*100//4000 = 50, memory (8-4)*100//8 = 50.
        ({}, pod("p", "1", "2Gi"), A, 50),
        # cpu 7000*100//8000 = 87, memory 30*100//32 = 93 -> 180 // 2 = 90.
        ({}, pod("p", "1", "2Gi"), B, 90),
        # no requests: 100m and 200Mi assumed: cpu 98, memory 99 -> 98.
        ({}, pod("p"), B, 98),
        # MostAllocated: cpu 1000*100//8000 = 12, memory 2*100//32 = 6 -> 9.
        ({"type": "MostAllocated"}, pod("p", "1", "2Gi"), B, 9),
        ({"type": "MostAllocated"}, pod("p", "1", "2Gi"), A, 50),
        # Overcommitted resource: MostAllocated caps at 100, LeastAllocated gives 0.
        ({"type": "MostAllocated"}, pod("p", "9", "2Gi"), B, 53),
        ({}, pod("p", "9", "2Gi"), B, 46),
        # Weights: cpu 3, memory 1 -> (87*3 + 93) // 4 = 88.
        (
            {"resources": [{"name": "cpu", "weight": 3}, {"name": "memory", "weight": 1}]},
            pod("p", "1", "2Gi"),
            B,
            88,
        ),
        # RequestedToCapacityRatio, bin packing shape: utilization 12 and 6 -> round(9.0).
        (
            {
                "type": "RequestedToCapacityRatio",
                "requestedToCapacityRatio": {
                    "shape": [{"utilization": 0, "score": 0}, {"utilization": 100, "score": 10}]
                },
            },
            pod("p", "1", "2Gi"),
            B,
            9,
        ),
        # Shape (0,10)-(30,0) at 10% cpu: 100 + trunc(-100*10/30) = 100 - 33 = 67 (Go truncates).
        (
            {
                "type": "RequestedToCapacityRatio",
                "resources": [{"name": "cpu", "weight": 1}],
                "requestedToCapacityRatio": {
                    "shape": [{"utilization": 0, "score": 10}, {"utilization": 30, "score": 0}]
                },
            },
            pod("p", "400m"),
            info(SMALL),
            67,
        ),
        # Mean rounds half up: cpu util 50 -> 50, memory util 25 -> 25, (50 + 25) / 2 = 37.5 -> 38.
        (
            {
                "type": "RequestedToCapacityRatio",
                "requestedToCapacityRatio": {
                    "shape": [{"utilization": 0, "score": 0}, {"utilization": 100, "score": 10}]
                },
            },
            pod("p", "2", "2Gi"),
            info(SMALL),
            38,
        ),
    ],
)
def test_fit_score(args, incoming, target, expected):
    plugin = NodeResourcesFit({"scoringStrategy": args})
    assert score(plugin, incoming, target) == expected


def test_fit_rejects_unknown_strategy():
    with pytest.raises(ValueError, match="unknown"):
        NodeResourcesFit({"scoringStrategy": {"type": "Nope"}})
    with pytest.raises(ValueError, match="shape"):
        NodeResourcesFit({"scoringStrategy": {"type": "RequestedToCapacityRatio"}})


@pytest.mark.parametrize(
    ("args", "incoming", "target", "expected"),
    [
        # fractions 0.5 / 0.5 -> std 0 -> 100
        ({}, pod("p", "1", "2Gi"), A, 100),
        # fractions 1/8 and 2/32: std 0.03125 -> int(96.875) = 96
        ({}, pod("p", "1", "2Gi"), B, 96),
        # fraction capped at 1: cpu 9/8 -> 1, memory 2/32 -> std 0.46875 -> 53
        ({}, pod("p", "9", "2Gi"), B, 53),
        # three resources: 0.5, 0.5, 1.0 -> population std sqrt(1/18) -> 76
        (
            {"resources": [{"name": "cpu"}, {"name": "memory"}, {"name": "example.com/gpu"}]},
            pod("p", containers=[container(cpu="2", memory="4Gi", extra={"example.com/gpu": "1"})]),
            info(node("g", "4", "8Gi", extra={"example.com/gpu": "1"})),
            76,
        ),
    ],
)
def test_balanced_allocation(args, incoming, target, expected):
    assert score(BalancedAllocation(args), incoming, target) == expected


def test_balanced_allocation_skips_best_effort_pods():
    assert BalancedAllocation().pre_score(CycleState(), pod("p"), [B]).is_skip
