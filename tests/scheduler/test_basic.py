from __future__ import annotations

import pytest

from kube_actors.api import (
    Affinity,
    NodeSelector,
    NodeSelectorRequirement,
    NodeSelectorTerm,
    PodSchedulingGate,
    PreferredSchedulingTerm,
    Toleration,
)
from kube_actors.api import NodeAffinity as NodeAffinitySpec
from kube_actors.scheduler import TOTAL_NODES_KEY, Code, CycleState, NodeInfo, QueuedPod, Snapshot
from kube_actors.scheduler.plugins import (
    ImageLocality,
    NodeAffinity,
    NodeName,
    NodePorts,
    NodeUnschedulable,
    PrioritySort,
    SchedulingGates,
    TaintToleration,
)
from tests.scheduler.builders import MI, container, node, pod

OK = Code.SUCCESS
NO = Code.UNSCHEDULABLE_AND_UNRESOLVABLE


def run_filter(plugin, p, n):
    state = CycleState()
    if hasattr(plugin, "pre_filter"):
        pre = plugin.pre_filter(state, p, Snapshot((n,)))
        if pre.is_skip:
            return pre
    return plugin.filter(state, p, n)


def tol(key="", op="", value="", effect=""):
    return Toleration(key=key, operator=op, value=value, effect=effect)


@pytest.mark.parametrize(
    ("tolerations", "code"),
    [
        ((), NO),
        ((tol("node.kubernetes.io/unschedulable", "Exists", effect="NoSchedule"),), OK),
        ((tol(op="Exists"),), OK),
        ((tol("node.kubernetes.io/unschedulable", "Exists", effect="NoExecute"),), NO),
    ],
)
def test_node_unschedulable(tolerations, code):
    n = NodeInfo.build(node("n", unschedulable=True))
    status = run_filter(NodeUnschedulable(), pod(tolerations=tolerations), n)
    assert status.code is code
    assert run_filter(NodeUnschedulable(), pod(), NodeInfo.build(node("m"))).is_success


@pytest.mark.parametrize(("wanted", "code"), [("", OK), ("n", OK), ("other", NO)])
def test_node_name(wanted, code):
    assert run_filter(NodeName(), pod(node_name=wanted), NodeInfo.build(node("n"))).code is code


TAINTED = NodeInfo.build(
    node("t", taints=[("dedicated", "gpu", "NoSchedule"), ("soft", "", "PreferNoSchedule")])
)


@pytest.mark.parametrize(
    ("tolerations", "code", "reasons"),
    [
        ((), NO, ("node(s) had untolerated taint {dedicated: gpu}",)),
        ((tol("dedicated", "Equal", "gpu"),), OK, ()),
        (
            (tol("dedicated", "Equal", "cpu"),),
            NO,
            ("node(s) had untolerated taint {dedicated: gpu}",),
        ),
        ((tol("dedicated", "Exists", effect="NoSchedule"),), OK, ()),
        (
            (tol("dedicated", "Exists", effect="NoExecute"),),
            NO,
            ("node(s) had untolerated taint {dedicated: gpu}",),
        ),
        ((tol(op="Exists"),), OK, ()),
    ],
)
def test_taint_toleration_filter(tolerations, code, reasons):
    status = run_filter(TaintToleration(), pod(tolerations=tolerations), TAINTED)
    assert status.code is code
    assert status.reasons == reasons


def test_taint_toleration_score_counts_prefer_no_schedule_and_reverses():
    nodes = {
        "none": NodeInfo.build(node("none")),
        "one": NodeInfo.build(node("one", taints=[("a", "", "PreferNoSchedule")])),
        "two": NodeInfo.build(
            node("two", taints=[("a", "", "PreferNoSchedule"), ("b", "", "PreferNoSchedule")])
        ),
    }
    plugin = TaintToleration()
    state = CycleState()
    p = pod(tolerations=(tol("b", "Exists", effect="NoSchedule"),))  # wrong effect: no help
    raw = {name: plugin.score(state, p, n) for name, n in nodes.items()}
    assert raw == {"none": 0, "one": 1, "two": 2}
    assert plugin.normalize_scores(state, p, raw) == {"none": 100, "one": 50, "two": 0}
    p2 = pod(tolerations=(tol("b", "Exists"),))
    assert plugin.score(state, p2, nodes["two"]) == 1


def req(key, op, *values):
    return NodeSelectorRequirement(key=key, operator=op, values=values)


def affinity(required=None, preferred=()):
    return Affinity(
        node_affinity=NodeAffinitySpec(
            required_during_scheduling_ignored_during_execution=(
                None if required is None else NodeSelector(node_selector_terms=required)
            ),
            preferred_during_scheduling_ignored_during_execution=tuple(
                PreferredSchedulingTerm(weight=w, preference=t) for w, t in preferred
            ),
        )
    )


def term(*exprs, fields=()):
    return NodeSelectorTerm(match_expressions=exprs, match_fields=fields)


LABELLED = NodeInfo.build(node("n1", labels={"zone": "a", "cores": "16", "disk": "ssd"}))


