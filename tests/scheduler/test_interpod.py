from __future__ import annotations

import attrs
import pytest

from kube_actors.api import (
    Affinity,
    LabelSelector,
    LabelSelectorRequirement,
    ObjectMeta,
    Pod,
    PodAffinity,
    PodAffinityTerm,
    PodSpec,
    WeightedPodAffinityTerm,
)
from kube_actors.scheduler import Code, CycleState, Snapshot, default_profile, explain
from kube_actors.scheduler.plugins.interpod import (
    ERR_REASON_AFFINITY_RULES_NOT_MATCH,
    ERR_REASON_ANTI_AFFINITY_RULES_NOT_MATCH,
    ERR_REASON_EXISTING_ANTI_AFFINITY_RULES_NOT_MATCH,
    InterPodAffinity,
    compile_term,
)
from tests.scheduler.builders import container, node

HOST = "kubernetes.io/hostname"
ZONE = "topology.kubernetes.io/zone"
OK = Code.SUCCESS
NO = Code.UNSCHEDULABLE
NEVER = Code.UNSCHEDULABLE_AND_UNRESOLVABLE


def znode(name, zone=None, **labels):
    all_labels = {HOST: name, **labels}
    if zone is not None:
        all_labels[ZONE] = zone
    return node(name, labels=all_labels)


#: n1, n2 in zone a; n3 in zone b; n4 has no zone label.
NODES = [znode("n1", "a"), znode("n2", "a"), znode("n3", "b"), znode("n4")]


def term(key, ns=None, ns_selector=None, **labels):
    return PodAffinityTerm(
        topology_key=key,
        label_selector=LabelSelector(match_labels=labels),
        namespaces=tuple(ns or ()),
        namespace_selector=ns_selector,
    )


def weighted(weight, t):
    return WeightedPodAffinityTerm(weight=weight, pod_affinity_term=t)


def mkpod(
    name="p",
    labels=None,
    *,
    node_name="",
    namespace="default",
    affinity=(),
    anti=(),
    pref=(),
    pref_anti=(),
):
    aff = None
    if affinity or anti or pref or pref_anti:
        aff = Affinity(
            pod_affinity=PodAffinity(
                required_during_scheduling_ignored_during_execution=tuple(affinity),
                preferred_during_scheduling_ignored_during_execution=tuple(pref),
            ),
            pod_anti_affinity=PodAffinity(
                required_during_scheduling_ignored_during_execution=tuple(anti),
                preferred_during_scheduling_ignored_during_execution=tuple(pref_anti),
            ),
        )
    return Pod(
        metadata=ObjectMeta(name=name, namespace=namespace, labels=labels or {}),
        spec=PodSpec(containers=(container(),), node_name=node_name, affinity=aff),
    )


def filter_all(p, existing=(), nodes=NODES, plugin=None):
    """Run PreFilter then Filter on every node: (prefilter status, {node: status})."""
    plugin = plugin or InterPodAffinity()
    snapshot = Snapshot.build(nodes, existing)
    state = CycleState()
    pre = plugin.pre_filter(state, p, snapshot)
    if not pre.is_success:
        return pre, {}
    return pre, {info.name: plugin.filter(state, p, info) for info in snapshot.nodes}


def codes(p, existing=(), nodes=NODES, plugin=None):
    pre, statuses = filter_all(p, existing, nodes, plugin)
    if pre.is_skip:
        return "skip"
    return {name: s.code for name, s in statuses.items()}


def scores(p, existing=(), nodes=NODES, plugin=None):
    """(pre-score status, raw scores, normalized scores) over every node."""
    plugin = plugin or InterPodAffinity()
    snapshot = Snapshot.build(nodes, existing)
    state = CycleState()
    plugin.pre_filter(state, p, snapshot)
    pre = plugin.pre_score(state, p, snapshot.nodes)
    if pre.is_skip:
        return pre, {}, {}
    raw = {info.name: plugin.score(state, p, info) for info in snapshot.nodes}
    return pre, raw, plugin.normalize_scores(state, p, raw)


WEB_N1 = mkpod("web1", {"app": "web"}, node_name="n1")
WEB_N3 = mkpod("web3", {"app": "web"}, node_name="n3")
DB_N2 = mkpod("db2", {"app": "db"}, node_name="n2")


def test_compile_term_defaults_to_the_pods_namespace():
    p = mkpod(namespace="team")
    t = compile_term(term(ZONE, app="web"), p)
    assert t.namespaces == frozenset({"team"})
    assert t.matches(mkpod(labels={"app": "web"}, namespace="team"), lambda ns: {})
    assert not t.matches(mkpod(labels={"app": "web"}, namespace="other"), lambda ns: {})
    # An empty namespaceSelector selects every namespace.
    t = compile_term(term(ZONE, ns_selector=LabelSelector(), app="web"), p)
    assert t.namespaces == frozenset()
    assert t.matches(mkpod(labels={"app": "web"}, namespace="other"), lambda ns: {})


