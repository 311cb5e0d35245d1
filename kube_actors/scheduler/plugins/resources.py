"""NodeResourcesFit and NodeResourcesBalancedAllocation, with upstream's integer arithmetic."""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import Any, ClassVar

import attrs
import numpy as np

from kube_actors.api import Pod
from kube_actors.scheduler.fast import (
    IntArray,
    NodeTable,
    balanced_kernel,
    fit_kernel,
    least_allocated_kernel,
    most_allocated_kernel,
)
from kube_actors.scheduler.framework import (
    MAX_NODE_SCORE,
    CycleState,
    Status,
)
from kube_actors.scheduler.nodeinfo import NodeInfo, Resource, Snapshot, pod_requests

__all__ = [
    "BalancedAllocation",
    "NodeResourcesFit",
    "ResourceSpec",
    "balanced_score",
    "least_allocated",
    "most_allocated",
    "requested_to_capacity_ratio",
]

#: Upstream's MaxCustomPriorityScore: shape scores are 0..10 and scaled by 10.
_MAX_CUSTOM_SCORE = 10
_MAX_UTILIZATION = 100


@attrs.frozen
class ResourceSpec:
    """A resource a scoring strategy looks at, with its weight."""

    name: str
    weight: int = 1


_DEFAULT_RESOURCES = (ResourceSpec("cpu", 1), ResourceSpec("memory", 1))

Scorer = Callable[[Sequence[int], Sequence[int], Sequence[int]], int]


def least_allocated(requested: Sequence[int], allocatable: Sequence[int], w: Sequence[int]) -> int:
    """Weighted mean of ``(allocatable - requested) * 100 // allocatable`` per resource.

    >>> least_allocated([1000, 0], [4000, 0], [1, 1])
    75
    """
    score = weights = 0
    for req, alloc, weight in zip(requested, allocatable, w, strict=True):
        if alloc == 0:
            continue  # resources the node does not have are skipped, as upstream
        score += (0 if req > alloc else (alloc - req) * MAX_NODE_SCORE // alloc) * weight
        weights += weight
    return score // weights if weights else 0


def most_allocated(requested: Sequence[int], allocatable: Sequence[int], w: Sequence[int]) -> int:
    """Weighted mean of ``min(requested, allocatable) * 100 // allocatable`` per resource.

    >>> most_allocated([1000, 5000], [4000, 4000], [1, 1])
    62
    """
    score = weights = 0
    for req, alloc, weight in zip(requested, allocatable, w, strict=True):
        if alloc == 0:
            continue
        score += min(req, alloc) * MAX_NODE_SCORE // alloc * weight
        weights += weight
    return score // weights if weights else 0


def _go_div(a: int, b: int) -> int:
    # Go's integer division truncates toward zero; Python's // floors (differs for a < 0).
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b > 0) else -q


