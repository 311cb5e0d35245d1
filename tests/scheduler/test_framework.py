from __future__ import annotations

import pytest

from kube_actors.api import (
    Affinity,
    PodAffinity,
    PodAffinityTerm,
    parse_quantity,
    replace,
)
from kube_actors.scheduler import (
    SCHEDULER_PLUGINS,
    Code,
    CycleState,
    FilterPlugin,
    NodeInfo,
    ScorePlugin,
    Snapshot,
    Status,
    default_normalize_score,
    pod_requests,
)
from kube_actors.scheduler.nodeinfo import HostPort
from kube_actors.scheduler.plugins import NodePorts, NodeResourcesFit, TaintToleration
from tests.scheduler.builders import GI, MI, container, node, pod


def test_status_helpers():
    s = Status.unresolvable("a", "b", plugin="X")
    assert s.code is Code.UNSCHEDULABLE_AND_UNRESOLVABLE
    assert s.is_rejected
    assert not s.is_success
    assert s.message == "a, b"
    assert s.with_plugin("Y").plugin == "Y"
    assert Status.skip().is_skip
    assert Status.error("boom").code is Code.ERROR


def test_cycle_state_read_write_delete():
    state = CycleState()
    state.write("k", 1)
    assert state.read("k") == 1
    state.delete("k")
    state.delete("k")
    assert state.read("k") is None


def test_pod_requests_max_of_sum_and_largest_init_plus_overhead():
    p = pod(
        containers=[container("a", "100m", "100Mi"), container("b", "200m", "300Mi")],
        init_containers=(container("i1", "250m", "1Gi"), container("i2", "500m")),
        overhead={"cpu": parse_quantity("10m"), "memory": parse_quantity("1Mi")},
    )
    r = pod_requests(p)
    assert r.milli_cpu == 510
    assert r.memory == GI + MI


def test_pod_requests_sidecars_add_to_sum_and_later_inits():
    p = pod(
        containers=[container("a", "100m")],
        init_containers=(container("side", "200m", restart="Always"), container("i", "250m")),
    )
    # sidecar 200m runs beside the app (300m) and beside the later init (450m).
    assert pod_requests(p).milli_cpu == 450


def test_pod_requests_non_zero_defaults_fill_missing_only():
    p = pod(containers=[container("a"), container("b", "0", "1Gi")])
    nz = pod_requests(p, non_zero=True)
    assert nz.milli_cpu == 100
    assert nz.memory == 200 * MI + GI
    assert pod_requests(p).milli_cpu == 0


def test_node_info_sums_pods_and_ports():
    n = node("n1")
    p1 = pod("p1", "1", "1Gi", node_name="n1")
    p2 = pod("p2", containers=[container(ports=[(80, "", "")])], node_name="n1")
    info = NodeInfo.build(n, [p1, p2])
    assert info.requested.milli_cpu == 1000
    assert info.non_zero_requested.milli_cpu == 1100
    assert info.non_zero_requested.memory == GI + 200 * MI
    assert info.used_ports == (HostPort("0.0.0.0", "TCP", 80),)
    assert info.allocatable.pods == 110


def test_replacing_a_pod_equals_removing_then_adding_it():
    """The fast path (same requests, ports and affinity objects) and the general one agree
    with removing the old version and adding the new one."""
    n = node("n1")
    ported = container(ports=[(80, "", "")])
    affinity = Affinity(
        pod_anti_affinity=PodAffinity(
            required_during_scheduling_ignored_during_execution=(
                PodAffinityTerm(topology_key="kubernetes.io/hostname"),
            )
        )
    )
    p1 = pod("p1", "1", "1Gi", node_name="n1")
    p2 = pod("p2", containers=[ported], node_name="n1", affinity=affinity)
    p3 = pod("p3", "200m", node_name="n1", affinity=affinity)
    info = NodeInfo.build(n, [p1, p2, p3])
    bound = replace(p2, metadata=replace(p2.metadata, resource_version="9"))  # same footprint
    grown = replace(p1, spec=replace(p1.spec, containers=(container(cpu="2"),)))
    for old, new in ((p2, bound), (p1, grown), (p3, bound)):
        got = info.with_pod_replaced(old, new)
        assert got == info.without_pod(old).with_pod(new)
        assert [p.metadata.name for p in got.pods][-1] == new.metadata.name
    assert info.with_pod_replaced(p2, bound).pods_with_required_anti_affinity[-1] is bound
    assert info.with_pod_replaced(p1, grown).requested.milli_cpu == 2000 + 200


def test_snapshot_places_pods_and_counts_images():
    nodes = [node("a", images=[("nginx", 10)]), node("b", images=[("nginx:latest", 10)])]
    snap = Snapshot.build(nodes, [pod("x", "1", node_name="a"), pod("y", node_name="zzz")])
    assert len(snap) == 2
    a = snap.get("a")
    assert a is not None
    assert len(a.pods) == 1
    assert a.image_states["nginx:latest"].num_nodes == 2
    assert snap.get("missing") is None


def test_registry_has_builtins_and_protocols_detect_points():
    assert "NodeResourcesFit" in SCHEDULER_PLUGINS
    fit = SCHEDULER_PLUGINS.get("NodeResourcesFit")({})
    assert isinstance(fit, FilterPlugin)
    assert isinstance(fit, ScorePlugin)
    assert isinstance(NodePorts(), FilterPlugin)
    assert not isinstance(NodePorts(), ScorePlugin)
    assert isinstance(TaintToleration(), ScorePlugin)
    assert isinstance(NodeResourcesFit(), NodeResourcesFit)


@pytest.mark.parametrize(
    ("raw", "reverse", "expected"),
    [
        ({"a": 0, "b": 0}, False, {"a": 0, "b": 0}),
        ({"a": 0, "b": 0}, True, {"a": 100, "b": 100}),
        ({"a": 1, "b": 3}, False, {"a": 33, "b": 100}),
        ({"a": 1, "b": 3}, True, {"a": 67, "b": 0}),
    ],
)
def test_default_normalize_score(raw, reverse, expected):
    assert default_normalize_score(raw, reverse=reverse) == expected
