from __future__ import annotations

import pytest

from kube_actors.runtime import PluginRegistry, UnknownPlugin
from kube_actors.scheduler import (
    SCHEDULER_PLUGINS,
    ConfigurationError,
    Status,
    build_profile,
    default_profile,
    load_configuration,
)
from kube_actors.scheduler.profile import MISSING_DEFAULT_PLUGINS


def test_default_profile_order_and_weights():
    p = default_profile()
    assert p.scheduler_name == "default-scheduler"
    assert p.points["filter"] == (
        "NodeUnschedulable",
        "NodeName",
        "TaintToleration",
        "NodeAffinity",
        "NodePorts",
        "NodeResourcesFit",
        "VolumeRestrictions",
        "NodeVolumeLimits",
        "VolumeBinding",
        "VolumeZone",
        "PodTopologySpread",
        "InterPodAffinity",
    )
    assert p.points["bind"] == ("DefaultBinder",)
    assert p.points["score"] == (
        "TaintToleration",
        "NodeAffinity",
        "NodeResourcesFit",
        "PodTopologySpread",
        "InterPodAffinity",
        "NodeResourcesBalancedAllocation",
        "ImageLocality",
    )
    assert dict(p.weights) == {
        "TaintToleration": 3,
        "NodeAffinity": 2,
        "NodeResourcesFit": 1,
        "PodTopologySpread": 2,
        "InterPodAffinity": 2,
        "NodeResourcesBalancedAllocation": 1,
        "ImageLocality": 1,
    }
    assert p.points["preEnqueue"] == ("SchedulingGates",)
    assert p.points["queueSort"] == ("PrioritySort",)
    assert "PodTopologySpread" not in MISSING_DEFAULT_PLUGINS
    assert MISSING_DEFAULT_PLUGINS == ()
    assert p.points["postFilter"] == ("DefaultPreemption",)


def test_disable_reweight_and_enable_per_point():
    p = build_profile(
        {
            "schedulerName": "custom",
            "plugins": {
                "score": {
                    "disabled": [{"name": "ImageLocality"}],
                    "enabled": [{"name": "NodeResourcesFit", "weight": 5}],
                },
                "filter": {"disabled": [{"name": "NodePorts"}]},
            },
        }
    )
    assert p.scheduler_name == "custom"
    assert "ImageLocality" not in p.points["score"]
    assert "ImageLocality" not in p.plugins
    assert p.weight("NodeResourcesFit") == 5
    assert "NodePorts" not in p.points["filter"]
    # NodePorts stays at preFilter: disabling one point leaves the others alone.
    assert "NodePorts" in p.points["preFilter"]


def test_multipoint_star_disable_then_enable():
    p = build_profile(
        {
            "plugins": {
                "multiPoint": {
                    "disabled": [{"name": "*"}],
                    "enabled": [{"name": "NodeResourcesFit", "weight": 2}, {"name": "NodeName"}],
                }
            }
        }
    )
    assert p.points["filter"] == ("NodeResourcesFit", "NodeName")
    assert p.points["score"] == ("NodeResourcesFit",)
    assert p.weight("NodeResourcesFit") == 2
    assert p.points["queueSort"] == ()


def test_plugin_args_reach_the_plugin():
    p = build_profile(
        {
            "pluginConfig": [
                {"name": "NodeResourcesFit", "args": {"scoringStrategy": {"type": "MostAllocated"}}}
            ]
        }
    )
    assert p.plugins["NodeResourcesFit"].strategy == "MostAllocated"


def test_errors():
    with pytest.raises(ConfigurationError, match="unknown extension points"):
        build_profile({"plugins": {"scoring": {}}})
    with pytest.raises(ConfigurationError, match="does not implement filter"):
        build_profile({"plugins": {"filter": {"enabled": [{"name": "ImageLocality"}]}}})
    with pytest.raises(UnknownPlugin):
        build_profile({"plugins": {"score": {"enabled": [{"name": "Nope"}]}}})
    with pytest.raises(ConfigurationError, match="duplicate"):
        load_configuration({"profiles": [{}, {}]})
    with pytest.raises(ConfigurationError, match="kind"):
        load_configuration({"kind": "Pod"})
    with pytest.raises(ConfigurationError, match="mapping"):
        load_configuration("- a\n- b\n")


def test_load_configuration_yaml_profiles_and_percentage():
    profiles = load_configuration(
        """
apiVersion: kubescheduler.config.k8s.io/v1
kind: KubeSchedulerConfiguration
percentageOfNodesToScore: 30
profiles:
- schedulerName: default-scheduler
- schedulerName: no-scoring
  percentageOfNodesToScore: 70
  plugins:
    preScore:
      disabled: [{name: '*'}]
    score:
      disabled: [{name: '*'}]
"""
    )
    assert sorted(profiles) == ["default-scheduler", "no-scoring"]
    assert profiles["no-scoring"].points["score"] == ()
    assert profiles["default-scheduler"].percentage_of_nodes_to_score == 30
    assert profiles["no-scoring"].percentage_of_nodes_to_score == 70
    assert load_configuration({}).keys() == {"default-scheduler"}


class AlwaysNo:
    name = "AlwaysNo"

    def __init__(self, args):
        self.reason = args.get("reason", "no")

    def filter(self, state, pod, node):
        return Status.unschedulable(self.reason)


def test_custom_registry_plugin():
    registry = PluginRegistry("kube_actors.test_scheduler_plugins", "scheduler plugin")
    for name in SCHEDULER_PLUGINS.names():
        registry.register(name, SCHEDULER_PLUGINS.get(name))
    registry.register("AlwaysNo", AlwaysNo)
    p = build_profile(
        {
            "plugins": {"filter": {"enabled": [{"name": "AlwaysNo"}]}},
            "pluginConfig": [{"name": "AlwaysNo", "args": {"reason": "nope"}}],
        },
        registry=registry,
    )
    assert p.points["filter"][-1] == "AlwaysNo"
    assert p.plugins["AlwaysNo"].reason == "nope"
