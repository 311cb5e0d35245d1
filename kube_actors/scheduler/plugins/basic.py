"""The simple plugins: gates, queue sort, node name/unschedulable, taints, node affinity, ports,
image locality."""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import Any, ClassVar

from kube_actors.api import (
    NodeSelectorTerm,
    Pod,
    Taint,
    Toleration,
    node_selector_requirements_match,
)
from kube_actors.scheduler.fast import IntArray, normalize_array
from kube_actors.scheduler.framework import (
    MAX_NODE_SCORE,
    TOTAL_NODES_KEY,
    CycleState,
    QueuedPod,
    Status,
    default_normalize_score,
)
from kube_actors.scheduler.nodeinfo import (
    HostPort,
    NodeInfo,
    Snapshot,
    host_ports,
    normalized_image_name,
)

__all__ = [
    "ImageLocality",
    "NodeAffinity",
    "NodeName",
    "NodePorts",
    "NodeUnschedulable",
    "PrioritySort",
    "SchedulingGates",
    "TaintToleration",
    "node_selector_term_matches",
    "tolerates",
]


class _Named:
    NAME: ClassVar[str] = ""

    def __init__(self, args: Mapping[str, Any] | None = None) -> None:
        self.args = dict(args or {})

    @property
    def name(self) -> str:
        """The plugin's registered name."""
        return self.NAME


def tolerates(toleration: Toleration, taint: Taint) -> bool:
    """Upstream ``ToleratesTaint``: effect (empty = all), key (empty = all), Equal or Exists.

    >>> tolerates(Toleration(operator="Exists"), Taint(key="k", effect="NoSchedule"))
    True
    >>> tolerates(Toleration(key="k", value="a"), Taint(key="k", value="b", effect="NoSchedule"))
    False
    """
    if toleration.effect and toleration.effect != taint.effect:
        return False
    if toleration.key and toleration.key != taint.key:
        return False
    if toleration.operator in ("", "Equal"):
        return toleration.value == taint.value
    return toleration.operator == "Exists"


def _tolerated(tolerations: Sequence[Toleration], taint: Taint) -> bool:
    return any(tolerates(t, taint) for t in tolerations)


class SchedulingGates(_Named):
    """PreEnqueue: a pod with ``spec.schedulingGates`` stays out of the active queue."""

    NAME = "SchedulingGates"

    def pre_enqueue(self, pod: Pod) -> Status:
        """UnschedulableAndUnresolvable while any gate remains."""
        gates = [g.name for g in pod.spec.scheduling_gates]
        if gates:
            return Status.unresolvable(
                f"waiting for scheduling gates: [{' '.join(gates)}]", plugin=self.NAME
            )
        return Status.success()


class PrioritySort(_Named):
    """QueueSort: higher ``spec.priority`` first, then earlier enqueue time."""

    NAME = "PrioritySort"

    def less(self, a: QueuedPod, b: QueuedPod) -> bool:
        """Whether ``a`` goes before ``b``."""
        pa, pb = a.pod.spec.priority or 0, b.pod.spec.priority or 0
        return pa > pb or (pa == pb and a.timestamp < b.timestamp)


_UNSCHEDULABLE_TAINT = Taint(key="node.kubernetes.io/unschedulable", effect="NoSchedule")


class NodeUnschedulable(_Named):
    """Filter: cordoned nodes, unless the pod tolerates the unschedulable taint."""

    NAME = "NodeUnschedulable"

    def filter(self, state: CycleState, pod: Pod, node: NodeInfo) -> Status:
        """UnschedulableAndUnresolvable on a cordoned node."""
        if node.node.spec.unschedulable and not _tolerated(
            pod.spec.tolerations, _UNSCHEDULABLE_TAINT
        ):
            return Status.unresolvable("node(s) were unschedulable", plugin=self.NAME)
        return Status.success()

    def static_key(self, pod: Pod) -> Hashable:
        """Only the tolerations matter (and the node object)."""
        return pod.spec.tolerations


class NodeName(_Named):
    """Filter: a pod with ``spec.nodeName`` fits only that node."""

    NAME = "NodeName"

    def filter(self, state: CycleState, pod: Pod, node: NodeInfo) -> Status:
        """UnschedulableAndUnresolvable on any other node."""
        if pod.spec.node_name and pod.spec.node_name != node.name:
            return Status.unresolvable(
                "node(s) didn't match the requested node name", plugin=self.NAME
            )
        return Status.success()

    def static_key(self, pod: Pod) -> Hashable:
        """Only ``spec.nodeName`` matters (and the node object)."""
        return pod.spec.node_name


