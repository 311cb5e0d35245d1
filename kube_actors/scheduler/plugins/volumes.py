"""The volume plugins: VolumeRestrictions, NodeVolumeLimits, VolumeBinding and VolumeZone.

Upstream v1.34 semantics, cut down to the storage objects this API has: pods reach storage
through ``persistentVolumeClaim`` volumes, and persistent volumes are ``hostPath``, ``nfs`` or
``local``. There are no StorageClass, CSINode, CSIDriver or VolumeAttachment objects, no CSI or
cloud-disk volume sources and no generic ephemeral volumes, so:

- VolumeRestrictions enforces the ReadWriteOncePod access mode only (upstream's GCE PD, AWS EBS,
  RBD and iSCSI disk conflicts need volume sources that do not exist here).
- NodeVolumeLimits counts a bound volume under its source's in-tree plugin name
  (:func:`pv_driver`) and an unbound claim under its storage class name, in place of a CSI
  driver; the limits come from the node's ``attachable-volumes-csi-<driver>`` allocatable.
- VolumeBinding treats every unbound claim as ``Immediate`` binding (which is what upstream does
  when a claim's StorageClass does not exist) and a claim with ``spec.volumeName`` as bound
  (no PV controller sets ``pv.kubernetes.io/bind-completed`` here).
- VolumeZone reads the zone and region labels of bound volumes, as upstream.

Every plugin looks claims up in the snapshot (``Snapshot.pvcs`` by ``namespace/name``,
``Snapshot.pvs`` by name) during PreFilter and leaves what Filter needs in the cycle state.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, MutableMapping

import attrs

from kube_actors.api import PersistentVolume, PersistentVolumeClaim, Pod
from kube_actors.scheduler.framework import CycleState, Status
from kube_actors.scheduler.nodeinfo import NodeInfo, Snapshot
from kube_actors.scheduler.plugins.basic import _Named, node_selector_term_matches

__all__ = [
    "BETA_STORAGE_CLASS_ANNOTATION",
    "CSI_ATTACH_LIMIT_PREFIX",
    "ERR_REASON_MAX_VOLUME_COUNT",
    "ERR_REASON_NODE_CONFLICT",
    "ERR_REASON_PV_NOT_EXIST",
    "ERR_REASON_READ_WRITE_ONCE_POD_CONFLICT",
    "ERR_REASON_UNBOUND_IMMEDIATE",
    "ERR_REASON_ZONE_CONFLICT",
    "READ_WRITE_ONCE_POD",
    "TOPOLOGY_LABELS",
    "NodeVolumeLimits",
    "VolumeBinding",
    "VolumeRestrictions",
    "VolumeZone",
    "claim_key",
    "claim_storage_class",
    "csi_attach_limit_key",
    "label_zones_to_set",
    "node_volume_limits",
    "pod_claim_names",
    "pv_driver",
]

READ_WRITE_ONCE_POD = "ReadWriteOncePod"
#: Read before ``spec.storageClassName``, as upstream ``GetPersistentVolumeClaimClass``.
BETA_STORAGE_CLASS_ANNOTATION = "volume.beta.kubernetes.io/storage-class"
CSI_ATTACH_LIMIT_PREFIX = "attachable-volumes-csi-"
#: Longer limit keys are shortened with a hash (a resource name has at most 63 characters).
_RESOURCE_NAME_LENGTH_LIMIT = 63

ERR_REASON_READ_WRITE_ONCE_POD_CONFLICT = (
    "node has pod using PersistentVolumeClaim with the same name and ReadWriteOncePod access mode"
)
ERR_REASON_MAX_VOLUME_COUNT = "node(s) exceed max volume count"
ERR_REASON_UNBOUND_IMMEDIATE = "pod has unbound immediate PersistentVolumeClaims"
ERR_REASON_NODE_CONFLICT = "node(s) had volume node affinity conflict"
ERR_REASON_PV_NOT_EXIST = (
    "node(s) unavailable due to one or more pvc(s) bound to non-existent pv(s)"
)
ERR_REASON_ZONE_CONFLICT = "node(s) had no available volume zone"

_LABEL_ZONE = "topology.kubernetes.io/zone"
_LABEL_REGION = "topology.kubernetes.io/region"
_LABEL_BETA_ZONE = "failure-domain.beta.kubernetes.io/zone"
_LABEL_BETA_REGION = "failure-domain.beta.kubernetes.io/region"
#: The volume topology labels VolumeZone honours, in upstream's order.
TOPOLOGY_LABELS: tuple[str, ...] = (
    _LABEL_BETA_ZONE,
    _LABEL_BETA_REGION,
    _LABEL_ZONE,
    _LABEL_REGION,
)
_GA_LABEL = {_LABEL_BETA_ZONE: _LABEL_ZONE, _LABEL_BETA_REGION: _LABEL_REGION}

_NODE_EVENTS = frozenset({"NodeAdd", "NodeUpdate"})
_PVC_EVENTS = frozenset({"PvcAdd", "PvcUpdate"})
_PV_EVENTS = frozenset({"PvAdd", "PvUpdate"})


def pod_claim_names(pod: Pod) -> tuple[str, ...]:
    """The claim names of ``pod``'s ``persistentVolumeClaim`` volumes, in volume order."""
    return tuple(
        v.persistent_volume_claim.claim_name
        for v in pod.spec.volumes
        if v.persistent_volume_claim is not None
    )


