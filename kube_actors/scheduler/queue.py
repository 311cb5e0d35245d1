"""The scheduling queue: kube-scheduler's ``PriorityQueue`` (v1.34 semantics).

Three places a pending pod can wait:

- **activeQ**: pods ready to be tried, ordered by the profile's QueueSort ``less`` (default
  PrioritySort: higher priority first, then earlier enqueue time). ``await pop()`` takes the
  head, waiting for one.
- **backoffQ**: pods that failed and wait out their backoff (1 s doubling per attempt up to
  10 s) before they go back to activeQ, on their own, when the backoff expires.
- **unschedulablePods**: pods that failed for a reason only a cluster change can fix. A cluster
  event (:meth:`SchedulingQueue.move_all_to_active_or_backoff`) that one of the plugins that
  rejected the pod cares about moves it to activeQ (or to backoffQ while it is still backing
  off); after at most 5 minutes there it is flushed anyway (``UnschedulableTimeout``). Pods that
  a PreEnqueue plugin (SchedulingGates) rejects wait here too, *gated*, until an update (or an
  event the gating plugin cares about) lets them through.

A pod that fails in a scheduling cycle that started before the latest move request goes to
backoffQ rather than unschedulablePods (upstream's ``moveRequestCycle``): the event that could
have helped it arrived while it was being scheduled.

Every timestamp and timer comes from the runtime clock, so the queue runs in virtual time; make
it inside ``simulate``/``run``.
"""

from __future__ import annotations

import enum
import heapq
import math
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence

import attrs

from kube_actors.api import Pod
from kube_actors.runtime import Event, TimerHandle, current_runtime
from kube_actors.scheduler.framework import PreEnqueuePlugin, QueuedPod, QueueSortPlugin
from kube_actors.scheduler.plugins.basic import PrioritySort
from kube_actors.scheduler.profile import Profile

__all__ = [
    "DEFAULT_POD_INITIAL_BACKOFF",
    "DEFAULT_POD_MAX_BACKOFF",
    "DEFAULT_POD_MAX_IN_UNSCHEDULABLE_PODS_DURATION",
    "ClusterEvent",
    "QueueClosed",
    "QueueCounts",
    "QueuedPodInfo",
    "SchedulingQueue",
    "backoff_duration",
    "pod_key",
]

#: ``podInitialBackoffSeconds``.
DEFAULT_POD_INITIAL_BACKOFF = 1.0
#: ``podMaxBackoffSeconds``.
DEFAULT_POD_MAX_BACKOFF = 10.0
#: ``podMaxInUnschedulablePodsDuration``: 5 minutes.
DEFAULT_POD_MAX_IN_UNSCHEDULABLE_PODS_DURATION = 300.0

Less = Callable[[QueuedPod, QueuedPod], bool]


class ClusterEvent(enum.StrEnum):
    """Labels of the cluster events that may make unschedulable pods schedulable.

    Any string works as an event; these are upstream's common labels. ``UnschedulableTimeout``
    and ``ForceActivate`` are wildcards: they move every pod.
    """

    NODE_ADD = "NodeAdd"
    NODE_UPDATE = "NodeUpdate"
    NODE_DELETE = "NodeDelete"
    ASSIGNED_POD_ADD = "AssignedPodAdd"
    ASSIGNED_POD_UPDATE = "AssignedPodUpdate"
    ASSIGNED_POD_DELETE = "AssignedPodDelete"
    POD_DELETE = "PodDelete"
    UNSCHEDULED_POD_UPDATE = "UnscheduledPodUpdate"
    UNSCHEDULABLE_TIMEOUT = "UnschedulableTimeout"
    FORCE_ACTIVATE = "ForceActivate"


_WILDCARDS = frozenset({ClusterEvent.UNSCHEDULABLE_TIMEOUT, ClusterEvent.FORCE_ACTIVATE})


class QueueClosed(Exception):
    """:meth:`SchedulingQueue.pop` on a closed queue."""


def pod_key(pod: Pod) -> str:
    """The queue's key for ``pod``: its UID, or ``namespace/name`` when it has none.

    >>> from kube_actors.api import ObjectMeta
    >>> pod_key(Pod(metadata=ObjectMeta(name="a", namespace="ns")))
    'ns/a'
    """
    meta = pod.metadata
    return meta.uid or f"{meta.namespace}/{meta.name}"


