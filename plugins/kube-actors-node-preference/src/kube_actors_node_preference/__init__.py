"""An installable example scheduler plugin for kube-actors: ``NodePreference``.

Installing the distribution registers the plugin through the ``kube_actors.scheduler_plugins``
entry point, so a ``KubeSchedulerConfiguration`` can enable it by name without importing this
package.
"""

from __future__ import annotations

from kube_actors_node_preference.plugin import (
    MAX_RULE_SCORE,
    NAME,
    NodePreference,
    Rule,
    normalize,
)

__all__ = ["MAX_RULE_SCORE", "NAME", "NodePreference", "Rule", "normalize"]
