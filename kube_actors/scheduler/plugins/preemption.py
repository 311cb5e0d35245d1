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
import operator
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import attrs

from kube_actors.api import Pod
from kube_actors.scheduler.framework import (
    TOTAL_NODES_KEY,
    Code,
    CycleState,
    FilterPlugin,
    FrameworkHandle,
    PostFilterResult,
    PreFilterPlugin,
    Status,
    run_pre_filters,
)
from kube_actors.scheduler.nodeinfo import NodeInfo, Resource, Snapshot, host_ports, pod_requests
from kube_actors.scheduler.nominator import pod_priority
from kube_actors.scheduler.plugins.basic import _Named
from kube_actors.scheduler.plugins.resources import NodeResourcesFit, fit_status_of
from kube_actors.scheduler.plugins.whatif import (
    filters_read_node_info_only,
    seen_by_node_info_only,
)

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


class _QuickDryRun:
    """The dry run of one node without building what-if snapshots, when that is exact.

    The long way (:meth:`DefaultPreemption.select_victims_on_node`) removes the victims, runs
    PreFilter over a snapshot holding the reduced node and every Filter on it, then runs them
    again for each victim it tries to reprieve. When the profile's filters read other pods
    through the node info only (:func:`~kube_actors.scheduler.plugins.whatif.
    filters_read_node_info_only`) and a node's potential victims hold no host ports and are
    seen through the node info only, just NodeResourcesFit's verdict depends on which victims
    leave: PreFilter runs once over the cycle's snapshot, the other filters once on the node
    as it is (with the nominated pods holding room there), and the reprieve loop is resource
    arithmetic. ``tests/scheduler/test_preemption.py`` checks both ways agree on generated
    clusters.
    """

    def __init__(
        self,
        state: CycleState,
        filters: tuple[FilterPlugin, ...],
        fit: NodeResourcesFit | None,
        request: Resource,
    ) -> None:
        self.state = state
        self.filters = filters
        self.fit = fit
        self.request = request
        # The resources NodeResourcesFit checks for this pod (those it requests), and how much.
        checked = [
            ("cpu", request.milli_cpu),
            ("memory", request.memory),
            ("ephemeral-storage", request.ephemeral_storage),
            *sorted(request.scalar.items()),
        ]
        self.names = [name for name, amount in checked if amount > 0]
        self.amounts = [amount for _, amount in checked if amount > 0]
        # id(requests) -> (requests, its checked amounts); the object is kept so its id is too
        self._shares: dict[int, tuple[Resource, tuple[int, ...]]] = {}

    @classmethod
    def prepare(cls, pod: Pod, handle: FrameworkHandle) -> _QuickDryRun | None:
        """The quick dry run for ``pod`` under ``handle``, or ``None`` when it would not be
        exact (or the handle does not say which plugins it runs)."""
        plugins = getattr(handle, "plugins", None)
        if not isinstance(plugins, tuple) or len(plugins) != 2:
            return None
        pre_filters: tuple[PreFilterPlugin, ...] = plugins[0]
        filters: tuple[FilterPlugin, ...] = plugins[1]
        if not filters_read_node_info_only(pod, filters, None):
            return None
        fit = next((p for p in filters if type(p) is NodeResourcesFit), None)
        snapshot = handle.snapshot
        state = CycleState()
        state.write(TOTAL_NODES_KEY, len(snapshot))
        skipped, rejection = run_pre_filters(pre_filters, state, pod, snapshot)
        if rejection is not None:
            return None  # every node fails the same way: the long way reports it
        if not filters_read_node_info_only(pod, filters, skipped):
            return None
        active = tuple(p for p in filters if p.name not in skipped)
        return cls(state, active, fit, pod_requests(pod))

    def select(
        self, pod: Pod, info: NodeInfo, potential: list[Pod], held: tuple[Pod, ...] = ()
    ) -> tuple[tuple[Pod, ...], int, Status] | None:
        """:meth:`DefaultPreemption.select_victims_on_node` for ``info`` whose lower-priority
        pods are ``potential`` (not empty), with the nominated pods ``held`` counted there;
        ``None`` when the quick way would not be exact for this node."""
        check_ports = bool(info.used_ports)
        for victim in potential:
            # The other filters are asked about the node with its victims still there.
            if not seen_by_node_info_only(victim) or (check_ports and host_ports(victim)):
                return None
        if held:
            if not all(seen_by_node_info_only(p) for p in held):
                return None
            for p in held:
                info = info.with_pod(p)
        fit = self.fit
        alloc = info.allocatable
        requested = info.requested
        count = len(info.pods) - len(potential)
        # Free room per checked resource once the victims are gone, in plain ints.
        names = self.names
        free = [alloc.get(name) - requested.get(name) for name in names]
        shares = [self._share(victim) for victim in potential]
        for share in shares:
            for k, amount in enumerate(share):
                free[k] += amount
        state = self.state
        amounts = self.amounts
        for plugin in self.filters:
            if plugin is fit:
                if count + 1 <= alloc.pods and all(map(operator.le, amounts, free)):
                    continue
                # Rejected: build the node's exact status, reasons and all.
                reduced = requested
                for victim in potential:
                    reduced = reduced - pod_requests(victim)
                status = fit_status_of(self.request, alloc, reduced, count)
            else:
                # The node as it is: these verdicts do not depend on the (inert) victims.
                status = plugin.filter(state, pod, info)
            if not status.is_success:
                return (), 0, status.with_plugin(plugin.name)
        if fit is None:
            return (), 0, Status.success()  # nothing to evict for
        keys = [_importance_key(victim) for victim in potential]
        order = sorted(range(len(potential)), key=keys.__getitem__)
        victims: list[Pod] = []
        room = alloc.pods - count - 1  # pods that may come back
        for k in order:
            share = shares[k]
            trial = list(map(operator.sub, free, share))
            if room > 0 and all(map(operator.le, amounts, trial)):
                free = trial
                room -= 1
            else:
                victims.append(potential[k])
        return tuple(victims), 0, Status.success()

    def _share(self, pod: Pod) -> tuple[int, ...]:
        """``pod``'s requests of the checked resources (memoized per requests object: pods
        of one shape share it)."""
        request = pod_requests(pod)
        found = self._shares.get(id(request))
        if found is not None and found[0] is request:
            return found[1]
        share = tuple(request.get(name) for name in self.names)
        self._shares[id(request)] = (request, share)
        return share


