"""InterPodAffinity: required and preferred pod (anti-)affinity, as upstream's plugin (v1.34).

Filter checks, per node, the incoming pod's required affinity terms (every term's topology
domain must hold a pod matching all terms, except for the first pod of a self-affine group),
its required anti-affinity terms (no matching pod in the domain) and existing pods' required
anti-affinity terms that match the incoming pod. Score sums preferred term weights per topology
value (the incoming pod's terms toward existing pods and existing pods' terms toward the
incoming pod, plus ``hardPodAffinityWeight`` for existing pods' required affinity) and
normalizes ``100 * (s - min) / (max - min)``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import attrs

from kube_actors.api import (
    LabelSelector,
    LabelSelectorRequirement,
    Pod,
    PodAffinityTerm,
    Selector,
    SelectorError,
    selector_from_label_selector,
)
from kube_actors.scheduler.framework import MAX_NODE_SCORE, CycleState, Status
from kube_actors.scheduler.nodeinfo import NodeInfo, Snapshot

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


def _pod_terms(pod: Pod) -> _PodTerms:
    """All of ``pod``'s inter-pod terms; raises ``SelectorError`` for an invalid selector."""
    affinity = pod.spec.affinity
    if affinity is None:
        return _PodTerms()
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


def _existing_terms(pod: Pod) -> _PodTerms:
    """An existing pod's terms; a pod with an invalid selector contributes none (as upstream)."""
    try:
        return _pod_terms(pod)
    except SelectorError:
        return _PodTerms()


def _matches_all(terms: Iterable[AffinityTerm], pod: Pod, ns: NamespaceLabels) -> bool:
    """Upstream ``podMatchesAllAffinityTerms``: false for no terms."""
    terms = tuple(terms)
    return bool(terms) and all(t.matches(pod, ns) for t in terms)


def _add(counts: dict[_Pair, int], info: NodeInfo, key: str, value: int) -> None:
    labels = info.node.metadata.labels
    if key in labels:
        pair = (key, labels[key])
        counts[pair] = counts.get(pair, 0) + value


@attrs.frozen
class _PreFilterState:
    terms: _PodTerms
    #: Pairs where existing pods' required anti-affinity terms match the incoming pod.
    existing_anti_affinity: Mapping[_Pair, int]
    #: Pairs holding pods that match all of the incoming pod's required affinity terms.
    affinity: Mapping[_Pair, int]
    #: Pairs holding pods that match one of the incoming pod's required anti-affinity terms.
    anti_affinity: Mapping[_Pair, int]


@attrs.frozen
class _PreScoreState:
    #: topology key -> topology value -> score.
    topology_score: Mapping[str, Mapping[str, int]]


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

    @property
    def name(self) -> str:
        """The plugin's registered name."""
        return self.NAME

    def namespace_labels(self, namespace: str) -> Mapping[str, str]:
        """The labels of ``namespace`` (configured ones plus its name label)."""
        return {**self._namespace_labels.get(namespace, {}), NAMESPACE_NAME_LABEL: namespace}

    # -- PreFilter / Filter -------------------------------------------------------------------

    def pre_filter(self, state: CycleState, pod: Pod, snapshot: Snapshot) -> Status:
        """Count matching pods per topology pair; Skip when nothing required is in play."""
        state.write(_SNAPSHOT_KEY, snapshot)
        try:
            terms = _pod_terms(pod)
        except SelectorError as exc:
            return Status.unresolvable(f"parsing pod: {exc}", plugin=self.NAME)
        ns = self.namespace_labels
        existing: dict[_Pair, int] = {}
        affinity: dict[_Pair, int] = {}
        anti: dict[_Pair, int] = {}
        for info in snapshot.nodes:
            for other in info.pods:
                for term in _existing_terms(other).anti_affinity:
                    if term.matches(pod, ns):
                        _add(existing, info, term.topology_key, 1)
                if _matches_all(terms.affinity, other, ns):
                    for term in terms.affinity:
                        _add(affinity, info, term.topology_key, 1)
                for term in terms.anti_affinity:
                    if term.matches(other, ns):
                        _add(anti, info, term.topology_key, 1)
        if not existing and not terms.affinity and not terms.anti_affinity:
            return Status.skip(self.NAME)
        state.write(_PRE_FILTER_KEY, _PreFilterState(terms, existing, affinity, anti))
        return Status.success()

    def filter(self, state: CycleState, pod: Pod, node: NodeInfo) -> Status:
        """Affinity (unresolvable), then anti-affinity, then existing pods' anti-affinity."""
        pre = state.read(_PRE_FILTER_KEY)
        if not isinstance(pre, _PreFilterState):
            return Status.error("InterPodAffinity PreFilter state missing", plugin=self.NAME)
        if not self._satisfies_affinity(pre, pod, node):
            return Status.unresolvable(ERR_REASON_AFFINITY_RULES_NOT_MATCH, plugin=self.NAME)
        labels = node.node.metadata.labels
        for term in pre.terms.anti_affinity:
            value = labels.get(term.topology_key)
            if value is not None and pre.anti_affinity.get((term.topology_key, value), 0) > 0:
                return Status.unschedulable(
                    ERR_REASON_ANTI_AFFINITY_RULES_NOT_MATCH, plugin=self.NAME
                )
        if pre.existing_anti_affinity:
            for key, value in labels.items():
                if pre.existing_anti_affinity.get((key, value), 0) > 0:
                    return Status.unschedulable(
                        ERR_REASON_EXISTING_ANTI_AFFINITY_RULES_NOT_MATCH, plugin=self.NAME
                    )
        return Status.success()

    def _satisfies_affinity(self, pre: _PreFilterState, pod: Pod, node: NodeInfo) -> bool:
        labels = node.node.metadata.labels
        pods_exist = True
        for term in pre.terms.affinity:
            if term.topology_key not in labels:
                # Every topology label must exist on the node.
                return False
            if pre.affinity.get((term.topology_key, labels[term.topology_key]), 0) <= 0:
                pods_exist = False
        if pods_exist:
            return True
        # The first pod of a group with affinity to itself: allowed while no pod anywhere
        # matches the terms, provided the pod matches its own terms.
        return not pre.affinity and _matches_all(pre.terms.affinity, pod, self.namespace_labels)

    # -- PreScore / Score ---------------------------------------------------------------------

    def pre_score(self, state: CycleState, pod: Pod, nodes: Sequence[NodeInfo]) -> Status:
        """Sum preferred weights per topology value over all nodes' pods; Skip when none."""
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
                other_terms = _existing_terms(other)
                if self.hard_pod_affinity_weight > 0:
                    for term in other_terms.affinity:
                        process(term, self.hard_pod_affinity_weight, pod, info)
                for term in other_terms.preferred_affinity:
                    process(term, term.weight, pod, info)
                for term in other_terms.preferred_anti_affinity:
                    process(term, -term.weight, pod, info)
        if not scores:
            return Status.skip(self.NAME)
        state.write(_PRE_SCORE_KEY, _PreScoreState(scores))
        return Status.success()

    def score(self, state: CycleState, pod: Pod, node: NodeInfo) -> int:
        """The sum of the topology scores of the node's topology values (may be negative)."""
        pre = state.read(_PRE_SCORE_KEY)
        if not isinstance(pre, _PreScoreState):
            return 0
        labels = node.node.metadata.labels
        return sum(
            by_value.get(labels[key], 0)
            for key, by_value in pre.topology_score.items()
            if key in labels
        )

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