class TaintToleration(_Named):
    """Filter: untolerated NoSchedule/NoExecute taints. Score: untolerated PreferNoSchedule."""

    NAME = "TaintToleration"

    def filter(self, state: CycleState, pod: Pod, node: NodeInfo) -> Status:
        """UnschedulableAndUnresolvable naming the first untolerated hard taint."""
        for taint in node.node.spec.taints:
            if taint.effect not in ("NoSchedule", "NoExecute"):
                continue
            if not _tolerated(pod.spec.tolerations, taint):
                return Status.unresolvable(
                    f"node(s) had untolerated taint {{{taint.key}: {taint.value}}}",
                    plugin=self.NAME,
                )
        return Status.success()

    def score(self, state: CycleState, pod: Pod, node: NodeInfo) -> int:
        """How many PreferNoSchedule taints the pod does not tolerate."""
        # Only tolerations that can apply to PreferNoSchedule count, as upstream's PreScore.
        tolerations = [t for t in pod.spec.tolerations if t.effect in ("", "PreferNoSchedule")]
        return sum(
            1
            for taint in node.node.spec.taints
            if taint.effect == "PreferNoSchedule" and not _tolerated(tolerations, taint)
        )

    def normalize_scores(
        self, state: CycleState, pod: Pod, scores: Mapping[str, int]
    ) -> dict[str, int]:
        """Reversed: ``100 - 100 * raw // max`` (all 100 when no node has such taints)."""
        return default_normalize_score(scores, reverse=True)

    def normalize_all(self, state: CycleState, pod: Pod, scores: IntArray) -> IntArray:
        """:meth:`normalize_scores` over an array."""
        return normalize_array(scores, reverse=True)

    def static_key(self, pod: Pod) -> Hashable:
        """Only the tolerations matter (and the node's taints)."""
        return pod.spec.tolerations


def node_selector_term_matches(term: NodeSelectorTerm, node: NodeInfo) -> bool:
    """One node selector term: non-empty expressions and fields all match; empty matches none.

    ``matchFields`` supports ``metadata.name`` only, as upstream.
    """
    if not term.match_expressions and not term.match_fields:
        return False
    labels = node.node.metadata.labels
    if term.match_expressions and not node_selector_requirements_match(
        term.match_expressions, labels
    ):
        return False
    if term.match_fields:
        if any(r.key != "metadata.name" for r in term.match_fields):
            return False
        fields = {"metadata.name": node.name}
        if not node_selector_requirements_match(term.match_fields, fields):
            return False
    return True


class NodeAffinity(_Named):
    """Filter: nodeSelector AND required node affinity. Score: matching preferred weights."""

    NAME = "NodeAffinity"

    def pre_filter(self, state: CycleState, pod: Pod, snapshot: Snapshot) -> Status:
        """Skip pods with neither a nodeSelector nor required node affinity."""
        affinity = pod.spec.affinity.node_affinity if pod.spec.affinity else None
        required = affinity and affinity.required_during_scheduling_ignored_during_execution
        if not pod.spec.node_selector and required is None:
            return Status.skip()
        return Status.success()

    def filter(self, state: CycleState, pod: Pod, node: NodeInfo) -> Status:
        """UnschedulableAndUnresolvable when the selector or every required term misses."""
        labels = node.node.metadata.labels
        ok = all(labels.get(k) == v for k, v in pod.spec.node_selector.items())
        affinity = pod.spec.affinity.node_affinity if pod.spec.affinity else None
        required = (
            affinity.required_during_scheduling_ignored_during_execution if affinity else None
        )
        if ok and required is not None:
            ok = any(node_selector_term_matches(t, node) for t in required.node_selector_terms)
        if not ok:
            return Status.unresolvable(
                "node(s) didn't match Pod's node affinity/selector", plugin=self.NAME
            )
        return Status.success()

    def pre_score(self, state: CycleState, pod: Pod, nodes: Sequence[NodeInfo]) -> Status:
        """Skip pods without preferred terms."""
        affinity = pod.spec.affinity.node_affinity if pod.spec.affinity else None
        if affinity is None or not affinity.preferred_during_scheduling_ignored_during_execution:
            return Status.skip()
        return Status.success()

    def score(self, state: CycleState, pod: Pod, node: NodeInfo) -> int:
        """Sum of the weights of the preferred terms ``node`` matches."""
        affinity = pod.spec.affinity.node_affinity if pod.spec.affinity else None
        if affinity is None:
            return 0
        return sum(
            term.weight
            for term in affinity.preferred_during_scheduling_ignored_during_execution
            if term.weight != 0 and node_selector_term_matches(term.preference, node)
        )

    def normalize_scores(
        self, state: CycleState, pod: Pod, scores: Mapping[str, int]
    ) -> dict[str, int]:
        """``100 * raw // max``."""
        return default_normalize_score(scores)

    def normalize_all(self, state: CycleState, pod: Pod, scores: IntArray) -> IntArray:
        """:meth:`normalize_scores` over an array."""
        return normalize_array(scores)

    def static_key(self, pod: Pod) -> Hashable:
        """The node selector and node affinity (and the node's labels and name)."""
        return (
            pod.spec.node_selector,
            pod.spec.affinity.node_affinity if pod.spec.affinity else None,
        )


