from __future__ import annotations

import json
import random

import pytest

from kube_actors.api import PodStatus, Toleration
from kube_actors.runtime import PluginRegistry
from kube_actors.scheduler import (
    SCHEDULER_PLUGINS,
    Code,
    Status,
    build_profile,
    default_normalize_score,
    explain,
    num_feasible_nodes_to_find,
)
from tests.scheduler.builders import container, node, pod

NODES = [
    node("small", "2", "4Gi"),
    node("medium", "4", "8Gi"),
    node("large", "8", "16Gi"),
]


def test_least_allocated_picks_the_emptiest_node():
    e = explain(pod("p", "1", "1Gi"), NODES)
    assert e.feasible == ("small", "medium", "large")
    assert e.selected == "large"
    large = e.nodes["large"]
    by_plugin = {s.plugin: s for s in large.scores}
    # cpu (8000-1000)*100//8000 = 87, memory (16-1)*100//16 = 93 -> 90
    assert by_plugin["NodeResourcesFit"].raw == 90
    assert by_plugin["NodeResourcesFit"].normalized == 90
    assert by_plugin["TaintToleration"].weighted == 300
    # fractions 1/8 and 1/16 -> int((1 - 1/32) * 100) = 96
    assert by_plugin["NodeResourcesBalancedAllocation"].raw == 96
    assert large.total == sum(s.weighted for s in large.scores)
    # PreScore skipped for NodeAffinity (no preferred terms), PodTopologySpread (no labels,
    # so no default constraints) and InterPodAffinity (no affinity anywhere): no scores.
    for skipped in ("NodeAffinity", "PodTopologySpread", "InterPodAffinity"):
        assert skipped not in by_plugin
    assert {s.plugin: s.status.code for s in e.pre_score} == {
        "NodeAffinity": Code.SKIP,
        "PodTopologySpread": Code.SKIP,
        "InterPodAffinity": Code.SKIP,
        "NodeResourcesBalancedAllocation": Code.SUCCESS,
    }


def test_most_allocated_profile_picks_the_fullest_fitting_node():
    profile = build_profile(
        {
            "pluginConfig": [
                {"name": "NodeResourcesFit", "args": {"scoringStrategy": {"type": "MostAllocated"}}}
            ]
        }
    )
    e = explain(pod("p", "1", "1Gi"), NODES, profile=profile)
    assert e.selected == "small"


def test_every_filter_is_recorded_and_no_node_fits_message():
    nodes = [
        node("a", "1", "1Gi"),
        node("b", "1", "1Gi"),
        node(
            "cp", "8", "8Gi", taints=[("node-role.kubernetes.io/control-plane", "", "NoSchedule")]
        ),
    ]
    e = explain(pod("p", "2"), nodes)
    assert e.selected is None
    assert e.feasible == ()
    a = e.nodes["a"]
    statuses = {f.plugin: f.status for f in a.filters}
    assert statuses["NodeResourcesFit"].reasons == ("Insufficient cpu",)
    assert statuses["NodeResourcesFit"].code is Code.UNSCHEDULABLE_AND_UNRESOLVABLE
    assert statuses["NodeName"].is_success
    assert statuses["NodePorts"].is_skip
    assert e.message == (
        "0/3 nodes are available: 1 node(s) had untolerated taint "
        "{node-role.kubernetes.io/control-plane: }, 2 Insufficient cpu."
    )


def test_single_feasible_node_skips_scoring():
    e = explain(pod("p", "3"), NODES)
    assert e.feasible == ("medium", "large")
    e = explain(pod("p", "5"), NODES)
    assert e.feasible == ("large",)
    assert e.selected == "large"
    assert e.nodes["large"].scores == ()


def test_existing_pods_count():
    # large is busy: 7 of 8 cpus used, so the medium node wins.
    busy = pod("busy", "7", "1Gi", node_name="large")
    e = explain(pod("p", "1", "1Gi"), NODES, pods=[busy])
    assert e.selected == "medium"


def test_taints_and_affinity_drive_the_total():
    nodes = [
        node("soft", taints=[("spot", "", "PreferNoSchedule")], labels={"zone": "a"}),
        node("plain", labels={"zone": "b"}),
    ]
    e = explain(pod("p", "1", "1Gi"), nodes)
    assert e.selected == "plain"
    soft = {s.plugin: s for s in e.nodes["soft"].scores}
    assert soft["TaintToleration"].raw == 1
    assert soft["TaintToleration"].normalized == 0
    tolerant = pod("p", "1", "1Gi", tolerations=(Toleration(key="spot", operator="Exists"),))
    e = explain(tolerant, nodes)
    assert {s.plugin: s.normalized for s in e.nodes["soft"].scores}["TaintToleration"] == 100


