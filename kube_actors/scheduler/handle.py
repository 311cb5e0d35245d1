"""A :class:`~kube_actors.scheduler.framework.FrameworkHandle` over a profile and a snapshot.

The scheduler lends one to PostFilter plugins (preemption) so they can ask "would the pod fit
this node if these pods were gone?" with the profile's own PreFilter and Filter plugins.
"""

from __future__ import annotations

import random

from kube_actors.api import Pod
from kube_actors.scheduler.framework import (
    TOTAL_NODES_KEY,
    CycleState,
    FilterPlugin,
    PreFilterPlugin,
    Status,
)
from kube_actors.scheduler.nodeinfo import NodeInfo, Snapshot
from kube_actors.scheduler.profile import Profile

__all__ = ["SnapshotHandle", "run_filters"]


def run_filters(
    profile: Profile, pod: Pod, node: NodeInfo, snapshot: Snapshot, state: CycleState | None = None
) -> Status:
    """PreFilter over ``snapshot`` then every Filter plugin on ``node``, upstream order.

    Returns the first rejection (attributed to its plugin) or ``SUCCESS``. A PreFilter
    rejection is returned as is: no node can fit then.
    """
    state = state if state is not None else CycleState()
    state.write(TOTAL_NODES_KEY, len(snapshot))
    skipped: set[str] = set()
    for plugin in profile.at("preFilter"):
        assert isinstance(plugin, PreFilterPlugin)
        status = plugin.pre_filter(state, pod, snapshot)
        if status.is_skip:
            skipped.add(plugin.name)
        elif not status.is_success:
            return status.with_plugin(plugin.name)
    for plugin in profile.at("filter"):
        assert isinstance(plugin, FilterPlugin)
        if plugin.name in skipped:
            continue
        status = plugin.filter(state, pod, node)
        if not status.is_success:
            return status.with_plugin(plugin.name)
    return Status.success()


class SnapshotHandle:
    """The framework handle of one scheduling cycle: a profile, a snapshot and the rng."""

    def __init__(self, profile: Profile, snapshot: Snapshot, rng: random.Random) -> None:
        self.profile = profile
        self._snapshot = snapshot
        self._rng = rng

    @property
    def snapshot(self) -> Snapshot:
        """The cycle's snapshot."""
        return self._snapshot

    @property
    def rng(self) -> random.Random:
        """The seeded random source."""
        return self._rng

    def run_filters(self, pod: Pod, node: NodeInfo, snapshot: Snapshot | None = None) -> Status:
        """PreFilter (over ``snapshot``, default the cycle's) and every Filter on ``node``."""
        return run_filters(self.profile, pod, node, snapshot or self._snapshot)