def claim_key(namespace: str, name: str) -> str:
    """The snapshot's key of a claim: ``namespace/name``.

    >>> claim_key("default", "data")
    'default/data'
    """
    return f"{namespace}/{name}"


def claim_storage_class(pvc: PersistentVolumeClaim) -> str:
    """The claim's storage class: the beta annotation first, then ``spec.storageClassName``."""
    beta = pvc.metadata.annotations.get(BETA_STORAGE_CLASS_ANNOTATION)
    if beta is not None:
        return beta
    return pvc.spec.storage_class_name or ""


def _claim_not_found(name: str) -> str:
    # The text of the API's NotFound error, which upstream passes on as the reason.
    return f'persistentvolumeclaim "{name}" not found'


def _pv_not_found(name: str) -> str:
    return f'persistentvolume "{name}" not found'


def _same_pod(a: Pod, b: Pod) -> bool:
    if a.metadata.uid and b.metadata.uid:
        return a.metadata.uid == b.metadata.uid
    return (a.metadata.namespace, a.metadata.name) == (b.metadata.namespace, b.metadata.name)


def _lookup(
    pvcs: Mapping[str, PersistentVolumeClaim], pod: Pod, name: str
) -> PersistentVolumeClaim | None:
    return pvcs.get(claim_key(pod.metadata.namespace, name))


# --- VolumeRestrictions -----------------------------------------------------------------------

_RESTRICTIONS_KEY = "PreFilterVolumeRestrictions"


@attrs.frozen
class _RestrictionsState:
    #: The pod's claims with the ReadWriteOncePod access mode.
    read_write_once_pod_claims: frozenset[str]
    #: How many of those claims another pod of the snapshot already uses.
    conflicts: int


def _claim_in_use(snapshot: Snapshot, pod: Pod, name: str) -> bool:
    """Whether a pod of the snapshot other than ``pod`` mounts claim ``name`` of its namespace."""
    namespace = pod.metadata.namespace
    return any(
        other.metadata.namespace == namespace
        and name in pod_claim_names(other)
        and not _same_pod(other, pod)
        for info in snapshot.nodes
        for other in info.pods
    )


