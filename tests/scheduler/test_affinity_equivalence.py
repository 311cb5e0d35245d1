"""InterPodAffinity and PodTopologySpread give exactly what a straightforward walk gives.

The plugins count matching pods through incremental per-node tallies, memoized parsed terms
and precomputed filter checks. The reference implementations below are the plain versions
(every pod of every node looked at in every cycle, nothing remembered); on small generated
clusters both must agree on every PreFilter, Filter, PreScore, Score and NormalizeScore
result, also when one plugin instance sees a sequence of snapshots that differ by a few node
infos, as the scheduler's cache produces them.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from unittest import mock

import attrs
from hypothesis import given, settings
from hypothesis import strategies as st

from kube_actors.api import (
    Affinity,
    LabelSelector,
    LabelSelectorRequirement,
    NodeAffinity,
    NodeSelector,
    NodeSelectorRequirement,
    NodeSelectorTerm,
    ObjectMeta,
    Pod,
    PodAffinity,
    PodAffinityTerm,
    PodSpec,
    SelectorError,
    Toleration,
    TopologySpreadConstraint,
    WeightedPodAffinityTerm,
)
from kube_actors.api.selectors import Requirement, Selector, selector_from_label_selector
from kube_actors.scheduler import CycleState, NodeInfo, Snapshot
from kube_actors.scheduler.framework import MAX_NODE_SCORE, Status
from kube_actors.scheduler.plugins import interpod
from kube_actors.scheduler.plugins.basic import node_selector_term_matches, tolerates
from kube_actors.scheduler.plugins.interpod import AffinityTerm, InterPodAffinity, compile_term
from kube_actors.scheduler.plugins.topology import (
    ERR_REASON_CONSTRAINTS_NOT_MATCH,
    ERR_REASON_NODE_LABEL_NOT_MATCH,
    PodTopologySpread,
    SpreadConstraint,
    normalizing_weight,
)
from tests.scheduler.builders import container, node

HOST = "kubernetes.io/hostname"
ZONE = "topology.kubernetes.io/zone"
RACK = "rack"
KEYS = (HOST, ZONE, RACK)
GONE = datetime(2026, 1, 1, tzinfo=UTC)

# --- the reference InterPodAffinity: every pod of every node, every cycle --------------------


@attrs.frozen
class _Terms:
    affinity: tuple[AffinityTerm, ...] = ()
    anti_affinity: tuple[AffinityTerm, ...] = ()
    preferred_affinity: tuple[AffinityTerm, ...] = ()
    preferred_anti_affinity: tuple[AffinityTerm, ...] = ()


def _ref_pod_terms(pod: Pod) -> _Terms:
    affinity = pod.spec.affinity
    if affinity is None:
        return _Terms()
    pa, paa = affinity.pod_affinity, affinity.pod_anti_affinity
    return _Terms(
        affinity=tuple(
            compile_term(t, pod)
            for t in (pa.required_during_scheduling_ignored_during_execution if pa else ())
        ),
        anti_affinity=tuple(
            compile_term(t, pod)
            for t in (paa.required_during_scheduling_ignored_during_execution if paa else ())
        ),
        preferred_affinity=tuple(
            compile_term(w.pod_affinity_term, pod, w.weight)
            for w in (pa.preferred_during_scheduling_ignored_during_execution if pa else ())
        ),
        preferred_anti_affinity=tuple(
            compile_term(w.pod_affinity_term, pod, w.weight)
            for w in (paa.preferred_during_scheduling_ignored_during_execution if paa else ())
        ),
    )


def _ref_existing_terms(pod: Pod) -> _Terms:
    try:
        return _ref_pod_terms(pod)
    except SelectorError:
        return _Terms()


def _ref_matches_all(terms: Iterable[AffinityTerm], pod: Pod, ns: Any) -> bool:
    terms = tuple(terms)
    return bool(terms) and all(t.matches(pod, ns) for t in terms)


def _ref_add(counts: dict[tuple[str, str], int], info: NodeInfo, key: str, value: int) -> None:
    labels = info.node.metadata.labels
    if key in labels:
        pair = (key, labels[key])
        counts[pair] = counts.get(pair, 0) + value


class ReferenceInterPodAffinity:
    """The straightforward InterPodAffinity: the same answers, computed the slow way."""

    NAME = "InterPodAffinity"

    def __init__(self, args: Mapping[str, Any] | None = None) -> None:
        args = dict(args or {})
        self.hard = int(args.get("hardPodAffinityWeight", 1))
        self.ignore_existing = bool(args.get("ignorePreferredTermsOfExistingPods", False))
        raw = args.get("namespaceLabels") or {}
        self._ns = {str(k): dict(v) for k, v in raw.items()}

    def namespace_labels(self, namespace: str) -> Mapping[str, str]:
        return {**self._ns.get(namespace, {}), "kubernetes.io/metadata.name": namespace}

    def pre_filter(self, state: CycleState, pod: Pod, snapshot: Snapshot) -> Status:
        state.write("ref-snapshot", snapshot)
        try:
            terms = _ref_pod_terms(pod)
        except SelectorError as exc:
            return Status.unresolvable(f"parsing pod: {exc}", plugin=self.NAME)
        ns = self.namespace_labels
        existing: dict[tuple[str, str], int] = {}
        affinity: dict[tuple[str, str], int] = {}
        anti: dict[tuple[str, str], int] = {}
        for info in snapshot.nodes:
            for other in info.pods:
                for term in _ref_existing_terms(other).anti_affinity:
                    if term.matches(pod, ns):
                        _ref_add(existing, info, term.topology_key, 1)
                if _ref_matches_all(terms.affinity, other, ns):
                    for term in terms.affinity:
                        _ref_add(affinity, info, term.topology_key, 1)
                for term in terms.anti_affinity:
                    if term.matches(other, ns):
                        _ref_add(anti, info, term.topology_key, 1)
        if not existing and not terms.affinity and not terms.anti_affinity:
            return Status.skip(self.NAME)
        state.write("ref-prefilter", (terms, existing, affinity, anti))
        return Status.success()

    def filter(self, state: CycleState, pod: Pod, node: NodeInfo) -> Status:
        terms, existing, affinity, anti = state.read("ref-prefilter")  # type: ignore[misc]
        labels = node.node.metadata.labels
        pods_exist = True
        satisfied = True
        for term in terms.affinity:
            if term.topology_key not in labels:
                satisfied = False
                break
            if affinity.get((term.topology_key, labels[term.topology_key]), 0) <= 0:
                pods_exist = False
        if satisfied and not pods_exist:
            satisfied = not affinity and _ref_matches_all(
                terms.affinity, pod, self.namespace_labels
            )
        if not satisfied:
            return Status.unresolvable(
                interpod.ERR_REASON_AFFINITY_RULES_NOT_MATCH, plugin=self.NAME
            )
        for term in terms.anti_affinity:
            value = labels.get(term.topology_key)
            if value is not None and anti.get((term.topology_key, value), 0) > 0:
                return Status.unschedulable(
                    interpod.ERR_REASON_ANTI_AFFINITY_RULES_NOT_MATCH, plugin=self.NAME
                )
        for key, value in labels.items():
            if existing.get((key, value), 0) > 0:
                return Status.unschedulable(
                    interpod.ERR_REASON_EXISTING_ANTI_AFFINITY_RULES_NOT_MATCH, plugin=self.NAME
                )
        return Status.success()

    def pre_score(self, state: CycleState, pod: Pod, nodes: Sequence[NodeInfo]) -> Status:
        if not nodes:
            return Status.success()
        try:
            terms = _ref_pod_terms(pod)
        except SelectorError as exc:
            return Status.error(str(exc), plugin=self.NAME)
        has_constraints = bool(terms.preferred_affinity or terms.preferred_anti_affinity)
        if self.ignore_existing and not has_constraints:
            return Status.skip(self.NAME)
        snapshot = state.read("ref-snapshot")
        all_nodes = snapshot.nodes if isinstance(snapshot, Snapshot) else tuple(nodes)
        ns = self.namespace_labels
        scores: dict[str, dict[str, int]] = {}

        def process(term: AffinityTerm, weight: int, target: Pod, info: NodeInfo) -> None:
            value = info.node.metadata.labels.get(term.topology_key)
            if value is not None and term.matches(target, ns):
                by_value = scores.setdefault(term.topology_key, {})
                by_value[value] = by_value.get(value, 0) + weight

        for info in all_nodes:
            if not info.node.metadata.labels:
                continue
            for other in info.pods:
                for term in terms.preferred_affinity:
                    process(term, term.weight, other, info)
                for term in terms.preferred_anti_affinity:
                    process(term, -term.weight, other, info)
                other_terms = _ref_existing_terms(other)
                if self.hard > 0:
                    for term in other_terms.affinity:
                        process(term, self.hard, pod, info)
                for term in other_terms.preferred_affinity:
                    process(term, term.weight, pod, info)
                for term in other_terms.preferred_anti_affinity:
                    process(term, -term.weight, pod, info)
        if not scores:
            return Status.skip(self.NAME)
        state.write("ref-prescore", scores)
        return Status.success()

    def score(self, state: CycleState, pod: Pod, node: NodeInfo) -> int:
        scores = state.read("ref-prescore")
        if not isinstance(scores, dict):
            return 0
        labels = node.node.metadata.labels
        return sum(by.get(labels[key], 0) for key, by in scores.items() if key in labels)

    def normalize_scores(
        self, state: CycleState, pod: Pod, scores: Mapping[str, int]
    ) -> dict[str, int]:
        if not scores:
            return {}
        low, high = min(scores.values()), max(scores.values())
        spread = high - low
        if spread <= 0:
            return dict.fromkeys(scores, 0)
        return {name: int(MAX_NODE_SCORE * ((s - low) / spread)) for name, s in scores.items()}


# --- the reference PodTopologySpread ---------------------------------------------------------

_SYSTEM_DEFAULTS = (
    TopologySpreadConstraint(max_skew=3, topology_key=HOST, when_unsatisfiable="ScheduleAnyway"),
    TopologySpreadConstraint(max_skew=5, topology_key=ZONE, when_unsatisfiable="ScheduleAnyway"),
)


def _go_round(value: float) -> int:
    whole = math.trunc(value)
    if abs(value - whole) >= 0.5:
        whole += 1 if value > 0 else -1
    return whole


def _ref_count(node: NodeInfo, selector: Selector, namespace: str) -> int:
    if selector.is_empty():
        return 0
    return sum(
        1
        for p in node.pods
        if p.metadata.deletion_timestamp is None
        and p.metadata.namespace == namespace
        and selector.matches(p.metadata.labels)
    )


def _ref_constraints(
    constraints: Sequence[TopologySpreadConstraint], pod: Pod, action: str
) -> list[SpreadConstraint]:
    labels = pod.metadata.labels
    out = []
    for c in constraints:
        if c.when_unsatisfiable != action:
            continue
        selector = selector_from_label_selector(c.label_selector)
        if c.match_label_keys:
            match = {k: labels[k] for k in c.match_label_keys if k in labels}
            if match:
                reqs = [Requirement(k, "=", [v]) for k, v in match.items()]
                if not selector.selects_nothing:
                    reqs.extend(selector.requirements)
                selector = Selector(reqs)
        out.append(
            SpreadConstraint(
                max_skew=c.max_skew,
                topology_key=c.topology_key,
                selector=selector,
                min_domains=c.min_domains if c.min_domains is not None else 1,
                node_affinity_policy=c.node_affinity_policy or "Honor",
                node_taints_policy=c.node_taints_policy or "Ignore",
            )
        )
    return out


def _ref_included(c: SpreadConstraint, pod: Pod, node: NodeInfo) -> bool:
    labels = node.node.metadata.labels
    if c.node_affinity_policy == "Honor":
        if any(labels.get(k) != v for k, v in pod.spec.node_selector.items()):
            return False
        affinity = pod.spec.affinity.node_affinity if pod.spec.affinity else None
        required = (
            affinity.required_during_scheduling_ignored_during_execution if affinity else None
        )
        if required is not None and not any(
            node_selector_term_matches(t, node) for t in required.node_selector_terms
        ):
            return False
    if c.node_taints_policy == "Honor":
        for taint in node.node.spec.taints:
            if taint.effect in ("NoSchedule", "NoExecute") and not any(
                tolerates(t, taint) for t in pod.spec.tolerations
            ):
                return False
    return True


def _ref_has_all_keys(node: NodeInfo, constraints: Sequence[SpreadConstraint]) -> bool:
    return all(c.topology_key in node.node.metadata.labels for c in constraints)


class ReferenceSpread:
    """The straightforward PodTopologySpread: the same answers, computed the slow way."""

    NAME = "PodTopologySpread"

    def __init__(self, args: Mapping[str, Any] | None = None) -> None:
        args = dict(args or {})
        self.system_defaulted = args.get("defaultingType", "System") == "System"
        if self.system_defaulted:
            self.defaults: tuple[TopologySpreadConstraint, ...] = _SYSTEM_DEFAULTS
        else:
            self.defaults = tuple(
                TopologySpreadConstraint(
                    max_skew=int(d["maxSkew"]),
                    topology_key=str(d["topologyKey"]),
                    when_unsatisfiable=str(d["whenUnsatisfiable"]),
                )
                for d in args.get("defaultConstraints") or ()
            )

    def _constraints(self, pod: Pod, action: str) -> list[SpreadConstraint]:
        if pod.spec.topology_spread_constraints:
            return _ref_constraints(pod.spec.topology_spread_constraints, pod, action)
        constraints = _ref_constraints(self.defaults, pod, action)
        labels = pod.metadata.labels
        if not constraints or not labels:
            return []
        selector = Selector([Requirement(k, "=", [v]) for k, v in labels.items()])
        return [attrs.evolve(c, selector=selector) for c in constraints]

    def pre_filter(self, state: CycleState, pod: Pod, snapshot: Snapshot) -> Status:
        state.write("ref-snapshot", snapshot)
        try:
            constraints = self._constraints(pod, "DoNotSchedule")
        except SelectorError as err:
            return Status.error(str(err), plugin=self.NAME)
        if not constraints:
            return Status.skip(self.NAME)
        match_num: list[dict[str, int]] = [{} for _ in constraints]
        for info in snapshot.nodes:
            if not _ref_has_all_keys(info, constraints):
                continue
            for i, c in enumerate(constraints):
                if not _ref_included(c, pod, info):
                    continue
                value = info.node.metadata.labels[c.topology_key]
                count = _ref_count(info, c.selector, pod.metadata.namespace)
                match_num[i][value] = match_num[i].get(value, 0) + count
        state.write("ref-prefilter", (constraints, match_num))
        return Status.success()

    def filter(self, state: CycleState, pod: Pod, node: NodeInfo) -> Status:
        constraints, match_num = state.read("ref-prefilter")  # type: ignore[misc]
        labels = node.node.metadata.labels
        for i, c in enumerate(constraints):
            value = labels.get(c.topology_key)
            if value is None:
                return Status.unresolvable(ERR_REASON_NODE_LABEL_NOT_MATCH, plugin=self.NAME)
            counts = match_num[i]
            low = 0 if len(counts) < c.min_domains or not counts else min(counts.values())
            self_match = 1 if c.selector.matches(pod.metadata.labels) else 0
            if counts.get(value, 0) + self_match - low > c.max_skew:
                return Status.unschedulable(ERR_REASON_CONSTRAINTS_NOT_MATCH, plugin=self.NAME)
        return Status.success()

    def pre_score(self, state: CycleState, pod: Pod, nodes: Sequence[NodeInfo]) -> Status:
        snap = state.read("ref-snapshot")
        all_nodes = snap.nodes if isinstance(snap, Snapshot) else tuple(nodes)
        if not nodes or not all_nodes:
            return Status.success()
        try:
            constraints = self._constraints(pod, "ScheduleAnyway")
        except SelectorError as err:
            return Status.error(str(err), plugin=self.NAME)
        if not constraints:
            return Status.skip(self.NAME)
        require_all = bool(pod.spec.topology_spread_constraints) or not self.system_defaulted
        ignored: set[str] = set()
        pod_counts: list[dict[str, int]] = [{} for _ in constraints]
        for info in nodes:
            if require_all and not _ref_has_all_keys(info, constraints):
                ignored.add(info.name)
                continue
            for i, c in enumerate(constraints):
                if c.topology_key != HOST:
                    pod_counts[i].setdefault(info.node.metadata.labels.get(c.topology_key, ""), 0)
        weights = [
            normalizing_weight(
                len(nodes) - len(ignored) if c.topology_key == HOST else len(pod_counts[i])
            )
            for i, c in enumerate(constraints)
        ]
        for info in all_nodes:
            if require_all and not _ref_has_all_keys(info, constraints):
                continue
            for i, c in enumerate(constraints):
                if not _ref_included(c, pod, info):
                    continue
                value = info.node.metadata.labels.get(c.topology_key, "")
                if value in pod_counts[i]:
                    pod_counts[i][value] += _ref_count(info, c.selector, pod.metadata.namespace)
        state.write("ref-prescore", (constraints, ignored, pod_counts, weights))
        return Status.success()

    def score(self, state: CycleState, pod: Pod, node: NodeInfo) -> int:
        pre = state.read("ref-prescore")
        if pre is None:
            return 0
        constraints, ignored, pod_counts, weights = pre  # type: ignore[misc]
        if node.name in ignored:
            return 0
        labels = node.node.metadata.labels
        total = 0.0
        for i, c in enumerate(constraints):
            value = labels.get(c.topology_key)
            if value is None:
                continue
            if c.topology_key == HOST:
                count = _ref_count(node, c.selector, pod.metadata.namespace)
            else:
                count = pod_counts[i].get(value, 0)
            total += count * weights[i] + (c.max_skew - 1)
        return _go_round(total)

    def normalize_scores(
        self, state: CycleState, pod: Pod, scores: Mapping[str, int]
    ) -> dict[str, int]:
        pre = state.read("ref-prescore")
        if pre is None:
            return dict(scores)
        ignored = pre[1]  # type: ignore[index]
        valid = {n: v for n, v in scores.items() if n not in ignored}
        low = min(valid.values(), default=0)
        high = max(valid.values(), default=0)
        out = {}
        for name, raw in scores.items():
            if name in ignored:
                out[name] = 0
            elif high == 0:
                out[name] = MAX_NODE_SCORE
            else:
                out[name] = MAX_NODE_SCORE * (high + low - raw) // high
        return out


# --- running a cycle -------------------------------------------------------------------------


def cycle(plugin: Any, pod: Pod, snapshot: Snapshot, feasible: Sequence[str]) -> tuple[Any, ...]:
    """Everything a cycle observes: PreFilter, each Filter, PreScore, raw and normalized."""
    state = CycleState()
    pre = plugin.pre_filter(state, pod, snapshot)
    filtered = (
        {info.name: plugin.filter(state, pod, info) for info in snapshot.nodes}
        if pre.is_success
        else None
    )
    nodes = [info for info in snapshot.nodes if info.name in feasible]
    pre_score = plugin.pre_score(state, pod, nodes)
    raw = normalized = None
    if pre_score.is_success:
        raw = {info.name: plugin.score(state, pod, info) for info in nodes}
        normalized = plugin.normalize_scores(state, pod, raw)
    return pre, filtered, pre_score, raw, normalized


# --- generated clusters ----------------------------------------------------------------------

APPS = ("web", "db")
NAMESPACES = ("default", "default", "other")
app_labels = st.fixed_dictionaries(
    {}, optional={"app": st.sampled_from(APPS), "tier": st.sampled_from(APPS)}
)


@st.composite
def label_selectors(draw: st.DrawFn) -> LabelSelector | None:
    kind = draw(st.sampled_from(("labels", "labels", "expr", "empty", "none")))
    if kind == "none":
        return None
    if kind == "empty":
        return LabelSelector()
    if kind == "labels":
        common = st.just({"app": "web"})
        return LabelSelector(match_labels=draw(common | app_labels.filter(bool)))
    op = draw(st.sampled_from(("In", "NotIn", "Exists", "DoesNotExist")))
    values = draw(st.lists(st.sampled_from(APPS), min_size=1, max_size=2, unique=True))
    req = LabelSelectorRequirement(
        key="app", operator=op, values=tuple(values) if op in ("In", "NotIn") else ()
    )
    return LabelSelector(match_expressions=(req,))


@st.composite
def affinity_terms(draw: st.DrawFn) -> PodAffinityTerm:
    namespaces: tuple[str, ...] = ()
    namespace_selector = None
    scope = draw(st.sampled_from(("own", "own", "listed", "all", "labelled")))
    if scope == "listed":
        namespaces = ("other",)
    elif scope == "all":
        namespace_selector = LabelSelector()
    elif scope == "labelled":
        namespace_selector = LabelSelector(match_labels={"team": "x"})
    return PodAffinityTerm(
        topology_key=draw(st.sampled_from(KEYS)),
        label_selector=draw(label_selectors()),
        namespaces=namespaces,
        namespace_selector=namespace_selector,
        match_label_keys=draw(st.sampled_from(((), (), ("tier",)))),
    )


weighted_terms = st.builds(
    lambda w, t: WeightedPodAffinityTerm(weight=w, pod_affinity_term=t),
    st.integers(1, 10),
    affinity_terms(),
)


@st.composite
def pod_affinities(draw: st.DrawFn) -> Affinity | None:
    if draw(st.booleans()):
        return None
    few = {"max_size": 2}
    return Affinity(
        pod_affinity=PodAffinity(
            required_during_scheduling_ignored_during_execution=tuple(
                draw(st.lists(affinity_terms(), **few))
            ),
            preferred_during_scheduling_ignored_during_execution=tuple(
                draw(st.lists(weighted_terms, **few))
            ),
        ),
        pod_anti_affinity=PodAffinity(
            required_during_scheduling_ignored_during_execution=tuple(
                draw(st.lists(affinity_terms(), **few))
            ),
            preferred_during_scheduling_ignored_during_execution=tuple(
                draw(st.lists(weighted_terms, **few))
            ),
        ),
    )


@st.composite
def spread_constraints(draw: st.DrawFn) -> TopologySpreadConstraint:
    return TopologySpreadConstraint(
        max_skew=draw(st.sampled_from((1, 1, 2))),
        topology_key=draw(st.sampled_from(KEYS)),
        when_unsatisfiable=draw(st.sampled_from(("DoNotSchedule", "ScheduleAnyway"))),
        label_selector=draw(label_selectors()),
        min_domains=draw(st.sampled_from((None, None, 2, 4))),
        node_affinity_policy=draw(st.sampled_from((None, "Honor", "Ignore"))),
        node_taints_policy=draw(st.sampled_from((None, None, "Honor", "Ignore"))),
        match_label_keys=draw(st.sampled_from(((), ("tier",)))),
    )


@st.composite
def pods(draw: st.DrawFn, name: str, node_name: str = "") -> Pod:
    spec = PodSpec(
        containers=(container(),),
        node_name=node_name,
        affinity=draw(pod_affinities()),
        topology_spread_constraints=tuple(draw(st.lists(spread_constraints(), max_size=2))),
    )
    return Pod(
        metadata=ObjectMeta(
            name=name,
            uid=name,
            namespace=draw(st.sampled_from(NAMESPACES)),
            labels=draw(st.just({"app": "web"}) | app_labels),
            deletion_timestamp=GONE if draw(st.integers(0, 3)) == 0 else None,
        ),
        spec=spec,
    )


@st.composite
def incoming_pods(draw: st.DrawFn) -> Pod:
    pod = draw(pods("incoming"))
    pod = attrs.evolve(pod, metadata=attrs.evolve(pod.metadata, deletion_timestamp=None))
    extra: dict[str, Any] = {}
    if draw(st.integers(0, 3)) == 0:
        extra["node_selector"] = {ZONE: "a"}
    if draw(st.integers(0, 3)) == 0:
        requirement = NodeSelectorRequirement(key=RACK, operator="In", values=("r1",))
        required = NodeSelector(
            node_selector_terms=(NodeSelectorTerm(match_expressions=(requirement,)),)
        )
        node_affinity = NodeAffinity(required_during_scheduling_ignored_during_execution=required)
        base = pod.spec.affinity or Affinity()
        extra["affinity"] = attrs.evolve(base, node_affinity=node_affinity)
    if draw(st.booleans()):
        extra["tolerations"] = (Toleration(key="dedicated", operator="Exists"),)
    return attrs.evolve(pod, spec=attrs.evolve(pod.spec, **extra)) if extra else pod


@st.composite
def cluster_nodes(draw: st.DrawFn) -> list[Any]:
    out = []
    for i in range(draw(st.integers(1, 6))):
        name = f"n{i}"
        labels = {HOST: name}
        zone = draw(st.sampled_from(("a", "b", None)))
        if zone is not None:
            labels[ZONE] = zone
        rack = draw(st.sampled_from(("r1", "r2", None)))
        if rack is not None:
            labels[RACK] = rack
        taints = [("dedicated", "x", "NoSchedule")] if draw(st.integers(0, 4)) == 0 else []
        out.append(node(name, labels=labels, taints=taints))
    return out


@st.composite
def clusters(draw: st.DrawFn) -> tuple[Snapshot, list[Pod]]:
    nodes = draw(cluster_nodes())
    names = [n.metadata.name for n in nodes]
    existing = [
        draw(pods(f"e{i}", draw(st.sampled_from(names)))) for i in range(draw(st.integers(0, 10)))
    ]
    return Snapshot.build(nodes, existing), existing


interpod_args = st.fixed_dictionaries(
    {
        "hardPodAffinityWeight": st.sampled_from((0, 1, 5)),
        "ignorePreferredTermsOfExistingPods": st.booleans(),
        "namespaceLabels": st.just({"other": {"team": "x"}}),
    }
)
spread_args = st.sampled_from(
    (
        {},
        {
            "defaultingType": "List",
            "defaultConstraints": [
                {"maxSkew": 1, "topologyKey": ZONE, "whenUnsatisfiable": "ScheduleAnyway"},
                {"maxSkew": 2, "topologyKey": HOST, "whenUnsatisfiable": "DoNotSchedule"},
            ],
        },
    )
)


def plugin_pairs(interpod_config: dict[str, Any], spread_config: dict[str, Any]) -> list[Any]:
    return [
        (InterPodAffinity(interpod_config), ReferenceInterPodAffinity(interpod_config)),
        (PodTopologySpread(spread_config), ReferenceSpread(spread_config)),
    ]


# --- properties ------------------------------------------------------------------------------


@settings(max_examples=50)
@given(
    cluster=clusters(),
    pod=incoming_pods(),
    data=st.data(),
    interpod_config=interpod_args,
    spread_config=spread_args,
)
def test_one_cycle_matches_the_reference(cluster, pod, data, interpod_config, spread_config):
    snapshot, _ = cluster
    names = [info.name for info in snapshot.nodes]
    feasible = data.draw(st.lists(st.sampled_from(names), unique=True))
    for direct_walk in (64, 0):
        # 0: the nodes holding pods with terms are tallied rather than walked directly.
        with mock.patch.object(interpod, "_DIRECT_WALK_NODES", direct_walk):
            for fast, reference in plugin_pairs(interpod_config, spread_config):
                assert cycle(fast, pod, snapshot, feasible) == cycle(
                    reference, pod, snapshot, feasible
                )


def _replace(snapshot: Snapshot, index: int, info: NodeInfo) -> Snapshot:
    """``snapshot`` with one node info replaced; the others stay the same objects."""
    nodes = list(snapshot.nodes)
    nodes[index] = info
    return Snapshot(tuple(nodes))


@given(
    cluster=clusters(),
    incoming=st.lists(incoming_pods(), min_size=1, max_size=2),
    data=st.data(),
    interpod_config=interpod_args,
    spread_config=spread_args,
)
def test_successive_snapshots_match_the_reference(
    cluster, incoming, data, interpod_config, spread_config
):
    """One plugin instance across snapshots that differ by a few node infos, as the cache
    produces them: pods assumed, pods removed, a node relabelled."""
    snapshot, _ = cluster
    names = [info.name for info in snapshot.nodes]
    with mock.patch.object(interpod, "_DIRECT_WALK_NODES", 0):
        pairs = plugin_pairs(interpod_config, spread_config)
        for step in range(4):
            for pod in incoming:
                feasible = data.draw(st.lists(st.sampled_from(names), unique=True))
                for fast, reference in pairs:
                    assert cycle(fast, pod, snapshot, feasible) == cycle(
                        reference, pod, snapshot, feasible
                    )
            index = data.draw(st.integers(0, len(names) - 1))
            info = snapshot.nodes[index]
            change = data.draw(st.sampled_from(("add", "add", "remove", "relabel")))
            if change == "add":
                added = data.draw(pods(f"s{step}", info.name))
                info = info.with_pod(added)
            elif change == "remove" and info.pods:
                info = info.without_pod(data.draw(st.sampled_from(info.pods)))
            elif change == "relabel":
                labels = dict(info.node.metadata.labels)
                labels[ZONE] = data.draw(st.sampled_from(("a", "b", "c")))
                relabelled = attrs.evolve(
                    info.node, metadata=attrs.evolve(info.node.metadata, labels=labels)
                )
                info = attrs.evolve(info, node=relabelled)
            snapshot = _replace(snapshot, index, info)


def test_replicas_share_parsed_terms():
    """Pods made from one template (one Affinity object) are parsed once per namespace."""
    term = PodAffinityTerm(
        topology_key=HOST, label_selector=LabelSelector(match_labels={"app": "web"})
    )
    affinity = Affinity(
        pod_anti_affinity=PodAffinity(required_during_scheduling_ignored_during_execution=(term,))
    )
    a, b = (
        Pod(
            metadata=ObjectMeta(name=name, namespace="default", labels={"app": "web"}),
            spec=PodSpec(containers=(container(),), affinity=affinity),
        )
        for name in "ab"
    )
    # Private on purpose: the sharing is what makes existing pods' terms cheap.
    first = interpod._pod_terms(a)
    assert interpod._pod_terms(b) is first
    assert first.anti_affinity == (compile_term(term, a),)


def test_incoming_anti_affinity_is_checked_before_existing_pods_on_every_key():
    """The incoming pod's anti-affinity is on zone then hostname, an existing pod's on the zone.
    On n1 the existing pod's term fails the zone and the incoming pod's the hostname: the
    incoming pod's reason wins, although its zone check passes there."""

    def anti(key, app):
        selector = LabelSelector(match_labels={"app": app})
        return PodAffinityTerm(topology_key=key, label_selector=selector)

    def make(name, app, node_name="", terms=()):
        affinity = Affinity(
            pod_anti_affinity=PodAffinity(required_during_scheduling_ignored_during_execution=terms)
        )
        return Pod(
            metadata=ObjectMeta(name=name, namespace="default", labels={"app": app}),
            spec=PodSpec(containers=(container(),), node_name=node_name, affinity=affinity),
        )

    nodes = [node(n, labels={HOST: n, ZONE: z}) for n, z in (("n1", "a"), ("n2", "b"))]
    existing = [
        make("guard", "guard", "n1", (anti(ZONE, "web"),)),
        make("db", "db", "n1"),
        make("cache", "cache", "n2"),
    ]
    incoming = make("web", "web", terms=(anti(ZONE, "cache"), anti(HOST, "db")))
    snapshot = Snapshot.build(nodes, existing)
    fast = cycle(InterPodAffinity(), incoming, snapshot, ["n1", "n2"])
    assert fast == cycle(ReferenceInterPodAffinity(), incoming, snapshot, ["n1", "n2"])
    assert fast[1]["n1"].reasons == (interpod.ERR_REASON_ANTI_AFFINITY_RULES_NOT_MATCH,)


