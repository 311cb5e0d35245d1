"""core/v1 Pod and everything a pod spec holds: containers, probes, volumes, scheduling fields."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TypeAlias

import attrs

from kube_actors.api._fields import mapping, seq, time_field, wire
from kube_actors.api.intstr import IntOrString
from kube_actors.api.meta import LabelSelector, ObjectMeta, Resource
from kube_actors.api.quantity import Quantity
from kube_actors.api.registry import kind

#: Resource name -> quantity (``requests``, ``limits``, ``capacity``, ``allocatable``, ...).
ResourceList: TypeAlias = Mapping[str, Quantity]


# --- containers -------------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class ContainerPort:
    """A port a container exposes; ``host_port`` reserves it on the node (scheduler NodePorts)."""

    container_port: int
    name: str = ""
    host_port: int = wire("hostPort", 0)
    protocol: str = ""
    host_ip: str = wire("hostIP", "")


@attrs.frozen(kw_only=True)
class ObjectFieldSelector:
    """Selects a field of the pod (downward API), e.g. ``metadata.name`` or ``status.podIP``."""

    field_path: str
    api_version: str = ""


@attrs.frozen(kw_only=True)
class ResourceFieldSelector:
    """Selects a container resource (``limits.cpu``) for env vars and downward API files."""

    resource: str
    container_name: str = ""
    divisor: Quantity | None = None


@attrs.frozen(kw_only=True)
class ConfigMapKeySelector:
    """One key of a ConfigMap."""

    key: str
    name: str = ""
    optional: bool | None = None


@attrs.frozen(kw_only=True)
class SecretKeySelector:
    """One key of a Secret."""

    key: str
    name: str = ""
    optional: bool | None = None


@attrs.frozen(kw_only=True)
class EnvVarSource:
    """Where an env var's value comes from when it has no literal ``value``."""

    field_ref: ObjectFieldSelector | None = None
    resource_field_ref: ResourceFieldSelector | None = None
    config_map_key_ref: ConfigMapKeySelector | None = None
    secret_key_ref: SecretKeySelector | None = None


@attrs.frozen(kw_only=True)
class EnvVar:
    """An environment variable of a container."""

    name: str
    value: str = ""
    value_from: EnvVarSource | None = None


@attrs.frozen(kw_only=True)
class ConfigMapEnvSource:
    """All keys of a ConfigMap as env vars."""

    name: str = ""
    optional: bool | None = None


@attrs.frozen(kw_only=True)
class SecretEnvSource:
    """All keys of a Secret as env vars."""

    name: str = ""
    optional: bool | None = None


@attrs.frozen(kw_only=True)
class EnvFromSource:
    """``envFrom`` entry: a ConfigMap or Secret, with an optional prefix."""

    prefix: str = ""
    config_map_ref: ConfigMapEnvSource | None = None
    secret_ref: SecretEnvSource | None = None


@attrs.frozen(kw_only=True)
class ResourceClaim:
    """A dynamic resource claim used by a container."""

    name: str
    request: str = ""


@attrs.frozen(kw_only=True)
class ResourceRequirements:
    """Compute resources: ``requests`` drive scheduling, ``limits`` cap usage."""

    limits: ResourceList = mapping()
    requests: ResourceList = mapping()
    claims: tuple[ResourceClaim, ...] = seq()


@attrs.frozen(kw_only=True)
class VolumeMount:
    """Mounts a pod volume into a container."""

    name: str
    mount_path: str
    read_only: bool = False
    sub_path: str = ""
    mount_propagation: str | None = None


@attrs.frozen(kw_only=True)
class ExecAction:
    """Run a command in the container."""

    command: tuple[str, ...] = seq()


@attrs.frozen(kw_only=True)
class HTTPHeader:
    """A header sent by an HTTP probe."""

    name: str
    value: str


@attrs.frozen(kw_only=True)
class HTTPGetAction:
    """An HTTP GET against the container (probes, lifecycle hooks)."""

    port: IntOrString
    path: str = ""
    host: str = ""
    scheme: str = ""
    http_headers: tuple[HTTPHeader, ...] = seq()


@attrs.frozen(kw_only=True)
class TCPSocketAction:
    """Open a TCP connection to the container."""

    port: IntOrString
    host: str = ""


@attrs.frozen(kw_only=True)
class GRPCAction:
    """A gRPC health check."""

    port: int
    service: str | None = None


@attrs.frozen(kw_only=True)
class Probe:
    """Liveness, readiness or startup probe (defaults 0 s / 10 s / 1 s / 1 / 3, see defaults)."""

    exec: ExecAction | None = None
    http_get: HTTPGetAction | None = None
    tcp_socket: TCPSocketAction | None = None
    grpc: GRPCAction | None = None
    initial_delay_seconds: int = 0
    timeout_seconds: int = 0
    period_seconds: int = 0
    success_threshold: int = 0
    failure_threshold: int = 0
    termination_grace_period_seconds: int | None = None