class VolumeRestrictions(_Named):
    """PreFilter + Filter: a ReadWriteOncePod claim may be used by one pod in the cluster only.

    PreFilter looks up every claim the pod mounts (UnschedulableAndUnresolvable
    ``persistentvolumeclaim "<name>" not found`` when one is missing) and counts its
    ReadWriteOncePod claims that another pod of the snapshot already uses; it Skips when there
    are none. Filter then rejects every node as Unschedulable (not Unresolvable, as upstream:
    preempting the pod holding the claim may help; preemption re-runs PreFilter on a snapshot
    without the victims). Upstream's in-tree disk conflicts (GCE PD, AWS EBS, RBD, iSCSI,
    ``node(s) had no available disk``) are absent because those volume sources are.
    """

    NAME = "VolumeRestrictions"

    def pre_filter(self, state: CycleState, pod: Pod, snapshot: Snapshot) -> Status:
        """Find the pod's ReadWriteOncePod claims already in use; Skip when there are none."""
        rwop: set[str] = set()
        for name in pod_claim_names(pod):
            pvc = _lookup(snapshot.pvcs, pod, name)
            if pvc is None:
                return Status.unresolvable(_claim_not_found(name), plugin=self.NAME)
            if READ_WRITE_ONCE_POD in pvc.spec.access_modes:
                rwop.add(name)
        conflicts = sum(1 for name in rwop if _claim_in_use(snapshot, pod, name))
        if conflicts == 0:
            return Status.skip()
        state.write(_RESTRICTIONS_KEY, _RestrictionsState(frozenset(rwop), conflicts))
        return Status.success()

    def filter(self, state: CycleState, pod: Pod, node: NodeInfo) -> Status:
        """Unschedulable while one of the pod's ReadWriteOncePod claims is in use."""
        found = state.read(_RESTRICTIONS_KEY)
        if isinstance(found, _RestrictionsState) and found.conflicts > 0:
            return Status.unschedulable(ERR_REASON_READ_WRITE_ONCE_POD_CONFLICT, plugin=self.NAME)
        return Status.success()

    def events_to_register(self) -> frozenset[str]:
        """A pod using the claim going away, a new node, or the missing claim appearing."""
        return _NODE_EVENTS | {"AssignedPodDelete", "PvcAdd"}


# --- NodeVolumeLimits -------------------------------------------------------------------------

_LIMITS_KEY = "PreFilterNodeVolumeLimits"


def pv_driver(pv: PersistentVolume) -> str:
    """The driver a volume counts under: its source's in-tree plugin name ("" for no source).

    This API has no CSI volume source, so the in-tree plugin name takes the CSI driver's place.

    >>> from kube_actors.api import LocalVolumeSource, PersistentVolumeSpec
    >>> pv_driver(PersistentVolume(spec=PersistentVolumeSpec(local=LocalVolumeSource(path="/d"))))
    'kubernetes.io/local-volume'
    """
    spec = pv.spec
    if spec.local is not None:
        return "kubernetes.io/local-volume"
    if spec.host_path is not None:
        return "kubernetes.io/host-path"
    if spec.nfs is not None:
        return "kubernetes.io/nfs"
    return ""


def csi_attach_limit_key(driver: str) -> str:
    """The node allocatable resource that limits ``driver``'s volumes, as upstream.

    >>> csi_attach_limit_key("ebs.csi.aws.com")
    'attachable-volumes-csi-ebs.csi.aws.com'
    >>> len(csi_attach_limit_key("a-very-long-driver-name.storage.example.com"))
    62
    """
    if len(CSI_ATTACH_LIMIT_PREFIX) + len(driver) >= _RESOURCE_NAME_LENGTH_LIMIT:
        digest = hashlib.sha1(driver.encode(), usedforsecurity=False).hexdigest()
        return CSI_ATTACH_LIMIT_PREFIX + driver[:23] + digest[:16]
    return CSI_ATTACH_LIMIT_PREFIX + driver


def _volume_identity(
    pvc: PersistentVolumeClaim, pvs: Mapping[str, PersistentVolume]
) -> tuple[str, str] | None:
    """(driver, unique volume name) of a claim, or ``None`` when it is not counted."""
    pv = pvs.get(pvc.spec.volume_name) if pvc.spec.volume_name else None
    if pv is not None:
        driver = pv_driver(pv)
        return (driver, f"{driver}/{pv.metadata.name}") if driver else None
    # Unbound (or bound to a volume not in the snapshot): upstream counts the claim under its
    # StorageClass's provisioner; without StorageClass objects the class name stands in for it.
    # A claim without a class needs immediate binding, so it is not counted.
    storage_class = claim_storage_class(pvc)
    if not storage_class:
        return None
    meta = pvc.metadata
    return storage_class, f"{storage_class}/claim:{meta.namespace}/{meta.name}"


