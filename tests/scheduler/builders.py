"""Small builders for scheduler tests: nodes and pods from plain numbers."""

from __future__ import annotations

from kube_actors.api import (
    Container,
    ContainerImage,
    ContainerPort,
    Node,
    NodeSpec,
    NodeStatus,
    ObjectMeta,
    Pod,
    PodSpec,
    ResourceRequirements,
    Taint,
    parse_quantity,
)
from kube_actors.scheduler import SchedulerCache

GI = 2**30
MI = 2**20


def node(
    name,
    cpu="4",
    memory="32Gi",
    pods=110,
    *,
    labels=None,
    taints=(),
    unschedulable=False,
    images=(),
    extra=None,
):
    alloc = {"cpu": parse_quantity(cpu), "memory": parse_quantity(memory)}
    alloc["pods"] = parse_quantity(str(pods))
    for k, v in (extra or {}).items():
        alloc[k] = parse_quantity(v)
    return Node(
        metadata=ObjectMeta(name=name, labels=labels or {}),
        spec=NodeSpec(
            unschedulable=unschedulable,
            taints=tuple(Taint(key=k, value=v, effect=e) for k, v, e in taints),
        ),
        status=NodeStatus(
            allocatable=alloc,
            capacity=alloc,
            images=tuple(ContainerImage(names=(n,), size_bytes=s) for n, s in images),
        ),
    )


def container(name="c", cpu=None, memory=None, *, image="", ports=(), extra=None, restart=None):
    requests = {}
    if cpu is not None:
        requests["cpu"] = parse_quantity(cpu)
    if memory is not None:
        requests["memory"] = parse_quantity(memory)
    for k, v in (extra or {}).items():
        requests[k] = parse_quantity(v)
    return Container(
        name=name,
        image=image,
        resources=ResourceRequirements(requests=requests),
        ports=tuple(
            ContainerPort(container_port=p, host_port=p, host_ip=ip, protocol=proto)
            for p, ip, proto in ports
        ),
        restart_policy=restart,
    )


def pod(name="p", cpu=None, memory=None, *, node_name="", containers=None, **spec):
    cs = containers if containers is not None else (container(cpu=cpu, memory=memory),)
    return Pod(
        metadata=ObjectMeta(name=name, namespace="default"),
        spec=PodSpec(containers=tuple(cs), node_name=node_name, **spec),
    )


def cache_of(nodes, pods=()):
    """A scheduler cache holding ``nodes`` and the bound ``pods``."""
    cache = SchedulerCache()
    for n in nodes:
        cache.add_node(n)
    for p in pods:
        cache.add_pod(p)
    return cache
