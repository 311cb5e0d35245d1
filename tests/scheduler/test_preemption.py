"""DefaultPreemption: victim selection with reprieve, node ranking, eligibility and messages.

Nodes have 1 CPU unless said otherwise, so "m" numbers below read as thousandths of a node.
Statuses come from running the profile's own filters, as the scheduler does, unless a test
needs to hand-craft them.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import attrs
import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from kube_actors.api import Affinity, LabelSelector, PodAffinity, PodAffinityTerm, Toleration
from kube_actors.runtime import PluginRegistry
from kube_actors.scheduler import (
    SCHEDULER_PLUGINS,
    Code,
    CycleState,
    NodeInfo,
    PostFilterResult,
    SchedulerCache,
    Snapshot,
    Status,
)
from kube_actors.scheduler.handle import SnapshotHandle
from kube_actors.scheduler.plugins.preemption import (
    ERR_NO_VICTIMS,
    ERR_NOT_HELPFUL,
    MSG_NOMINATED_NODE_TERMINATING,
    MSG_PREEMPTION_POLICY_NEVER,
    Candidate,
    DefaultPreemption,
    _NodeSwapper,
    _QuickDryRun,
    calculate_num_candidates,
    more_important_pod,
    pick_one_node_for_preemption,
)
from kube_actors.scheduler.profile import build_profile
from tests.scheduler.builders import container, node, pod

T0 = datetime(2024, 1, 1, tzinfo=UTC)
#: What preemption proposes when no node works: an empty nomination (the pod's is cleared).
NO_CANDIDATE = PostFilterResult(nominated_node=None)
MIN_INT32 = -(2**31)


def make(name, cpu, priority, node_name="", *, start=None, terminating=False, **spec):
    """A pod asking ``cpu`` millicores (an int) with ``priority``, started ``start`` minutes
    after T0 (``None``: not started)."""
    p = pod(name, cpu=f"{cpu}m", node_name=node_name, priority=priority, **spec)
    if start is not None:
        p = attrs.evolve(p, status=attrs.evolve(p.status, start_time=T0 + timedelta(minutes=start)))
    if terminating:
        p = attrs.evolve(p, metadata=attrs.evolve(p.metadata, deletion_timestamp=T0))
    return p


def preemptor(cpu=500, priority=100, **kw):
    return make("incoming", cpu, priority, **kw)


def preemption_profile(args=None):
    """The default profile plus DefaultPreemption at postFilter, from a private registry."""
    registry = PluginRegistry("kube_actors.test_preemption", "scheduler plugin")
    for name in SCHEDULER_PLUGINS.names():
        registry.register(name, SCHEDULER_PLUGINS.get(name))
    registry.register(DefaultPreemption.NAME, DefaultPreemption, replace=True)
    config = {"plugins": {"postFilter": {"enabled": [{"name": "DefaultPreemption"}]}}}
    if args is not None:
        config["pluginConfig"] = [{"name": "DefaultPreemption", "args": args}]
    return build_profile(config, registry=registry)


def run(nodes, pods, incoming, *, args=None, seed=0, statuses=None):
    profile = preemption_profile(args)
    assert profile.points["postFilter"] == ("DefaultPreemption",)
    handle = SnapshotHandle(profile, Snapshot.build(nodes, pods), random.Random(seed))
    if statuses is None:
        statuses = {i.name: handle.run_filters(incoming, i) for i in handle.snapshot.nodes}
    plugin = profile.plugins["DefaultPreemption"]
    return plugin.post_filter(CycleState(), incoming, statuses, handle)


def names(pods):
    return [p.metadata.name for p in pods]


# --- victims on one node ---------------------------------------------------------------------


def test_minimal_victims_with_reprieve_most_important_first():
    pods = [
        make("low", 200, 1, "n1", start=0),
        make("mid", 400, 2, "n1", start=0),
        make("high", 400, 3, "n1", start=0),
    ]
    result, status = run([node("n1", cpu="1")], pods, preemptor(cpu=400))
    assert status.is_success
    # Reprieve order high (fits: 400 + 400), mid (would need 1200), low (1000: fits again).
    assert result.nominated_node == "n1"
    assert names(result.victims) == ["mid"]


def test_pods_of_equal_or_higher_priority_are_never_victims():
    pods = [make("same", 500, 100, "n1"), make("low", 500, 1, "n1")]
    result, status = run([node("n1", cpu="1")], pods, preemptor(cpu=500))
    assert status.is_success
    assert names(result.victims) == ["low"]


def test_victims_listed_most_important_first():
    pods = [
        make("a", 300, 1, "n1", start=5),
        make("b", 300, 2, "n1", start=9),
        make("c", 300, 1, "n1", start=1),
        make("d", 100, 1, "n1"),
    ]
    result, _ = run([node("n1", cpu="1")], pods, preemptor(cpu=1000))
    # Priority first, then earlier start; no start time counts as latest.
    assert names(result.victims) == ["b", "c", "a", "d"]


def test_more_important_pod():
    assert more_important_pod(make("a", 1, 2), make("b", 1, 1))
    assert more_important_pod(make("a", 1, 1, start=0), make("b", 1, 1, start=1))
    assert more_important_pod(make("a", 1, 1, start=0), make("b", 1, 1))
    assert not more_important_pod(make("a", 1, 1), make("b", 1, 1))


# --- picking the node ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("n1_pods", "n2_pods", "expected"),
    [
        pytest.param(
            [(1000, 4, 0)],
            [(500, 3, 0), (500, 3, 0)],
            "n2",
            id="lower highest-victim priority beats fewer victims",
        ),
        pytest.param(
            [(500, 2, 0), (500, 2, 0)],
            [(500, 2, 0), (500, 1, 0)],
            "n2",
            id="smaller priority sum",
        ),
        pytest.param(
            [(200, 2, 0), (400, -5, 0), (400, -5, 0)],
            [(500, 2, 0), (500, 2, 0)],
            "n2",
            id="negative priorities do not make more victims cheaper",
        ),
        pytest.param(
            # Shifted sums tie (2**31 each), so the victim count decides.
            [(500, 0, 0), (500, MIN_INT32, 0)],
            [(1000, 0, 0)],
            "n2",
            id="fewer victims",
        ),
        pytest.param(
            [(1000, 2, 0)],
            [(1000, 2, 10)],
            "n2",
            id="latest start time of the highest-priority victims",
        ),
        pytest.param(
            [(500, 2, 10), (500, 1, 0)],
            [(500, 2, 5), (500, 1, 20)],
            "n1",
            id="start time only of the highest-priority victims counts",
        ),
        pytest.param(
            [(1000, 2, 10)],
            [(1000, 2, None)],
            "n2",
            id="a victim without start time counts as latest",
        ),
    ],
)
@pytest.mark.parametrize("seed", range(4))
def test_pick_node_by_each_criterion(n1_pods, n2_pods, expected, seed):
    pods = [
        make(f"{n}-{i}", cpu, prio, n, start=start)
        for n, spec in (("n1", n1_pods), ("n2", n2_pods))
        for i, (cpu, prio, start) in enumerate(spec)
    ]
    nodes = [node("n1", cpu="1"), node("n2", cpu="1")]
    result, status = run(nodes, pods, preemptor(cpu=1000), seed=seed)
    assert status.is_success
    # The offset (seed) changes the dry-run order but never the winner.
    assert result.nominated_node == expected


def test_pick_full_tie_goes_to_first_candidate():
    victim = (make("v", 1, 1),)
    assert (
        pick_one_node_for_preemption([Candidate("a", victim), Candidate("b", victim)]).node == "a"
    )
    assert pick_one_node_for_preemption([]) is None
    # PDB violations come first (always 0 here, but the ranking is complete).
    worse = Candidate("a", (make("v", 1, 0),), num_pdb_violations=1)
    assert pick_one_node_for_preemption([worse, Candidate("b", victim)]).node == "b"


# --- eligibility -----------------------------------------------------------------------------


def test_preemption_policy_never():
    result, status = run(
        [node("n1", cpu="1")],
        [make("low", 1000, 1, "n1")],
        preemptor(cpu=500, preemption_policy="Never"),
    )
    assert result is None
    assert status.code is Code.UNSCHEDULABLE
    assert (
        status.message
        == MSG_PREEMPTION_POLICY_NEVER
        == "not eligible due to preemptionPolicy=Never."
    )


def nominated(cpu=500, priority=100, node_name="n1"):
    p = preemptor(cpu=cpu, priority=priority)
    return attrs.evolve(p, status=attrs.evolve(p.status, nominated_node_name=node_name))


@pytest.mark.parametrize(
    ("first", "statuses", "message"),
    [
        pytest.param(
            make("gone", 500, 1, "n1", terminating=True),
            None,
            MSG_NOMINATED_NODE_TERMINATING,
            id="terminating lower-priority pod: wait for it",
        ),
        pytest.param(
            make("gone", 500, 200, "n1", terminating=True),
            None,
            None,
            id="terminating pod of higher priority does not count",
        ),
        pytest.param(make("gone", 500, 1, "n1"), None, None, id="nothing terminating"),
        pytest.param(
            make("gone", 500, 1, "n1", terminating=True),
            {"n1": Status.unresolvable("node(s) had untolerated taint")},
            f"0/1 nodes are available: 1 {ERR_NOT_HELPFUL}.",
            id="nominated node now unresolvable: eligible again",
        ),
    ],
)
def test_terminating_pod_on_nominated_node(first, statuses, message):
    pods = [first, make("low", 500, 1, "n1")]
    result, status = run([node("n1", cpu="1")], pods, nominated(), statuses=statuses)
    if message is None:
        assert status.is_success
        assert result.nominated_node == "n1"
        assert names(result.victims) == ["low"]
    else:
        assert result == (None if message == MSG_NOMINATED_NODE_TERMINATING else NO_CANDIDATE)
        assert status.code is Code.UNSCHEDULABLE
        assert status.message == message
    assert MSG_NOMINATED_NODE_TERMINATING == (
        "not eligible due to a terminating pod on the nominated node."
    )


# --- no candidate: the fit error -------------------------------------------------------------


def test_no_lower_priority_pods():
    result, status = run([node("n1", cpu="1")], [make("vip", 1000, 500, "n1")], preemptor())
    assert result == NO_CANDIDATE
    assert status.code is Code.UNSCHEDULABLE
    assert status.message == f"0/1 nodes are available: 1 {ERR_NO_VICTIMS}."
    assert (
        status.message == "0/1 nodes are available: 1 No preemption victims found for incoming pod."
    )


def test_fit_error_counts_each_reason():
    nodes = [
        node("vip1", cpu="1"),
        node("vip2", cpu="1"),
        node("tainted", cpu="1", taints=[("k", "v", "NoSchedule")]),
        node("tiny", cpu="100m"),
        node("mixed", cpu="1"),
    ]
    pods = [
        make("a", 1000, 500, "vip1"),
        make("b", 1000, 500, "vip2"),
        make("c", 1000, 1, "tainted"),
        make("d", 100, 1, "tiny"),
        # Removing the low-priority pod still leaves too little CPU.
        make("e", 800, 500, "mixed"),
        make("f", 200, 1, "mixed"),
    ]
    result, status = run(nodes, pods, preemptor(cpu=500))
    assert result == NO_CANDIDATE
    # "tainted" (untolerated taint) and "tiny" (request above allocatable) are unresolvable.
    assert status.message == (
        f"0/5 nodes are available: 1 Insufficient cpu, 2 {ERR_NO_VICTIMS}, 2 {ERR_NOT_HELPFUL}."
    )


def test_unresolvable_nodes_are_never_candidates():
    nodes = [node("n1", cpu="1"), node("n2", cpu="1"), node("n3", cpu="1")]
    pods = [make("a", 1000, 1, "n1"), make("b", 1000, 1, "n2"), make("c", 1000, 500, "n3")]
    unschedulable = Status.unschedulable("Insufficient cpu", plugin="NodeResourcesFit")
    statuses = {
        # n1 would work, but its filters said preemption cannot help.
        "n1": Status.unresolvable("node(s) didn't match Pod's node affinity/selector"),
        "n2": unschedulable,
        "n3": unschedulable,
    }
    for seed in range(5):
        result, status = run(nodes, pods, preemptor(), statuses=statuses, seed=seed)
        assert result.nominated_node == "n2"
    statuses["n2"] = statuses["n1"]
    result, status = run(nodes, pods, preemptor(), statuses=statuses)
    assert result == NO_CANDIDATE
    assert status.message == (
        "0/3 nodes are available: 1 No preemption victims found for incoming pod, "
        "2 Preemption is not helpful for scheduling."
    )


def test_no_potential_node_at_all():
    result, status = run(
        [node("n1", cpu="1")],
        [make("a", 1000, 1, "n1")],
        preemptor(),
        statuses={"n1": Status.unresolvable("x")},
    )
    assert result == NO_CANDIDATE
    assert status.message == "0/1 nodes are available: 1 Preemption is not helpful for scheduling."


def test_stale_status_where_the_pod_already_fits_is_an_error():
    statuses = {"n1": Status.unschedulable("Insufficient cpu")}
    result, status = run(
        [node("n1", cpu="1")], [make("a", 100, 1, "n1")], preemptor(), statuses=statuses
    )
    assert result is None
    assert status.code is Code.ERROR
    assert status.message == 'expected at least one victim pod on node "n1"'


# --- how many candidates ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("nodes", "pct", "absolute", "expected"),
    [(5000, 10, 100, 500), (500, 10, 100, 100), (30, 10, 100, 30), (10, 50, 1, 5), (10, 0, 1, 1)],
)
def test_calculate_num_candidates(nodes, pct, absolute, expected):
    assert calculate_num_candidates(nodes, pct, absolute) == expected


FIVE = [node(f"n{i}", cpu="1") for i in range(5)]
# Equally good everywhere except the start times, so a full dry run always picks n3.
FIVE_PODS = [make(f"v{i}", 1000, 1, f"n{i}", start=[1, 2, 3, 9, 4][i]) for i in range(5)]


@pytest.mark.parametrize("seed", range(6))
def test_min_candidate_nodes_absolute_stops_at_the_node_reached_from_the_offset(seed):
    args = {"minCandidateNodesPercentage": 0, "minCandidateNodesAbsolute": 1}
    result, status = run(FIVE, FIVE_PODS, preemptor(), args=args, seed=seed)
    assert status.is_success
    assert result.nominated_node == f"n{random.Random(seed).randrange(5)}"
    again, _ = run(FIVE, FIVE_PODS, preemptor(), args=args, seed=seed)
    assert again == result


@pytest.mark.parametrize("seed", range(6))
def test_default_args_dry_run_every_node_of_a_small_cluster(seed):
    result, _ = run(FIVE, FIVE_PODS, preemptor(), seed=seed)
    assert result.nominated_node == "n3"


def test_offset_walks_circularly_past_nodes_without_victims():
    pods = [*FIVE_PODS[:2], *(make(f"vip{i}", 1000, 500, f"n{i}") for i in range(2, 5))]
    args = {"minCandidateNodesPercentage": 0, "minCandidateNodesAbsolute": 1}
    for seed in range(6):
        offset = random.Random(seed).randrange(5)
        # From n2..n4 the walk wraps around to n0; n1 is reached only from itself.
        expected = "n1" if offset == 1 else "n0"
        result, _ = run(FIVE, pods, preemptor(), args=args, seed=seed)
        assert result.nominated_node == expected


@pytest.mark.parametrize(
    "args",
    [
        {"minCandidateNodesPercentage": 101},
        {"minCandidateNodesPercentage": -1},
        {"minCandidateNodesAbsolute": -1},
        {"minCandidateNodesPercentage": 0, "minCandidateNodesAbsolute": 0},
    ],
)
def test_invalid_args(args):
    with pytest.raises(ValueError, match="minCandidateNodes"):
        DefaultPreemption(args)


def test_args_reach_the_plugin_through_the_profile():
    profile = preemption_profile(
        {"minCandidateNodesPercentage": 30, "minCandidateNodesAbsolute": 2}
    )
    plugin = profile.plugins["DefaultPreemption"]
    assert plugin.name == "DefaultPreemption"
    assert (plugin.min_candidate_nodes_percentage, plugin.min_candidate_nodes_absolute) == (30, 2)
    assert plugin.num_candidates(100) == 30
    assert DefaultPreemption().num_candidates(5000) == 500


# --- property --------------------------------------------------------------------------------


@st.composite
def clusters(draw):
    num_nodes = draw(st.integers(1, 4))
    nodes = [node(f"n{i}", cpu=draw(st.sampled_from(["1", "2"]))) for i in range(num_nodes)]
    pods = []
    for i in range(num_nodes):
        for j in range(draw(st.integers(0, 4))):
            cpu = draw(st.integers(1, 8)) * 100
            prio = draw(st.integers(0, 5))
            start = draw(st.none() | st.integers(0, 3))
            pods.append(make(f"p{i}-{j}", cpu, prio, f"n{i}", start=start))
    incoming = preemptor(cpu=draw(st.integers(1, 15)) * 100, priority=draw(st.integers(0, 6)))
    return nodes, pods, incoming, draw(st.integers(0, 2**16))


# Example count and randomness come from the active project profile (ci / dev).
@settings()
@given(clusters())
def test_property_victims_make_room_and_rank_lower(cluster):
    nodes, pods, incoming, seed = cluster
    profile = preemption_profile()
    snapshot = Snapshot.build(nodes, pods)
    handle = SnapshotHandle(profile, snapshot, random.Random(seed))
    statuses = {i.name: handle.run_filters(incoming, i) for i in snapshot.nodes}
    plugin = profile.plugins["DefaultPreemption"]
    result, status = plugin.post_filter(CycleState(), incoming, statuses, handle)

    priority = incoming.spec.priority

    def fits_without(info, victims):
        for v in victims:
            info = info.without_pod(v)
        return handle.run_filters(incoming, info, snapshot.with_node(info)).is_success

    # Preemption could help exactly when some UNSCHEDULABLE node fits once all lower-priority
    # pods are gone (every node is dry-run in clusters this small).
    helpable = [
        i
        for i in snapshot.nodes
        if statuses[i.name].code is Code.UNSCHEDULABLE
        and fits_without(i, [p for p in i.pods if p.spec.priority < priority])
    ]
    event("nominated" if result != NO_CANDIDATE else "no candidate")
    if result == NO_CANDIDATE:
        assert status.code is Code.UNSCHEDULABLE
        assert not helpable
        return
    assert status.is_success
    assert helpable
    info = snapshot.get(result.nominated_node)
    assert statuses[info.name].code is Code.UNSCHEDULABLE
    assert result.victims
    assert all(v.spec.priority < priority for v in result.victims)
    assert {v.metadata.name for v in result.victims} <= {p.metadata.name for p in info.pods}
    assert fits_without(info, result.victims)


# --- what-if snapshots -----------------------------------------------------------------------

HOST = "kubernetes.io/hostname"
WEB = {"app": "web"}


def shy(name, priority, node_name):
    """A pod that wants no ``app=web`` pod on its host (required anti-affinity)."""
    p = make(name, 100, priority, node_name)
    term = PodAffinityTerm(topology_key=HOST, label_selector=LabelSelector(match_labels=WEB))
    aff = Affinity(
        pod_anti_affinity=PodAffinity(required_during_scheduling_ignored_during_execution=(term,))
    )
    return attrs.evolve(p, spec=attrs.evolve(p.spec, affinity=aff))


def web(priority):
    p = preemptor(cpu=100, priority=priority)
    return attrs.evolve(p, metadata=attrs.evolve(p.metadata, labels=WEB))


HOSTS = [node(f"n{i}", cpu="1", labels={HOST: f"n{i}"}) for i in range(3)]


def test_evicting_an_anti_affine_pod_lets_the_pod_in():
    pods = [shy("shy-low", 1, "n0"), shy("shy-vip", 500, "n1"), make("full", 1000, 500, "n2")]
    for seed in range(4):
        result, status = run(HOSTS, pods, web(100), seed=seed)
        assert status.is_success
        assert result.nominated_node == "n0"
        assert names(result.victims) == ["shy-low"]


@pytest.mark.parametrize("index", range(3))
def test_swapped_snapshot_matches_a_rebuilt_one(index):
    pods = [shy("a", 1, "n0"), shy("b", 1, "n1"), make("c", 100, 1, "n1"), make("d", 100, 1, "n2")]
    snapshot = Snapshot.build(HOSTS, pods)
    info = snapshot.nodes[index]
    for changed in (
        NodeInfo.build(info.node),
        info.with_pod(shy("new", 1, info.name)),
        info.without_pod(make("c", 100, 1, "n1")),
    ):
        swapped = _NodeSwapper(snapshot)(index, changed)
        rebuilt = Snapshot(snapshot.nodes).with_node(changed)
        assert swapped.nodes == rebuilt.nodes
        assert swapped.get(changed.name) is changed
        for attr in ("have_pods_with_affinity", "have_pods_with_required_anti_affinity"):
            assert [n.name for n in getattr(swapped, attr)] == [
                n.name for n in getattr(rebuilt, attr)
            ]
            # The dry-run copy itself is listed, not the snapshot's original node.
            assert all(n is changed for n in getattr(swapped, attr) if n.name == changed.name)


def test_the_cache_snapshot_equals_one_built_from_the_same_objects():
    """The scheduler cache's snapshot (rows read from its own list, node tuple and affinity
    lists built on first use) describes what Snapshot.build makes of the same objects."""
    pods = [shy("a", 1, "n0"), make("c", 100, 1, "n1"), shy("b", 1, "n2"), make("d", 10, 1, "n2")]
    cache = SchedulerCache()
    for n in HOSTS:
        cache.add_node(n)
    for p in pods:
        cache.add_pod(p)
    built = Snapshot.build(HOSTS, pods)
    live = cache.snapshot()
    assert len(live) == len(built) == 3
    assert [live.by_row[i] for i in range(3)] == list(built.nodes)
    assert live.get("n1") == built.get("n1")
    assert live.get("nope") is None
    for attr in ("have_pods_with_affinity", "have_pods_with_required_anti_affinity"):
        assert [n.name for n in getattr(live, attr)] == ["n0", "n2"]
    assert live.nodes == built.nodes
    assert live == built
    # A change makes a new snapshot; the new one sees it.
    cache.add_pod(make("e", 10, 1, "n1"))
    again = cache.snapshot()
    assert again is not live
    assert [p.metadata.name for p in again.get("n1").pods] == ["c", "e"]


# --- the quick dry run -----------------------------------------------------------------------


def with_port(p, port=8080):
    """``p`` also holding host ``port``."""
    c = container("port", cpu="1m", ports=((port, "", "TCP"),))
    return attrs.evolve(p, spec=attrs.evolve(p.spec, containers=(*p.spec.containers, c)))


def both_ways(nodes, pods, incoming, *, seed, profile=None):
    """(candidates, failures) of the quick dry run and of the long way, same inputs."""
    profile = profile or preemption_profile()
    snapshot = Snapshot.build(nodes, pods)
    handle = SnapshotHandle(profile, snapshot, random.Random(seed))
    statuses = {i.name: handle.run_filters(incoming, i) for i in snapshot.nodes}
    plugin = profile.plugins["DefaultPreemption"]
    out = []
    for quick in (True, False):
        plugin.quick_dry_run = quick
        handle = SnapshotHandle(profile, snapshot, random.Random(seed))
        out.append(plugin.find_candidates(incoming, statuses, handle))
    plugin.quick_dry_run = True
    return out, _QuickDryRun.prepare(incoming, SnapshotHandle(profile, snapshot, random.Random()))


@st.composite
def rich_clusters(draw):
    """Nodes and pods exercising every filter the quick dry run reasons about: pod counts,
    memory and an extended resource, taints, host ports, required anti-affinity."""
    nodes = []
    for i in range(draw(st.integers(1, 5))):
        taints = (("dedicated", "x", "NoSchedule"),) if draw(st.booleans()) else ()
        nodes.append(
            node(
                f"n{i}",
                cpu=draw(st.sampled_from(["1", "2"])),
                memory=draw(st.sampled_from(["1Gi", "2Gi"])),
                pods=draw(st.integers(2, 6)),
                labels={HOST: f"n{i}"},
                taints=taints,
                unschedulable=draw(st.integers(0, 9)) == 0,
                extra={"example.com/gpu": "2"} if draw(st.booleans()) else None,
            )
        )
    pods = []
    for i in range(len(nodes)):
        for j in range(draw(st.integers(0, 5))):
            prio = draw(st.integers(0, 5))
            start = draw(st.none() | st.integers(0, 3))
            kind = draw(st.sampled_from(["plain"] * 6 + ["port", "shy", "web"]))
            name, where = f"p{i}-{j}", f"n{i}"
            if kind == "shy":
                p = shy(name, prio, where)
            else:
                p = make(name, draw(st.integers(0, 8)) * 100, prio, where, start=start)
                if kind == "port":
                    p = with_port(p)
                if kind == "web":
                    p = attrs.evolve(p, metadata=attrs.evolve(p.metadata, labels=WEB))
            pods.append(p)
    mem = draw(st.sampled_from([None, "512Mi"]))
    gpu = draw(st.sampled_from([None, "1"]))
    extra = {"example.com/gpu": gpu} if gpu else None
    c = container(cpu=f"{draw(st.integers(0, 15)) * 100}m", memory=mem, extra=extra)
    incoming = pod("incoming", containers=(c,), priority=draw(st.integers(0, 6)))
    if draw(st.booleans()):
        incoming = with_port(incoming)
    if draw(st.booleans()):
        incoming = attrs.evolve(incoming, metadata=attrs.evolve(incoming.metadata, labels=WEB))
    if draw(st.integers(0, 3)) == 0:
        incoming = attrs.evolve(
            incoming,
            spec=attrs.evolve(
                incoming.spec, tolerations=(Toleration(key="dedicated", operator="Exists"),)
            ),
        )
    if draw(st.integers(0, 4)) == 0:
        term = PodAffinityTerm(topology_key=HOST, label_selector=LabelSelector(match_labels=WEB))
        aff = Affinity(
            pod_anti_affinity=PodAffinity(
                required_during_scheduling_ignored_during_execution=(term,)
            )
        )
        incoming = attrs.evolve(incoming, spec=attrs.evolve(incoming.spec, affinity=aff))
    return nodes, pods, incoming, draw(st.integers(0, 2**16))


@settings()
@given(rich_clusters())
def test_property_quick_dry_run_equals_the_long_way(cluster):
    nodes, pods, incoming, seed = cluster
    (quick, slow), prepared = both_ways(nodes, pods, incoming, seed=seed)
    event("quick" if prepared is not None else "long way only")
    event("candidates" if slow[0] else "no candidate")
    assert quick == slow


def test_quick_dry_run_on_the_benchmark_shape():
    """Four 900m low-priority pods and a 100m one per 4-CPU node; a 3-CPU priority-10 pod
    evicts three of the big ones (the first big one and the small one are reprieved)."""
    nodes = [node(f"n{i}", cpu="4", memory="32Gi") for i in range(3)]
    pods = [make(f"low{i}-{j}", 900, 0, f"n{i}", start=j) for i in range(3) for j in range(4)]
    pods += [make(f"small{i}", 100, 0, f"n{i}", start=9) for i in range(3)]
    (quick, slow), prepared = both_ways(nodes, pods, preemptor(cpu=3000, priority=10), seed=1)
    assert prepared is not None
    assert quick == slow
    candidates, failures = quick
    assert not failures
    assert sorted(names(c.victims) for c in candidates) == [
        [f"low{i}-1", f"low{i}-2", f"low{i}-3"] for i in range(3)
    ]


def test_quick_dry_run_leaves_nodes_with_port_holding_victims_to_the_long_way():
    nodes = [node("n0", cpu="1")]
    pods = [with_port(make("a", 500, 1, "n0")), make("b", 400, 1, "n0")]
    incoming = with_port(preemptor(cpu=500, priority=9))
    (quick, slow), prepared = both_ways(nodes, pods, incoming, seed=0)
    assert prepared is not None
    info = Snapshot.build(nodes, pods).nodes[0]
    assert prepared.select(incoming, info, list(info.pods)) is None
    assert quick == slow
    # The port holder must go even though the CPU would fit with it reprieved.
    assert [names(c.victims) for c in quick[0]] == [["a"]]


class _PickyFilter:
    """A third-party filter the quick dry run knows nothing about."""

    NAME = "Picky"
    name = "Picky"

    def __init__(self, args=None):
        pass

    def filter(self, state, pod, node):
        return Status.success()


def test_quick_dry_run_not_taken_with_an_unknown_filter_or_required_affinity():
    registry = PluginRegistry("kube_actors.test_preemption_picky", "scheduler plugin")
    for name in SCHEDULER_PLUGINS.names():
        registry.register(name, SCHEDULER_PLUGINS.get(name))
    registry.register("Picky", _PickyFilter)
    config = {
        "plugins": {
            "filter": {"enabled": [{"name": "Picky"}]},
            "postFilter": {"enabled": [{"name": "DefaultPreemption"}]},
        }
    }
    picky = build_profile(config, registry=registry)
    snapshot = Snapshot.build([node("n0", cpu="1")], [make("a", 900, 1, "n0")])
    handle = SnapshotHandle(picky, snapshot, random.Random(0))
    assert _QuickDryRun.prepare(preemptor(), handle) is None
    plain = SnapshotHandle(preemption_profile(), snapshot, random.Random(0))
    assert _QuickDryRun.prepare(preemptor(), plain) is not None
    term = PodAffinityTerm(topology_key=HOST, label_selector=LabelSelector(match_labels=WEB))
    aff = Affinity(
        pod_affinity=PodAffinity(required_during_scheduling_ignored_during_execution=(term,))
    )
    affine = attrs.evolve(preemptor(), spec=attrs.evolve(preemptor().spec, affinity=aff))
    assert _QuickDryRun.prepare(affine, plain) is None
