"""Validation of Namespace, Node, Service, Endpoints, ConfigMap, Secret, Event, storage, HPA,
EndpointSlice and Lease: exact paths and error types, upstream wording for key messages."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import kube_actors.api._default_core
import kube_actors.api._validate_core  # noqa: F401  (registers the validators of these kinds)
from kube_actors.api import default_object, load_manifests, validate_object
from kube_actors.api.autoscaling import (
    ContainerResourceMetricSource,
    CrossVersionObjectReference,
    ExternalMetricSource,
    HorizontalPodAutoscaler,
    HorizontalPodAutoscalerBehavior,
    HorizontalPodAutoscalerSpec,
    HPAScalingPolicy,
    HPAScalingRules,
    MetricIdentifier,
    MetricSpec,
    MetricTarget,
    ObjectMetricSource,
    PodsMetricSource,
    ResourceMetricSource,
)
from kube_actors.api.coordination import Lease, LeaseSpec
from kube_actors.api.core import (
    ClientIPConfig,
    ConfigMap,
    EndpointAddress,
    EndpointPort,
    Endpoints,
    EndpointSubset,
    Event,
    LocalVolumeSource,
    Namespace,
    NamespaceSpec,
    Node,
    NodeSpec,
    NodeStatus,
    ObjectReference,
    PersistentVolume,
    PersistentVolumeClaim,
    PersistentVolumeClaimSpec,
    PersistentVolumeSpec,
    Secret,
    Service,
    ServicePort,
    ServiceSpec,
    SessionAffinityConfig,
    Taint,
    TypedLocalObjectReference,
    VolumeNodeAffinity,
    VolumeResourceRequirements,
)
from kube_actors.api.discovery import Endpoint, EndpointSlice, EndpointSlicePort
from kube_actors.api.meta import ObjectMeta
from kube_actors.api.pod import (
    HostPathVolumeSource,
    NFSVolumeSource,
    NodeSelector,
    NodeSelectorRequirement,
    NodeSelectorTerm,
)
from kube_actors.api.quantity import parse_quantity
from kube_actors.api.validation import ErrorType
from kube_actors.testing.strategies import objects

MANIFESTS = Path(__file__).parents[2].parent / "shared" / "manifests"

KINDS = (
    Namespace,
    Node,
    Service,
    Endpoints,
    ConfigMap,
    Secret,
    Event,
    PersistentVolume,
    PersistentVolumeClaim,
    HorizontalPodAutoscaler,
    EndpointSlice,
    Lease,
)

REQ = ErrorType.REQUIRED
INV = ErrorType.INVALID
NSUP = ErrorType.NOT_SUPPORTED
DUP = ErrorType.DUPLICATE
FORB = ErrorType.FORBIDDEN
LONG = ErrorType.TOO_LONG
MANY = ErrorType.TOO_MANY

META = ObjectMeta(name="web", namespace="default")
CLUSTER_META = ObjectMeta(name="node-a")
Q = parse_quantity


def errors_of(obj: Any) -> list[tuple[str, ErrorType]]:
    """(path, type) of every error of the defaulted object, in a stable order."""
    return sorted((e.path, e.type) for e in validate_object(default_object(obj)))


# --- builders: a valid object of each kind, with one part changed per case --------------------


def svc(name: str = "web", **spec: Any) -> Service:
    fields: dict[str, Any] = {"ports": [ServicePort(port=80)], "selector": {"app": "web"}}
    return Service(
        metadata=ObjectMeta(name=name, namespace="default"), spec=ServiceSpec(**{**fields, **spec})
    )


def ports(*specs: dict[str, Any]) -> list[ServicePort]:
    return [ServicePort(**s) for s in specs]


def node(*, taints: Sequence[Taint] = (), **status: Any) -> Node:
    return Node(metadata=CLUSTER_META, spec=NodeSpec(taints=taints), status=NodeStatus(**status))


def endpoints(*subsets: EndpointSubset) -> Endpoints:
    return Endpoints(metadata=META, subsets=subsets)


def subset(*ips: str, ports: Sequence[EndpointPort] = ()) -> EndpointSubset:
    return EndpointSubset(addresses=[EndpointAddress(ip=ip) for ip in ips], ports=ports)


def eps(
    address_type: str = "IPv4",
    endpoints: Sequence[Endpoint] = (),
    ports: Sequence[EndpointSlicePort] = (),
) -> EndpointSlice:
    return EndpointSlice(metadata=META, address_type=address_type, endpoints=endpoints, ports=ports)


def pv(**spec: Any) -> PersistentVolume:
    fields: dict[str, Any] = {
        "capacity": {"storage": Q("1Gi")},
        "access_modes": ["ReadWriteOnce"],
        "host_path": HostPathVolumeSource(path="/data"),
    }
    return PersistentVolume(metadata=CLUSTER_META, spec=PersistentVolumeSpec(**{**fields, **spec}))


def pvc(storage: str | None = "1Gi", **spec: Any) -> PersistentVolumeClaim:
    requests = {} if storage is None else {"storage": Q(storage)}
    fields: dict[str, Any] = {
        "access_modes": ["ReadWriteOnce"],
        "resources": VolumeResourceRequirements(requests=requests),
    }
    return PersistentVolumeClaim(
        metadata=META, spec=PersistentVolumeClaimSpec(**{**fields, **spec})
    )


TARGET = CrossVersionObjectReference(api_version="apps/v1", kind="Deployment", name="web")


def cpu(**target: Any) -> MetricSpec:
    return MetricSpec(
        type="Resource", resource=ResourceMetricSource(name="cpu", target=MetricTarget(**target))
    )


def hpa(**spec: Any) -> HorizontalPodAutoscaler:
    fields: dict[str, Any] = {"scale_target_ref": TARGET, "max_replicas": 10}
    return HorizontalPodAutoscaler(
        metadata=META, spec=HorizontalPodAutoscalerSpec(**{**fields, **spec})
    )


def rules(*policies: tuple[str, int, int], **kw: Any) -> HPAScalingRules:
    return HPAScalingRules(
        policies=[HPAScalingPolicy(type=t, value=v, period_seconds=s) for t, v, s in policies], **kw
    )


def event(**fields: Any) -> Event:
    base: dict[str, Any] = {
        "metadata": META,
        "involved_object": ObjectReference(kind="Pod", name="web", namespace="default"),
        "reason": "Started",
        "type": "Normal",
    }
    return Event(**{**base, **fields})


def lease(**spec: Any) -> Lease:
    return Lease(metadata=META, spec=LeaseSpec(**spec))


NODE_AFFINITY = VolumeNodeAffinity(
    required=NodeSelector(
        node_selector_terms=[
            NodeSelectorTerm(
                match_expressions=[
                    NodeSelectorRequirement(
                        key="kubernetes.io/hostname", operator="In", values=["node-a"]
                    )
                ]
            )
        ]
    )
)

VALID = [
    pytest.param(Namespace(metadata=ObjectMeta(name="dev")), id="namespace"),
    pytest.param(
        Namespace(
            metadata=ObjectMeta(name="dev"),
            spec=NamespaceSpec(finalizers=["kubernetes", "example.com/cleanup"]),
        ),
        id="namespace-finalizers",
    ),
    pytest.param(
        node(
            taints=[
                Taint(key="dedicated", value="batch", effect="NoSchedule"),
                Taint(key="dedicated", value="batch", effect="NoExecute"),
            ],
            capacity={"cpu": Q("4"), "pods": Q("110"), "example.com/gpu": Q("2")},
        ),
        id="node",
    ),
    pytest.param(svc(), id="service"),
    pytest.param(
        svc(
            type="NodePort",
            ports=ports(
                {"name": "http", "port": 80, "target_port": "http", "node_port": 30080},
                {"name": "dns", "port": 53, "protocol": "UDP", "node_port": 30053},
                {"name": "dns-tcp", "port": 53, "protocol": "TCP", "node_port": 30053},
            ),
            session_affinity="ClientIP",
            session_affinity_config=SessionAffinityConfig(
                client_ip=ClientIPConfig(timeout_seconds=86400)
            ),
            external_traffic_policy="Local",
        ),
        id="service-node-port",
    ),
    pytest.param(
        svc(
            type="LoadBalancer",
            load_balancer_source_ranges=["10.0.0.0/8", " 192.168.0.0/16"],
            load_balancer_class="example.com/lb",
            external_traffic_policy="Local",
            health_check_node_port=31000,
        ),
        id="service-load-balancer",
    ),
    pytest.param(
        svc(
            cluster_ip="10.96.0.10",
            cluster_ips=["10.96.0.10", "fd00::10"],
            ip_families=["IPv4", "IPv6"],
            ip_family_policy="RequireDualStack",
            external_ips=["203.0.113.7"],
            traffic_distribution="PreferClose",
        ),
        id="service-dual-stack",
    ),
    pytest.param(svc(cluster_ip="None", ports=[]), id="service-headless-without-ports"),
    pytest.param(
        svc(type="ExternalName", external_name="db.example.com.", ports=[], selector={}),
        id="service-external-name-fqdn",
    ),
    pytest.param(
        endpoints(
            subset(
                "10.0.0.1",
                "fd00::1",
                ports=[EndpointPort(name="http", port=80), EndpointPort(name="dns", port=53)],
            ),
            EndpointSubset(
                not_ready_addresses=[EndpointAddress(ip="10.0.0.2", hostname="web-0")],
                ports=[EndpointPort(port=80)],
            ),
        ),
        id="endpoints",
    ),
    pytest.param(
        eps(
            endpoints=[Endpoint(addresses=["10.0.0.1"], hostname="web-0", node_name="node-a")],
            ports=[EndpointSlicePort(name="http", port=80), EndpointSlicePort(port=None)],
        ),
        id="endpoint-slice",
    ),
    pytest.param(
        eps("FQDN", endpoints=[Endpoint(addresses=["db.example.com"])]), id="endpoint-slice-fqdn"
    ),
    pytest.param(
        ConfigMap(metadata=META, data={"app.properties": "x=1"}, binary_data={"logo.png": b"\x89"}),
        id="config-map",
    ),
    pytest.param(
        Secret(
            metadata=ObjectMeta(
                name="token",
                namespace="default",
                annotations={"kubernetes.io/service-account.name": "default"},
            ),
            type="kubernetes.io/service-account-token",
        ),
        id="secret-service-account-token",
    ),
    pytest.param(
        Secret(metadata=META, data={"password": b"s3cret"}, string_data={"user": "admin"}),
        id="secret",
    ),
    pytest.param(event(), id="event"),
    pytest.param(
        event(
            metadata=ObjectMeta(name="node-a.1", namespace="default"),
            involved_object=ObjectReference(kind="Node", name="node-a"),
        ),
        id="event-cluster-scoped-object",
    ),
    pytest.param(
        event(
            event_time=datetime(2024, 1, 1, tzinfo=UTC),
            reporting_component="kubelet",
            reporting_instance="node-a",
            action="Pulling",
        ),
        id="event-with-event-time",
    ),
    pytest.param(pv(), id="pv"),
    pytest.param(
        pv(
            host_path=None,
            nfs=NFSVolumeSource(server="nfs.example.com", path="/exports"),
            access_modes=["ReadWriteMany", "ReadOnlyMany"],
            persistent_volume_reclaim_policy="Recycle",
            storage_class_name="standard",
        ),
        id="pv-nfs",
    ),
    pytest.param(
        pv(host_path=None, local=LocalVolumeSource(path="/mnt/disk"), node_affinity=NODE_AFFINITY),
        id="pv-local",
    ),
    pytest.param(pvc(), id="pvc"),
    pytest.param(
        pvc(
            access_modes=["ReadWriteOncePod"],
            volume_mode="Block",
            storage_class_name="fast",
            data_source=TypedLocalObjectReference(kind="PersistentVolumeClaim", name="src"),
        ),
        id="pvc-block-clone",
    ),
    pytest.param(hpa(metrics=[cpu(type="Utilization", average_utilization=50)]), id="hpa"),
    pytest.param(
        hpa(
            min_replicas=2,
            metrics=[
                cpu(type="AverageValue", average_value=Q("500m")),
                MetricSpec(
                    type="Pods",
                    pods=PodsMetricSource(
                        metric=MetricIdentifier(name="requests_per_second"),
                        target=MetricTarget(type="AverageValue", average_value=Q("10")),
                    ),
                ),
                MetricSpec(
                    type="Object",
                    object=ObjectMetricSource(
                        described_object=CrossVersionObjectReference(kind="Ingress", name="main"),
                        metric=MetricIdentifier(name="hits"),
                        target=MetricTarget(type="Value", value=Q("2k")),
                    ),
                ),
                MetricSpec(
                    type="External",
                    external=ExternalMetricSource(
                        metric=MetricIdentifier(name="queue_depth"),
                        target=MetricTarget(type="AverageValue", average_value=Q("30")),
                    ),
                ),
                MetricSpec(
                    type="ContainerResource",
                    container_resource=ContainerResourceMetricSource(
                        name="memory",
                        container="app",
                        target=MetricTarget(type="Utilization", average_utilization=70),
                    ),
                ),
            ],
            behavior=HorizontalPodAutoscalerBehavior(
                scale_up=rules(("Pods", 2, 60), select_policy="Min"),
                scale_down=rules(stabilization_window_seconds=3600, select_policy="Disabled"),
            ),
        ),
        id="hpa-every-metric-and-behavior",
    ),
    pytest.param(lease(), id="lease"),
    pytest.param(
        lease(
            holder_identity="node-a",
            lease_duration_seconds=40,
            lease_transitions=0,
            strategy="OldestEmulationVersion",
            preferred_holder="node-b",
        ),
        id="lease-full",
    ),
]


@pytest.mark.parametrize("obj", VALID)
def test_valid_objects_pass(obj):
    assert [str(e) for e in validate_object(default_object(obj))] == []


INVALID = [
    # --- names: the name rule registered for each kind ---
    pytest.param(
        Namespace(metadata=ObjectMeta(name="a.b")), [("metadata.name", INV)], id="ns-name-dots"
    ),
    pytest.param(svc(name="1web"), [("metadata.name", INV)], id="svc-name-dns1035"),
    pytest.param(
        ConfigMap(metadata=ObjectMeta(name="a.b", namespace="x")), [], id="cm-name-subdomain-ok"
    ),
    # --- Namespace ---
    pytest.param(
        Namespace(
            metadata=ObjectMeta(name="dev"),
            spec=NamespaceSpec(finalizers=["cleanup", "bad/", "kubernetes"]),
        ),
        # "bad/" has an empty name part, which also fails the name regex: two errors.
        [("spec.finalizers[0]", INV), ("spec.finalizers[1]", INV), ("spec.finalizers[1]", INV)],
        id="ns-finalizers",
    ),
    # --- Node ---
    pytest.param(
        node(
            taints=[
                Taint(key="bad key", value="v", effect="NoSchedule"),
                Taint(key="k", value="bad value", effect="Sometimes"),
                Taint(key="k", effect=""),
                Taint(key="dup", effect="NoExecute"),
                Taint(key="dup", value="other", effect="NoExecute"),
            ]
        ),
        [
            ("spec.taints[0].key", INV),
            ("spec.taints[1].effect", NSUP),
            ("spec.taints[1].value", INV),
            ("spec.taints[2].effect", REQ),
            ("spec.taints[4]", DUP),
        ],
        id="node-taints",
    ),
    pytest.param(
        node(capacity={"cpu": Q("-1"), "pods": Q("1.5")}, allocatable={"memory": Q("-1Gi")}),
        [
            ("status.allocatable.memory", INV),
            ("status.capacity.cpu", INV),
            ("status.capacity.pods", INV),
        ],
        id="node-resources",
    ),
    pytest.param(
        Node(metadata=CLUSTER_META, spec=NodeSpec(pod_cidrs=["10.0.0.0/24", "10.1.0.0/24"])),
        [("spec.podCIDRs", INV)],
        id="node-pod-cidrs-same-family",
    ),
    pytest.param(
        Node(metadata=CLUSTER_META, spec=NodeSpec(pod_cidr="10.0.0.0", pod_cidrs=["x"])),
        [("spec.podCIDR", INV), ("spec.podCIDRs[0]", INV)],
        id="node-pod-cidrs-invalid",
    ),
    # --- Service ---
    pytest.param(svc(ports=[]), [("spec.ports", REQ)], id="svc-no-ports"),
    pytest.param(
        svc(ports=ports({"port": 0}, {"port": 65536, "protocol": "HTTP", "name": "a"})),
        [
            ("spec.ports[0].name", REQ),
            ("spec.ports[0].port", INV),
            ("spec.ports[0].targetPort", INV),
            ("spec.ports[1].port", INV),
            ("spec.ports[1].protocol", NSUP),
            ("spec.ports[1].targetPort", INV),
        ],
        id="svc-port-numbers-and-protocol",
    ),
    pytest.param(
        svc(
            ports=ports(
                {"name": "Web_1", "port": 80},
                {"name": "Web_1", "port": 81, "target_port": "not_a_port"},
                {"name": "c", "port": 80},
            )
        ),
        [
            ("spec.ports[0].name", INV),
            ("spec.ports[1].name", DUP),
            ("spec.ports[1].name", INV),
            ("spec.ports[1].targetPort", INV),
            ("spec.ports[2]", DUP),
        ],
        id="svc-port-names",
    ),
    pytest.param(
        svc(ports=ports({"port": 80, "node_port": 30080})),
        [("spec.ports[0].nodePort", FORB)],
        id="svc-node-port-on-cluster-ip",
    ),
    pytest.param(
        svc(
            type="NodePort",
            ports=ports(
                {"name": "a", "port": 80, "node_port": 70000},
                {"name": "b", "port": 81, "node_port": 30001},
                {"name": "c", "port": 82, "node_port": 30001},
            ),
        ),
        [("spec.ports[0].nodePort", INV), ("spec.ports[2].nodePort", DUP)],
        id="svc-node-port-range-and-duplicate",
    ),
    pytest.param(svc(type="Headless"), [("spec.type", NSUP)], id="svc-type"),
    pytest.param(
        svc(type="ExternalName", ports=[], selector={}),
        [("spec.externalName", REQ)],
        id="svc-external-name-required",
    ),
    pytest.param(
        svc(type="ExternalName", external_name="Bad_Name", cluster_ip="10.0.0.1"),
        [("spec.clusterIP", FORB), ("spec.externalName", INV)],
        id="svc-external-name-invalid",
    ),
    pytest.param(
        svc(type="NodePort", cluster_ip="None"),
        [("spec.clusterIP", INV)],
        id="svc-headless-node-port",
    ),
    pytest.param(
        svc(type="LoadBalancer", cluster_ip="None", cluster_ips=["None"]),
        [("spec.clusterIPs[0]", INV)],
        id="svc-headless-load-balancer",
    ),
    pytest.param(
        svc(cluster_ip="10.0.0.300"), [("spec.clusterIP", INV)], id="svc-cluster-ip-invalid"
    ),
    pytest.param(
        svc(cluster_ip="10.0.0.1", cluster_ips=["10.0.0.2", "10.0.0.3", "x"]),
        [("spec.clusterIPs", INV), ("spec.clusterIPs", INV), ("spec.clusterIPs[2]", INV)],
        id="svc-cluster-ips",
    ),
    pytest.param(
        svc(
            cluster_ip="10.0.0.1",
            cluster_ips=["10.0.0.1"],
            ip_families=["IPv6", "IPv6", "IPv5"],
            ip_family_policy="Maybe",
        ),
        [
            ("spec.clusterIPs[0]", INV),
            ("spec.ipFamilies[1]", DUP),
            ("spec.ipFamilies[2]", NSUP),
            ("spec.ipFamilyPolicy", NSUP),
        ],
        id="svc-ip-families",
    ),
    pytest.param(
        svc(session_affinity="Sticky"), [("spec.sessionAffinity", NSUP)], id="svc-affinity"
    ),
    pytest.param(
        svc(
            session_affinity="ClientIP",
            session_affinity_config=SessionAffinityConfig(
                client_ip=ClientIPConfig(timeout_seconds=86401)
            ),
        ),
        [("spec.sessionAffinityConfig.clientIP.timeoutSeconds", INV)],
        id="svc-affinity-timeout-too-long",
    ),
    pytest.param(
        svc(
            session_affinity="ClientIP",
            session_affinity_config=SessionAffinityConfig(
                client_ip=ClientIPConfig(timeout_seconds=0)
            ),
        ),
        [("spec.sessionAffinityConfig.clientIP.timeoutSeconds", INV)],
        id="svc-affinity-timeout-zero",
    ),
    pytest.param(
        svc(selector={"app": "bad value"}), [("spec.selector", INV)], id="svc-selector-label"
    ),
    pytest.param(
        svc(external_traffic_policy="Local"),
        [("spec.externalTrafficPolicy", INV)],
        id="svc-external-policy-on-cluster-ip",
    ),
    pytest.param(
        svc(type="NodePort", external_traffic_policy="Global", internal_traffic_policy="Node"),
        [("spec.externalTrafficPolicy", NSUP), ("spec.internalTrafficPolicy", NSUP)],
        id="svc-traffic-policy-enums",
    ),
    pytest.param(
        svc(type="NodePort", health_check_node_port=31000, traffic_distribution="Anywhere"),
        [("spec.healthCheckNodePort", INV), ("spec.trafficDistribution", NSUP)],
        id="svc-health-check-port-and-distribution",
    ),
    pytest.param(
        svc(
            load_balancer_source_ranges=["10.0.0.0"],
            load_balancer_class="example.com/lb",
            allocate_load_balancer_node_ports=True,
        ),
        [
            ("spec.allocateLoadBalancerNodePorts", FORB),
            ("spec.loadBalancerClass", FORB),
            ("spec.loadBalancerSourceRanges", FORB),
            ("spec.loadBalancerSourceRanges[0]", INV),
        ],
        id="svc-load-balancer-fields-elsewhere",
    ),
    pytest.param(
        svc(external_ips=["127.0.0.1", "nope", ""]),
        [("spec.externalIPs[0]", INV), ("spec.externalIPs[1]", INV), ("spec.externalIPs[2]", REQ)],
        id="svc-external-ips",
    ),
    # --- Endpoints ---
    pytest.param(
        endpoints(EndpointSubset(ports=[EndpointPort(port=80)])),
        [("subsets[0]", REQ)],
        id="ep-no-addresses",
    ),
    pytest.param(
        endpoints(
            subset("", "10.0.0.256", "0.0.0.0", "169.254.1.1", "224.0.0.5", "::1", "fe80::1")
        ),
        [
            ("subsets[0].addresses[0].ip", REQ),
            ("subsets[0].addresses[1].ip", INV),
            ("subsets[0].addresses[2].ip", INV),
            ("subsets[0].addresses[3].ip", INV),
            ("subsets[0].addresses[4].ip", INV),
            ("subsets[0].addresses[5].ip", INV),
            ("subsets[0].addresses[6].ip", INV),
        ],
        id="ep-addresses",
    ),
    pytest.param(
        endpoints(
            EndpointSubset(
                not_ready_addresses=[
                    EndpointAddress(ip="10.0.0.1", hostname="a.b", node_name="Node_A")
                ]
            )
        ),
        [
            ("subsets[0].notReadyAddresses[0].hostname", INV),
            ("subsets[0].notReadyAddresses[0].nodeName", INV),
        ],
        id="ep-hostname-and-node-name",
    ),
    pytest.param(
        endpoints(
            subset(
                "10.0.0.1",
                ports=[
                    EndpointPort(port=0, protocol="ICMP"),
                    EndpointPort(name="a", port=80),
                    EndpointPort(name="a", port=81, app_protocol="bad proto"),
                ],
            )
        ),
        [
            ("subsets[0].ports[0].name", REQ),
            ("subsets[0].ports[0].port", INV),
            ("subsets[0].ports[0].protocol", NSUP),
            ("subsets[0].ports[2].appProtocol", INV),
            ("subsets[0].ports[2].name", DUP),
        ],
        id="ep-ports",
    ),
    # --- EndpointSlice ---
    pytest.param(eps(""), [("addressType", REQ)], id="eps-address-type-required"),
    pytest.param(
        eps("IP", endpoints=[Endpoint(addresses=["whatever"])]),
        [("addressType", NSUP)],
        id="eps-address-type-unknown",
    ),
    pytest.param(
        eps(endpoints=[Endpoint(addresses=["10.0.0.1"])] * 1001),
        [("endpoints", MANY)],
        id="eps-too-many-endpoints",
    ),
    pytest.param(
        eps(
            endpoints=[
                Endpoint(),
                Endpoint(addresses=["10.0.0.1"] * 101),
                Endpoint(addresses=["fd00::1", "127.0.0.1", "10.0.0.1"]),
            ]
        ),
        [
            ("endpoints[0].addresses", REQ),
            ("endpoints[1].addresses", MANY),
            ("endpoints[2].addresses[0]", INV),
            ("endpoints[2].addresses[1]", INV),
        ],
        id="eps-addresses",
    ),
    pytest.param(
        eps("IPv6", endpoints=[Endpoint(addresses=["10.0.0.1", "fd00::1"])]),
        [("endpoints[0].addresses[0]", INV)],
        id="eps-ipv6",
    ),
    pytest.param(
        eps(
            "FQDN", endpoints=[Endpoint(addresses=["db", "Bad_Host.example.com", "db.example.com"])]
        ),
        [("endpoints[0].addresses[0]", INV), ("endpoints[0].addresses[1]", INV)],
        id="eps-fqdn",
    ),
    pytest.param(
        eps(
            endpoints=[
                Endpoint(
                    addresses=["10.0.0.1"],
                    hostname="a.b",
                    node_name="Node_A",
                    deprecated_topology={f"k{i}": "v" for i in range(17)},
                )
            ]
        ),
        [
            ("endpoints[0].deprecatedTopology", MANY),
            ("endpoints[0].hostname", INV),
            ("endpoints[0].nodeName", INV),
        ],
        id="eps-endpoint-fields",
    ),
    pytest.param(
        eps(ports=[EndpointSlicePort(port=80)] * 101), [("ports", MANY)], id="eps-too-many-ports"
    ),
    pytest.param(
        eps(
            ports=[
                EndpointSlicePort(port=80),
                EndpointSlicePort(port=81),
                EndpointSlicePort(name="Http", port=0, protocol="ICMP"),
            ]
        ),
        [
            ("ports[1].name", DUP),
            ("ports[2].name", INV),
            ("ports[2].port", INV),
            ("ports[2].protocol", NSUP),
        ],
        id="eps-ports",
    ),
    # --- ConfigMap and Secret ---
    pytest.param(
        ConfigMap(
            metadata=META, data={"a b": "1", "..x": "2", "dup": "3"}, binary_data={"dup": b""}
        ),
        [("data.dup", INV), ("data[..x]", INV), ("data[a b]", INV)],
        id="cm-keys",
    ),
    pytest.param(
        ConfigMap(metadata=META, data={"a": "x" * (1024 * 1024)}, binary_data={"b": b"y"}),
        [("", LONG)],
        id="cm-too-big",
    ),
    pytest.param(
        Secret(metadata=META, data={"a/b": b""}, string_data={"c d": ""}),
        [("data[a/b]", INV), ("stringData[c d]", INV)],
        id="secret-keys",
    ),
    pytest.param(
        Secret(metadata=META, data={"a": b"x" * (1024 * 1024)}, string_data={"b": "y"}),
        [("data", LONG)],
        id="secret-too-big",
    ),
    pytest.param(
        Secret(metadata=META, type="kubernetes.io/service-account-token"),
        [("metadata.annotations[kubernetes.io/service-account.name]", REQ)],
        id="secret-service-account-token",
    ),
    # --- Event ---
    pytest.param(
        event(involved_object=ObjectReference(kind="Pod", name="web", namespace="other")),
        [("involvedObject.namespace", INV)],
        id="event-namespace-mismatch",
    ),
    pytest.param(
        event(
            metadata=ObjectMeta(name="e", namespace="dev"),
            involved_object=ObjectReference(kind="Node", name="node-a"),
        ),
        [("involvedObject.namespace", INV)],
        id="event-cluster-object-outside-default",
    ),
    pytest.param(
        event(reason="r" * 129, message="m" * 1025, type="Error"),
        [("message", INV), ("reason", INV), ("type", NSUP)],
        id="event-lengths-and-type",
    ),
    pytest.param(
        event(event_time=datetime(2024, 1, 1, tzinfo=UTC), reason="", action="a" * 129),
        [("action", INV), ("reason", REQ), ("reportingComponent", REQ), ("reportingInstance", REQ)],
        id="event-with-event-time",
    ),
    # --- PersistentVolume ---
    pytest.param(
        pv(capacity={}, access_modes=[]),
        [("spec.accessModes", REQ), ("spec.capacity", REQ)],
        id="pv-required",
    ),
    pytest.param(
        pv(
            capacity={"storage": Q("0"), "cpu": Q("1")},
            access_modes=["ReadWriteOncePod", "ReadWriteOnce", "WriteOnly"],
        ),
        [
            ("spec.accessModes", FORB),
            ("spec.accessModes", NSUP),
            ("spec.capacity", NSUP),
            ("spec.capacity.storage", INV),
        ],
        id="pv-capacity-and-modes",
    ),
    pytest.param(
        pv(persistent_volume_reclaim_policy="Keep", volume_mode="Raw", storage_class_name="Fast!"),
        [
            ("spec.persistentVolumeReclaimPolicy", NSUP),
            ("spec.storageClassName", INV),
            ("spec.volumeMode", NSUP),
        ],
        id="pv-enums",
    ),
    pytest.param(pv(host_path=None), [("spec", REQ)], id="pv-no-source"),
    pytest.param(
        pv(nfs=NFSVolumeSource(server="", path="exports")),
        [("spec.nfs", FORB), ("spec.nfs.path", INV), ("spec.nfs.server", REQ)],
        id="pv-two-sources",
    ),
    pytest.param(
        pv(host_path=HostPathVolumeSource(path="/a/../b", type="Folder")),
        [("spec.hostPath.path", INV), ("spec.hostPath.type", NSUP)],
        id="pv-host-path",
    ),
    pytest.param(
        pv(host_path=HostPathVolumeSource(path="//"), persistent_volume_reclaim_policy="Recycle"),
        [("spec.persistentVolumeReclaimPolicy", FORB)],
        id="pv-recycle-root",
    ),
    pytest.param(
        pv(host_path=None, local=LocalVolumeSource(path="")),
        [("spec.local.path", REQ), ("spec.nodeAffinity", REQ)],
        id="pv-local-needs-node-affinity",
    ),
    pytest.param(
        pv(node_affinity=VolumeNodeAffinity()),
        [("spec.nodeAffinity.required", REQ)],
        id="pv-node-affinity-empty",
    ),
    # --- PersistentVolumeClaim ---
    pytest.param(
        pvc(storage=None, access_modes=[]),
        [("spec.accessModes", REQ), ("spec.resources.requests.storage", REQ)],
        id="pvc-required",
    ),
    pytest.param(
        pvc(storage="0", access_modes=["ReadMostly"], volume_mode="Raw"),
        [
            ("spec.accessModes", NSUP),
            ("spec.resources.requests.storage", INV),
            ("spec.volumeMode", NSUP),
        ],
        id="pvc-values",
    ),
    pytest.param(
        pvc(
            storage_class_name="Fast!",
            data_source=TypedLocalObjectReference(kind="Snapshot", name=""),
        ),
        [
            ("spec.dataSource.kind", INV),
            ("spec.dataSource.name", REQ),
            ("spec.storageClassName", INV),
        ],
        id="pvc-class-and-data-source",
    ),
    # --- HorizontalPodAutoscaler ---
    pytest.param(
        hpa(
            scale_target_ref=CrossVersionObjectReference(kind="", name="a/b"),
            min_replicas=0,
            max_replicas=0,
        ),
        [
            ("spec.maxReplicas", INV),
            ("spec.minReplicas", INV),
            ("spec.scaleTargetRef.kind", REQ),
            ("spec.scaleTargetRef.name", INV),
        ],
        id="hpa-replicas-and-target",
    ),
    pytest.param(
        hpa(min_replicas=5, max_replicas=3), [("spec.maxReplicas", INV)], id="hpa-max-below-min"
    ),
    pytest.param(
        hpa(
            metrics=[
                cpu(type="Utilization"),
                cpu(type="Value", value=Q("1")),
                cpu(type="AverageValue", average_value=Q("-1")),
                cpu(type="Average", average_utilization=0, average_value=Q("1")),
            ]
        ),
        [
            ("spec.metrics[0].resource.target.averageUtilization", REQ),
            ("spec.metrics[1].resource.target.averageUtilization", REQ),
            ("spec.metrics[2].resource.target.averageValue", INV),
            ("spec.metrics[3].resource.target.averageUtilization", INV),
            ("spec.metrics[3].resource.target.averageValue", FORB),
            ("spec.metrics[3].resource.target.type", INV),
        ],
        id="hpa-resource-targets",
    ),
    pytest.param(
        hpa(
            metrics=[
                MetricSpec(type="Resource"),
                MetricSpec(type="Magic"),
                MetricSpec(
                    type="Pods",
                    pods=PodsMetricSource(
                        metric=MetricIdentifier(name=""),
                        target=MetricTarget(type="Value", value=Q("1")),
                    ),
                    resource=ResourceMetricSource(
                        name="cpu", target=MetricTarget(type="Utilization", average_utilization=50)
                    ),
                ),
            ]
        ),
        [
            ("spec.metrics[0].resource", REQ),
            ("spec.metrics[1].type", NSUP),
            ("spec.metrics[2].pods.metric.name", REQ),
            ("spec.metrics[2].pods.target.averageValue", REQ),
            ("spec.metrics[2].resource", FORB),
        ],
        id="hpa-metric-sources",
    ),
    pytest.param(
        hpa(
            metrics=[
                MetricSpec(
                    type="Object",
                    object=ObjectMetricSource(
                        described_object=CrossVersionObjectReference(kind="Ingress", name=".."),
                        metric=MetricIdentifier(name="hits%"),
                        target=MetricTarget(type="Utilization", average_utilization=10),
                    ),
                ),
                MetricSpec(
                    type="External",
                    external=ExternalMetricSource(
                        metric=MetricIdentifier(name="q"),
                        target=MetricTarget(type="Value", value=Q("1"), average_value=Q("1")),
                    ),
                ),
                MetricSpec(
                    type="ContainerResource",
                    container_resource=ContainerResourceMetricSource(
                        name="",
                        container="App",
                        target=MetricTarget(type="AverageValue", average_value=Q("1")),
                    ),
                ),
            ]
        ),
        [
            ("spec.metrics[0].object.describedObject.name", INV),
            ("spec.metrics[0].object.metric.name", INV),
            ("spec.metrics[0].object.target.averageValue", REQ),
            ("spec.metrics[1].external.target.value", FORB),
            ("spec.metrics[2].containerResource.container", INV),
            ("spec.metrics[2].containerResource.name", REQ),
        ],
        id="hpa-object-external-container",
    ),
    pytest.param(
        hpa(
            behavior=HorizontalPodAutoscalerBehavior(
                scale_up=rules(
                    ("Nodes", 0, 0),
                    ("Pods", 1, 1801),
                    stabilization_window_seconds=-1,
                    select_policy="Average",
                    tolerance=Q("-0.1"),
                ),
                scale_down=rules(("Percent", 10, 60), stabilization_window_seconds=3601),
            )
        ),
        [
            ("spec.behavior.scaleDown.stabilizationWindowSeconds", INV),
            ("spec.behavior.scaleUp.policies[0].periodSeconds", INV),
            ("spec.behavior.scaleUp.policies[0].type", NSUP),
            ("spec.behavior.scaleUp.policies[0].value", INV),
            ("spec.behavior.scaleUp.policies[1].periodSeconds", INV),
            ("spec.behavior.scaleUp.selectPolicy", NSUP),
            ("spec.behavior.scaleUp.stabilizationWindowSeconds", INV),
            ("spec.behavior.scaleUp.tolerance", INV),
        ],
        id="hpa-behavior",
    ),
    # --- Lease ---
    pytest.param(
        lease(lease_duration_seconds=0, lease_transitions=-1),
        [("spec.leaseDurationSeconds", INV), ("spec.leaseTransitions", INV)],
        id="lease-numbers",
    ),
    pytest.param(
        lease(strategy="Newest", preferred_holder="a"),
        [("spec.strategy", NSUP)],
        id="lease-strategy",
    ),
    pytest.param(
        lease(strategy="example.com/Bad Strategy"),
        [("spec.strategy", INV)],
        id="lease-custom-strategy",
    ),
    pytest.param(
        lease(preferred_holder="node-a"),
        [("spec.preferredHolder", FORB)],
        id="lease-holder-no-strategy",
    ),
]


@pytest.mark.parametrize(("obj", "expected"), INVALID)
def test_invalid_objects(obj, expected):
    assert errors_of(obj) == sorted(expected)


MESSAGES = [
    pytest.param(svc(ports=[]), "spec.ports: Required value", id="ports-required"),
    pytest.param(
        svc(ports=ports({"port": 80, "protocol": "HTTP"})),
        'spec.ports[0].protocol: Unsupported value: "HTTP": supported values: "SCTP", "TCP", "UDP"',
        id="protocol",
    ),
    pytest.param(
        svc(ports=ports({"port": 0, "target_port": 80})),
        "spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive",
        id="port-range",
    ),
    pytest.param(
        svc(type="NodePort", cluster_ip="None"),
        "spec.clusterIP: Invalid value: \"None\": may not be set to 'None' for NodePort services",
        id="headless-node-port",
    ),
    pytest.param(
        svc(external_traffic_policy="Local"),
        'spec.externalTrafficPolicy: Invalid value: "Local": '
        "may only be set for externally-accessible services",
        id="external-traffic-policy",
    ),
    pytest.param(
        svc(
            session_affinity="ClientIP",
            session_affinity_config=SessionAffinityConfig(
                client_ip=ClientIPConfig(timeout_seconds=0)
            ),
        ),
        "spec.sessionAffinityConfig.clientIP.timeoutSeconds: Invalid value: 0: "
        "must be greater than 0 and less than 86400",
        id="affinity-timeout",
    ),
    pytest.param(
        node(taints=[Taint(key="a", effect="NoSchedule"), Taint(key="a", effect="NoSchedule")]),
        'spec.taints[1]: Duplicate value: "a=:NoSchedule": taints must be unique by key and effect pair',
        id="taint-duplicate",
    ),
    pytest.param(
        ConfigMap(metadata=META, data={"k": "v"}, binary_data={"k": b""}),
        'data.k: Invalid value: "k": duplicate of key present in binaryData',
        id="config-map-duplicate",
    ),
    pytest.param(
        ConfigMap(metadata=META, data={"a": "x" * (1024 * 1024 + 1)}),
        ": Too long: must have at most 1048576 bytes",
        id="config-map-size",
    ),
    pytest.param(
        eps(endpoints=[Endpoint(addresses=["10.0.0.1"])] * 1001),
        "endpoints: Too many: 1001: must have at most 1000 items",
        id="slice-too-many",
    ),
    pytest.param(
        endpoints(subset("127.0.0.1")),
        'subsets[0].addresses[0].ip: Invalid value: "127.0.0.1": '
        "may not be in the loopback range (127.0.0.0/8, ::1/128)",
        id="loopback",
    ),
    pytest.param(
        pvc(access_modes=[]),
        "spec.accessModes: Required value: at least 1 access mode is required",
        id="pvc-access-modes",
    ),
    pytest.param(
        hpa(min_replicas=5, max_replicas=3),
        "spec.maxReplicas: Invalid value: 3: must be greater than or equal to `minReplicas`",
        id="hpa-max",
    ),
    pytest.param(
        hpa(metrics=[MetricSpec(type="Pods")]),
        "spec.metrics[0].pods: Required value: must populate information for the given metric source",
        id="hpa-source",
    ),
    pytest.param(
        Namespace(metadata=ObjectMeta(name="dev"), spec=NamespaceSpec(finalizers=["cleanup"])),
        'spec.finalizers[0]: Invalid value: "cleanup": '
        "name is neither a standard finalizer name nor is it fully qualified",
        id="namespace-finalizer",
    ),
    pytest.param(
        lease(lease_duration_seconds=0),
        "spec.leaseDurationSeconds: Invalid value: 0: must be greater than 0",
        id="lease-duration",
    ),
]


@pytest.mark.parametrize(("obj", "message"), MESSAGES)
def test_messages_read_like_upstream(obj, message):
    assert [str(e) for e in validate_object(default_object(obj))] == [message]


def _shared_objects() -> list[Any]:
    objs = load_manifests(MANIFESTS, validate=False)
    return [o for o in objs if isinstance(o, KINDS)]


SHARED = _shared_objects()


def test_shared_manifests_have_objects_of_these_kinds():
    assert {type(o) for o in SHARED} >= {Namespace, Node, Service, HorizontalPodAutoscaler}


@pytest.mark.parametrize(
    "obj", SHARED, ids=[f"{type(o).__name__}/{o.metadata.name}" for o in SHARED]
)
def test_shared_manifests_pass_after_defaulting(obj):
    assert [str(e) for e in validate_object(default_object(obj))] == []


def test_shared_manifest_directory_loads_with_these_validators():
    # load_manifests validates every object with the registered validators, these included.
    assert load_manifests(MANIFESTS)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(KINDS).flatmap(objects))
def test_validation_of_arbitrary_defaulted_objects_never_crashes(obj):
    errors = validate_object(default_object(obj))
    assert all(str(e) for e in errors)
