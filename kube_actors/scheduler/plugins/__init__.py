"""The in-tree plugins; importing this package registers them in ``SCHEDULER_PLUGINS``."""

from __future__ import annotations

from kube_actors.scheduler.framework import SCHEDULER_PLUGINS
from kube_actors.scheduler.plugins.basic import (
    ImageLocality,
    NodeAffinity,
    NodeName,
    NodePorts,
    NodeUnschedulable,
    PrioritySort,
    SchedulingGates,
    TaintToleration,
    tolerates,
)
from kube_actors.scheduler.plugins.resources import (
    BalancedAllocation,
    NodeResourcesFit,
    ResourceSpec,
)

__all__ = [
    "BalancedAllocation",
    "ImageLocality",
    "NodeAffinity",
    "NodeName",
    "NodePorts",
    "NodeResourcesFit",
    "NodeUnschedulable",
    "PrioritySort",
    "ResourceSpec",
    "SchedulingGates",
    "TaintToleration",
    "tolerates",
]

for _cls in (
    SchedulingGates,
    PrioritySort,
    NodeUnschedulable,
    NodeName,
    TaintToleration,
    NodeAffinity,
    NodePorts,
    NodeResourcesFit,
    BalancedAllocation,
    ImageLocality,
):
    SCHEDULER_PLUGINS.register(_cls.NAME, _cls)
