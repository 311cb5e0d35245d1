"""The columnar node table behind the vectorized (``filter_all`` / ``score_all``) plugin forms.

One row per node, one column per resource, int64 in upstream's units (milli-CPU, bytes, whole
units). The kernels here repeat the per-node formulas exactly, integer arithmetic included, so
the fast path and the per-node path agree on every node (a test checks it on generated
clusters).
"""

from __future__ import annotations

import operator
from collections.abc import Hashable, Iterable, Sequence
from typing import Protocol, runtime_checkable

import attrs
import numpy as np
import numpy.typing as npt

from kube_actors.api import Pod
from kube_actors.scheduler.framework import MAX_NODE_SCORE, Code, CycleState
from kube_actors.scheduler.nodeinfo import Resource, Snapshot

__all__ = [
    "FilterAllPlugin",
    "IntArray",
    "NodeStaticPlugin",
    "NormalizeAllPlugin",
    "ScoreAllPlugin",
    "NodeTable",
    "balanced_kernel",
    "fit_kernel",
    "least_allocated_kernel",
    "most_allocated_kernel",
    "normalize_array",
]

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

_CORE = ("cpu", "memory", "ephemeral-storage")


@runtime_checkable
class FilterAllPlugin(Protocol):
    """The vectorized Filter: every node of a table at once, a ``Code`` value per row.

    Must agree with the plugin's per-node ``filter`` on every row (codes; reasons come from
    the per-node form when a failure has to be explained).
    """

    def filter_all(self, state: CycleState, pod: Pod, table: NodeTable) -> IntArray:
        """``Code`` values, one per row of ``table``."""
        ...


@runtime_checkable
class ScoreAllPlugin(Protocol):
    """The vectorized Score: raw scores of every row of a table, equal to ``score`` per node."""

    def score_all(self, state: CycleState, pod: Pod, table: NodeTable) -> IntArray:
        """Raw scores, one per row of ``table``."""
        ...


@runtime_checkable
class NormalizeAllPlugin(Protocol):
    """The vectorized NormalizeScore, equal to ``normalize_scores`` on the same values."""

    def normalize_all(self, state: CycleState, pod: Pod, scores: IntArray) -> IntArray:
        """Normalized scores (0..100) of ``scores``, same order."""
        ...


@runtime_checkable
class NodeStaticPlugin(Protocol):
    """A plugin whose Filter and Score depend only on the pod and the node *object*.

    Not on the pods bound to a node, nor on other nodes (beyond the node count). The
    scheduler then evaluates such a plugin once per node per distinct ``static_key`` and
    reuses the answers until that node object changes, which makes per-node-only plugins as
    cheap as vectorized ones on large clusters.
    """

    def static_key(self, pod: Pod) -> Hashable | None:
        """What of ``pod`` the results depend on (hashable); ``None``: do not memoize."""
        ...


@attrs.frozen(eq=False)
class NodeTable:
    """Allocatable and requested amounts of every node as ``(nodes, resources)`` int64 arrays.

    ``requested`` sums real requests, ``non_zero_requested`` the requests with the scoring
    defaults (cpu and memory columns only differ).
    """

    names: tuple[str, ...]
    resources: tuple[str, ...]
    allocatable: IntArray
    requested: IntArray
    non_zero_requested: IntArray
    pods: IntArray
    allowed_pods: IntArray

    @classmethod
    def from_snapshot(cls, snapshot: Snapshot, extra: Iterable[str] = ()) -> NodeTable:
        """Build the table; columns are cpu, memory, ephemeral-storage, then extended resources
        (sorted) found on any node or named in ``extra``."""
        scalar: set[str] = set(extra) - set(_CORE) - {"pods"}
        allocs = [info.allocatable for info in snapshot.nodes]
        for alloc in allocs:
            scalar.update(alloc.scalar)
        for info in snapshot.nodes:
            scalar.update(info.requested.scalar)
        names = (*_CORE, *sorted(scalar))

        def matrix(values: Sequence[Resource]) -> IntArray:
            rows = [[v.get(n) for n in names] for v in values]
            return np.array(rows, dtype=np.int64).reshape(len(values), len(names))

        return cls(
            names=tuple(info.name for info in snapshot.nodes),
            resources=names,
            allocatable=matrix(allocs),
            requested=matrix([info.requested for info in snapshot.nodes]),
            non_zero_requested=matrix([info.non_zero_requested for info in snapshot.nodes]),
            pods=np.array([len(info.pods) for info in snapshot.nodes], dtype=np.int64),
            allowed_pods=np.array([a.pods for a in allocs], dtype=np.int64),
        )

    def __len__(self) -> int:
        return len(self.pods)

    def take(self, rows: IntArray) -> NodeTable:
        """The sub-table of ``rows`` (in that order)."""
        return NodeTable(
            names=_pick(self.names, rows),
            resources=self.resources,
            allocatable=self.allocatable[rows],
            requested=self.requested[rows],
            non_zero_requested=self.non_zero_requested[rows],
            pods=self.pods[rows],
            allowed_pods=self.allowed_pods[rows],
        )

    def column(self, name: str) -> int | None:
        """The column of resource ``name``, or ``None`` when no node has it."""
        try:
            return self.resources.index(name)
        except ValueError:
            return None

    def amounts(
        self, names: Sequence[str], request: Resource, non_zero: Resource | None
    ) -> tuple[IntArray, IntArray]:
        """``(requested + pod, allocatable)`` as ``(nodes, len(names))`` arrays.

        With ``non_zero``, cpu and memory use the non-zero sums and ``non_zero``'s amounts.
        """
        n = len(self)
        req = np.zeros((n, len(names)), dtype=np.int64)
        alloc = np.zeros((n, len(names)), dtype=np.int64)
        for j, name in enumerate(names):
            col = self.column(name)
            use_nz = non_zero is not None and name in ("cpu", "memory")
            pod_amount = (
                non_zero.get(name) if non_zero is not None and use_nz else request.get(name)
            )
            if col is not None:
                source = self.non_zero_requested if use_nz else self.requested
                req[:, j] = source[:, col] + pod_amount
                alloc[:, j] = self.allocatable[:, col]
            else:
                req[:, j] = pod_amount
        return req, alloc


