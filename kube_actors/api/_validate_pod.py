"""Validation of Pod and pod templates (upstream ``ValidatePodSpec`` and friends)."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from kube_actors.api import names
from kube_actors.api._fields import wire_names
from kube_actors.api._memo import IdentityMemo
from kube_actors.api._paths import join
from kube_actors.api.pod import (
    Affinity,
    Container,
    NodeSelectorTerm,
    Pod,
    PodAffinityTerm,
    PodSpec,
    PodTemplateSpec,
    Probe,
    ResourceList,
    Toleration,
    TopologySpreadConstraint,
    Volume,
)
from kube_actors.api.validation import (
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
    register_validator,
    required,
)

RESTART_POLICIES = ("Always", "OnFailure", "Never")
DNS_POLICIES = ("ClusterFirstWithHostNet", "ClusterFirst", "Default", "None")
PULL_POLICIES = ("Always", "IfNotPresent", "Never")
PROTOCOLS = ("TCP", "UDP", "SCTP")
TAINT_EFFECTS = ("NoSchedule", "PreferNoSchedule", "NoExecute")
NODE_SELECTOR_OPERATORS = ("In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt")
_VOLUME_SOURCES = (
    "empty_dir",
    "host_path",
    "config_map",
    "secret",
    "persistent_volume_claim",
    "downward_api",
    "nfs",
)


def validate_resource_list(path: str, resources: ResourceList) -> list[FieldError]:
    """Resource names are qualified names and quantities are not negative."""
    errors: list[FieldError] = []
    for name, quantity in resources.items():
        p = join(path, name)
        errors += check_name(p, name, names.is_qualified_name)
        if quantity.nanos < 0:
            errors.append(invalid(p, str(quantity), "must be greater than or equal to 0"))
    return errors


def _validate_resources(path: str, container: Container) -> list[FieldError]:
    res = container.resources
    errors = validate_resource_list(join(path, "limits"), res.limits)
    errors += validate_resource_list(join(path, "requests"), res.requests)
    for name, request in res.requests.items():
        limit = res.limits.get(name)
        if limit is not None and request > limit:
            errors.append(
                invalid(
                    join(join(path, "requests"), name),
                    str(request),
                    f"must be less than or equal to {name} limit of {limit}",
                )
            )
    return errors


def _validate_probe(path: str, probe: Probe | None, *, liveness_like: bool) -> list[FieldError]:
    if probe is None:
        return []
    errors: list[FieldError] = []
    handlers = [h for h in ("exec", "http_get", "tcp_socket", "grpc") if getattr(probe, h)]
    if not handlers:
        errors.append(required(path, "must specify a handler type"))
    elif len(handlers) > 1:
        errors.append(forbidden(path, "may not specify more than 1 handler type"))
    for field in ("initial_delay_seconds", "timeout_seconds", "period_seconds"):
        errors += check_non_negative(join(path, wire_names(Probe)[field]), getattr(probe, field))
    errors += check_non_negative(join(path, "successThreshold"), probe.success_threshold)
    errors += check_non_negative(join(path, "failureThreshold"), probe.failure_threshold)
    if liveness_like and probe.success_threshold not in (0, 1):
        errors.append(invalid(join(path, "successThreshold"), probe.success_threshold, "must be 1"))
    if probe.http_get is not None:
        errors += check_port(join(join(path, "httpGet"), "port"), probe.http_get.port)
    if probe.tcp_socket is not None:
        errors += check_port(join(join(path, "tcpSocket"), "port"), probe.tcp_socket.port)
    return errors


def _validate_container(
    path: str, c: Container, volumes: set[str], *, init: bool
) -> list[FieldError]:
    errors = (
        check_name(join(path, "name"), c.name, names.is_dns1123_label)
        if c.name
        else [required(join(path, "name"))]
    )
    if not c.image:
        errors.append(required(join(path, "image")))
    errors += check_enum(
        join(path, "imagePullPolicy"), c.image_pull_policy, PULL_POLICIES, allow_empty=True
    )
    if c.termination_message_policy:
        errors += check_enum(
            join(path, "terminationMessagePolicy"),
            c.termination_message_policy,
            ("File", "FallbackToLogsOnError"),
        )
    if c.restart_policy is not None:
        if not init:
            errors.append(
                forbidden(join(path, "restartPolicy"), "may not be set for non-init containers")
            )
        elif c.restart_policy != "Always":
            errors.append(not_supported(join(path, "restartPolicy"), c.restart_policy, ("Always",)))
    port_names: set[str] = set()
    for i, port in enumerate(c.ports):
        p = join(join(path, "ports"), i)
        if port.name:
            errors += check_name(join(p, "name"), port.name, names.is_valid_port_name)
            if port.name in port_names:
                errors.append(duplicate(join(p, "name"), port.name))
            port_names.add(port.name)
        errors += check_port_number(join(p, "containerPort"), port.container_port)
        if port.host_port:
            errors += check_port_number(join(p, "hostPort"), port.host_port)
        errors += check_enum(join(p, "protocol"), port.protocol, PROTOCOLS, allow_empty=True)
    for i, env in enumerate(c.env):
        p = join(join(path, "env"), i)
        if not env.name:
            errors.append(required(join(p, "name")))
        else:
            errors += check_name(join(p, "name"), env.name, names.is_env_var_name)
        if env.value_from is not None:
            src = env.value_from
            count = sum(
                x is not None
                for x in (
                    src.field_ref,
                    src.resource_field_ref,
                    src.config_map_key_ref,
                    src.secret_key_ref,
                )
            )
            if env.value:
                errors.append(
                    invalid(
                        join(p, "valueFrom"), "", "may not be specified when `value` is not empty"
                    )
                )
            if count != 1:
                errors.append(
                    invalid(
                        join(p, "valueFrom"),
                        "",
                        "may not have more than one field specified at a time",
                    )
                    if count
                    else required(
                        join(p, "valueFrom"),
                        "must specify one of: `fieldRef`, `resourceFieldRef`, "
                        "`configMapKeyRef` or `secretKeyRef`",
                    )
                )
    for i, env_from in enumerate(c.env_from):
        p = join(join(path, "envFrom"), i)
        if (env_from.config_map_ref is None) == (env_from.secret_ref is None):
            errors.append(
                invalid(p, "", "must specify exactly one of: `configMapRef` or `secretRef`")
            )
    errors += _validate_resources(join(path, "resources"), c)
    mount_paths: set[str] = set()
    for i, mount in enumerate(c.volume_mounts):
        p = join(join(path, "volumeMounts"), i)
        if not mount.name:
            errors.append(required(join(p, "name")))
        elif mount.name not in volumes:
            errors.append(
                not_supported(join(p, "name"), mount.name, volumes)
                if volumes
                else invalid(join(p, "name"), mount.name, "volume not found")
            )
        if not mount.mount_path:
            errors.append(required(join(p, "mountPath")))
        elif mount.mount_path in mount_paths:
            errors.append(invalid(join(p, "mountPath"), mount.mount_path, "must be unique"))
        mount_paths.add(mount.mount_path)
    if init and c.restart_policy != "Always":
        for probe_field in ("liveness_probe", "readiness_probe", "startup_probe"):
            if getattr(c, probe_field) is not None:
                errors.append(
                    forbidden(
                        join(path, wire_names(Container)[probe_field]),
                        "may not be set for init containers",
                    )
                )
    else:
        errors += _validate_probe(join(path, "livenessProbe"), c.liveness_probe, liveness_like=True)
        errors += _validate_probe(
            join(path, "readinessProbe"), c.readiness_probe, liveness_like=False
        )
        errors += _validate_probe(join(path, "startupProbe"), c.startup_probe, liveness_like=True)
    return errors


def _validate_volumes(path: str, volumes: Sequence[Volume]) -> list[FieldError]:
    errors: list[FieldError] = []
    seen: set[str] = set()
    for i, vol in enumerate(volumes):
        p = join(path, i)
        if not vol.name:
            errors.append(required(join(p, "name")))
        else:
            errors += check_name(join(p, "name"), vol.name, names.is_dns1123_label)
            if vol.name in seen:
                errors.append(duplicate(join(p, "name"), vol.name))
            seen.add(vol.name)
        sources = [s for s in _VOLUME_SOURCES if getattr(vol, s) is not None]
        if not sources:
            errors.append(required(p, "must specify a volume type"))
        elif len(sources) > 1:
            errors.append(
                forbidden(
                    join(p, wire_names(Volume)[sources[1]]),
                    "may not specify more than 1 volume type",
                )
            )
        if vol.persistent_volume_claim is not None and not vol.persistent_volume_claim.claim_name:
            errors.append(required(join(join(p, "persistentVolumeClaim"), "claimName")))
    return errors


def _validate_node_selector_term(path: str, term: NodeSelectorTerm) -> list[FieldError]:
    errors: list[FieldError] = []
    for field, reqs in (
        ("matchExpressions", term.match_expressions),
        ("matchFields", term.match_fields),
    ):
        for i, req in enumerate(reqs):
            p = join(join(path, field), i)
            if field == "matchExpressions":
                errors += check_name(join(p, "key"), req.key, names.is_qualified_name)
            elif req.key != "metadata.name":
                errors.append(not_supported(join(p, "key"), req.key, ("metadata.name",)))
            vp = join(p, "values")
            if req.operator in ("In", "NotIn"):
                if not req.values:
                    errors.append(
                        required(vp, "must be specified when `operator` is 'In' or 'NotIn'")
                    )
            elif req.operator in ("Exists", "DoesNotExist"):
                if req.values:
                    errors.append(
                        forbidden(
                            vp, "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"
                        )
                    )
            elif req.operator in ("Gt", "Lt"):
                if len(req.values) != 1:
                    errors.append(
                        required(
                            vp, "must be specified single value when `operator` is 'Lt' or 'Gt'"
                        )
                    )
                elif not _is_int(req.values[0]):
                    errors.append(invalid(join(vp, 0), req.values[0], "must be an integer"))
            else:
                errors.append(
                    not_supported(join(p, "operator"), req.operator, NODE_SELECTOR_OPERATORS)
                )
    return errors


def _is_int(text: str) -> bool:
    try:
        int(text)
    except ValueError:
        return False
    return True


def _validate_weight(path: str, weight: int) -> list[FieldError]:
    if not 1 <= weight <= 100:
        return [invalid(path, weight, "must be in the range 1-100")]
    return []


def _validate_pod_affinity_term(path: str, term: PodAffinityTerm) -> list[FieldError]:
    errors = check_label_selector(join(path, "labelSelector"), term.label_selector)
    errors += check_label_selector(join(path, "namespaceSelector"), term.namespace_selector)
    for i, ns in enumerate(term.namespaces):
        errors += check_name(join(join(path, "namespaces"), i), ns, names.is_dns1123_label)
    if not term.topology_key:
        errors.append(required(join(path, "topologyKey"), "can not be empty"))
    else:
        errors += check_name(join(path, "topologyKey"), term.topology_key, names.is_qualified_name)
    return errors


def _validate_affinity(path: str, affinity: Affinity | None) -> list[FieldError]:
    if affinity is None:
        return []
    errors: list[FieldError] = []
    na = affinity.node_affinity
    if na is not None:
        p = join(path, "nodeAffinity")
        req = na.required_during_scheduling_ignored_during_execution
        if req is not None:
            rp = join(
                join(p, "requiredDuringSchedulingIgnoredDuringExecution"), "nodeSelectorTerms"
            )
            if not req.node_selector_terms:
                errors.append(required(rp, "must have at least one node selector term"))
            for i, term in enumerate(req.node_selector_terms):
                errors += _validate_node_selector_term(join(rp, i), term)
        for i, pref in enumerate(na.preferred_during_scheduling_ignored_during_execution):
            pp = join(join(p, "preferredDuringSchedulingIgnoredDuringExecution"), i)
            errors += _validate_weight(join(pp, "weight"), pref.weight)
            errors += _validate_node_selector_term(join(pp, "preference"), pref.preference)
    for field, pa in (
        ("podAffinity", affinity.pod_affinity),
        ("podAntiAffinity", affinity.pod_anti_affinity),
    ):
        if pa is None:
            continue
        p = join(path, field)
        for i, pod_term in enumerate(pa.required_during_scheduling_ignored_during_execution):
            errors += _validate_pod_affinity_term(
                join(join(p, "requiredDuringSchedulingIgnoredDuringExecution"), i), pod_term
            )
        for i, weighted in enumerate(pa.preferred_during_scheduling_ignored_during_execution):
            wp = join(join(p, "preferredDuringSchedulingIgnoredDuringExecution"), i)
            errors += _validate_weight(join(wp, "weight"), weighted.weight)
            errors += _validate_pod_affinity_term(
                join(wp, "podAffinityTerm"), weighted.pod_affinity_term
            )
    return errors


def validate_toleration(path: str, t: Toleration) -> list[FieldError]:
    """Operator Equal/Exists, Exists without value, a known effect, seconds only for NoExecute."""
    errors: list[FieldError] = []
    if t.key:
        errors += check_name(join(path, "key"), t.key, names.is_qualified_name)
    elif t.operator != "Exists":
        errors.append(
            invalid(
                join(path, "operator"),
                t.operator,
                "operator must be Exists when `key` is empty, "
                'which means "match all values and all keys"',
            )
        )
    if t.operator == "Exists" and t.value:
        errors.append(
            invalid(
                join(path, "operator"), t.value, "value must be empty when `operator` is 'Exists'"
            )
        )
    elif t.operator not in ("", "Equal", "Exists"):
        errors.append(not_supported(join(path, "operator"), t.operator, ("Equal", "Exists")))
    if t.value:
        errors += check_name(join(path, "value"), t.value, names.is_valid_label_value)
    errors += check_enum(join(path, "effect"), t.effect, TAINT_EFFECTS, allow_empty=True)
    if t.toleration_seconds is not None and t.effect != "NoExecute":
        errors.append(
            invalid(
                join(path, "effect"),
                t.effect,
                "effect must be 'NoExecute' when `tolerationSeconds` is set",
            )
        )
    return errors


def _validate_spread(
    path: str, constraints: Sequence[TopologySpreadConstraint]
) -> list[FieldError]:
    errors: list[FieldError] = []
    seen: set[tuple[str, str]] = set()
    for i, c in enumerate(constraints):
        p = join(path, i)
        errors += check_positive(join(p, "maxSkew"), c.max_skew)
        if not c.topology_key:
            errors.append(required(join(p, "topologyKey"), "can not be empty"))
        else:
            errors += check_name(join(p, "topologyKey"), c.topology_key, names.is_qualified_name)
        errors += check_enum(
            join(p, "whenUnsatisfiable"), c.when_unsatisfiable, ("DoNotSchedule", "ScheduleAnyway")
        )
        if c.min_domains is not None:
            errors += check_positive(join(p, "minDomains"), c.min_domains)
            if c.when_unsatisfiable != "DoNotSchedule":
                errors.append(
                    invalid(
                        join(p, "minDomains"),
                        c.min_domains,
                        "can only use minDomains if whenUnsatisfiable=DoNotSchedule",
                    )
                )
        for field, value in (
            ("nodeAffinityPolicy", c.node_affinity_policy),
            ("nodeTaintsPolicy", c.node_taints_policy),
        ):
            if value is not None:
                errors += check_enum(join(p, field), value, ("Honor", "Ignore"))
        errors += check_label_selector(join(p, "labelSelector"), c.label_selector)
        pair = (c.topology_key, c.when_unsatisfiable)
        if pair in seen:
            errors.append(
                duplicate(join(p, "{topologyKey, whenUnsatisfiable}"), f"{pair[0]}, {pair[1]}")
            )
        seen.add(pair)
    return errors


_VALIDATED: IdentityMemo[tuple[FieldError, ...]] = IdentityMemo(1024)
_NO_VOLUMES: frozenset[str] = frozenset()


def validate_pod_spec(
    path: str, spec: PodSpec, *, extra_volumes: Collection[str] = ()
) -> list[FieldError]:
    """Every field error of a pod spec (containers, volumes, scheduling fields, policies).

    ``extra_volumes`` names volumes a controller adds (StatefulSet claim templates).
    """
    qualifier = (path, frozenset(extra_volumes) if extra_volumes else _NO_VOLUMES)
    errors = _VALIDATED.get(spec, qualifier)
    if errors is None:
        errors = tuple(_validate_pod_spec(path, spec, extra_volumes))
        _VALIDATED.put(spec, errors, qualifier)
    return list(errors)


def _validate_pod_spec(
    path: str, spec: PodSpec, extra_volumes: Collection[str]
) -> list[FieldError]:
    errors = _validate_volumes(join(path, "volumes"), spec.volumes)
    volumes = {v.name for v in spec.volumes} | set(extra_volumes)
    if not spec.containers:
        errors.append(required(join(path, "containers")))
    seen: set[str] = set()
    for field, containers, init in (
        ("initContainers", spec.init_containers, True),
        ("containers", spec.containers, False),
    ):
        for i, c in enumerate(containers):
            p = join(join(path, field), i)
            errors += _validate_container(p, c, volumes, init=init)
            if c.name in seen:
                errors.append(duplicate(join(p, "name"), c.name))
            seen.add(c.name)
            if spec.host_network:
                for j, port in enumerate(c.ports):
                    if port.host_port and port.host_port != port.container_port:
                        errors.append(
                            invalid(
                                join(join(join(p, "ports"), j), "hostPort"),
                                port.host_port,
                                "must match `containerPort` when `hostNetwork` is true",
                            )
                        )
    errors += check_enum(join(path, "restartPolicy"), spec.restart_policy, RESTART_POLICIES)
    errors += check_enum(join(path, "dnsPolicy"), spec.dns_policy, DNS_POLICIES, allow_empty=True)
    errors += check_non_negative(
        join(path, "terminationGracePeriodSeconds"), spec.termination_grace_period_seconds
    )
    errors += check_positive(join(path, "activeDeadlineSeconds"), spec.active_deadline_seconds)
    errors += check_labels(join(path, "nodeSelector"), spec.node_selector)
    if spec.node_name:
        errors += check_name(join(path, "nodeName"), spec.node_name, names.is_dns1123_subdomain)
    if spec.service_account_name:
        errors += check_name(
            join(path, "serviceAccountName"), spec.service_account_name, names.is_dns1123_subdomain
        )
    if spec.hostname:
        errors += check_name(join(path, "hostname"), spec.hostname, names.is_dns1123_label)
    if spec.subdomain:
        errors += check_name(join(path, "subdomain"), spec.subdomain, names.is_dns1123_label)
    if spec.scheduler_name:
        errors += check_name(
            join(path, "schedulerName"), spec.scheduler_name, names.is_dns1123_subdomain
        )
    if spec.preemption_policy is not None:
        errors += check_enum(
            join(path, "preemptionPolicy"),
            spec.preemption_policy,
            ("PreemptLowerPriority", "Never"),
        )
    errors += _validate_affinity(join(path, "affinity"), spec.affinity)
    for i, t in enumerate(spec.tolerations):
        errors += validate_toleration(join(join(path, "tolerations"), i), t)
    errors += _validate_spread(
        join(path, "topologySpreadConstraints"), spec.topology_spread_constraints
    )
    errors += validate_resource_list(join(path, "overhead"), spec.overhead)
    gates: set[str] = set()
    for i, gate in enumerate(spec.scheduling_gates):
        p = join(join(path, "schedulingGates"), i)
        errors += check_name(join(p, "name"), gate.name, names.is_qualified_name)
        if gate.name in gates:
            errors.append(duplicate(join(p, "name"), gate.name))
        gates.add(gate.name)
    return errors


def validate_pod_template(
    path: str, template: PodTemplateSpec, *, extra_volumes: Collection[str] = ()
) -> list[FieldError]:
    """A pod template: its labels and its spec."""
    errors = check_labels(join(join(path, "metadata"), "labels"), template.metadata.labels)
    spec_path = join(path, "spec")
    return errors + validate_pod_spec(spec_path, template.spec, extra_volumes=extra_volumes)


@register_validator(Pod)
def validate_pod(pod: Pod) -> list[FieldError]:
    """A Pod: its spec (metadata is checked for every kind)."""
    return validate_pod_spec("spec", pod.spec)