def _attachable_volumes(
    pod: Pod,
    pvcs: Mapping[str, PersistentVolumeClaim],
    pvs: Mapping[str, PersistentVolume],
    out: MutableMapping[str, str],
) -> str | None:
    """Add the pod's counted volumes to ``out`` (unique name -> limit key).

    Returns the name of the first claim missing from ``pvcs`` (the others are still added).
    """
    missing: str | None = None
    for name in pod_claim_names(pod):
        pvc = _lookup(pvcs, pod, name)
        if pvc is None:
            missing = missing if missing is not None else name
            continue
        identity = _volume_identity(pvc, pvs)
        if identity is not None:
            driver, unique = identity
            out[unique] = csi_attach_limit_key(driver)
    return missing


def node_volume_limits(node: NodeInfo) -> dict[str, int]:
    """The node's ``attachable-volumes-csi-*`` allocatable, by resource name."""
    return {
        name: value
        for name, value in node.allocatable.scalar.items()
        if name.startswith(CSI_ATTACH_LIMIT_PREFIX)
    }


@attrs.frozen
class _LimitsState:
    #: The pod's volumes: unique name -> limit key.
    new_volumes: Mapping[str, str]
    pvcs: Mapping[str, PersistentVolumeClaim]
    pvs: Mapping[str, PersistentVolume]
    #: A claim of the pod is missing: every node is rejected with this.
    error: Status | None = None


class NodeVolumeLimits(_Named):
    """PreFilter + Filter: the node's per-driver attachable volume limits.

    Counts unique volumes (a bound claim by its volume, an unbound one by the claim) per driver
    on the node, the pod's new ones included, against the node's allocatable
    ``attachable-volumes-csi-<driver>``; a driver the node has no such key for is unlimited.
    A volume already on the node is not counted twice. Over the limit: Unschedulable
    ``node(s) exceed max volume count``.
    """

    NAME = "NodeVolumeLimits"

    def pre_filter(self, state: CycleState, pod: Pod, snapshot: Snapshot) -> Status:
        """Skip pods without claims; otherwise resolve the pod's volumes for Filter."""
        if not pod_claim_names(pod):
            return Status.skip()
        new: dict[str, str] = {}
        missing = _attachable_volumes(pod, snapshot.pvcs, snapshot.pvs, new)
        error = None
        if missing is not None:
            # Upstream rejects from Filter, node by node, with the lookup error.
            key = claim_key(pod.metadata.namespace, missing)
            reason = f"looking up PVC {key}: {_claim_not_found(missing)}"
            error = Status.unresolvable(reason, plugin=self.NAME)
        state.write(_LIMITS_KEY, _LimitsState(new, snapshot.pvcs, snapshot.pvs, error))
        return Status.success()

    def filter(self, state: CycleState, pod: Pod, node: NodeInfo) -> Status:
        """Unschedulable when a driver's volumes on the node would exceed its limit."""
        found = state.read(_LIMITS_KEY)
        if not isinstance(found, _LimitsState):
            return Status.success()
        if found.error is not None:
            return found.error
        if not found.new_volumes:
            return Status.success()
        limits = node_volume_limits(node)
        if not limits:
            return Status.success()
        attached: dict[str, str] = {}
        for existing in node.pods:
            # Claims of running pods that vanished are not counted, as upstream.
            _attachable_volumes(existing, found.pvcs, found.pvs, attached)
        new = dict(found.new_volumes)
        attached_count: dict[str, int] = {}
        for unique, key in attached.items():
            new.pop(unique, None)  # shared with a pod already here: attached once
            attached_count[key] = attached_count.get(key, 0) + 1
        new_count: dict[str, int] = {}
        for key in new.values():
            new_count[key] = new_count.get(key, 0) + 1
        for key, count in new_count.items():
            limit = limits.get(key)
            if limit is not None and attached_count.get(key, 0) + count > limit:
                return Status.unschedulable(ERR_REASON_MAX_VOLUME_COUNT, plugin=self.NAME)
        return Status.success()

    def events_to_register(self) -> frozenset[str]:
        """A pod with volumes leaving, the missing claim appearing, node limits changing.

        Upstream watches CSINode for limits; here they live on the node, hence NodeUpdate.
        """
        return _NODE_EVENTS | {"AssignedPodDelete", "PvcAdd"}