@attrs.frozen(kw_only=True)
class SleepAction:
    """Sleep before the container stops (preStop)."""

    seconds: int


@attrs.frozen(kw_only=True)
class LifecycleHandler:
    """A postStart or preStop hook."""

    exec: ExecAction | None = None
    http_get: HTTPGetAction | None = None
    tcp_socket: TCPSocketAction | None = None
    sleep: SleepAction | None = None


@attrs.frozen(kw_only=True)
class Lifecycle:
    """Container lifecycle hooks."""

    post_start: LifecycleHandler | None = None
    pre_stop: LifecycleHandler | None = None
    stop_signal: str | None = None


@attrs.frozen(kw_only=True)
class Capabilities:
    """Linux capabilities to add or drop."""

    add: tuple[str, ...] = seq()
    drop: tuple[str, ...] = seq()


@attrs.frozen(kw_only=True)
class SecurityContext:
    """Container security settings (recorded; the simulated kubelet does not enforce them)."""

    capabilities: Capabilities | None = None
    privileged: bool | None = None
    run_as_user: int | None = None
    run_as_group: int | None = None
    run_as_non_root: bool | None = None
    read_only_root_filesystem: bool | None = None
    allow_privilege_escalation: bool | None = None


@attrs.frozen(kw_only=True)
class Container:
    """A container of a pod (also used for init containers)."""

    name: str
    image: str = ""
    command: tuple[str, ...] = seq()
    args: tuple[str, ...] = seq()
    working_dir: str = ""
    ports: tuple[ContainerPort, ...] = seq()
    env_from: tuple[EnvFromSource, ...] = seq()
    env: tuple[EnvVar, ...] = seq()
    resources: ResourceRequirements = ResourceRequirements()
    restart_policy: str | None = None
    volume_mounts: tuple[VolumeMount, ...] = seq()
    liveness_probe: Probe | None = None
    readiness_probe: Probe | None = None
    startup_probe: Probe | None = None
    lifecycle: Lifecycle | None = None
    termination_message_path: str = ""
    termination_message_policy: str = ""
    image_pull_policy: str = ""
    security_context: SecurityContext | None = None
    stdin: bool = False
    tty: bool = False


# --- volumes ----------------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class KeyToPath:
    """Projects one key of a ConfigMap or Secret to a file path."""

    key: str
    path: str
    mode: int | None = None


@attrs.frozen(kw_only=True)
class EmptyDirVolumeSource:
    """A scratch directory that lives as long as the pod."""

    medium: str = ""
    size_limit: Quantity | None = None


@attrs.frozen(kw_only=True)
class HostPathVolumeSource:
    """A path on the node."""

    path: str
    type: str | None = None


@attrs.frozen(kw_only=True)
class ConfigMapVolumeSource:
    """A ConfigMap's keys as files."""

    name: str = ""
    items: tuple[KeyToPath, ...] = seq()
    default_mode: int | None = None
    optional: bool | None = None


@attrs.frozen(kw_only=True)
class SecretVolumeSource:
    """A Secret's keys as files."""

    secret_name: str = ""
    items: tuple[KeyToPath, ...] = seq()
    default_mode: int | None = None
    optional: bool | None = None


@attrs.frozen(kw_only=True)
class PersistentVolumeClaimVolumeSource:
    """Mounts the volume bound to a PersistentVolumeClaim."""

    claim_name: str
    read_only: bool = False


@attrs.frozen(kw_only=True)
class DownwardAPIVolumeFile:
    """One file of a downward API volume."""

    path: str
    field_ref: ObjectFieldSelector | None = None
    resource_field_ref: ResourceFieldSelector | None = None
    mode: int | None = None


@attrs.frozen(kw_only=True)
class DownwardAPIVolumeSource:
    """Pod fields as files."""

    items: tuple[DownwardAPIVolumeFile, ...] = seq()
    default_mode: int | None = None


@attrs.frozen(kw_only=True)
class NFSVolumeSource:
    """An NFS export."""

    server: str
    path: str
    read_only: bool = False


@attrs.frozen(kw_only=True)
class Volume:
    """A named volume of a pod; exactly one source is set."""

    name: str
    empty_dir: EmptyDirVolumeSource | None = None
    host_path: HostPathVolumeSource | None = None
    config_map: ConfigMapVolumeSource | None = None
    secret: SecretVolumeSource | None = None
    persistent_volume_claim: PersistentVolumeClaimVolumeSource | None = None
    downward_api: DownwardAPIVolumeSource | None = wire("downwardAPI")
    nfs: NFSVolumeSource | None = None


