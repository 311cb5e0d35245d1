"""A small deterministic event kernel that runs coroutines in virtual time.

It is a run queue (FIFO) plus a timer heap ordered by ``(deadline, sequence)``; when the run
queue is empty the clock jumps to the next timer. Nothing depends on hash order, object ids or
the wall clock, so the same program gives the same schedule in every process.

Coroutines may only await the kernel's own primitives (:class:`Waiter` and a bare yield); an
``anyio``/``asyncio``/``trio`` await inside the kernel is reported as a clear error. Cancellation
follows trio's model: cancel scopes, level-triggered, delivered as :class:`Cancelled` at the next
await, caught by the outermost cancelled scope (a shielded scope stops the search outward).
"""

from __future__ import annotations

import contextvars
import heapq
import math
from collections import deque
from collections.abc import Callable, Coroutine, Generator
from types import TracebackType
from typing import Any

__all__ = [
    "Cancelled",
    "Kernel",
    "KernelScope",
    "KernelTask",
    "SimulationDeadlock",
    "Timer",
    "Waiter",
]


class Cancelled(BaseException):
    """Delivered to a task whose cancel scope was cancelled; let it propagate."""

    def __init__(self, scope: KernelScope) -> None:
        super().__init__("cancelled")
        self.scope = scope


class SimulationDeadlock(RuntimeError):
    """Every task is blocked and no timer is pending: nothing can ever happen again."""


class Timer:
    """A pending callback on the kernel's clock; :meth:`cancel` is cheap and idempotent."""

    __slots__ = ("_kernel", "callback", "cancelled", "when")

    def __init__(self, kernel: Kernel, when: float, callback: Callable[[], object]) -> None:
        self._kernel = kernel
        self.when = when
        self.callback = callback
        self.cancelled = False

    def cancel(self) -> None:
        """Forget the callback (it stays in the heap until popped or compacted)."""
        if not self.cancelled:
            self.cancelled = True
            self._kernel._cancelled_timers += 1


class Waiter:
    """A one-shot wake-up: a task awaits it, someone calls :meth:`wake` once.

    A waiter whose task was cancelled while parked is *abandoned*: :meth:`wake` then returns
    ``False`` so the waker can pass the wake-up on instead of losing it.
    """

    __slots__ = ("_kernel", "_task", "abandoned", "done", "value")

    def __init__(self, kernel: Kernel) -> None:
        self._kernel = kernel
        self._task: KernelTask | None = None
        self.done = False
        self.abandoned = False
        self.value: Any = None

    def wait(self) -> Waiter:
        """Return self, to be awaited (no coroutine object is created)."""
        return self

    def __await__(self) -> Generator[Any, Any, Any]:
        if not self.done:
            return (yield self)
        return self.value

    def wake(self, value: Any = None) -> bool:
        """Wake the waiting task with ``value``; ``False`` if already woken or abandoned."""
        if self.done or self.abandoned:
            return False
        self.done = True
        self.value = value
        task = self._task
        if task is not None:
            self._task = None
            task._parked = None
            self._kernel._ready.append((task, value, None))
        return True