def requested_to_capacity_ratio(shape: Sequence[tuple[int, int]]) -> Scorer:
    """A scorer over the piecewise-linear ``shape`` of (utilization 0..100, score 0..10) points.

    Shape scores are scaled by 10; resources scoring 0 are left out of the weighted mean,
    which is rounded, as upstream.

    >>> bin_pack = requested_to_capacity_ratio([(0, 0), (100, 10)])
    >>> bin_pack([2000, 0], [4000, 8000], [1, 1])
    50
    """
    points = [(u, s * (MAX_NODE_SCORE // _MAX_CUSTOM_SCORE)) for u, s in shape]

    def raw(p: int) -> int:
        for i, (util, score) in enumerate(points):
            if p <= util:
                if i == 0:
                    return score
                pu, ps = points[i - 1]
                return ps + _go_div((score - ps) * (p - pu), util - pu)
        return points[-1][1]

    def scorer(requested: Sequence[int], allocatable: Sequence[int], w: Sequence[int]) -> int:
        score = weights = 0
        for req, alloc, weight in zip(requested, allocatable, w, strict=True):
            if alloc == 0:
                continue
            if req > alloc:
                resource_score = raw(_MAX_UTILIZATION)
            else:
                resource_score = raw(req * _MAX_UTILIZATION // alloc)
            if resource_score > 0:
                score += resource_score * weight
                weights += weight
        if weights == 0:
            return 0
        return math.floor(score / weights + 0.5)  # Go's math.Round: halves away from zero

    return scorer


def balanced_score(requested: Sequence[int], allocatable: Sequence[int]) -> int:
    """``int((1 - std) * 100)`` of the requested fractions (capped at 1), upstream <= v1.35.

    >>> balanced_score([1000, 2 * 2**30], [4000, 8 * 2**30])
    100
    >>> balanced_score([3000, 2 * 2**30], [4000, 8 * 2**30])
    75
    """
    fractions = [min(r / a, 1.0) for r, a in zip(requested, allocatable, strict=True) if a != 0]
    std = 0.0
    if len(fractions) == 2:
        std = abs((fractions[0] - fractions[1]) / 2)
    elif len(fractions) > 2:
        mean = sum(fractions) / len(fractions)
        std = math.sqrt(sum((f - mean) * (f - mean) for f in fractions) / len(fractions))
    return int((1 - std) * MAX_NODE_SCORE)


def _resources(
    args: Mapping[str, Any], default: Sequence[ResourceSpec]
) -> tuple[ResourceSpec, ...]:
    given = args.get("resources")
    if not given:
        return tuple(default)
    return tuple(ResourceSpec(str(r["name"]), int(r.get("weight", 1) or 1)) for r in given)


def _node_amounts(
    node: NodeInfo, pod_req: Resource, pod_nz: Resource, names: Sequence[str], real: bool
) -> tuple[list[int], list[int]]:
    """Requested (node + incoming pod) and allocatable per resource, as upstream computes them."""
    alloc = node.allocatable
    requested: list[int] = []
    allocatable: list[int] = []
    for name in names:
        if name in ("cpu", "memory") and not real:
            req = node.non_zero_requested.get(name) + pod_nz.get(name)
        else:
            req = node.requested.get(name) + pod_req.get(name)
        requested.append(req)
        allocatable.append(alloc.get(name))
    return requested, allocatable


_FIT_KEY = "PreFilterNodeResourcesFit"


class NodeResourcesFit:
    """Filter: the pod's requests fit the node's free allocatable. Score: a scoring strategy.

    Args (``pluginConfig``): ``scoringStrategy: {type: LeastAllocated | MostAllocated |
    RequestedToCapacityRatio, resources: [{name, weight}], requestedToCapacityRatio: {shape:
    [{utilization, score}]}}``.
    """

    NAME: ClassVar[str] = "NodeResourcesFit"

    def __init__(self, args: Mapping[str, Any] | None = None) -> None:
        strategy: Mapping[str, Any] = dict((args or {}).get("scoringStrategy") or {})
        self.strategy = str(strategy.get("type") or "LeastAllocated")
        self.resources = _resources(strategy, _DEFAULT_RESOURCES)
        self._scorer: Scorer
        if self.strategy == "LeastAllocated":
            self._scorer = least_allocated
        elif self.strategy == "MostAllocated":
            self._scorer = most_allocated
        elif self.strategy == "RequestedToCapacityRatio":
            ratio = strategy.get("requestedToCapacityRatio") or {}
            shape = [(int(p["utilization"]), int(p["score"])) for p in ratio.get("shape", ())]
            if not shape:
                raise ValueError("RequestedToCapacityRatio needs a non-empty shape")
            self._scorer = requested_to_capacity_ratio(shape)
        else:
            raise ValueError(f"unknown NodeResourcesFit scoring strategy {self.strategy!r}")

    @property
    def name(self) -> str:
        """``NodeResourcesFit``."""
        return self.NAME

    def pre_filter(self, state: CycleState, pod: Pod, snapshot: Snapshot) -> Status:
        """Compute the pod's requests once per cycle."""
        state.write(_FIT_KEY, pod_requests(pod))
        return Status.success()

    def _request(self, state: CycleState, pod: Pod) -> Resource:
        cached = state.read(_FIT_KEY)
        return cached if isinstance(cached, Resource) else pod_requests(pod)

    def local_key(self, pod: Pod) -> Hashable:
        """Filter and score depend on the pod's requests (real and non-zero) and one node."""
        return (pod_requests(pod).key, pod_requests(pod, non_zero=True).key)

    def filter(self, state: CycleState, pod: Pod, node: NodeInfo) -> Status:
        """ "Too many pods" / "Insufficient <resource>" for each request above what is free.

        UnschedulableAndUnresolvable when some request exceeds the node's whole allocatable
        (evicting pods cannot help), as upstream; otherwise Unschedulable.
        """
        return fit_status(self._request(state, pod), node)

    def filter_all(self, state: CycleState, pod: Pod, table: NodeTable) -> IntArray:
        """:meth:`filter` for every node of ``table`` at once: a ``Code`` value per node."""
        return fit_kernel(table, self._request(state, pod))

    def score_all(self, state: CycleState, pod: Pod, table: NodeTable) -> IntArray:
        """:meth:`score` for every node of ``table`` at once (raw scores, node order)."""
        names = [r.name for r in self.resources]
        weights = [r.weight for r in self.resources]
        request = self._request(state, pod)
        non_zero = pod_requests(pod, non_zero=True)
        if self.strategy == "LeastAllocated":
            return least_allocated_kernel(*table.amount_columns(names, request, non_zero), weights)
        if self.strategy == "MostAllocated":
            return most_allocated_kernel(*table.amount_columns(names, request, non_zero), weights)
        # RequestedToCapacityRatio's piecewise shape stays a per-row loop.
        req, alloc = table.amounts(names, request, non_zero)
        rows = [
            self._scorer(r.tolist(), a.tolist(), weights) for r, a in zip(req, alloc, strict=True)
        ]
        return np.array(rows, dtype=np.int64)

    def score(self, state: CycleState, pod: Pod, node: NodeInfo) -> int:
        """The strategy's score; requests include the incoming pod (non-zero cpu/memory)."""
        names = [r.name for r in self.resources]
        weights = [r.weight for r in self.resources]
        requested, allocatable = _node_amounts(
            node, self._request(state, pod), pod_requests(pod, non_zero=True), names, real=False
        )
        return self._scorer(requested, allocatable, weights)

    def normalize_scores(
        self, state: CycleState, pod: Pod, scores: Mapping[str, int]
    ) -> dict[str, int]:
        """Already 0..100: unchanged."""
        return dict(scores)

    def normalize_all(self, state: CycleState, pod: Pod, scores: IntArray) -> IntArray:
        """Already 0..100: unchanged."""
        return scores


def fit_status(request: Resource, node: NodeInfo) -> Status:
    """The NodeResourcesFit filter result for a pod requesting ``request`` on ``node``."""
    return fit_status_of(request, node.allocatable, node.requested, len(node.pods))


def fit_status_of(request: Resource, alloc: Resource, requested: Resource, pods: int) -> Status:
    """:func:`fit_status` on a node with ``alloc`` allocatable, already holding ``pods`` pods
    that request ``requested`` in sum (what a what-if node with pods removed would hold)."""
    reasons: list[str] = []
    unresolvable = False
    if pods + 1 > alloc.pods:
        reasons.append("Too many pods")
    if request.is_zero:
        return _fit_result(reasons, unresolvable=False)
    checks = [
        ("cpu", request.milli_cpu),
        ("memory", request.memory),
        ("ephemeral-storage", request.ephemeral_storage),
        *sorted(request.scalar.items()),
    ]
    for name, amount in checks:
        if amount <= 0:
            continue
        if amount > alloc.get(name) - requested.get(name):
            reasons.append(f"Insufficient {name}")
            unresolvable = unresolvable or amount > alloc.get(name)
    return _fit_result(reasons, unresolvable=unresolvable)


def _fit_result(reasons: list[str], *, unresolvable: bool) -> Status:
    if not reasons:
        return Status.success()
    if unresolvable:
        return Status.unresolvable(*reasons, plugin=NodeResourcesFit.NAME)
    return Status.unschedulable(*reasons, plugin=NodeResourcesFit.NAME)


_BALANCED_KEY = "PreScoreNodeResourcesBalancedAllocation"


class BalancedAllocation:
    """Score: favours nodes whose requested fractions of each resource are even.

    Uses the real requests (no non-zero defaults); a pod requesting none of the scored
    resources skips it. Args: ``resources: [{name, weight}]`` (weights are not used by the
    formula, as upstream).
    """

    NAME: ClassVar[str] = "NodeResourcesBalancedAllocation"

    def __init__(self, args: Mapping[str, Any] | None = None) -> None:
        self.resources = _resources(args or {}, _DEFAULT_RESOURCES)

    @property
    def name(self) -> str:
        """``NodeResourcesBalancedAllocation``."""
        return self.NAME

    def pre_score(self, state: CycleState, pod: Pod, nodes: Sequence[NodeInfo]) -> Status:
        """Skip best-effort pods (nothing requested among the scored resources)."""
        request = pod_requests(pod)
        if all(request.get(r.name) == 0 for r in self.resources):
            return Status.skip()
        state.write(_BALANCED_KEY, request)
        return Status.success()

    def local_key(self, pod: Pod) -> Hashable:
        """The score depends on the pod's requests and one node."""
        return pod_requests(pod).key

    def score(self, state: CycleState, pod: Pod, node: NodeInfo) -> int:
        """``balanced_score`` of node requests plus the pod's, over allocatable."""
        cached = state.read(_BALANCED_KEY)
        request = cached if isinstance(cached, Resource) else pod_requests(pod)
        names = [r.name for r in self.resources]
        requested, allocatable = _node_amounts(node, request, request, names, real=True)
        return balanced_score(requested, allocatable)

    def score_all(self, state: CycleState, pod: Pod, table: NodeTable) -> IntArray:
        """:meth:`score` for every node of ``table`` at once (raw scores, node order)."""
        cached = state.read(_BALANCED_KEY)
        request = cached if isinstance(cached, Resource) else pod_requests(pod)
        return balanced_kernel(
            *table.amount_columns([r.name for r in self.resources], request, None)
        )

    def normalize_scores(
        self, state: CycleState, pod: Pod, scores: Mapping[str, int]
    ) -> dict[str, int]:
        """Already 0..100: unchanged."""
        return dict(scores)

    def normalize_all(self, state: CycleState, pod: Pod, scores: IntArray) -> IntArray:
        """Already 0..100: unchanged."""
        return scores