def test_ties_are_broken_by_the_seeded_random_source():
    nodes = [node(f"n{i}") for i in range(8)]
    picks = {explain(pod("p", "1"), nodes, rng=random.Random(seed)).selected for seed in range(20)}
    assert len(picks) > 1
    first = explain(pod("p", "1"), nodes).selected
    assert all(explain(pod("p", "1"), nodes).selected == first for _ in range(3))


def test_prefilter_rejection_fails_every_node():
    class Reject:
        name = "Reject"

        def pre_filter(self, state, pod, snapshot):
            return Status.unresolvable("nope")

    registry = PluginRegistry("kube_actors.test_reject", "scheduler plugin")
    registry.register("Reject", lambda args: Reject())
    profile = build_profile(
        {"plugins": {"multiPoint": {"disabled": [{"name": "*"}], "enabled": [{"name": "Reject"}]}}},
        registry=registry,
    )
    e = explain(pod("p"), NODES, profile=profile)
    assert e.selected is None
    assert e.message == "0/3 nodes are available: 3 nope."


def test_node_ports_conflict_through_explain():
    holder = pod("h", containers=[container(ports=[(8080, "", "")])], node_name="small")
    e = explain(pod("p", containers=[container(ports=[(8080, "", "")])]), NODES, pods=[holder])
    assert "small" not in e.feasible
    assert e.nodes["small"].failure.reasons == (
        "node(s) didn't have free ports for the requested pod ports",
    )


@pytest.mark.parametrize(
    ("nodes", "percentage", "expected"),
    [
        (10, None, 10),
        (99, None, 99),
        (100, None, 100),
        (500, None, 230),
        (1000, None, 420),
        (5000, None, 500),
        (6000, None, 300),
        (20000, None, 1000),
        (1000, 50, 500),
        (1000, 5, 100),
        (1000, 100, 1000),
    ],
)
def test_num_feasible_nodes_to_find(nodes, percentage, expected):
    assert num_feasible_nodes_to_find(nodes, percentage) == expected


def test_annotations_in_simulator_shape():
    e = explain(pod("p", "1", "2Gi"), [node("a", "1", "1Gi"), *NODES[1:]])
    notes = e.annotations()
    prefix = "kube-scheduler-simulator.sigs.k8s.io/"
    assert notes[prefix + "selected-node"] == "large"
    filters = json.loads(notes[prefix + "filter-result"])
    assert filters["a"]["NodeResourcesFit"] == "Insufficient memory"
    assert filters["large"]["NodePorts"] == "skipped"
    assert filters["large"]["NodeName"] == "passed"
    final = json.loads(notes[prefix + "finalscore-result"])
    assert final["large"]["TaintToleration"] == "300"
    assert final["a"] == {}
    assert json.loads(notes[prefix + "prescore-result"])["NodeAffinity"] == "skipped"


def test_finished_pods_hold_nothing():
    done = pod("done", "8", "1Gi", node_name="large")
    done = done.__class__(
        metadata=done.metadata, spec=done.spec, status=PodStatus(phase="Succeeded")
    )
    e = explain(pod("p", "7"), NODES, pods=[done])
    assert e.selected == "large"


def test_documented_example_plugin():
    class PreferLabel:
        def __init__(self, args):
            self.key = args.get("key", "fast")

        @property
        def name(self):
            return "PreferLabel"

        def filter(self, state, pod, node):
            return Status.success()

        def score(self, state, pod, node):
            return 1 if self.key in node.node.metadata.labels else 0

        def normalize_scores(self, state, pod, scores):
            return default_normalize_score(scores)

    registry = PluginRegistry("kube_actors.test_doc_plugin", "scheduler plugin")
    for name in SCHEDULER_PLUGINS.names():
        registry.register(name, SCHEDULER_PLUGINS.get(name))
    registry.register("PreferLabel", PreferLabel)
    profile = build_profile(
        {
            "plugins": {"multiPoint": {"enabled": [{"name": "PreferLabel", "weight": 10}]}},
            "pluginConfig": [{"name": "PreferLabel", "args": {"key": "ssd"}}],
        },
        registry=registry,
    )
    nodes = [node("big", "64", "256Gi"), node("labelled", "4", "8Gi", labels={"ssd": "yes"})]
    e = explain(pod("p", "1", "1Gi"), nodes, profile=profile)
    assert e.selected == "labelled"
    assert {s.plugin: s.weighted for s in e.nodes["labelled"].scores}["PreferLabel"] == 1000
