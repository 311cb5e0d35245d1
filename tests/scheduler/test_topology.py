"""PodTopologySpread: filter and score tables computed by hand from upstream's formulas.

The cluster used throughout (``app=web`` pods per node)::

    node  zone  pods        zone totals
    n1    a     2           a: 3
    n2    a     1           b: 1
    n3    b     1
    n4    b     0
    n5    -     0           (no zone label)
"""

from __future__ import annotations

import math
from datetime import UTC, datetime

import attrs
import pytest

from kube_actors.api import (
    Affinity,
    LabelSelector,
    NodeSelector,
    NodeSelectorRequirement,
    NodeSelectorTerm,
    TopologySpreadConstraint,
)
from kube_actors.api import NodeAffinity as NodeAffinitySpec
from kube_actors.api.selectors import Selector
from kube_actors.runtime import PluginRegistry
from kube_actors.scheduler import Code, CycleState, NodeInfo, Snapshot
from kube_actors.scheduler.explain import explain
from kube_actors.scheduler.framework import SCHEDULER_PLUGINS
from kube_actors.scheduler.plugins.topology import (
    ERR_REASON_CONSTRAINTS_NOT_MATCH,
    ERR_REASON_NODE_LABEL_NOT_MATCH,
    LABEL_HOSTNAME,
    LABEL_ZONE,
    PodTopologySpread,
    count_pods_matching,
    normalizing_weight,
)
from kube_actors.scheduler.profile import build_profile
from tests.scheduler.builders import node, pod

OK = Code.SUCCESS
NO = Code.UNSCHEDULABLE
NEVER = Code.UNSCHEDULABLE_AND_UNRESOLVABLE
WEB = {"app": "web"}


def labelled(p, labels, **meta):
    return attrs.evolve(p, metadata=attrs.evolve(p.metadata, labels=labels, **meta))


def zoned(name, zone=None, taints=()):
    labels = {LABEL_HOSTNAME: name}
    if zone is not None:
        labels[LABEL_ZONE] = zone
    return node(name, labels=labels, taints=taints)


def web_pod(name, node_name, labels=WEB, **meta):
    return labelled(pod(name, node_name=node_name), labels, **meta)


NODES = [zoned("n1", "a"), zoned("n2", "a"), zoned("n3", "b"), zoned("n4", "b"), zoned("n5")]
PODS = [web_pod("w1", "n1"), web_pod("w2", "n1"), web_pod("w3", "n2"), web_pod("w4", "n3")]


def spread(key=LABEL_ZONE, max_skew=1, when="DoNotSchedule", selector=WEB, **kw):
    return TopologySpreadConstraint(
        max_skew=max_skew,
        topology_key=key,
        when_unsatisfiable=when,
        label_selector=None if selector is None else LabelSelector(match_labels=selector),
        **kw,
    )


def incoming(*constraints, labels=WEB, **spec):
    return labelled(pod("new", topology_spread_constraints=constraints, **spec), labels)


def snapshot(nodes=NODES, pods=PODS):
    return Snapshot.build(nodes, pods)


def filter_codes(p, snap=None, plugin=None):
    snap = snap or snapshot()
    plugin = plugin or PodTopologySpread()
    state = CycleState()
    pre = plugin.pre_filter(state, p, snap)
    assert pre.is_success, pre
    return {info.name: plugin.filter(state, p, info).code for info in snap.nodes}


def scores(p, feasible=None, snap=None, plugin=None):
    """(raw, normalized) per feasible node, through PreFilter, PreScore, Score, Normalize."""
    snap = snap or snapshot()
    plugin = plugin or PodTopologySpread()
    state = CycleState()
    plugin.pre_filter(state, p, snap)
    nodes = [i for i in snap.nodes if feasible is None or i.name in feasible]
    pre = plugin.pre_score(state, p, nodes)
    assert pre.is_success, pre
    raw = {i.name: plugin.score(state, p, i) for i in nodes}
    return raw, plugin.normalize_scores(state, p, raw)