# --- VolumeBinding ----------------------------------------------------------------------------

_BINDING_KEY = "PreFilterVolumeBinding"


@attrs.frozen
class _BindingState:
    #: The pod's bound claims as (volume name, the volume or ``None`` when it does not exist).
    bound: tuple[tuple[str, PersistentVolume | None], ...]


def _pv_fits_node(pv: PersistentVolume, node: NodeInfo) -> bool:
    """``spec.nodeAffinity.required``: terms ORed; no affinity (or no required part) fits all."""
    affinity = pv.spec.node_affinity
    if affinity is None or affinity.required is None:
        return True
    return any(node_selector_term_matches(t, node) for t in affinity.required.node_selector_terms)


class VolumeBinding(_Named):
    """PreFilter + Filter: the pod's claims exist and are bound to volumes the node can reach.

    PreFilter (UnschedulableAndUnresolvable): a missing claim
    (``persistentvolumeclaim "<name>" not found``), a Lost one (``persistentvolumeclaim
    "<name>" bound to non-existent persistentvolume "<pv>"``), one being deleted
    (``persistentvolumeclaim "<name>" is being deleted``), then any unbound claim (``pod has
    unbound immediate PersistentVolumeClaims``: with no StorageClass objects every class binds
    immediately, so the PV controller, not the scheduler, must bind it). Filter
    (UnschedulableAndUnresolvable): a bound claim's volume missing (``node(s) unavailable due to
    one or more pvc(s) bound to non-existent pv(s)``) or its ``nodeAffinity.required`` not
    matching the node (``node(s) had volume node affinity conflict``).
    """

    NAME = "VolumeBinding"

    def pre_filter(self, state: CycleState, pod: Pod, snapshot: Snapshot) -> Status:
        """Check the pod's claims; Skip pods without claims."""
        names = pod_claim_names(pod)
        if not names:
            return Status.skip()
        claims: list[PersistentVolumeClaim] = []
        for name in names:
            pvc = _lookup(snapshot.pvcs, pod, name)
            if pvc is None:
                return Status.unresolvable(_claim_not_found(name), plugin=self.NAME)
            if pvc.status.phase == "Lost":
                reason = (
                    f'persistentvolumeclaim "{name}" bound to non-existent persistentvolume '
                    f'"{pvc.spec.volume_name}"'
                )
                return Status.unresolvable(reason, plugin=self.NAME)
            if pvc.metadata.deletion_timestamp is not None:
                return Status.unresolvable(
                    f'persistentvolumeclaim "{name}" is being deleted', plugin=self.NAME
                )
            claims.append(pvc)
        if any(not pvc.spec.volume_name for pvc in claims):
            return Status.unresolvable(ERR_REASON_UNBOUND_IMMEDIATE, plugin=self.NAME)
        bound = tuple((c.spec.volume_name, snapshot.pvs.get(c.spec.volume_name)) for c in claims)
        state.write(_BINDING_KEY, _BindingState(bound))
        return Status.success()

    def filter(self, state: CycleState, pod: Pod, node: NodeInfo) -> Status:
        """Every bound volume exists and its node affinity matches ``node``."""
        found = state.read(_BINDING_KEY)
        if not isinstance(found, _BindingState):
            return Status.success()
        # Upstream stops at the first claim that fails, so one reason at most.
        for _, pv in found.bound:
            if pv is None:
                return Status.unresolvable(ERR_REASON_PV_NOT_EXIST, plugin=self.NAME)
            if not _pv_fits_node(pv, node):
                return Status.unresolvable(ERR_REASON_NODE_CONFLICT, plugin=self.NAME)
        return Status.success()

    def events_to_register(self) -> frozenset[str]:
        """Claims and volumes appearing or changing (binding), nodes appearing or relabelled."""
        return _NODE_EVENTS | _PVC_EVENTS | _PV_EVENTS


