"""When a node's filter verdicts can be re-computed without re-running PreFilter.

Preemption asks "would the pod fit this node without these pods?" and the cycle asks "...with
these nominated pods?". In general both mean a snapshot holding the changed node, PreFilter
over it (plugins such as InterPodAffinity count pods across the cluster there) and every
Filter. For the built-in filters, the pods that come and go are seen only two ways: through
the node info a Filter reads (requests, pod count, host ports, attached claims), and through
PreFilter's cluster-wide counts, which only claims and required pod (anti-)affinity feed, and
only when the incoming pod has required pod affinity terms, hard spread constraints or claims
in use elsewhere. When none of that is in play, the cycle's PreFilter state stays right and
running the filters on the changed node info gives the exact verdicts.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

from kube_actors.api import Pod
from kube_actors.scheduler.framework import FilterPlugin
from kube_actors.scheduler.plugins.basic import (
    NodeAffinity,
    NodeName,
    NodePorts,
    NodeUnschedulable,
    TaintToleration,
)
from kube_actors.scheduler.plugins.interpod import InterPodAffinity
from kube_actors.scheduler.plugins.resources import NodeResourcesFit
from kube_actors.scheduler.plugins.topology import PodTopologySpread
from kube_actors.scheduler.plugins.volumes import (
    NodeVolumeLimits,
    VolumeBinding,
    VolumeRestrictions,
    VolumeZone,
    pod_claim_names,
)

__all__ = [
    "NODE_INFO_FILTERS",
    "filters_read_node_info_only",
    "has_required_pod_affinity",
    "seen_by_node_info_only",
]

#: The built-in filters whose view of the pods on a node is the node info, or PreFilter
#: counts that only claims and required pod (anti-)affinity feed (see the module docstring).
NODE_INFO_FILTERS: frozenset[type] = frozenset(
    {
        NodeUnschedulable,
        NodeName,
        TaintToleration,
        NodeAffinity,
        NodePorts,  # the node's host ports
        NodeResourcesFit,  # the node's requests and pod count
        VolumeRestrictions,  # PreFilter: ReadWriteOncePod claims in use
        NodeVolumeLimits,  # the node's attached claims
        VolumeBinding,
        VolumeZone,
        InterPodAffinity,  # PreFilter: required anti-affinity; the pod's own required terms
        PodTopologySpread,  # PreFilter: hard constraints only
    }
)


def has_required_pod_affinity(pod: Pod) -> bool:
    """Whether ``pod`` has required pod affinity or anti-affinity terms."""
    affinity = pod.spec.affinity
    if affinity is None:
        return False
    pa, paa = affinity.pod_affinity, affinity.pod_anti_affinity
    return bool(
        (pa is not None and pa.required_during_scheduling_ignored_during_execution)
        or (paa is not None and paa.required_during_scheduling_ignored_during_execution)
    )


def filters_read_node_info_only(
    pod: Pod, filters: Iterable[FilterPlugin], skipped: Collection[str] | None
) -> bool:
    """Whether, for ``pod`` (whose PreFilter skipped ``skipped``), every filter's verdict on
    a node depends on other pods only through the node info, as long as the pods added or
    removed pass :func:`seen_by_node_info_only`. ``skipped=None``: PreFilter has not run
    yet, so whether PodTopologySpread has hard constraints for the pod is left open."""
    if has_required_pod_affinity(pod):
        return False
    for plugin in filters:
        kind = type(plugin)  # exact: a subclass may filter differently
        if kind not in NODE_INFO_FILTERS:
            return False
        if kind is PodTopologySpread and skipped is not None and plugin.name not in skipped:
            return False
    return True


def seen_by_node_info_only(pod: Pod) -> bool:
    """Whether the built-in filters see ``pod`` (on some node) only through that node's info:
    it has no claims and no required anti-affinity."""
    if pod.spec.volumes and pod_claim_names(pod):
        return False
    affinity = pod.spec.affinity
    if affinity is None:
        return True
    paa = affinity.pod_anti_affinity
    return not (paa is not None and paa.required_during_scheduling_ignored_during_execution)