@pytest.mark.parametrize(
    ("spec", "code"),
    [
        ({}, Code.SKIP),
        ({"node_selector": {"zone": "a"}}, OK),
        ({"node_selector": {"zone": "b"}}, NO),
        ({"affinity": affinity([term(req("zone", "In", "a", "b"))])}, OK),
        ({"affinity": affinity([term(req("zone", "NotIn", "a"))])}, NO),
        # terms are ORed
        ({"affinity": affinity([term(req("zone", "In", "b")), term(req("disk", "Exists"))])}, OK),
        # expressions are ANDed
        ({"affinity": affinity([term(req("zone", "In", "a"), req("gpu", "Exists"))])}, NO),
        ({"affinity": affinity([term(req("gpu", "DoesNotExist"))])}, OK),
        ({"affinity": affinity([term(req("cores", "Gt", "8"))])}, OK),
        ({"affinity": affinity([term(req("cores", "Lt", "8"))])}, NO),
        # Gt never matches a missing or non-integer label
        ({"affinity": affinity([term(req("missing", "Gt", "1"))])}, NO),
        ({"affinity": affinity([term(req("zone", "Gt", "1"))])}, NO),
        ({"affinity": affinity([term()])}, NO),
        ({"affinity": affinity([])}, NO),
        ({"affinity": affinity([term(fields=(req("metadata.name", "In", "n1"),))])}, OK),
        ({"affinity": affinity([term(fields=(req("metadata.name", "In", "n2"),))])}, NO),
        # nodeSelector AND affinity
        ({"node_selector": {"zone": "b"}, "affinity": affinity([term(req("disk", "Exists"))])}, NO),
    ],
)
def test_node_affinity_filter(spec, code):
    assert run_filter(NodeAffinity(), pod(**spec), LABELLED).code is code


def test_node_affinity_score_sums_preferred_weights_and_normalizes():
    p = pod(
        affinity=affinity(
            preferred=[(10, term(req("zone", "In", "a"))), (30, term(req("disk", "In", "ssd")))]
        )
    )
    nodes = {
        "both": NodeInfo.build(node("both", labels={"zone": "a", "disk": "ssd"})),
        "zone": NodeInfo.build(node("zone", labels={"zone": "a"})),
        "none": NodeInfo.build(node("none")),
    }
    plugin = NodeAffinity()
    state = CycleState()
    assert plugin.pre_score(state, p, list(nodes.values())).is_success
    raw = {name: plugin.score(state, p, n) for name, n in nodes.items()}
    assert raw == {"both": 40, "zone": 10, "none": 0}
    assert plugin.normalize_scores(state, p, raw) == {"both": 100, "zone": 25, "none": 0}
    assert plugin.pre_score(state, pod(), []).is_skip


def ported(*ports):
    return pod(containers=[container(ports=ports)])


@pytest.mark.parametrize(
    ("used", "wanted", "code"),
    [
        ((80, "", ""), (81, "", ""), OK),
        ((80, "", ""), (80, "", ""), Code.UNSCHEDULABLE),
        ((80, "", "TCP"), (80, "", "UDP"), OK),
        ((80, "", ""), (80, "", "TCP"), Code.UNSCHEDULABLE),
        ((80, "10.0.0.1", ""), (80, "10.0.0.2", ""), OK),
        ((80, "10.0.0.1", ""), (80, "10.0.0.1", ""), Code.UNSCHEDULABLE),
        # the wildcard IP conflicts with any IP, either way round
        ((80, "10.0.0.1", ""), (80, "", ""), Code.UNSCHEDULABLE),
        ((80, "0.0.0.0", ""), (80, "10.0.0.1", ""), Code.UNSCHEDULABLE),
    ],
)
def test_node_ports(used, wanted, code):
    n = NodeInfo.build(node("n"), [ported(used)])
    assert run_filter(NodePorts(), ported(wanted), n).code is code


def test_node_ports_skips_pods_without_host_ports():
    assert run_filter(NodePorts(), pod(), NodeInfo.build(node("n"))).is_skip


def test_image_locality_formula():
    size = 300 * MI
    nodes = [
        node("has", images=[("registry/app:v1", size)]),
        node("also", images=[("registry/app:v1", size)]),
        node("without"),
        node("tiny", images=[("registry/app:v1", 10 * MI)]),
    ]
    snap = Snapshot.build(nodes)
    p = pod(containers=[container(image="registry/app:v1")])
    state = CycleState()
    state.write(TOTAL_NODES_KEY, len(snap))
    plugin = ImageLocality()
    scores = {n.name: plugin.score(state, p, n) for n in snap.nodes}
    # spread 3/4: 300Mi * 0.75 = 225Mi -> 100 * (225 - 23) // (1000 - 23) = 20
    expected = 100 * (225 * MI - 23 * MI) // (1000 * MI - 23 * MI)
    assert scores == {"has": expected, "also": expected, "without": 0, "tiny": 0}
    assert expected == 20


def test_scheduling_gates_and_priority_sort():
    gated = pod(scheduling_gates=(PodSchedulingGate(name="a"), PodSchedulingGate(name="b")))
    status = SchedulingGates().pre_enqueue(gated)
    assert status.code is NO
    assert status.message == "waiting for scheduling gates: [a b]"
    assert SchedulingGates().pre_enqueue(pod()).is_success
    sort = PrioritySort()
    high, low = pod(priority=10), pod(priority=1)
    assert sort.less(QueuedPod(high, 5.0), QueuedPod(low, 1.0))
    assert sort.less(QueuedPod(low, 1.0), QueuedPod(low, 2.0))
    assert not sort.less(QueuedPod(low, 2.0), QueuedPod(low, 1.0))