# --- Filter ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("constraint", "expected"),
    [
        # a: 3 + 1 - 1 = 3 > 1; b: 1 + 1 - 1 = 1; n5 has no zone.
        (spread(max_skew=1), {"n1": NO, "n2": NO, "n3": OK, "n4": OK, "n5": NEVER}),
        # a: 3 > 2 still.
        (spread(max_skew=2), {"n1": NO, "n2": NO, "n3": OK, "n4": OK, "n5": NEVER}),
        (spread(max_skew=3), {"n1": OK, "n2": OK, "n3": OK, "n4": OK, "n5": NEVER}),
        # minDomains 3 > 2 domains: globalMin 0, so b: 1 + 1 - 0 = 2 > 1.
        (spread(min_domains=3), {"n1": NO, "n2": NO, "n3": NO, "n4": NO, "n5": NEVER}),
        # maxSkew 2: b: 2 <= 2, a: 4 > 2.
        (spread(max_skew=2, min_domains=3), {"n1": NO, "n2": NO, "n3": OK, "n4": OK, "n5": NEVER}),
        # minDomains 2 == 2 domains: the real minimum (1) is used.
        (spread(min_domains=2), {"n1": NO, "n2": NO, "n3": OK, "n4": OK, "n5": NEVER}),
        # hostname: counts 2, 1, 1, 0, 0 -> min 0; n1: 3, n2: 2, n3: 2, n4: 1, n5: 1.
        (spread(LABEL_HOSTNAME), {"n1": NO, "n2": NO, "n3": NO, "n4": OK, "n5": OK}),
        (spread(LABEL_HOSTNAME, max_skew=2), {"n1": NO, "n2": OK, "n3": OK, "n4": OK, "n5": OK}),
        # Selector matching nothing: every count 0, self 0.
        (spread(selector={"app": "db"}), {"n1": OK, "n2": OK, "n3": OK, "n4": OK, "n5": NEVER}),
        # A node missing the key fails even when the others pass.
        (spread("rack"), dict.fromkeys(("n1", "n2", "n3", "n4", "n5"), NEVER)),
    ],
)
def test_filter_table(constraint, expected):
    assert filter_codes(incoming(constraint)) == expected


def test_filter_self_match_counts_only_matching_pods():
    # The incoming pod is not app=web: a: 3 + 0 - 1 = 2 > 1, b: 1 + 0 - 1 = 0.
    codes = filter_codes(incoming(spread(), labels={"app": "other"}))
    assert codes == {"n1": NO, "n2": NO, "n3": OK, "n4": OK, "n5": NEVER}


def test_filter_reasons():
    snap = snapshot()
    p = incoming(spread())
    plugin = PodTopologySpread()
    state = CycleState()
    plugin.pre_filter(state, p, snap)
    nodes = {i.name: i for i in snap.nodes}
    assert plugin.filter(state, p, nodes["n1"]).reasons == (ERR_REASON_CONSTRAINTS_NOT_MATCH,)
    missing = plugin.filter(state, p, nodes["n5"])
    assert missing.message == (
        "node(s) didn't match pod topology spread constraints (missing required label)"
    )
    assert missing.reasons == (ERR_REASON_NODE_LABEL_NOT_MATCH,)
    assert missing.plugin == "PodTopologySpread"


def test_filter_several_constraints_all_must_hold():
    # zone maxSkew 3 passes everywhere; hostname maxSkew 1 leaves n4 only (n5 lacks the zone).
    codes = filter_codes(incoming(spread(max_skew=3), spread(LABEL_HOSTNAME)))
    assert codes == {"n1": NO, "n2": NO, "n3": NO, "n4": OK, "n5": NEVER}


def test_nodes_without_every_key_are_not_counted():
    # n5 carries pods, but lacks the zone key, so it is no hostname domain for this pod either:
    # hostname counts n1..n4 = 2, 1, 1, 0 plus the new n5 pods ignored -> min 0 stays.
    pods = [*PODS, web_pod("x1", "n5"), web_pod("x2", "n5")]
    codes = filter_codes(incoming(spread(max_skew=3), spread(LABEL_HOSTNAME)), snapshot(pods=pods))
    assert codes["n4"] is OK
    assert codes["n5"] is NEVER


