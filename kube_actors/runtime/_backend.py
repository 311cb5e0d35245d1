"""What the runtime needs from an event loop, and the real-time implementation on anyio.

The runtime is written against :class:`Backend`: a clock, one-shot waiters, tasks, timers and
cancel scopes. Two backends implement it: :class:`~kube_actors.runtime._kernel.Kernel` (virtual
time, deterministic) and :class:`AnyioBackend` (real time, on asyncio or trio through anyio).
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import math
from collections.abc import Callable, Coroutine
from types import TracebackType
from typing import Any, Protocol, Self

import anyio
import anyio.abc

__all__ = ["AnyioBackend", "Backend", "Scope", "TaskHandle", "TimerHandle", "WaiterLike"]


class WaiterLike(Protocol):
    """A one-shot wake-up (see :class:`~kube_actors.runtime._kernel.Waiter`)."""

    done: bool
    abandoned: bool

    def wait(self) -> Any:
        """An awaitable that returns the value passed to :meth:`wake`."""
        ...

    def wake(self, value: Any = None) -> bool:
        """Wake the waiter; ``False`` if it was already woken or its waiter gave up."""
        ...


class TimerHandle(Protocol):
    """A pending callback; cancel it to forget it."""

    def cancel(self) -> None:
        """Forget the callback."""
        ...


class TaskHandle(Protocol):
    """A running task of either backend."""

    name: str
    done: bool
    cancelled: bool
    exception: BaseException | None
    result: Any
    meta: Any

    def cancel(self) -> None:
        """Cancel the task."""
        ...

    def add_done_callback(self, callback: Callable[[Any], object]) -> None:
        """Call ``callback(task)`` once the task has finished."""
        ...

    async def join(self) -> Any:
        """Wait for the task and return its result (or raise its exception)."""
        ...


class Scope(Protocol):
    """A cancel scope (a context manager)."""

    deadline: float

    @property
    def cancel_called(self) -> bool:
        """Whether the scope was cancelled (by hand or by its deadline)."""
        ...

    @property
    def cancelled_caught(self) -> bool:
        """Whether the scope stopped a cancellation on its way out."""
        ...

    def cancel(self) -> None:
        """Cancel what runs inside the scope."""
        ...

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        et: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool: ...


class Backend(Protocol):
    """The event-loop services the runtime is built on."""

    #: The exception a cancelled task sees (never swallow it without re-raising).
    cancelled_exc: type[BaseException]

    def now(self) -> float:
        """Seconds on this backend's clock (virtual or wall)."""
        ...

    async def sleep_until(self, deadline: float) -> None:
        """Wait until the clock reaches ``deadline``."""
        ...

    async def checkpoint(self) -> None:
        """Let other tasks run."""
        ...

    def waiter(self) -> WaiterLike:
        """A new one-shot wake-up."""
        ...

    def spawn(self, coro: Coroutine[Any, Any, Any], name: str) -> TaskHandle:
        """Start a task; its failure is kept on the handle, never raised into others."""
        ...

    def call_at(self, when: float, callback: Callable[[], object]) -> TimerHandle:
        """Call ``callback()`` once the clock reaches ``when``."""
        ...

    def scope(
        self, deadline: float = math.inf, *, shield: bool = False, fail: bool = False
    ) -> Scope:
        """A cancel scope with an optional deadline (``fail``: raise TimeoutError at it)."""
        ...

    def current_task(self) -> TaskHandle | None:
        """The task running now, if any."""
        ...


# --- real time on anyio ---------------------------------------------------------------------

_CURRENT_TASK: contextvars.ContextVar[AnyioTask | None] = contextvars.ContextVar(
    "kube_actors_anyio_task", default=None
)


class AnyioWaiter:
    """:class:`WaiterLike` on an :class:`anyio.Event`."""

    __slots__ = ("_event", "abandoned", "done", "value")

    def __init__(self) -> None:
        self._event = anyio.Event()
        self.done = False
        self.abandoned = False
        self.value: Any = None

    async def wait(self) -> Any:
        """Wait for :meth:`wake` and return its value."""
        if not self.done:
            try:
                await self._event.wait()
            except BaseException:
                if not self.done:
                    self.abandoned = True
                raise
        return self.value

    def wake(self, value: Any = None) -> bool:
        """Wake the waiter (once)."""
        if self.done or self.abandoned:
            return False
        self.done = True
        self.value = value
        self._event.set()
        return True


