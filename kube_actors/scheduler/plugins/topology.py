"""PodTopologySpread: spread matching pods across topology domains (upstream v1.34 semantics).

Filter (``whenUnsatisfiable: DoNotSchedule``): a node missing a constraint's topology key is
UnschedulableAndUnresolvable; otherwise the node fails when ``matchNum + selfMatch - globalMin >
maxSkew``, with ``globalMin`` taken as 0 while fewer than ``minDomains`` domains are eligible.

Score (``whenUnsatisfiable: ScheduleAnyway``): per constraint a weight ``ln(domains + 2)``; the
raw score is ``round(sum(count * weight + maxSkew - 1))`` and is normalized (lower is better)
as ``100 * (max + min - raw) // max``.

Pods without constraints of their own get the *default constraints* (upstream's system
defaults: hostname maxSkew 3 and zone maxSkew 5, both ScheduleAnyway). Upstream selects with
the selectors of the Services, ReplicationControllers, ReplicaSets and StatefulSets the pod
belongs to; a scheduling snapshot holds none of those objects, so here the selector is the
pod's own labels (``key=value`` for each label) and a pod without labels gets no default
constraints. For pods created from a ReplicaSet or StatefulSet template that is the same set of
pods the owner's selector picks out, unless the owner selects on fewer labels than it sets.

PreScore counts pods on *all* nodes of the snapshot (not only the feasible ones), as upstream;
the framework hands PreScore only the feasible nodes, so PreFilter remembers the snapshot in
the cycle state. Without a PreFilter call (the plugin disabled at preFilter) PreScore falls
back to counting the feasible nodes only.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import attrs

from kube_actors.api import Pod, TopologySpreadConstraint
from kube_actors.api.selectors import (
    Requirement,
    Selector,
    SelectorError,
    selector_from_label_selector,
)
from kube_actors.scheduler.framework import MAX_NODE_SCORE, CycleState, Status
from kube_actors.scheduler.nodeinfo import NodeInfo, Snapshot
from kube_actors.scheduler.plugins.basic import node_selector_term_matches, tolerates

__all__ = [
    "DO_NOT_SCHEDULE",
    "ERR_REASON_CONSTRAINTS_NOT_MATCH",
    "ERR_REASON_NODE_LABEL_NOT_MATCH",
    "LABEL_HOSTNAME",
    "LABEL_ZONE",
    "SCHEDULE_ANYWAY",
    "SYSTEM_DEFAULT_CONSTRAINTS",
    "PodTopologySpread",
    "SpreadConstraint",
    "count_pods_matching",
    "normalizing_weight",
]

DO_NOT_SCHEDULE = "DoNotSchedule"
SCHEDULE_ANYWAY = "ScheduleAnyway"
LABEL_HOSTNAME = "kubernetes.io/hostname"
LABEL_ZONE = "topology.kubernetes.io/zone"
HONOR = "Honor"
IGNORE = "Ignore"

ERR_REASON_CONSTRAINTS_NOT_MATCH = "node(s) didn't match pod topology spread constraints"
ERR_REASON_NODE_LABEL_NOT_MATCH = ERR_REASON_CONSTRAINTS_NOT_MATCH + " (missing required label)"

#: Upstream's ``systemDefaultConstraints``.
SYSTEM_DEFAULT_CONSTRAINTS: tuple[TopologySpreadConstraint, ...] = (
    TopologySpreadConstraint(
        max_skew=3, topology_key=LABEL_HOSTNAME, when_unsatisfiable=SCHEDULE_ANYWAY
    ),
    TopologySpreadConstraint(
        max_skew=5, topology_key=LABEL_ZONE, when_unsatisfiable=SCHEDULE_ANYWAY
    ),
)

_PRE_FILTER_KEY = "PreFilterPodTopologySpread"
_PRE_SCORE_KEY = "PreScorePodTopologySpread"
_SNAPSHOT_KEY = "PodTopologySpreadSnapshot"


@attrs.frozen
class SpreadConstraint:
    """One constraint as the plugin uses it: selector built, defaults applied."""

    max_skew: int
    topology_key: str
    selector: Selector
    min_domains: int = 1
    node_affinity_policy: str = HONOR
    node_taints_policy: str = IGNORE


def normalizing_weight(size: int) -> float:
    """Upstream ``topologyNormalizingWeight``: ``ln(size + 2)``.

    >>> round(normalizing_weight(1), 4)
    1.0986
    """
    return math.log(size + 2)


def _go_round(value: float) -> int:
    """Go's ``math.Round``: half away from zero (Python's ``round`` rounds half to even).

    >>> _go_round(2.5), _go_round(3.5), _go_round(0.49999999999999994)
    (3, 4, 0)
    """
    whole = math.trunc(value)
    if abs(value - whole) >= 0.5:
        whole += 1 if value > 0 else -1
    return whole


def count_pods_matching(node: NodeInfo, selector: Selector, namespace: str) -> int:
    """Pods on ``node`` in ``namespace``, not terminating, whose labels ``selector`` matches.

    An empty selector counts nothing, as upstream ``countPodsMatchSelector``.
    """
    if selector.is_empty():
        return 0
    return sum(
        1
        for p in node.pods
        if p.metadata.deletion_timestamp is None
        and p.metadata.namespace == namespace
        and selector.matches(p.metadata.labels)
    )


def _merge_label_set(match_labels: Mapping[str, str], selector: Selector) -> Selector:
    reqs = [Requirement(k, "=", [v]) for k, v in match_labels.items()]
    if not selector.selects_nothing:
        reqs.extend(selector.requirements)
    return Selector(reqs)


def _build_constraints(
    constraints: Sequence[TopologySpreadConstraint], pod: Pod, action: str
) -> list[SpreadConstraint]:
    """Upstream ``filterTopologySpreadConstraints``: those of ``action``, matchLabelKeys merged."""
    labels = pod.metadata.labels
    out: list[SpreadConstraint] = []
    for c in constraints:
        if c.when_unsatisfiable != action:
            continue
        selector = selector_from_label_selector(c.label_selector)
        if c.match_label_keys:
            match = {k: labels[k] for k in c.match_label_keys if k in labels}
            if match:
                selector = _merge_label_set(match, selector)
        out.append(
            SpreadConstraint(
                max_skew=c.max_skew,
                topology_key=c.topology_key,
                selector=selector,
                min_domains=c.min_domains if c.min_domains is not None else 1,
                node_affinity_policy=c.node_affinity_policy or HONOR,
                node_taints_policy=c.node_taints_policy or IGNORE,
            )
        )
    return out


def _required_node_affinity_matches(pod: Pod, node: NodeInfo) -> bool:
    labels = node.node.metadata.labels
    if any(labels.get(k) != v for k, v in pod.spec.node_selector.items()):
        return False
    affinity = pod.spec.affinity.node_affinity if pod.spec.affinity else None
    required = affinity.required_during_scheduling_ignored_during_execution if affinity else None
    if required is None:
        return True
    return any(node_selector_term_matches(t, node) for t in required.node_selector_terms)


def _untolerated_hard_taint(pod: Pod, node: NodeInfo) -> bool:
    return any(
        taint.effect in ("NoSchedule", "NoExecute")
        and not any(tolerates(t, taint) for t in pod.spec.tolerations)
        for taint in node.node.spec.taints
    )


def _matches_inclusion_policies(c: SpreadConstraint, pod: Pod, node: NodeInfo) -> bool:
    if c.node_affinity_policy == HONOR and not _required_node_affinity_matches(pod, node):
        return False
    return not (c.node_taints_policy == HONOR and _untolerated_hard_taint(pod, node))


def _has_all_keys(node: NodeInfo, constraints: Sequence[SpreadConstraint]) -> bool:
    labels = node.node.metadata.labels
    return all(c.topology_key in labels for c in constraints)


@attrs.frozen
class _FilterState:
    constraints: tuple[SpreadConstraint, ...]
    #: Per constraint: topology value -> matching pods (every eligible domain present).
    match_num: tuple[dict[str, int], ...]

    def min_match_num(self, i: int) -> int:
        counts = self.match_num[i]
        if len(counts) < self.constraints[i].min_domains or not counts:
            return 0
        return min(counts.values())


@attrs.frozen
class _ScoreState:
    constraints: tuple[SpreadConstraint, ...]
    ignored: frozenset[str]
    #: Per constraint: topology value -> matching pods (hostname constraints count in Score).
    pod_counts: tuple[dict[str, int], ...]
    weights: tuple[float, ...]


def _parse_default_constraints(raw: Any) -> tuple[TopologySpreadConstraint, ...]:
    # Upstream forbids labelSelector here: the selector always comes from the pod's owners.
    out = []
    for item in raw or ():
        if isinstance(item, TopologySpreadConstraint):
            out.append(item)
            continue
        out.append(
            TopologySpreadConstraint(
                max_skew=int(item["maxSkew"]),
                topology_key=str(item["topologyKey"]),
                when_unsatisfiable=str(item["whenUnsatisfiable"]),
            )
        )
    return tuple(out)


class PodTopologySpread:
    """PreFilter/Filter for DoNotSchedule, PreScore/Score/NormalizeScore for ScheduleAnyway.

    Args (``PodTopologySpreadArgs``): ``defaultingType`` ``System`` (default: the system
    default constraints) or ``List`` (use ``defaultConstraints``, a list of constraint dicts
    with ``maxSkew``, ``topologyKey``, ``whenUnsatisfiable``).
    """

    NAME: ClassVar[str] = "PodTopologySpread"

    def __init__(self, args: Mapping[str, Any] | None = None) -> None:
        self.args = dict(args or {})
        self.system_defaulted = self.args.get("defaultingType", "System") == "System"
        if self.system_defaulted:
            self.default_constraints = SYSTEM_DEFAULT_CONSTRAINTS
        else:
            self.default_constraints = _parse_default_constraints(
                self.args.get("defaultConstraints")
            )

    @property
    def name(self) -> str:
        """The plugin's registered name."""
        return self.NAME

    def _constraints(self, pod: Pod, action: str) -> list[SpreadConstraint]:
        if pod.spec.topology_spread_constraints:
            return _build_constraints(pod.spec.topology_spread_constraints, pod, action)
        return self._default_constraints(pod, action)

    def _default_constraints(self, pod: Pod, action: str) -> list[SpreadConstraint]:
        constraints = _build_constraints(self.default_constraints, pod, action)
        labels = pod.metadata.labels
        if not constraints or not labels:
            return []
        # Stand-in for upstream's DefaultSelector (owning Service/RC/RS/StatefulSet selectors).
        selector = Selector([Requirement(k, "=", [v]) for k, v in labels.items()])
        return [attrs.evolve(c, selector=selector) for c in constraints]

    # --- filtering ----------------------------------------------------------------------------

    def pre_filter(self, state: CycleState, pod: Pod, snapshot: Snapshot) -> Status:
        """Count matching pods per domain of each DoNotSchedule constraint; Skip when none."""
        state.write(_SNAPSHOT_KEY, snapshot)
        try:
            constraints = self._constraints(pod, DO_NOT_SCHEDULE)
        except SelectorError as err:
            return Status.error(str(err), plugin=self.NAME)
        if not constraints:
            return Status.skip(self.NAME)
        match_num: tuple[dict[str, int], ...] = tuple({} for _ in constraints)
        for info in snapshot.nodes:
            if not _has_all_keys(info, constraints):
                continue
            labels = info.node.metadata.labels
            for i, c in enumerate(constraints):
                if not _matches_inclusion_policies(c, pod, info):
                    continue
                value = labels[c.topology_key]
                count = count_pods_matching(info, c.selector, pod.metadata.namespace)
                match_num[i][value] = match_num[i].get(value, 0) + count
        state.write(_PRE_FILTER_KEY, _FilterState(tuple(constraints), match_num))
        return Status.success()

    def filter(self, state: CycleState, pod: Pod, node: NodeInfo) -> Status:
        """Unschedulable when placing the pod here would exceed a constraint's maxSkew."""
        s = state.read(_PRE_FILTER_KEY)
        if not isinstance(s, _FilterState):
            return Status.error("PodTopologySpread: PreFilter state missing", plugin=self.NAME)
        labels = node.node.metadata.labels
        pod_labels = pod.metadata.labels
        for i, c in enumerate(s.constraints):
            value = labels.get(c.topology_key)
            if value is None:
                return Status.unresolvable(ERR_REASON_NODE_LABEL_NOT_MATCH, plugin=self.NAME)
            self_match = 1 if c.selector.matches(pod_labels) else 0
            skew = s.match_num[i].get(value, 0) + self_match - s.min_match_num(i)
            if skew > c.max_skew:
                return Status.unschedulable(ERR_REASON_CONSTRAINTS_NOT_MATCH, plugin=self.NAME)
        return Status.success()

    # --- scoring ------------------------------------------------------------------------------

    def pre_score(self, state: CycleState, pod: Pod, nodes: Sequence[NodeInfo]) -> Status:
        """Count matching pods per domain of each ScheduleAnyway constraint; Skip when none."""
        snap = state.read(_SNAPSHOT_KEY)
        all_nodes = snap.nodes if isinstance(snap, Snapshot) else tuple(nodes)
        if not nodes or not all_nodes:
            return Status.success()
        try:
            constraints = self._constraints(pod, SCHEDULE_ANYWAY)
        except SelectorError as err:
            return Status.error(str(err), plugin=self.NAME)
        if not constraints:
            return Status.skip(self.NAME)
        require_all = bool(pod.spec.topology_spread_constraints) or not self.system_defaulted
        ignored: set[str] = set()
        pod_counts: tuple[dict[str, int], ...] = tuple({} for _ in constraints)
        for info in nodes:
            if require_all and not _has_all_keys(info, constraints):
                ignored.add(info.name)
                continue
            labels = info.node.metadata.labels
            for i, c in enumerate(constraints):
                if c.topology_key == LABEL_HOSTNAME:
                    continue  # counted per node in Score
                # As upstream, a node missing the key registers the "" domain (system defaults).
                pod_counts[i].setdefault(labels.get(c.topology_key, ""), 0)
        weights = tuple(
            normalizing_weight(
                len(nodes) - len(ignored)
                if c.topology_key == LABEL_HOSTNAME
                else len(pod_counts[i])
            )
            for i, c in enumerate(constraints)
        )
        for info in all_nodes:
            if require_all and not _has_all_keys(info, constraints):
                continue
            labels = info.node.metadata.labels
            for i, c in enumerate(constraints):
                if not _matches_inclusion_policies(c, pod, info):
                    continue
                value = labels.get(c.topology_key, "")
                if value not in pod_counts[i]:
                    continue
                count = count_pods_matching(info, c.selector, pod.metadata.namespace)
                pod_counts[i][value] += count
        state.write(
            _PRE_SCORE_KEY, _ScoreState(tuple(constraints), frozenset(ignored), pod_counts, weights)
        )
        return Status.success()

    def score(self, state: CycleState, pod: Pod, node: NodeInfo) -> int:
        """``round(sum over constraints of count * ln(domains + 2) + maxSkew - 1)``."""
        s = state.read(_PRE_SCORE_KEY)
        if not isinstance(s, _ScoreState) or node.name in s.ignored:
            return 0
        labels = node.node.metadata.labels
        total = 0.0
        for i, c in enumerate(s.constraints):
            value = labels.get(c.topology_key)
            if value is None:
                continue
            if c.topology_key == LABEL_HOSTNAME:
                count = count_pods_matching(node, c.selector, pod.metadata.namespace)
            else:
                count = s.pod_counts[i].get(value, 0)
            total += count * s.weights[i] + (c.max_skew - 1)
        return _go_round(total)

    def normalize_scores(
        self, state: CycleState, pod: Pod, scores: Mapping[str, int]
    ) -> dict[str, int]:
        """``100 * (max + min - raw) // max`` (all 100 when max is 0); ignored nodes get 0."""
        s = state.read(_PRE_SCORE_KEY)
        if not isinstance(s, _ScoreState):
            return dict(scores)
        valid = {n: v for n, v in scores.items() if n not in s.ignored}
        low = min(valid.values(), default=0)
        high = max(valid.values(), default=0)
        out: dict[str, int] = {}
        for name, raw in scores.items():
            if name in s.ignored:
                out[name] = 0
            elif high == 0:
                out[name] = MAX_NODE_SCORE
            else:
                out[name] = MAX_NODE_SCORE * (high + low - raw) // high
        return out
