"""End to end: a KubeSchedulerConfiguration enables NodePreference and explain() shows it."""

from __future__ import annotations

import json
from importlib.metadata import PackageNotFoundError, distribution

import pytest
from nodepref_builders import DISTRIBUTION, NOT_INSTALLED, node, pod

try:
    distribution(DISTRIBUTION)
except PackageNotFoundError:
    pytest.skip(NOT_INSTALLED, allow_module_level=True)

from kube_actors.scheduler import (
    Code,
    ConfigurationError,
    ScoreResult,
    explain,
    load_configuration,
)

# The distribution README's example, with a second profile that leaves the defaults alone.
CONFIGURATION = """
apiVersion: kubescheduler.config.k8s.io/v1
kind: KubeSchedulerConfiguration
profiles:
- schedulerName: default-scheduler
- schedulerName: prefer-ssd
  plugins:
    multiPoint:
      enabled:
      - name: NodePreference
        weight: 3
  pluginConfig:
  - name: NodePreference
    args:
      preferred:
      - {key: disktype, values: [ssd], score: 10}
      - {key: example.com/rack, values: [r1], score: 5}
      - {key: example.com/spot, operator: Exists, score: -20}
      required:
      - {key: example.com/pool, operator: NotIn, values: [system]}
"""

# Identical capacity, so every default plugin scores the nodes alike and labels decide.
NODES = [
    node("rack1-hdd", {"example.com/rack": "r1", "disktype": "hdd"}),
    node("rack2-ssd", {"example.com/rack": "r2", "disktype": "ssd"}),
    node("rack1-ssd-spot", {"example.com/rack": "r1", "disktype": "ssd", "example.com/spot": ""}),
    node("rack2-plain", {"example.com/rack": "r2"}),
    node("rack1-ssd-system", {"disktype": "ssd", "example.com/pool": "system"}),
]


def _node_preference(scores: tuple[ScoreResult, ...]) -> ScoreResult:
    [result] = [s for s in scores if s.plugin == "NodePreference"]
    return result


def test_the_pod_lands_on_the_preferred_node_with_the_scores_explained() -> None:
    profile = load_configuration(CONFIGURATION)["prefer-ssd"]
    assert "NodePreference" in profile.points["filter"]
    assert profile.weight("NodePreference") == 3

    e = explain(pod(), NODES, profile=profile)

    assert e.selected == "rack2-ssd"
    # The required rule keeps the system pool out; the best-scoring node there is not chosen.
    assert e.feasible == ("rack1-hdd", "rack2-ssd", "rack1-ssd-spot", "rack2-plain")
    system = e.nodes["rack1-ssd-system"].failure
    assert system is not None
    assert system.code is Code.UNSCHEDULABLE_AND_UNRESOLVABLE
    assert system.plugin == "NodePreference"
    assert system.message.endswith("required node labels example.com/pool notin (system)")
    # raw: 5, 10, 10 + 5 - 20 = -5, 0; normalized over [-5, 10]: 100 * (raw + 5) // 15.
    expected = {
        "rack1-hdd": (5, 66, 198),
        "rack2-ssd": (10, 100, 300),
        "rack1-ssd-spot": (-5, 0, 0),
        "rack2-plain": (0, 33, 99),
    }
    for name, (raw, normalized, weighted) in expected.items():
        result = _node_preference(e.nodes[name].scores)
        assert (result.raw, result.normalized, result.weight) == (raw, normalized, 3)
        assert result.weighted == weighted
    # Everything else scores the identical nodes alike, so NodePreference alone decides.
    others = {
        sum(s.weighted for s in e.nodes[name].scores if s.plugin != "NodePreference")
        for name in expected
    }
    assert len(others) == 1
    annotations = {k.rsplit("/", 1)[1]: v for k, v in e.annotations().items()}
    assert json.loads(annotations["score-result"])["rack1-ssd-spot"]["NodePreference"] == "-5"
    assert json.loads(annotations["finalscore-result"])["rack2-ssd"]["NodePreference"] == "300"
    assert annotations["selected-node"] == "rack2-ssd"


def test_the_default_profile_does_not_use_it() -> None:
    profile = load_configuration(CONFIGURATION)["default-scheduler"]
    assert "NodePreference" not in profile.plugins
    e = explain(pod(), NODES, profile=profile)
    assert e.feasible == tuple(n.metadata.name for n in NODES)
    assert all(s.plugin != "NodePreference" for n in e.nodes.values() for s in n.scores)


def test_no_node_matching_the_required_rules_is_reported() -> None:
    config = """
profiles:
- plugins:
    filter:
      enabled: [{name: NodePreference}]
  pluginConfig:
  - name: NodePreference
    args: {required: [{key: example.com/pool, values: [gpu]}]}
"""
    profile = load_configuration(config)["default-scheduler"]
    assert "NodePreference" not in profile.points["score"]
    e = explain(pod(), NODES[:3], profile=profile)
    assert e.selected is None
    assert e.message == (
        "0/3 nodes are available: 3 node(s) didn't match required node labels "
        "example.com/pool in (gpu)."
    )


def test_bad_args_fail_loading_the_configuration() -> None:
    config = """
profiles:
- plugins: {multiPoint: {enabled: [{name: NodePreference}]}}
  pluginConfig:
  - name: NodePreference
    args: {preferred: [{key: disktype, score: 1000}]}
"""
    with pytest.raises(ConfigurationError, match=r"preferred\[0\]\.score: 1000 is outside"):
        load_configuration(config)
