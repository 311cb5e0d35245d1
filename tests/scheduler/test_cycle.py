"""The scheduling cycle over the cache agrees with explain(); sampling, round robin, memo."""

from __future__ import annotations

import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kube_actors.api import (
    Affinity,
    NodeAffinity,
    NodeSelector,
    NodeSelectorRequirement,
    NodeSelectorTerm,
    PreferredSchedulingTerm,
    Toleration,
    replace,
)
from kube_actors.runtime import PluginRegistry
from kube_actors.scheduler import (
    SCHEDULER_PLUGINS,
    Code,
    CycleState,
    SchedulerCache,
    Status,
    build_profile,
    default_profile,
    explain,
)
from kube_actors.scheduler.cycle import Framework
from kube_actors.scheduler.explain import num_feasible_nodes_to_find
from tests.scheduler.builders import cache_of, container, node, pod

ZONES = ("a", "b", "c")
IMAGES = (("img:1", 500 * 2**20), ("img:2", 900 * 2**20))


def random_node(rng: random.Random, i: int):
    taints = []
    if rng.random() < 0.2:
        taints.append(("dedicated", rng.choice(["x", "y"]), "NoSchedule"))
    if rng.random() < 0.3:
        taints.append(("soft", "", "PreferNoSchedule"))
    images = [im for im in IMAGES if rng.random() < 0.4]
    return node(
        f"n{i:03d}",
        rng.choice(["1", "2", "4", "8"]),
        rng.choice(["2Gi", "8Gi", "32Gi"]),
        rng.choice([3, 10, 110]),
        labels={"zone": rng.choice(ZONES), "kubernetes.io/hostname": f"n{i:03d}"},
        taints=taints,
        unschedulable=rng.random() < 0.05,
        images=images,
    )


def random_pod(rng: random.Random, name: str, node_name: str = ""):
    cpu = rng.choice([None, "100m", "500m", "1", "3"])
    memory = rng.choice([None, "128Mi", "1Gi", "6Gi"])
    image = rng.choice(["img:1", "img:2", "other:3"])
    ports = [(8080, "", "TCP")] if rng.random() < 0.1 else []
    spec: dict = {}
    if rng.random() < 0.3:
        spec["tolerations"] = (Toleration(key="dedicated", operator="Exists"),)
    if rng.random() < 0.3:
        spec["node_selector"] = {"zone": rng.choice(ZONES)}
    if rng.random() < 0.3:
        term = NodeSelectorTerm(
            match_expressions=(
                NodeSelectorRequirement(key="zone", operator="In", values=(rng.choice(ZONES),)),
            )
        )
        spec["affinity"] = Affinity(
            node_affinity=NodeAffinity(
                preferred_during_scheduling_ignored_during_execution=(
                    PreferredSchedulingTerm(weight=rng.randint(1, 100), preference=term),
                ),
                required_during_scheduling_ignored_during_execution=(
                    NodeSelector(node_selector_terms=(term,)) if rng.random() < 0.3 else None
                ),
            )
        )
    c = container(cpu=cpu, memory=memory, image=image, ports=ports)
    return pod(name, containers=[c], node_name=node_name, **spec)


def cluster(seed: int):
    rng = random.Random(seed)
    nodes = [random_node(rng, i) for i in range(rng.randint(3, 40))]
    bound = [
        random_pod(rng, f"b{j}", rng.choice(nodes).metadata.name) for j in range(rng.randint(0, 60))
    ]
    incoming = [random_pod(rng, f"p{k}") for k in range(8)]
    return nodes, bound, incoming


@pytest.mark.parametrize("seed", range(30))
def test_cycle_matches_explain(seed: int) -> None:
    nodes, bound, incoming = cluster(seed)
    profile = default_profile()
    framework = Framework(profile, cache_of(nodes, bound), random.Random(0))
    for p in incoming:
        want = explain(p, nodes, bound, profile=profile)
        feasible, totals = framework.evaluate_all(p)
        assert feasible == want.feasible, p.metadata.name
        if len(feasible) > 1:
            assert totals == {n: want.nodes[n].total for n in feasible}


