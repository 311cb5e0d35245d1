"""Validation of the core/v1 kinds other than Pod, and of HPA, EndpointSlice and Lease.

Ports of ``pkg/apis/core/validation``, ``pkg/apis/autoscaling/validation``,
``pkg/apis/discovery/validation`` and ``pkg/apis/coordination/validation`` (Kubernetes v1.34),
run on *defaulted* objects as the API server does. Paths are wire paths
(``spec.ports[0].port``); where upstream reports a path that is not where the field lives
(``metadata.taints``, ``spec.resources[storage]``, ``spec.LoadBalancerSourceRanges``), the real
path is used instead. Checks that depend on what the server allocates (clusterIPs copied from
clusterIP, the health-check node port, node port ranges) are the server's, not these.
"""

from __future__ import annotations

import ipaddress
import posixpath
import re
from collections.abc import Iterable, Sequence

from kube_actors.api import names
from kube_actors.api._default_core import externally_accessible
from kube_actors.api._paths import join
from kube_actors.api._validate_pod import PROTOCOLS, TAINT_EFFECTS, validate_resource_list
from kube_actors.api.autoscaling import (
    CrossVersionObjectReference,
    HorizontalPodAutoscaler,
    HPAScalingRules,
    MetricIdentifier,
    MetricSpec,
    MetricTarget,
)
from kube_actors.api.coordination import Lease
from kube_actors.api.core import (
    ConfigMap,
    EndpointAddress,
    EndpointPort,
    Endpoints,
    Event,
    Namespace,
    Node,
    PersistentVolume,
    PersistentVolumeClaim,
    Secret,
    Service,
    ServicePort,
    ServiceSpec,
    Taint,
    TypedLocalObjectReference,
    TypedObjectReference,
)
from kube_actors.api.discovery import EndpointSlice
from kube_actors.api.pod import ResourceList
from kube_actors.api.quantity import Quantity
from kube_actors.api.validation import (
    ErrorType,
    FieldError,
    check_enum,
    check_label_selector,
    check_labels,
    check_name,
    check_non_negative,
    check_port,
    check_port_number,
    check_positive,
    duplicate,
    forbidden,
    invalid,
    not_supported,
    register_status_validator,
    register_validator,
    required,
)

__all__ = [
    "ACCESS_MODES",
    "MAX_CONFIG_SIZE",
    "PROTOCOLS",
    "SERVICE_TYPES",
    "validate_config_map",
    "validate_endpoint_slice",
    "validate_endpoints",
    "validate_event",
    "validate_horizontal_pod_autoscaler",
    "validate_lease",
    "validate_namespace",
    "validate_node",
    "validate_persistent_volume",
    "validate_persistent_volume_claim",
    "validate_secret",
    "validate_service",
]

SERVICE_TYPES = ("ClusterIP", "NodePort", "LoadBalancer", "ExternalName")
SESSION_AFFINITIES = ("None", "ClientIP")
TRAFFIC_POLICIES = ("Cluster", "Local")
TRAFFIC_DISTRIBUTIONS = ("PreferClose", "PreferSameZone", "PreferSameNode")
IP_FAMILIES = ("IPv4", "IPv6")
IP_FAMILY_POLICIES = ("SingleStack", "PreferDualStack", "RequireDualStack")
ACCESS_MODES = ("ReadWriteOnce", "ReadOnlyMany", "ReadWriteMany", "ReadWriteOncePod")
RECLAIM_POLICIES = ("Retain", "Recycle", "Delete")
VOLUME_MODES = ("Filesystem", "Block")
HOST_PATH_TYPES = (
    "",
    "DirectoryOrCreate",
    "Directory",
    "FileOrCreate",
    "File",
    "Socket",
    "CharDevice",
    "BlockDevice",
)
ADDRESS_TYPES = ("IPv4", "IPv6", "FQDN")
EVENT_TYPES = ("Normal", "Warning")
METRIC_SOURCE_TYPES = ("Object", "Pods", "Resource", "ContainerResource", "External")
METRIC_TARGET_TYPES = ("Utilization", "Value", "AverageValue")
SCALING_POLICY_TYPES = ("Pods", "Percent")
SELECT_POLICIES = ("Max", "Min", "Disabled")
LEASE_STRATEGIES = ("OldestEmulationVersion",)

#: Largest ConfigMap or Secret payload, in bytes (upstream ``MaxSecretSize``): what etcd and
#: the kubelet are sized for.
MAX_CONFIG_SIZE = 1024 * 1024
_MAX_AFFINITY_TIMEOUT = 86400  # one day
_MAX_ENDPOINTS_PER_SLICE = 1000
_MAX_PORTS_PER_SLICE = 100
_MAX_ADDRESSES_PER_ENDPOINT = 100
_MAX_TOPOLOGY_LABELS = 16
_MAX_HPA_PERIOD_SECONDS = 1800
_MAX_HPA_STABILIZATION_SECONDS = 3600
_EVENT_REASON_MAX = 128
_EVENT_MESSAGE_MAX = 1024
_EVENT_REPORTING_MAX = 128
# Finalizer names without a domain prefix must be one of these (upstream IsStandardFinalizerName).
_STANDARD_FINALIZERS = ("kubernetes", "orphan", "foregroundDeletion")
# Resources counted in whole units (upstream IsIntegerResourceName, the part nodes report).
_INTEGER_RESOURCES = ("pods",)
_SERVICE_ACCOUNT_NAME_KEY = "kubernetes.io/service-account.name"
_IP_FORMAT = "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)"
_CIDR_FORMAT = "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)"
# Go's legacy ("sloppy") IPv4 parser also accepts octets with leading zeros, as decimal.
_SLOPPY_IPV4 = re.compile(r"([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})")

_IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


# --- shared helpers ---------------------------------------------------------------------------


def _too_many(path: str, actual: int, limit: int) -> FieldError:
    return FieldError(ErrorType.TOO_MANY, path, actual, f"must have at most {limit} items")


def _too_long(path: str, limit: int) -> FieldError:
    # Same wording as the annotation size limit in validation.py.
    return FieldError(ErrorType.TOO_LONG, path, detail=f"must have at most {limit} bytes")


def _qualified_names(path: str, value: str | None) -> list[FieldError]:
    return [] if value is None else check_name(path, value, names.is_qualified_name)