def backoff_duration(
    attempts: int,
    initial: float = DEFAULT_POD_INITIAL_BACKOFF,
    maximum: float = DEFAULT_POD_MAX_BACKOFF,
) -> float:
    """Upstream ``calculateBackoffDuration``: 0 before any attempt, then ``initial`` doubling
    per further attempt, capped at ``maximum``.

    >>> [backoff_duration(n) for n in range(7)]
    [0.0, 1.0, 2.0, 4.0, 8.0, 10.0, 10.0]
    """
    if attempts <= 0:
        return 0.0
    duration = initial
    for _ in range(1, attempts):
        if duration >= maximum - duration:
            return maximum
        duration += duration
    return min(duration, maximum)


@attrs.define(eq=False)
class QueuedPodInfo:
    """A pod in (or popped from) the scheduling queue, with its queueing bookkeeping."""

    pod: Pod
    #: When the pod last entered the queue (refreshed when it is requeued after a failure).
    timestamp: float
    #: Scheduling attempts so far (incremented by :meth:`SchedulingQueue.pop`).
    attempts: int = 0
    #: When the first attempt began (``None`` before it).
    initial_attempt_timestamp: float | None = None
    #: The plugins that rejected the pod in its last attempt.
    unschedulable_plugins: frozenset[str] = frozenset()
    #: Whether a PreEnqueue plugin keeps the pod out of activeQ.
    gated: bool = False
    #: The PreEnqueue plugin that gates the pod ("" when not gated).
    gating_plugin: str = ""
    #: The scheduling cycle of the last pop (0 before any).
    scheduling_cycle: int = 0

    @property
    def key(self) -> str:
        """The pod's queue key (:func:`pod_key`)."""
        return pod_key(self.pod)

    @property
    def queued_pod(self) -> QueuedPod:
        """The view QueueSort plugins compare."""
        return QueuedPod(self.pod, self.timestamp, self.attempts)


@attrs.frozen
class QueueCounts:
    """How many pods each part of the queue holds (upstream's ``pending_pods`` by queue)."""

    active: int
    backoff: int
    #: Unschedulable pods that are not gated.
    unschedulable: int
    #: Pods held back by a PreEnqueue plugin.
    gated: int
    #: Popped pods not yet marked :meth:`~SchedulingQueue.done`.
    in_flight: int


class _ActiveItem:
    """A heap entry of activeQ; ordered by ``less``, ties by insertion."""

    __slots__ = ("info", "less", "queued", "seq")

    def __init__(self, info: QueuedPodInfo, seq: int, less: Less) -> None:
        self.info = info
        self.queued = info.queued_pod
        self.seq = seq
        self.less = less

    def __lt__(self, other: _ActiveItem) -> bool:
        if self.less(self.queued, other.queued):
            return True
        if self.less(other.queued, self.queued):
            return False
        return self.seq < other.seq


