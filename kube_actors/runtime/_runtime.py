"""The runtime: one backend (virtual or real time), one seeded random source, one trace.

Code finds the current runtime through a context variable, so the module-level helpers
(:func:`now`, :func:`sleep`, :func:`rng`, ...) work in any task started by the runtime.
"""

from __future__ import annotations

import contextvars
import math
import random
import weakref
from collections import deque
from collections.abc import Coroutine, Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import structlog

from kube_actors.runtime._backend import Backend, Scope, TaskHandle, WaiterLike
from kube_actors.runtime._errors import ChannelClosed, ChannelEmpty, ChannelFull, NoRuntime
from kube_actors.runtime._trace import Trace

if TYPE_CHECKING:
    from kube_actors.runtime._actor import ActorCell
    from kube_actors.runtime._faults import FaultInjector

__all__ = [
    "Channel",
    "Event",
    "Runtime",
    "checkpoint",
    "current_runtime",
    "elapsed",
    "fail_after",
    "fail_at",
    "move_on_after",
    "move_on_at",
    "new_uid",
    "now",
    "rng",
    "sleep",
    "sleep_until",
    "spawn",
    "wall_time",
    "wall_time_seconds",
]

T = TypeVar("T")

_RUNTIME: contextvars.ContextVar[Runtime | None] = contextvars.ContextVar(
    "kube_actors_runtime", default=None
)


class Runtime:
    """Everything actors share: clock, random source, trace, fault injector, actor registry."""

    def __init__(
        self,
        backend: Backend,
        *,
        seed: int | str | None,
        virtual: bool,
        epoch: float,
        trace: Trace | None = None,
    ) -> None:
        self.backend = backend
        self.seed = seed
        self.virtual = virtual
        #: The one random source for everything in this run (uids, names, tie-breaks).
        self.rng = random.Random(seed)
        #: Deliveries, timer firings, faults; ``None`` in real time unless asked for.
        self.trace = trace
        self.faults: FaultInjector | None = None
        self.start = backend.now()
        #: Unix time at the start (fixed in virtual time), for :meth:`wall_time`.
        self.epoch = epoch
        self.dead_letters = 0
        self._cells: dict[str, ActorCell] = {}
        self._roots: list[ActorCell] = []
        self._tasks: dict[int, TaskHandle] = {}
        self._task_seq = 0
        self.log = structlog.get_logger("kube_actors.runtime")

    # --- clock ----------------------------------------------------------------------------

    def now(self) -> float:
        """Seconds on the runtime's clock: monotonic in real time, from 0 in virtual time."""
        return self.backend.now()

    def wall_time(self) -> datetime:
        """The current UTC date and time (for timestamps): the epoch plus the elapsed time."""
        return datetime.fromtimestamp(self.epoch + self.elapsed(), tz=UTC)

    def elapsed(self) -> float:
        """Seconds since the runtime started."""
        return self.backend.now() - self.start

    def record(self, kind: str, actor: str, detail: object = "") -> None:
        """Add an event to the trace (if there is one)."""
        if self.trace is not None:
            self.trace.record(self.backend.now(), kind, actor, detail)

    def event_fields(self) -> dict[str, Any]:
        """Extra log fields: the virtual time, so logs line up with the trace."""
        return {"virtual_time": round(self.backend.now() - self.start, 6)} if self.virtual else {}

    # --- tasks ----------------------------------------------------------------------------

    def spawn(self, coro: Coroutine[Any, Any, Any], name: str = "task") -> TaskHandle:
        """Start a task; the runtime cancels it at shutdown if it is still running."""
        self._task_seq += 1
        key = self._task_seq
        task = self.backend.spawn(coro, name)
        self._tasks[key] = task
        task.add_done_callback(lambda _t: self._tasks.pop(key, None))
        return task

    def live_tasks(self) -> list[TaskHandle]:
        """Tasks started with :meth:`spawn` that have not finished, oldest first."""
        return list(self._tasks.values())

    # --- actors ---------------------------------------------------------------------------

    def actor(self, name: str) -> ActorCell | None:
        """The live actor cell registered under ``name``."""
        return self._cells.get(name)

    def actors(self) -> list[ActorCell]:
        """Every registered actor cell, in start order."""
        return list(self._cells.values())

    async def shutdown(self, grace: float | None = None) -> None:
        """Stop top-level actors in reverse start order, each within its grace period."""
        while self._roots:
            cell = self._roots[-1]
            await cell.stop(grace)
            if self._roots and self._roots[-1] is cell:
                self._roots.pop()


def current_runtime() -> Runtime:
    """The runtime of the calling task; :class:`NoRuntime` outside one."""
    runtime = _RUNTIME.get()
    if runtime is None:
        raise NoRuntime(
            "no kube_actors runtime here: call this inside simulate(), run() or open_runtime()"
        )
    return runtime