def test_no_required_terms_skips():
    assert codes(mkpod(), [WEB_N1, DB_N2]) == "skip"


@pytest.mark.parametrize(
    ("affinity", "existing", "expected"),
    [
        # Hostname: only the node holding a matching pod.
        (
            [term(HOST, app="web")],
            [WEB_N1, DB_N2],
            {"n1": OK, "n2": NEVER, "n3": NEVER, "n4": NEVER},
        ),
        # Zone: every node of the zone; n4 lacks the zone label.
        ([term(ZONE, app="web")], [WEB_N1, DB_N2], {"n1": OK, "n2": OK, "n3": NEVER, "n4": NEVER}),
        ([term(ZONE, app="web")], [WEB_N3], {"n1": NEVER, "n2": NEVER, "n3": OK, "n4": NEVER}),
        # Two terms: one pod must match both; the zone domain must hold it and so must the host.
        (
            [term(ZONE, app="web"), term(HOST, app="web")],
            [WEB_N1, WEB_N3],
            {"n1": OK, "n2": NEVER, "n3": OK, "n4": NEVER},
        ),
        # Matching pods exist elsewhere but not here: unsatisfied.
        ([term(ZONE, app="db")], [DB_N2], {"n1": OK, "n2": OK, "n3": NEVER, "n4": NEVER}),
    ],
)
def test_required_affinity(affinity, existing, expected):
    assert codes(mkpod(affinity=affinity), existing) == expected


def test_required_affinity_reason():
    _, statuses = filter_all(mkpod(affinity=[term(ZONE, app="web")]), [WEB_N3])
    assert statuses["n1"].reasons == (ERR_REASON_AFFINITY_RULES_NOT_MATCH,)
    assert statuses["n1"].plugin == "InterPodAffinity"


def test_affinity_respects_namespaces():
    other_ns = mkpod("w", {"app": "web"}, node_name="n1", namespace="other")
    p = mkpod(affinity=[term(HOST, app="web")])
    assert codes(p, [other_ns])["n1"] is NEVER
    p = mkpod(affinity=[term(HOST, ns=["other"], app="web")])
    assert codes(p, [other_ns])["n1"] is OK
    # namespaceSelector against namespace labels (configured, plus the name label).
    plugin = InterPodAffinity({"namespaceLabels": {"other": {"team": "x"}}})
    sel = LabelSelector(match_labels={"team": "x"})
    p = mkpod(affinity=[term(HOST, ns_selector=sel, app="web")])
    assert codes(p, [other_ns], plugin=plugin)["n1"] is OK
    sel = LabelSelector(match_labels={"kubernetes.io/metadata.name": "other"})
    p = mkpod(affinity=[term(HOST, ns_selector=sel, app="web")])
    assert codes(p, [other_ns])["n1"] is OK


def test_first_pod_of_a_self_affine_group_may_go_anywhere_with_the_label():
    p = mkpod("web", {"app": "web"}, affinity=[term(ZONE, app="web")])
    # No pod matches anywhere and the pod matches its own term: every node with the label.
    assert codes(p, [DB_N2]) == {"n1": OK, "n2": OK, "n3": OK, "n4": NEVER}
    # Once one exists, the pod must follow it.
    assert codes(p, [WEB_N3]) == {"n1": NEVER, "n2": NEVER, "n3": OK, "n4": NEVER}
    # A pod not matching its own term gets no exception.
    q = mkpod("q", {"app": "other"}, affinity=[term(ZONE, app="web")])
    assert set(codes(q, [DB_N2]).values()) == {NEVER}


@pytest.mark.parametrize(
    ("anti", "existing", "expected"),
    [
        ([term(HOST, app="web")], [WEB_N1], {"n1": NO, "n2": OK, "n3": OK, "n4": OK}),
        ([term(ZONE, app="web")], [WEB_N1], {"n1": NO, "n2": NO, "n3": OK, "n4": OK}),
        ([term(ZONE, app="web")], [WEB_N1, WEB_N3], {"n1": NO, "n2": NO, "n3": NO, "n4": OK}),
        ([term(ZONE, app="web")], [DB_N2], {"n1": OK, "n2": OK, "n3": OK, "n4": OK}),
    ],
)
def test_required_anti_affinity(anti, existing, expected):
    assert codes(mkpod(anti=anti), existing) == expected