def test_node_affinity_policy_honor_and_ignore():
    a_only = {"node_selector": {LABEL_ZONE: "a"}}
    # Honor (default): only zone a is a domain, min 3: n1: 3 + 1 - 3 = 1.
    honored = filter_codes(incoming(spread(), **a_only))
    assert honored["n1"] is OK
    assert honored["n3"] is OK  # b is no domain: 0 + 1 - 3 < 1 (NodeAffinity rejects it)
    # Ignore: b counts again, min 1, a: 3 > 1.
    ignored = filter_codes(incoming(spread(node_affinity_policy="Ignore"), **a_only))
    assert ignored["n1"] is NO


def test_node_affinity_policy_uses_required_affinity_terms():
    term = NodeSelectorTerm(
        match_expressions=(NodeSelectorRequirement(key=LABEL_ZONE, operator="In", values=("a",)),)
    )
    affinity = Affinity(
        node_affinity=NodeAffinitySpec(
            required_during_scheduling_ignored_during_execution=NodeSelector(
                node_selector_terms=(term,)
            )
        )
    )
    assert filter_codes(incoming(spread(), affinity=affinity))["n1"] is OK


def test_node_taints_policy():
    nodes = [
        zoned("n1", "a"),
        zoned("n2", "a"),
        zoned("n3", "b", taints=[("dedicated", "x", "NoSchedule")]),
        zoned("n4", "b", taints=[("dedicated", "x", "NoSchedule")]),
    ]
    snap = snapshot(nodes=nodes)
    # Ignore (default): b is a domain with 1 pod -> a fails.
    assert filter_codes(incoming(spread()), snap)["n1"] is NO
    # Honor: tainted nodes are no domains, only a (3) remains -> a passes.
    assert filter_codes(incoming(spread(node_taints_policy="Honor")), snap)["n1"] is OK


def test_terminating_and_other_namespace_pods_do_not_count():
    gone = datetime(2026, 1, 1, tzinfo=UTC)
    pods = [
        web_pod("t1", "n3", deletion_timestamp=gone),
        web_pod("t2", "n4", namespace="other"),
        web_pod("w1", "n1"),
    ]
    # a: 1, b: 0 -> min 0, a: 1 + 1 - 0 = 2 > 1.
    codes = filter_codes(incoming(spread()), snapshot(pods=pods))
    assert codes == {"n1": NO, "n2": NO, "n3": OK, "n4": OK, "n5": NEVER}


def test_match_label_keys():
    v1, v2 = {**WEB, "version": "v1"}, {**WEB, "version": "v2"}
    pods = [web_pod("a1", "n1", v1), web_pod("a2", "n2", v1), web_pod("b1", "n3", v2)]
    p = incoming(spread(match_label_keys=("version",)), labels=v2)
    # Only version=v2 pods count: a: 0, b: 1 -> min 0; b: 1 + 1 - 0 = 2 > 1.
    codes = filter_codes(p, snapshot(pods=pods))
    assert codes == {"n1": OK, "n2": OK, "n3": NO, "n4": NO, "n5": NEVER}
    # Without matchLabelKeys: a: 2, b: 1 -> a: 2 + 1 - 1 = 2 > 1.
    codes = filter_codes(incoming(spread(), labels=v2), snapshot(pods=pods))
    assert codes["n1"] is NO
    assert codes["n3"] is OK


def test_pre_filter_skips_without_hard_constraints():
    plugin = PodTopologySpread()
    snap = snapshot()
    assert plugin.pre_filter(CycleState(), incoming(), snap).is_skip
    assert plugin.pre_filter(CycleState(), incoming(spread(when="ScheduleAnyway")), snap).is_skip


def test_count_pods_matching_empty_selector_counts_nothing():
    info = NodeInfo.build(zoned("n1", "a"), [web_pod("w", "n1")])
    assert count_pods_matching(info, Selector.everything(), "default") == 0


# --- Score ----------------------------------------------------------------------------------

LN4, LN6 = math.log(4), math.log(6)


def test_normalizing_weight():
    assert normalizing_weight(2) == LN4
    assert normalizing_weight(0) == math.log(2)


