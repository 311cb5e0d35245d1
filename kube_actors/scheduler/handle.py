"""A :class:`~kube_actors.scheduler.framework.FrameworkHandle` over a profile and a snapshot.

The scheduler lends one to PostFilter plugins (preemption) so they can ask "would the pod fit
this node if these pods were gone?" with the profile's own PreFilter and Filter plugins.
"""

from __future__ import annotations

import random
from collections.abc import Mapping

from kube_actors.api import Pod
from kube_actors.scheduler.framework import (
    TOTAL_NODES_KEY,
    CycleState,
    FilterPlugin,
    PreFilterPlugin,
    Status,
    run_pre_filters,
)
from kube_actors.scheduler.nodeinfo import NodeInfo, Snapshot
from kube_actors.scheduler.profile import Profile

__all__ = ["SnapshotHandle", "filter_plugins", "run_filters"]


def filter_plugins(
    profile: Profile,
) -> tuple[tuple[PreFilterPlugin, ...], tuple[FilterPlugin, ...]]:
    """The profile's PreFilter and Filter plugins, in order (checked against the protocols
    once: a runtime protocol check costs more than most filters)."""
    pre = tuple(p for p in profile.at("preFilter") if isinstance(p, PreFilterPlugin))
    filters = tuple(p for p in profile.at("filter") if isinstance(p, FilterPlugin))
    return pre, filters


def run_filters(
    profile: Profile,
    pod: Pod,
    node: NodeInfo,
    snapshot: Snapshot,
    state: CycleState | None = None,
    *,
    plugins: tuple[tuple[PreFilterPlugin, ...], tuple[FilterPlugin, ...]] | None = None,
) -> Status:
    """PreFilter over ``snapshot`` then every Filter plugin on ``node``, upstream order.

    Returns the first rejection (attributed to its plugin) or ``SUCCESS``. A PreFilter
    rejection is returned as is: no node can fit then. ``plugins``: the profile's
    :func:`filter_plugins`, when the caller has them already.
    """
    pre_filters, filters = plugins if plugins is not None else filter_plugins(profile)
    state = state if state is not None else CycleState()
    state.write(TOTAL_NODES_KEY, len(snapshot))
    skipped, rejection = run_pre_filters(pre_filters, state, pod, snapshot)
    if rejection is not None:
        return rejection
    for plugin in filters:
        if plugin.name in skipped:
            continue
        status = plugin.filter(state, pod, node)
        if not status.is_success:
            return status.with_plugin(plugin.name)
    return Status.success()


class SnapshotHandle:
    """The framework handle of one scheduling cycle: a profile, a snapshot and the rng."""

    def __init__(
        self,
        profile: Profile,
        snapshot: Snapshot,
        rng: random.Random,
        *,
        plugins: tuple[tuple[PreFilterPlugin, ...], tuple[FilterPlugin, ...]] | None = None,
        nominated: Mapping[str, tuple[Pod, ...]] | None = None,
    ) -> None:
        self.profile = profile
        self._snapshot = snapshot
        self._rng = rng
        self._plugins = plugins if plugins is not None else filter_plugins(profile)
        self._nominated: Mapping[str, tuple[Pod, ...]] = nominated or {}

    @property
    def nominated(self) -> Mapping[str, tuple[Pod, ...]]:
        """By node, the nominated pods that hold room there against the cycle's pod (same or
        higher priority): preemption counts them on the node, as upstream."""
        return self._nominated

    @property
    def snapshot(self) -> Snapshot:
        """The cycle's snapshot."""
        return self._snapshot

    @property
    def rng(self) -> random.Random:
        """The seeded random source."""
        return self._rng

    @property
    def plugins(self) -> tuple[tuple[PreFilterPlugin, ...], tuple[FilterPlugin, ...]]:
        """The profile's PreFilter and Filter plugins, in order (what :meth:`run_filters`
        runs); a plugin that knows them all may take a shortcut, as preemption does."""
        return self._plugins

    def run_filters(self, pod: Pod, node: NodeInfo, snapshot: Snapshot | None = None) -> Status:
        """PreFilter (over ``snapshot``, default the cycle's) and every Filter on ``node``."""
        return run_filters(
            self.profile, pod, node, snapshot or self._snapshot, plugins=self._plugins
        )
