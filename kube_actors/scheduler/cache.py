"""The scheduler's cache: every node with the pods on it, kept incrementally, plus assumed pods.

Upstream's ``internal/cache``: informer events add, update and remove nodes and bound pods;
the scheduling cycle *assumes* a pod on its chosen node before the binding is written, so the
next cycle already sees the node's resources taken. When the bind succeeds the informer's
update confirms the assumed pod; when it fails the pod is forgotten.

Alongside the :class:`NodeInfo` values the cache keeps the columnar arrays of
:class:`~kube_actors.scheduler.fast.NodeTable` up to date row by row, so the vectorized plugin
forms read the current cluster without rebuilding anything, and a per-row *node version* that
changes whenever a node object changes (what node-static plugin results are memoized on).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from types import MappingProxyType

import attrs
import numpy as np

from kube_actors.api import Node, PersistentVolume, PersistentVolumeClaim, Pod
from kube_actors.scheduler.fast import IntArray, NodeTable
from kube_actors.scheduler.nodeinfo import (
    NodeInfo,
    Resource,
    Snapshot,
    image_counts,
    image_states,
)

__all__ = ["CacheError", "SchedulerCache"]

_CORE = ("cpu", "memory", "ephemeral-storage")
#: Row changes remembered for row-local memos (older memos recompute in full).
_ROW_LOG_SIZE = 4096


class CacheError(RuntimeError):
    """An impossible cache transition (assuming a pod twice, forgetting a bound pod, ...)."""


@attrs.define
class _PodState:
    pod: Pod
    node: str
    assumed: bool
    binding_finished: bool = False


def _key(pod: Pod) -> str:
    meta = pod.metadata
    return meta.uid or f"{meta.namespace}/{meta.name}"


class _CacheSnapshot(Snapshot):
    """The cache's snapshot: :attr:`nodes` and the affinity lists are built on first use.

    A scheduling cycle for a plain pod reads only a few rows (:attr:`by_row`), so copying
    thousands of node infos into a tuple every cycle would be most of its cost. Like
    upstream's snapshot, which the scheduler updates in place between cycles, it describes
    the cache until the cache next changes: what is built later reflects the cache then.
    """

    __slots__ = ("_cache", "_lists", "_tuple")
    _cache: SchedulerCache
    _lists: tuple[tuple[NodeInfo, ...], tuple[NodeInfo, ...]] | None
    _tuple: tuple[NodeInfo, ...] | None

    def __init__(
        self,
        cache: SchedulerCache,
        pvcs: Mapping[str, PersistentVolumeClaim],
        pvs: Mapping[str, PersistentVolume],
    ) -> None:
        # Frozen attrs fields are set directly: the volume maps are already frozen copies.
        put = object.__setattr__
        put(self, "pvcs", pvcs)
        put(self, "pvs", pvs)
        put(self, "affinity_nodes", None)
        put(self, "anti_affinity_nodes", None)
        put(self, "_cache", cache)
        put(self, "_tuple", None)
        put(self, "_lists", None)

    @property
    def nodes(self) -> tuple[NodeInfo, ...]:
        """Every node info in row order."""
        built: tuple[NodeInfo, ...] | None = self._tuple
        if built is None:
            built = tuple(self._cache._infos)
            object.__setattr__(self, "_tuple", built)
        return built

    @property
    def by_row(self) -> Sequence[NodeInfo]:
        """The cache's node infos by row, not copied."""
        infos: list[NodeInfo] = self._cache._infos
        return infos

    def get(self, name: str) -> NodeInfo | None:
        """The node info named ``name``, if any."""
        return self._cache.get(name)

    @property
    def have_pods_with_affinity(self) -> tuple[NodeInfo, ...]:
        """Nodes holding a pod with pod (anti-)affinity terms, in row order."""
        return self._lazy_lists()[0]

    @property
    def have_pods_with_required_anti_affinity(self) -> tuple[NodeInfo, ...]:
        """Nodes holding a pod with required anti-affinity terms, in row order."""
        return self._lazy_lists()[1]

    def _lazy_lists(self) -> tuple[tuple[NodeInfo, ...], tuple[NodeInfo, ...]]:
        lists: tuple[tuple[NodeInfo, ...], tuple[NodeInfo, ...]] | None = self._lists
        if lists is None:
            cache = self._cache
            lists = (
                cache._in_row_order(cache._affinity),
                cache._in_row_order(cache._anti_affinity),
            )
            object.__setattr__(self, "_lists", lists)
        return lists

    def __len__(self) -> int:
        return len(self._cache)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Snapshot):
            return NotImplemented
        return (self.nodes, self.pvcs, self.pvs) == (other.nodes, other.pvcs, other.pvs)

    __hash__ = None  # type: ignore[assignment]


