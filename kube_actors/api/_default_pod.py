"""Defaults for Pod and pod templates (upstream ``SetDefaults_PodSpec`` and friends)."""

from __future__ import annotations

from kube_actors.api._frozen import FrozenDict
from kube_actors.api._memo import IdentityMemo, ShapeMemo
from kube_actors.api._replace import replace as evolve
from kube_actors.api.defaults import register_defaulter
from kube_actors.api.pod import (
    Container,
    ContainerPort,
    EnvVar,
    Pod,
    PodSpec,
    PodTemplateSpec,
    Probe,
    ResourceRequirements,
    Volume,
)

DEFAULT_SCHEDULER = "default-scheduler"
DEFAULT_TERMINATION_GRACE_PERIOD = 30
_DEFAULT_MODE = 0o644


def image_pull_policy(image: str) -> str:
    """``Always`` for ``:latest`` or untagged images, else ``IfNotPresent`` (upstream rule)."""
    if "@" in image:  # pinned by digest
        return "IfNotPresent"
    name = image.rsplit("/", 1)[-1]
    tag = name.partition(":")[2]
    return "Always" if tag in ("", "latest") else "IfNotPresent"


def _default_probe(probe: Probe | None) -> Probe | None:
    if probe is None:
        return None
    http_get = probe.http_get
    if http_get is not None and (not http_get.path or not http_get.scheme):
        http_get = evolve(http_get, path=http_get.path or "/", scheme=http_get.scheme or "HTTP")
    return evolve(
        probe,
        http_get=http_get,
        timeout_seconds=probe.timeout_seconds or 1,
        period_seconds=probe.period_seconds or 10,
        success_threshold=probe.success_threshold or 1,
        failure_threshold=probe.failure_threshold or 3,
    )


def _default_port(port: ContainerPort, host_network: bool) -> ContainerPort:
    host_port = port.host_port or (port.container_port if host_network else 0)
    if port.protocol and host_port == port.host_port:
        return port
    return evolve(port, protocol=port.protocol or "TCP", host_port=host_port)


def _default_resources(res: ResourceRequirements) -> ResourceRequirements:
    # A limit without a request means "request the limit" (upstream SetDefaults_Pod).
    missing = {k: v for k, v in res.limits.items() if k not in res.requests}
    if not missing:
        return res
    return evolve(res, requests=FrozenDict({**res.requests, **missing}))


def _default_env(env: EnvVar) -> EnvVar:
    ref = env.value_from.field_ref if env.value_from else None
    if ref is None or ref.api_version:
        return env
    assert env.value_from is not None
    return evolve(env, value_from=evolve(env.value_from, field_ref=evolve(ref, api_version="v1")))


def _default_container(c: Container, host_network: bool) -> Container:
    return evolve(
        c,
        image_pull_policy=c.image_pull_policy or image_pull_policy(c.image),
        termination_message_path=c.termination_message_path or "/dev/termination-log",
        termination_message_policy=c.termination_message_policy or "File",
        ports=tuple(_default_port(p, host_network) for p in c.ports),
        env=tuple(_default_env(e) for e in c.env),
        resources=_default_resources(c.resources),
        liveness_probe=_default_probe(c.liveness_probe),
        readiness_probe=_default_probe(c.readiness_probe),
        startup_probe=_default_probe(c.startup_probe),
    )


def _default_volume(v: Volume) -> Volume:
    # Each source is defaulted on its own, so a (invalid) volume with two sources still
    # defaults in one pass and defaulting stays idempotent.
    config_map, secret = v.config_map, v.secret
    if config_map is not None and config_map.default_mode is None:
        config_map = evolve(config_map, default_mode=_DEFAULT_MODE)
    if secret is not None and secret.default_mode is None:
        secret = evolve(secret, default_mode=_DEFAULT_MODE)
    if config_map is v.config_map and secret is v.secret:
        return v
    return evolve(v, config_map=config_map, secret=secret)


_DEFAULTED: IdentityMemo[PodSpec] = IdentityMemo(1024)
_BY_SHAPE: ShapeMemo[PodSpec] = ShapeMemo(1024)


def default_pod_spec(spec: PodSpec) -> PodSpec:
    """A pod spec with upstream defaults (restartPolicy Always, grace period 30 s, ...)."""
    done = _DEFAULTED.get(spec)
    if done is None:
        # A spec built anew around shared parts (pods created one by one from one container
        # object) gets the same defaulted object as the first of its shape, so everything
        # later steps memoize by identity (tolerations, validation, requests) is a hit too.
        done = _BY_SHAPE.get(spec)
        if done is not None:
            return done
        done = _default_pod_spec(spec)
        if done == spec:
            done = spec  # keep the shared object: what is memoized by identity stays a hit
        _DEFAULTED.put(spec, done)
        _DEFAULTED.put(done, done)  # defaulting is idempotent
        _BY_SHAPE.put(spec, done)
    return done


def _default_pod_spec(spec: PodSpec) -> PodSpec:
    hn = spec.host_network
    return evolve(
        spec,
        volumes=tuple(_default_volume(v) for v in spec.volumes),
        init_containers=tuple(_default_container(c, hn) for c in spec.init_containers),
        containers=tuple(_default_container(c, hn) for c in spec.containers),
        restart_policy=spec.restart_policy or "Always",
        termination_grace_period_seconds=(
            DEFAULT_TERMINATION_GRACE_PERIOD
            if spec.termination_grace_period_seconds is None
            else spec.termination_grace_period_seconds
        ),
        dns_policy=spec.dns_policy or "ClusterFirst",
        scheduler_name=spec.scheduler_name or DEFAULT_SCHEDULER,
        enable_service_links=True
        if spec.enable_service_links is None
        else spec.enable_service_links,
    )


def default_pod_template(template: PodTemplateSpec) -> PodTemplateSpec:
    """A pod template with its spec defaulted."""
    return evolve(template, spec=default_pod_spec(template.spec))


@register_defaulter(Pod)
def default_pod(pod: Pod) -> Pod:
    """A Pod with its spec defaulted."""
    spec = default_pod_spec(pod.spec)
    return pod if spec is pod.spec else evolve(pod, spec=spec)
