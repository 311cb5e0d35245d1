"""Scheduling profiles and a loader for ``KubeSchedulerConfiguration`` documents.

A profile is the plugins of each extension point, in order, with the score weights. The
default profile is upstream's, minus the plugins not built yet (:data:`MISSING_DEFAULT_PLUGINS`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any

import attrs
import yaml

from kube_actors.runtime import PluginRegistry
from kube_actors.scheduler import plugins as _builtin  # noqa: F401  (registers the in-tree plugins)
from kube_actors.scheduler.framework import (
    SCHEDULER_PLUGINS,
    BindPlugin,
    FilterPlugin,
    PermitPlugin,
    Plugin,
    PluginFactory,
    PostBindPlugin,
    PostFilterPlugin,
    PreBindPlugin,
    PreEnqueuePlugin,
    PreFilterPlugin,
    PreScorePlugin,
    QueueSortPlugin,
    ReservePlugin,
    ScorePlugin,
)

__all__ = [
    "DEFAULT_PLUGINS",
    "DEFAULT_SCHEDULER_NAME",
    "EXTENSION_POINTS",
    "MISSING_DEFAULT_PLUGINS",
    "ConfigurationError",
    "Profile",
    "build_profile",
    "default_profile",
    "load_configuration",
]

DEFAULT_SCHEDULER_NAME = "default-scheduler"

#: Extension point (as spelled in ``KubeSchedulerConfiguration``) -> the protocol it needs.
EXTENSION_POINTS: Mapping[str, type] = MappingProxyType(
    {
        "preEnqueue": PreEnqueuePlugin,
        "queueSort": QueueSortPlugin,
        "preFilter": PreFilterPlugin,
        "filter": FilterPlugin,
        "postFilter": PostFilterPlugin,
        "preScore": PreScorePlugin,
        "score": ScorePlugin,
        "reserve": ReservePlugin,
        "permit": PermitPlugin,
        "preBind": PreBindPlugin,
        "bind": BindPlugin,
        "postBind": PostBindPlugin,
    }
)

#: The default profile's plugins in upstream order with their score weights (0: not scoring).
DEFAULT_PLUGINS: tuple[tuple[str, int], ...] = (
    ("SchedulingGates", 0),
    ("PrioritySort", 0),
    ("NodeUnschedulable", 0),
    ("NodeName", 0),
    ("TaintToleration", 3),
    ("NodeAffinity", 2),
    ("NodePorts", 0),
    ("NodeResourcesFit", 1),
    ("VolumeRestrictions", 0),
    ("NodeVolumeLimits", 0),
    ("VolumeBinding", 0),
    ("VolumeZone", 0),
    ("PodTopologySpread", 2),
    ("InterPodAffinity", 2),
    ("DefaultPreemption", 0),
    ("NodeResourcesBalancedAllocation", 1),
    ("ImageLocality", 1),
    ("DefaultBinder", 0),
)

#: Upstream default plugins this package does not have yet (none left).
MISSING_DEFAULT_PLUGINS: tuple[str, ...] = ()


class ConfigurationError(ValueError):
    """A scheduler configuration that cannot be built into profiles."""


def _frozen_points(m: Mapping[str, Sequence[str]]) -> Mapping[str, tuple[str, ...]]:
    return MappingProxyType({k: tuple(v) for k, v in m.items()})


def _frozen_weights(m: Mapping[str, int]) -> Mapping[str, int]:
    return MappingProxyType(dict(m))


def _frozen_plugins(m: Mapping[str, Plugin]) -> Mapping[str, Plugin]:
    return MappingProxyType(dict(m))


@attrs.frozen
class Profile:
    """One scheduler profile: plugin instances, each extension point's order, score weights."""

    scheduler_name: str
    plugins: Mapping[str, Plugin] = attrs.field(converter=_frozen_plugins)
    points: Mapping[str, tuple[str, ...]] = attrs.field(converter=_frozen_points)
    weights: Mapping[str, int] = attrs.field(converter=_frozen_weights)
    #: ``percentageOfNodesToScore`` (``None``: adaptive).
    percentage_of_nodes_to_score: int | None = None

    def at(self, point: str) -> tuple[Plugin, ...]:
        """The plugin instances enabled at extension ``point``, in order."""
        return tuple(self.plugins[name] for name in self.points.get(point, ()))

    def weight(self, name: str) -> int:
        """The score weight of plugin ``name`` (1 when not set)."""
        return self.weights.get(name, 1)


def _entries(section: Mapping[str, Any] | None, key: str) -> list[tuple[str, int | None]]:
    out: list[tuple[str, int | None]] = []
    for item in (section or {}).get(key) or ():
        if not isinstance(item, Mapping) or "name" not in item:
            raise ConfigurationError(f"{key} entries need a name, got {item!r}")
        weight = item.get("weight")
        out.append((str(item["name"]), None if weight is None else int(weight)))
    return out