def _pick(names: tuple[str, ...], rows: IntArray) -> tuple[str, ...]:
    indices = rows.tolist()
    if len(indices) == 0:
        return ()
    if len(indices) == 1:
        return (names[indices[0]],)
    return tuple(operator.itemgetter(*indices)(names))


def normalize_array(scores: IntArray, *, reverse: bool = False) -> IntArray:
    """:func:`~kube_actors.scheduler.framework.default_normalize_score` over an array."""
    top = int(scores.max()) if len(scores) else 0
    if top == 0:
        return np.full(len(scores), MAX_NODE_SCORE if reverse else 0, dtype=np.int64)
    scaled: IntArray = MAX_NODE_SCORE * scores // top
    return (MAX_NODE_SCORE - scaled) if reverse else scaled


def fit_kernel(table: NodeTable, request: Resource) -> IntArray:
    """NodeResourcesFit's filter for every node at once, as ``Code`` values per node."""
    n = len(table)
    failed: BoolArray = table.pods + 1 > table.allowed_pods
    unresolvable: BoolArray = np.zeros(n, dtype=np.bool_)
    if not request.is_zero:
        wanted = [("cpu", request.milli_cpu), ("memory", request.memory)]
        wanted.append(("ephemeral-storage", request.ephemeral_storage))
        wanted.extend(request.scalar.items())
        for name, amount in wanted:
            if amount <= 0:
                continue
            col = table.column(name)
            if col is None:  # no node has it: every node lacks it entirely
                failed = np.ones(n, dtype=np.bool_)
                unresolvable = np.ones(n, dtype=np.bool_)
                continue
            alloc = table.allocatable[:, col]
            free = alloc - table.requested[:, col]
            failed = failed | (amount > free)
            unresolvable = unresolvable | ((amount > free) & (amount > alloc))
    codes: IntArray = np.where(
        failed,
        np.where(unresolvable, int(Code.UNSCHEDULABLE_AND_UNRESOLVABLE), int(Code.UNSCHEDULABLE)),
        int(Code.SUCCESS),
    ).astype(np.int64)
    return codes


def _weighted_mean(scores: IntArray, alloc: IntArray, weights: Sequence[int]) -> IntArray:
    w = np.array(weights, dtype=np.int64)
    present = alloc != 0  # resources a node does not have are skipped, as per node
    total = (scores * w * present).sum(axis=1)
    weight_sum = (w * present).sum(axis=1)
    out: IntArray = np.where(weight_sum > 0, total // np.maximum(weight_sum, 1), 0)
    return out.astype(np.int64)


def least_allocated_kernel(req: IntArray, alloc: IntArray, weights: Sequence[int]) -> IntArray:
    """``least_allocated`` for every row."""
    safe = np.maximum(alloc, 1)
    scores = np.where(req > alloc, 0, (alloc - req) * MAX_NODE_SCORE // safe)
    return _weighted_mean(scores.astype(np.int64), alloc, weights)


def most_allocated_kernel(req: IntArray, alloc: IntArray, weights: Sequence[int]) -> IntArray:
    """``most_allocated`` for every row."""
    safe = np.maximum(alloc, 1)
    scores = np.minimum(req, alloc) * MAX_NODE_SCORE // safe
    return _weighted_mean(scores.astype(np.int64), alloc, weights)


def balanced_kernel(req: IntArray, alloc: IntArray) -> IntArray:
    """``balanced_score`` for every row, with the same float operations in the same order."""
    n, m = req.shape
    present = alloc != 0
    if m == 2 and bool(present.all()):
        # The common case (cpu and memory on every node): |f1 - f2| / 2, as below.
        f = np.minimum(req / alloc, 1.0)
        two: IntArray = np.trunc((1 - np.abs((f[:, 0] - f[:, 1]) / 2)) * MAX_NODE_SCORE).astype(
            np.int64
        )
        return two
    safe = np.where(present, alloc, 1).astype(np.float64)
    fractions = np.minimum(req.astype(np.float64) / safe, 1.0)
    count = present.sum(axis=1)
    # Sequential sums over columns, like Python's sum(), so rounding matches exactly.
    total = np.zeros(n, dtype=np.float64)
    first = np.zeros(n, dtype=np.float64)
    second = np.zeros(n, dtype=np.float64)
    seen = np.zeros(n, dtype=np.int64)
    for j in range(m):
        f = fractions[:, j]
        here = present[:, j]
        total = np.where(here, total + f, total)
        first = np.where(here & (seen == 0), f, first)
        second = np.where(here & (seen == 1), f, second)
        seen = seen + here
    mean = total / np.maximum(count, 1)
    squares = np.zeros(n, dtype=np.float64)
    for j in range(m):
        d = fractions[:, j] - mean
        squares = np.where(present[:, j], squares + d * d, squares)
    many = np.sqrt(squares / np.maximum(count, 1))
    std = np.where(count == 2, np.abs((first - second) / 2), np.where(count > 2, many, 0.0))
    out: IntArray = np.trunc((1 - std) * MAX_NODE_SCORE).astype(np.int64)
    return out