class AnyioTask:
    """:class:`TaskHandle` for a task in the backend's task group."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.done = False
        self.cancelled = False
        self.exception: BaseException | None = None
        self.result: Any = None
        self.meta: Any = None
        self._scope: anyio.CancelScope | None = None
        self._cancel_requested = False
        self._callbacks: list[Callable[[Any], object]] = []
        self._finished = anyio.Event()

    def cancel(self) -> None:
        """Cancel the task at its next await."""
        self._cancel_requested = True
        if self._scope is not None:
            self._scope.cancel()

    def add_done_callback(self, callback: Callable[[Any], object]) -> None:
        """Call ``callback(task)`` once the task has finished."""
        if self.done:
            callback(self)
        else:
            self._callbacks.append(callback)

    async def join(self) -> Any:
        """Wait for the task and return its result (or raise its exception)."""
        await self._finished.wait()
        if self.exception is not None:
            raise self.exception
        return self.result

    def _finish(self, result: Any, exc: BaseException | None, cancelled: bool) -> None:
        self.done = True
        self.cancelled = cancelled
        self.result = result
        self.exception = exc
        self._finished.set()
        callbacks, self._callbacks = self._callbacks, []
        for callback in callbacks:
            callback(self)


class _AnyioTimer:
    __slots__ = ("cancelled", "task")

    def __init__(self) -> None:
        self.cancelled = False
        self.task: AnyioTask | None = None

    def cancel(self) -> None:
        self.cancelled = True
        if self.task is not None:
            self.task.cancel()


class _AnyioScope:
    """:class:`Scope` over :class:`anyio.CancelScope`, with deadlines on the backend's clock."""

    def __init__(self, backend: AnyioBackend, deadline: float, shield: bool, fail: bool) -> None:
        self.deadline = deadline
        self._fail = fail
        self._inner = anyio.CancelScope(deadline=deadline, shield=shield)

    @property
    def cancel_called(self) -> bool:
        return self._inner.cancel_called

    @property
    def cancelled_caught(self) -> bool:
        return self._inner.cancelled_caught

    def cancel(self) -> None:
        self._inner.cancel()

    def __enter__(self) -> _AnyioScope:
        self._inner.__enter__()
        return self

    def __exit__(
        self,
        et: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool:
        swallowed = bool(self._inner.__exit__(et, exc, tb))
        if (
            self._fail
            and self._inner.cancelled_caught
            and anyio.current_time() >= self._inner.deadline
        ):
            raise TimeoutError(f"deadline of {self.deadline:.6f}s passed")
        return swallowed


class AnyioBackend:
    """Real time: tasks in an anyio task group, anyio's monotonic clock and cancel scopes."""

    def __init__(self, task_group: anyio.abc.TaskGroup) -> None:
        self._tg = task_group
        self.cancelled_exc: type[BaseException] = anyio.get_cancelled_exc_class()
        # anyio.current_time() looks the event loop up on every call (about 1.3 us); on
        # asyncio, the loop's own clock is the same clock, read directly.
        self._clock: Callable[[], float] = anyio.current_time
        with contextlib.suppress(RuntimeError):  # not asyncio (trio): keep anyio's
            self._clock = asyncio.get_running_loop().time

    def now(self) -> float:
        """anyio's monotonic clock, in seconds."""
        return self._clock()

    async def sleep_until(self, deadline: float) -> None:
        """Sleep until the monotonic clock reads ``deadline``."""
        await anyio.sleep_until(deadline)

    async def checkpoint(self) -> None:
        """Let other tasks run."""
        await anyio.lowlevel.checkpoint()

    def waiter(self) -> AnyioWaiter:
        """A new one-shot wake-up."""
        return AnyioWaiter()

    def spawn(self, coro: Coroutine[Any, Any, Any], name: str) -> AnyioTask:
        """Start ``coro`` in the backend's task group."""
        task = AnyioTask(name)
        self._tg.start_soon(self._run, task, coro, name=name)
        return task

    async def _run(self, task: AnyioTask, coro: Coroutine[Any, Any, Any]) -> None:
        _CURRENT_TASK.set(task)
        result: Any = None
        error: BaseException | None = None
        cancelled = True
        scope = anyio.CancelScope()
        task._scope = scope
        if task._cancel_requested:
            scope.cancel()
        try:
            with scope:
                try:
                    result = await coro
                    cancelled = False
                except anyio.get_cancelled_exc_class():
                    raise
                except Exception as exc:  # kept on the handle; a crash never spreads
                    error = exc
                    cancelled = False
        finally:
            coro.close()
            task._finish(result, error, cancelled=cancelled)

    def call_at(self, when: float, callback: Callable[[], object]) -> _AnyioTimer:
        """Call ``callback()`` at ``when`` from a small task of its own."""
        timer = _AnyioTimer()

        async def fire() -> None:
            await self.sleep_until(when)
            if not timer.cancelled:
                timer.cancelled = True
                callback()

        timer.task = self.spawn(fire(), name=f"timer@{when:.3f}")
        return timer

    def scope(
        self, deadline: float = math.inf, *, shield: bool = False, fail: bool = False
    ) -> Scope:
        """A cancel scope with a deadline on this backend's clock."""
        return _AnyioScope(self, deadline, shield, fail)

    def current_task(self) -> AnyioTask | None:
        """The task running now (``None`` outside tasks spawned here)."""
        return _CURRENT_TASK.get()