@pytest.mark.parametrize(
    ("max_skew", "raw", "normalized"),
    [
        # weight ln(2 + 2); a: round(3 * 1.386) = 4, b: round(1.386) = 1.
        # normalized: 100 * (4 + 1 - s) // 4 -> a: 25, b: 100.
        (1, {"n1": 4, "n2": 4, "n3": 1, "n4": 1}, {"n1": 25, "n2": 25, "n3": 100, "n4": 100}),
        # + maxSkew - 1: a: round(5.159) = 5, b: round(2.386) = 2 -> 100 * 2 // 5 = 40.
        (2, {"n1": 5, "n2": 5, "n3": 2, "n4": 2}, {"n1": 40, "n2": 40, "n3": 100, "n4": 100}),
    ],
)
def test_zone_score(max_skew, raw, normalized):
    p = incoming(spread(max_skew=max_skew, when="ScheduleAnyway"))
    assert scores(p, feasible={"n1", "n2", "n3", "n4"}) == (raw, normalized)


def test_hostname_score():
    # weight ln(4 + 2) = 1.792; counts 2, 1, 1, 0 -> round: 4, 2, 2, 0.
    # normalized: 100 * (4 + 0 - s) // 4.
    p = incoming(spread(LABEL_HOSTNAME, when="ScheduleAnyway"))
    assert scores(p, feasible={"n1", "n2", "n3", "n4"}) == (
        {"n1": 4, "n2": 2, "n3": 2, "n4": 0},
        {"n1": 0, "n2": 50, "n3": 50, "n4": 100},
    )


def test_nodes_missing_a_key_are_ignored_when_the_pod_has_constraints():
    # n5 lacks the zone: ignored (raw 0, normalized 0) and not a hostname domain (4 nodes).
    # n1: 3 ln4 + 2 ln6 = 7.74 -> 8; n2: 3 ln4 + ln6 = 5.95 -> 6; n3: ln4 + ln6 = 3.18 -> 3;
    # n4: ln4 -> 1. normalized 100 * (8 + 1 - s) // 8.
    p = incoming(
        spread(when="ScheduleAnyway"), spread(LABEL_HOSTNAME, when="ScheduleAnyway"), labels=WEB
    )
    assert round(3 * LN4 + 2 * LN6, 4) == 7.7424
    assert scores(p) == (
        {"n1": 8, "n2": 6, "n3": 3, "n4": 1, "n5": 0},
        {"n1": 12, "n2": 37, "n3": 75, "n4": 100, "n5": 0},
    )


def test_pre_score_counts_pods_on_infeasible_nodes_too():
    # Only n1 and n3 are feasible, but n2's pod still counts for zone a (3), as upstream.
    p = incoming(spread(when="ScheduleAnyway"))
    assert scores(p, feasible={"n1", "n3"}) == ({"n1": 4, "n3": 1}, {"n1": 25, "n3": 100})


def test_equal_scores_all_get_100_and_zero_max_too():
    p = incoming(spread(when="ScheduleAnyway", selector={"app": "db"}))
    raw, normalized = scores(p, feasible={"n1", "n3"})
    assert raw == {"n1": 0, "n3": 0}
    assert normalized == {"n1": 100, "n3": 100}


def test_system_default_constraints():
    # No constraints, labels app=web: hostname maxSkew 3 and zone maxSkew 5 with the pod's labels
    # as selector. Nodes missing a key are not ignored; n5 registers the "" zone domain, so
    # zone weight ln(3 + 2), hostname weight ln(5 + 2).
    # n1: 2 ln7 + 2 + 3 ln5 + 4 = 14.72 -> 15     n2: ln7 + 2 + 3 ln5 + 4 = 12.77 -> 13
    # n3: ln7 + 2 + ln5 + 4 = 9.56 -> 10         n4: 2 + ln5 + 4 = 7.61 -> 8
    # n5: 0 + 2 (no zone label, zone skipped) = 2
    # normalized 100 * (15 + 2 - s) // 15.
    assert scores(incoming()) == (
        {"n1": 15, "n2": 13, "n3": 10, "n4": 8, "n5": 2},
        {"n1": 13, "n2": 26, "n3": 46, "n4": 60, "n5": 100},
    )