@pytest.mark.parametrize("seed", range(10))
def test_schedule_selects_a_top_scoring_feasible_node(seed: int) -> None:
    nodes, bound, incoming = cluster(100 + seed)
    profile = default_profile()
    framework = Framework(profile, cache_of(nodes, bound), random.Random(seed))
    for p in incoming:
        result = framework.schedule(p)
        want = explain(p, nodes, bound, profile=profile)
        if not want.feasible:
            assert result.node is None
            # The default profile's DefaultPreemption adds its own verdict after the fit error.
            head, _, tail = result.message.partition(" preemption: ")
            assert head == want.message
            assert tail.startswith("0/") or result.post_filter is not None
            assert result.code in (Code.UNSCHEDULABLE, Code.UNSCHEDULABLE_AND_UNRESOLVABLE)
            continue
        assert result.node in want.feasible
        if len(want.feasible) > 1:
            best = max(want.nodes[n].total for n in want.feasible)
            assert want.nodes[result.node].total == best


def test_memo_follows_node_changes() -> None:
    nodes = [node(f"n{i}", labels={"zone": "a"}) for i in range(5)]
    cache = cache_of(nodes, [])
    framework = Framework(default_profile(), cache, random.Random(0))
    wanted = pod("p", "100m", node_selector={"zone": "b"})
    assert framework.schedule(wanted).node is None
    # Relabel one node: only that row is re-evaluated, and the pod now fits there.
    cache.update_node(replace(nodes[3], metadata=replace(nodes[3].metadata, labels={"zone": "b"})))
    assert framework.schedule(wanted).node == "n3"
    cache.update_node(node("n3", labels={"zone": "a"}, taints=[("t", "", "NoSchedule")]))
    result = framework.schedule(wanted)
    assert result.node is None
    # TaintToleration runs before NodeAffinity: n3's first failure is now its taint.
    assert result.message == (
        "0/5 nodes are available: 1 node(s) had untolerated taint {t: }, "
        "4 node(s) didn't match Pod's node affinity/selector. "
        "preemption: 0/5 nodes are available: 5 Preemption is not helpful for scheduling."
    )


def test_sampling_and_round_robin() -> None:
    nodes = [node(f"n{i:03d}") for i in range(300)]
    cache = cache_of(nodes, [])
    framework = Framework(default_profile(), cache, random.Random(0))
    # 300 nodes: 50 - 300 // 125 = 48% -> 144 nodes are enough.
    first = framework.schedule(pod("a", "100m"))
    assert (first.evaluated, first.feasible) == (144, 144)
    second = framework.schedule(pod("b", "100m"))
    # The next search starts where the last stopped: 144, and wraps round.
    assert (second.evaluated, second.feasible) == (144, 144)
    assert int(first.node[1:]) < 144 <= int(second.node[1:]) < 288


def test_sampling_counts_infeasible_nodes_examined() -> None:
    nodes = [
        node(f"n{i:03d}", taints=[("t", "", "NoSchedule")] if i % 2 else []) for i in range(300)
    ]
    framework = Framework(default_profile(), cache_of(nodes, []), random.Random(0))
    result = framework.schedule(pod("a", "100m"))
    assert result.feasible == 144
    assert result.evaluated == 287  # the 144th untainted node is n286
    assert int(result.node[1:]) % 2 == 0


def test_assumed_pod_is_seen_by_the_next_cycle() -> None:
    cache = cache_of([node("small", cpu="1"), node("big", cpu="2")], [])
    framework = Framework(default_profile(), cache, random.Random(0))
    a = pod("a", "1500m")
    first = framework.schedule(a)
    assert first.node == "big"
    cache.assume_pod(replace(a, spec=replace(a.spec, node_name="big")))
    second = framework.schedule(pod("b", "1500m"))
    assert second.node is None
    assert second.message == (
        "0/2 nodes are available: 2 Insufficient cpu. preemption: 0/2 nodes are available: "
        "1 No preemption victims found for incoming pod, "
        "1 Preemption is not helpful for scheduling."
    )
    assert second.unschedulable_plugins == {"NodeResourcesFit"}