# --- scheduling -------------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class NodeSelectorRequirement:
    """A node label (or field) requirement: In, NotIn, Exists, DoesNotExist, Gt, Lt."""

    key: str
    operator: str
    values: tuple[str, ...] = seq()


@attrs.frozen(kw_only=True)
class NodeSelectorTerm:
    """Requirements ANDed together; terms of a NodeSelector are ORed."""

    match_expressions: tuple[NodeSelectorRequirement, ...] = seq()
    match_fields: tuple[NodeSelectorRequirement, ...] = seq()


@attrs.frozen(kw_only=True)
class NodeSelector:
    """Required node affinity: a node must match at least one term."""

    node_selector_terms: tuple[NodeSelectorTerm, ...] = seq()


@attrs.frozen(kw_only=True)
class PreferredSchedulingTerm:
    """A weighted preferred node affinity term (weight 1..100)."""

    weight: int
    preference: NodeSelectorTerm


@attrs.frozen(kw_only=True)
class NodeAffinity:
    """Node affinity of a pod."""

    required_during_scheduling_ignored_during_execution: NodeSelector | None = None
    preferred_during_scheduling_ignored_during_execution: tuple[PreferredSchedulingTerm, ...] = (
        seq()
    )


@attrs.frozen(kw_only=True)
class PodAffinityTerm:
    """Pods matching ``label_selector`` in ``namespaces``, counted per ``topology_key`` domain."""

    topology_key: str
    label_selector: LabelSelector | None = None
    namespaces: tuple[str, ...] = seq()
    namespace_selector: LabelSelector | None = None
    match_label_keys: tuple[str, ...] = seq()
    mismatch_label_keys: tuple[str, ...] = seq()


@attrs.frozen(kw_only=True)
class WeightedPodAffinityTerm:
    """A weighted preferred pod (anti-)affinity term (weight 1..100)."""

    weight: int
    pod_affinity_term: PodAffinityTerm


@attrs.frozen(kw_only=True)
class PodAffinity:
    """Inter-pod affinity (or, as ``pod_anti_affinity``, anti-affinity)."""

    required_during_scheduling_ignored_during_execution: tuple[PodAffinityTerm, ...] = seq()
    preferred_during_scheduling_ignored_during_execution: tuple[WeightedPodAffinityTerm, ...] = (
        seq()
    )


@attrs.frozen(kw_only=True)
class Affinity:
    """Node affinity, pod affinity and pod anti-affinity."""

    node_affinity: NodeAffinity | None = None
    pod_affinity: PodAffinity | None = None
    pod_anti_affinity: PodAffinity | None = None


@attrs.frozen(kw_only=True)
class Toleration:
    """Lets a pod schedule onto (or stay on) nodes with a matching taint."""

    key: str = ""
    operator: str = ""
    value: str = ""
    effect: str = ""
    toleration_seconds: int | None = None


@attrs.frozen(kw_only=True)
class TopologySpreadConstraint:
    """Spread matching pods evenly across the domains of ``topology_key``."""

    max_skew: int
    topology_key: str
    when_unsatisfiable: str
    label_selector: LabelSelector | None = None
    min_domains: int | None = None
    node_affinity_policy: str | None = None
    node_taints_policy: str | None = None
    match_label_keys: tuple[str, ...] = seq()


@attrs.frozen(kw_only=True)
class PodSchedulingGate:
    """While a pod has scheduling gates, the scheduler leaves it alone."""

    name: str


# --- pod-level settings -----------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class LocalObjectReference:
    """A reference to an object in the same namespace, by name."""

    name: str = ""


@attrs.frozen(kw_only=True)
class HostAlias:
    """An /etc/hosts entry."""

    ip: str = wire("ip", "")
    hostnames: tuple[str, ...] = seq()


@attrs.frozen(kw_only=True)
class PodDNSConfigOption:
    """A resolver option."""

    name: str = ""
    value: str | None = None


@attrs.frozen(kw_only=True)
class PodDNSConfig:
    """Extra DNS settings of a pod."""

    nameservers: tuple[str, ...] = seq()
    searches: tuple[str, ...] = seq()
    options: tuple[PodDNSConfigOption, ...] = seq()


@attrs.frozen(kw_only=True)
class PodReadinessGate:
    """An extra condition that must be True for the pod to be Ready."""

    condition_type: str


@attrs.frozen(kw_only=True)
class Sysctl:
    """A namespaced kernel parameter."""

    name: str
    value: str


@attrs.frozen(kw_only=True)
class PodSecurityContext:
    """Pod-wide security settings (recorded, not enforced)."""

    run_as_user: int | None = None
    run_as_group: int | None = None
    run_as_non_root: bool | None = None
    fs_group: int | None = None
    supplemental_groups: tuple[int, ...] = seq()
    sysctls: tuple[Sysctl, ...] = seq()


