"""What the scheduler knows about a node: its pods, their summed requests and used host ports.

Values are in upstream's integer units: milli-CPU, bytes (memory, ephemeral storage), a pod
count, and whole units for extended resources.
"""

from __future__ import annotations

import functools
from collections.abc import Hashable, Iterable, Mapping, Sequence
from types import MappingProxyType

import attrs

from kube_actors.api import (
    Container,
    Node,
    PersistentVolume,
    PersistentVolumeClaim,
    Pod,
    Quantity,
    replace,
)
from kube_actors.api._memo import IdentityMemo

__all__ = [
    "DEFAULT_MEMORY_REQUEST",
    "DEFAULT_MILLI_CPU_REQUEST",
    "HostPort",
    "ImageState",
    "NodeInfo",
    "Resource",
    "Snapshot",
    "host_ports",
    "image_counts",
    "image_states",
    "node_images",
    "normalized_image_name",
    "pod_requests",
]

#: What scoring assumes for a container without a CPU request (upstream's non-zero default).
DEFAULT_MILLI_CPU_REQUEST = 100
#: What scoring assumes for a container without a memory request: 200Mi.
DEFAULT_MEMORY_REQUEST = 200 * 1024 * 1024

_EMPTY: Mapping[str, int] = MappingProxyType({})
_CORE = ("cpu", "memory", "ephemeral-storage", "pods")


def _freeze_ints(m: Mapping[str, int]) -> Mapping[str, int]:
    return MappingProxyType(dict(m))


def _freeze_images(m: Mapping[str, ImageState]) -> Mapping[str, ImageState]:
    return MappingProxyType(dict(m))


@attrs.frozen
class Resource:
    """A resource vector: milli-CPU, memory bytes, ephemeral-storage bytes, pods, extended.

    >>> r = Resource(milli_cpu=100, memory=1) + Resource(milli_cpu=50, scalar={"gpu": 1})
    >>> r.milli_cpu, r.get("gpu"), r.get("memory")
    (150, 1, 1)
    """

    milli_cpu: int = 0
    memory: int = 0
    ephemeral_storage: int = 0
    pods: int = 0
    scalar: Mapping[str, int] = attrs.field(default=_EMPTY, converter=_freeze_ints)

    @classmethod
    def from_list(cls, resources: Mapping[str, Quantity]) -> Resource:
        """From a ``ResourceList`` (requests or allocatable), using the quantity helpers."""
        scalar = {k: q.value() for k, q in resources.items() if k not in _CORE}
        return cls(
            milli_cpu=resources["cpu"].milli_value() if "cpu" in resources else 0,
            memory=resources["memory"].value() if "memory" in resources else 0,
            ephemeral_storage=(
                resources["ephemeral-storage"].value() if "ephemeral-storage" in resources else 0
            ),
            pods=resources["pods"].value() if "pods" in resources else 0,
            scalar=scalar,
        )

    @property
    def key(self) -> tuple[Hashable, ...]:
        """The amounts as a hashable tuple (equal for equal resources)."""
        return (
            self.milli_cpu,
            self.memory,
            self.ephemeral_storage,
            self.pods,
            *sorted(self.scalar.items()),
        )

    def get(self, name: str) -> int:
        """The amount of resource ``name`` (``cpu`` in milli-CPU)."""
        if name == "cpu":
            return self.milli_cpu
        if name == "memory":
            return self.memory
        if name == "ephemeral-storage":
            return self.ephemeral_storage
        if name == "pods":
            return self.pods
        return self.scalar.get(name, 0)

    @property
    def is_zero(self) -> bool:
        """Whether nothing at all is requested (pods not counted)."""
        return not (
            self.milli_cpu
            or self.memory
            or self.ephemeral_storage
            or any(v for v in self.scalar.values())
        )

    def __add__(self, other: Resource) -> Resource:
        scalar = dict(self.scalar)
        for k, v in other.scalar.items():
            scalar[k] = scalar.get(k, 0) + v
        return Resource(
            milli_cpu=self.milli_cpu + other.milli_cpu,
            memory=self.memory + other.memory,
            ephemeral_storage=self.ephemeral_storage + other.ephemeral_storage,
            pods=self.pods + other.pods,
            scalar=scalar,
        )

    def __sub__(self, other: Resource) -> Resource:
        scalar = dict(self.scalar)
        for k, v in other.scalar.items():
            scalar[k] = scalar.get(k, 0) - v
        return Resource(
            milli_cpu=self.milli_cpu - other.milli_cpu,
            memory=self.memory - other.memory,
            ephemeral_storage=self.ephemeral_storage - other.ephemeral_storage,
            pods=self.pods - other.pods,
            scalar={k: v for k, v in scalar.items() if v},
        )

    def max(self, other: Resource) -> Resource:
        """The element-wise maximum."""
        scalar = dict(self.scalar)
        for k, v in other.scalar.items():
            scalar[k] = max(scalar.get(k, 0), v)
        return Resource(
            milli_cpu=max(self.milli_cpu, other.milli_cpu),
            memory=max(self.memory, other.memory),
            ephemeral_storage=max(self.ephemeral_storage, other.ephemeral_storage),
            pods=max(self.pods, other.pods),
            scalar=scalar,
        )


