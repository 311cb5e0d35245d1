"""One scheduling cycle, recorded plugin by plugin: why a pod lands where it lands (or nowhere).

This is what kube-scheduler-simulator writes as annotations (filter-result, score-result,
finalscore-result, selected-node), computed without a cluster: nodes and pods in, decision out.
"""

from __future__ import annotations

import json
import random
from collections import Counter
from collections.abc import Iterable, Mapping
from types import MappingProxyType

import attrs

from kube_actors.api import Node, Pod
from kube_actors.scheduler.framework import (
    MAX_NODE_SCORE,
    MIN_NODE_SCORE,
    TOTAL_NODES_KEY,
    Code,
    CycleState,
    FilterPlugin,
    PreFilterPlugin,
    PreScorePlugin,
    ScorePlugin,
    Status,
)
from kube_actors.scheduler.nodeinfo import Snapshot
from kube_actors.scheduler.profile import Profile, default_profile

__all__ = [
    "Explanation",
    "NodeExplanation",
    "PluginStatus",
    "ScoreResult",
    "explain",
    "fit_error_message",
    "num_feasible_nodes_to_find",
    "select_host",
]

#: Below this many nodes every node is evaluated; above it, a percentage (at least this many).
MIN_FEASIBLE_NODES_TO_FIND = 100
#: The floor of the adaptive percentage.
MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND = 5