_PORTS_KEY = "PreFilterNodePorts"


class NodePorts(_Named):
    """Filter: the pod's host ports must be free on the node."""

    NAME = "NodePorts"

    def pre_filter(self, state: CycleState, pod: Pod, snapshot: Snapshot) -> Status:
        """Skip pods without host ports; otherwise remember them for Filter."""
        ports = host_ports(pod)
        if not ports:
            return Status.skip()
        state.write(_PORTS_KEY, ports)
        return Status.success()

    def filter(self, state: CycleState, pod: Pod, node: NodeInfo) -> Status:
        """Unschedulable on a (hostIP, protocol, hostPort) conflict; 0.0.0.0 conflicts with all."""
        cached = state.read(_PORTS_KEY)
        wanted: Sequence[HostPort] = cached if isinstance(cached, tuple) else host_ports(pod)
        for port in wanted:
            if any(port.conflicts(used) for used in node.used_ports):
                return Status.unschedulable(
                    "node(s) didn't have free ports for the requested pod ports", plugin=self.NAME
                )
        return Status.success()


_MB = 1024 * 1024
#: Below this sum of image sizes a node gets no locality credit.
MIN_THRESHOLD = 23 * _MB
#: Per container, sums above this all score 100.
MAX_CONTAINER_THRESHOLD = 1000 * _MB


class ImageLocality(_Named):
    """Score: nodes that already have the pod's images, discounted by how widespread they are."""

    NAME = "ImageLocality"

    def score(self, state: CycleState, pod: Pod, node: NodeInfo) -> int:
        """``100 * (clamp(sum) - 23Mi) // (1000Mi * containers - 23Mi)``.

        ``sum`` adds, per container image present on the node, ``size * nodes_with_image //
        total_nodes`` (the cluster size the framework stores in the cycle state).
        """
        total = state.read(TOTAL_NODES_KEY)
        total_nodes = total if isinstance(total, int) and total > 0 else 1
        containers = [*pod.spec.init_containers, *pod.spec.containers]
        summed = 0
        for container in containers:
            image = node.image_states.get(normalized_image_name(container.image))
            if image is not None:
                summed += int(image.size * (image.num_nodes / total_nodes))
        max_threshold = MAX_CONTAINER_THRESHOLD * len(containers)
        summed = max(MIN_THRESHOLD, min(summed, max_threshold))
        return MAX_NODE_SCORE * (summed - MIN_THRESHOLD) // (max_threshold - MIN_THRESHOLD)

    def normalize_scores(
        self, state: CycleState, pod: Pod, scores: Mapping[str, int]
    ) -> dict[str, int]:
        """Already 0..100: unchanged."""
        return dict(scores)

    def normalize_all(self, state: CycleState, pod: Pod, scores: IntArray) -> IntArray:
        """Already 0..100: unchanged."""
        return scores

    def static_key(self, pod: Pod) -> Hashable:
        """The container images (and the node's images, their spread and the node count)."""
        return tuple(c.image for c in (*pod.spec.init_containers, *pod.spec.containers))
