"""DefaultPreemption: the PostFilter plugin that makes room for a pod by evicting lower-priority
pods, with upstream's (v1.34) ``defaultpreemption`` and ``framework/preemption`` semantics.

When no node fits, every node whose filter status is ``UNSCHEDULABLE`` is dry-run: remove all
lower-priority pods, check the pod fits, then add the removed pods back most-important first,
keeping each one that still lets the pod fit (a reprieve). The nodes that work out are ranked
and the best one is proposed with its victims; the scheduler nominates it and deletes them.

PodDisruptionBudgets do not exist in this project's API yet, so every victim counts as not
violating one: ``Candidate.num_pdb_violations`` is always 0, kept so that the node ranking
reads exactly like upstream's and gains PDBs without reshuffling.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import attrs

from kube_actors.api import Pod
from kube_actors.scheduler.framework import (
    Code,
    CycleState,
    FrameworkHandle,
    PostFilterResult,
    Status,
)
from kube_actors.scheduler.nodeinfo import NodeInfo, Snapshot
from kube_actors.scheduler.plugins.basic import _Named

__all__ = [
    "ERR_NO_VICTIMS",
    "ERR_NOT_HELPFUL",
    "MSG_NOMINATED_NODE_TERMINATING",
    "MSG_PREEMPTION_POLICY_NEVER",
    "Candidate",
    "DefaultPreemption",
    "calculate_num_candidates",
    "more_important_pod",
    "pick_one_node_for_preemption",
    "pod_priority",
]

#: A node with no lower-priority pod to evict (upstream reason, UnschedulableAndUnresolvable).
ERR_NO_VICTIMS = "No preemption victims found for incoming pod"
#: A node whose filter rejection preemption cannot cure, or that was never dry-run.
ERR_NOT_HELPFUL = "Preemption is not helpful for scheduling"
#: The pod opted out of preempting.
MSG_PREEMPTION_POLICY_NEVER = "not eligible due to preemptionPolicy=Never."
#: The pod already preempted and its victims are still terminating.
MSG_NOMINATED_NODE_TERMINATING = "not eligible due to a terminating pod on the nominated node."

# Upstream adds MaxInt32 + 1 to each victim priority before summing, so that negative
# priorities never make a node with more victims look cheaper.
_PRIORITY_SHIFT = 2**31


def pod_priority(pod: Pod) -> int:
    """``spec.priority``, 0 when unset (upstream ``corev1helpers.PodPriority``).

    >>> from kube_actors.api import PodSpec
    >>> pod_priority(Pod(spec=PodSpec(priority=7))), pod_priority(Pod())
    (7, 0)
    """
    return pod.spec.priority or 0


def _start_key(pod: Pod) -> float:
    # Upstream uses "now" for a pod without a start time: later than every real start time.
    start = pod.status.start_time
    return math.inf if start is None else start.timestamp()


def _importance_key(pod: Pod) -> tuple[int, float]:
    # Ascending order of this key is most important first: higher priority, then longer running.
    return (-pod_priority(pod), _start_key(pod))


def more_important_pod(a: Pod, b: Pod) -> bool:
    """Upstream ``MoreImportantPod``: higher priority, or equal priority and started earlier.

    A pod without ``status.startTime`` counts as started now (latest).

    >>> from kube_actors.api import PodSpec
    >>> more_important_pod(Pod(spec=PodSpec(priority=2)), Pod(spec=PodSpec(priority=1)))
    True
    """
    return _importance_key(a) < _importance_key(b)


def calculate_num_candidates(num_nodes: int, percentage: int, absolute: int) -> int:
    """How many candidates the dry run must find: ``max(num_nodes * percentage // 100,
    absolute)``, never more than ``num_nodes``.

    >>> calculate_num_candidates(5000, 10, 100), calculate_num_candidates(500, 10, 100)
    (500, 100)
    >>> calculate_num_candidates(30, 10, 100)
    30
    """
    return min(max(num_nodes * percentage // 100, absolute), num_nodes)


@attrs.frozen
class Candidate:
    """A node where preemption works, with the victims to evict there (most important first)."""

    node: str
    victims: tuple[Pod, ...]
    #: Victims whose eviction would violate a PodDisruptionBudget (always 0: no PDBs yet).
    num_pdb_violations: int = 0


def _rank(candidate: Candidate) -> tuple[int, int, int, int, float]:
    # Upstream's score functions in precedence order, each "bigger is better"; comparing the
    # tuples lexicographically is the same as applying them one after another on ties.
    victims = candidate.victims
    return (
        -candidate.num_pdb_violations,
        # victims[0] is the highest-priority victim (victims are sorted most important first).
        -pod_priority(victims[0]),
        -sum(pod_priority(v) + _PRIORITY_SHIFT for v in victims),
        -len(victims),
        # Among the highest-priority victims the earliest start time is victims[0]'s, for the
        # same reason (upstream GetEarliestPodStartTime); the latest such time wins.
        _start_key(victims[0]),
    )


def pick_one_node_for_preemption(candidates: Sequence[Candidate]) -> Candidate | None:
    """Upstream ``pickOneNodeForPreemption``: the candidate with the fewest PDB violations, then
    the lowest highest-victim priority, the smallest victim priority sum, the fewest victims,
    the latest start of its highest-priority victims; remaining ties go to the first one.

    Every candidate must have at least one victim.
    """
    if not candidates:
        return None
    # max() keeps the first of equal elements, which is upstream's final tie-break.
    return max(candidates, key=_rank)


def _swapped(
    nodes: tuple[tuple[int, NodeInfo], ...], index: int, info: NodeInfo, keep: bool
) -> tuple[NodeInfo, ...]:
    # ``nodes`` is (position, node) in snapshot order; put ``info`` at ``index`` if ``keep``.
    out = [n for i, n in nodes if i < index]
    if keep:
        out.append(info)
    out.extend(n for i, n in nodes if i > index)
    return tuple(out)


class _NodeSwapper:
    """Builds "the snapshot with node ``index`` replaced" cheaply, many times over.

    The nodes-with-affinity lists are carried over (patched for the one node) instead of being
    recomputed by a scan over every node, which at 5000 nodes would cost as much as the filter
    re-run that the what-if snapshot is built for.
    """

    def __init__(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot
        self.affinity = tuple((i, n) for i, n in enumerate(snapshot.nodes) if n.pods_with_affinity)
        self.anti_affinity = tuple(
            (i, n) for i, n in enumerate(snapshot.nodes) if n.pods_with_required_anti_affinity
        )

    def __call__(self, index: int, info: NodeInfo) -> Snapshot:
        snapshot = self.snapshot
        nodes = snapshot.nodes
        # A plain Snapshot whatever the original's class (the scheduler cache's builds lazily).
        return Snapshot(
            (*nodes[:index], info, *nodes[index + 1 :]),
            snapshot.pvcs,
            snapshot.pvs,
            affinity_nodes=_swapped(self.affinity, index, info, bool(info.pods_with_affinity)),
            anti_affinity_nodes=_swapped(
                self.anti_affinity, index, info, bool(info.pods_with_required_anti_affinity)
            ),
        )


def _fit_error(num_nodes: int, failures: Mapping[str, Status]) -> str:
    # Upstream FitError.Error(): each node's reasons counted, nodes without an explicit status
    # counted as "not helpful", entries "count reason" sorted as strings.
    counts: dict[str, int] = {}
    for status in failures.values():
        for reason in status.reasons:
            counts[reason] = counts.get(reason, 0) + 1
    absent = num_nodes - len(failures)
    if absent > 0:
        counts[ERR_NOT_HELPFUL] = counts.get(ERR_NOT_HELPFUL, 0) + absent
    histogram = sorted(f"{count} {reason}" for reason, count in counts.items())
    message = f"0/{num_nodes} nodes are available:"
    if histogram:
        message += " " + ", ".join(histogram)
    return message + "."


class DefaultPreemption(_Named):
    """PostFilter: nominate a node where evicting lower-priority pods lets the pod fit.

    Args (upstream ``DefaultPreemptionArgs``): ``minCandidateNodesPercentage`` (0..100,
    default 10) and ``minCandidateNodesAbsolute`` (>= 0, default 100), not both 0; the dry run
    stops after ``max(potential * percentage // 100, absolute)`` candidates.

    >>> DefaultPreemption({"minCandidateNodesAbsolute": 5}).num_candidates(30)
    5
    """

    NAME = "DefaultPreemption"

    def __init__(self, args: Mapping[str, Any] | None = None) -> None:
        super().__init__(args)
        self.min_candidate_nodes_percentage = int(self.args.get("minCandidateNodesPercentage", 10))
        self.min_candidate_nodes_absolute = int(self.args.get("minCandidateNodesAbsolute", 100))
        # Upstream ValidateDefaultPreemptionArgs.
        if not 0 <= self.min_candidate_nodes_percentage <= 100:
            raise ValueError(
                "minCandidateNodesPercentage: not in valid range [0, 100], got "
                f"{self.min_candidate_nodes_percentage}"
            )
        if self.min_candidate_nodes_absolute < 0:
            raise ValueError(
                "minCandidateNodesAbsolute: not in valid range [0, inf), got "
                f"{self.min_candidate_nodes_absolute}"
            )
        if self.min_candidate_nodes_percentage == 0 and self.min_candidate_nodes_absolute == 0:
            raise ValueError(
                "minCandidateNodesPercentage and minCandidateNodesAbsolute cannot both be zero"
            )

    def num_candidates(self, num_nodes: int) -> int:
        """How many candidates to find among ``num_nodes`` potential nodes."""
        return calculate_num_candidates(
            num_nodes, self.min_candidate_nodes_percentage, self.min_candidate_nodes_absolute
        )

    def eligible(
        self, pod: Pod, statuses: Mapping[str, Status], snapshot: Snapshot
    ) -> tuple[bool, str]:
        """Upstream ``PodEligibleToPreemptOthers``: whether ``pod`` may preempt, else why not.

        Not with ``preemptionPolicy: Never``, nor while a lower-priority pod on its nominated
        node is terminating (its earlier victims are still going away) -- unless the filters
        now find the nominated node unresolvable (a node without a status counts as that, as
        upstream's absent-node status does).
        """
        if pod.spec.preemption_policy == "Never":
            return False, MSG_PREEMPTION_POLICY_NEVER
        nominated = pod.status.nominated_node_name
        if nominated:
            status = statuses.get(nominated)
            if status is None or status.code is Code.UNSCHEDULABLE_AND_UNRESOLVABLE:
                return True, ""
            info = snapshot.get(nominated)
            if info is not None:
                priority = pod_priority(pod)
                for other in info.pods:
                    if (
                        pod_priority(other) < priority
                        and other.metadata.deletion_timestamp is not None
                    ):
                        return False, MSG_NOMINATED_NODE_TERMINATING
        return True, ""

    def select_victims_on_node(
        self,
        pod: Pod,
        index: int,
        handle: FrameworkHandle,
        replace: Callable[[int, NodeInfo], Snapshot] | None = None,
    ) -> tuple[tuple[Pod, ...], int, Status]:
        """Upstream ``SelectVictimsOnNode`` for the snapshot node at ``index``.

        Returns the victims (most important first), the number of them violating a PDB
        (always 0) and ``SUCCESS``; or no victims and why the node cannot be a candidate.
        ``replace(index, info)`` gives the snapshot with that node swapped for ``info``
        (default: built from ``handle.snapshot``; pass one to share it across nodes).
        """
        snapshot = handle.snapshot
        replace = replace or _NodeSwapper(snapshot)
        info = snapshot.nodes[index]
        priority = pod_priority(pod)
        potential = [p for p in info.pods if pod_priority(p) < priority]
        if not potential:
            return (), 0, Status.unresolvable(ERR_NO_VICTIMS, plugin=self.NAME)
        reduced = info
        for victim in potential:
            reduced = reduced.without_pod(victim)
        status = handle.run_filters(pod, reduced, replace(index, reduced))
        if not status.is_success:
            return (), 0, status
        # Reprieve the most important pods first. With PDBs the violating ones would be tried
        # before the rest; there are none, so this single pass is the non-violating pass.
        potential.sort(key=_importance_key)
        victims: list[Pod] = []
        for candidate in potential:
            trial = reduced.with_pod(candidate)
            if handle.run_filters(pod, trial, replace(index, trial)).is_success:
                reduced = trial
            else:
                victims.append(candidate)
        return tuple(victims), 0, Status.success()

    def find_candidates(
        self, pod: Pod, statuses: Mapping[str, Status], handle: FrameworkHandle
    ) -> tuple[list[Candidate], dict[str, Status]]:
        """Dry-run the potential nodes circularly from a random offset until enough candidates
        are found; the candidates and the status of every node that was no candidate."""
        snapshot = handle.snapshot
        # Only UNSCHEDULABLE nodes may be helped; unresolvable or unknown ones keep no explicit
        # status and are reported as "not helpful".
        potential = [
            i
            for i, info in enumerate(snapshot.nodes)
            if (status := statuses.get(info.name)) is not None and status.code is Code.UNSCHEDULABLE
        ]
        failures: dict[str, Status] = {}
        if not potential:
            return [], failures
        replace = _NodeSwapper(snapshot)
        offset = handle.rng.randrange(len(potential))
        wanted = self.num_candidates(len(potential))
        non_violating: list[Candidate] = []
        violating: list[Candidate] = []
        for k in range(len(potential)):
            index = potential[(offset + k) % len(potential)]
            name = snapshot.nodes[index].name
            victims, violations, status = self.select_victims_on_node(pod, index, handle, replace)
            if status.is_success and victims:
                candidate = Candidate(name, victims, violations)
                (violating if violations else non_violating).append(candidate)
                if non_violating and len(non_violating) + len(violating) >= wanted:
                    break
            elif status.is_success:
                # The pod fits without evicting anything: the statuses were stale.
                failures[name] = Status.error(
                    f'expected at least one victim pod on node "{name}"', plugin=self.NAME
                )
            else:
                failures[name] = status
        return non_violating + violating, failures

    def post_filter(
        self,
        state: CycleState,
        pod: Pod,
        statuses: Mapping[str, Status],
        handle: FrameworkHandle,
    ) -> tuple[PostFilterResult | None, Status]:
        """Propose a node and its victims, or say (upstream's fit-error shape) why none works."""
        ok, why = self.eligible(pod, statuses, handle.snapshot)
        if not ok:
            return None, Status.unschedulable(why, plugin=self.NAME)
        candidates, failures = self.find_candidates(pod, statuses, handle)
        best = pick_one_node_for_preemption(candidates)
        if best is None:
            errors = [s.message for s in failures.values() if s.code is Code.ERROR]
            if errors:
                return None, Status.error(*errors, plugin=self.NAME)
            message = _fit_error(len(handle.snapshot), failures)
            return None, Status.unschedulable(message, plugin=self.NAME)
        return PostFilterResult(nominated_node=best.node, victims=best.victims), Status.success()