class SchedulingQueue:
    """kube-scheduler's scheduling queue (see the module docstring).

    ``less`` is the profile's QueueSort function (default :class:`PrioritySort`);
    ``pre_enqueue`` the PreEnqueue plugins; ``plugin_events`` maps a plugin name to the event
    labels that may make a pod it rejected schedulable (a rejecting plugin not in the mapping,
    or a pod with no rejecting plugins, is moved by any event).
    """

    def __init__(
        self,
        *,
        less: Less | None = None,
        pre_enqueue: Sequence[PreEnqueuePlugin] = (),
        plugin_events: Mapping[str, Collection[str]] | None = None,
        initial_backoff: float = DEFAULT_POD_INITIAL_BACKOFF,
        max_backoff: float = DEFAULT_POD_MAX_BACKOFF,
        max_in_unschedulable: float = DEFAULT_POD_MAX_IN_UNSCHEDULABLE_PODS_DURATION,
    ) -> None:
        self._backend = current_runtime().backend
        self._less: Less = less if less is not None else PrioritySort().less
        self._pre_enqueue = tuple(pre_enqueue)
        self._plugin_events = {k: frozenset(v) for k, v in (plugin_events or {}).items()}
        self.initial_backoff = initial_backoff
        self.max_backoff = max_backoff
        self.max_in_unschedulable = max_in_unschedulable
        self._seq = 0
        # activeQ: key -> live heap item; stale heap items are skipped.
        self._active: dict[str, _ActiveItem] = {}
        self._active_heap: list[_ActiveItem] = []
        # backoffQ: key -> (info, seq); heap of (expiry, seq, key).
        self._backoff: dict[str, tuple[QueuedPodInfo, int]] = {}
        self._backoff_heap: list[tuple[float, int, str]] = []
        # unschedulablePods: key -> (info, seq); heap of (flush deadline, seq, key), gated
        # pods have no deadline.
        self._unschedulable: dict[str, tuple[QueuedPodInfo, int]] = {}
        self._unschedulable_heap: list[tuple[float, int, str]] = []
        self._in_flight: dict[str, QueuedPodInfo] = {}
        self._deleted_in_flight: set[str] = set()
        self._scheduling_cycle = 0
        self._move_request_cycle = -1
        self._wakeup: Event | None = None
        self._timer: TimerHandle | None = None
        self._timer_at = math.inf
        self._closed = False

    @classmethod
    def for_profile(
        cls,
        profile: Profile,
        *,
        plugin_events: Mapping[str, Collection[str]] | None = None,
        initial_backoff: float = DEFAULT_POD_INITIAL_BACKOFF,
        max_backoff: float = DEFAULT_POD_MAX_BACKOFF,
        max_in_unschedulable: float = DEFAULT_POD_MAX_IN_UNSCHEDULABLE_PODS_DURATION,
    ) -> SchedulingQueue:
        """A queue with ``profile``'s QueueSort (the first; PrioritySort if none) and
        PreEnqueue plugins."""
        sorters = [p for p in profile.at("queueSort") if isinstance(p, QueueSortPlugin)]
        gates = [p for p in profile.at("preEnqueue") if isinstance(p, PreEnqueuePlugin)]
        return cls(
            less=sorters[0].less if sorters else None,
            pre_enqueue=gates,
            plugin_events=plugin_events,
            initial_backoff=initial_backoff,
            max_backoff=max_backoff,
            max_in_unschedulable=max_in_unschedulable,
        )

    # --- public API -----------------------------------------------------------------------

    @property
    def scheduling_cycle(self) -> int:
        """How many pods have been popped."""
        return self._scheduling_cycle

    @property
    def move_request_cycle(self) -> int:
        """The scheduling cycle of the latest move request (-1 before any)."""
        return self._move_request_cycle

    def add(self, pod: Pod) -> None:
        """A new pending pod: to activeQ, or gated into unschedulablePods."""
        key = pod_key(pod)
        self._remove_unschedulable(key)
        self._remove_backoff(key)
        info = QueuedPodInfo(pod, self._backend.now())
        self._move_to_active(info)

    def update(self, old: Pod | None, new: Pod) -> None:
        """A pending pod changed: update it where it waits, or requeue it if it may now fit."""
        key = pod_key(new)
        item = self._active.get(key)
        if item is not None:
            item.info.pod = new
            self._push_active(item.info)  # re-sort (the old entry goes stale)
            return
        entry = self._backoff.get(key)
        if entry is not None:
            entry[0].pod = new
            return
        uentry = self._unschedulable.get(key)
        if uentry is not None:
            info = uentry[0]
            if old is not None and not _pod_updated(old, new):
                info.pod = new
                return
            self._remove_unschedulable(key)
            info.pod = new
            if info.gated:
                info.gated, info.gating_plugin = False, ""
                self._move_to_active(info)
            elif self._backing_off(info):
                self._push_backoff(info)
            else:
                self._move_to_active(info)
            return
        # Not queued (new to us, or in flight): put it in activeQ, as upstream.
        self._move_to_active(QueuedPodInfo(new, self._backend.now()))

    def delete(self, pod: Pod) -> None:
        """Forget ``pod`` wherever it waits; a popped pod is not requeued after a failure."""
        key = pod_key(pod)
        self._remove_active(key)
        self._remove_backoff(key)
        self._remove_unschedulable(key)
        if key in self._in_flight:
            self._deleted_in_flight.add(key)
        self._rearm()

    async def pop(self) -> QueuedPodInfo:
        """The head of activeQ, waiting for one; starts a scheduling cycle.

        Raises :class:`QueueClosed` once the queue is closed.
        """
        while True:
            if self._closed:
                raise QueueClosed("scheduling queue is closed")
            info = self._pop_active()
            if info is not None:
                self._scheduling_cycle += 1
                info.attempts += 1
                info.scheduling_cycle = self._scheduling_cycle
                if info.initial_attempt_timestamp is None:
                    info.initial_attempt_timestamp = self._backend.now()
                self._in_flight[info.key] = info
                self._deleted_in_flight.discard(info.key)
                return info
            if self._wakeup is None or self._wakeup.is_set():
                self._wakeup = Event()
            await self._wakeup.wait()

    def add_unschedulable_if_not_present(
        self,
        info: QueuedPodInfo,
        rejector_plugins: Iterable[str] = (),
        scheduling_cycle: int | None = None,
    ) -> bool:
        """Requeue a pod that failed in ``scheduling_cycle`` (default: its last pop's).

        Ignored (``False``) when the pod is already queued or was deleted while in flight.
        No rejecting plugins (an error), or a move request since the cycle began, sends it to
        backoffQ; otherwise it waits in unschedulablePods.
        """
        key = info.key
        if key in self._active or key in self._backoff or key in self._unschedulable:
            return False
        if key in self._deleted_in_flight:
            return False
        cycle = info.scheduling_cycle if scheduling_cycle is None else scheduling_cycle
        info.unschedulable_plugins = frozenset(rejector_plugins)
        info.timestamp = self._backend.now()
        info.gated, info.gating_plugin = False, ""
        if self._move_request_cycle >= cycle or not info.unschedulable_plugins:
            self._push_backoff(info)
        else:
            self._push_unschedulable(info)
        return True

    def done(self, key: str) -> None:
        """The scheduling cycle of the pod with queue key ``key`` (:func:`pod_key`) is over."""
        self._in_flight.pop(key, None)
        self._deleted_in_flight.discard(key)

    def activate(self, pods: Iterable[Pod]) -> bool:
        """Move these pods from backoffQ or unschedulablePods to activeQ at once.

        Returns whether any pod reached activeQ.
        """
        moved = False
        for pod in pods:
            key = pod_key(pod)
            entry = self._unschedulable.pop(key, None) or self._backoff.pop(key, None)
            if entry is None:
                continue
            moved = self._move_to_active(entry[0]) or moved
        self._rearm()
        return moved

    def move_all_to_active_or_backoff(
        self, event: str, pre_check: Callable[[Pod], bool] | None = None
    ) -> int:
        """A cluster ``event``: move the unschedulable pods it may help (and that pass
        ``pre_check``) to activeQ, or to backoffQ while they are backing off.

        Records the move request (see ``moveRequestCycle``). Returns how many pods left
        unschedulablePods.
        """
        candidates = [
            info
            for info, _ in self._unschedulable.values()
            if (pre_check is None or pre_check(info.pod)) and self._interested(info, event)
        ]
        moved = self._requeue(candidates)
        self._move_request_cycle = self._scheduling_cycle
        return moved

    def counts(self) -> QueueCounts:
        """How many pods wait in each part of the queue."""
        gated = sum(1 for info, _ in self._unschedulable.values() if info.gated)
        return QueueCounts(
            active=len(self._active),
            backoff=len(self._backoff),
            unschedulable=len(self._unschedulable) - gated,
            gated=gated,
            in_flight=len(self._in_flight),
        )

    def __len__(self) -> int:
        """Pods waiting in any part of the queue (not counting in-flight ones)."""
        return len(self._active) + len(self._backoff) + len(self._unschedulable)

    def __contains__(self, pod: object) -> bool:
        if not isinstance(pod, Pod):
            return False
        key = pod_key(pod)
        return key in self._active or key in self._backoff or key in self._unschedulable

    def pending_pods(self) -> list[Pod]:
        """Every waiting pod: activeQ (in order), backoffQ, then unschedulablePods."""
        ordered = sorted(self._active.values())
        return [
            *(item.info.pod for item in ordered),
            *(info.pod for info, _ in self._backoff.values()),
            *(info.pod for info, _ in self._unschedulable.values()),
        ]

    def close(self) -> None:
        """Stop: pending and future :meth:`pop` calls raise :class:`QueueClosed`."""
        self._closed = True
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._timer_at = math.inf
        self._wake()

    # --- internals ------------------------------------------------------------------------

    def _next_seq(self) -> int:
        self._seq += 1
        return self._seq

    def _wake(self) -> None:
        if self._wakeup is not None:
            self._wakeup.set()

    def _backoff_expiry(self, info: QueuedPodInfo) -> float:
        duration = backoff_duration(info.attempts, self.initial_backoff, self.max_backoff)
        return info.timestamp + duration

    def _backing_off(self, info: QueuedPodInfo) -> bool:
        return self._backoff_expiry(info) > self._backend.now()

    def _interested(self, info: QueuedPodInfo, event: str) -> bool:
        if event in _WILDCARDS:
            return True
        plugins = {info.gating_plugin} if info.gated else info.unschedulable_plugins
        if not plugins:
            return True
        for name in plugins:
            wanted = self._plugin_events.get(name)
            if wanted is None or event in wanted or "*" in wanted:
                return True
        return False

    def _gate(self, pod: Pod) -> str | None:
        """The name of the first PreEnqueue plugin that rejects ``pod``, or ``None``."""
        for plugin in self._pre_enqueue:
            if not plugin.pre_enqueue(pod).is_success:
                return plugin.name
        return None

    def _move_to_active(self, info: QueuedPodInfo) -> bool:
        """activeQ if every PreEnqueue plugin agrees, else gated in unschedulablePods."""
        gate = self._gate(info.pod)
        if gate is not None:
            info.gated, info.gating_plugin = True, gate
            self._push_unschedulable(info)
            return False
        info.gated, info.gating_plugin = False, ""
        self._push_active(info)
        return True

    def _push_active(self, info: QueuedPodInfo) -> None:
        item = _ActiveItem(info, self._next_seq(), self._less)
        self._active[info.key] = item
        heapq.heappush(self._active_heap, item)
        self._wake()

    def _pop_active(self) -> QueuedPodInfo | None:
        heap = self._active_heap
        while heap:
            item = heapq.heappop(heap)
            key = item.info.key
            if self._active.get(key) is item:
                del self._active[key]
                return item.info
        return None

    def _remove_active(self, key: str) -> None:
        if self._active.pop(key, None) is not None and not self._active:
            self._active_heap.clear()

    def _push_backoff(self, info: QueuedPodInfo) -> None:
        seq = self._next_seq()
        self._backoff[info.key] = (info, seq)
        heapq.heappush(self._backoff_heap, (self._backoff_expiry(info), seq, info.key))
        self._rearm()

    def _remove_backoff(self, key: str) -> None:
        self._backoff.pop(key, None)

    def _push_unschedulable(self, info: QueuedPodInfo) -> None:
        seq = self._next_seq()
        self._unschedulable[info.key] = (info, seq)
        if not info.gated:
            deadline = info.timestamp + self.max_in_unschedulable
            heapq.heappush(self._unschedulable_heap, (deadline, seq, info.key))
            self._rearm()

    def _remove_unschedulable(self, key: str) -> None:
        self._unschedulable.pop(key, None)

    def _requeue(self, infos: Sequence[QueuedPodInfo]) -> int:
        """Move pods out of unschedulablePods (gated ones are checked again)."""
        moved = 0
        for info in infos:
            key = info.key
            if key not in self._unschedulable:
                continue
            del self._unschedulable[key]
            if info.gated:
                if self._move_to_active(info):
                    moved += 1
            elif self._backing_off(info):
                self._push_backoff(info)
                moved += 1
            elif self._move_to_active(info):
                moved += 1
        self._rearm()
        return moved

    @staticmethod
    def _head(
        heap: list[tuple[float, int, str]], live: dict[str, tuple[QueuedPodInfo, int]]
    ) -> float:
        while heap:
            when, seq, key = heap[0]
            entry = live.get(key)
            if entry is not None and entry[1] == seq:
                return when
            heapq.heappop(heap)
        return math.inf

    def _rearm(self) -> None:
        if self._closed:
            return
        when = min(
            self._head(self._backoff_heap, self._backoff),
            self._head(self._unschedulable_heap, self._unschedulable),
        )
        if when == self._timer_at:
            return
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._timer_at = when
        if when != math.inf:
            self._timer = self._backend.call_at(when, self._on_timer)

    def _on_timer(self) -> None:
        self._timer = None
        self._timer_at = math.inf
        now = self._backend.now()
        # Backoff expired: to activeQ.
        while self._head(self._backoff_heap, self._backoff) <= now:
            _, _, key = heapq.heappop(self._backoff_heap)
            info, _ = self._backoff.pop(key)
            self._move_to_active(info)
        # Too long in unschedulablePods: flush (UnschedulableTimeout).
        leftovers: list[QueuedPodInfo] = []
        while self._head(self._unschedulable_heap, self._unschedulable) <= now:
            _, _, key = heapq.heappop(self._unschedulable_heap)
            leftovers.append(self._unschedulable[key][0])
        if leftovers:
            self._requeue(leftovers)
        self._rearm()


def _pod_updated(old: Pod, new: Pod) -> bool:
    """Upstream ``isPodUpdated``: a change other than resource version, generation, status."""

    def strip(pod: Pod) -> Pod:
        meta = attrs.evolve(pod.metadata, resource_version="", generation=0)
        return attrs.evolve(pod, metadata=meta, status=new.status)

    return strip(old) != strip(new)
