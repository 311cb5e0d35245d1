"""InterPodAffinity: required and preferred pod (anti-)affinity, as upstream's plugin (v1.34).

Filter checks, per node, the incoming pod's required affinity terms (every term's topology
domain must hold a pod matching all terms, except for the first pod of a self-affine group),
its required anti-affinity terms (no matching pod in the domain) and existing pods' required
anti-affinity terms that match the incoming pod. Score sums preferred term weights per topology
value (the incoming pod's terms toward existing pods and existing pods' terms toward the
incoming pod, plus ``hardPodAffinityWeight`` for existing pods' required affinity) and
normalizes ``100 * (s - min) / (max - min)``.

Cost, as upstream: existing pods' terms are read only from the nodes that hold pods with such
terms (``Snapshot.have_pods_with_required_anti_affinity`` for Filter,
``Snapshot.have_pods_with_affinity`` for Score); the pods of every node are looked at only when
the incoming pod has terms of its own. A pod without terms in a cluster without such pods is
skipped at once. Beyond upstream, the per-pair counts are kept from cycle to cycle in
:class:`~kube_actors.scheduler.plugins.topology.NodeTally` objects, so a cycle recounts only
the nodes that changed since the last one (replicas share their terms, hence their tallies).
Parsed terms are remembered per ``Affinity`` object (per pod when ``matchLabelKeys`` make them
depend on the pod's labels). Filter and Score then cost a few dictionary lookups per node.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from typing import Any, TypeVar

import attrs

from kube_actors.api import (
    Affinity,
    LabelSelector,
    LabelSelectorRequirement,
    Pod,
    PodAffinityTerm,
    Selector,
    SelectorError,
    selector_from_label_selector,
)
from kube_actors.api._memo import IdentityMemo
from kube_actors.scheduler.framework import MAX_NODE_SCORE, CycleState, Status
from kube_actors.scheduler.nodeinfo import NodeInfo, Snapshot
from kube_actors.scheduler.plugins.topology import (
    Contribute,
    NodeTally,
    TallyCache,
    selector_labels,
)

__all__ = [
    "ERR_REASON_AFFINITY_RULES_NOT_MATCH",
    "ERR_REASON_ANTI_AFFINITY_RULES_NOT_MATCH",
    "ERR_REASON_EXISTING_ANTI_AFFINITY_RULES_NOT_MATCH",
    "AffinityTerm",
    "InterPodAffinity",
    "compile_term",
]

ERR_REASON_AFFINITY_RULES_NOT_MATCH = "node(s) didn't match pod affinity rules"
ERR_REASON_ANTI_AFFINITY_RULES_NOT_MATCH = "node(s) didn't match pod anti-affinity rules"
ERR_REASON_EXISTING_ANTI_AFFINITY_RULES_NOT_MATCH = (
    "node(s) didn't satisfy existing pods anti-affinity rules"
)

#: The label every namespace carries (upstream sets it on every Namespace object).
NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name"

_PRE_FILTER_KEY = "PreFilterInterPodAffinity"
_PRE_SCORE_KEY = "PreScoreInterPodAffinity"
_SNAPSHOT_KEY = "InterPodAffinitySnapshot"

G = TypeVar("G", bound=Hashable)
K = TypeVar("K", bound=Hashable)

#: Namespace name -> its labels.
NamespaceLabels = Callable[[str], Mapping[str, str]]
#: (topology key, topology value)
_Pair = tuple[str, str]


@attrs.frozen
class AffinityTerm:
    """A parsed ``PodAffinityTerm`` (upstream ``framework.AffinityTerm``).

    A pod matches when its namespace is listed in ``namespaces`` or its namespace's labels match
    ``namespace_selector``, and its labels match ``selector``.
    """

    namespaces: frozenset[str]
    namespace_selector: Selector
    selector: Selector
    topology_key: str
    weight: int = 0

    def matches(self, pod: Pod, namespace_labels: NamespaceLabels) -> bool:
        """Whether ``pod`` is one of the pods this term selects."""
        namespace = pod.metadata.namespace
        if namespace not in self.namespaces and (
            self.namespace_selector.selects_nothing
            or not self.namespace_selector.matches(namespace_labels(namespace))
        ):
            return False
        return self.selector.matches(pod.metadata.labels)


def _merged_selector(term: PodAffinityTerm, pod: Pod) -> LabelSelector | None:
    """The term's selector with ``matchLabelKeys`` / ``mismatchLabelKeys`` merged in.

    The API server does this when the pod is created; doing it again only repeats requirements.
    """
    selector = term.label_selector
    if selector is None or not (term.match_label_keys or term.mismatch_label_keys):
        return selector
    labels = pod.metadata.labels
    extra = [
        LabelSelectorRequirement(key=key, operator=op, values=(labels[key],))
        for keys, op in ((term.match_label_keys, "In"), (term.mismatch_label_keys, "NotIn"))
        for key in keys
        if key in labels
    ]
    return attrs.evolve(selector, match_expressions=(*selector.match_expressions, *extra))


def compile_term(term: PodAffinityTerm, pod: Pod, weight: int = 0) -> AffinityTerm:
    """Parse ``term`` of ``pod``: no namespaces and no namespace selector mean the pod's own.

    Raises :class:`~kube_actors.api.SelectorError` for an invalid selector.

    >>> from kube_actors.api import ObjectMeta
    >>> pod = Pod(metadata=ObjectMeta(name="p", namespace="team"))
    >>> t = compile_term(PodAffinityTerm(topology_key="zone"), pod)
    >>> sorted(t.namespaces), t.namespace_selector.selects_nothing
    (['team'], True)
    """
    namespaces = frozenset(term.namespaces)
    if not namespaces and term.namespace_selector is None:
        namespaces = frozenset((pod.metadata.namespace,))
    return AffinityTerm(
        namespaces=namespaces,
        namespace_selector=selector_from_label_selector(term.namespace_selector),
        selector=selector_from_label_selector(_merged_selector(term, pod)),
        topology_key=term.topology_key,
        weight=weight,
    )


@attrs.frozen
class _PodTerms:
    """A pod's parsed terms: required affinity / anti-affinity, preferred (weighted) ones."""

    affinity: tuple[AffinityTerm, ...] = ()
    anti_affinity: tuple[AffinityTerm, ...] = ()
    preferred_affinity: tuple[AffinityTerm, ...] = ()
    preferred_anti_affinity: tuple[AffinityTerm, ...] = ()