class KernelScope:
    """A cancel scope: cancel it (or let its deadline pass) and the code inside is cancelled."""

    __slots__ = (
        "_fail",
        "_kernel",
        "_task",
        "_timer",
        "cancel_called",
        "cancelled_caught",
        "deadline",
        "shield",
    )

    def __init__(
        self,
        kernel: Kernel,
        deadline: float = math.inf,
        *,
        shield: bool = False,
        fail: bool = False,
    ) -> None:
        self._kernel = kernel
        self._task: KernelTask | None = None
        self._timer: Timer | None = None
        self._fail = fail
        self.deadline = deadline
        self.shield = shield
        self.cancel_called = False
        self.cancelled_caught = False

    def cancel(self) -> None:
        """Cancel the code inside this scope (now, or when it next awaits)."""
        if self.cancel_called:
            return
        self.cancel_called = True
        task = self._task
        if task is not None and task._parked is not None:
            self._kernel._deliver_cancel(task)

    def __enter__(self) -> KernelScope:
        task = self._kernel._current
        if task is None:
            raise RuntimeError("a cancel scope can only be entered inside a task")
        self._task = task
        task._scopes.append(self)
        if self.deadline != math.inf:
            self._timer = self._kernel.call_at(self.deadline, self.cancel)
        return self

    def __exit__(
        self,
        et: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool:
        task = self._task
        assert task is not None
        popped = task._scopes.pop()
        assert popped is self, "cancel scopes must be exited in the reverse order of entry"
        self._task = None
        if self._timer is not None:
            self._timer.cancel()
        if isinstance(exc, Cancelled) and exc.scope is self:
            self.cancelled_caught = True
            if self._fail:
                raise TimeoutError(f"deadline of {self.deadline:.6f}s passed") from None
            return True
        return False


#: (task, value to send, exception to throw)
_Step = tuple["KernelTask", Any, BaseException | None]


class KernelTask:
    """A coroutine running on the kernel; also the task handle the runtime hands out."""

    __slots__ = (
        "_callbacks",
        "_context",
        "_coro",
        "_kernel",
        "_parked",
        "_root",
        "_scopes",
        "cancelled",
        "done",
        "exception",
        "meta",
        "name",
        "result",
    )

    def __init__(self, kernel: Kernel, coro: Coroutine[Any, Any, Any], name: str) -> None:
        self._kernel = kernel
        self._coro = coro
        self._context = contextvars.copy_context()
        self._parked: Waiter | None = None
        self._root = KernelScope(kernel)
        self._root._task = self
        self._scopes: list[KernelScope] = [self._root]
        self._callbacks: list[Callable[[KernelTask], object]] = []
        self.name = name
        self.done = False
        self.cancelled = False
        self.result: Any = None
        self.exception: BaseException | None = None
        #: Free slot for the layer above (the actor cell that owns the task).
        self.meta: Any = None

    def cancel(self) -> None:
        """Cancel the task; it sees :class:`Cancelled` at its next await."""
        if not self.done:
            self._root.cancel()

    def add_done_callback(self, callback: Callable[[KernelTask], object]) -> None:
        """Call ``callback(task)`` when the task finishes (at once if it already has)."""
        if self.done:
            callback(self)
        else:
            self._callbacks.append(callback)

    async def join(self) -> Any:
        """Wait for the task; return its result or raise its exception."""
        if not self.done:
            waiter = Waiter(self._kernel)
            self.add_done_callback(lambda _t: waiter.wake())
            await waiter
        if self.exception is not None:
            raise self.exception
        return self.result

    def __repr__(self) -> str:
        return f"<KernelTask {self.name!r} done={self.done}>"


class Kernel:
    """The event loop of a simulation: deterministic FIFO scheduling in virtual time."""

    #: What a cancelled task sees.
    cancelled_exc: type[BaseException] = Cancelled

    def __init__(self, start: float = 0.0) -> None:
        self._now = start
        self._ready: deque[_Step] = deque()
        self._timers: list[tuple[float, int, Timer]] = []
        self._seq = 0
        self._cancelled_timers = 0
        self._current: KernelTask | None = None
        self.steps = 0

    # --- clock ----------------------------------------------------------------------------

    def now(self) -> float:
        """The virtual time, in seconds."""
        return self._now

    def call_at(self, when: float, callback: Callable[[], object]) -> Timer:
        """Run ``callback()`` (outside any task) once the clock reaches ``when``."""
        timer = Timer(self, when, callback)
        self._seq += 1
        heapq.heappush(self._timers, (when, self._seq, timer))
        if self._cancelled_timers > 256 and self._cancelled_timers * 2 > len(self._timers):
            self._compact()
        return timer

    def _compact(self) -> None:
        self._timers = [entry for entry in self._timers if not entry[2].cancelled]
        heapq.heapify(self._timers)
        self._cancelled_timers = 0

    def waiter(self) -> Waiter:
        """A new one-shot wake-up for the current task to await."""
        return Waiter(self)

    async def checkpoint(self) -> None:
        """Let every other runnable task run first (and see a pending cancellation)."""
        await _Yield()

    async def sleep_until(self, deadline: float) -> None:
        """Park the task until the clock reaches ``deadline`` (a checkpoint even if past)."""
        if deadline <= self._now:
            await _Yield()
            return
        waiter = Waiter(self)
        timer = self.call_at(deadline, waiter.wake)
        try:
            await waiter
        finally:
            timer.cancel()

    def scope(
        self, deadline: float = math.inf, *, shield: bool = False, fail: bool = False
    ) -> KernelScope:
        """A cancel scope; ``fail=True`` turns its deadline into :class:`TimeoutError`."""
        return KernelScope(self, deadline, shield=shield, fail=fail)

    # --- tasks ----------------------------------------------------------------------------

    def current_task(self) -> KernelTask | None:
        """The task that is running now (``None`` in timer callbacks)."""
        return self._current

    def spawn(self, coro: Coroutine[Any, Any, Any], name: str) -> KernelTask:
        """Start ``coro`` as a new task; it runs after the tasks already queued."""
        task = KernelTask(self, coro, name)
        self._ready.append((task, None, None))
        return task

    def _deliver_cancel(self, task: KernelTask) -> None:
        target = _cancel_target(task)
        if target is None:
            return
        waiter = task._parked
        if waiter is not None:
            waiter._task = None
            waiter.abandoned = True
            task._parked = None
        self._ready.append((task, None, Cancelled(target)))

    def _finish(self, task: KernelTask, result: Any, exc: BaseException | None) -> None:
        task.done = True
        if isinstance(exc, Cancelled) and exc.scope is task._root:
            task.cancelled = True
            exc = None
        task.result = result
        task.exception = exc
        task._coro = None  # type: ignore[assignment]  # free the frame
        callbacks, task._callbacks = task._callbacks, []
        for callback in callbacks:
            callback(task)

    # --- the loop -------------------------------------------------------------------------

    def run(self, until: Callable[[], bool], time_limit: float = math.inf) -> None:
        """Run tasks and timers until ``until()`` holds.

        Raises :class:`SimulationDeadlock` if nothing can run and nothing is scheduled, and
        :class:`TimeoutError` if the clock would pass ``time_limit``.
        """
        ready = self._ready
        timers = self._timers
        heappop = heapq.heappop
        steps = 0
        try:
            while not until():
                while ready:
                    task, value, exc = ready.popleft()
                    if task.done:
                        continue
                    steps += 1
                    self._current = task
                    try:
                        if exc is None:
                            trap = task._context.run(task._coro.send, value)
                        else:
                            trap = task._context.run(task._coro.throw, exc)
                    except StopIteration as stop:
                        self._current = None
                        self._finish(task, stop.value, None)
                        continue
                    except (KeyboardInterrupt, SystemExit):
                        raise
                    except BaseException as error:
                        self._current = None
                        if _is_foreign_loop_error(error):
                            error.add_note(_FOREIGN)
                        self._finish(task, None, error)
                        continue
                    self._current = None
                    if trap.__class__ is Waiter:
                        trap._task = task
                        task._parked = trap
                        if _has_cancel(task):
                            self._deliver_cancel(task)
                    elif trap.__class__ is _Yield:
                        target = _cancel_target(task)
                        if target is not None:
                            ready.append((task, None, Cancelled(target)))
                            continue
                        ready.append((task, None, None))
                    else:
                        ready.append((task, None, _foreign_await(trap)))
                    if until():
                        return
                if until():
                    return
                # Nothing runnable: jump the clock to the next live timer.
                while timers and timers[0][2].cancelled:
                    heappop(timers)
                    self._cancelled_timers -= 1
                if not timers:
                    raise SimulationDeadlock(
                        "every task is blocked and no timer is pending "
                        f"(virtual time {self._now:.6f})"
                    )
                when, seq, timer = heappop(timers)
                if when > time_limit:
                    heapq.heappush(timers, (when, seq, timer))
                    raise TimeoutError(
                        f"the simulation passed its time limit ({time_limit:.6f}s) "
                        "without finishing"
                    )
                if when > self._now:
                    self._now = when
                timer.cancelled = True  # fired: a later cancel() must not count it
                timer.callback()
        finally:
            self.steps += steps
            self._current = None


class _Yield:
    """Awaiting this reschedules the task behind everything already runnable."""

    __slots__ = ()

    def __await__(self) -> Generator[Any, Any, None]:
        yield self


def _has_cancel(task: KernelTask) -> bool:
    for scope in reversed(task._scopes):
        if scope.cancel_called:
            return True
        if scope.shield:
            return False
    return False


def _cancel_target(task: KernelTask) -> KernelScope | None:
    """The outermost cancelled scope reachable from the innermost one (shields stop the walk)."""
    target = None
    for scope in reversed(task._scopes):
        if scope.cancel_called:
            target = scope
        if scope.shield:
            break
    return target


_FOREIGN = (
    "in virtual time only kube_actors.runtime primitives can be awaited "
    "(use kube_actors.runtime.sleep, Event, Channel, spawn, move_on_after, ...)"
)


def _foreign_await(trap: object) -> RuntimeError:
    return RuntimeError(
        f"awaited {type(trap).__module__}.{type(trap).__qualname__} inside a simulation: "
        + _FOREIGN
    )


def _is_foreign_loop_error(error: BaseException) -> bool:
    """asyncio and anyio calls fail like this when no event loop of theirs is running."""
    name = type(error).__name__
    return name in ("AsyncLibraryNotFoundError", "NoEventLoopError") or (
        isinstance(error, RuntimeError) and "no running event loop" in str(error)
    )