class SchedulerCache:
    """Nodes and their pods, incrementally; assumed pods; node table arrays.

    Not thread-safe and not async: the scheduler calls it from its own task only.
    """

    def __init__(self) -> None:
        self._nodes: dict[str, NodeInfo] = {}
        self._rows: dict[str, int] = {}
        self._names: list[str] = []
        # Node infos in row order (what a snapshot copies).
        self._infos: list[NodeInfo] = []
        self._resources: list[str] = list(_CORE)
        self._cap = 0
        # (resources, capacity): one contiguous row per resource, what the kernels read.
        self._alloc: IntArray = np.zeros((len(_CORE), 0), dtype=np.int64)
        self._req: IntArray = np.zeros((len(_CORE), 0), dtype=np.int64)
        self._nzreq: IntArray = np.zeros((len(_CORE), 0), dtype=np.int64)
        self._npods: IntArray = np.zeros(0, dtype=np.int64)
        self._allowed: IntArray = np.zeros(0, dtype=np.int64)
        self._versions: IntArray = np.zeros(0, dtype=np.int64)
        self._version_counter = 0
        # Rows whose node info changed, in order: what row-local memos catch up from.
        # ``_row_log[k]`` is change number ``_row_log_base + k``.
        self._row_log: list[int] = []
        self._row_log_base = 0
        self._pods: dict[str, _PodState] = {}
        # Bound pods whose node the cache does not know (yet): placed when the node arrives.
        self._orphans: dict[str, dict[str, Pod]] = {}
        self._affinity: set[str] = set()
        self._anti_affinity: set[str] = set()
        self._images_dirty = False
        self._pvcs: dict[str, PersistentVolumeClaim] = {}
        self._pvs: dict[str, PersistentVolume] = {}
        # Frozen copies of the two maps for snapshots, made again after they change.
        self._volumes: (
            tuple[Mapping[str, PersistentVolumeClaim], Mapping[str, PersistentVolume]] | None
        ) = None
        #: Bumped on every change; a snapshot is reused while it stays the same.
        self.generation = 0
        #: Bumped when the set or order of nodes changes (rows are renumbered).
        self.layout = 0
        self._snapshot: Snapshot | None = None
        self._snapshot_generation = -1
        self._names_tuple: tuple[str, ...] = ()
        self._names_layout = -1

    # --- nodes ----------------------------------------------------------------------------

    def add_node(self, node: Node) -> None:
        """A node was added (or re-added): it gets the next row."""
        name = node.metadata.name
        if name in self._nodes:
            self.update_node(node)
            return
        info = NodeInfo(node=node)
        for pod in self._orphans.pop(name, {}).values():
            info = info.with_pod(pod)
        self._rows[name] = len(self._names)
        self._names.append(name)
        self._infos.append(info)
        self._ensure_capacity(len(self._names))
        self.layout += 1
        if node.status.images:
            self._images_dirty = True
        self._set(name, info, node_changed=True)

    def update_node(self, node: Node) -> None:
        """A node's object changed (labels, taints, allocatable, images, ...)."""
        name = node.metadata.name
        info = self._nodes.get(name)
        if info is None:
            self.add_node(node)
            return
        if info.node.status.images != node.status.images:
            self._images_dirty = True
        self._set(name, attrs.evolve(info, node=node), node_changed=True)

    def remove_node(self, name: str) -> None:
        """A node was deleted; its bound pods are kept aside until they are deleted too."""
        info = self._nodes.pop(name, None)
        if info is None:
            return
        if info.pods:
            self._orphans[name] = {_key(p): p for p in info.pods}
        if info.node.status.images:
            self._images_dirty = True
        self._affinity.discard(name)
        self._anti_affinity.discard(name)
        # Rows are renumbered (rare: node deletion); every row's version changes.
        self._names.remove(name)
        del self._rows[name]
        infos = [self._nodes[n] for n in self._names]
        self._infos = list(infos)
        self._rows = {n: i for i, n in enumerate(self._names)}
        self._cap = 0
        self._ensure_capacity(len(self._names))
        for n, i in zip(self._names, infos, strict=True):
            self._write_row(n, i, node_changed=True)
        self.layout += 1
        self.generation += 1

    # --- pods -----------------------------------------------------------------------------

    def assume_pod(self, pod: Pod) -> None:
        """Place ``pod`` (with ``spec.nodeName`` set) on its node before the bind is written."""
        key = _key(pod)
        if key in self._pods:
            raise CacheError(f"pod {key} is already in the cache")
        self._place(pod)
        self._pods[key] = _PodState(pod, pod.spec.node_name, assumed=True)

    def finish_binding(self, pod: Pod) -> None:
        """The binding of an assumed pod was written."""
        state = self._pods.get(_key(pod))
        if state is not None and state.assumed:
            state.binding_finished = True

    def forget_pod(self, pod: Pod) -> None:
        """Undo :meth:`assume_pod` (the binding failed)."""
        key = _key(pod)
        state = self._pods.get(key)
        if state is None:
            return
        if not state.assumed:
            raise CacheError(f"pod {key} is bound, not assumed: it cannot be forgotten")
        self._unplace(state.pod, state.node)
        del self._pods[key]

    def is_assumed(self, pod: Pod) -> bool:
        """Whether ``pod`` is assumed and not yet confirmed by an informer event."""
        state = self._pods.get(_key(pod))
        return state is not None and state.assumed

    def add_pod(self, pod: Pod) -> None:
        """A bound pod appeared (informer add): confirms an assumed pod, or places it."""
        key = _key(pod)
        state = self._pods.get(key)
        if state is not None:
            if state.assumed and state.node != pod.spec.node_name:
                # Bound elsewhere than assumed (another scheduler won): move it.
                self._unplace(state.pod, state.node)
                self._place(pod)
            else:
                self._replace_pod(state, pod)
            self._pods[key] = _PodState(pod, pod.spec.node_name, assumed=False)
            return
        self._place(pod)
        self._pods[key] = _PodState(pod, pod.spec.node_name, assumed=False)

    def update_pod(self, old: Pod, new: Pod) -> None:
        """A bound pod changed (status, labels, resize)."""
        key = _key(new)
        state = self._pods.get(key)
        if state is None:
            self.add_pod(new)
            return
        if state.node != new.spec.node_name:
            self._unplace(state.pod, state.node)
            self._place(new)
        else:
            self._replace_pod(state, new)
        self._pods[key] = _PodState(new, new.spec.node_name, assumed=False)

    def remove_pod(self, pod: Pod) -> None:
        """A bound pod was deleted (or finished)."""
        state = self._pods.pop(_key(pod), None)
        if state is not None:
            self._unplace(state.pod, state.node)

    def pod(self, pod: Pod) -> Pod | None:
        """The cached (possibly assumed) version of ``pod``."""
        state = self._pods.get(_key(pod))
        return state.pod if state is not None else None

    # --- volumes --------------------------------------------------------------------------

    def set_pvc(self, claim: PersistentVolumeClaim, *, deleted: bool = False) -> None:
        """A persistent volume claim was added, changed or (``deleted``) removed."""
        key = f"{claim.metadata.namespace}/{claim.metadata.name}"
        if deleted:
            self._pvcs.pop(key, None)
        else:
            self._pvcs[key] = claim
        self._volumes = None
        self.generation += 1

    def set_pv(self, volume: PersistentVolume, *, deleted: bool = False) -> None:
        """A persistent volume was added, changed or (``deleted``) removed."""
        if deleted:
            self._pvs.pop(volume.metadata.name, None)
        else:
            self._pvs[volume.metadata.name] = volume
        self._volumes = None
        self.generation += 1

    # --- reading --------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._names)

    def get(self, name: str) -> NodeInfo | None:
        """The node info named ``name``."""
        return self._nodes.get(name)

    @property
    def names(self) -> tuple[str, ...]:
        """Node names in row order."""
        if self._names_layout != self.layout:
            self._names_tuple = tuple(self._names)
            self._names_layout = self.layout
        return self._names_tuple

    @property
    def pod_count(self) -> int:
        """Pods in the cache (bound and assumed)."""
        return len(self._pods)

    @property
    def node_generation(self) -> int:
        """Changes whenever any node object changes (the newest row version)."""
        self._refresh_images()
        return self._version_counter

    def node_versions(self) -> IntArray:
        """Each row's node version: changes whenever that row's node object changes."""
        self._refresh_images()
        return self._versions[: len(self._names)]

    @property
    def row_tick(self) -> int:
        """How many node-info changes the cache has made (see :meth:`rows_changed_since`)."""
        return self._row_log_base + len(self._row_log)

    def rows_changed_since(self, tick: int) -> list[int] | None:
        """Rows whose node info changed after :attr:`row_tick` was ``tick`` (repeats
        possible), or ``None`` when that is too long ago to tell."""
        start = tick - self._row_log_base
        if start < 0:
            return None
        return self._row_log[start:]

    def snapshot(self) -> Snapshot:
        """The nodes and volumes as one scheduling cycle sees them (reused while unchanged).

        Read it before the cache next changes: its node tuple and affinity lists are built on
        first use, from the cache as it is then (as upstream updates its snapshot in place).
        """
        self._refresh_images()
        if self._snapshot is None or self._snapshot_generation != self.generation:
            if self._volumes is None:
                self._volumes = (
                    MappingProxyType(dict(self._pvcs)),
                    MappingProxyType(dict(self._pvs)),
                )
            self._snapshot = _CacheSnapshot(self, *self._volumes)
            self._snapshot_generation = self.generation
        return self._snapshot

    def _in_row_order(self, names: set[str]) -> tuple[NodeInfo, ...]:
        if not names:
            return ()
        rows = sorted(map(self._rows.__getitem__, names))
        infos = self._infos
        return tuple(infos[i] for i in rows)

    def table(self) -> NodeTable:
        """The node table over the current rows (views: valid until the cache changes)."""
        n = len(self._names)
        return NodeTable.from_columns(
            names=self.names,
            resources=tuple(self._resources),
            allocatable=self._alloc[:, :n],
            requested=self._req[:, :n],
            non_zero_requested=self._nzreq[:, :n],
            pods=self._npods[:n],
            allowed_pods=self._allowed[:n],
        )

    def row(self, name: str) -> int:
        """The row of node ``name``."""
        return self._rows[name]

    # --- internals ------------------------------------------------------------------------

    def _place(self, pod: Pod) -> None:
        name = pod.spec.node_name
        info = self._nodes.get(name)
        if info is None:
            self._orphans.setdefault(name, {})[_key(pod)] = pod
            return
        self._set(name, info.with_pod(pod))

    def _unplace(self, pod: Pod, node: str) -> None:
        info = self._nodes.get(node)
        if info is None:
            orphans = self._orphans.get(node)
            if orphans is not None:
                orphans.pop(_key(pod), None)
                if not orphans:
                    del self._orphans[node]
            return
        self._set(node, info.without_pod(pod))

    def _replace_pod(self, state: _PodState, pod: Pod) -> None:
        if state.pod is pod:
            return
        info = self._nodes.get(state.node)
        if info is None:
            self._orphans.setdefault(state.node, {})[_key(pod)] = pod
            return
        self._set(state.node, info.with_pod_replaced(state.pod, pod))

    def _set(self, name: str, info: NodeInfo, *, node_changed: bool = False) -> None:
        self._nodes[name] = info
        self._write_row(name, info, node_changed=node_changed)
        if info.pods_with_affinity:
            self._affinity.add(name)
        else:
            self._affinity.discard(name)
        if info.pods_with_required_anti_affinity:
            self._anti_affinity.add(name)
        else:
            self._anti_affinity.discard(name)
        self.generation += 1

    def _write_row(self, name: str, info: NodeInfo, *, node_changed: bool) -> None:
        alloc = info.allocatable
        new = [
            k
            for k in (*alloc.scalar, *info.requested.scalar)
            if k not in self._resources and k != "pods"
        ]
        if new:
            self._add_columns(new)
        i = self._rows[name]
        self._infos[i] = info
        log = self._row_log
        log.append(i)
        if len(log) > _ROW_LOG_SIZE:
            drop = len(log) // 2
            del log[:drop]
            self._row_log_base += drop
        self._alloc[:, i] = self._vector(alloc)
        self._req[:, i] = self._vector(info.requested)
        self._nzreq[:, i] = self._vector(info.non_zero_requested)
        self._npods[i] = len(info.pods)
        self._allowed[i] = alloc.pods
        if node_changed:
            self._version_counter += 1
            self._versions[i] = self._version_counter

    def _vector(self, r: Resource) -> list[int]:
        out = [r.milli_cpu, r.memory, r.ephemeral_storage]
        if len(self._resources) > 3:
            out.extend(r.scalar.get(k, 0) for k in self._resources[3:])
        return out

    def _add_columns(self, names: Iterable[str]) -> None:
        extra = sorted(set(names))
        self._resources = [*_CORE, *sorted({*self._resources[3:], *extra})]
        n = len(self._names)
        # Rebuild the matrices with the new columns from the node infos (rare).
        self._alloc = np.zeros((len(self._resources), self._cap), dtype=np.int64)
        self._req = np.zeros_like(self._alloc)
        self._nzreq = np.zeros_like(self._alloc)
        for other, i in self._rows.items():
            if i >= n or other not in self._nodes:
                continue
            info = self._nodes[other]
            self._alloc[:, i] = self._vector(info.allocatable)
            self._req[:, i] = self._vector(info.requested)
            self._nzreq[:, i] = self._vector(info.non_zero_requested)
        self.layout += 1

    def _ensure_capacity(self, n: int) -> None:
        if n <= self._cap:
            return
        cap = max(64, self._cap * 2, n)
        m = len(self._resources)

        def grow2(a: IntArray) -> IntArray:
            out = np.zeros((m, cap), dtype=np.int64)
            rows = min(a.shape[1], self._cap)
            out[:, :rows] = a[:, :rows]
            return out

        def grow1(a: IntArray) -> IntArray:
            out = np.zeros(cap, dtype=np.int64)
            rows = min(len(a), self._cap)
            out[:rows] = a[:rows]
            return out

        self._alloc, self._req, self._nzreq = (
            grow2(a) for a in (self._alloc, self._req, self._nzreq)
        )
        self._npods, self._allowed, self._versions = (
            grow1(a) for a in (self._npods, self._allowed, self._versions)
        )
        self._cap = cap

    def _refresh_images(self) -> None:
        # Image spread is cluster-wide: recomputed lazily, once, after node changes.
        if not self._images_dirty:
            return
        self._images_dirty = False
        counts = image_counts(info.node for info in self._nodes.values())
        for name, info in list(self._nodes.items()):
            states = image_states(info.node, counts)
            if states != dict(info.image_states):
                self._set(name, attrs.evolve(info, image_states=states), node_changed=True)
