"""Entry points: :func:`simulate` (virtual time, deterministic), :func:`run` and
:func:`open_runtime` (real time on anyio, asyncio or trio)."""

from __future__ import annotations

import math
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import IO, Generic, TypeVar

import anyio
import attrs

from kube_actors.runtime._backend import AnyioBackend
from kube_actors.runtime._faults import FaultInjector, FaultPlan
from kube_actors.runtime._kernel import Kernel, SimulationDeadlock
from kube_actors.runtime._runtime import _RUNTIME, Runtime
from kube_actors.runtime._trace import Trace, TraceEvent

__all__ = ["EPOCH", "SimulationResult", "open_runtime", "run", "simulate"]

T = TypeVar("T")

#: Where virtual time starts: 2025-01-01T00:00:00Z, in Unix seconds.
EPOCH = 1_735_689_600.0
#: Virtual seconds actors get to stop once ``main`` has returned.
SHUTDOWN_GRACE = 30.0


@attrs.frozen
class SimulationResult(Generic[T]):
    """What :func:`simulate` returns."""

    #: What ``main`` returned.
    value: T
    #: Virtual seconds from the start until ``main`` returned.
    elapsed: float
    #: Digest of the ordered trace (deliveries, timer firings, faults, lifecycle).
    trace_hash: str
    #: The trace events (empty unless ``keep_trace=True``).
    trace: tuple[TraceEvent, ...]
    seed: int | str
    #: Kernel steps (task resumptions) the run took.
    steps: int
    #: Messages sent to stopped actors.
    dead_letters: int

    def dump_trace(self, out: IO[str]) -> None:
        """Write the trace, one event per line (needs ``keep_trace=True``)."""
        for event in self.trace:
            out.write(f"{event}\n")


def simulate(
    main: Callable[[], Awaitable[T]],
    *,
    seed: int | str,
    faults: FaultPlan | None = None,
    epoch: float = EPOCH,
    time_limit: float | None = None,
    keep_trace: bool = False,
) -> SimulationResult[T]:
    """Run ``main()`` in virtual time and return its value with the run's trace hash.

    Virtual time starts at 0 (``now()``), with the wall clock (``wall_time()``) at ``epoch``;
    it jumps to the next timer whenever nothing is runnable, so an hour of timers takes
    moments. The same ``seed`` (and ``faults``) gives the same trace hash in every process.
    When ``main`` returns, actors still running are stopped (in reverse start order) and
    leftover tasks are cancelled. An exception from ``main`` propagates with a note naming
    the seed and virtual time; :class:`SimulationDeadlock` means every task was blocked with
    no timer pending; ``time_limit`` (virtual seconds) turns a run that never ends into
    :class:`TimeoutError`.
    """
    start = 0.0
    kernel = Kernel(start)
    trace = Trace(keep=keep_trace)
    runtime = Runtime(kernel, seed=seed, virtual=True, epoch=epoch, trace=trace)
    if faults is not None:
        runtime.faults = FaultInjector(runtime, faults)
    token = _RUNTIME.set(runtime)
    limit = math.inf if time_limit is None else start + time_limit
    try:
        if runtime.faults is not None:
            runtime.faults.install()

        async def entry() -> T:
            return await main()

        main_task = kernel.spawn(entry(), "main")
        try:
            kernel.run(lambda: main_task.done, limit)
        except SimulationDeadlock as exc:
            blocked = ", ".join(t.name for t in [main_task, *runtime.live_tasks()] if not t.done)
            exc.add_note(f"blocked tasks: {blocked}")
            raise
        elapsed = kernel.now() - start
        _wind_down(kernel, runtime)
    except BaseException as exc:
        exc.add_note(
            f"in simulate(seed={seed!r}) at virtual time {kernel.now() - start:.6f}s "
            f"(trace hash {trace.digest()})"
        )
        raise
    finally:
        _RUNTIME.reset(token)
    if main_task.exception is not None:
        error = main_task.exception
        error.add_note(
            f"in simulate(seed={seed!r}) at virtual time {elapsed:.6f}s "
            f"(trace hash {trace.digest()})"
        )
        raise error
    return SimulationResult(
        value=main_task.result,
        elapsed=elapsed,
        trace_hash=trace.digest(),
        trace=trace.events(),
        seed=seed,
        steps=kernel.steps,
        dead_letters=runtime.dead_letters,
    )


def _wind_down(kernel: Kernel, runtime: Runtime) -> None:
    """Stop leftover actors gracefully, then cancel leftover tasks."""
    if runtime._roots:
        stopper = kernel.spawn(runtime.shutdown(), "shutdown")
        kernel.run(lambda: stopper.done, kernel.now() + SHUTDOWN_GRACE * 4)
    for task in runtime.live_tasks():
        task.cancel()
    kernel.run(lambda: not runtime._tasks, kernel.now() + SHUTDOWN_GRACE)


@asynccontextmanager
async def open_runtime(
    *, seed: int | str | None = None, faults: FaultPlan | None = None, trace: bool = False
) -> AsyncIterator[Runtime]:
    """A real-time runtime inside an anyio program (asyncio or trio)::

        async with open_runtime() as runtime:
            ref = spawn_actor(MyActor(), "mine")
            ...

    On exit, actors still running are stopped in reverse start order and tasks cancelled.
    """
    async with anyio.create_task_group() as tg:
        backend = AnyioBackend(tg)
        runtime = Runtime(
            backend,
            seed=seed,
            virtual=False,
            epoch=time.time(),
            trace=Trace() if trace else None,
        )
        if faults is not None:
            runtime.faults = FaultInjector(runtime, faults)
            runtime.faults.install()
        token = _RUNTIME.set(runtime)
        try:
            yield runtime
            await runtime.shutdown()
        finally:
            _RUNTIME.reset(token)
            tg.cancel_scope.cancel()


def run(
    main: Callable[[], Awaitable[T]],
    *,
    backend: str = "asyncio",
    seed: int | str | None = None,
    faults: FaultPlan | None = None,
) -> T:
    """Run ``main()`` in real time on ``backend`` (``"asyncio"`` or ``"trio"``)."""

    async def entry() -> T:
        async with open_runtime(seed=seed, faults=faults):
            return await main()

    result: T = anyio.run(entry, backend=backend)
    return result
