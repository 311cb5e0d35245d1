"""Defaults for the core/v1 kinds other than Pod, HPA, EndpointSlice (upstream ``SetDefaults_*``).

Ports of ``pkg/apis/core/v1/defaults.go``, ``pkg/apis/autoscaling/v2/defaults.go`` and
``pkg/apis/discovery/v1/defaults.go`` (Kubernetes v1.34). What the API server *allocates*
(cluster IPs, node ports, health-check ports, namespace finalizers) is not defaulting and is left
to the server. ConfigMap, Event and Lease have no visible defaults, so they have no defaulter.

Every defaulter is idempotent: defaulting an already-defaulted object changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence

from kube_actors.api._replace import replace as evolve
from kube_actors.api.autoscaling import (
    HorizontalPodAutoscaler,
    HPAScalingPolicy,
    HPAScalingRules,
    MetricSpec,
    MetricTarget,
    ResourceMetricSource,
)
from kube_actors.api.core import (
    ClientIPConfig,
    EndpointPort,
    Endpoints,
    EndpointSubset,
    LoadBalancerIngress,
    Namespace,
    Node,
    PersistentVolume,
    PersistentVolumeClaim,
    Secret,
    Service,
    ServicePort,
    ServiceSpec,
    SessionAffinityConfig,
)
from kube_actors.api.defaults import register_defaulter
from kube_actors.api.discovery import EndpointSlice, EndpointSlicePort

__all__ = [
    "DEFAULT_CLIENT_IP_TIMEOUT_SECONDS",
    "DEFAULT_CPU_UTILIZATION",
    "DEFAULT_SCALE_DOWN_RULES",
    "DEFAULT_SCALE_UP_RULES",
    "NAMESPACE_NAME_LABEL",
    "externally_accessible",
    "scale_down_rules",
    "scale_up_rules",
]

#: ``sessionAffinityConfig.clientIP.timeoutSeconds`` when ClientIP affinity gives none (3 hours).
DEFAULT_CLIENT_IP_TIMEOUT_SECONDS = 10800
#: The label every named namespace carries, with its own name as value (GA since v1.22).
NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name"
#: Target CPU utilization (percent of requests) of an autoscaler that names no metric.
DEFAULT_CPU_UTILIZATION = 80

#: Scale-up rules filled into a ``behavior`` that leaves them out: no stabilization, and per 15 s
#: the larger of +4 pods and +100%.
DEFAULT_SCALE_UP_RULES = HPAScalingRules(
    stabilization_window_seconds=0,
    select_policy="Max",
    policies=(
        HPAScalingPolicy(type="Pods", value=4, period_seconds=15),
        HPAScalingPolicy(type="Percent", value=100, period_seconds=15),
    ),
)
#: Scale-down rules filled into a ``behavior`` that leaves them out: up to -100% per 15 s.
#: ``stabilization_window_seconds`` stays unset, as upstream: the controller's
#: ``--horizontal-pod-autoscaler-downscale-stabilization`` (300 s by default) then applies, and
#: writing 300 here would override that flag for every autoscaler that sets a behavior.
DEFAULT_SCALE_DOWN_RULES = HPAScalingRules(
    stabilization_window_seconds=None,
    select_policy="Max",
    policies=(HPAScalingPolicy(type="Percent", value=100, period_seconds=15),),
)

_DEFAULT_METRICS = (
    MetricSpec(
        type="Resource",
        resource=ResourceMetricSource(
            name="cpu",
            target=MetricTarget(type="Utilization", average_utilization=DEFAULT_CPU_UTILIZATION),
        ),
    ),
)

# Service types whose ports get internalTrafficPolicy (ExternalName has no proxied ports).
_PROXIED_SERVICE_TYPES = ("ClusterIP", "NodePort", "LoadBalancer")


# --- Service ----------------------------------------------------------------------------------


def externally_accessible(spec: ServiceSpec) -> bool:
    """Whether traffic can reach the service from outside the cluster (upstream helper).

    NodePort and LoadBalancer services are, and so is a ClusterIP service with external IPs;
    only these take an ``externalTrafficPolicy``.

    >>> externally_accessible(ServiceSpec(type="NodePort"))
    True
    >>> externally_accessible(ServiceSpec(type="ClusterIP"))
    False
    """
    return spec.type in ("LoadBalancer", "NodePort") or (
        spec.type == "ClusterIP" and bool(spec.external_ips)
    )


def _default_service_port(port: ServicePort) -> ServicePort:
    # An unset targetPort (or the zero IntOrString, 0 or "") forwards to the service port.
    target = port.target_port
    if target is None or target == 0 or target == "":
        target = port.port
    if port.protocol and target == port.target_port:
        return port
    return evolve(port, protocol=port.protocol or "TCP", target_port=target)


def _default_session_affinity(spec: ServiceSpec) -> tuple[str, SessionAffinityConfig | None]:
    affinity = spec.session_affinity or "None"
    config = spec.session_affinity_config
    if affinity == "None":
        # A config without ClientIP affinity means nothing; upstream drops it.
        return affinity, None
    if affinity == "ClientIP" and (
        config is None or config.client_ip is None or config.client_ip.timeout_seconds is None
    ):
        timeout = ClientIPConfig(timeout_seconds=DEFAULT_CLIENT_IP_TIMEOUT_SECONDS)
        return affinity, SessionAffinityConfig(client_ip=timeout)
    return affinity, config


def _default_ingress(ingress: LoadBalancerIngress) -> LoadBalancerIngress:
    # An IP ingress with no mode is a VIP: traffic arrives addressed to the load balancer IP.
    if ingress.ip and ingress.ip_mode is None:
        return evolve(ingress, ip_mode="VIP")
    return ingress


@register_defaulter(Service)
def default_service(svc: Service) -> Service:
    """A Service with type ClusterIP, TCP ports, targetPort = port and the traffic policies set.

    >>> from kube_actors.api import ObjectMeta
    >>> svc = default_service(Service(metadata=ObjectMeta(name="web"),
    ...                               spec=ServiceSpec(ports=[ServicePort(port=80)])))
    >>> svc.spec.type, svc.spec.ports[0].protocol, svc.spec.ports[0].target_port
    ('ClusterIP', 'TCP', 80)
    """
    spec = svc.spec
    affinity, affinity_config = _default_session_affinity(spec)
    # The type is settled first: the policies below depend on it.
    spec = evolve(
        spec,
        type=spec.type or "ClusterIP",
        session_affinity=affinity,
        session_affinity_config=affinity_config,
        ports=tuple(_default_service_port(p) for p in spec.ports),
    )
    external_policy = spec.external_traffic_policy
    if not external_policy and externally_accessible(spec):
        external_policy = "Cluster"
    internal_policy = spec.internal_traffic_policy
    if internal_policy is None and spec.type in _PROXIED_SERVICE_TYPES:
        internal_policy = "Cluster"
    allocate_node_ports = spec.allocate_load_balancer_node_ports
    status = svc.status
    if spec.type == "LoadBalancer":
        if allocate_node_ports is None:
            allocate_node_ports = True
        ingress = tuple(_default_ingress(i) for i in status.load_balancer.ingress)
        status = evolve(status, load_balancer=evolve(status.load_balancer, ingress=ingress))
    spec = evolve(
        spec,
        external_traffic_policy=external_policy,
        internal_traffic_policy=internal_policy,
        allocate_load_balancer_node_ports=allocate_node_ports,
    )
    return evolve(svc, spec=spec, status=status)


# --- Namespace, Node, Secret --------------------------------------------------------------------


@register_defaulter(Namespace)
def default_namespace(ns: Namespace) -> Namespace:
    """A Namespace labelled ``kubernetes.io/metadata.name=<name>``, in phase Active.

    A namespace with only ``generateName`` gets no label: its name is not known yet.
    """
    meta = ns.metadata
    if meta.name and meta.labels.get(NAMESPACE_NAME_LABEL) != meta.name:
        meta = evolve(meta, labels={**meta.labels, NAMESPACE_NAME_LABEL: meta.name})
    status = ns.status if ns.status.phase else evolve(ns.status, phase="Active")
    return evolve(ns, metadata=meta, status=status)


@register_defaulter(Node)
def default_node(node: Node) -> Node:
    """A Node whose allocatable resources default to its capacity."""
    status = node.status
    # Upstream checks for a nil map; an empty mapping is the closest this model can tell.
    if status.allocatable or not status.capacity:
        return node
    return evolve(node, status=evolve(status, allocatable=status.capacity))


@register_defaulter(Secret)
def default_secret(secret: Secret) -> Secret:
    """A Secret of type ``Opaque`` unless it names another."""
    return secret if secret.type else evolve(secret, type="Opaque")


# --- Endpoints and EndpointSlice ---------------------------------------------------------------


def _default_endpoint_port(port: EndpointPort) -> EndpointPort:
    return port if port.protocol else evolve(port, protocol="TCP")


def _default_subset(subset: EndpointSubset) -> EndpointSubset:
    return evolve(subset, ports=tuple(_default_endpoint_port(p) for p in subset.ports))


@register_defaulter(Endpoints)
def default_endpoints(ep: Endpoints) -> Endpoints:
    """Endpoints whose ports default to protocol TCP."""
    return evolve(ep, subsets=tuple(_default_subset(s) for s in ep.subsets))


def _default_slice_port(port: EndpointSlicePort) -> EndpointSlicePort:
    if port.name is not None and port.protocol is not None:
        return port
    return evolve(
        port,
        name="" if port.name is None else port.name,
        protocol="TCP" if port.protocol is None else port.protocol,
    )


@register_defaulter(EndpointSlice)
def default_endpoint_slice(eps: EndpointSlice) -> EndpointSlice:
    """An EndpointSlice whose ports default to name ``""`` and protocol TCP."""
    return evolve(eps, ports=tuple(_default_slice_port(p) for p in eps.ports))


# --- storage ------------------------------------------------------------------------------------


@register_defaulter(PersistentVolume)
def default_persistent_volume(pv: PersistentVolume) -> PersistentVolume:
    """A PersistentVolume with reclaim policy Retain, volume mode Filesystem, phase Pending."""
    spec = pv.spec
    host_path = spec.host_path
    if host_path is not None and host_path.type is None:
        # Upstream SetDefaults_HostPathVolumeSource: "" means "no check before mounting".
        host_path = evolve(host_path, type="")
    spec = evolve(
        spec,
        host_path=host_path,
        persistent_volume_reclaim_policy=spec.persistent_volume_reclaim_policy or "Retain",
        volume_mode="Filesystem" if spec.volume_mode is None else spec.volume_mode,
    )
    status = pv.status if pv.status.phase else evolve(pv.status, phase="Pending")
    return evolve(pv, spec=spec, status=status)


@register_defaulter(PersistentVolumeClaim)
def default_persistent_volume_claim(pvc: PersistentVolumeClaim) -> PersistentVolumeClaim:
    """A PersistentVolumeClaim with volume mode Filesystem, in phase Pending."""
    spec = pvc.spec
    if spec.volume_mode is None:
        spec = evolve(spec, volume_mode="Filesystem")
    status = pvc.status if pvc.status.phase else evolve(pvc.status, phase="Pending")
    return evolve(pvc, spec=spec, status=status)


# --- HorizontalPodAutoscaler ------------------------------------------------------------------


def _fill_rules(rules: HPAScalingRules | None, defaults: HPAScalingRules) -> HPAScalingRules:
    # Upstream copyHPAScalingRules: each field the user set wins, the rest come from defaults.
    if rules is None:
        return defaults
    policies: Sequence[HPAScalingPolicy] = rules.policies or defaults.policies
    return evolve(
        rules,
        stabilization_window_seconds=(
            defaults.stabilization_window_seconds
            if rules.stabilization_window_seconds is None
            else rules.stabilization_window_seconds
        ),
        select_policy=defaults.select_policy
        if rules.select_policy is None
        else rules.select_policy,
        policies=tuple(policies),
    )


def scale_up_rules(rules: HPAScalingRules | None) -> HPAScalingRules:
    """``rules`` with every unset part taken from :data:`DEFAULT_SCALE_UP_RULES`.

    >>> scale_up_rules(HPAScalingRules(stabilization_window_seconds=60)).select_policy
    'Max'
    """
    return _fill_rules(rules, DEFAULT_SCALE_UP_RULES)


def scale_down_rules(rules: HPAScalingRules | None) -> HPAScalingRules:
    """``rules`` with every unset part taken from :data:`DEFAULT_SCALE_DOWN_RULES`.

    >>> [p.type for p in scale_down_rules(None).policies]
    ['Percent']
    """
    return _fill_rules(rules, DEFAULT_SCALE_DOWN_RULES)


@register_defaulter(HorizontalPodAutoscaler)
def default_horizontal_pod_autoscaler(hpa: HorizontalPodAutoscaler) -> HorizontalPodAutoscaler:
    """An autoscaler with minReplicas 1, a CPU 80% target when it names no metric, and a
    ``behavior`` (when one is given) whose missing scale-up/scale-down parts are filled in.

    An autoscaler without ``behavior`` keeps none, as upstream: the controller then applies its
    built-in scaling limits.
    """
    spec = hpa.spec
    behavior = spec.behavior
    if behavior is not None:
        behavior = evolve(
            behavior,
            scale_up=scale_up_rules(behavior.scale_up),
            scale_down=scale_down_rules(behavior.scale_down),
        )
    spec = evolve(
        spec,
        min_replicas=1 if spec.min_replicas is None else spec.min_replicas,
        metrics=spec.metrics or _DEFAULT_METRICS,
        behavior=behavior,
    )
    return evolve(hpa, spec=spec)