def test_anti_affinity_reason():
    _, statuses = filter_all(mkpod(anti=[term(ZONE, app="web")]), [WEB_N1])
    assert statuses["n2"].reasons == (ERR_REASON_ANTI_AFFINITY_RULES_NOT_MATCH,)


@pytest.mark.parametrize(
    ("key", "incoming_labels", "expected"),
    [
        (HOST, {"app": "web"}, {"n1": NO, "n2": OK, "n3": OK, "n4": OK}),
        (ZONE, {"app": "web"}, {"n1": NO, "n2": NO, "n3": OK, "n4": OK}),
        # The existing pod's term does not select the incoming pod: nothing to check.
        (ZONE, {"app": "db"}, "skip"),
    ],
)
def test_existing_pods_anti_affinity(key, incoming_labels, expected):
    guard = mkpod("guard", {"app": "guard"}, node_name="n1", anti=[term(key, app="web")])
    assert codes(mkpod(labels=incoming_labels), [guard]) == expected


def test_existing_pods_anti_affinity_reason_and_namespace():
    guard = mkpod("guard", node_name="n1", anti=[term(HOST, app="web")])
    _, statuses = filter_all(mkpod(labels={"app": "web"}), [guard])
    assert statuses["n1"].reasons == (ERR_REASON_EXISTING_ANTI_AFFINITY_RULES_NOT_MATCH,)
    # The guard's term covers only its own namespace.
    assert codes(mkpod(labels={"app": "web"}, namespace="other"), [guard]) == "skip"


def test_affinity_is_checked_before_anti_affinity():
    p = mkpod(affinity=[term(HOST, app="db")], anti=[term(ZONE, app="web")])
    assert codes(p, [WEB_N1, DB_N2]) == {"n1": NEVER, "n2": NO, "n3": NEVER, "n4": NEVER}


def test_invalid_selector_is_unresolvable():
    bad = PodAffinityTerm(
        topology_key=HOST,
        label_selector=LabelSelector(
            match_expressions=(LabelSelectorRequirement(key="a", operator="Bogus"),)
        ),
    )
    pre, _ = filter_all(mkpod(affinity=[bad]))
    assert pre.code is NEVER
    assert pre.message.startswith("parsing pod: ")


def test_match_label_keys_are_merged():
    t = attrs.evolve(term(ZONE, app="web"), match_label_keys=("version",))
    v1 = mkpod("v1", {"app": "web", "version": "1"}, node_name="n1")
    v2 = mkpod("v2", {"app": "web", "version": "2"}, node_name="n3")
    p = mkpod(labels={"version": "2"}, affinity=[t])
    assert codes(p, [v1, v2]) == {"n1": NEVER, "n2": NEVER, "n3": OK, "n4": NEVER}


# -- scoring ------------------------------------------------------------------------------------


def test_no_preferred_terms_anywhere_skips_scoring():
    pre, _, _ = scores(mkpod(), [WEB_N1, DB_N2])
    assert pre.is_skip


def test_preferred_affinity_by_zone():
    p = mkpod(pref=[weighted(5, term(ZONE, app="web"))])
    pre, raw, norm = scores(p, [WEB_N1, WEB_N3, mkpod("w", {"app": "web"}, node_name="n2")])
    assert pre.is_success
    # Zone a holds two web pods (10), zone b one (5), n4 has no zone (0).
    assert raw == {"n1": 10, "n2": 10, "n3": 5, "n4": 0}
    assert norm == {"n1": 100, "n2": 100, "n3": 50, "n4": 0}


def test_preferred_affinity_and_anti_affinity_combine():
    p = mkpod(
        pref=[weighted(10, term(HOST, app="web"))],
        pref_anti=[weighted(3, term(ZONE, app="db"))],
    )
    _, raw, norm = scores(p, [WEB_N1, DB_N2])
    assert raw == {"n1": 7, "n2": -3, "n3": 0, "n4": 0}
    # (s - min) / (max - min): 10/10, 0/10, 3/10, 3/10.
    assert norm == {"n1": 100, "n2": 0, "n3": 30, "n4": 30}


def test_normalization_truncates():
    p = mkpod(pref=[weighted(1, term(HOST, app="web"))])
    existing = [mkpod(f"w{i}", {"app": "web"}, node_name="n1") for i in range(3)]
    existing.append(mkpod("x", {"app": "web"}, node_name="n2"))
    _, raw, norm = scores(p, existing)
    assert raw == {"n1": 3, "n2": 1, "n3": 0, "n4": 0}
    assert norm == {"n1": 100, "n2": 33, "n3": 0, "n4": 0}


