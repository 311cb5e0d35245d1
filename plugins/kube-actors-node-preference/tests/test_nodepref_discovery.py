"""The installed distribution registers NodePreference through the entry point group."""

from __future__ import annotations

import os
import subprocess
import sys
from importlib.metadata import PackageNotFoundError, distribution, entry_points

import pytest
from nodepref_builders import DISTRIBUTION, NOT_INSTALLED

try:
    distribution(DISTRIBUTION)
except PackageNotFoundError:
    pytest.skip(NOT_INSTALLED, allow_module_level=True)

from kube_actors.runtime import PluginRegistry
from kube_actors.scheduler import SCHEDULER_PLUGINS, FilterPlugin, ScorePlugin

GROUP = "kube_actors.scheduler_plugins"


def test_the_distribution_declares_the_entry_point() -> None:
    [entry] = [e for e in entry_points(group=GROUP) if e.name == "NodePreference"]
    assert entry.value == "kube_actors_node_preference:NodePreference"
    assert entry.dist is not None
    assert entry.dist.metadata["Name"] == DISTRIBUTION


def test_a_fresh_interpreter_finds_it_without_importing_the_package() -> None:
    # A new process, so nothing this test session imported can stand in for the entry point.
    script = (
        "import sys\n"
        "from kube_actors.scheduler import SCHEDULER_PLUGINS\n"
        "assert 'kube_actors_node_preference' not in sys.modules\n"
        "factory = SCHEDULER_PLUGINS.get('NodePreference')\n"
        "print(factory.__module__, factory({}).name)\n"
    )
    # The same import path as this session, so the child sees the same installed metadata.
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, env=env
    )
    assert out.stdout.split() == ["kube_actors_node_preference.plugin", "NodePreference"]


def test_the_shared_registry_builds_it_from_args() -> None:
    assert "NodePreference" in SCHEDULER_PLUGINS.names()
    plugin = SCHEDULER_PLUGINS.get("NodePreference")({"preferred": [{"key": "disktype"}]})
    assert plugin.name == "NodePreference"
    assert isinstance(plugin, ScorePlugin)
    assert isinstance(plugin, FilterPlugin)


def test_an_empty_registry_of_the_same_group_loads_it_from_metadata() -> None:
    # Nothing is registered in code here: only the entry point can supply the name.
    registry: PluginRegistry[object] = PluginRegistry(GROUP, "scheduler plugin")
    assert "NodePreference" in registry
