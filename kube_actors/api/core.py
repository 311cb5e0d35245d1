"""core/v1 kinds other than Pod: namespaces, nodes, services, endpoints, config, events, storage."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

import attrs

from kube_actors.api._fields import mapping, seq, time_field, wire
from kube_actors.api.intstr import IntOrString
from kube_actors.api.meta import Condition, LabelSelector, Resource
from kube_actors.api.pod import (
    HostPathVolumeSource,
    NFSVolumeSource,
    NodeSelector,
    PodTemplateSpec,
    ResourceList,
)
from kube_actors.api.registry import kind


def _redacted(value: Mapping[str, object]) -> str:
    """``repr`` of secret payloads: how many keys, never the values."""
    return f"<{len(value)} keys redacted>"


# --- references -------------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class ObjectReference:
    """A reference to any object (events, endpoints' targets, claim refs, CronJob ``active``)."""

    kind: str = ""
    namespace: str = ""
    name: str = ""
    uid: str = ""
    api_version: str = ""
    resource_version: str = ""
    field_path: str = ""


@attrs.frozen(kw_only=True)
class TypedLocalObjectReference:
    """An object in the same namespace, by API group, kind and name (PVC ``dataSource``)."""

    api_group: str | None = None
    kind: str
    name: str


@attrs.frozen(kw_only=True)
class TypedObjectReference:
    """An object by API group, kind, name and optional namespace (PVC ``dataSourceRef``)."""

    api_group: str | None = None
    kind: str
    name: str
    namespace: str | None = None


# --- Namespace --------------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class NamespaceSpec:
    """Finalizers that must be cleared before a terminating namespace is removed."""

    finalizers: tuple[str, ...] = seq()


@attrs.frozen(kw_only=True)
class NamespaceCondition:
    """A namespace condition, e.g. NamespaceDeletionContentFailure."""

    type: str
    status: str
    last_transition_time: datetime | None = time_field()
    reason: str = ""
    message: str = ""


@attrs.frozen(kw_only=True)
class NamespaceStatus:
    """Active or Terminating, with conditions explaining a stuck deletion."""

    phase: str = ""
    conditions: tuple[NamespaceCondition, ...] = seq()


@kind("", "v1", "namespaces", namespaced=False, short_names=("ns",))
@attrs.frozen(kw_only=True)
class Namespace(Resource):
    """core/v1 Namespace."""

    spec: NamespaceSpec = NamespaceSpec()
    status: NamespaceStatus = NamespaceStatus()


# --- Node -------------------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class Taint:
    """Repels pods that do not tolerate it: NoSchedule, PreferNoSchedule or NoExecute."""

    key: str
    value: str = ""
    effect: str
    time_added: datetime | None = time_field()


@attrs.frozen(kw_only=True)
class NodeSpec:
    """How a node is configured: pod CIDRs, provider ID, cordoning, taints."""

    pod_cidr: str = wire("podCIDR", "")
    pod_cidrs: tuple[str, ...] = seq(wire="podCIDRs")
    provider_id: str = wire("providerID", "")
    unschedulable: bool = False
    taints: tuple[Taint, ...] = seq()


@attrs.frozen(kw_only=True)
class NodeCondition:
    """Ready, MemoryPressure, DiskPressure, PIDPressure, NetworkUnavailable."""

    type: str
    status: str
    last_heartbeat_time: datetime | None = time_field()
    last_transition_time: datetime | None = time_field()
    reason: str = ""
    message: str = ""


@attrs.frozen(kw_only=True)
class NodeAddress:
    """One address of a node: Hostname, InternalIP, ExternalIP, InternalDNS or ExternalDNS."""

    type: str
    address: str


@attrs.frozen(kw_only=True)
class DaemonEndpoint:
    """A port a node daemon listens on (the wire name is capitalised ``Port`` upstream)."""

    port: int = wire("Port", 0)


@attrs.frozen(kw_only=True)
class NodeDaemonEndpoints:
    """Ports opened by daemons on the node."""

    kubelet_endpoint: DaemonEndpoint = DaemonEndpoint()


@attrs.frozen(kw_only=True)
class NodeSwapStatus:
    """Swap memory of a node."""

    capacity: int | None = None


@attrs.frozen(kw_only=True)
class NodeSystemInfo:
    """Identity and versions reported by the kubelet."""

    machine_id: str = wire("machineID", "")
    system_uuid: str = wire("systemUUID", "")
    boot_id: str = wire("bootID", "")
    kernel_version: str = ""
    os_image: str = ""
    container_runtime_version: str = ""
    kubelet_version: str = ""
    kube_proxy_version: str = ""
    operating_system: str = ""
    architecture: str = ""
    swap: NodeSwapStatus | None = None


@attrs.frozen(kw_only=True)
class ContainerImage:
    """An image present on the node."""

    names: tuple[str, ...] = seq()
    size_bytes: int = 0


@attrs.frozen(kw_only=True)
class AttachedVolume:
    """A volume attached to the node."""

    name: str
    device_path: str


@attrs.frozen(kw_only=True)
class NodeRuntimeHandlerFeatures:
    """Features a runtime handler supports."""

    recursive_read_only_mounts: bool | None = None
    user_namespaces: bool | None = None


@attrs.frozen(kw_only=True)
class NodeRuntimeHandler:
    """A runtime handler of the node's container runtime."""

    name: str = ""
    features: NodeRuntimeHandlerFeatures | None = None


@attrs.frozen(kw_only=True)
class NodeFeatures:
    """Node-level features the kubelet reports."""

    supplemental_groups_policy: bool | None = None


@attrs.frozen(kw_only=True)
class NodeStatus:
    """Observed state of a node, written by the kubelet and the node lifecycle controller."""

    capacity: ResourceList = mapping()
    allocatable: ResourceList = mapping()
    phase: str = ""
    conditions: tuple[NodeCondition, ...] = seq()
    addresses: tuple[NodeAddress, ...] = seq()
    daemon_endpoints: NodeDaemonEndpoints = NodeDaemonEndpoints()
    node_info: NodeSystemInfo = NodeSystemInfo()
    images: tuple[ContainerImage, ...] = seq()
    volumes_in_use: tuple[str, ...] = seq()
    volumes_attached: tuple[AttachedVolume, ...] = seq()
    runtime_handlers: tuple[NodeRuntimeHandler, ...] = seq()
    features: NodeFeatures | None = None


@kind("", "v1", "nodes", namespaced=False, short_names=("no",))
@attrs.frozen(kw_only=True)
class Node(Resource):
    """core/v1 Node."""

    spec: NodeSpec = NodeSpec()
    status: NodeStatus = NodeStatus()


# --- Service ----------------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class ServicePort:
    """A port a service exposes, and where it forwards to (``target_port``)."""

    name: str = ""
    protocol: str = ""
    app_protocol: str | None = None
    port: int
    target_port: IntOrString | None = None
    node_port: int = 0


@attrs.frozen(kw_only=True)
class ClientIPConfig:
    """Settings of ClientIP session affinity."""

    timeout_seconds: int | None = None


@attrs.frozen(kw_only=True)
class SessionAffinityConfig:
    """Session affinity settings."""

    client_ip: ClientIPConfig | None = wire("clientIP")


@attrs.frozen(kw_only=True)
class ServiceSpec:
    """How a service selects pods and exposes them."""

    ports: tuple[ServicePort, ...] = seq()
    selector: Mapping[str, str] = mapping()
    cluster_ip: str = wire("clusterIP", "")
    cluster_ips: tuple[str, ...] = seq(wire="clusterIPs")
    type: str = ""
    external_ips: tuple[str, ...] = seq(wire="externalIPs")
    session_affinity: str = ""
    load_balancer_ip: str = wire("loadBalancerIP", "")
    load_balancer_source_ranges: tuple[str, ...] = seq()
    external_name: str = ""
    external_traffic_policy: str = ""
    health_check_node_port: int = 0
    publish_not_ready_addresses: bool = False
    session_affinity_config: SessionAffinityConfig | None = None
    ip_families: tuple[str, ...] = seq(wire="ipFamilies")
    ip_family_policy: str | None = wire("ipFamilyPolicy")
    allocate_load_balancer_node_ports: bool | None = None
    load_balancer_class: str | None = None
    internal_traffic_policy: str | None = None
    traffic_distribution: str | None = None


@attrs.frozen(kw_only=True)
class PortStatus:
    """Status of one load balancer port."""

    port: int
    protocol: str
    error: str | None = None


@attrs.frozen(kw_only=True)
class LoadBalancerIngress:
    """An ingress point of a load balancer: an IP or a hostname."""

    ip: str = wire("ip", "")
    hostname: str = ""
    ip_mode: str | None = None
    ports: tuple[PortStatus, ...] = seq()


@attrs.frozen(kw_only=True)
class LoadBalancerStatus:
    """Ingress points of a load balancer."""

    ingress: tuple[LoadBalancerIngress, ...] = seq()


@attrs.frozen(kw_only=True)
class ServiceStatus:
    """Observed state of a service."""

    load_balancer: LoadBalancerStatus = LoadBalancerStatus()
    conditions: tuple[Condition, ...] = seq()


@kind("", "v1", "services", short_names=("svc",))
@attrs.frozen(kw_only=True)
class Service(Resource):
    """core/v1 Service."""

    spec: ServiceSpec = ServiceSpec()
    status: ServiceStatus = ServiceStatus()


# --- Endpoints --------------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class EndpointAddress:
    """One endpoint IP, with the pod it belongs to."""

    ip: str = wire("ip", "")
    hostname: str = ""
    node_name: str | None = None
    target_ref: ObjectReference | None = None


@attrs.frozen(kw_only=True)
class EndpointPort:
    """A port of an Endpoints subset."""

    name: str = ""
    port: int
    protocol: str = ""
    app_protocol: str | None = None


@attrs.frozen(kw_only=True)
class EndpointSubset:
    """Addresses that all share the same ports."""

    addresses: tuple[EndpointAddress, ...] = seq()
    not_ready_addresses: tuple[EndpointAddress, ...] = seq()
    ports: tuple[EndpointPort, ...] = seq()


@kind("", "v1", "endpoints", short_names=("ep",))
@attrs.frozen(kw_only=True)
class Endpoints(Resource):
    """core/v1 Endpoints."""

    subsets: tuple[EndpointSubset, ...] = seq()


# --- ConfigMap and Secret ---------------------------------------------------------------------


@kind("", "v1", "configmaps", short_names=("cm",))
@attrs.frozen(kw_only=True)
class ConfigMap(Resource):
    """core/v1 ConfigMap."""

    immutable: bool | None = None
    data: Mapping[str, str] = mapping()
    binary_data: Mapping[str, bytes] = mapping()


@kind("", "v1", "secrets")
@attrs.frozen(kw_only=True)
class Secret(Resource):
    """core/v1 Secret (values never appear in ``repr``)."""

    immutable: bool | None = None
    data: Mapping[str, bytes] = mapping(repr=_redacted)
    string_data: Mapping[str, str] = mapping(repr=_redacted)
    type: str = ""


# --- Event ------------------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class EventSource:
    """The component (and host) that reported an event."""

    component: str = ""
    host: str = ""


@attrs.frozen(kw_only=True)
class EventSeries:
    """A series of repeated events."""

    count: int = 0
    last_observed_time: datetime | None = time_field()


@kind("", "v1", "events", short_names=("ev",))
@attrs.frozen(kw_only=True)
class Event(Resource):
    """core/v1 Event."""

    involved_object: ObjectReference
    reason: str = ""
    message: str = ""
    source: EventSource = EventSource()
    first_timestamp: datetime | None = time_field()
    last_timestamp: datetime | None = time_field()
    count: int = 0
    type: str = ""
    event_time: datetime | None = time_field()  # MicroTime
    series: EventSeries | None = None
    action: str = ""
    related: ObjectReference | None = None
    reporting_component: str = wire("reportingComponent", "")
    reporting_instance: str = ""


# --- ReplicationController --------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class ReplicationControllerSpec:
    """Desired replicas of pods matching an equality-only selector."""

    replicas: int | None = None
    min_ready_seconds: int = 0
    selector: Mapping[str, str] = mapping()
    template: PodTemplateSpec | None = None


@attrs.frozen(kw_only=True)
class ReplicationControllerCondition:
    """A replication controller condition, e.g. ReplicaFailure."""

    type: str
    status: str
    last_transition_time: datetime | None = time_field()
    reason: str = ""
    message: str = ""


@attrs.frozen(kw_only=True)
class ReplicationControllerStatus:
    """Observed replica counts of a replication controller."""

    replicas: int = 0
    fully_labeled_replicas: int = 0
    ready_replicas: int = 0
    available_replicas: int = 0
    observed_generation: int = 0
    conditions: tuple[ReplicationControllerCondition, ...] = seq()


@kind("", "v1", "replicationcontrollers", short_names=("rc",))
@attrs.frozen(kw_only=True)
class ReplicationController(Resource):
    """core/v1 ReplicationController."""

    spec: ReplicationControllerSpec = ReplicationControllerSpec()
    status: ReplicationControllerStatus = ReplicationControllerStatus()


# --- PersistentVolume -------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class LocalVolumeSource:
    """A local disk or directory on one node (needs ``node_affinity``)."""

    path: str
    fs_type: str | None = None


@attrs.frozen(kw_only=True)
class VolumeNodeAffinity:
    """The nodes a persistent volume can be reached from."""

    required: NodeSelector | None = None


@attrs.frozen(kw_only=True)
class PersistentVolumeSpec:
    """A piece of storage: capacity, source, access modes and its claim."""

    capacity: ResourceList = mapping()
    host_path: HostPathVolumeSource | None = None
    nfs: NFSVolumeSource | None = None
    local: LocalVolumeSource | None = None
    access_modes: tuple[str, ...] = seq()
    claim_ref: ObjectReference | None = None
    persistent_volume_reclaim_policy: str = ""
    storage_class_name: str = ""
    mount_options: tuple[str, ...] = seq()
    volume_mode: str | None = None
    node_affinity: VolumeNodeAffinity | None = None
    volume_attributes_class_name: str | None = None


@attrs.frozen(kw_only=True)
class PersistentVolumeStatus:
    """Available, Bound, Released or Failed."""

    phase: str = ""
    message: str = ""
    reason: str = ""
    last_phase_transition_time: datetime | None = time_field()


@kind("", "v1", "persistentvolumes", namespaced=False, short_names=("pv",))
@attrs.frozen(kw_only=True)
class PersistentVolume(Resource):
    """core/v1 PersistentVolume."""

    spec: PersistentVolumeSpec = PersistentVolumeSpec()
    status: PersistentVolumeStatus = PersistentVolumeStatus()


# --- PersistentVolumeClaim --------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class VolumeResourceRequirements:
    """Storage a claim requests (and at most may use)."""

    limits: ResourceList = mapping()
    requests: ResourceList = mapping()


@attrs.frozen(kw_only=True)
class PersistentVolumeClaimSpec:
    """What storage a claim wants: access modes, size, class, or a specific volume."""

    access_modes: tuple[str, ...] = seq()
    selector: LabelSelector | None = None
    resources: VolumeResourceRequirements = VolumeResourceRequirements()
    volume_name: str = ""
    storage_class_name: str | None = None
    volume_mode: str | None = None
    data_source: TypedLocalObjectReference | None = None
    data_source_ref: TypedObjectReference | None = None
    volume_attributes_class_name: str | None = None


@attrs.frozen(kw_only=True)
class PersistentVolumeClaimCondition:
    """A claim condition, e.g. Resizing or FileSystemResizePending."""

    type: str
    status: str
    last_probe_time: datetime | None = time_field()
    last_transition_time: datetime | None = time_field()
    reason: str = ""
    message: str = ""


@attrs.frozen(kw_only=True)
class ModifyVolumeStatus:
    """Progress of a change of a claim's volume attributes class."""

    target_volume_attributes_class_name: str = ""
    status: str


@attrs.frozen(kw_only=True)
class PersistentVolumeClaimStatus:
    """Pending, Bound or Lost, with the capacity actually provided."""

    phase: str = ""
    access_modes: tuple[str, ...] = seq()
    capacity: ResourceList = mapping()
    conditions: tuple[PersistentVolumeClaimCondition, ...] = seq()
    allocated_resources: ResourceList = mapping()
    allocated_resource_statuses: Mapping[str, str] = mapping()
    current_volume_attributes_class_name: str | None = None
    modify_volume_status: ModifyVolumeStatus | None = None


@kind("", "v1", "persistentvolumeclaims", short_names=("pvc",))
@attrs.frozen(kw_only=True)
class PersistentVolumeClaim(Resource):
    """core/v1 PersistentVolumeClaim."""

    spec: PersistentVolumeClaimSpec = PersistentVolumeClaimSpec()
    status: PersistentVolumeClaimStatus = PersistentVolumeClaimStatus()
