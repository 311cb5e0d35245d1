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

import numpy as np
import numpy.typing as npt

from kube_actors.api import Pod
from kube_actors.scheduler.framework import MAX_NODE_SCORE, Code, CycleState
from kube_actors.scheduler.nodeinfo import Resource, Snapshot

__all__ = [
    "FilterAllPlugin",
    "IntArray",
    "NodeLocalPlugin",
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


@runtime_checkable
class NodeLocalPlugin(Protocol):
    """A plugin whose Filter and Score depend only on the pod and one node's
    :class:`~kube_actors.scheduler.nodeinfo.NodeInfo` (the node object and the pods on it).

    Not on other nodes, nor on anything else in the cycle. The scheduler then keeps each
    node's answer per distinct ``local_key`` and, from one cycle to the next, recomputes only
    the nodes whose info changed since (typically the one the last pod was assumed on), with
    the per-node form; a full recomputation uses the vectorized form when the plugin has one.
    """

    def local_key(self, pod: Pod) -> Hashable | None:
        """What of ``pod`` the results depend on (hashable); ``None``: do not memoize."""
        ...


# The amount kinds of a NodeTable.
_ALLOC, _REQ, _NZ = 0, 1, 2


class NodeTable:
    """Allocatable and requested amounts of every node, one int64 column per resource.

    ``requested`` sums real requests, ``non_zero_requested`` the requests with the scoring
    defaults (cpu and memory columns only differ). Columns are stored contiguously, so a
    kernel reading one resource of every node (:meth:`allocatable_of`, :meth:`requested_of`)
    touches one dense array; the ``(nodes, resources)`` matrices are views over the same data.

    A table from :meth:`take` reads its rows from the parent lazily, column by column, so a
    score kernel pays only for the columns it uses.
    """

    __slots__ = (
        "_allowed",
        "_amounts",
        "_cache",
        "_n",
        "_names",
        "_parent",
        "_pods",
        "_rows",
        "resources",
    )

    def __init__(
        self,
        names: tuple[str, ...],
        resources: tuple[str, ...],
        allocatable: IntArray,
        requested: IntArray,
        non_zero_requested: IntArray,
        pods: IntArray,
        allowed_pods: IntArray,
    ) -> None:
        """A table from ``(nodes, resources)`` matrices and per-node pod counts."""
        n = len(names)
        m = len(resources)

        def columns(matrix: IntArray) -> IntArray:
            return np.ascontiguousarray(np.asarray(matrix, dtype=np.int64).reshape(n, m).T)

        self._init(
            names,
            resources,
            (columns(allocatable), columns(requested), columns(non_zero_requested)),
            np.asarray(pods, dtype=np.int64),
            np.asarray(allowed_pods, dtype=np.int64),
        )

    def _init(
        self,
        names: tuple[str, ...] | None,
        resources: tuple[str, ...],
        amounts: tuple[IntArray, IntArray, IntArray] | None,
        pods: IntArray | None,
        allowed: IntArray | None,
        *,
        n: int | None = None,
        parent: NodeTable | None = None,
        rows: IntArray | None = None,
    ) -> None:
        self._names = names
        self.resources = resources
        # Allocatable, requested, non-zero requested, each (resources, nodes): row j is
        # resource j of every node, contiguous. None in a taken table (read from the parent).
        self._amounts = amounts
        self._pods = pods
        self._allowed = allowed
        self._n = len(pods) if n is None and pods is not None else (n or 0)
        self._parent = parent
        self._rows = rows
        self._cache: dict[tuple[int, int], IntArray] = {}

    @classmethod
    def from_columns(
        cls,
        names: tuple[str, ...],
        resources: tuple[str, ...],
        allocatable: IntArray,
        requested: IntArray,
        non_zero_requested: IntArray,
        pods: IntArray,
        allowed_pods: IntArray,
    ) -> NodeTable:
        """A table over ``(resources, nodes)`` arrays whose rows are contiguous (no copy)."""
        table = cls.__new__(cls)
        table._init(
            names, resources, (allocatable, requested, non_zero_requested), pods, allowed_pods
        )
        return table

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
        return self._n

    # --- columns --------------------------------------------------------------------------

    def _source(self) -> tuple[NodeTable, IntArray]:
        """The parent table and its rows this table was taken from."""
        parent, rows = self._parent, self._rows
        if parent is None or rows is None:
            raise AssertionError("only a taken table has a parent")
        return parent, rows

    def _column(self, kind: int, j: int) -> IntArray:
        """Resource ``j`` of every node, of one amount kind (``_ALLOC``, ``_REQ``, ``_NZ``)."""
        if self._amounts is not None:
            column: IntArray = self._amounts[kind][j]
            return column
        key = (kind, j)
        cached = self._cache.get(key)
        if cached is None:
            parent, rows = self._source()
            cached = self._cache[key] = parent._column(kind, j)[rows]
        return cached

    def _matrix(self, kind: int) -> IntArray:
        """``(nodes, resources)`` view of one amount kind."""
        if self._amounts is not None:
            return self._amounts[kind].T
        key = (kind, -1)
        cached = self._cache.get(key)
        if cached is None:
            parent, rows = self._source()
            cached = self._cache[key] = parent._matrix(kind)[rows]
        return cached

    def allocatable_of(self, name: str) -> IntArray:
        """Allocatable ``name`` of every node (zeros when no node has it)."""
        j = self.column(name)
        return np.zeros(self._n, dtype=np.int64) if j is None else self._column(_ALLOC, j)

    def requested_of(self, name: str, *, non_zero: bool = False) -> IntArray:
        """Requested ``name`` of every node (with the scoring defaults when ``non_zero``)."""
        j = self.column(name)
        if j is None:
            return np.zeros(self._n, dtype=np.int64)
        return self._column(_NZ if non_zero else _REQ, j)

    @property
    def names(self) -> tuple[str, ...]:
        """Node names, in row order."""
        if self._names is None:
            parent, rows = self._source()
            self._names = _pick(parent.names, rows)
        return self._names

    @property
    def allocatable(self) -> IntArray:
        """``(nodes, resources)`` allocatable amounts."""
        return self._matrix(_ALLOC)

    @property
    def requested(self) -> IntArray:
        """``(nodes, resources)`` requested amounts (real requests)."""
        return self._matrix(_REQ)

    @property
    def non_zero_requested(self) -> IntArray:
        """``(nodes, resources)`` requested amounts with the scoring defaults."""
        return self._matrix(_NZ)

    @property
    def pods(self) -> IntArray:
        """Pods on each node (assumed ones included)."""
        if self._pods is None:
            parent, rows = self._source()
            self._pods = parent.pods[rows]
        return self._pods

    @property
    def allowed_pods(self) -> IntArray:
        """Each node's allocatable pod count."""
        if self._allowed is None:
            parent, rows = self._source()
            self._allowed = parent.allowed_pods[rows]
        return self._allowed

    def take(self, rows: IntArray) -> NodeTable:
        """The sub-table of ``rows`` (in that order); its columns are read on first use."""
        table = NodeTable.__new__(NodeTable)
        table._init(
            None,
            self.resources,
            None,
            None,
            None,
            n=len(rows),
            parent=self,
            rows=rows,
        )
        return table

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
        req_cols, alloc_cols = self.amount_columns(names, request, non_zero)
        n = self._n
        req = np.array(req_cols, dtype=np.int64).reshape(len(names), n).T
        alloc = np.array(alloc_cols, dtype=np.int64).reshape(len(names), n).T
        return req, alloc

    def amount_columns(
        self, names: Sequence[str], request: Resource, non_zero: Resource | None
    ) -> tuple[list[IntArray], list[IntArray]]:
        """:meth:`amounts` as one array per resource: ``(requested + pod, allocatable)``."""
        reqs: list[IntArray] = []
        allocs: list[IntArray] = []
        for name in names:
            use_nz = non_zero is not None and name in ("cpu", "memory")
            pod_amount = non_zero.get(name) if use_nz and non_zero else request.get(name)
            reqs.append(self.requested_of(name, non_zero=use_nz) + pod_amount)
            allocs.append(self.allocatable_of(name))
        return reqs, allocs


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
    ok: BoolArray = table.pods < table.allowed_pods
    wanted: list[tuple[int, int]] = []  # (column, amount)
    if not request.is_zero:
        amounts = [("cpu", request.milli_cpu), ("memory", request.memory)]
        amounts.append(("ephemeral-storage", request.ephemeral_storage))
        amounts.extend(request.scalar.items())
        for name, amount in amounts:
            if amount <= 0:
                continue
            col = table.column(name)
            if col is None:  # no node has it: every node lacks it entirely
                return np.full(n, int(Code.UNSCHEDULABLE_AND_UNRESOLVABLE), dtype=np.int64)
            ok &= table._column(_ALLOC, col) - table._column(_REQ, col) >= amount
            wanted.append((col, amount))
    if ok.all():
        return np.zeros(n, dtype=np.int64)  # Code.SUCCESS is 0: the common case
    # Unresolvable: some request exceeds the whole allocatable (which implies it does not fit).
    unresolvable = np.zeros(n, dtype=np.bool_)
    for col, amount in wanted:
        unresolvable |= table._column(_ALLOC, col) < amount
    codes: IntArray = np.where(
        ok,
        int(Code.SUCCESS),
        np.where(unresolvable, int(Code.UNSCHEDULABLE_AND_UNRESOLVABLE), int(Code.UNSCHEDULABLE)),
    ).astype(np.int64)
    return codes


def _weighted_mean(
    scores: Sequence[IntArray], allocs: Sequence[IntArray], weights: Sequence[int]
) -> IntArray:
    """Per row: sum(score * weight) // sum(weight) over the resources the node has (alloc != 0),
    0 when it has none of them."""
    n = len(allocs[0]) if allocs else 0
    if not scores:
        return np.zeros(n, dtype=np.int64)
    if all(bool(a.all()) for a in allocs):  # every node has every resource: scalar divisor
        total = scores[0] * weights[0] if weights[0] != 1 else scores[0].copy()
        for s, w in zip(scores[1:], weights[1:], strict=True):
            total += s * w if w != 1 else s
        out: IntArray = total // sum(weights)
        return out
    total = np.zeros(n, dtype=np.int64)
    weight_sum = np.zeros(n, dtype=np.int64)
    for s, a, w in zip(scores, allocs, weights, strict=True):
        present = a != 0  # resources a node does not have are skipped, as per node
        total += np.where(present, s * w, 0)
        weight_sum += present * w
    mean: IntArray = np.where(weight_sum > 0, total // np.maximum(weight_sum, 1), 0)
    return mean.astype(np.int64)


def least_allocated_kernel(
    reqs: Sequence[IntArray], allocs: Sequence[IntArray], weights: Sequence[int]
) -> IntArray:
    """``least_allocated`` for every row; one requested and one allocatable array per resource."""
    scores = []
    for req, alloc in zip(reqs, allocs, strict=True):
        # (alloc - req) * 100 // alloc, and 0 when req > alloc: the floor of a negative
        # numerator is negative, so clamping at 0 gives exactly that.
        scores.append(np.maximum((alloc - req) * MAX_NODE_SCORE // np.maximum(alloc, 1), 0))
    return _weighted_mean(scores, allocs, weights)


def most_allocated_kernel(
    reqs: Sequence[IntArray], allocs: Sequence[IntArray], weights: Sequence[int]
) -> IntArray:
    """``most_allocated`` for every row; one requested and one allocatable array per resource."""
    scores = [
        np.minimum(req, alloc) * MAX_NODE_SCORE // np.maximum(alloc, 1)
        for req, alloc in zip(reqs, allocs, strict=True)
    ]
    return _weighted_mean(scores, allocs, weights)


def balanced_kernel(reqs: Sequence[IntArray], allocs: Sequence[IntArray]) -> IntArray:
    """``balanced_score`` for every row, with the same float operations in the same order;
    one requested and one allocatable array per resource."""
    m = len(reqs)
    n = len(allocs[0]) if allocs else 0
    if m == 2 and all(bool(a.all()) for a in allocs):
        # The common case (cpu and memory on every node): |f1 - f2| / 2, as below.
        f0 = np.minimum(reqs[0] / allocs[0], 1.0)
        f1 = np.minimum(reqs[1] / allocs[1], 1.0)
        two: IntArray = np.trunc((1 - np.abs((f0 - f1) / 2)) * MAX_NODE_SCORE).astype(np.int64)
        return two
    presents = [a != 0 for a in allocs]
    fractions = [
        np.minimum(r.astype(np.float64) / np.where(p, a, 1).astype(np.float64), 1.0)
        for r, a, p in zip(reqs, allocs, presents, strict=True)
    ]
    count = np.zeros(n, dtype=np.int64)
    for p in presents:
        count += p
    # Sequential sums over columns, like Python's sum(), so rounding matches exactly.
    total = np.zeros(n, dtype=np.float64)
    first = np.zeros(n, dtype=np.float64)
    second = np.zeros(n, dtype=np.float64)
    seen = np.zeros(n, dtype=np.int64)
    for f, here in zip(fractions, presents, strict=True):
        total = np.where(here, total + f, total)
        first = np.where(here & (seen == 0), f, first)
        second = np.where(here & (seen == 1), f, second)
        seen = seen + here
    mean = total / np.maximum(count, 1)
    squares = np.zeros(n, dtype=np.float64)
    for f, here in zip(fractions, presents, strict=True):
        d = f - mean
        squares = np.where(here, squares + d * d, squares)
    many = np.sqrt(squares / np.maximum(count, 1))
    std = np.where(count == 2, np.abs((first - second) / 2), np.where(count > 2, many, 0.0))
    out: IntArray = np.trunc((1 - std) * MAX_NODE_SCORE).astype(np.int64)
    return out