def now() -> float:
    """The runtime's clock in seconds: monotonic in real time, from 0 in virtual time."""
    return current_runtime().backend.now()


# (runtime, instant, time, time in whole seconds) of the last reading: in virtual time many
# timestamps share an instant. The runtime is held weakly, so a finished run is not kept alive
# by it; the entry is replaced whole, so runtimes in other threads never see half of one.
_wall_cache: tuple[weakref.ref[Runtime], float, datetime, datetime] | None = None


def _wall_reading() -> tuple[weakref.ref[Runtime], float, datetime, datetime]:
    global _wall_cache
    runtime = current_runtime()
    instant = runtime.backend.now()
    cached = _wall_cache
    if cached is not None and cached[1] == instant and cached[0]() is runtime:
        return cached
    time = runtime.wall_time()
    cached = _wall_cache = (weakref.ref(runtime), instant, time, time.replace(microsecond=0))
    return cached


def wall_time() -> datetime:
    """The current UTC date and time on the runtime's clock (fixed epoch in virtual time)."""
    return _wall_reading()[2]


def wall_time_seconds() -> datetime:
    """:func:`wall_time` in whole seconds (metav1.Time's precision: what API objects store)."""
    return _wall_reading()[3]


def elapsed() -> float:
    """Seconds since the runtime started."""
    return current_runtime().elapsed()


async def sleep(seconds: float) -> None:
    """Wait ``seconds`` on the runtime's clock (``sleep(0)`` lets other tasks run)."""
    backend = current_runtime().backend
    await backend.sleep_until(backend.now() + max(0.0, seconds))


async def sleep_until(deadline: float) -> None:
    """Wait until the runtime's clock reads ``deadline``."""
    await current_runtime().backend.sleep_until(deadline)


async def checkpoint() -> None:
    """Let every other runnable task run first."""
    await current_runtime().backend.checkpoint()


def move_on_after(seconds: float, *, shield: bool = False) -> Scope:
    """A cancel scope that silently stops what it wraps after ``seconds``."""
    backend = current_runtime().backend
    return backend.scope(backend.now() + seconds, shield=shield)


def move_on_at(deadline: float, *, shield: bool = False) -> Scope:
    """Like :func:`move_on_after`, with an absolute deadline."""
    return current_runtime().backend.scope(deadline, shield=shield)


def fail_after(seconds: float, *, shield: bool = False) -> Scope:
    """A cancel scope that raises :class:`TimeoutError` after ``seconds``."""
    backend = current_runtime().backend
    return backend.scope(backend.now() + seconds, shield=shield, fail=True)


def fail_at(deadline: float, *, shield: bool = False) -> Scope:
    """Like :func:`fail_after`, with an absolute deadline."""
    return current_runtime().backend.scope(deadline, shield=shield, fail=True)


def cancel_scope(*, shield: bool = False) -> Scope:
    """A cancel scope without a deadline (cancel it by hand; ``shield`` protects cleanup)."""
    return current_runtime().backend.scope(math.inf, shield=shield)


def spawn(coro: Coroutine[Any, Any, Any], name: str = "task") -> TaskHandle:
    """Start ``coro`` as a task of the current runtime."""
    return current_runtime().spawn(coro, name)


def rng() -> random.Random:
    """The runtime's seeded random source: use it for every random choice."""
    return current_runtime().rng


def new_uid() -> str:
    """A UUID4 string drawn from the runtime's random source (so reproducible)."""
    # uuid.UUID(int=..., version=4), formatted without building the object: set the version
    # (4) and the RFC 4122 variant bits, then print as 8-4-4-4-12 hex digits.
    # The bit above them (in _UUID_SET) makes hex() print all 32 digits, after "0x1".
    h = hex(current_runtime().rng.getrandbits(128) & _UUID_KEEP | _UUID_SET)
    return f"{h[3:11]}-{h[11:15]}-{h[15:19]}-{h[19:23]}-{h[23:]}"


# The bits new_uid clears (version, variant) and sets (version 4, variant 10, bit 128).
_UUID_KEEP = ~(0xF000 << 64) & ~(0xC000 << 48)
_UUID_SET = (4 << 76) | (0x8000 << 48) | (1 << 128)


# --- synchronisation primitives (work on both backends) --------------------------------------


class Event:
    """Set once; every task waiting on it wakes."""

    __slots__ = ("_backend", "_set", "_waiters")

    def __init__(self) -> None:
        self._backend = current_runtime().backend
        self._set = False
        self._waiters: list[WaiterLike] = []

    def is_set(self) -> bool:
        """Whether :meth:`set` was called."""
        return self._set

    def set(self) -> None:
        """Wake every waiter, now and later."""
        if self._set:
            return
        self._set = True
        waiters, self._waiters = self._waiters, []
        for waiter in waiters:
            waiter.wake()

    async def wait(self) -> None:
        """Return once the event is set."""
        if self._set:
            return
        waiter = self._backend.waiter()
        self._waiters.append(waiter)
        try:
            await waiter.wait()
        finally:
            if not waiter.done and waiter in self._waiters:
                self._waiters.remove(waiter)