def _container_requests(container: Container, non_zero: bool) -> Resource:
    requests = container.resources.requests
    r = Resource.from_list(requests)
    if non_zero:
        # Upstream fills only *missing* cpu/memory requests; an explicit 0 stays 0.
        r = attrs.evolve(
            r,
            milli_cpu=r.milli_cpu if "cpu" in requests else DEFAULT_MILLI_CPU_REQUEST,
            memory=r.memory if "memory" in requests else DEFAULT_MEMORY_REQUEST,
        )
    return r


def _is_sidecar(container: Container) -> bool:
    return container.restart_policy == "Always"


# One entry per distinct containers tuple: pods created one by one (not from a shared
# template) each have their own, so the memo is sized for a large cluster's pods.
_REQUESTS: IdentityMemo[Resource] = IdentityMemo(1 << 16)


def pod_requests(pod: Pod, *, non_zero: bool = False) -> Resource:
    """What ``pod`` asks of a node: max(sum of containers, largest init container) + overhead.

    Sidecars (init containers with ``restartPolicy: Always``) keep running, so they add to the
    containers' sum and to every later init container, as upstream ``PodRequests``. With
    ``non_zero`` a container missing a CPU or memory request counts as 100m / 200Mi (scoring
    only). Pod-level ``spec.resources.requests`` replace the containers' cpu and memory.

    >>> from kube_actors.api import Container, PodSpec, ResourceRequirements, parse_quantity
    >>> def c(cpu):
    ...     rr = ResourceRequirements(requests={"cpu": parse_quantity(cpu)})
    ...     return Container(name=cpu, resources=rr)
    >>> pod = Pod(spec=PodSpec(containers=[c("100m"), c("200m")], init_containers=[c("500m")]))
    >>> pod_requests(pod).milli_cpu
    500
    """
    # A function of the containers (and overhead and pod-level resources) alone. Pods made from
    # one template share the containers tuple, and so does a copy with spec.nodeName set.
    spec = pod.spec
    # Most pods have no init containers, overhead or pod-level resources: then the flag alone
    # qualifies the key (hashing the full qualifier costs more than the lookup it serves).
    qualifier: Hashable = (
        non_zero
        if not spec.init_containers and not spec.overhead and spec.resources is None
        else (non_zero, spec.init_containers, spec.overhead, spec.resources)
    )
    cached = _REQUESTS.get(spec.containers, qualifier)
    if cached is None:
        cached = _pod_requests(pod, non_zero)
        _REQUESTS.put(spec.containers, cached, qualifier)
    return cached


def _pod_requests(pod: Pod, non_zero: bool) -> Resource:
    total = Resource()
    for container in pod.spec.containers:
        total = total + _container_requests(container, non_zero)
    sidecars = Resource()
    init_max = Resource()
    for container in pod.spec.init_containers:
        req = _container_requests(container, non_zero)
        if _is_sidecar(container):
            total = total + req
            sidecars = sidecars + req
            req = sidecars
        else:
            req = req + sidecars
        init_max = init_max.max(req)
    total = total.max(init_max)
    level = pod.spec.resources
    if level is not None:
        if "cpu" in level.requests:
            total = attrs.evolve(total, milli_cpu=level.requests["cpu"].milli_value())
        if "memory" in level.requests:
            total = attrs.evolve(total, memory=level.requests["memory"].value())
    if pod.spec.overhead:
        total = total + Resource.from_list(pod.spec.overhead)
    return total