_NO_TERMS = _PodTerms()

# Parsed terms (or the selector error's message) by Affinity object and namespace: pods made
# from one template share the template's Affinity, so a cluster parses each template once.
_TERMS_BY_AFFINITY: IdentityMemo[_PodTerms | str] = IdentityMemo(4096)
# Terms that merge matchLabelKeys depend on the pod's own labels: kept per pod instead.
_TERMS_BY_POD: IdentityMemo[_PodTerms | str] = IdentityMemo(16384)


def _compile_pod_terms(pod: Pod, affinity: Affinity) -> _PodTerms:
    pa, paa = affinity.pod_affinity, affinity.pod_anti_affinity
    return _PodTerms(
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


def _uses_pod_labels(affinity: Affinity) -> bool:
    """Whether any term merges ``matchLabelKeys`` / ``mismatchLabelKeys`` (pod-dependent)."""
    for group in (affinity.pod_affinity, affinity.pod_anti_affinity):
        if group is None:
            continue
        terms = [
            *group.required_during_scheduling_ignored_during_execution,
            *(
                w.pod_affinity_term
                for w in group.preferred_during_scheduling_ignored_during_execution
            ),
        ]
        if any(t.match_label_keys or t.mismatch_label_keys for t in terms):
            return True
    return False


def _pod_terms(pod: Pod) -> _PodTerms:
    """All of ``pod``'s inter-pod terms; raises ``SelectorError`` for an invalid selector."""
    affinity = pod.spec.affinity
    if affinity is None or (affinity.pod_affinity is None and affinity.pod_anti_affinity is None):
        return _NO_TERMS
    namespace = pod.metadata.namespace
    found = _TERMS_BY_AFFINITY.get(affinity, namespace)
    if found is None:
        found = _TERMS_BY_POD.get(pod)
    if found is None:
        try:
            found = _compile_pod_terms(pod, affinity)
        except SelectorError as exc:
            # The message, not the exception: re-raising one instance would grow its traceback.
            found = str(exc)
        if _uses_pod_labels(affinity):
            _TERMS_BY_POD.put(pod, found)
        else:
            _TERMS_BY_AFFINITY.put(affinity, found, namespace)
    if isinstance(found, str):
        raise SelectorError(found)
    return found


def _existing_terms(pod: Pod) -> _PodTerms:
    """An existing pod's terms; a pod with an invalid selector contributes none (as upstream)."""
    try:
        return _pod_terms(pod)
    except SelectorError:
        return _NO_TERMS


def _matches_all(terms: Iterable[AffinityTerm], pod: Pod, ns: NamespaceLabels) -> bool:
    """Upstream ``podMatchesAllAffinityTerms``: false for no terms."""
    terms = tuple(terms)
    return bool(terms) and all(t.matches(pod, ns) for t in terms)


class _PodMatcher:
    """:meth:`AffinityTerm.matches` for many pods of one cycle, with the same answers.

    Namespace verdicts are remembered (there are few namespaces and many pods), and a selector
    made only of ``key=value`` requirements is tested as one C-level subset check.
    """

    __slots__ = ("_labels", "_namespace_labels", "_namespace_ok", "_ns_selector", "_selector")

    def __init__(self, term: AffinityTerm, namespace_labels: NamespaceLabels) -> None:
        self._namespace_ok: dict[str, bool] = dict.fromkeys(term.namespaces, True)
        self._ns_selector = term.namespace_selector
        self._namespace_labels = namespace_labels
        self._selector = term.selector
        self._labels = selector_labels(term.selector)

    def _in_namespace(self, namespace: str) -> bool:
        ok = self._namespace_ok.get(namespace)
        if ok is None:
            sel = self._ns_selector
            ok = not sel.selects_nothing and sel.matches(self._namespace_labels(namespace))
            self._namespace_ok[namespace] = ok
        return ok

    def matches(self, pod: Pod) -> bool:
        """Whether the term selects ``pod``."""
        meta = pod.metadata
        if not self._in_namespace(meta.namespace):
            return False
        labels = self._labels
        if labels is not None:
            return labels <= meta.labels.items()
        return self._selector.matches(meta.labels)

    def count(self, pods: Sequence[Pod]) -> int:
        """How many of ``pods`` the term selects."""
        if self._selector.selects_nothing:
            return 0
        n = 0
        labels = self._labels
        namespace_ok = self._namespace_ok
        for pod in pods:
            meta = pod.metadata
            ok = namespace_ok.get(meta.namespace)
            if ok is None:
                ok = self._in_namespace(meta.namespace)
            if not ok:
                continue
            if labels is not None:
                if labels <= meta.labels.items():
                    n += 1
            elif self._selector.matches(meta.labels):
                n += 1
        return n


class _TermVerdicts:
    """Whether existing pods' terms select the incoming pod, each term evaluated once.

    Pods sharing an ``Affinity`` share parsed term objects (see ``_TERMS_BY_AFFINITY``), so a
    thousand replicas with one anti-affinity term cost one match. Keys are ``id(term)``; the
    entry keeps the term alive, so no other object can take its id while the cache lives.
    """

    __slots__ = ("_namespace_labels", "_pod", "_seen")

    def __init__(self, pod: Pod, namespace_labels: NamespaceLabels) -> None:
        self._pod = pod
        self._namespace_labels = namespace_labels
        self._seen: dict[int, tuple[AffinityTerm, bool]] = {}

    def selects(self, term: AffinityTerm) -> bool:
        """Whether ``term`` selects the incoming pod."""
        hit = self._seen.get(id(term))
        if hit is not None:
            return hit[1]
        verdict = term.matches(self._pod, self._namespace_labels)
        self._seen[id(term)] = (term, verdict)
        return verdict


@attrs.frozen
class _PreFilterState:
    """What Filter checks, precomputed from the per-pair counts of matching pods."""

    #: Per affinity term: its topology key and the values whose domain holds a matching pod.
    affinity_checks: tuple[tuple[str, frozenset[str]], ...]
    #: (topology key, blocked value -> status) in checking order: see :func:`_blocking`.
    blocking: tuple[tuple[str, Mapping[str, Status]], ...]
    #: Whether the incoming pod may go where no pod matches its affinity (first of a group).
    first_of_group: bool


@attrs.frozen
class _PreScoreState:
    #: topology key -> topology value -> score.
    topology_score: Mapping[str, Mapping[str, int]]


# Statuses are immutable: Filter hands out shared ones instead of building one per node.
_SUCCESS = Status.success()
_AFFINITY_MISMATCH = Status.unresolvable(
    ERR_REASON_AFFINITY_RULES_NOT_MATCH, plugin="InterPodAffinity"
)
_ANTI_AFFINITY_MISMATCH = Status.unschedulable(
    ERR_REASON_ANTI_AFFINITY_RULES_NOT_MATCH, plugin="InterPodAffinity"
)
_EXISTING_ANTI_AFFINITY_MISMATCH = Status.unschedulable(
    ERR_REASON_EXISTING_ANTI_AFFINITY_RULES_NOT_MATCH, plugin="InterPodAffinity"
)

#: Up to this many nodes holding pods with terms are walked directly; more use a tally.
_DIRECT_WALK_NODES = 64
#: Kinds of an existing pod's term toward the incoming pod (PreScore).
_HARD, _PREFERRED, _PREFERRED_ANTI = range(3)


def _add_into(counts: dict[_Pair, int], more: Mapping[_Pair, int]) -> dict[_Pair, int]:
    """``counts`` plus ``more`` (a copy of ``more`` when ``counts`` is empty)."""
    if not counts:
        return dict(more)
    for pair, n in more.items():
        counts[pair] = counts.get(pair, 0) + n
    return counts


def _values_by_key(counts: Mapping[_Pair, int], keys: Iterable[str]) -> dict[str, frozenset[str]]:
    """Per key, the values whose pair has a positive count."""
    wanted = dict.fromkeys(keys)
    found: dict[str, set[str]] = {key: set() for key in wanted}
    for (key, value), n in counts.items():
        if n > 0 and key in found:
            found[key].add(value)
    return {key: frozenset(values) for key, values in found.items()}


def _blocking(
    anti: Mapping[str, frozenset[str]], existing: Mapping[str, frozenset[str]]
) -> tuple[tuple[str, Mapping[str, Status]], ...]:
    """Filter's anti-affinity checks: per topology key, the blocked values and their status.

    The incoming pod's anti-affinity is checked before existing pods' (its status wins), one
    key after another. Existing pods' values for the *last* anti-affinity key join that key's
    check: a node reaching it has passed every other anti-affinity key, so from there on any
    existing pods' match gives their status, whichever key it is on. That saves a lookup in
    the usual case where both sides use the hostname.
    """
    checks: list[tuple[str, dict[str, Status]]] = [
        (key, dict.fromkeys(values, _ANTI_AFFINITY_MISMATCH))
        for key, values in anti.items()
        if values
    ]
    last = checks[-1] if checks else None
    for key, values in existing.items():
        if last is not None and key == last[0]:
            for value in values:
                last[1].setdefault(value, _EXISTING_ANTI_AFFINITY_MISMATCH)
        else:
            checks.append((key, dict.fromkeys(values, _EXISTING_ANTI_AFFINITY_MISMATCH)))
    return tuple(checks)


def _selected_per_term(
    terms: Sequence[AffinityTerm], namespace_labels: NamespaceLabels
) -> Contribute[int, _Pair]:
    """Node contributions: per term (by position), the node's pods it selects, at its pair."""
    matchers = [(t.topology_key, _PodMatcher(t, namespace_labels)) for t in terms]

    def selected(info: NodeInfo) -> list[tuple[int, _Pair, int]]:
        pods = info.pods
        if not pods:
            return []
        labels = info.node.metadata.labels
        out = []
        for i, (key, matcher) in enumerate(matchers):
            value = labels.get(key)
            if value is not None and (n := matcher.count(pods)):
                out.append((i, (key, value), n))
        return out

    return selected


def _existing_anti_affinity(info: NodeInfo) -> list[tuple[AffinityTerm, _Pair, int]]:
    """Node contributions: each required anti-affinity term of its pods, at its pair."""
    anti_pods = info.pods_with_required_anti_affinity
    if not anti_pods:
        return []
    labels = info.node.metadata.labels
    return [
        (term, (term.topology_key, value), 1)
        for other in anti_pods
        for term in _existing_terms(other).anti_affinity
        if (value := labels.get(term.topology_key)) is not None
    ]


def _existing_score_terms(info: NodeInfo) -> list[tuple[tuple[AffinityTerm, int], _Pair, int]]:
    """Node contributions: the terms of its pods that may favor or disfavor incoming pods."""
    affine_pods = info.pods_with_affinity
    labels = info.node.metadata.labels
    if not affine_pods or not labels:
        return []
    out: list[tuple[tuple[AffinityTerm, int], _Pair, int]] = []
    for other in affine_pods:
        terms = _existing_terms(other)
        for kind, group in (
            (_HARD, terms.affinity),
            (_PREFERRED, terms.preferred_affinity),
            (_PREFERRED_ANTI, terms.preferred_anti_affinity),
        ):
            for term in group:
                value = labels.get(term.topology_key)
                if value is not None:
                    out.append(((term, kind), (term.topology_key, value), 1))
    return out


class InterPodAffinity:
    """PreFilter/Filter for required pod (anti-)affinity; PreScore/Score for preferred terms.

    Args (``pluginConfig``): ``hardPodAffinityWeight`` (default 1, 0..100),
    ``ignorePreferredTermsOfExistingPods`` (default false), and, because there are no Namespace
    objects to list, ``namespaceLabels``: namespace -> labels, used by ``namespaceSelector``
    (every namespace also carries ``kubernetes.io/metadata.name: <name>``).
    """

    NAME = "InterPodAffinity"

    def __init__(self, args: Mapping[str, Any] | None = None) -> None:
        self.args = dict(args or {})
        weight = int(self.args.get("hardPodAffinityWeight", 1))
        if not 0 <= weight <= 100:
            raise ValueError(f"hardPodAffinityWeight must be in 0..100, got {weight}")
        self.hard_pod_affinity_weight = weight
        self.ignore_preferred_terms_of_existing_pods = bool(
            self.args.get("ignorePreferredTermsOfExistingPods", False)
        )
        raw: Mapping[str, Mapping[str, str]] = self.args.get("namespaceLabels") or {}
        self._namespace_labels = {str(k): dict(v) for k, v in raw.items()}
        # Matching pods per topology pair, kept from cycle to cycle (see NodeTally). Matching
        # reads namespaceLabels, fixed per instance, so the tallies belong to the instance.
        self._tallies = TallyCache()

    @property
    def name(self) -> str:
        """The plugin's registered name."""
        return self.NAME

    def namespace_labels(self, namespace: str) -> Mapping[str, str]:
        """The labels of ``namespace`` (configured ones plus its name label)."""
        return {**self._namespace_labels.get(namespace, {}), NAMESPACE_NAME_LABEL: namespace}

    def _walk_affine(
        self,
        signature: Hashable,
        contribute: Contribute[G, K],
        snapshot: Snapshot,
        affine: Sequence[NodeInfo],
    ) -> Mapping[G, Mapping[K, int]]:
        """Totals of a contribution only ``affine`` nodes (of ``snapshot``) make.

        A few such nodes are walked directly; many are tallied over all of the snapshot's
        nodes, whose positions stay put from one snapshot to the next.
        """
        if len(affine) <= _DIRECT_WALK_NODES:
            return NodeTally.once(contribute, affine)
        return self._tallies.totals(signature, contribute, snapshot.nodes)

    # -- PreFilter / Filter -------------------------------------------------------------------

    def pre_filter(self, state: CycleState, pod: Pod, snapshot: Snapshot) -> Status:
        """Count matching pods per topology pair; Skip when nothing required is in play."""
        state.write(_SNAPSHOT_KEY, snapshot)
        try:
            terms = _pod_terms(pod)
        except SelectorError as exc:
            return Status.unresolvable(f"parsing pod: {exc}", plugin=self.NAME)
        existing = self._existing_anti_affinity_counts(pod, snapshot)
        if not terms.affinity and not terms.anti_affinity:
            if not existing:
                return Status.skip(self.NAME)
            affinity: dict[_Pair, int] = {}
            anti: dict[_Pair, int] = {}
        else:
            affinity, anti = self._incoming_counts(terms, snapshot.nodes)
        first_of_group = (
            bool(terms.affinity)
            and not affinity
            and _matches_all(terms.affinity, pod, self.namespace_labels)
        )
        present = _values_by_key(affinity, (t.topology_key for t in terms.affinity))
        anti_blocked = _values_by_key(anti, (t.topology_key for t in terms.anti_affinity))
        existing_blocked = _values_by_key(existing, (key for key, _ in existing))
        state.write(
            _PRE_FILTER_KEY,
            _PreFilterState(
                tuple((t.topology_key, present[t.topology_key]) for t in terms.affinity),
                _blocking(anti_blocked, existing_blocked),
                first_of_group,
            ),
        )
        return Status.success()

    def _existing_anti_affinity_counts(self, pod: Pod, snapshot: Snapshot) -> dict[_Pair, int]:
        """Pairs whose nodes hold a pod with a required anti-affinity term selecting ``pod``."""
        holders = snapshot.have_pods_with_required_anti_affinity
        if not holders:
            return {}
        by_term = self._walk_affine(
            "existing-anti-affinity", _existing_anti_affinity, snapshot, holders
        )
        verdicts = _TermVerdicts(pod, self.namespace_labels)
        counts: dict[_Pair, int] = {}
        for term, pairs in by_term.items():
            if verdicts.selects(term):
                counts = _add_into(counts, pairs)
        return counts

    def _incoming_counts(
        self, terms: _PodTerms, nodes: tuple[NodeInfo, ...]
    ) -> tuple[dict[_Pair, int], dict[_Pair, int]]:
        """Pairs holding pods matching all affinity terms / any one anti-affinity term."""
        ns = self.namespace_labels
        affinity: dict[_Pair, int] = {}
        anti: dict[_Pair, int] = {}
        if terms.affinity:
            matchers = [_PodMatcher(t, ns) for t in terms.affinity]
            keys = [t.topology_key for t in terms.affinity]

            def all_match(info: NodeInfo) -> list[tuple[int, _Pair, int]]:
                pods = info.pods
                labels = info.node.metadata.labels
                if not pods or not any(key in labels for key in keys):
                    return []
                n = sum(1 for p in pods if all(m.matches(p) for m in matchers))
                if not n:
                    return []
                # A key listed twice counts twice, as upstream.
                return [(0, (key, labels[key]), n) for key in keys if key in labels]

            found = self._tallies.totals(("affinity", terms.affinity), all_match, nodes)
            affinity = dict(found.get(0, {}))
        if terms.anti_affinity:
            found = self._tallies.totals(
                ("anti-affinity", terms.anti_affinity),
                _selected_per_term(terms.anti_affinity, ns),
                nodes,
            )
            for pairs in found.values():
                anti = _add_into(anti, pairs)
        return affinity, anti

    def filter(self, state: CycleState, pod: Pod, node: NodeInfo) -> Status:
        """Affinity (unresolvable), then anti-affinity, then existing pods' anti-affinity."""
        pre = state.read(_PRE_FILTER_KEY)
        if not isinstance(pre, _PreFilterState):
            return Status.error("InterPodAffinity PreFilter state missing", plugin=self.NAME)
        labels = node.node.metadata.labels
        if pre.affinity_checks:
            pods_exist = True
            for key, present in pre.affinity_checks:
                value = labels.get(key)
                if value is None:
                    # Every topology label must exist on the node.
                    return _AFFINITY_MISMATCH
                if value not in present:
                    pods_exist = False
            # The first pod of a group with affinity to itself: allowed while no pod anywhere
            # matches the terms, provided the pod matches its own terms.
            if not pods_exist and not pre.first_of_group:
                return _AFFINITY_MISMATCH
        for key, blocked in pre.blocking:
            value = labels.get(key)
            if value is not None and (status := blocked.get(value)) is not None:
                return status
        return _SUCCESS

    # -- PreScore / Score ---------------------------------------------------------------------

    def pre_score(self, state: CycleState, pod: Pod, nodes: Sequence[NodeInfo]) -> Status:
        """Sum preferred weights per topology value over the nodes' pods; Skip when none.

        Unless the incoming pod has preferred terms, only nodes holding pods with terms of
        their own can contribute, so only those are looked at (upstream's
        ``HavePodsWithAffinityList``).
        """
        if not nodes:
            return Status.success()
        try:
            terms = _pod_terms(pod)
        except SelectorError as exc:
            return Status.error(str(exc), plugin=self.NAME)
        has_constraints = bool(terms.preferred_affinity or terms.preferred_anti_affinity)
        if self.ignore_preferred_terms_of_existing_pods and not has_constraints:
            return Status.skip(self.NAME)
        snapshot = state.read(_SNAPSHOT_KEY)
        scores: dict[str, dict[str, int]] = {}

        def add(pair: _Pair, weight: int) -> None:
            by_value = scores.setdefault(pair[0], {})
            by_value[pair[1]] = by_value.get(pair[1], 0) + weight

        if has_constraints:
            weighted = [
                *((t.weight, t) for t in terms.preferred_affinity),
                *((-t.weight, t) for t in terms.preferred_anti_affinity),
            ]
            all_nodes = snapshot.nodes if isinstance(snapshot, Snapshot) else tuple(nodes)
            by_term = self._preferred_counts(tuple(t for _, t in weighted), all_nodes)
            for i, (weight, _) in enumerate(weighted):
                for pair, n in by_term.get(i, {}).items():
                    add(pair, weight * n)
        if isinstance(snapshot, Snapshot):
            existing = self._walk_affine(
                "existing-score-terms",
                _existing_score_terms,
                snapshot,
                snapshot.have_pods_with_affinity,
            )
        else:
            existing = NodeTally.once(_existing_score_terms, nodes)
        hard = self.hard_pod_affinity_weight
        verdicts = _TermVerdicts(pod, self.namespace_labels)
        for (term, kind), pairs in existing.items():
            if kind == _HARD:
                if hard <= 0:
                    continue
                weight = hard
            else:
                weight = term.weight if kind == _PREFERRED else -term.weight
            if verdicts.selects(term):
                for pair, n in pairs.items():
                    add(pair, weight * n)
        if not scores:
            return Status.skip(self.NAME)
        state.write(_PRE_SCORE_KEY, _PreScoreState(scores))
        return Status.success()

    def _preferred_counts(
        self, terms: tuple[AffinityTerm, ...], nodes: tuple[NodeInfo, ...]
    ) -> Mapping[int, Mapping[_Pair, int]]:
        """Per term (by position), the pods it selects per topology pair."""
        contribute = _selected_per_term(terms, self.namespace_labels)
        return self._tallies.totals(("preferred", terms), contribute, nodes)

    def score(self, state: CycleState, pod: Pod, node: NodeInfo) -> int:
        """The sum of the topology scores of the node's topology values (may be negative)."""
        pre = state.read(_PRE_SCORE_KEY)
        if not isinstance(pre, _PreScoreState):
            return 0
        labels = node.node.metadata.labels
        total = 0
        for key, by_value in pre.topology_score.items():
            value = labels.get(key)
            if value is not None:
                total += by_value.get(value, 0)
        return total

    def normalize_scores(
        self, state: CycleState, pod: Pod, scores: Mapping[str, int]
    ) -> dict[str, int]:
        """``100 * (s - min) / (max - min)`` truncated; all 0 when max == min."""
        if not scores:
            return {}
        low, high = min(scores.values()), max(scores.values())
        spread = high - low
        if spread <= 0:
            return dict.fromkeys(scores, 0)
        return {name: int(MAX_NODE_SCORE * ((s - low) / spread)) for name, s in scores.items()}