def test_nominated_node_is_tried_first() -> None:
    nodes = [node("a", cpu="8"), node("b", cpu="1")]
    framework = Framework(default_profile(), cache_of(nodes, []), random.Random(0))
    p = pod("p", "500m")
    p = replace(p, status=replace(p.status, nominated_node_name="b"))
    assert framework.schedule(p).node == "b"  # LeastAllocated alone would pick a


def test_no_nodes() -> None:
    framework = Framework(default_profile(), SchedulerCache(), random.Random(0))
    result = framework.schedule(pod("p"))
    assert result.node is None
    assert result.message.startswith("0/0 nodes are available")


@pytest.mark.parametrize("seed", range(12))
def test_memos_stay_equal_to_a_fresh_framework_as_the_cache_changes(seed: int) -> None:
    """Node-local and node-static memos caught up row by row (and recomputed in full after
    many changes) give what a framework with no memos computes on the same cache."""
    rng = random.Random(seed)
    nodes = [random_node(rng, i) for i in range(30)]
    bound = [random_pod(rng, f"b{j}", rng.choice(nodes).metadata.name) for j in range(20)]
    incoming = [random_pod(rng, f"p{k}") for k in range(8)]
    cache = cache_of(nodes, bound)
    profile = default_profile()
    kept = Framework(profile, cache, random.Random(0))
    template = pod("t", "250m", memory="256Mi")
    placed = []
    scored = 0
    for step in range(40):
        # The same pod shape over and over (the memos' common case), and now and then another.
        p = template if rng.random() < 0.7 else rng.choice(incoming)
        p = replace(p, metadata=replace(p.metadata, name=f"s{step}", uid=f"s{step}"))
        got = kept.evaluate_all(p)
        assert got == Framework(profile, cache, random.Random(0)).evaluate_all(p)
        scored += len(got[1]) > 1
        result = kept.schedule(p)
        if result.node is not None:
            assumed = replace(p, spec=replace(p.spec, node_name=result.node))
            cache.assume_pod(assumed)
            placed.append(assumed)
        roll = rng.random()
        if roll < 0.15 and placed:
            cache.forget_pod(placed.pop(rng.randrange(len(placed))))
        elif roll < 0.25:
            for q in range(40):  # more changes than a memo catches up one by one
                extra = random_pod(rng, f"x{step}-{q}", rng.choice(nodes).metadata.name)
                cache.add_pod(extra)
        elif roll < 0.5:
            cache.update_node(random_node(rng, rng.randrange(len(nodes))))
    assert scored > 10  # the totals were compared, not only empty results


class _Rows:
    """Stands in for a snapshot: ``len`` and ``nodes[row]`` (the row itself)."""

    def __init__(self, n: int) -> None:
        self.nodes = self.by_row = list(range(n))

    def __len__(self) -> int:
        return len(self.nodes)


class _RejectRows:
    name = "RejectRows"

    def __init__(self, rejected: set[int]) -> None:
        self.rejected = rejected

    def filter(self, state, pod, row):
        return Status.unschedulable("no") if row in self.rejected else Status.success()


@settings(max_examples=60, deadline=None)
@given(
    st.integers(1, 1500),
    st.floats(0.0, 1.0),
    st.integers(0, 10**6),
    st.integers(0, 100),
    st.booleans(),
    st.randoms(use_true_random=False),
)
def test_find_feasible_walks_rows_round_robin_like_the_straightforward_loop(
    n, density, start, percentage, dynamic, rng
):
    """Chunked scanning finds the same rows, in the same order, and counts the same examined
    rows as walking every row from the start position one by one."""
    codes = [
        np.array([0 if rng.random() < density else 1 for _ in range(n)], dtype=np.int64)
        for _ in range(2)
    ]
    rejected = {r for r in range(n) if rng.random() < 0.2} if dynamic else set()
    framework = Framework(default_profile(), SchedulerCache(), random.Random(0))
    framework.percentage = percentage or None
    framework._next_start = start
    filters = [_RejectRows(rejected)] if dynamic else []
    rows, examined = framework._find_feasible(CycleState(), None, _Rows(n), codes, filters)
    want = num_feasible_nodes_to_find(n, percentage or None)
    expected, expected_examined = [], n
    for k in range(n):
        row = (start % n + k) % n
        if all(c[row] == 0 for c in codes) and row not in rejected:
            expected.append(row)
            if len(expected) == want:
                expected_examined = k + 1
                break
    assert rows.tolist() == expected
    assert examined == expected_examined


