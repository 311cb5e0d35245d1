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

Cost: a pod without constraints (and, under the system defaults, without labels) is skipped
without looking at any node. Otherwise the pods matching each constraint are counted per
domain by a :class:`NodeTally`, which keeps the counts from one cycle to the next and recounts
only the nodes whose node info changed (the scheduler's cache replaces just those), so a cycle
after one assumed pod recounts one node. Filter and Score then cost a dictionary lookup or
two per constraint.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Hashable, ItemsView, Iterable, Mapping, Sequence
from typing import Any, ClassVar, TypeVar

import attrs

from kube_actors.api import Pod, TopologySpreadConstraint
from kube_actors.api.selectors import (
    Operator,
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
    "Contribute",
    "ERR_REASON_CONSTRAINTS_NOT_MATCH",
    "ERR_REASON_NODE_LABEL_NOT_MATCH",
    "LABEL_HOSTNAME",
    "LABEL_ZONE",
    "SCHEDULE_ANYWAY",
    "SYSTEM_DEFAULT_CONSTRAINTS",
    "NodeTally",
    "PodTopologySpread",
    "SpreadConstraint",
    "TallyCache",
    "count_pods_matching",
    "normalizing_weight",
    "selector_labels",
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


@functools.lru_cache(maxsize=4096)
def selector_labels(selector: Selector) -> ItemsView[str, str] | None:
    """The ``key=value`` pairs ``selector`` requires, when that is all it requires; else None.

    For such a selector ``selector_labels(s) <= labels.items()`` is ``s.matches(labels)``,
    tested in C. None for a selector that selects nothing or has any other requirement.

    >>> from kube_actors.api.selectors import parse_selector
    >>> sorted(selector_labels(parse_selector("app=web,tier in (db)")))
    [('app', 'web'), ('tier', 'db')]
    >>> selector_labels(parse_selector("app in (a,b)")) is None
    True
    """
    if selector.selects_nothing:
        return None
    required: dict[str, str] = {}
    for r in selector.requirements:
        if r.operator not in (Operator.EQUALS, Operator.IN) or len(r.values) != 1:
            return None
        if required.setdefault(r.key, r.values[0]) != r.values[0]:
            return None  # two different values for one key: leave it to Selector.matches
    return required.items()


def _count_matching(
    pods: Sequence[Pod],
    namespace: str,
    required: ItemsView[str, str] | None,
    selector: Selector,
) -> int:
    """Pods in ``namespace``, not terminating, matching ``selector`` (``required`` its pairs)."""
    n = 0
    if required is not None:
        for p in pods:
            meta = p.metadata
            if (
                meta.namespace == namespace
                and meta.deletion_timestamp is None
                and required <= meta.labels.items()
            ):
                n += 1
    else:
        for p in pods:
            meta = p.metadata
            if (
                meta.namespace == namespace
                and meta.deletion_timestamp is None
                and selector.matches(meta.labels)
            ):
                n += 1
    return n


def count_pods_matching(node: NodeInfo, selector: Selector, namespace: str) -> int:
    """Pods on ``node`` in ``namespace``, not terminating, whose labels ``selector`` matches.

    An empty selector counts nothing, as upstream ``countPodsMatchSelector``.
    """
    if selector.is_empty() or not node.pods:
        return 0
    return _count_matching(node.pods, namespace, selector_labels(selector), selector)


G = TypeVar("G", bound=Hashable)
K = TypeVar("K", bound=Hashable)

#: What a node adds to a tally: (group, key, count) triples.
Contribute = Callable[[NodeInfo], Iterable[tuple[G, K, int]]]


def _changed_positions(
    old: tuple[NodeInfo, ...], new: tuple[NodeInfo, ...], limit: int
) -> list[int] | None:
    """Positions where ``new`` (as long as ``old``) holds another node info than ``old``;
    None once more than ``limit`` are found (recounting everything is cheaper then).

    Bisects with tuple comparisons, which run in C and take identical elements as equal at
    once, so one changed node among thousands costs a few microseconds. Elements that merely
    compare equal count as unchanged: a node info's contribution depends on its value only.
    """
    changed: list[int] = []
    stack = [(0, len(new))]
    while stack:
        lo, hi = stack.pop()
        if old[lo:hi] == new[lo:hi]:
            continue
        if hi - lo <= 16:
            changed.extend(i for i in range(lo, hi) if old[i] is not new[i])
            if len(changed) > limit:
                return None
        else:
            mid = (lo + hi) // 2
            stack.append((mid, hi))
            stack.append((lo, mid))
    return changed


class NodeTally:
    """Sums of what the nodes of a snapshot contribute, kept up to date between snapshots.

    A contribution is a ``(group, key, count)`` triple; the totals map each group to each
    key's summed count. A key stays while any node contributes it, even with count 0 (a
    topology domain without matching pods is still a domain). The scheduler's cache replaces
    only the node infos that changed, so a later snapshot is compared with the previous one
    position by position and only the nodes that are not the same object are recomputed:
    after one pod is assumed that is one node, not every pod of every node.

    The contribution function must depend on nothing but the node info's value; callers key
    their tallies (see :class:`TallyCache`) by everything else it reads.

    >>> from kube_actors.api import Node, ObjectMeta
    >>> a, b = (NodeInfo(node=Node(metadata=ObjectMeta(name=n))) for n in "ab")
    >>> tally = NodeTally()
    >>> dict(tally.totals((a, b), lambda info: [(0, info.name, 1)])[0])
    {'a': 1, 'b': 1}
    """

    __slots__ = ("_nodes", "_per_node", "_refs", "_totals")

    def __init__(self) -> None:
        self._nodes: tuple[NodeInfo, ...] = ()
        self._per_node: list[tuple[tuple[Any, Any, int], ...]] = []
        self._totals: dict[Any, dict[Any, int]] = {}
        self._refs: dict[Any, dict[Any, int]] = {}

    @staticmethod
    def once(contribute: Contribute[G, K], nodes: Iterable[NodeInfo]) -> dict[G, dict[K, int]]:
        """The totals over ``nodes`` computed from scratch, remembering nothing."""
        totals: dict[G, dict[K, int]] = {}
        for info in nodes:
            for group, key, n in contribute(info):
                counts = totals.get(group)
                if counts is None:
                    counts = totals[group] = {}
                counts[key] = counts.get(key, 0) + n
        return totals

    def totals(
        self, nodes: tuple[NodeInfo, ...], contribute: Contribute[G, K]
    ) -> Mapping[G, Mapping[K, int]]:
        """The totals over ``nodes``; read them before the next call (they are live)."""
        if nodes is self._nodes:
            return self._totals
        changed = (
            _changed_positions(self._nodes, nodes, len(nodes) // 4)
            if len(nodes) == len(self._nodes)
            else None
        )
        if changed is None:
            self._totals, self._refs = {}, {}
            self._per_node = [tuple(contribute(info)) for info in nodes]
            for contribution in self._per_node:
                self._apply(contribution, 1)
        else:
            for i in changed:
                self._apply(self._per_node[i], -1)
                self._per_node[i] = contribution = tuple(contribute(nodes[i]))
                self._apply(contribution, 1)
        self._nodes = nodes
        return self._totals

    def _apply(self, contribution: tuple[tuple[Any, Any, int], ...], sign: int) -> None:
        totals, refs = self._totals, self._refs
        for group, key, n in contribution:
            counts = totals.get(group)
            if counts is None:
                counts = totals[group] = {}
                refs[group] = {}
            uses = refs[group]
            if sign > 0:
                counts[key] = counts.get(key, 0) + n
                uses[key] = uses.get(key, 0) + 1
            elif uses[key] > 1:
                counts[key] -= n
                uses[key] -= 1
            else:
                del counts[key], uses[key]
                if not counts:
                    del totals[group], refs[group]


class TallyCache:
    """A plugin's :class:`NodeTally` objects by signature: everything a contribution reads
    besides the node info. The least recently used tally goes when there are too many.

    A ``None`` signature means "do not keep": the totals are computed from scratch.
    """

    _MAX_TALLIES = 32

    def __init__(self) -> None:
        self._tallies: dict[Hashable, NodeTally] = {}

    def totals(
        self,
        signature: Hashable | None,
        contribute: Contribute[G, K],
        nodes: Sequence[NodeInfo],
    ) -> Mapping[G, Mapping[K, int]]:
        """The totals of ``contribute`` over ``nodes`` (live: copy what you keep)."""
        if signature is None or not isinstance(nodes, tuple):
            return NodeTally.once(contribute, nodes)
        tallies = self._tallies
        tally = tallies.pop(signature, None)  # re-inserted last: most recently used
        if tally is None:
            if len(tallies) >= self._MAX_TALLIES:
                del tallies[next(iter(tallies))]
            tally = NodeTally()
        tallies[signature] = tally
        return tally.totals(nodes, contribute)


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


def _has_node_affinity(pod: Pod) -> bool:
    """Whether ``pod`` has a nodeSelector or required node affinity (which may exclude nodes)."""
    if pod.spec.node_selector:
        return True
    affinity = pod.spec.affinity.node_affinity if pod.spec.affinity else None
    return (
        affinity is not None
        and affinity.required_during_scheduling_ignored_during_execution is not None
    )


def _has_all(labels: Mapping[str, str], keys: Sequence[str]) -> bool:
    """Whether ``labels`` has every one of ``keys``."""
    for key in keys:  # noqa: SIM110 - a plain loop: this runs once per node
        if key not in labels:
            return False
    return True


@attrs.frozen
class _Counter:
    """One constraint prepared for counting: what ``count_pods_matching`` needs, precomputed."""

    key: str
    selector: Selector
    required: ItemsView[str, str] | None
    #: An empty selector counts nothing (upstream ``countPodsMatchSelector``).
    counts_nothing: bool
    honor_affinity: bool
    honor_taints: bool

    @classmethod
    def of(cls, c: SpreadConstraint) -> _Counter:
        """The counter of constraint ``c``."""
        return cls(
            key=c.topology_key,
            selector=c.selector,
            required=selector_labels(c.selector),
            counts_nothing=c.selector.is_empty(),
            honor_affinity=c.node_affinity_policy == HONOR,
            honor_taints=c.node_taints_policy == HONOR,
        )

    def count(self, pods: Sequence[Pod], namespace: str) -> int:
        """``count_pods_matching`` over ``pods``."""
        if self.counts_nothing or not pods:
            return 0
        return _count_matching(pods, namespace, self.required, self.selector)


class _Inclusion:
    """The node inclusion policies of a cycle: which constraints count a node's pods.

    A node is excluded only by an Honor policy: node affinity when the pod has a nodeSelector
    or required node affinity, taints when some constraint honors them. When neither can
    exclude anything every node is included and nothing per node is evaluated.
    """

    __slots__ = ("_check_affinity", "_check_taints", "_pod", "trivial")

    def __init__(self, pod: Pod, counters: Sequence[_Counter]) -> None:
        self._pod = pod
        self._check_affinity = _has_node_affinity(pod) and any(c.honor_affinity for c in counters)
        self._check_taints = any(c.honor_taints for c in counters)
        self.trivial = not (self._check_affinity or self._check_taints)

    def included(self, node: NodeInfo, counters: Sequence[_Counter]) -> list[bool]:
        """Per counter, whether ``node`` is one of its domains' nodes."""
        affinity_ok = not self._check_affinity or _required_node_affinity_matches(self._pod, node)
        taints_ok = not self._check_taints or not _untolerated_hard_taint(self._pod, node)
        return [
            (affinity_ok or not c.honor_affinity) and (taints_ok or not c.honor_taints)
            for c in counters
        ]


def _domain_contributions(
    counters: Sequence[_Counter],
    indexes: Sequence[int],
    required_keys: Sequence[str],
    default: str | None,
    namespace: str,
    inclusion: _Inclusion,
) -> Contribute[int, str]:
    """A node's contributions ``(constraint index, topology value, matching pods)``.

    Nodes missing one of ``required_keys`` contribute nothing; a missing topology key reads
    as ``default`` (``None``: the key is one of ``required_keys``). With ``default`` set
    (PreScore) a node without pods contributes nothing, as it would only add 0 to a domain
    registered elsewhere; PreFilter registers every domain, with or without pods.
    """
    scoring = default is not None
    missing = default or ""
    if len(indexes) == 1 and inclusion.trivial:
        # The common shape, one constraint: one Python call per node (the counting loop of
        # _count_matching inlined).
        c = counters[indexes[0]]
        i, key, required, selector = indexes[0], c.key, c.required, c.selector
        counts_nothing = c.counts_nothing

        def one(info: NodeInfo) -> tuple[tuple[int, str, int], ...]:
            pods = info.pods
            if scoring and not pods:
                return ()
            labels = info.node.metadata.labels
            for k in required_keys:
                if k not in labels:
                    return ()
            value = labels.get(key, missing) if scoring else labels[key]
            n = 0
            if not counts_nothing:
                for p in pods:
                    meta = p.metadata
                    if (
                        meta.namespace == namespace
                        and meta.deletion_timestamp is None
                        and (
                            required <= meta.labels.items()
                            if required is not None
                            else selector.matches(meta.labels)
                        )
                    ):
                        n += 1
            return ((i, value, n),)

        return one

    def many(info: NodeInfo) -> list[tuple[int, str, int]]:
        pods = info.pods
        if scoring and not pods:
            return []
        labels = info.node.metadata.labels
        if not _has_all(labels, required_keys):
            return []
        included = None if inclusion.trivial else inclusion.included(info, counters)
        out = []
        for i in indexes:
            if included is None or included[i]:
                c = counters[i]
                value = labels.get(c.key, missing) if scoring else labels[c.key]
                out.append((i, value, c.count(pods, namespace)))
        return out

    return many


@attrs.frozen
class _FilterState:
    #: Per constraint: (topology key, matching pods per domain (every eligible domain
    #: present), the most a domain may hold), the limit being ``maxSkew + globalMin -
    #: selfMatch``, so that Filter compares one number.
    checks: tuple[tuple[str, Mapping[str, int], int], ...]


def _min_match_num(c: SpreadConstraint, counts: Mapping[str, int]) -> int:
    """``globalMin``: 0 while fewer than ``minDomains`` domains are eligible."""
    if len(counts) < c.min_domains or not counts:
        return 0
    return min(counts.values())


@attrs.frozen
class _ScoreState:
    constraints: tuple[SpreadConstraint, ...]
    ignored: frozenset[str]
    #: Per constraint: topology value -> matching pods (hostname constraints count in Score).
    pod_counts: tuple[dict[str, int], ...]
    weights: tuple[float, ...]
    counters: tuple[_Counter, ...]
    namespace: str


# Statuses are immutable: Filter hands out shared ones instead of building one per node.
_SUCCESS = Status.success()
_LABEL_MISSING = Status.unresolvable(ERR_REASON_NODE_LABEL_NOT_MATCH, plugin="PodTopologySpread")
_SKEW_EXCEEDED = Status.unschedulable(ERR_REASON_CONSTRAINTS_NOT_MATCH, plugin="PodTopologySpread")


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
        # Per action, the default constraints that apply, and whether a pod without labels
        # surely gets none of them (building them can fail only on an explicit labelSelector).
        self._defaults_by_action = {
            action: tuple(c for c in self.default_constraints if c.when_unsatisfiable == action)
            for action in (DO_NOT_SCHEDULE, SCHEDULE_ANYWAY)
        }
        # Pod counts per domain, kept from cycle to cycle (see NodeTally).
        self._tallies = TallyCache()
        self._unlabelled_get_no_defaults = {
            action: all(c.label_selector is None for c in defaults)
            for action, defaults in self._defaults_by_action.items()
        }

    @property
    def name(self) -> str:
        """The plugin's registered name."""
        return self.NAME

    def _constraints(self, pod: Pod, action: str) -> list[SpreadConstraint]:
        if pod.spec.topology_spread_constraints:
            return _build_constraints(pod.spec.topology_spread_constraints, pod, action)
        return self._default_constraints(pod, action)

    def _default_constraints(self, pod: Pod, action: str) -> list[SpreadConstraint]:
        labels = pod.metadata.labels
        defaults = self._defaults_by_action.get(action)
        if defaults is not None and (
            not defaults or (not labels and self._unlabelled_get_no_defaults[action])
        ):
            return []  # the common case, decided without building anything
        constraints = _build_constraints(self.default_constraints, pod, action)
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
        counters = tuple(_Counter.of(c) for c in constraints)
        keys = tuple(c.key for c in counters)
        namespace = pod.metadata.namespace
        inclusion = _Inclusion(pod, counters)

        contribute = _domain_contributions(
            counters, range(len(counters)), keys, None, namespace, inclusion
        )

        # Inclusion policies read the pod, so only a trivial one may share a tally.
        signature = (
            ("filter", namespace, tuple((c.key, c.selector) for c in counters))
            if inclusion.trivial
            else None
        )
        totals = self._tallies.totals(signature, contribute, snapshot.nodes)
        match_num = tuple(dict(totals.get(i, {})) for i in range(len(counters)))
        pod_labels = pod.metadata.labels
        checks = tuple(
            (
                c.topology_key,
                counts,
                c.max_skew
                + _min_match_num(c, counts)
                - (1 if c.selector.matches(pod_labels) else 0),
            )
            for c, counts in zip(constraints, match_num, strict=True)
        )
        state.write(_PRE_FILTER_KEY, _FilterState(checks))
        return Status.success()

    def filter(self, state: CycleState, pod: Pod, node: NodeInfo) -> Status:
        """Unschedulable when placing the pod here would exceed a constraint's maxSkew."""
        s = state.read(_PRE_FILTER_KEY)
        if not isinstance(s, _FilterState):
            return Status.error("PodTopologySpread: PreFilter state missing", plugin=self.NAME)
        labels = node.node.metadata.labels
        for key, counts, limit in s.checks:
            value = labels.get(key)
            if value is None:
                return _LABEL_MISSING
            # matchNum + selfMatch - globalMin > maxSkew
            if counts.get(value, 0) > limit:
                return _SKEW_EXCEEDED
        return _SUCCESS

    # --- scoring ------------------------------------------------------------------------------

    def pre_score(self, state: CycleState, pod: Pod, nodes: Sequence[NodeInfo]) -> Status:
        """Count matching pods per domain of each ScheduleAnyway constraint; Skip when none."""
        snap = state.read(_SNAPSHOT_KEY)
        if not nodes or (isinstance(snap, Snapshot) and not len(snap)):
            return Status.success()
        try:
            constraints = self._constraints(pod, SCHEDULE_ANYWAY)
        except SelectorError as err:
            return Status.error(str(err), plugin=self.NAME)
        if not constraints:
            return Status.skip(self.NAME)
        # Only now the whole node list (a cache snapshot builds it on first use).
        all_nodes = snap.nodes if isinstance(snap, Snapshot) else tuple(nodes)
        require_all = bool(pod.spec.topology_spread_constraints) or not self.system_defaulted
        counters = tuple(_Counter.of(c) for c in constraints)
        keys = [c.key for c in counters]
        # Hostname domains are counted per node in Score; the others here.
        domain = [i for i, key in enumerate(keys) if key != LABEL_HOSTNAME]
        ignored: set[str] = set()
        pod_counts: tuple[dict[str, int], ...] = tuple({} for _ in constraints)
        for info in nodes:
            labels = info.node.metadata.labels
            if require_all and not _has_all(labels, keys):
                ignored.add(info.name)
                continue
            for i in domain:
                # As upstream, a node missing the key registers the "" domain (system defaults).
                pod_counts[i].setdefault(labels.get(keys[i], ""), 0)
        weights = tuple(
            normalizing_weight(
                len(nodes) - len(ignored) if key == LABEL_HOSTNAME else len(pod_counts[i])
            )
            for i, key in enumerate(keys)
        )
        # Only constraints with domains to fill (and pods they can count) need the walk.
        counted = tuple(i for i in domain if pod_counts[i] and not counters[i].counts_nothing)
        if counted:
            self._count_domains(pod, all_nodes, counters, counted, pod_counts, require_all)
        state.write(
            _PRE_SCORE_KEY,
            _ScoreState(
                tuple(constraints),
                frozenset(ignored),
                pod_counts,
                weights,
                counters,
                pod.metadata.namespace,
            ),
        )
        return Status.success()

    def _count_domains(
        self,
        pod: Pod,
        all_nodes: Sequence[NodeInfo],
        counters: tuple[_Counter, ...],
        counted: tuple[int, ...],
        pod_counts: Sequence[dict[str, int]],
        require_all: bool,
    ) -> None:
        """Fill the registered domains with the matching pods of every node."""
        keys = tuple(c.key for c in counters)
        namespace = pod.metadata.namespace
        inclusion = _Inclusion(pod, counters)

        contribute = _domain_contributions(
            counters, counted, keys if require_all else (), "", namespace, inclusion
        )

        signature = (
            (
                "score",
                namespace,
                require_all,
                keys,
                tuple((i, counters[i].selector) for i in counted),
            )
            if inclusion.trivial
            else None
        )
        totals = self._tallies.totals(signature, contribute, all_nodes)
        for i in counted:
            found = totals.get(i, {})
            counts = pod_counts[i]
            for value in counts:
                counts[value] = found.get(value, 0)

    def score(self, state: CycleState, pod: Pod, node: NodeInfo) -> int:
        """``round(sum over constraints of count * ln(domains + 2) + maxSkew - 1)``."""
        s = state.read(_PRE_SCORE_KEY)
        if not isinstance(s, _ScoreState) or node.name in s.ignored:
            return 0
        labels = node.node.metadata.labels
        total = 0.0
        for c, counter, counts, weight in zip(
            s.constraints, s.counters, s.pod_counts, s.weights, strict=True
        ):
            value = labels.get(c.topology_key)
            if value is None:
                continue
            if c.topology_key == LABEL_HOSTNAME:
                count = counter.count(node.pods, s.namespace)
            else:
                count = counts.get(value, 0)
            total += count * weight + (c.max_skew - 1)
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