class Channel(Generic[T]):
    """A bounded FIFO between tasks: ``send`` waits for room, ``send_nowait`` fails fast.

    Items stay in the channel until received, and a wake-up lost to a cancelled receiver is
    passed on, so nothing sent is ever lost. ``close()`` lets receivers drain what is queued.
    """

    __slots__ = ("_backend", "_receivers", "_senders", "capacity", "closed", "items", "name")

    def __init__(self, capacity: int, *, name: str = "channel") -> None:
        if capacity < 1:
            raise ValueError(f"channel {name!r}: capacity must be at least 1, got {capacity}")
        self._backend = current_runtime().backend
        self.capacity = capacity
        self.name = name
        self.items: deque[T] = deque()
        self.closed = False
        self._receivers: deque[WaiterLike] = deque()
        self._senders: deque[WaiterLike] = deque()

    def __len__(self) -> int:
        return len(self.items)

    def __iter__(self) -> Iterator[T]:
        return iter(self.items)

    # --- sending --------------------------------------------------------------------------

    def send_nowait(self, item: T) -> None:
        """Queue ``item`` or raise :class:`ChannelFull` / :class:`ChannelClosed`."""
        if self.closed:
            raise ChannelClosed(f"channel {self.name!r} is closed")
        if len(self.items) >= self.capacity:
            raise ChannelFull(f"channel {self.name!r} is full ({self.capacity} items)")
        self.items.append(item)
        if self._receivers:
            self._wake_one(self._receivers)

    def put(self, item: T) -> None:
        """Queue ``item`` even past capacity (timers and system messages); wakes a receiver."""
        self.items.append(item)
        if self._receivers:
            self._wake_one(self._receivers)

    def put_wake(self) -> None:
        """Wake a receiver after items were added to ``items`` directly."""
        if self._receivers:
            self._wake_one(self._receivers)

    async def send(self, item: T) -> None:
        """Queue ``item``, waiting while the channel is full."""
        while len(self.items) >= self.capacity and not self.closed:
            await self._park(self._senders)
        self.send_nowait(item)

    # --- receiving ------------------------------------------------------------------------

    def receive_nowait(self) -> T:
        """The oldest item, or :class:`ChannelEmpty` / :class:`ChannelClosed`."""
        if self.items:
            item = self.items.popleft()
            if self._senders:
                self._wake_one(self._senders)
            return item
        if self.closed:
            raise ChannelClosed(f"channel {self.name!r} is closed")
        raise ChannelEmpty(f"channel {self.name!r} is empty")

    async def receive(self) -> T:
        """The oldest item, waiting for one; :class:`ChannelClosed` once closed and drained."""
        while not self.items:
            if self.closed:
                raise ChannelClosed(f"channel {self.name!r} is closed")
            await self._park(self._receivers)
        return self.receive_nowait()

    async def wait_ready(self) -> None:
        """Wait until an item is queued or the channel is closed (receives nothing)."""
        while not self.items and not self.closed:
            await self._park(self._receivers)

    def drain(self, limit: int = 0) -> list[T]:
        """Take up to ``limit`` queued items (all if 0) without waiting."""
        items = self.items
        count = len(items) if limit <= 0 else min(limit, len(items))
        if count == len(items):
            batch = list(items)  # all of it: one C-level copy instead of a pop per item
            items.clear()
        else:
            batch = [items.popleft() for _ in range(count)]
        for _ in batch:  # one freed slot per blocked sender
            if not self._senders:
                break
            self._wake_one(self._senders)
        return batch

    def room(self) -> None:
        """Tell a blocked sender that space was made (after taking items from ``items``)."""
        if self._senders:
            self._wake_one(self._senders)

    def close(self) -> None:
        """No more sends; receivers get what is queued, then :class:`ChannelClosed`."""
        if self.closed:
            return
        self.closed = True
        for queue in (self._receivers, self._senders):
            while queue:
                queue.popleft().wake()

    # --- internals ------------------------------------------------------------------------

    @staticmethod
    def _wake_one(queue: deque[WaiterLike]) -> None:
        while queue:
            if queue.popleft().wake():
                return

    async def _park(self, queue: deque[WaiterLike]) -> None:
        waiter = self._backend.waiter()
        queue.append(waiter)
        try:
            await waiter.wait()
        except BaseException:
            if not waiter.done:
                if waiter in queue:
                    queue.remove(waiter)
            else:
                # Woken, then cancelled before acting on it: pass the wake-up on.
                if (queue is self._receivers and self.items) or (
                    queue is self._senders and len(self.items) < self.capacity
                ):
                    self._wake_one(queue)
            raise