class _Overflowing:
    """A third-party score plugin whose normalization leaves the 0..100 range."""

    def __init__(self, args=None) -> None:
        pass

    @property
    def name(self) -> str:
        return "Overflowing"

    def score(self, state, pod, node) -> int:
        return 7

    def normalize_scores(self, state, pod, scores):
        return dict.fromkeys(scores, 150)


def test_a_plugin_normalizing_outside_the_range_is_reported_by_name() -> None:
    registry = PluginRegistry("kube_actors.test_cycle_plugins", "scheduler plugin")
    for name in SCHEDULER_PLUGINS.names():
        registry.register(name, SCHEDULER_PLUGINS.get(name))
    registry.register("Overflowing", _Overflowing)
    profile = build_profile(
        {"plugins": {"score": {"enabled": [{"name": "Overflowing", "weight": 1}]}}},
        registry=registry,
    )
    framework = Framework(profile, cache_of([node("a"), node("b")], []), random.Random(0))
    with pytest.raises(ValueError, match=r"Overflowing normalized a score outside 0\.\.100"):
        framework.schedule(pod("p", "100m"))


@pytest.mark.parametrize("ports", [False, True])
def test_failure_message_names_each_nodes_first_rejection(ports: bool) -> None:
    """When nothing fits, each node is reported by its first rejecting filter, whether every
    filter has a whole-cluster form or (a host port: NodePorts runs per node) some do not."""
    web = container(cpu="100m", ports=[(8080, "", "")])
    used = pod("web", node_name="full", containers=[web])
    nodes = [
        node("small", cpu="1"),
        node("tainted", taints=[("dedicated", "db", "NoSchedule")]),
        node("off", unschedulable=True),
        node("full", cpu="2"),
        node("tiny", cpu="1", pods=1),
    ]
    c = container(cpu="2", ports=[(8080, "", "")] if ports else [])
    incoming = pod("p", containers=[c])
    bound = [used]
    framework = Framework(default_profile(), cache_of(nodes, bound), random.Random(0))
    result = framework.schedule(incoming)
    want = explain(incoming, nodes, bound, profile=default_profile())
    assert result.node is None
    assert result.message.partition(" preemption: ")[0] == want.message
    assert ("1 node(s) didn't have free ports" in want.message) is ports


@pytest.mark.parametrize("seed", range(6))
def test_repeated_failures_report_each_nodes_current_reasons(seed: int) -> None:
    """The failure path keeps each node's rejection until its row changes: failing again
    and again while pods come and go gives the message a fresh framework gives."""
    rng = random.Random(seed)
    nodes = [
        node(f"n{i}", cpu=rng.choice(["1", "2"]), memory="1Gi", pods=rng.randint(1, 4))
        for i in range(12)
    ]
    cache = cache_of(nodes, [])
    profile = default_profile()
    kept = Framework(profile, cache, random.Random(0))
    big = pod("big", "2500m", memory="600Mi")
    placed = []
    reasons = set()
    for step in range(30):
        p = replace(big, metadata=replace(big.metadata, name=f"big{step}", uid=f"big{step}"))
        result = kept.schedule(p)
        fresh = Framework(profile, cache, random.Random(0)).schedule(p)
        assert result.node is None
        assert result.message == fresh.message
        reasons.update(
            r
            for r in ("Insufficient cpu", "Insufficient memory", "Too many pods")
            if r in result.message
        )
        if placed and rng.random() < 0.4:
            cache.remove_pod(placed.pop(rng.randrange(len(placed))))
        else:
            for _ in range(rng.randint(1, 3)):
                where = rng.choice(nodes).metadata.name
                small = pod(f"s{step}-{len(placed)}", "300m", memory="300Mi", node_name=where)
                cache.add_pod(small)
                placed.append(small)
    assert reasons == {"Insufficient cpu", "Insufficient memory", "Too many pods"}
