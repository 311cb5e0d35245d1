"""The work queues: :class:`WorkQueue` (client-go's ``Type``), :class:`DelayingQueue` (adds
``add_after``) and :class:`RateLimitingQueue` (adds ``add_rate_limited``, ``forget`` and
``num_requeues``), each a subclass of the one before.

A key is in at most one of three states: *queued* (waiting for a worker), *processing*
(a worker got it and has not called :meth:`~WorkQueue.done`), or processing and *dirty*
again (added while being processed: it is queued again at ``done``). So one key is never
processed by two workers at once, and adds of a queued key collapse into one.
"""

from __future__ import annotations

import heapq
import math
from collections import deque
from collections.abc import Hashable
from typing import Generic, TypeVar

from kube_actors.runtime import TimerHandle, WaiterLike, current_runtime
from kube_actors.workqueue.limiters import RateLimiter, default_controller_rate_limiter
from kube_actors.workqueue.metrics import MetricsProvider, QueueMetrics, queue_metrics

__all__ = [
    "DEFAULT_PRIORITY",
    "LOW_PRIORITY",
    "DelayingQueue",
    "RateLimitingQueue",
    "ShutDown",
    "WorkQueue",
]

K = TypeVar("K", bound=Hashable)

#: The priority of an ordinary add.
DEFAULT_PRIORITY = 0
#: A priority below the default: controller-runtime's ``LowPriority``, which it gives the adds
#: of an informer's initial list so that live events are served first.
LOW_PRIORITY = -100


class ShutDown(Exception):
    """:meth:`WorkQueue.get` on a queue that is shut down and has nothing queued."""