@attrs.frozen(kw_only=True)
class PodSpec:
    """What a pod runs and where it may run."""

    volumes: tuple[Volume, ...] = seq()
    init_containers: tuple[Container, ...] = seq()
    containers: tuple[Container, ...] = seq()
    restart_policy: str = ""
    termination_grace_period_seconds: int | None = None
    active_deadline_seconds: int | None = None
    dns_policy: str = ""
    node_selector: Mapping[str, str] = mapping()
    service_account_name: str = ""
    automount_service_account_token: bool | None = None
    node_name: str = ""
    host_network: bool = False
    host_pid: bool = wire("hostPID", False)
    host_ipc: bool = wire("hostIPC", False)
    share_process_namespace: bool | None = None
    security_context: PodSecurityContext | None = None
    image_pull_secrets: tuple[LocalObjectReference, ...] = seq()
    hostname: str = ""
    subdomain: str = ""
    affinity: Affinity | None = None
    scheduler_name: str = ""
    tolerations: tuple[Toleration, ...] = seq()
    host_aliases: tuple[HostAlias, ...] = seq()
    priority_class_name: str = ""
    priority: int | None = None
    dns_config: PodDNSConfig | None = None
    readiness_gates: tuple[PodReadinessGate, ...] = seq()
    runtime_class_name: str | None = None
    enable_service_links: bool | None = None
    preemption_policy: str | None = None
    overhead: ResourceList = mapping()
    topology_spread_constraints: tuple[TopologySpreadConstraint, ...] = seq()
    scheduling_gates: tuple[PodSchedulingGate, ...] = seq()
    resources: ResourceRequirements | None = None


# --- status -----------------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class PodCondition:
    """PodScheduled, Initialized, ContainersReady, Ready (and readiness gates)."""

    type: str
    status: str
    observed_generation: int = 0
    last_probe_time: datetime | None = time_field()
    last_transition_time: datetime | None = time_field()
    reason: str = ""
    message: str = ""


@attrs.frozen(kw_only=True)
class ContainerStateWaiting:
    """Not yet running: ContainerCreating, CrashLoopBackOff, CreateContainerConfigError, ..."""

    reason: str = ""
    message: str = ""


@attrs.frozen(kw_only=True)
class ContainerStateRunning:
    """Running since ``started_at``."""

    started_at: datetime | None = time_field()


@attrs.frozen(kw_only=True)
class ContainerStateTerminated:
    """Exited with ``exit_code`` (reason Completed or Error)."""

    exit_code: int
    signal: int = 0
    reason: str = ""
    message: str = ""
    started_at: datetime | None = time_field()
    finished_at: datetime | None = time_field()
    container_id: str = wire("containerID", "")


@attrs.frozen(kw_only=True)
class ContainerState:
    """Exactly one of waiting, running, terminated."""

    waiting: ContainerStateWaiting | None = None
    running: ContainerStateRunning | None = None
    terminated: ContainerStateTerminated | None = None


@attrs.frozen(kw_only=True)
class ContainerStatus:
    """The kubelet's view of one container."""

    name: str
    ready: bool = False
    restart_count: int = 0
    image: str = ""
    image_id: str = wire("imageID", "")
    container_id: str = wire("containerID", "")
    started: bool | None = None
    state: ContainerState | None = None
    last_state: ContainerState | None = None


@attrs.frozen(kw_only=True)
class PodIP:
    """One IP of a pod."""

    ip: str = wire("ip", "")


@attrs.frozen(kw_only=True)
class HostIP:
    """One IP of the pod's node."""

    ip: str = wire("ip", "")


@attrs.frozen(kw_only=True)
class PodStatus:
    """Observed state of a pod, written by the scheduler and the kubelet."""

    phase: str = ""
    conditions: tuple[PodCondition, ...] = seq()
    message: str = ""
    reason: str = ""
    nominated_node_name: str = ""
    host_ip: str = wire("hostIP", "")
    host_ips: tuple[HostIP, ...] = seq(wire="hostIPs")
    pod_ip: str = wire("podIP", "")
    pod_ips: tuple[PodIP, ...] = seq(wire="podIPs")
    start_time: datetime | None = time_field()
    init_container_statuses: tuple[ContainerStatus, ...] = seq()
    container_statuses: tuple[ContainerStatus, ...] = seq()
    qos_class: str = wire("qosClass", "")
    observed_generation: int = 0


@attrs.frozen(kw_only=True)
class PodTemplateSpec:
    """The pod a workload controller stamps out (``spec.template``)."""

    metadata: ObjectMeta = ObjectMeta()
    spec: PodSpec = PodSpec()


@kind("", "v1", "pods", short_names=("po",))
@attrs.frozen(kw_only=True)
class Pod(Resource):
    """core/v1 Pod."""

    spec: PodSpec = PodSpec()
    status: PodStatus = PodStatus()