def _held(handle: FrameworkHandle) -> Mapping[str, tuple[Pod, ...]]:
    # The nominated pods holding room against the preemptor, by node (a handle that does not
    # say has none).
    held = getattr(handle, "nominated", None)
    return held if isinstance(held, Mapping) else {}


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

    #: Dry-run nodes the quick way when that is exact (see :class:`_QuickDryRun`); False
    #: always takes the long way (tests compare the two).
    quick_dry_run: bool = True

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
        held = _held(handle).get(info.name, ())

        def fits(node: NodeInfo) -> Status:
            # Upstream RunFilterPluginsWithNominatedPods: with the nominated pods that hold
            # room here, then (if any) without them; both must pass.
            if held:
                with_held = node
                for p in held:
                    with_held = with_held.with_pod(p)
                status = handle.run_filters(pod, with_held, replace(index, with_held))
                if not status.is_success:
                    return status
            return handle.run_filters(pod, node, replace(index, node))

        reduced = info
        for victim in potential:
            reduced = reduced.without_pod(victim)
        status = fits(reduced)
        if not status.is_success:
            return (), 0, status
        # Reprieve the most important pods first. With PDBs the violating ones would be tried
        # before the rest; there are none, so this single pass is the non-violating pass.
        potential.sort(key=_importance_key)
        victims: list[Pod] = []
        for candidate in potential:
            trial = reduced.with_pod(candidate)
            if fits(trial).is_success:
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
        get = statuses.get
        unschedulable = Code.UNSCHEDULABLE
        potential = [
            i
            for i, info in enumerate(snapshot.nodes)
            if (status := get(info.node.metadata.name)) is not None and status.code is unschedulable
        ]
        failures: dict[str, Status] = {}
        if not potential:
            return [], failures
        replace: _NodeSwapper | None = None
        quick = _QuickDryRun.prepare(pod, handle) if self.quick_dry_run else None
        held = _held(handle)
        priority = pod_priority(pod)
        offset = handle.rng.randrange(len(potential))
        wanted = self.num_candidates(len(potential))
        non_violating: list[Candidate] = []
        violating: list[Candidate] = []
        for k in range(len(potential)):
            index = potential[(offset + k) % len(potential)]
            name = snapshot.nodes[index].name
            result: tuple[tuple[Pod, ...], int, Status] | None = None
            if quick is not None:
                info = snapshot.nodes[index]
                lower = [p for p in info.pods if pod_priority(p) < priority]
                if not lower:
                    result = ((), 0, Status.unresolvable(ERR_NO_VICTIMS, plugin=self.NAME))
                else:
                    result = quick.select(pod, info, lower, held.get(info.name, ()))
            if result is None:
                replace = replace or _NodeSwapper(snapshot)
                result = self.select_victims_on_node(pod, index, handle, replace)
            victims, violations, status = result
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
            # Upstream NewPostFilterResultWithNominatedNode(""): the pod's nomination, if
            # any, is cleared (its old node is no longer worth waiting for).
            return PostFilterResult(nominated_node=None), Status.unschedulable(
                message, plugin=self.NAME
            )
        return PostFilterResult(nominated_node=best.node, victims=best.victims), Status.success()
