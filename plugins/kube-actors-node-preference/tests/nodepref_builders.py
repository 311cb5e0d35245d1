"""Nodes and pods for the NodePreference tests, built with ``kube_actors.api``.

The module name is unique on purpose: this directory is collected by basename next to the main
``tests`` package, so a generic name such as ``builders`` could shadow another module.
"""

from __future__ import annotations

from collections.abc import Mapping

from kube_actors.api import (
    Container,
    Node,
    NodeStatus,
    ObjectMeta,
    Pod,
    PodSpec,
    ResourceRequirements,
    parse_quantity,
)
from kube_actors.scheduler import NodeInfo

DISTRIBUTION = "kube-actors-node-preference"
#: Why the tests skip when the distribution is missing, and how to fix it.
NOT_INSTALLED = (
    f"{DISTRIBUTION} is not installed; run "
    "pip install -e plugins/kube-actors-node-preference (see the README's Set-up)"
)


def node(name: str, labels: Mapping[str, str] | None = None, cpu: str = "4") -> Node:
    """A ready node with ``cpu`` cores, 16Gi of memory, 110 pods and ``labels``."""
    alloc = {
        "cpu": parse_quantity(cpu),
        "memory": parse_quantity("16Gi"),
        "pods": parse_quantity("110"),
    }
    return Node(
        metadata=ObjectMeta(name=name, labels=dict(labels or {})),
        status=NodeStatus(allocatable=alloc, capacity=alloc),
    )


def node_info(labels: Mapping[str, str], name: str = "n") -> NodeInfo:
    """A node info (what Filter and Score see) for a node with ``labels``."""
    return NodeInfo.build(node(name, labels))


def pod(name: str = "p", cpu: str = "500m", memory: str = "1Gi") -> Pod:
    """An unscheduled pod in ``default`` with one container requesting ``cpu`` and ``memory``."""
    requests = {"cpu": parse_quantity(cpu), "memory": parse_quantity(memory)}
    return Pod(
        metadata=ObjectMeta(name=name, namespace="default"),
        spec=PodSpec(
            containers=(
                Container(
                    name="app",
                    image="registry.example/app:1",
                    resources=ResourceRequirements(requests=requests),
                ),
            )
        ),
    )