def test_tallies_are_kept_apart_per_selector_and_namespace():
    """One plugin instance, pods that differ only in selector, namespace or kind, interleaved
    over snapshots that change between rounds: each must see its own counts."""

    def make(name, app, node_name="", namespace="default", **spec):
        return Pod(
            metadata=ObjectMeta(name=name, uid=name, namespace=namespace, labels={"app": app}),
            spec=PodSpec(containers=(container(),), node_name=node_name, **spec),
        )

    def spread(app, when="DoNotSchedule", key=ZONE):
        selector = LabelSelector(match_labels={"app": app})
        constraint = TopologySpreadConstraint(
            max_skew=1, topology_key=key, when_unsatisfiable=when, label_selector=selector
        )
        return {"topology_spread_constraints": (constraint,)}

    def terms(app, kind):
        term = PodAffinityTerm(
            topology_key=HOST, label_selector=LabelSelector(match_labels={"app": app})
        )
        if kind == "anti":
            group = PodAffinity(required_during_scheduling_ignored_during_execution=(term,))
            return {"affinity": Affinity(pod_anti_affinity=group)}
        weighted = WeightedPodAffinityTerm(weight=3, pod_affinity_term=term)
        group = PodAffinity(preferred_during_scheduling_ignored_during_execution=(weighted,))
        return {"affinity": Affinity(pod_affinity=group)}

    zones = {"n1": "a", "n2": "a", "n3": "b", "n4": "b"}
    nodes = [node(n, labels={HOST: n, ZONE: z}) for n, z in zones.items()]
    existing = [
        make("w1", "web", "n1"),
        make("w2", "web", "n3", namespace="other"),
        make("d1", "db", "n3"),
        make("g1", "guard", "n2", **terms("web", "anti")),
    ]
    incoming = [
        make("p1", "web", **spread("web")),
        make("p2", "db", **spread("db")),
        make("p3", "web", namespace="other", **spread("web")),
        make("p4", "web", **spread("web", "ScheduleAnyway")),
        make("p5", "db", **spread("db", "ScheduleAnyway")),
        make("p6", "web", **terms("web", "anti")),
        make("p7", "db", **terms("db", "anti")),
        make("p8", "web", **terms("web", "preferred")),
        make("p9", "db", **terms("db", "preferred")),
        make("p10", "web", namespace="other", **terms("web", "preferred")),
    ]
    snapshot = Snapshot.build(nodes, existing)
    with mock.patch.object(interpod, "_DIRECT_WALK_NODES", 0):
        fast = [InterPodAffinity(), PodTopologySpread()]
        for round_ in range(3):
            for pod in incoming:
                for plugin, reference in zip(
                    fast, (ReferenceInterPodAffinity(), ReferenceSpread()), strict=True
                ):
                    assert cycle(plugin, pod, snapshot, list(zones)) == cycle(
                        reference, pod, snapshot, list(zones)
                    ), (round_, pod.metadata.name, plugin.name)
            # Between rounds the scheduler assumed pods: web and db onto different nodes.
            web = make(f"web{round_}", "web", f"n{round_ + 2}", **terms("db", "anti"))
            db = make(f"db{round_}", "db", "n4")
            changed = {web.spec.node_name: web, db.spec.node_name: db}
            snapshot = Snapshot(
                tuple(
                    info.with_pod(changed[info.name]) if info.name in changed else info
                    for info in snapshot.nodes
                )
            )
