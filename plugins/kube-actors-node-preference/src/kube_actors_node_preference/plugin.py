"""``NodePreference``: operator-configured node label preferences for a scheduling profile.

Node affinity lets each *pod* say which nodes it likes. ``NodePreference`` lets the *profile*
say it, for every pod it schedules: "prefer SSD nodes, then zone a; avoid spot nodes; only ever
use the batch pool". Rules are node selector requirements (``In``, ``NotIn``, ``Exists``,
``DoesNotExist``, ``Gt``, ``Lt``) with a score each:

>>> plugin = NodePreference({
...     "preferred": [
...         {"key": "disktype", "values": ["ssd"], "score": 10},
...         {"key": "example.com/spot", "operator": "Exists", "score": -20},
...     ],
...     "required": [{"key": "example.com/pool", "values": ["batch"]}],
... })
>>> plugin.raw_score({"disktype": "ssd", "example.com/pool": "batch"})
10
>>> plugin.raw_score({"disktype": "ssd", "example.com/spot": "true"})
-10
>>> plugin.required_failure({"example.com/pool": "web"})
'example.com/pool in (batch)'
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from kube_actors.api import NodeSelectorRequirement, Pod, Selector, SelectorError
from kube_actors.api import selector_from_node_selector_requirements as _compile
from kube_actors.scheduler import (
    MAX_NODE_SCORE,
    ClusterEvent,
    ConfigurationError,
    CycleState,
    NodeInfo,
    Snapshot,
    Status,
)

__all__ = ["MAX_RULE_SCORE", "NAME", "NodePreference", "Rule", "normalize"]

#: The name the plugin is registered (entry point) and configured under.
NAME = "NodePreference"
#: The largest score magnitude one rule may carry; keeps sums far from overflow surprises.
MAX_RULE_SCORE = 100

_RULE_KEYS = frozenset({"key", "operator", "values", "score"})
_ARG_KEYS = frozenset({"preferred", "required"})


@attrs.frozen
class Rule:
    """One node label requirement and the score a node matching it earns."""

    selector: Selector
    score: int = 0

    def matches(self, labels: Mapping[str, str]) -> bool:
        """Whether node ``labels`` satisfy the requirement."""
        return self.selector.matches(labels)


def _parse_rule(raw: object, path: str, *, scored: bool) -> Rule:
    """A rule from its ``pluginConfig`` form; :class:`ConfigurationError` names the bad field."""
    if not isinstance(raw, Mapping):
        raise ConfigurationError(f"{path}: expected a mapping, got {type(raw).__name__}")
    allowed = _RULE_KEYS if scored else _RULE_KEYS - {"score"}
    unknown = sorted(set(raw) - allowed)
    if unknown:
        raise ConfigurationError(f"{path}: unknown fields {unknown}")
    key = raw.get("key")
    if not isinstance(key, str) or not key:
        raise ConfigurationError(f"{path}.key: a non-empty string is required")
    values = raw.get("values") or []
    if not isinstance(values, Sequence) or isinstance(values, str):
        raise ConfigurationError(f"{path}.values: expected a list of strings")
    if not all(isinstance(v, str) for v in values):
        raise ConfigurationError(f"{path}.values: expected a list of strings")
    # The common cases need no operator: values mean In, no values mean Exists.
    operator = raw.get("operator") or ("In" if values else "Exists")
    if not isinstance(operator, str):
        raise ConfigurationError(f"{path}.operator: expected a string")
    try:
        selector = _compile(
            [NodeSelectorRequirement(key=key, operator=operator, values=tuple(values))]
        )
    except SelectorError as err:
        raise ConfigurationError(f"{path}: {err}") from None
    score = raw.get("score", 1) if scored else 0
    # bool is an int subclass; `score: true` is a typo, not a score of 1.
    if isinstance(score, bool) or not isinstance(score, int):
        raise ConfigurationError(f"{path}.score: expected an integer")
    if not -MAX_RULE_SCORE <= score <= MAX_RULE_SCORE:
        raise ConfigurationError(
            f"{path}.score: {score} is outside -{MAX_RULE_SCORE}..{MAX_RULE_SCORE}"
        )
    return Rule(selector, score)


def _parse_rules(args: Mapping[str, Any], field: str, *, scored: bool) -> tuple[Rule, ...]:
    raw = args.get(field) or []
    if not isinstance(raw, Sequence) or isinstance(raw, str):
        raise ConfigurationError(f"{NAME} args.{field}: expected a list of rules")
    return tuple(
        _parse_rule(item, f"{NAME} args.{field}[{i}]", scored=scored) for i, item in enumerate(raw)
    )


def normalize(scores: Mapping[str, int]) -> dict[str, int]:
    """Scale raw scores to ``0..100`` over the range ``[min(0, lowest), max(0, highest)]``.

    Keeping 0 inside the range means a node that matches no rule scores as "neutral": with
    only positive rules this is upstream's ``DefaultNormalizeScore`` (``100 * raw // max``),
    with only penalties the unpenalized nodes get 100, and equal raw scores of 0 give 0.

    >>> normalize({"a": 10, "b": 5, "c": 0})
    {'a': 100, 'b': 50, 'c': 0}
    >>> normalize({"spot": -20, "on-demand": 0})
    {'spot': 0, 'on-demand': 100}
    >>> normalize({"a": 10, "b": -10})
    {'a': 100, 'b': 0}
    >>> normalize({"a": 0, "b": 0})
    {'a': 0, 'b': 0}
    """
    low = min(0, *scores.values()) if scores else 0
    high = max(0, *scores.values()) if scores else 0
    if high == low:
        return dict.fromkeys(scores, 0)
    return {name: MAX_NODE_SCORE * (raw - low) // (high - low) for name, raw in scores.items()}


class NodePreference:
    """PreFilter/Filter on ``required`` rules; PreScore/Score on ``preferred`` rules.

    ``args``: ``preferred`` is a list of ``{key, operator, values, score}`` (operator defaults to
    ``In`` with values and ``Exists`` without; score defaults to 1, may be negative, at most
    ``MAX_RULE_SCORE`` in magnitude). A node's raw score is the sum of the scores of the rules it
    matches, normalized by :func:`normalize`. ``required`` is a list of ``{key, operator,
    values}`` every node must match (UnschedulableAndUnresolvable otherwise: preemption cannot
    change a node's labels). Either list may be empty; the plugin then skips that half.
    """

    def __init__(self, args: Mapping[str, Any] | None = None) -> None:
        args = args or {}
        unknown = sorted(set(args) - _ARG_KEYS)
        if unknown:
            raise ConfigurationError(f"{NAME} args: unknown fields {unknown}")
        #: Scoring rules, in configuration order.
        self.preferred = _parse_rules(args, "preferred", scored=True)
        #: Filtering rules, in configuration order.
        self.required = _parse_rules(args, "required", scored=False)

    @property
    def name(self) -> str:
        """The plugin's registered name."""
        return NAME

    def raw_score(self, labels: Mapping[str, str]) -> int:
        """The sum of the scores of the ``preferred`` rules that ``labels`` match."""
        return sum(rule.score for rule in self.preferred if rule.matches(labels))

    def required_failure(self, labels: Mapping[str, str]) -> str | None:
        """The first ``required`` rule ``labels`` fail, as a selector string, or ``None``."""
        for rule in self.required:
            if not rule.matches(labels):
                return str(rule.selector)
        return None

    def pre_filter(self, state: CycleState, pod: Pod, snapshot: Snapshot) -> Status:
        """Skip the Filter when there are no ``required`` rules."""
        return Status.success() if self.required else Status.skip()

    def filter(self, state: CycleState, pod: Pod, node: NodeInfo) -> Status:
        """UnschedulableAndUnresolvable naming the first ``required`` rule the node fails."""
        failed = self.required_failure(node.node.metadata.labels)
        if failed is None:
            return Status.success()
        return Status.unresolvable(
            f"node(s) didn't match required node labels {failed}", plugin=NAME
        )

    def pre_score(self, state: CycleState, pod: Pod, nodes: Sequence[NodeInfo]) -> Status:
        """Skip the Score when there are no ``preferred`` rules."""
        return Status.success() if self.preferred else Status.skip()

    def score(self, state: CycleState, pod: Pod, node: NodeInfo) -> int:
        """The node's raw score: the sum of its matched ``preferred`` rules (may be negative)."""
        return self.raw_score(node.node.metadata.labels)

    def normalize_scores(
        self, state: CycleState, pod: Pod, scores: Mapping[str, int]
    ) -> dict[str, int]:
        """Raw scores to ``0..100``, see :func:`normalize`."""
        return normalize(scores)

    def events_to_register(self) -> frozenset[str]:
        """Only node changes can make a node pass the ``required`` rules."""
        # The filter reads node labels alone, so pod events never help a rejected pod.
        return frozenset({ClusterEvent.NODE_ADD, ClusterEvent.NODE_UPDATE})
