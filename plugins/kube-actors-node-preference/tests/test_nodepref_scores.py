"""Table tests of NodePreference's rules, scores, normalization, filter and configuration."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, distribution
from typing import Any

import pytest
from nodepref_builders import DISTRIBUTION, NOT_INSTALLED, node_info, pod

try:
    distribution(DISTRIBUTION)
except PackageNotFoundError:
    pytest.skip(NOT_INSTALLED, allow_module_level=True)

from kube_actors_node_preference import NodePreference, normalize

from kube_actors.scheduler import (
    ClusterEvent,
    Code,
    ConfigurationError,
    CycleState,
    Snapshot,
)

ARGS: dict[str, Any] = {
    "preferred": [
        {"key": "disktype", "values": ["ssd"], "score": 10},
        {"key": "zone", "values": ["a", "b"], "score": 5},
        {"key": "example.com/spot", "operator": "Exists", "score": -20},
        {"key": "cores", "operator": "Gt", "values": ["16"], "score": 3},
        {"key": "gpu"},  # default: Exists, score 1
    ],
    "required": [
        {"key": "pool", "operator": "NotIn", "values": ["system"]},
        {"key": "kubernetes.io/os", "values": ["linux"]},
    ],
}
PLUGIN = NodePreference(ARGS)
LINUX = {"kubernetes.io/os": "linux"}


@pytest.mark.parametrize(
    ("labels", "raw"),
    [
        ({}, 0),
        ({"disktype": "ssd"}, 10),
        ({"disktype": "hdd"}, 0),
        ({"disktype": "ssd", "zone": "b"}, 15),
        ({"zone": "c"}, 0),
        ({"disktype": "ssd", "example.com/spot": ""}, -10),
        ({"example.com/spot": "true"}, -20),
        ({"cores": "32"}, 3),
        ({"cores": "16"}, 0),
        ({"cores": "many"}, 0),  # Gt on a non-integer value does not match
        ({"gpu": "a100"}, 1),
        ({"disktype": "ssd", "zone": "a", "cores": "64", "gpu": ""}, 19),
    ],
)
def test_raw_score_is_the_sum_of_matched_rules(labels: dict[str, str], raw: int) -> None:
    assert PLUGIN.score(CycleState(), pod(), node_info(labels)) == raw


@pytest.mark.parametrize(
    ("raw", "normalized"),
    [
        ({}, {}),
        ({"a": 0, "b": 0}, {"a": 0, "b": 0}),
        ({"a": 7, "b": 7}, {"a": 100, "b": 100}),
        ({"a": 10, "b": 5, "c": 0}, {"a": 100, "b": 50, "c": 0}),
        ({"a": 15, "b": 10}, {"a": 100, "b": 66}),
        ({"a": -20, "b": 0}, {"a": 0, "b": 100}),
        ({"a": -20, "b": -10}, {"a": 0, "b": 50}),
        ({"a": 10, "b": -5, "c": 0}, {"a": 100, "b": 0, "c": 33}),
    ],
)
def test_normalize_scores_maps_to_0_100(raw: dict[str, int], normalized: dict[str, int]) -> None:
    assert PLUGIN.normalize_scores(CycleState(), pod(), raw) == normalized
    assert normalize(raw) == normalized


@pytest.mark.parametrize(
    ("labels", "reason"),
    [
        (LINUX, None),
        ({**LINUX, "pool": "batch"}, None),
        ({**LINUX, "pool": "system"}, "pool notin (system)"),
        ({}, "kubernetes.io/os in (linux)"),
        ({"kubernetes.io/os": "windows"}, "kubernetes.io/os in (linux)"),
    ],
)
def test_filter_rejects_nodes_failing_a_required_rule(
    labels: dict[str, str], reason: str | None
) -> None:
    status = PLUGIN.filter(CycleState(), pod(), node_info(labels))
    if reason is None:
        assert status.is_success
    else:
        assert status.code is Code.UNSCHEDULABLE_AND_UNRESOLVABLE
        assert status.message == f"node(s) didn't match required node labels {reason}"


@pytest.mark.parametrize(
    ("args", "filter_code", "score_code"),
    [
        ({}, Code.SKIP, Code.SKIP),
        ({"preferred": [{"key": "disktype"}]}, Code.SKIP, Code.SUCCESS),
        ({"required": [{"key": "disktype"}]}, Code.SUCCESS, Code.SKIP),
        (ARGS, Code.SUCCESS, Code.SUCCESS),
    ],
)
def test_unused_halves_are_skipped(
    args: dict[str, Any], filter_code: Code, score_code: Code
) -> None:
    plugin = NodePreference(args)
    snapshot = Snapshot.build([], [])
    assert plugin.pre_filter(CycleState(), pod(), snapshot).code is filter_code
    assert plugin.pre_score(CycleState(), pod(), []).code is score_code


def test_only_node_events_requeue_rejected_pods() -> None:
    assert PLUGIN.events_to_register() == {ClusterEvent.NODE_ADD, ClusterEvent.NODE_UPDATE}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"prefer": []}, "NodePreference args: unknown fields ['prefer']"),
        ({"preferred": {"key": "a"}}, "args.preferred: expected a list of rules"),
        ({"preferred": ["disktype"]}, "args.preferred[0]: expected a mapping, got str"),
        ({"preferred": [{"values": ["x"]}]}, "args.preferred[0].key: a non-empty string"),
        ({"preferred": [{"key": "a", "values": "x"}]}, "args.preferred[0].values: expected"),
        ({"preferred": [{"key": "a", "score": True}]}, "args.preferred[0].score: expected"),
        ({"preferred": [{"key": "a", "score": 101}]}, "101 is outside -100..100"),
        ({"preferred": [{"key": "a", "weight": 2}]}, "unknown fields ['weight']"),
        ({"required": [{"key": "a", "score": 2}]}, "args.required[0]: unknown fields ['score']"),
        ({"required": [{"key": "a", "operator": "Near"}]}, 'Unsupported value: "Near"'),
        ({"required": [{"key": "a", "operator": "In"}]}, "args.required[0]: invalid node"),
        ({"required": [{"key": "bad key!"}]}, "args.required[0]: invalid node"),
    ],
)
def test_bad_args_are_configuration_errors(args: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigurationError) as err:
        NodePreference(args)
    assert message in str(err.value)