def num_feasible_nodes_to_find(num_nodes: int, percentage: int | None = None) -> int:
    """How many feasible nodes the scheduler looks for before it stops filtering.

    Adaptive when ``percentage`` is unset or 0: ``50 - nodes // 125`` percent, floored at 5%,
    and never fewer than 100 nodes.

    >>> [num_feasible_nodes_to_find(n) for n in (50, 500, 1000, 5000)]
    [50, 230, 420, 500]
    """
    if num_nodes < MIN_FEASIBLE_NODES_TO_FIND:
        return num_nodes
    adaptive = percentage or 0
    if adaptive <= 0:
        adaptive = max(50 - num_nodes // 125, MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND)
    if adaptive >= 100:
        return num_nodes
    return max(num_nodes * adaptive // 100, MIN_FEASIBLE_NODES_TO_FIND)


@attrs.frozen
class PluginStatus:
    """One plugin's status at a pre- or filter extension point."""

    plugin: str
    status: Status


@attrs.frozen
class ScoreResult:
    """One score plugin's view of one node."""

    plugin: str
    raw: int
    normalized: int
    weight: int

    @property
    def weighted(self) -> int:
        """``normalized * weight``: the plugin's share of the node's total."""
        return self.normalized * self.weight


@attrs.frozen
class NodeExplanation:
    """Every filter and score plugin's result for one node.

    All filters are run and recorded (upstream stops at the first failure); ``scores`` is empty
    when the node is infeasible or scoring was skipped because only one node fits.
    """

    node: str
    filters: tuple[PluginStatus, ...] = ()
    scores: tuple[ScoreResult, ...] = ()
    feasible: bool = False

    @property
    def total(self) -> int:
        """The node's final score: the sum of weighted plugin scores."""
        return sum(s.weighted for s in self.scores)

    @property
    def failure(self) -> Status | None:
        """The first rejecting filter status (the one upstream reports), if any."""
        for result in self.filters:
            if not result.status.is_success and not result.status.is_skip:
                return result.status
        return None


def _frozen_nodes(m: Mapping[str, NodeExplanation]) -> Mapping[str, NodeExplanation]:
    return MappingProxyType(dict(m))


@attrs.frozen
class Explanation:
    """The outcome of one cycle for one pod: per-node results and the selected node."""

    pod: str
    pre_filter: tuple[PluginStatus, ...]
    pre_score: tuple[PluginStatus, ...]
    nodes: Mapping[str, NodeExplanation] = attrs.field(converter=_frozen_nodes)
    selected: str | None
    message: str = ""

    @property
    def feasible(self) -> tuple[str, ...]:
        """Names of the nodes the pod fits, in node order."""
        return tuple(n for n, e in self.nodes.items() if e.feasible)

    def annotations(self) -> dict[str, str]:
        """The result as kube-scheduler-simulator style annotations (JSON values).

        ``filter-result``: node -> plugin -> ``"passed"``, ``"skipped"`` or the reasons;
        ``score-result``: raw scores; ``finalscore-result``: weighted scores;
        ``selected-node``: the chosen node (empty when none).
        """
        filters = {
            node: {f.plugin: _describe(f.status) for f in e.filters}
            for node, e in self.nodes.items()
        }
        raw = {node: {s.plugin: str(s.raw) for s in e.scores} for node, e in self.nodes.items()}
        final = {
            node: {s.plugin: str(s.weighted) for s in e.scores} for node, e in self.nodes.items()
        }
        prefix = "kube-scheduler-simulator.sigs.k8s.io/"
        return {
            prefix + "prefilter-result": json.dumps(
                {p.plugin: _describe(p.status) for p in self.pre_filter}, sort_keys=True
            ),
            prefix + "filter-result": json.dumps(filters, sort_keys=True),
            prefix + "prescore-result": json.dumps(
                {p.plugin: _describe(p.status) for p in self.pre_score}, sort_keys=True
            ),
            prefix + "score-result": json.dumps(raw, sort_keys=True),
            prefix + "finalscore-result": json.dumps(final, sort_keys=True),
            prefix + "selected-node": self.selected or "",
        }


def _describe(status: Status) -> str:
    if status.is_success:
        return "passed"
    if status.is_skip:
        return "skipped"
    return status.message


def select_host(totals: Iterable[tuple[str, int]], rng: random.Random) -> str | None:
    """The node with the top total; ties are broken uniformly with one draw from ``rng``.

    Upstream's ``selectHost`` samples the ties as it streams over the nodes; drawing once
    among the tied nodes (in node order) is the same uniform choice and what the scheduler's
    cycle does, so ``explain`` and the scheduler pick the same node from the same rng state.

    >>> select_host([("a", 5), ("b", 9), ("c", 9)], random.Random(0)) in ("b", "c")
    True
    """
    ties: list[str] = []
    best = 0
    for name, total in totals:
        if not ties or total > best:
            ties, best = [name], total
        elif total == best:
            ties.append(name)
    if not ties:
        return None
    return ties[0] if len(ties) == 1 else ties[rng.randrange(len(ties))]


def distinct_statuses(statuses: Iterable[Status]) -> list[tuple[Status, int]]:
    """Each distinct status *object* of ``statuses`` with how many times it occurs.

    A failing cycle reports thousands of nodes with a handful of shared status objects; this
    counts them at C speed, so per-status work runs once per distinct object.
    """
    items = statuses if isinstance(statuses, list) else list(statuses)
    by_id = {id(s): s for s in items}
    if len(by_id) == len(items):
        return [(s, 1) for s in by_id.values()]
    return [(by_id[key], times) for key, times in Counter(map(id, items)).items()]


def fit_error_message(num_nodes: int, statuses: Iterable[Status]) -> str:
    """Upstream's ``FitError`` message from each node's first rejecting status.

    >>> fit_error_message(3, [Status.unschedulable("Insufficient cpu")] * 2 + [Status()])
    '0/3 nodes are available: 2 Insufficient cpu.'
    """
    counts: dict[str, int] = {}
    for status, times in distinct_statuses(statuses):
        for reason in status.reasons if status.is_rejected or status.code is Code.ERROR else ():
            counts[reason] = counts.get(reason, 0) + times
    # Upstream formats "count reason" and sorts those strings.
    histogram = sorted(f"{count} {reason}" for reason, count in counts.items())
    return f"0/{num_nodes} nodes are available: {', '.join(histogram)}."


def _fit_error(num_nodes: int, nodes: Iterable[NodeExplanation], extra: Status | None) -> str:
    if extra is not None:
        return fit_error_message(num_nodes, [extra] * num_nodes)
    return fit_error_message(num_nodes, (n.failure or Status() for n in nodes))


def explain(
    pod: Pod,
    nodes: Iterable[Node],
    pods: Iterable[Pod] = (),
    profile: Profile | None = None,
    rng: random.Random | None = None,
) -> Explanation:
    """Run one scheduling cycle for ``pod`` against ``nodes`` (holding the bound ``pods``).

    Every node is evaluated (no percentageOfNodesToScore sampling) so that every node gets an
    answer. Ties between top-scoring nodes are broken with ``rng`` (default
    ``random.Random(0)``), so the same inputs always give the same answer.
    """
    profile = profile or default_profile()
    rng = rng if rng is not None else random.Random(0)
    snapshot = Snapshot.build(nodes, pods)
    name = pod.metadata.name
    state = CycleState()
    state.write(TOTAL_NODES_KEY, len(snapshot))

    pre_filter: list[PluginStatus] = []
    skipped: set[str] = set()
    rejected: Status | None = None
    for plugin in profile.at("preFilter"):
        assert isinstance(plugin, PreFilterPlugin)
        status = plugin.pre_filter(state, pod, snapshot).with_plugin(plugin.name)
        pre_filter.append(PluginStatus(plugin.name, status))
        if status.is_skip:
            skipped.add(plugin.name)
        elif not status.is_success:
            rejected = status
            break

    results: dict[str, NodeExplanation] = {}
    for info in snapshot.nodes:
        filters: list[PluginStatus] = []
        if rejected is None:
            for plugin in profile.at("filter"):
                assert isinstance(plugin, FilterPlugin)
                if plugin.name in skipped:
                    status = Status.skip(plugin.name)
                else:
                    status = plugin.filter(state, pod, info).with_plugin(plugin.name)
                filters.append(PluginStatus(plugin.name, status))
        ok = rejected is None and all(f.status.is_success or f.status.is_skip for f in filters)
        results[info.name] = NodeExplanation(info.name, tuple(filters), (), ok)

    feasible = [info for info in snapshot.nodes if results[info.name].feasible]
    if not feasible:
        message = _fit_error(len(snapshot), results.values(), rejected)
        return Explanation(name, tuple(pre_filter), (), results, None, message)
    if len(feasible) == 1:
        # Upstream skips scoring when exactly one node fits.
        return Explanation(name, tuple(pre_filter), (), results, feasible[0].name)

    pre_score: list[PluginStatus] = []
    score_skipped: set[str] = set()
    for plugin in profile.at("preScore"):
        assert isinstance(plugin, PreScorePlugin)
        status = plugin.pre_score(state, pod, feasible).with_plugin(plugin.name)
        pre_score.append(PluginStatus(plugin.name, status))
        if status.is_skip:
            score_skipped.add(plugin.name)

    per_node: dict[str, list[ScoreResult]] = {info.name: [] for info in feasible}
    for plugin in profile.at("score"):
        assert isinstance(plugin, ScorePlugin)
        if plugin.name in score_skipped:
            continue
        raw = {info.name: plugin.score(state, pod, info) for info in feasible}
        normalized = plugin.normalize_scores(state, pod, raw)
        weight = profile.weight(plugin.name)
        for info in feasible:
            value = normalized[info.name]
            if not MIN_NODE_SCORE <= value <= MAX_NODE_SCORE:
                raise ValueError(f"{plugin.name} scored {info.name} {value}, outside 0..100")
            per_node[info.name].append(ScoreResult(plugin.name, raw[info.name], value, weight))
    for info in feasible:
        results[info.name] = attrs.evolve(results[info.name], scores=tuple(per_node[info.name]))
    selected = select_host(((i.name, results[i.name].total) for i in feasible), rng)
    return Explanation(name, tuple(pre_filter), tuple(pre_score), results, selected)