@attrs.frozen
class HostPort:
    """One used host port; an empty IP means 0.0.0.0 and an empty protocol TCP."""

    ip: str
    protocol: str
    port: int

    def conflicts(self, other: HostPort) -> bool:
        """Same protocol and port, and the same IP or either one the wildcard 0.0.0.0."""
        if self.port != other.port or self.protocol != other.protocol:
            return False
        return self.ip == other.ip or "0.0.0.0" in (self.ip, other.ip)


def host_ports(pod: Pod) -> tuple[HostPort, ...]:
    """The host ports ``pod`` wants (containers and sidecars), normalized."""
    containers = [*pod.spec.containers, *(c for c in pod.spec.init_containers if _is_sidecar(c))]
    return tuple(
        HostPort(p.host_ip or "0.0.0.0", p.protocol or "TCP", p.host_port)
        for c in containers
        for p in c.ports
        if p.host_port > 0
    )


def normalized_image_name(name: str) -> str:
    """``name`` with ``:latest`` added when it names neither a tag nor a digest, as upstream."""
    if "@" in name or ":" in name.rsplit("/", 1)[-1]:
        return name
    return name + ":latest"


def _identity(pod: Pod) -> str:
    meta = pod.metadata
    return meta.uid or f"{meta.namespace}/{meta.name}"


def _affinity_kinds(pod: Pod) -> tuple[bool, bool]:
    """(has pod affinity or anti-affinity terms, has required anti-affinity terms)."""
    affinity = pod.spec.affinity
    if affinity is None:
        return False, False
    pa, paa = affinity.pod_affinity, affinity.pod_anti_affinity
    has = bool(
        (
            pa is not None
            and (
                pa.required_during_scheduling_ignored_during_execution
                or pa.preferred_during_scheduling_ignored_during_execution
            )
        )
        or (
            paa is not None
            and (
                paa.required_during_scheduling_ignored_during_execution
                or paa.preferred_during_scheduling_ignored_during_execution
            )
        )
    )
    anti = bool(paa is not None and paa.required_during_scheduling_ignored_during_execution)
    return has, anti


@attrs.frozen
class ImageState:
    """An image on a node: its size and on how many nodes of the snapshot it is present."""

    size: int
    num_nodes: int