# --- VolumeZone -------------------------------------------------------------------------------

_ZONE_KEY = "PreFilterVolumeZone"


def label_zones_to_set(value: str) -> frozenset[str] | None:
    """A zone label value as a set: ``__``-separated, trimmed; ``None`` when a part is empty.

    >>> sorted(label_zones_to_set("us-east-1a__us-east-1b"))
    ['us-east-1a', 'us-east-1b']
    >>> label_zones_to_set("a____b") is None
    True
    """
    zones = [part.strip() for part in value.split("__")]
    if any(not zone for zone in zones):
        return None
    return frozenset(zones)


@attrs.frozen
class _Topology:
    pv: str
    key: str
    values: frozenset[str]


@attrs.frozen
class _ZoneState:
    topologies: tuple[_Topology, ...]


class VolumeZone(_Named):
    """PreFilter + Filter: a node must be in the zone/region its bound volumes are labelled with.

    For each bound volume's ``topology.kubernetes.io/zone``/``region`` label (or the deprecated
    ``failure-domain.beta.kubernetes.io/*`` one; values may list several zones separated by
    ``__``) the node's label (the GA one standing in for a beta key) must be one of the values,
    else UnschedulableAndUnresolvable ``node(s) had no available volume zone``. A node without
    any of these labels fits (a single-zone cluster). Skips when no volume has such labels.
    """

    NAME = "VolumeZone"

    def pre_filter(self, state: CycleState, pod: Pod, snapshot: Snapshot) -> Status:
        """Collect the topology labels of the pod's bound volumes; Skip when there are none."""
        topologies: list[_Topology] = []
        for name in pod_claim_names(pod):
            if not name:
                return Status.unresolvable("PersistentVolumeClaim had no name", plugin=self.NAME)
            pvc = _lookup(snapshot.pvcs, pod, name)
            if pvc is None:
                return Status.unresolvable(_claim_not_found(name), plugin=self.NAME)
            pv_name = pvc.spec.volume_name
            if not pv_name:
                if not claim_storage_class(pvc):
                    return Status.unresolvable(
                        "PersistentVolumeClaim had no pv name and storageClass name",
                        plugin=self.NAME,
                    )
                # Upstream skips only WaitForFirstConsumer classes; without StorageClass
                # objects every class binds immediately, so the claim should have a volume.
                return Status.unresolvable("PersistentVolume had no name", plugin=self.NAME)
            pv = snapshot.pvs.get(pv_name)
            if pv is None:
                return Status.unresolvable(_pv_not_found(pv_name), plugin=self.NAME)
            for key in TOPOLOGY_LABELS:
                value = pv.metadata.labels.get(key)
                if value is None:
                    continue
                zones = label_zones_to_set(value)
                if zones is not None:  # an unparsable label is ignored, as upstream
                    topologies.append(_Topology(pv_name, key, zones))
        if not topologies:
            return Status.skip()
        state.write(_ZONE_KEY, _ZoneState(tuple(topologies)))
        return Status.success()

    def filter(self, state: CycleState, pod: Pod, node: NodeInfo) -> Status:
        """UnschedulableAndUnresolvable when a volume's zone or region misses the node's."""
        found = state.read(_ZONE_KEY)
        if not isinstance(found, _ZoneState):
            return Status.success()
        labels = node.node.metadata.labels
        if not any(key in labels for key in TOPOLOGY_LABELS):
            return Status.success()
        for topology in found.topologies:
            value = labels.get(topology.key)
            if value is None:
                value = labels.get(_GA_LABEL.get(topology.key, topology.key))
            if value is None or value not in topology.values:
                return Status.unresolvable(ERR_REASON_ZONE_CONFLICT, plugin=self.NAME)
        return Status.success()

    def events_to_register(self) -> frozenset[str]:
        """Nodes appearing or relabelled, claims getting bound, volumes appearing or relabelled."""
        return _NODE_EVENTS | _PVC_EVENTS | _PV_EVENTS