class WorkQueue(Generic[K]):
    """A queue of keys with client-go's workqueue semantics.

    - :meth:`add` queues a key, unless the queue is shutting down or the key is already
      queued (adds collapse). A key being processed is marked and queued again at
      :meth:`done`, so it is never processed by two workers at once.
    - ``await`` :meth:`get` takes the next key (waiting for one); call :meth:`done` with it
      when the work is finished.
    - :meth:`shut_down`: further adds are ignored; workers still get what is queued, then
      :meth:`get` raises :class:`ShutDown`. ``await`` :meth:`shut_down_with_drain` does the
      same and also waits until no key is being processed.
    - Priorities (optional): ``add(key, priority=p)``; higher priorities are served first,
      FIFO within one priority (:data:`LOW_PRIORITY` is for initial-list events). Adding a
      queued key with a higher priority moves it up (to the back of the higher priority).

    The queue belongs to the runtime it was made in (create it inside ``simulate``/``run``);
    it is not thread-safe, and needs not be: every task of a runtime runs on one thread.
    Metrics are kept when ``metrics`` is given along with a ``name`` (see
    :mod:`kube_actors.workqueue.metrics`).
    """

    __slots__ = (
        "_backend",
        "_dirty",
        "_drain",
        "_drain_waiters",
        "_lane_of",
        "_lanes",
        "_lanes_len",
        "_levels",
        "_metrics",
        "_processing",
        "_queue",
        "_shutting_down",
        "_waiters",
        "name",
    )

    def __init__(self, *, name: str = "", metrics: MetricsProvider | None = None) -> None:
        runtime = current_runtime()
        self._backend = runtime.backend
        self.name = name
        self._metrics: QueueMetrics[K] | None = queue_metrics(runtime, name, metrics)
        #: Queued keys of the default priority, in order.
        self._queue: deque[K] = deque()
        #: Keys that need processing: queued, or added again while being processed.
        self._dirty: set[K] = set()
        self._processing: set[K] = set()
        #: Other priorities: their queues, their levels (highest first), how many keys
        #: they hold, and the priority of each dirty key not of the default priority.
        self._lanes: dict[int, deque[K]] = {}
        self._levels: list[int] = []
        self._lanes_len = 0
        self._lane_of: dict[K, int] = {}
        self._shutting_down = False
        self._drain = False
        self._waiters: deque[WaiterLike] = deque()
        self._drain_waiters: deque[WaiterLike] = deque()

    # --- adding -----------------------------------------------------------------------------

    def add(self, key: K, *, priority: int = DEFAULT_PRIORITY) -> None:
        """Queue ``key`` for processing (see the class docstring for when an add is ignored)."""
        if self._shutting_down:
            return
        dirty = self._dirty
        if key in dirty:
            if priority or self._lane_of:
                self._raise_priority(key, priority)
            return
        dirty.add(key)
        metrics = self._metrics
        if metrics is not None:
            metrics.add(key)
        if key in self._processing:
            if priority:
                self._lane_of[key] = priority
            return
        if priority:
            self._push_lane(key, priority)
        else:
            self._queue.append(key)
        if self._waiters:
            self._wake_one()

    def _push_lane(self, key: K, priority: int) -> None:
        lane = self._lanes.get(priority)
        if lane is None:
            lane = self._lanes[priority] = deque()
            self._levels.append(priority)
            self._levels.sort(reverse=True)
        lane.append(key)
        self._lanes_len += 1
        self._lane_of[key] = priority

    def _raise_priority(self, key: K, priority: int) -> None:
        """``key`` is dirty and added again: move it up if ``priority`` is higher."""
        lane_of = self._lane_of
        current = lane_of.get(key, DEFAULT_PRIORITY)
        if priority <= current:
            return
        if key in self._processing:  # queued again at done(), with the new priority
            if priority:
                lane_of[key] = priority
            else:
                del lane_of[key]
            return
        if current:
            self._lanes[current].remove(key)
            self._lanes_len -= 1
            del lane_of[key]
        else:
            self._queue.remove(key)
        if priority:
            self._push_lane(key, priority)
        else:
            self._queue.append(key)

    # --- getting ----------------------------------------------------------------------------

    async def get(self) -> K:
        """The next key, waiting for one; :class:`ShutDown` once shut down and drained.

        Call :meth:`done` with the key when its processing is finished.
        """
        queue = self._queue
        if queue and not self._lanes_len:
            key = queue.popleft()
        else:
            key = await self._get_slow()
        self._dirty.discard(key)
        self._processing.add(key)
        metrics = self._metrics
        if metrics is not None:
            metrics.get(key)
        return key

    async def _get_slow(self) -> K:
        while True:
            if self._lanes_len:
                return self._pop_lanes()
            if self._queue:
                return self._queue.popleft()
            if self._shutting_down:
                raise ShutDown(f"work queue {self.name!r} is shut down")
            await self._park(self._waiters)

    def _pop_lanes(self) -> K:
        queue = self._queue
        for level in self._levels:  # highest first; the default priority sits between
            if level < DEFAULT_PRIORITY and queue:
                return queue.popleft()
            lane = self._lanes[level]
            if lane:
                key = lane.popleft()
                self._lanes_len -= 1
                del self._lane_of[key]
                return key
        return queue.popleft()  # pragma: no cover  (_lanes_len > 0: a lane above returned)

    def done(self, key: K) -> None:
        """Processing of ``key`` is finished; if it was added meanwhile, queue it again.

        A key that is not being processed is ignored.
        """
        metrics = self._metrics
        if metrics is not None:
            metrics.done(key)
        processing = self._processing
        try:
            processing.remove(key)
        except KeyError:
            return
        if key in self._dirty:
            priority = self._lane_of.get(key) if self._lane_of else None
            if priority:
                del self._lane_of[key]
                self._push_lane(key, priority)
            else:
                self._queue.append(key)
            if self._waiters:
                self._wake_one()
        elif not processing and self._drain_waiters:
            self._wake_all(self._drain_waiters)

    # --- state ------------------------------------------------------------------------------

    def __len__(self) -> int:
        """Keys queued (not those being processed, nor delayed ones)."""
        return len(self._queue) + self._lanes_len

    def len(self) -> int:
        """Keys queued, as ``len(queue)`` (client-go's ``Len``)."""
        return len(self._queue) + self._lanes_len

    def __bool__(self) -> bool:
        """A queue is a queue, empty or not (so ``if queue:`` means "if there is a queue")."""
        return True

    @property
    def shutting_down(self) -> bool:
        """Whether :meth:`shut_down` or :meth:`shut_down_with_drain` was called."""
        return self._shutting_down

    def processing(self) -> frozenset[K]:
        """The keys being processed now (got and not done)."""
        return frozenset(self._processing)

    # --- shutting down ----------------------------------------------------------------------

    def shut_down(self) -> None:
        """Ignore further adds; workers get what is queued, then :class:`ShutDown`.

        Also releases a :meth:`shut_down_with_drain` that is waiting.
        """
        self._drain = False
        self._shutting_down = True
        self._on_shut_down()
        self._wake_all(self._waiters)
        self._wake_all(self._drain_waiters)

    async def shut_down_with_drain(self) -> None:
        """:meth:`shut_down`, then wait until no key is being processed.

        Workers must call :meth:`done` for every key they got, or this waits for ever (as in
        client-go); a :meth:`shut_down` meanwhile stops the wait.
        """
        self._drain = True
        self._shutting_down = True
        self._on_shut_down()
        self._wake_all(self._waiters)
        while self._processing and self._drain:
            await self._park(self._drain_waiters)

    def _on_shut_down(self) -> None:
        """Hook for subclasses: stop what runs beside the queue."""

    # --- waiting ----------------------------------------------------------------------------

    def _wake_one(self) -> None:
        waiters = self._waiters
        while waiters:
            if waiters.popleft().wake():
                return

    @staticmethod
    def _wake_all(waiters: deque[WaiterLike]) -> None:
        while waiters:
            waiters.popleft().wake()

    async def _park(self, waiters: deque[WaiterLike]) -> None:
        waiter = self._backend.waiter()
        waiters.append(waiter)
        try:
            await waiter.wait()
        except BaseException:
            if not waiter.done:
                if waiter in waiters:
                    waiters.remove(waiter)
            elif waiters is self._waiters and (self._queue or self._lanes_len):
                # Woken for a key, then cancelled before taking it: pass the wake-up on.
                self._wake_one()
            raise