def test_default_constraints_need_labels_and_are_skipped_for_explicit_constraints():
    plugin = PodTopologySpread()
    nodes = list(snapshot().nodes)
    assert plugin.pre_score(CycleState(), incoming(labels={}), nodes).is_skip
    # The pod's own (DoNotSchedule) constraints replace the defaults: nothing to score.
    assert plugin.pre_score(CycleState(), incoming(spread()), nodes).is_skip


def test_list_defaulting():
    nodes = list(snapshot().nodes)
    empty = PodTopologySpread({"defaultingType": "List"})
    assert empty.pre_score(CycleState(), incoming(), nodes).is_skip
    zone = {"maxSkew": 1, "topologyKey": LABEL_ZONE, "whenUnsatisfiable": "ScheduleAnyway"}
    listed = PodTopologySpread({"defaultingType": "List", "defaultConstraints": [zone]})
    # List defaulting requires every key: n5 is ignored. Zone weight ln4, as test_zone_score.
    assert scores(incoming(), plugin=listed) == (
        {"n1": 4, "n2": 4, "n3": 1, "n4": 1, "n5": 0},
        {"n1": 25, "n2": 25, "n3": 100, "n4": 100, "n5": 0},
    )
    hard = dict(zone, whenUnsatisfiable="DoNotSchedule")
    strict = PodTopologySpread({"defaultingType": "List", "defaultConstraints": [hard]})
    codes = filter_codes(incoming(), plugin=strict)
    assert codes == {"n1": NO, "n2": NO, "n3": OK, "n4": OK, "n5": NEVER}


# --- through explain() ----------------------------------------------------------------------


def spread_profile():
    registry = PluginRegistry("kube_actors.test_topology", "scheduler plugin")
    for name in SCHEDULER_PLUGINS.names():
        registry.register(name, SCHEDULER_PLUGINS.get(name))
    registry.register(PodTopologySpread.NAME, PodTopologySpread, replace=True)
    return build_profile(
        {"plugins": {"multiPoint": {"enabled": [{"name": "PodTopologySpread", "weight": 2}]}}},
        registry=registry,
    )


def test_explain_do_not_schedule():
    e = explain(incoming(spread()), NODES, PODS, profile=spread_profile())
    assert e.feasible == ("n3", "n4")
    assert e.nodes["n1"].failure.message == ERR_REASON_CONSTRAINTS_NOT_MATCH
    assert e.nodes["n5"].failure.code is NEVER
    assert e.selected in ("n3", "n4")
    # n4 holds no pod, so spreading (hostname defaults are off: the pod has constraints) and
    # LeastAllocated agree once the soft zone score is equal.
    assert e.selected == "n4"


def test_explain_no_node_fits():
    e = explain(incoming(spread("rack")), NODES[:2], PODS, profile=spread_profile())
    assert e.selected is None
    assert e.message == (
        "0/2 nodes are available: 2 node(s) didn't match pod topology spread constraints "
        "(missing required label)."
    )


def test_explain_schedule_anyway_scores():
    e = explain(incoming(spread(when="ScheduleAnyway")), NODES[:4], PODS, profile=spread_profile())
    got = {
        n: next(s for s in e.nodes[n].scores if s.plugin == "PodTopologySpread")
        for n in ("n1", "n2", "n3", "n4")
    }
    assert {n: (s.raw, s.normalized, s.weight) for n, s in got.items()} == {
        "n1": (4, 25, 2),
        "n2": (4, 25, 2),
        "n3": (1, 100, 2),
        "n4": (1, 100, 2),
    }
    assert e.selected == "n4"


def test_explain_system_defaults_prefer_the_emptiest_domain():
    e = explain(incoming(), NODES, PODS, profile=spread_profile())
    got = {
        n: next(s.normalized for s in e.nodes[n].scores if s.plugin == "PodTopologySpread")
        for n in e.feasible
    }
    assert got == {"n1": 13, "n2": 26, "n3": 46, "n4": 60, "n5": 100}
    annotations = e.annotations()
    prefix = "kube-scheduler-simulator.sigs.k8s.io/"
    assert '"PodTopologySpread": "skipped"' in annotations[prefix + "prefilter-result"]