@attrs.frozen
class NodeInfo:
    """A node with the pods assigned to it and what they request.

    ``requested`` sums real requests (filters, BalancedAllocation); ``non_zero_requested`` sums
    them with the 100m / 200Mi defaults (Least/MostAllocated). Immutable: :meth:`with_pod`
    returns a new value, so a snapshot stays consistent while a cycle reads it.
    """

    node: Node
    pods: tuple[Pod, ...] = ()
    requested: Resource = Resource()
    non_zero_requested: Resource = Resource()
    used_ports: tuple[HostPort, ...] = ()
    image_states: Mapping[str, ImageState] = attrs.field(
        default=MappingProxyType({}), converter=_freeze_images
    )
    #: The pods here with pod affinity or anti-affinity terms (upstream ``PodsWithAffinity``).
    pods_with_affinity: tuple[Pod, ...] = ()
    #: The pods here with *required* anti-affinity terms, which every incoming pod must respect.
    pods_with_required_anti_affinity: tuple[Pod, ...] = ()
    # (node, its allocatable as a Resource): parsing quantities on every read is slow, and
    # copies made with a different node must not reuse it, hence the node it belongs to.
    _allocatable_memo: tuple[Node, Resource] | None = attrs.field(
        default=None, eq=False, repr=False, alias="_allocatable_memo"
    )

    @classmethod
    def build(cls, node: Node, pods: Iterable[Pod] = ()) -> NodeInfo:
        """A node info for ``node`` holding ``pods``."""
        info = cls(node=node)
        for pod in pods:
            info = info.with_pod(pod)
        return info

    @property
    def name(self) -> str:
        """The node's name."""
        return self.node.metadata.name

    @property
    def allocatable(self) -> Resource:
        """The node's allocatable resources."""
        memo = self._allocatable_memo
        node = self.node
        if memo is not None and memo[0] is node:
            return memo[1]
        resource = Resource.from_list(node.status.allocatable)
        # A cache on an immutable value: equality and hashing ignore it.
        object.__setattr__(self, "_allocatable_memo", (node, resource))
        return resource

    def with_pod(self, pod: Pod) -> NodeInfo:
        """This node with ``pod`` added (the scheduler "assuming" it)."""
        affinity, anti = _affinity_kinds(pod)
        return replace(
            self,
            pods=(*self.pods, pod),
            requested=self.requested + pod_requests(pod),
            non_zero_requested=self.non_zero_requested + pod_requests(pod, non_zero=True),
            used_ports=(*self.used_ports, *host_ports(pod)),
            pods_with_affinity=(*self.pods_with_affinity, pod)
            if affinity
            else self.pods_with_affinity,
            pods_with_required_anti_affinity=(
                (*self.pods_with_required_anti_affinity, pod)
                if anti
                else self.pods_with_required_anti_affinity
            ),
        )

    def with_pod_replaced(self, old: Pod, new: Pod) -> NodeInfo:
        """This node with ``old`` (the object here) replaced by ``new``, a later version of
        the same pod.

        When ``new`` asks for the same resources, ports and affinity as ``old`` (the common
        case: a binding or status update of an assumed pod), only the pod objects change and
        the sums are kept; otherwise it is :meth:`without_pod` then :meth:`with_pod`.
        """
        if not _same_footprint(old, new):
            return self.without_pod(old).with_pod(new)
        i = next((j for j, p in enumerate(self.pods) if p is old), -1)
        if i < 0:
            return self.without_pod(old).with_pod(new)

        def moved(pods: tuple[Pod, ...]) -> tuple[Pod, ...]:
            # As removing then adding would: ``new`` goes last.
            if not any(p is old for p in pods):
                return pods
            return (*(p for p in pods if p is not old), new)

        return replace(
            self,
            pods=(*self.pods[:i], *self.pods[i + 1 :], new),
            pods_with_affinity=moved(self.pods_with_affinity),
            pods_with_required_anti_affinity=moved(self.pods_with_required_anti_affinity),
        )

    def without_pod(self, pod: Pod) -> NodeInfo:
        """This node with ``pod`` (matched by UID, else namespace/name) removed.

        Returns ``self`` unchanged when the pod is not here. The removed pod's own object is
        what is subtracted, so a changed copy of it is handled correctly.
        """
        key = _identity(pod)
        i = next((j for j, p in enumerate(self.pods) if _identity(p) == key), -1)
        if i < 0:
            return self
        here = self.pods[i]
        ports = list(self.used_ports)
        for port in host_ports(here):
            ports.remove(port)
        return replace(
            self,
            pods=self.pods[:i] + self.pods[i + 1 :],
            requested=self.requested - pod_requests(here),
            non_zero_requested=self.non_zero_requested - pod_requests(here, non_zero=True),
            used_ports=tuple(ports),
            pods_with_affinity=tuple(p for p in self.pods_with_affinity if p is not here),
            pods_with_required_anti_affinity=tuple(
                p for p in self.pods_with_required_anti_affinity if p is not here
            ),
        )


def _same_footprint(old: Pod, new: Pod) -> bool:
    """Whether ``new`` asks a node for exactly what ``old`` does (requests, ports, affinity
    kinds): the spec parts they are computed from are the same objects."""
    o, n = old.spec, new.spec
    return (
        o.containers is n.containers
        and o.init_containers is n.init_containers
        and o.overhead is n.overhead
        and o.resources is n.resources
        and o.affinity is n.affinity
    )


def _freeze_pvcs(m: Mapping[str, PersistentVolumeClaim]) -> Mapping[str, PersistentVolumeClaim]:
    return MappingProxyType(dict(m))


def _freeze_pvs(m: Mapping[str, PersistentVolume]) -> Mapping[str, PersistentVolume]:
    return MappingProxyType(dict(m))


