"""Defaults of Namespace, Node, Service, Endpoints, Secret, storage, HPA and EndpointSlice."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import kube_actors.api._default_core
import kube_actors.api._validate_core
from kube_actors.api import default_object
from kube_actors.api.autoscaling import (
    CrossVersionObjectReference,
    HorizontalPodAutoscaler,
    HorizontalPodAutoscalerBehavior,
    HorizontalPodAutoscalerSpec,
    HPAScalingPolicy,
    HPAScalingRules,
    MetricSpec,
    MetricTarget,
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
    LoadBalancerIngress,
    LoadBalancerStatus,
    Namespace,
    NamespaceStatus,
    Node,
    NodeStatus,
    ObjectReference,
    PersistentVolume,
    PersistentVolumeClaim,
    PersistentVolumeClaimSpec,
    PersistentVolumeClaimStatus,
    PersistentVolumeSpec,
    PersistentVolumeStatus,
    Secret,
    Service,
    ServicePort,
    ServiceSpec,
    ServiceStatus,
    SessionAffinityConfig,
)
from kube_actors.api.discovery import EndpointSlice, EndpointSlicePort
from kube_actors.api.meta import ObjectMeta
from kube_actors.api.pod import HostPathVolumeSource, NFSVolumeSource
from kube_actors.api.quantity import parse_quantity
from kube_actors.testing.strategies import objects

_default_core = kube_actors.api._default_core

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

META = ObjectMeta(name="web", namespace="default")


def svc(**spec: Any) -> Service:
    return Service(metadata=META, spec=ServiceSpec(**spec))


def defaulted_svc(**spec: Any) -> Service:
    """The fields every defaulted ClusterIP service has, overridden by ``spec``."""
    base: dict[str, Any] = {
        "type": "ClusterIP",
        "session_affinity": "None",
        "internal_traffic_policy": "Cluster",
    }
    return svc(**{**base, **spec})


P80 = ServicePort(port=80)
P80_DEFAULTED = ServicePort(port=80, protocol="TCP", target_port=80)
TIMEOUT_10800 = SessionAffinityConfig(client_ip=ClientIPConfig(timeout_seconds=10800))

SERVICE_CASES = [
    pytest.param(svc(ports=[P80]), defaulted_svc(ports=[P80_DEFAULTED]), id="minimal"),
    pytest.param(
        svc(ports=[ServicePort(port=53, protocol="UDP", target_port="dns")]),
        defaulted_svc(ports=[ServicePort(port=53, protocol="UDP", target_port="dns")]),
        id="named-target-port-and-udp-kept",
    ),
    pytest.param(
        svc(ports=[ServicePort(port=80, target_port=0), ServicePort(port=81, target_port="")]),
        defaulted_svc(
            ports=[
                ServicePort(port=80, protocol="TCP", target_port=80),
                ServicePort(port=81, protocol="TCP", target_port=81),
            ]
        ),
        id="zero-target-port-is-unset",
    ),
    pytest.param(
        svc(ports=[P80], session_affinity="ClientIP"),
        defaulted_svc(
            ports=[P80_DEFAULTED],
            session_affinity="ClientIP",
            session_affinity_config=TIMEOUT_10800,
        ),
        id="client-ip-timeout",
    ),
    pytest.param(
        svc(
            ports=[P80],
            session_affinity="ClientIP",
            session_affinity_config=SessionAffinityConfig(client_ip=ClientIPConfig()),
        ),
        defaulted_svc(
            ports=[P80_DEFAULTED],
            session_affinity="ClientIP",
            session_affinity_config=TIMEOUT_10800,
        ),
        id="client-ip-empty-config",
    ),
    pytest.param(
        svc(
            ports=[P80],
            session_affinity="ClientIP",
            session_affinity_config=SessionAffinityConfig(
                client_ip=ClientIPConfig(timeout_seconds=60)
            ),
        ),
        defaulted_svc(
            ports=[P80_DEFAULTED],
            session_affinity="ClientIP",
            session_affinity_config=SessionAffinityConfig(
                client_ip=ClientIPConfig(timeout_seconds=60)
            ),
        ),
        id="client-ip-timeout-kept",
    ),
    pytest.param(
        svc(ports=[P80], session_affinity_config=TIMEOUT_10800),
        defaulted_svc(ports=[P80_DEFAULTED]),
        id="config-dropped-without-affinity",
    ),
    pytest.param(
        svc(ports=[P80], type="NodePort"),
        defaulted_svc(ports=[P80_DEFAULTED], type="NodePort", external_traffic_policy="Cluster"),
        id="node-port",
    ),
    pytest.param(
        svc(ports=[P80], type="NodePort", external_traffic_policy="Local"),
        defaulted_svc(ports=[P80_DEFAULTED], type="NodePort", external_traffic_policy="Local"),
        id="external-policy-kept",
    ),
    pytest.param(
        svc(ports=[P80], type="LoadBalancer"),
        defaulted_svc(
            ports=[P80_DEFAULTED],
            type="LoadBalancer",
            external_traffic_policy="Cluster",
            allocate_load_balancer_node_ports=True,
        ),
        id="load-balancer",
    ),
    pytest.param(
        svc(ports=[P80], type="LoadBalancer", allocate_load_balancer_node_ports=False),
        defaulted_svc(
            ports=[P80_DEFAULTED],
            type="LoadBalancer",
            external_traffic_policy="Cluster",
            allocate_load_balancer_node_ports=False,
        ),
        id="load-balancer-node-ports-off-kept",
    ),
    pytest.param(
        svc(ports=[P80], external_ips=["203.0.113.7"]),
        defaulted_svc(
            ports=[P80_DEFAULTED], external_ips=["203.0.113.7"], external_traffic_policy="Cluster"
        ),
        id="cluster-ip-with-external-ips",
    ),
    pytest.param(
        svc(type="ExternalName", external_name="db.example.com"),
        svc(type="ExternalName", external_name="db.example.com", session_affinity="None"),
        id="external-name-gets-no-traffic-policies",
    ),
    pytest.param(
        svc(ports=[P80], internal_traffic_policy="Local"),
        defaulted_svc(ports=[P80_DEFAULTED], internal_traffic_policy="Local"),
        id="internal-policy-kept",
    ),
]


@pytest.mark.parametrize(("given", "expected"), SERVICE_CASES)
def test_service_defaults(given, expected):
    assert default_object(given) == expected


def test_load_balancer_ingress_ip_mode_defaults_to_vip():
    status = ServiceStatus(
        load_balancer=LoadBalancerStatus(
            ingress=[
                LoadBalancerIngress(ip="203.0.113.9"),
                LoadBalancerIngress(hostname="lb.example.com"),
                LoadBalancerIngress(ip="203.0.113.10", ip_mode="Proxy"),
            ]
        )
    )
    got = default_object(
        Service(metadata=META, spec=ServiceSpec(type="LoadBalancer"), status=status)
    )
    assert [i.ip_mode for i in got.status.load_balancer.ingress] == ["VIP", None, "Proxy"]


CAPACITY = {"cpu": parse_quantity("4"), "pods": parse_quantity("110")}
STORAGE = {"storage": parse_quantity("1Gi")}
NS_META = ObjectMeta(name="dev")
NAME_LABEL = {"kubernetes.io/metadata.name": "dev"}
HOST_PATH = HostPathVolumeSource(path="/data")
NFS = NFSVolumeSource(server="nfs.example.com", path="/exports")
CPU_80 = MetricSpec(
    type="Resource",
    resource=ResourceMetricSource(
        name="cpu", target=MetricTarget(type="Utilization", average_utilization=80)
    ),
)
CPU_50 = MetricSpec(
    type="Resource",
    resource=ResourceMetricSource(
        name="cpu", target=MetricTarget(type="Utilization", average_utilization=50)
    ),
)
TARGET = CrossVersionObjectReference(api_version="apps/v1", kind="Deployment", name="web")
SCALE_UP = HPAScalingRules(
    stabilization_window_seconds=0,
    select_policy="Max",
    policies=[
        HPAScalingPolicy(type="Pods", value=4, period_seconds=15),
        HPAScalingPolicy(type="Percent", value=100, period_seconds=15),
    ],
)
SCALE_DOWN = HPAScalingRules(
    select_policy="Max", policies=[HPAScalingPolicy(type="Percent", value=100, period_seconds=15)]
)
POD_POLICY = HPAScalingPolicy(type="Pods", value=1, period_seconds=60)


def hpa(**spec: Any) -> HorizontalPodAutoscaler:
    return HorizontalPodAutoscaler(
        metadata=META,
        spec=HorizontalPodAutoscalerSpec(
            **{"scale_target_ref": TARGET, "max_replicas": 10, **spec}
        ),
    )


OTHER_CASES = [
    # Node
    pytest.param(
        Node(metadata=NS_META, status=NodeStatus(capacity=CAPACITY)),
        Node(metadata=NS_META, status=NodeStatus(capacity=CAPACITY, allocatable=CAPACITY)),
        id="node-allocatable-from-capacity",
    ),
    pytest.param(
        Node(
            metadata=NS_META,
            status=NodeStatus(capacity=CAPACITY, allocatable={"cpu": parse_quantity("3")}),
        ),
        Node(
            metadata=NS_META,
            status=NodeStatus(capacity=CAPACITY, allocatable={"cpu": parse_quantity("3")}),
        ),
        id="node-allocatable-kept",
    ),
    pytest.param(Node(metadata=NS_META), Node(metadata=NS_META), id="node-without-capacity"),
    # Namespace
    pytest.param(
        Namespace(metadata=NS_META),
        Namespace(
            metadata=ObjectMeta(name="dev", labels=NAME_LABEL),
            status=NamespaceStatus(phase="Active"),
        ),
        id="namespace-name-label-and-phase",
    ),
    pytest.param(
        Namespace(
            metadata=ObjectMeta(
                name="dev", labels={"team": "a", "kubernetes.io/metadata.name": "prod"}
            ),
            status=NamespaceStatus(phase="Terminating"),
        ),
        Namespace(
            metadata=ObjectMeta(name="dev", labels={"team": "a", **NAME_LABEL}),
            status=NamespaceStatus(phase="Terminating"),
        ),
        id="namespace-label-corrected-phase-kept",
    ),
    pytest.param(
        Namespace(metadata=ObjectMeta(generate_name="tmp-")),
        Namespace(
            metadata=ObjectMeta(generate_name="tmp-"), status=NamespaceStatus(phase="Active")
        ),
        id="namespace-generate-name-gets-no-label",
    ),
    # Secret and ConfigMap
    pytest.param(Secret(metadata=META), Secret(metadata=META, type="Opaque"), id="secret-opaque"),
    pytest.param(
        Secret(metadata=META, type="kubernetes.io/tls"),
        Secret(metadata=META, type="kubernetes.io/tls"),
        id="secret-type-kept",
    ),
    pytest.param(
        ConfigMap(metadata=META, data={"a": "1"}),
        ConfigMap(metadata=META, data={"a": "1"}),
        id="config-map-unchanged",
    ),
    # Endpoints and EndpointSlice
    pytest.param(
        Endpoints(
            metadata=META,
            subsets=[
                EndpointSubset(
                    addresses=[EndpointAddress(ip="10.0.0.1")],
                    ports=[EndpointPort(port=80), EndpointPort(port=53, protocol="UDP")],
                )
            ],
        ),
        Endpoints(
            metadata=META,
            subsets=[
                EndpointSubset(
                    addresses=[EndpointAddress(ip="10.0.0.1")],
                    ports=[
                        EndpointPort(port=80, protocol="TCP"),
                        EndpointPort(port=53, protocol="UDP"),
                    ],
                )
            ],
        ),
        id="endpoints-protocol",
    ),
    pytest.param(
        EndpointSlice(
            metadata=META,
            address_type="IPv4",
            ports=[EndpointSlicePort(port=80), EndpointSlicePort(name="dns", protocol="UDP")],
        ),
        EndpointSlice(
            metadata=META,
            address_type="IPv4",
            ports=[
                EndpointSlicePort(name="", protocol="TCP", port=80),
                EndpointSlicePort(name="dns", protocol="UDP"),
            ],
        ),
        id="endpoint-slice-port-name-and-protocol",
    ),
    # PersistentVolume and PersistentVolumeClaim
    pytest.param(
        PersistentVolume(
            metadata=NS_META, spec=PersistentVolumeSpec(capacity=STORAGE, host_path=HOST_PATH)
        ),
        PersistentVolume(
            metadata=NS_META,
            spec=PersistentVolumeSpec(
                capacity=STORAGE,
                host_path=HostPathVolumeSource(path="/data", type=""),
                persistent_volume_reclaim_policy="Retain",
                volume_mode="Filesystem",
            ),
            status=PersistentVolumeStatus(phase="Pending"),
        ),
        id="pv",
    ),
    pytest.param(
        PersistentVolume(
            metadata=NS_META,
            spec=PersistentVolumeSpec(
                nfs=NFS, persistent_volume_reclaim_policy="Delete", volume_mode="Block"
            ),
            status=PersistentVolumeStatus(phase="Bound"),
        ),
        PersistentVolume(
            metadata=NS_META,
            spec=PersistentVolumeSpec(
                nfs=NFS, persistent_volume_reclaim_policy="Delete", volume_mode="Block"
            ),
            status=PersistentVolumeStatus(phase="Bound"),
        ),
        id="pv-settings-kept",
    ),
    pytest.param(
        PersistentVolumeClaim(metadata=META),
        PersistentVolumeClaim(
            metadata=META,
            spec=PersistentVolumeClaimSpec(volume_mode="Filesystem"),
            status=PersistentVolumeClaimStatus(phase="Pending"),
        ),
        id="pvc",
    ),
    # HorizontalPodAutoscaler
    pytest.param(hpa(), hpa(min_replicas=1, metrics=[CPU_80]), id="hpa-minimal"),
    pytest.param(
        hpa(min_replicas=2, metrics=[CPU_50]),
        hpa(min_replicas=2, metrics=[CPU_50]),
        id="hpa-settings-kept",
    ),
    pytest.param(
        hpa(behavior=HorizontalPodAutoscalerBehavior()),
        hpa(
            min_replicas=1,
            metrics=[CPU_80],
            behavior=HorizontalPodAutoscalerBehavior(scale_up=SCALE_UP, scale_down=SCALE_DOWN),
        ),
        id="hpa-empty-behavior-filled",
    ),
    pytest.param(
        hpa(
            behavior=HorizontalPodAutoscalerBehavior(
                scale_up=HPAScalingRules(stabilization_window_seconds=60),
                scale_down=HPAScalingRules(
                    select_policy="Min",
                    policies=[POD_POLICY],
                    tolerance=parse_quantity("50m"),
                ),
            )
        ),
        hpa(
            min_replicas=1,
            metrics=[CPU_80],
            behavior=HorizontalPodAutoscalerBehavior(
                scale_up=HPAScalingRules(
                    stabilization_window_seconds=60,
                    select_policy="Max",
                    policies=SCALE_UP.policies,
                ),
                scale_down=HPAScalingRules(
                    select_policy="Min",
                    policies=[POD_POLICY],
                    tolerance=parse_quantity("50m"),
                ),
            ),
        ),
        id="hpa-behavior-parts-filled",
    ),
    # Kinds without defaults
    pytest.param(
        Lease(metadata=META, spec=LeaseSpec(holder_identity="a")),
        Lease(metadata=META, spec=LeaseSpec(holder_identity="a")),
        id="lease-unchanged",
    ),
    pytest.param(
        Event(metadata=META, involved_object=ObjectReference(kind="Pod", name="web")),
        Event(metadata=META, involved_object=ObjectReference(kind="Pod", name="web")),
        id="event-unchanged",
    ),
]


@pytest.mark.parametrize(("given", "expected"), OTHER_CASES)
def test_defaults(given, expected):
    assert default_object(given) == expected


def test_hpa_without_behavior_keeps_none():
    # Upstream defaults a behavior only when one is given: no behavior means the controller's
    # built-in limits, which differ from the behavior defaults.
    assert default_object(hpa()).spec.behavior is None


def test_scale_down_stabilization_is_left_to_the_controller():
    rules = _default_core.scale_down_rules(None)
    assert rules.stabilization_window_seconds is None
    assert rules == _default_core.DEFAULT_SCALE_DOWN_RULES


@pytest.mark.parametrize(("given", "_"), SERVICE_CASES + OTHER_CASES)
def test_defaulting_a_defaulted_object_changes_nothing(given, _):
    once = default_object(given)
    assert default_object(once) == once


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(KINDS).flatmap(objects))
def test_defaulting_is_idempotent_and_never_crashes(obj):
    once = default_object(obj)
    assert type(once) is type(obj)
    assert default_object(once) == once