def _parse_ip(text: str) -> _IPAddress | None:
    """An IP address the way Go's ``ParseIPSloppy`` reads it, or None."""
    if "%" in text:  # Python accepts IPv6 zones ("fe80::1%eth0"); Go does not
        return None
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        pass
    match = _SLOPPY_IPV4.fullmatch(text)
    if match is None or any(int(octet) > 255 for octet in match.groups()):
        return None
    return ipaddress.IPv4Address(".".join(str(int(octet)) for octet in match.groups()))


def _is_cidr(text: str) -> bool:
    address, slash, prefix = text.partition("/")
    # Go wants a decimal prefix length; Python would also take a netmask ("/255.0.0.0").
    if not slash or not prefix.isascii() or not prefix.isdigit():
        return False
    ip = _parse_ip(address)
    return ip is not None and int(prefix) <= ip.max_prefixlen


def _cidr_version(text: str) -> int:
    ip = _parse_ip(text.partition("/")[0])
    return 0 if ip is None else ip.version


def _special_ip(path: str, text: str, ip: _IPAddress) -> list[FieldError]:
    """Addresses no endpoint or external IP may use (upstream ``ValidateNonSpecialIP``)."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped  # Go treats ::ffff:a.b.c.d as the IPv4 address
    errors: list[FieldError] = []
    if ip.is_unspecified:
        errors.append(invalid(path, text, f"may not be unspecified ({text})"))
    if ip.is_loopback:
        errors.append(
            invalid(path, text, "may not be in the loopback range (127.0.0.0/8, ::1/128)")
        )
    if ip.is_link_local:
        errors.append(
            invalid(path, text, "may not be in the link-local range (169.254.0.0/16, fe80::/10)")
        )
    packed = ip.packed
    if (
        packed[:3] == b"\xe0\x00\x00"
        if ip.version == 4
        else packed[0] == 0xFF and packed[1] & 0x0F == 0x02
    ):
        errors.append(
            invalid(
                path,
                text,
                "may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)",
            )
        )
    return errors


def _endpoint_ip(path: str, text: str) -> list[FieldError]:
    """A routable IP address: what Endpoints addresses and external IPs must be."""
    if not text:
        return [required(path)]
    ip = _parse_ip(text)
    if ip is None:
        return [invalid(path, text, _IP_FORMAT)]
    return _special_ip(path, text, ip)


def _dns_label(path: str, value: str) -> list[FieldError]:
    return check_name(path, value, names.is_dns1123_label)


def _optional_subdomain(path: str, value: str | None) -> list[FieldError]:
    return check_name(path, value, names.is_dns1123_subdomain) if value else []


def _path_segment_name(value: str) -> list[str]:
    """Upstream ``IsValidPathSegmentName``: the value must work as one segment of a URL path."""
    if value in (".", ".."):
        return [f"may not be '{value}'"]
    return [f"may not contain '{bad}'" for bad in ("/", "%") if bad in value]


# --- Namespace --------------------------------------------------------------------------------


def _finalizer_name(path: str, name: str) -> list[FieldError]:
    errors = check_name(path, name, names.is_qualified_name)
    if "/" not in name and name not in _STANDARD_FINALIZERS:
        errors.append(
            invalid(
                path, name, "name is neither a standard finalizer name nor is it fully qualified"
            )
        )
    return errors


@register_validator(Namespace, name_check=names.is_dns1123_label)
def validate_namespace(ns: Namespace) -> list[FieldError]:
    """Namespace finalizers are standard names (``kubernetes``) or domain-prefixed names."""
    errors: list[FieldError] = []
    for i, finalizer in enumerate(ns.spec.finalizers):
        errors += _finalizer_name(join("spec.finalizers", i), finalizer)
    return errors


# --- Node -------------------------------------------------------------------------------------


def _validate_taints(path: str, taints: Sequence[Taint]) -> list[FieldError]:
    errors: list[FieldError] = []
    seen: set[tuple[str, str]] = set()
    for i, taint in enumerate(taints):
        p = join(path, i)
        errors += check_name(join(p, "key"), taint.key, names.is_qualified_name)
        value_errors = names.is_valid_label_value(taint.value)
        if value_errors:
            # Upstream reports all the value's problems as one error.
            errors.append(invalid(join(p, "value"), taint.value, ";".join(value_errors)))
        errors += check_enum(join(p, "effect"), taint.effect, TAINT_EFFECTS)
        if (taint.key, taint.effect) in seen:
            errors.append(
                FieldError(
                    ErrorType.DUPLICATE,
                    p,
                    f"{taint.key}={taint.value}:{taint.effect}",
                    "taints must be unique by key and effect pair",
                )
            )
        seen.add((taint.key, taint.effect))
    return errors


def _is_integer_resource(name: str) -> bool:
    # Extended resources (example.com/gpu) are whole devices; native ones are listed.
    if "/" in name and "kubernetes.io/" not in name and not name.startswith("requests."):
        return True
    return name in _INTEGER_RESOURCES


def _validate_node_resources(path: str, resources: ResourceList) -> list[FieldError]:
    errors = validate_resource_list(path, resources)
    for name, quantity in resources.items():
        if _is_integer_resource(name) and quantity.nanos % 10**9:
            errors.append(invalid(join(path, name), str(quantity), "must be an integer"))
    return errors


def _validate_pod_cidrs(node: Node) -> list[FieldError]:
    errors: list[FieldError] = []
    if node.spec.pod_cidr and not _is_cidr(node.spec.pod_cidr):
        errors.append(invalid("spec.podCIDR", node.spec.pod_cidr, "must be valid CIDR"))
    cidrs = node.spec.pod_cidrs
    valid = True
    for i, cidr in enumerate(cidrs):
        if not _is_cidr(cidr):
            valid = False
            errors.append(invalid(join("spec.podCIDRs", i), cidr, "must be valid CIDR"))
    if len(cidrs) > 1:
        if valid and (len(cidrs) > 2 or len({_cidr_version(c) for c in cidrs}) != 2):
            errors.append(
                invalid(
                    "spec.podCIDRs", cidrs, "may specify no more than one CIDR for each IP family"
                )
            )
        seen: set[str] = set()
        for i, cidr in enumerate(cidrs):
            if cidr in seen:
                errors.append(duplicate(join("spec.podCIDRs", i), cidr))
            seen.add(cidr)
    return errors


@register_validator(Node)
def validate_node(node: Node) -> list[FieldError]:
    """Taints, pod CIDRs, and non-negative capacity and allocatable resources."""
    errors = _validate_taints("spec.taints", node.spec.taints)
    errors += _validate_pod_cidrs(node)
    errors += validate_node_status(node)
    return errors


@register_status_validator(Node)
def validate_node_status(node: Node) -> list[FieldError]:
    """Non-negative capacity and allocatable resources."""
    errors = _validate_node_resources("status.capacity", node.status.capacity)
    errors += _validate_node_resources("status.allocatable", node.status.allocatable)
    return errors


# --- Service ----------------------------------------------------------------------------------


def _is_headless(spec: ServiceSpec) -> bool:
    # Upstream looks at clusterIPs, which its strategy copies from clusterIP before validating;
    # here either spelling counts.
    return spec.cluster_ip == "None" or spec.cluster_ips == ("None",)


def _cluster_ip_path(spec: ServiceSpec) -> str:
    return "spec.clusterIPs[0]" if spec.cluster_ips else "spec.clusterIP"


def _validate_service_port(
    path: str, port: ServicePort, *, require_name: bool, seen: set[str]
) -> list[FieldError]:
    errors: list[FieldError] = []
    name_path = join(path, "name")
    if not port.name:
        if require_name:
            errors.append(required(name_path))
    else:
        # Service port names are DNS labels (not IANA service names like container ports).
        errors += _dns_label(name_path, port.name)
        if port.name in seen:
            errors.append(duplicate(name_path, port.name))
        seen.add(port.name)
    errors += check_port_number(join(path, "port"), port.port)
    errors += check_enum(join(path, "protocol"), port.protocol, PROTOCOLS)
    if port.target_port is not None:  # None only before defaulting
        errors += check_port(join(path, "targetPort"), port.target_port)
    if port.node_port:
        errors += check_port_number(join(path, "nodePort"), port.node_port)
    errors += _qualified_names(join(path, "appProtocol"), port.app_protocol)
    return errors


def _validate_service_ports(spec: ServiceSpec) -> list[FieldError]:
    errors: list[FieldError] = []
    names_seen: set[str] = set()
    ports_seen: set[tuple[str, int]] = set()
    node_ports_seen: set[tuple[str, int]] = set()
    require_name = len(spec.ports) > 1
    for i, port in enumerate(spec.ports):
        p = join("spec.ports", i)
        errors += _validate_service_port(p, port, require_name=require_name, seen=names_seen)
        if port.node_port and spec.type in ("ClusterIP", "ExternalName"):
            # Node ports exist only on NodePort and LoadBalancer services.
            errors.append(
                forbidden(join(p, "nodePort"), f"may not be used when `type` is '{spec.type}'")
            )
        if port.node_port:
            if (port.protocol, port.node_port) in node_ports_seen:
                errors.append(duplicate(join(p, "nodePort"), port.node_port))
            node_ports_seen.add((port.protocol, port.node_port))
        if (port.protocol, port.port) in ports_seen:
            errors.append(duplicate(p, f"{port.port}/{port.protocol}"))
        ports_seen.add((port.protocol, port.port))
    return errors


def _validate_service_type(spec: ServiceSpec) -> list[FieldError]:
    errors = check_enum("spec.type", spec.type, SERVICE_TYPES)
    headless = _is_headless(spec)
    if spec.type in ("NodePort", "LoadBalancer") and headless:
        errors.append(
            invalid(
                _cluster_ip_path(spec), "None", f"may not be set to 'None' for {spec.type} services"
            )
        )
    elif spec.type == "ExternalName":
        for field, is_set in (
            ("clusterIP", bool(spec.cluster_ip)),
            ("clusterIPs", bool(spec.cluster_ips)),
            ("ipFamilies", bool(spec.ip_families)),
            ("ipFamilyPolicy", spec.ip_family_policy is not None),
        ):
            if is_set:
                errors.append(
                    forbidden(join("spec", field), "may not be set for ExternalName services")
                )
        # The CNAME may end in a dot to mark it fully qualified.
        cname = spec.external_name.removesuffix(".")
        if cname:
            errors += check_name("spec.externalName", cname, names.is_dns1123_subdomain)
        else:
            errors.append(required("spec.externalName"))
    if not spec.ports and not headless and spec.type != "ExternalName":
        errors.append(required("spec.ports"))
    return errors


def _validate_session_affinity(spec: ServiceSpec) -> list[FieldError]:
    errors = check_enum("spec.sessionAffinity", spec.session_affinity, SESSION_AFFINITIES)
    path = "spec.sessionAffinityConfig"
    config = spec.session_affinity_config
    if spec.session_affinity == "None" and config is not None:
        errors.append(forbidden(path, "must not be set when session affinity is None"))
    elif spec.session_affinity == "ClientIP":
        detail = "when session affinity type is ClientIP"
        if config is None:
            errors.append(required(path, detail))
        elif config.client_ip is None:
            errors.append(required(join(path, "clientIP"), detail))
        else:
            timeout_path = join(join(path, "clientIP"), "timeoutSeconds")
            timeout = config.client_ip.timeout_seconds
            if timeout is None:
                errors.append(required(timeout_path, detail))
            elif not 0 < timeout <= _MAX_AFFINITY_TIMEOUT:
                errors.append(
                    invalid(
                        timeout_path,
                        timeout,
                        f"must be greater than 0 and less than {_MAX_AFFINITY_TIMEOUT}",
                    )
                )
    return errors


def _validate_cluster_ips(spec: ServiceSpec) -> list[FieldError]:
    """clusterIP, clusterIPs and the IP families (ExternalName services have none of them)."""
    if spec.type == "ExternalName":
        return []
    errors: list[FieldError] = []
    if spec.cluster_ip and spec.cluster_ip != "None" and _parse_ip(spec.cluster_ip) is None:
        errors.append(invalid("spec.clusterIP", spec.cluster_ip, _IP_FORMAT))
    ips = spec.cluster_ips
    if ips and spec.cluster_ip and ips[0] != spec.cluster_ip:
        errors.append(invalid("spec.clusterIPs", ips, "first value must match `clusterIP`"))
    parsed: list[_IPAddress] = []
    for i, ip in enumerate(ips):
        if ip == "None" and i == 0:
            if len(ips) > 1:
                errors.append(
                    invalid("spec.clusterIPs", ips, "'None' must be the first and only value")
                )
            continue
        address = _parse_ip(ip)
        if address is None:
            errors.append(invalid(join("spec.clusterIPs", i), ip, _IP_FORMAT))
        else:
            parsed.append(address)
    if len(ips) > 2:
        errors.append(invalid("spec.clusterIPs", ips, "may only hold up to 2 values"))
    elif len(parsed) == 2 == len(ips) and parsed[0].version == parsed[1].version:
        errors.append(
            invalid("spec.clusterIPs", ips, "may specify no more than one IP for each IP family")
        )
    families_seen: set[str] = set()
    for i, family in enumerate(spec.ip_families):
        p = join("spec.ipFamilies", i)
        errors += check_enum(p, family, IP_FAMILIES)
        if family in families_seen:
            errors.append(duplicate(p, family))
        families_seen.add(family)
    if spec.ip_family_policy is not None:
        errors += check_enum("spec.ipFamilyPolicy", spec.ip_family_policy, IP_FAMILY_POLICIES)
    if len(parsed) == len(ips) and not _is_headless(spec):
        for i, (address, family) in enumerate(zip(parsed, spec.ip_families, strict=False)):
            expected = {"IPv4": 4, "IPv6": 6}.get(family)
            if expected is not None and address.version != expected:
                errors.append(
                    invalid(
                        join("spec.clusterIPs", i),
                        ips[i],
                        f"expected an {family} value as indicated by `ipFamilies[{i}]`",
                    )
                )
    return errors


def _validate_traffic_policies(spec: ServiceSpec) -> list[FieldError]:
    errors: list[FieldError] = []
    external = spec.external_traffic_policy
    if not externally_accessible(spec):
        if external:
            errors.append(
                invalid(
                    "spec.externalTrafficPolicy",
                    external,
                    "may only be set for externally-accessible services",
                )
            )
    else:
        errors += check_enum("spec.externalTrafficPolicy", external, TRAFFIC_POLICIES)
    if spec.health_check_node_port:
        # Only LoadBalancer services with Local traffic are health-checked by the cloud; the
        # server allocates the port for them, so a missing one is not an error here.
        if spec.type != "LoadBalancer" or external != "Local":
            errors.append(
                invalid(
                    "spec.healthCheckNodePort",
                    spec.health_check_node_port,
                    "may only be set when `type` is 'LoadBalancer' and "
                    "`externalTrafficPolicy` is 'Local'",
                )
            )
        else:
            errors += check_port_number("spec.healthCheckNodePort", spec.health_check_node_port)
    internal = spec.internal_traffic_policy
    if internal is None:
        if spec.type in ("ClusterIP", "NodePort", "LoadBalancer"):
            errors.append(required("spec.internalTrafficPolicy"))
    else:
        errors += check_enum("spec.internalTrafficPolicy", internal, TRAFFIC_POLICIES)
    if spec.traffic_distribution is not None:
        errors += check_enum(
            "spec.trafficDistribution", spec.traffic_distribution, TRAFFIC_DISTRIBUTIONS
        )
    return errors


def _validate_load_balancer_fields(spec: ServiceSpec) -> list[FieldError]:
    errors: list[FieldError] = []
    is_lb = spec.type == "LoadBalancer"
    only_lb = "may only be used when `type` is 'LoadBalancer'"
    if spec.load_balancer_source_ranges and not is_lb:
        errors.append(forbidden("spec.loadBalancerSourceRanges", only_lb))
    for i, cidr in enumerate(spec.load_balancer_source_ranges):
        if not _is_cidr(cidr.strip()):
            errors.append(invalid(join("spec.loadBalancerSourceRanges", i), cidr, _CIDR_FORMAT))
    if spec.allocate_load_balancer_node_ports is None:
        if is_lb:
            errors.append(required("spec.allocateLoadBalancerNodePorts"))
    elif not is_lb:
        errors.append(forbidden("spec.allocateLoadBalancerNodePorts", only_lb))
    if spec.load_balancer_class is not None:
        if is_lb:
            errors += _qualified_names("spec.loadBalancerClass", spec.load_balancer_class)
        else:
            errors.append(forbidden("spec.loadBalancerClass", only_lb))
    return errors


@register_validator(Service, name_check=names.is_dns1035_label)
def validate_service(svc: Service) -> list[FieldError]:
    """Type, ports, selector, session affinity, cluster IPs, traffic policies, LB fields."""
    spec = svc.spec
    errors = _validate_service_type(spec)
    errors += _validate_service_ports(spec)
    errors += check_labels("spec.selector", spec.selector)
    errors += _validate_session_affinity(spec)
    errors += _validate_cluster_ips(spec)
    for i, ip in enumerate(spec.external_ips):
        errors += _endpoint_ip(join("spec.externalIPs", i), ip)
    errors += _validate_traffic_policies(spec)
    errors += _validate_load_balancer_fields(spec)
    return errors


# --- Endpoints --------------------------------------------------------------------------------


def _validate_endpoint_address(path: str, address: EndpointAddress) -> list[FieldError]:
    errors = _endpoint_ip(join(path, "ip"), address.ip)
    if address.hostname:
        errors += _dns_label(join(path, "hostname"), address.hostname)
    if address.node_name is not None:
        errors += check_name(join(path, "nodeName"), address.node_name, names.is_dns1123_subdomain)
    return errors


def _validate_endpoint_ports(path: str, ports: Sequence[EndpointPort]) -> list[FieldError]:
    errors: list[FieldError] = []
    seen: set[str] = set()
    for i, port in enumerate(ports):
        p = join(path, i)
        name_path = join(p, "name")
        if not port.name:
            if len(ports) > 1:
                errors.append(required(name_path))
        else:
            errors += _dns_label(name_path, port.name)
            # Upstream does not check this, but a consumer looks ports up by name.
            if port.name in seen:
                errors.append(duplicate(name_path, port.name))
            seen.add(port.name)
        errors += check_port_number(join(p, "port"), port.port)
        errors += check_enum(join(p, "protocol"), port.protocol, PROTOCOLS)
        errors += _qualified_names(join(p, "appProtocol"), port.app_protocol)
    return errors


@register_validator(Endpoints)
def validate_endpoints(ep: Endpoints) -> list[FieldError]:
    """Each subset has addresses with routable IPs, and valid, named ports."""
    errors: list[FieldError] = []
    for i, subset in enumerate(ep.subsets):
        p = join("subsets", i)
        if not subset.addresses and not subset.not_ready_addresses:
            errors.append(required(p, "must specify `addresses` or `notReadyAddresses`"))
        for field, addresses in (
            ("addresses", subset.addresses),
            ("notReadyAddresses", subset.not_ready_addresses),
        ):
            for j, address in enumerate(addresses):
                errors += _validate_endpoint_address(join(join(p, field), j), address)
        errors += _validate_endpoint_ports(join(p, "ports"), subset.ports)
    return errors


# --- EndpointSlice ----------------------------------------------------------------------------


def _fqdn(path: str, value: str) -> list[FieldError]:
    """Upstream ``IsFullyQualifiedDomainName``: a subdomain with at least two labels."""
    name = value.removesuffix(".")
    if not name:
        return [required(path)]
    problems = names.is_dns1123_subdomain(name)
    if problems:
        return [invalid(path, name, ",".join(problems))]
    if "." not in name:
        return [
            invalid(path, name, "should be a domain with at least two segments separated by dots")
        ]
    for label in name.split("."):
        problems = names.is_dns1123_label(label)
        if problems:
            return [invalid(path, label, ",".join(problems))]
    return []


def _slice_address(path: str, address: str, address_type: str) -> list[FieldError]:
    if address_type == "FQDN":
        return _fqdn(path, address)
    if address_type not in ("IPv4", "IPv6"):
        return []  # an unknown type is reported once, on addressType
    ip = _parse_ip(address)
    if ip is None or ip.version != (4 if address_type == "IPv4" else 6):
        return [invalid(path, address, f"must be a valid {address_type} address")]
    return _special_ip(path, address, ip)


@register_validator(EndpointSlice)
def validate_endpoint_slice(eps: EndpointSlice) -> list[FieldError]:
    """Address type, at most 1000 endpoints of 1..100 addresses each, at most 100 valid ports."""
    errors = check_enum("addressType", eps.address_type, ADDRESS_TYPES)
    if len(eps.endpoints) > _MAX_ENDPOINTS_PER_SLICE:
        # Upstream stops here: one error, not one per endpoint of an oversized slice.
        errors.append(_too_many("endpoints", len(eps.endpoints), _MAX_ENDPOINTS_PER_SLICE))
    else:
        for i, endpoint in enumerate(eps.endpoints):
            p = join("endpoints", i)
            addresses_path = join(p, "addresses")
            if not endpoint.addresses:
                errors.append(required(addresses_path, "must contain at least 1 address"))
            elif len(endpoint.addresses) > _MAX_ADDRESSES_PER_ENDPOINT:
                errors.append(
                    _too_many(addresses_path, len(endpoint.addresses), _MAX_ADDRESSES_PER_ENDPOINT)
                )
            for j, address in enumerate(endpoint.addresses):
                errors += _slice_address(join(addresses_path, j), address, eps.address_type)
            topology_path = join(p, "deprecatedTopology")
            if len(endpoint.deprecated_topology) > _MAX_TOPOLOGY_LABELS:
                errors.append(
                    _too_many(
                        topology_path, len(endpoint.deprecated_topology), _MAX_TOPOLOGY_LABELS
                    )
                )
            errors += check_labels(topology_path, endpoint.deprecated_topology)
            if endpoint.hostname is not None:
                errors += _dns_label(join(p, "hostname"), endpoint.hostname)
            if endpoint.node_name is not None:
                errors += check_name(
                    join(p, "nodeName"), endpoint.node_name, names.is_dns1123_subdomain
                )
    if len(eps.ports) > _MAX_PORTS_PER_SLICE:
        errors.append(_too_many("ports", len(eps.ports), _MAX_PORTS_PER_SLICE))
        return errors
    seen: set[str] = set()
    for i, port in enumerate(eps.ports):
        p = join("ports", i)
        name = port.name or ""
        if name:
            errors += _dns_label(join(p, "name"), name)
        # Unnamed ports count too: two of them could not be told apart.
        if name in seen:
            errors.append(duplicate(join(p, "name"), name))
        seen.add(name)
        if port.protocol is None:
            errors.append(required(join(p, "protocol")))
        else:
            errors += check_enum(join(p, "protocol"), port.protocol, PROTOCOLS)
        if port.port is not None:  # unset means "all ports"
            errors += check_port_number(join(p, "port"), port.port)
        errors += _qualified_names(join(p, "appProtocol"), port.app_protocol)
    return errors


# --- ConfigMap and Secret ---------------------------------------------------------------------


def _config_keys(path: str, keys: Iterable[str]) -> list[FieldError]:
    errors: list[FieldError] = []
    for key in keys:
        errors += check_name(join(path, key), key, names.is_config_map_key)
    return errors


def _byte_size(value: str | bytes) -> int:
    return len(value) if isinstance(value, bytes) else len(value.encode("utf-8", "surrogatepass"))


@register_validator(ConfigMap)
def validate_config_map(cm: ConfigMap) -> list[FieldError]:
    """Valid keys, no key in both data and binaryData, at most 1 MiB in all."""
    errors = _config_keys("data", cm.data)
    for key in cm.data:
        if key in cm.binary_data:
            errors.append(invalid(join("data", key), key, "duplicate of key present in binaryData"))
    errors += _config_keys("binaryData", cm.binary_data)
    size = sum(_byte_size(v) for v in cm.data.values())
    size += sum(_byte_size(v) for v in cm.binary_data.values())
    if size > MAX_CONFIG_SIZE:
        # The path is empty, as upstream: the limit is on the whole object.
        errors.append(_too_long("", MAX_CONFIG_SIZE))
    return errors


@register_validator(Secret)
def validate_secret(secret: Secret) -> list[FieldError]:
    """Valid keys, at most 1 MiB of data, a type; service-account tokens name their account."""
    errors = _config_keys("data", secret.data)
    errors += _config_keys("stringData", secret.string_data)
    # The server merges stringData into data (stringData wins) before it checks the size.
    merged: dict[str, str | bytes] = {**secret.data, **secret.string_data}
    if sum(_byte_size(v) for v in merged.values()) > MAX_CONFIG_SIZE:
        errors.append(_too_long("data", MAX_CONFIG_SIZE))
    if not secret.type:
        errors.append(required("type"))
    elif (
        secret.type == "kubernetes.io/service-account-token"
        and not secret.metadata.annotations.get(_SERVICE_ACCOUNT_NAME_KEY)
    ):
        errors.append(required(join("metadata.annotations", _SERVICE_ACCOUNT_NAME_KEY)))
    return errors


# --- Event ------------------------------------------------------------------------------------


def _max_length(path: str, value: str, limit: int) -> list[FieldError]:
    # Upstream prints an empty value: the text itself may be long.
    if len(value) > limit:
        return [invalid(path, "", f"can have at most {limit} characters")]
    return []


@register_validator(Event)
def validate_event(event: Event) -> list[FieldError]:
    """The event's namespace matches its object's; bounded reason and message; a known type.

    Events with ``eventTime`` (the events.k8s.io shape) also need reportingComponent,
    reportingInstance, action and reason, as upstream requires of them.
    """
    errors: list[FieldError] = []
    namespace = event.metadata.namespace
    involved = event.involved_object.namespace
    mismatch_path = "involvedObject.namespace"
    if event.event_time is None:
        # Events about cluster-scoped objects live in "default" (or, unset, are put there).
        allowed = ("", "default") if not involved else (involved,)
        if namespace not in allowed:
            errors.append(invalid(mismatch_path, involved, "does not match event.namespace"))
    else:
        if not involved and namespace not in ("default", "kube-system"):
            errors.append(invalid(mismatch_path, involved, "does not match event.namespace"))
        component = event.reporting_component
        if not component:
            errors.append(required("reportingComponent"))
        else:
            errors += check_name("reportingComponent", component, names.is_qualified_name)
        for field, value in (
            ("reportingInstance", event.reporting_instance),
            ("action", event.action),
            ("reason", event.reason),
        ):
            if not value:
                errors.append(required(field))
        errors += _max_length("reportingInstance", event.reporting_instance, _EVENT_REPORTING_MAX)
        errors += _max_length("action", event.action, _EVENT_REPORTING_MAX)
    errors += _max_length("reason", event.reason, _EVENT_REASON_MAX)
    errors += _max_length("message", event.message, _EVENT_MESSAGE_MAX)
    errors += check_enum("type", event.type, EVENT_TYPES, allow_empty=True)
    return errors


# --- PersistentVolume and PersistentVolumeClaim -----------------------------------------------


def _validate_access_modes(path: str, modes: Sequence[str], detail: str = "") -> list[FieldError]:
    if not modes:
        return [required(path, detail)]
    errors = [not_supported(path, mode, ACCESS_MODES) for mode in modes if mode not in ACCESS_MODES]
    known = [mode for mode in modes if mode in ACCESS_MODES]
    # ReadWriteOncePod promises one pod; combining it with wider modes promises nothing.
    if "ReadWriteOncePod" in known and any(mode != "ReadWriteOncePod" for mode in known):
        errors.append(forbidden(path, "may not use ReadWriteOncePod with other access modes"))
    return errors


def _positive_quantity(path: str, quantity: Quantity) -> list[FieldError]:
    if quantity.nanos <= 0:
        return [invalid(path, str(quantity), "must be greater than zero")]
    return []


def _no_backsteps(path: str, value: str) -> list[FieldError]:
    if ".." in value.replace("\\", "/").split("/"):
        return [invalid(path, value, "must not contain '..'")]
    return []


def _is_root(path: str) -> bool:
    # Go's path.Clean folds "//" and "/.." to "/"; posixpath keeps a leading "//", so strip.
    return path.startswith("/") and posixpath.normpath(path).strip("/") == ""


def _validate_pv_source(pv: PersistentVolume) -> list[FieldError]:
    spec = pv.spec
    errors: list[FieldError] = []
    sources = [
        (field, source)
        for field, source in (
            ("hostPath", spec.host_path),
            ("nfs", spec.nfs),
            ("local", spec.local),
        )
        if source is not None
    ]
    if not sources:
        return [required("spec", "must specify a volume type")]
    for field, _ in sources[1:]:
        errors.append(forbidden(join("spec", field), "may not specify more than 1 volume type"))
    if spec.host_path is not None:
        path = "spec.hostPath.path"
        host_path = spec.host_path
        errors += _no_backsteps(path, host_path.path) if host_path.path else [required(path)]
        if host_path.type is not None:
            errors += check_enum(
                "spec.hostPath.type", host_path.type, HOST_PATH_TYPES, allow_empty=True
            )
    if spec.nfs is not None:
        if not spec.nfs.server:
            errors.append(required("spec.nfs.server"))
        if not spec.nfs.path:
            errors.append(required("spec.nfs.path"))
        if not spec.nfs.path.startswith("/"):
            errors.append(invalid("spec.nfs.path", spec.nfs.path, "must be an absolute path"))
    if spec.local is not None:
        path = "spec.local.path"
        errors += _no_backsteps(path, spec.local.path) if spec.local.path else [required(path)]
        if spec.node_affinity is None:
            # A local disk is on one node: the scheduler must know which.
            errors.append(required("spec.nodeAffinity", "Local volume requires node affinity"))
    if (
        spec.host_path is not None
        and _is_root(spec.host_path.path)
        and spec.persistent_volume_reclaim_policy == "Recycle"
    ):
        errors.append(
            forbidden(
                "spec.persistentVolumeReclaimPolicy",
                "may not be 'recycle' for a hostPath mount of '/'",
            )
        )
    return errors


@register_validator(PersistentVolume)
def validate_persistent_volume(pv: PersistentVolume) -> list[FieldError]:
    """A storage capacity, access modes, reclaim policy, volume mode and exactly one source."""
    spec = pv.spec
    errors = _validate_access_modes("spec.accessModes", spec.access_modes)
    if not spec.capacity:
        errors.append(required("spec.capacity"))
    elif "storage" not in spec.capacity or len(spec.capacity) > 1:
        errors.append(
            not_supported(
                "spec.capacity", {k: str(v) for k, v in spec.capacity.items()}, ("storage",)
            )
        )
    for name, quantity in spec.capacity.items():
        errors += _positive_quantity(join("spec.capacity", name), quantity)
    errors += check_enum(
        "spec.persistentVolumeReclaimPolicy",
        spec.persistent_volume_reclaim_policy,
        RECLAIM_POLICIES,
        allow_empty=True,
    )
    if spec.volume_mode is not None:
        errors += check_enum("spec.volumeMode", spec.volume_mode, VOLUME_MODES)
    errors += _optional_subdomain("spec.storageClassName", spec.storage_class_name)
    if spec.node_affinity is not None:
        required_terms = spec.node_affinity.required
        if required_terms is None:
            errors.append(
                required("spec.nodeAffinity.required", "must specify required node constraints")
            )
        elif not required_terms.node_selector_terms:
            errors.append(
                required(
                    "spec.nodeAffinity.required.nodeSelectorTerms",
                    "must have at least one node selector term",
                )
            )
    errors += _validate_pv_source(pv)
    return errors


def _validate_data_source(
    path: str, ref: TypedLocalObjectReference | TypedObjectReference | None
) -> list[FieldError]:
    if ref is None:
        return []
    errors: list[FieldError] = []
    if not ref.name:
        errors.append(required(join(path, "name")))
    if not ref.kind:
        errors.append(required(join(path, "kind")))
    elif not ref.api_group and ref.kind != "PersistentVolumeClaim":
        # The core group has one kind a volume can be populated from: another claim.
        errors.append(
            invalid(
                join(path, "kind"),
                ref.kind,
                "must be 'PersistentVolumeClaim' when referencing the default apiGroup",
            )
        )
    return errors


@register_validator(PersistentVolumeClaim)
def validate_persistent_volume_claim(pvc: PersistentVolumeClaim) -> list[FieldError]:
    """Access modes, a positive storage request, a known volume mode, valid data sources."""
    spec = pvc.spec
    errors = _validate_access_modes(
        "spec.accessModes", spec.access_modes, "at least 1 access mode is required"
    )
    errors += check_label_selector("spec.selector", spec.selector)
    storage_path = "spec.resources.requests.storage"
    storage = spec.resources.requests.get("storage")
    if storage is None:
        errors.append(required(storage_path))
    else:
        errors += _positive_quantity(storage_path, storage)
    if spec.storage_class_name:
        errors += check_name(
            "spec.storageClassName", spec.storage_class_name, names.is_dns1123_subdomain
        )
    if spec.volume_mode is not None:
        errors += check_enum("spec.volumeMode", spec.volume_mode, VOLUME_MODES)
    errors += _validate_data_source("spec.dataSource", spec.data_source)
    errors += _validate_data_source("spec.dataSourceRef", spec.data_source_ref)
    return errors


# --- HorizontalPodAutoscaler ------------------------------------------------------------------


def _validate_object_ref(path: str, ref: CrossVersionObjectReference) -> list[FieldError]:
    errors: list[FieldError] = []
    for field, value in (("kind", ref.kind), ("name", ref.name)):
        p = join(path, field)
        errors += check_name(p, value, _path_segment_name) if value else [required(p)]
    return errors


def _validate_metric_identifier(path: str, metric: MetricIdentifier) -> list[FieldError]:
    p = join(path, "name")
    if not metric.name:
        return [required(p, "must specify a metric name")]
    return check_name(p, metric.name, _path_segment_name)


def _validate_metric_target(path: str, target: MetricTarget) -> list[FieldError]:
    errors: list[FieldError] = []
    type_path = join(path, "type")
    if not target.type:
        errors.append(required(type_path, "must specify a metric target type"))
    elif target.type not in METRIC_TARGET_TYPES:
        errors.append(
            invalid(type_path, target.type, "must be either Utilization, Value, or AverageValue")
        )
    for field, quantity in (("value", target.value), ("averageValue", target.average_value)):
        if quantity is not None and quantity.nanos <= 0:
            errors.append(invalid(join(path, field), str(quantity), "must be positive"))
    if target.average_utilization is not None and target.average_utilization < 1:
        errors.append(
            invalid(
                join(path, "averageUtilization"),
                target.average_utilization,
                "must be greater than 0",
            )
        )
    # The type says which number the controller compares with: it must be there.
    for target_type, field, value in (
        ("Utilization", "averageUtilization", target.average_utilization),
        ("Value", "value", target.value),
        ("AverageValue", "averageValue", target.average_value),
    ):
        if target.type == target_type and value is None:
            errors.append(
                required(join(path, field), f"must be set when `type` is '{target_type}'")
            )
    return errors


def _validate_resource_target(path: str, target: MetricTarget) -> list[FieldError]:
    """Resource metrics are compared as a utilization or an average value, never both."""
    errors: list[FieldError] = []
    if target.average_utilization is None and target.average_value is None:
        if target.type not in ("Utilization", "AverageValue"):  # else reported by type already
            errors.append(
                required(
                    join(path, "averageUtilization"),
                    "must set either a target raw value or a target utilization",
                )
            )
    elif target.average_utilization is not None and target.average_value is not None:
        errors.append(
            forbidden(
                join(path, "averageValue"),
                "may not set both a target raw value and a target utilization",
            )
        )
    return errors


def _validate_metric_source(path: str, metric: MetricSpec) -> list[FieldError]:
    """The checks of the one source a metric sets (the first, when it wrongly sets several)."""
    if metric.object is not None:
        src_path = join(path, "object")
        target_path = join(src_path, "target")
        errors = _validate_object_ref(
            join(src_path, "describedObject"), metric.object.described_object
        )
        errors += _validate_metric_identifier(join(src_path, "metric"), metric.object.metric)
        errors += _validate_metric_target(target_path, metric.object.target)
        target = metric.object.target
        if (
            target.value is None
            and target.average_value is None
            and target.type
            not in (
                "Value",
                "AverageValue",
            )
        ):
            errors.append(
                required(
                    join(target_path, "averageValue"),
                    "must set either a target value or averageValue",
                )
            )
        return errors
    if metric.external is not None:
        src_path = join(path, "external")
        target_path = join(src_path, "target")
        target = metric.external.target
        errors = _validate_metric_identifier(join(src_path, "metric"), metric.external.metric)
        errors += _validate_metric_target(target_path, target)
        if target.value is None and target.average_value is None:
            if target.type not in ("Value", "AverageValue"):
                errors.append(
                    required(
                        join(target_path, "averageValue"),
                        "must set either a target value for metric or a per-pod target",
                    )
                )
        elif target.value is not None and target.average_value is not None:
            errors.append(
                forbidden(
                    join(target_path, "value"),
                    "may not set both a target value for metric and a per-pod target",
                )
            )
        return errors
    if metric.pods is not None:
        src_path = join(path, "pods")
        target_path = join(src_path, "target")
        target = metric.pods.target
        errors = _validate_metric_identifier(join(src_path, "metric"), metric.pods.metric)
        errors += _validate_metric_target(target_path, target)
        if target.average_value is None and target.type != "AverageValue":
            errors.append(
                required(
                    join(target_path, "averageValue"), "must specify a positive target averageValue"
                )
            )
        return errors
    if metric.resource is not None:
        src_path = join(path, "resource")
        errors = []
        if not metric.resource.name:
            errors.append(required(join(src_path, "name"), "must specify a resource name"))
        errors += _validate_metric_target(join(src_path, "target"), metric.resource.target)
        errors += _validate_resource_target(join(src_path, "target"), metric.resource.target)
        return errors
    if metric.container_resource is not None:
        src = metric.container_resource
        src_path = join(path, "containerResource")
        errors = []
        if not src.name:
            errors.append(required(join(src_path, "name"), "must specify a resource name"))
        else:
            errors += check_name(join(src_path, "name"), src.name, names.is_qualified_name)
        if not src.container:
            errors.append(required(join(src_path, "container"), "must specify a container"))
        else:
            errors += _dns_label(join(src_path, "container"), src.container)
        errors += _validate_metric_target(join(src_path, "target"), src.target)
        errors += _validate_resource_target(join(src_path, "target"), src.target)
        return errors
    return []


_SOURCE_FIELDS = {
    "Object": ("object", "object"),
    "Pods": ("pods", "pods"),
    "Resource": ("resource", "resource"),
    "ContainerResource": ("container_resource", "containerResource"),
    "External": ("external", "external"),
}


def _validate_metric(path: str, metric: MetricSpec) -> list[FieldError]:
    errors: list[FieldError] = []
    type_path = join(path, "type")
    if not metric.type:
        errors.append(required(type_path, "must specify a metric source type"))
    errors += check_enum(type_path, metric.type, METRIC_SOURCE_TYPES, allow_empty=True)
    errors += _validate_metric_source(path, metric)
    present = [wire for attr, wire in _SOURCE_FIELDS.values() if getattr(metric, attr) is not None]
    expected = _SOURCE_FIELDS.get(metric.type)
    if expected is not None and expected[1] not in present:
        errors.append(
            required(
                join(path, expected[1]), "must populate information for the given metric source"
            )
        )
    if len(present) > 1:
        for wire in present:
            if expected is None or wire != expected[1]:
                errors.append(
                    forbidden(join(path, wire), "must populate the given metric source only")
                )
    return errors


def _validate_scaling_rules(path: str, rules: HPAScalingRules | None) -> list[FieldError]:
    if rules is None:
        return []
    errors: list[FieldError] = []
    window_path = join(path, "stabilizationWindowSeconds")
    window = rules.stabilization_window_seconds
    if window is not None and window < 0:
        errors.append(invalid(window_path, window, "must be greater than or equal to zero"))
    elif window is not None and window > _MAX_HPA_STABILIZATION_SECONDS:
        errors.append(
            invalid(
                window_path,
                window,
                f"must be less than or equal to {_MAX_HPA_STABILIZATION_SECONDS}",
            )
        )
    if rules.select_policy is not None:
        errors += check_enum(join(path, "selectPolicy"), rules.select_policy, SELECT_POLICIES)
    policies_path = join(path, "policies")
    if not rules.policies:
        errors.append(required(policies_path, "must specify at least one Policy"))
    for i, policy in enumerate(rules.policies):
        p = join(policies_path, i)
        if policy.type not in SCALING_POLICY_TYPES:
            errors.append(not_supported(join(p, "type"), policy.type, SCALING_POLICY_TYPES))
        if policy.value <= 0:
            errors.append(invalid(join(p, "value"), policy.value, "must be greater than zero"))
        if policy.period_seconds <= 0:
            errors.append(
                invalid(
                    join(p, "periodSeconds"), policy.period_seconds, "must be greater than zero"
                )
            )
        elif policy.period_seconds > _MAX_HPA_PERIOD_SECONDS:
            errors.append(
                invalid(
                    join(p, "periodSeconds"),
                    policy.period_seconds,
                    f"must be less than or equal to {_MAX_HPA_PERIOD_SECONDS}",
                )
            )
    if rules.tolerance is not None and rules.tolerance.nanos < 0:
        errors.append(
            invalid(
                join(path, "tolerance"), str(rules.tolerance), "must be greater than or equal to 0"
            )
        )
    return errors


@register_validator(HorizontalPodAutoscaler)
def validate_horizontal_pod_autoscaler(hpa: HorizontalPodAutoscaler) -> list[FieldError]:
    """Target reference, replica bounds, metrics with their one source, scaling behavior."""
    spec = hpa.spec
    errors: list[FieldError] = []
    if spec.min_replicas is not None and spec.min_replicas < 1:
        errors.append(
            invalid("spec.minReplicas", spec.min_replicas, "must be greater than or equal to 1")
        )
    if spec.max_replicas < 1:
        errors.append(invalid("spec.maxReplicas", spec.max_replicas, "must be greater than 0"))
    if spec.min_replicas is not None and spec.max_replicas < spec.min_replicas:
        errors.append(
            invalid(
                "spec.maxReplicas",
                spec.max_replicas,
                "must be greater than or equal to `minReplicas`",
            )
        )
    errors += _validate_object_ref("spec.scaleTargetRef", spec.scale_target_ref)
    for i, metric in enumerate(spec.metrics):
        errors += _validate_metric(join("spec.metrics", i), metric)
    if spec.behavior is not None:
        errors += _validate_scaling_rules("spec.behavior.scaleUp", spec.behavior.scale_up)
        errors += _validate_scaling_rules("spec.behavior.scaleDown", spec.behavior.scale_down)
    return errors


# --- Lease ------------------------------------------------------------------------------------


@register_validator(Lease)
def validate_lease(lease: Lease) -> list[FieldError]:
    """A positive duration, non-negative transitions, a known (or domain-prefixed) strategy."""
    spec = lease.spec
    errors = check_positive("spec.leaseDurationSeconds", spec.lease_duration_seconds)
    errors += check_non_negative("spec.leaseTransitions", spec.lease_transitions)
    if spec.strategy is not None:
        if "/" in spec.strategy:
            errors += check_name("spec.strategy", spec.strategy, names.is_qualified_name)
        elif spec.strategy not in LEASE_STRATEGIES:
            errors.append(not_supported("spec.strategy", spec.strategy, LEASE_STRATEGIES))
    if spec.preferred_holder and not spec.strategy:
        errors.append(
            forbidden("spec.preferredHolder", "may only be specified if `strategy` is defined")
        )
    return errors