def _apply(order: dict[str, int | None], section: Mapping[str, Any] | None) -> None:
    disabled = [name for name, _ in _entries(section, "disabled")]
    if "*" in disabled:
        order.clear()
    for name in disabled:
        order.pop(name, None)
    for name, weight in _entries(section, "enabled"):
        if name not in order or weight is not None:
            order[name] = weight


def build_profile(
    config: Mapping[str, Any] | None = None,
    *,
    registry: PluginRegistry[PluginFactory] = SCHEDULER_PLUGINS,
    percentage_of_nodes_to_score: int | None = None,
) -> Profile:
    """Build one profile from a ``profiles[]`` entry of ``KubeSchedulerConfiguration``.

    Starts from the default plugins (as ``multiPoint``), applies ``plugins.multiPoint`` then
    each extension point's ``disabled`` (``*`` for all) and ``enabled`` (with score weights),
    and passes each plugin its ``pluginConfig`` args.

    >>> p = build_profile({"plugins": {"score": {"disabled": [{"name": "ImageLocality"}]}}})
    >>> "ImageLocality" in p.points["score"], p.weight("TaintToleration")
    (False, 3)
    """
    config = config or {}
    plugin_sections: Mapping[str, Any] = config.get("plugins") or {}
    unknown = set(plugin_sections) - {*EXTENSION_POINTS, "multiPoint"}
    if unknown:
        raise ConfigurationError(f"unknown extension points: {sorted(unknown)}")
    args: dict[str, Mapping[str, Any]] = {}
    for item in config.get("pluginConfig") or ():
        args[str(item["name"])] = item.get("args") or {}

    multi: dict[str, int | None] = {name: (w or None) for name, w in DEFAULT_PLUGINS}
    _apply(multi, plugin_sections.get("multiPoint"))

    names = list(multi)
    for point in EXTENSION_POINTS:
        names.extend(n for n, _ in _entries(plugin_sections.get(point), "enabled"))
    instances: dict[str, Plugin] = {}
    for name in dict.fromkeys(names):
        instances[name] = registry.get(name)(args.get(name, {}))

    points: dict[str, list[str]] = {}
    weights: dict[str, int] = {n: w for n, w in multi.items() if w}
    for point, protocol in EXTENSION_POINTS.items():
        order: dict[str, int | None] = {
            n: multi[n] for n in multi if isinstance(instances[n], protocol)
        }
        section = plugin_sections.get(point)
        _apply(order, section)
        for name, weight in _entries(section, "enabled"):
            if not isinstance(instances[name], protocol):
                raise ConfigurationError(f"plugin {name!r} does not implement {point}")
            if point == "score" and weight:
                weights[name] = weight
        points[point] = list(order)
    # Upstream treats a weight of 0 (or none) as 1.
    weights = {n: weights.get(n) or 1 for n in points["score"]}
    return Profile(
        scheduler_name=str(config.get("schedulerName") or DEFAULT_SCHEDULER_NAME),
        plugins={n: instances[n] for n in dict.fromkeys(n for ns in points.values() for n in ns)},
        points=points,
        weights=weights,
        percentage_of_nodes_to_score=config.get(
            "percentageOfNodesToScore", percentage_of_nodes_to_score
        ),
    )


def default_profile() -> Profile:
    """Upstream's default profile (of the plugins built so far)."""
    return build_profile()


def load_configuration(
    document: Mapping[str, Any] | str,
    *,
    registry: PluginRegistry[PluginFactory] = SCHEDULER_PLUGINS,
) -> dict[str, Profile]:
    """Profiles by ``schedulerName`` from a ``KubeSchedulerConfiguration`` (dict or YAML).

    >>> profiles = load_configuration('''
    ... apiVersion: kubescheduler.config.k8s.io/v1
    ... kind: KubeSchedulerConfiguration
    ... profiles:
    ... - schedulerName: default-scheduler
    ... - schedulerName: bin-packer
    ...   pluginConfig:
    ...   - name: NodeResourcesFit
    ...     args: {scoringStrategy: {type: MostAllocated}}
    ... ''')
    >>> sorted(profiles), profiles["bin-packer"].plugins["NodeResourcesFit"].strategy
    (['bin-packer', 'default-scheduler'], 'MostAllocated')
    """
    doc: Any = yaml.safe_load(document) if isinstance(document, str) else document
    if not isinstance(doc, Mapping):
        raise ConfigurationError("a KubeSchedulerConfiguration must be a mapping")
    kind = doc.get("kind", "KubeSchedulerConfiguration")
    if kind != "KubeSchedulerConfiguration":
        raise ConfigurationError(f"expected kind KubeSchedulerConfiguration, got {kind!r}")
    percentage = doc.get("percentageOfNodesToScore")
    profiles: dict[str, Profile] = {}
    for entry in doc.get("profiles") or [{}]:
        profile = build_profile(entry, registry=registry, percentage_of_nodes_to_score=percentage)
        if profile.scheduler_name in profiles:
            raise ConfigurationError(f"duplicate schedulerName {profile.scheduler_name!r}")
        profiles[profile.scheduler_name] = profile
    return profiles