class DelayingQueue(WorkQueue[K]):
    """A :class:`WorkQueue` with :meth:`add_after` (client-go's ``DelayingInterface``).

    Delayed keys wait in a heap ordered by ready time on the runtime's clock (virtual time in
    a simulation) and are added when it comes; keys ready at the same instant are added in
    the order they were delayed. Waiting keys are not in :meth:`len`, and are dropped at
    shut down.
    """

    __slots__ = ("_heap", "_seq", "_timer", "_timer_at", "_waiting")

    def __init__(self, *, name: str = "", metrics: MetricsProvider | None = None) -> None:
        super().__init__(name=name, metrics=metrics)
        #: (ready time, sequence, key); an entry is live while ``_waiting[key]`` has its
        #: sequence number (a key moved earlier leaves its old entry behind, dead).
        self._heap: list[tuple[float, int, K]] = []
        #: key -> (ready time, sequence, priority) for every waiting key.
        self._waiting: dict[K, tuple[float, int, int]] = {}
        self._seq = 0
        self._timer: TimerHandle | None = None
        self._timer_at = math.inf

    def add_after(self, key: K, delay: float, *, priority: int = DEFAULT_PRIORITY) -> None:
        """Add ``key`` once ``delay`` seconds have passed (at once if ``delay <= 0``).

        A key already waiting keeps the earlier of its two ready times (and the higher
        priority). Ignored when shutting down. Counts as a retry in the metrics.
        """
        if self._shutting_down:
            return
        if self._metrics is not None:
            self._metrics.retry()
        if delay <= 0:
            self.add(key, priority=priority)
            return
        ready = self._backend.now() + delay
        waiting = self._waiting
        entry = waiting.get(key)
        if entry is not None:
            old_ready, seq, old_priority = entry
            priority = max(priority, old_priority)
            if ready >= old_ready:
                if priority != old_priority:
                    waiting[key] = (old_ready, seq, priority)
                return
        self._seq += 1
        waiting[key] = (ready, self._seq, priority)
        heapq.heappush(self._heap, (ready, self._seq, key))
        if ready < self._timer_at:
            self._arm(ready)

    def waiting(self) -> int:
        """How many keys wait for their delay to pass."""
        return len(self._waiting)

    def _arm(self, when: float) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._timer_at = when
        self._timer = self._backend.call_at(when, self._fire)

    def _fire(self) -> None:
        self._timer = None
        self._timer_at = math.inf
        heap = self._heap
        waiting = self._waiting
        now = self._backend.now()
        while heap:
            ready, seq, key = heap[0]
            entry = waiting.get(key)
            if entry is None or entry[1] != seq:  # dead: the key was moved earlier
                heapq.heappop(heap)
                continue
            if ready > now:
                self._arm(ready)
                return
            heapq.heappop(heap)
            del waiting[key]
            self.add(key, priority=entry[2])

    def _on_shut_down(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._timer_at = math.inf
        self._heap.clear()
        self._waiting.clear()


class RateLimitingQueue(DelayingQueue[K]):
    """A :class:`DelayingQueue` whose retries wait as a :class:`RateLimiter` says (client-go's
    ``RateLimitingInterface``). The default limiter is
    :func:`~kube_actors.workqueue.default_controller_rate_limiter`.

    The usual worker::

        key = await queue.get()
        try:
            await reconcile(key)
        except Exception:
            queue.add_rate_limited(key)   # retry after a backoff
        else:
            queue.forget(key)             # success: reset the backoff
        finally:
            queue.done(key)
    """

    __slots__ = ("rate_limiter",)

    def __init__(
        self,
        rate_limiter: RateLimiter[K] | None = None,
        *,
        name: str = "",
        metrics: MetricsProvider | None = None,
    ) -> None:
        super().__init__(name=name, metrics=metrics)
        self.rate_limiter: RateLimiter[K] = (
            default_controller_rate_limiter() if rate_limiter is None else rate_limiter
        )

    def add_rate_limited(self, key: K, *, priority: int = DEFAULT_PRIORITY) -> None:
        """``add_after(key, rate_limiter.when(key))``: the limiter counts a retry."""
        self.add_after(key, self.rate_limiter.when(key), priority=priority)

    def forget(self, key: K) -> None:
        """Clear ``key``'s retry history in the limiter (the queue itself is unchanged)."""
        self.rate_limiter.forget(key)

    def num_requeues(self, key: K) -> int:
        """Retries of ``key`` the limiter has counted since it was last forgotten."""
        return self.rate_limiter.num_requeues(key)