def test_equal_scores_normalize_to_zero():
    p = mkpod(pref=[weighted(4, term(HOST, app="web"))])
    nodes = [znode("n1", "a"), znode("n2", "a")]
    existing = [WEB_N1, mkpod("w2", {"app": "web"}, node_name="n2")]
    pre, raw, norm = scores(p, existing, nodes)
    assert pre.is_success
    assert raw == {"n1": 4, "n2": 4}
    assert norm == {"n1": 0, "n2": 0}


def test_existing_pods_preferred_and_required_terms_toward_incoming_pod():
    fan = mkpod("fan", node_name="n1", pref=[weighted(7, term(ZONE, app="web"))])
    hater = mkpod("hater", node_name="n3", pref_anti=[weighted(4, term(HOST, app="web"))])
    needy = mkpod("needy", node_name="n2", affinity=[term(HOST, app="web")])
    incoming = mkpod(labels={"app": "web"})
    _, raw, norm = scores(incoming, [fan, hater, needy])
    # fan: +7 to zone a; hater: -4 to n3; needy: hardPodAffinityWeight 1 to n2.
    assert raw == {"n1": 7, "n2": 8, "n3": -4, "n4": 0}
    assert norm == {"n1": 91, "n2": 100, "n3": 0, "n4": 33}
    _, raw, _ = scores(
        incoming, [fan, hater, needy], plugin=InterPodAffinity({"hardPodAffinityWeight": 0})
    )
    assert raw["n2"] == 7
    # Existing pods' terms are ignored on request when the incoming pod has none.
    plugin = InterPodAffinity({"ignorePreferredTermsOfExistingPods": True})
    pre, _, _ = scores(incoming, [fan, hater, needy], plugin=plugin)
    assert pre.is_skip


def test_existing_pods_terms_not_matching_incoming_pod_do_not_count():
    fan = mkpod("fan", node_name="n1", pref=[weighted(7, term(ZONE, app="web"))])
    pre, _, _ = scores(mkpod(labels={"app": "db"}), [fan])
    assert pre.is_skip


def test_hard_pod_affinity_weight_is_validated():
    with pytest.raises(ValueError, match="hardPodAffinityWeight"):
        InterPodAffinity({"hardPodAffinityWeight": 101})


# -- through explain ----------------------------------------------------------------------------


def profile_with_interpod(**args):
    base = default_profile()
    plugin = InterPodAffinity(args)
    points = {k: list(v) for k, v in base.points.items()}
    for point in ("preFilter", "filter", "preScore", "score"):
        names = points.setdefault(point, [])
        if plugin.name not in names:
            names.append(plugin.name)
    return attrs.evolve(
        base,
        plugins={**base.plugins, plugin.name: plugin},
        points=points,
        weights={**base.weights, plugin.name: 2},
    )


def test_explain_required_anti_affinity_spreads_replicas():
    replica = mkpod("r2", {"app": "web"}, anti=[term(HOST, app="web")])
    existing = [mkpod("r1", {"app": "web"}, node_name="n1", anti=[term(HOST, app="web")])]
    e = explain(replica, NODES, existing, profile=profile_with_interpod())
    assert "n1" not in e.feasible
    assert e.feasible == ("n2", "n3", "n4")
    assert e.nodes["n1"].failure.reasons == (ERR_REASON_ANTI_AFFINITY_RULES_NOT_MATCH,)


def test_explain_no_node_fits_message():
    p = mkpod(affinity=[term(ZONE, app="web")], anti=[term(HOST, app="web")])
    nodes = [znode("n1", "a"), znode("n3", "b")]
    e = explain(p, nodes, [WEB_N1], profile=profile_with_interpod())
    assert e.selected is None
    assert e.message == (
        "0/2 nodes are available: 1 node(s) didn't match pod affinity rules, "
        "1 node(s) didn't match pod anti-affinity rules."
    )


def test_explain_preferred_affinity_picks_the_zone():
    p = mkpod(pref=[weighted(50, term(ZONE, app="web"))])
    e = explain(p, NODES, [WEB_N3], profile=profile_with_interpod())
    assert e.selected == "n3"
    by_plugin = {s.plugin: s for s in e.nodes["n3"].scores}
    assert by_plugin["InterPodAffinity"].raw == 50
    assert by_plugin["InterPodAffinity"].normalized == 100
    assert by_plugin["InterPodAffinity"].weighted == 200
    assert {s.plugin: s.normalized for s in e.nodes["n1"].scores}["InterPodAffinity"] == 0
    statuses = {s.plugin: s.status.code for s in e.pre_filter}
    assert statuses["InterPodAffinity"] is Code.SKIP