@attrs.frozen
class Snapshot:
    """The cluster as one scheduling cycle sees it: node infos in list order.

    Besides the nodes it carries the persistent volume claims (by ``namespace/name``) and
    volumes (by name) that the volume plugins read.
    """

    nodes: tuple[NodeInfo, ...] = ()
    pvcs: Mapping[str, PersistentVolumeClaim] = attrs.field(
        default=MappingProxyType({}), converter=_freeze_pvcs
    )
    pvs: Mapping[str, PersistentVolume] = attrs.field(
        default=MappingProxyType({}), converter=_freeze_pvs
    )
    #: Precomputed :attr:`have_pods_with_affinity` (the scheduler cache keeps it up to date);
    #: ``None``: computed from ``nodes`` on first use.
    affinity_nodes: tuple[NodeInfo, ...] | None = attrs.field(default=None, eq=False, repr=False)
    #: Precomputed :attr:`have_pods_with_required_anti_affinity`, likewise.
    anti_affinity_nodes: tuple[NodeInfo, ...] | None = attrs.field(
        default=None, eq=False, repr=False
    )

    @classmethod
    def build(
        cls,
        nodes: Iterable[Node],
        pods: Iterable[Pod] = (),
        *,
        pvcs: Iterable[PersistentVolumeClaim] = (),
        pvs: Iterable[PersistentVolume] = (),
    ) -> Snapshot:
        """Node infos for ``nodes``, with each pod placed on its ``spec.nodeName`` node.

        Unassigned pods, pods on unknown nodes and finished (Succeeded / Failed) pods are
        ignored.
        """
        node_list = list(nodes)
        by_node: dict[str, list[Pod]] = {n.metadata.name: [] for n in node_list}
        for pod in pods:
            # Finished pods hold nothing (the scheduler's informer leaves them out, as upstream).
            if pod.status.phase in ("Succeeded", "Failed"):
                continue
            if pod.spec.node_name in by_node:
                by_node[pod.spec.node_name].append(pod)
        counts = image_counts(node_list)
        infos = []
        for node in node_list:
            info = NodeInfo.build(node, by_node[node.metadata.name])
            infos.append(attrs.evolve(info, image_states=image_states(node, counts)))
        return cls(
            tuple(infos),
            pvcs={f"{c.metadata.namespace}/{c.metadata.name}": c for c in pvcs},
            pvs={v.metadata.name: v for v in pvs},
        )

    @functools.cached_property
    def _index(self) -> dict[str, NodeInfo]:
        return {info.name: info for info in self.nodes}

    def get(self, name: str) -> NodeInfo | None:
        """The node info named ``name``, if any."""
        return self._index.get(name)

    @property
    def by_row(self) -> Sequence[NodeInfo]:
        """The node infos in :attr:`nodes` order, for indexing one by one (the scheduler
        cache's snapshot answers these from its own list without building :attr:`nodes`)."""
        return self.nodes

    @property
    def have_pods_with_affinity(self) -> tuple[NodeInfo, ...]:
        """Nodes holding a pod with pod (anti-)affinity terms (upstream's list of the same name)."""
        if self.affinity_nodes is not None:
            return self.affinity_nodes
        return self._affinity_lists[0]

    @property
    def have_pods_with_required_anti_affinity(self) -> tuple[NodeInfo, ...]:
        """Nodes holding a pod with required anti-affinity terms."""
        if self.anti_affinity_nodes is not None:
            return self.anti_affinity_nodes
        return self._affinity_lists[1]

    @functools.cached_property
    def _affinity_lists(self) -> tuple[tuple[NodeInfo, ...], tuple[NodeInfo, ...]]:
        return (
            tuple(info for info in self.nodes if info.pods_with_affinity),
            tuple(info for info in self.nodes if info.pods_with_required_anti_affinity),
        )

    def with_node(self, info: NodeInfo) -> Snapshot:
        """This snapshot with the node of the same name replaced by ``info`` (preemption's
        what-if: a node without its victims)."""
        nodes = tuple(info if n.name == info.name else n for n in self.nodes)
        return Snapshot(nodes, self.pvcs, self.pvs)

    def __len__(self) -> int:
        return len(self.nodes)


def image_counts(nodes: Iterable[Node]) -> dict[str, int]:
    """On how many of ``nodes`` each (normalized) image name is present."""
    counts: dict[str, int] = {}
    for node in nodes:
        for name in node_images(node):
            counts[name] = counts.get(name, 0) + 1
    return counts


def node_images(node: Node) -> dict[str, int]:
    """The node's images by normalized name, with their sizes."""
    here: dict[str, int] = {}
    for image in node.status.images:
        for image_name in image.names:
            here[normalized_image_name(image_name)] = image.size_bytes
    return here


def image_states(node: Node, counts: Mapping[str, int]) -> dict[str, ImageState]:
    """``node``'s images with their sizes and cluster-wide spread from ``counts``."""
    return {i: ImageState(size, counts.get(i, 1)) for i, size in node_images(node).items()}
