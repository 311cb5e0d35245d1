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
from kube_actors.scheduler.plugins.binder import DefaultBinder
from kube_actors.scheduler.plugins.interpod import InterPodAffinity
from kube_actors.scheduler.plugins.preemption import DefaultPreemption
from kube_actors.scheduler.plugins.resources import (
    BalancedAllocation,
    NodeResourcesFit,
    ResourceSpec,
)
from kube_actors.scheduler.plugins.topology import PodTopologySpread
from kube_actors.scheduler.plugins.volumes import (
    NodeVolumeLimits,
    VolumeBinding,
    VolumeRestrictions,
    VolumeZone,
)

__all__ = [
    "BalancedAllocation",
    "DefaultBinder",
    "DefaultPreemption",
    "ImageLocality",
    "InterPodAffinity",
    "NodeAffinity",
    "NodeName",
    "NodePorts",
    "NodeResourcesFit",
    "NodeUnschedulable",
    "NodeVolumeLimits",
    "PodTopologySpread",
    "PrioritySort",
    "ResourceSpec",
    "SchedulingGates",
    "TaintToleration",
    "VolumeBinding",
    "VolumeRestrictions",
    "VolumeZone",
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
    PodTopologySpread,
    InterPodAffinity,
    DefaultBinder,
    DefaultPreemption,
    VolumeRestrictions,
    NodeVolumeLimits,
    VolumeBinding,
    VolumeZone,
):
    SCHEDULER_PLUGINS.register(_cls.NAME, _cls)
