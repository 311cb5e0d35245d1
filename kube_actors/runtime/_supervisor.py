"""Supervisors, modelled on Erlang/OTP.

A supervisor starts its children in order, restarts them by its strategy when they exit, waits
an exponential backoff before each restart, and gives up -- failing itself, so its own parent
decides -- when restarts exceed its intensity limit. Stopping a supervisor stops its children
in reverse start order, each within its own grace period.

Defaults, chosen for controllers rather than OTP's telecom processes (1 restart in 5 s): up to
10 restarts in 60 s, backoff 0.1 s doubling to 10 s, reset once a child has run 60 s without
crashing. A child crashing in a tight loop thus escalates after about 40 s.
"""

from __future__ import annotations

import enum
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any

import attrs

from kube_actors.runtime._actor import (
    DEFAULT_MAILBOX_SIZE,
    DEFAULT_SHUTDOWN,
    Actor,
    ActorCell,
    ActorRef,
    Request,
    handles,
)
from kube_actors.runtime._errors import DuplicateActorName, RestartIntensityExceeded

__all__ = [
    "Backoff",
    "ChildExited",
    "ChildInfo",
    "ChildSpec",
    "Intensity",
    "Restart",
    "StartChild",
    "StopChild",
    "Strategy",
    "Supervisor",
    "WhichChildren",
]


class Strategy(enum.Enum):
    """Which children restart when one exits."""

    #: Only the child that exited.
    ONE_FOR_ONE = "one_for_one"
    #: Every child (the others are stopped in reverse order first).
    ONE_FOR_ALL = "one_for_all"
    #: The child that exited and every child started after it.
    REST_FOR_ONE = "rest_for_one"


class Restart(enum.Enum):
    """When a child is restarted."""

    #: Always (even after a normal exit).
    PERMANENT = "permanent"
    #: Only after a crash.
    TRANSIENT = "transient"
    #: Never.
    TEMPORARY = "temporary"


@attrs.frozen
class Intensity:
    """At most ``max_restarts`` restarts within ``period`` seconds, or the supervisor fails."""

    max_restarts: int = 10
    period: float = 60.0


@attrs.frozen
class Backoff:
    """Delay before restart ``n`` (1-based): ``min(cap, initial * factor ** (n - 1))``.

    ``n`` counts consecutive crashes of the child; it resets once the child has run for
    ``reset_after`` seconds.
    """

    initial: float = 0.1
    factor: float = 2.0
    cap: float = 10.0
    reset_after: float = 60.0

    def delay(self, failures: int) -> float:
        """The delay before the restart that follows ``failures`` consecutive crashes."""
        if failures <= 0 or self.initial <= 0:
            return 0.0
        return float(min(self.cap, self.initial * self.factor ** (failures - 1)))


@attrs.frozen
class ChildSpec:
    """How to start one child: a factory (called for every incarnation) and its policies."""

    name: str
    factory: Callable[[], Actor[Any]]
    restart: Restart = Restart.PERMANENT
    #: Grace period in seconds when the child is stopped.
    shutdown: float = DEFAULT_SHUTDOWN
    mailbox_size: int = DEFAULT_MAILBOX_SIZE


@attrs.frozen
class ChildExited:
    """System message: a child's incarnation ended (``error`` is ``None`` for a normal exit)."""

    child: ActorRef[Any]
    generation: int
    error: BaseException | None


@attrs.frozen
class _RestartChildren:
    names: tuple[str, ...]


@attrs.frozen
class ChildInfo:
    """What :class:`WhichChildren` answers per child."""

    name: str
    ref: ActorRef[Any]
    state: str
    restarts: int


@attrs.frozen
class StartChild(Request[ActorRef[Any]]):
    """Ask a supervisor to add and start a child; answers its reference."""

    spec: ChildSpec


@attrs.frozen
class StopChild(Request[bool]):
    """Ask a supervisor to stop and remove a child; answers whether it existed."""

    name: str


@attrs.frozen
class WhichChildren(Request[tuple[ChildInfo, ...]]):
    """Ask a supervisor for its children, in start order."""


class Supervisor(Actor[Any]):
    """Starts, watches and restarts child actors (see the module docs for the defaults)."""

    def __init__(
        self,
        children: Sequence[ChildSpec] = (),
        *,
        strategy: Strategy = Strategy.ONE_FOR_ONE,
        intensity: Intensity = Intensity(),
        backoff: Backoff = Backoff(),
    ) -> None:
        names = [spec.name for spec in children]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise DuplicateActorName(f"supervisor children must have unique names: {duplicates}")
        self.specs: dict[str, ChildSpec] = {spec.name: spec for spec in children}
        self.strategy = strategy
        self.intensity = intensity
        self.backoff = backoff
        self._cells: dict[str, ActorCell] = {}
        self._restart_times: deque[float] = deque()

    async def on_start(self) -> None:
        self._cells = {}
        for spec in list(self.specs.values()):
            self._start_child(spec)

    def child(self, name: str) -> ActorRef[Any]:
        """The reference of child ``name`` (stable across its restarts)."""
        return self._cells[name].ref

    def _start_child(self, spec: ChildSpec) -> ActorCell:
        cell = self._cell.spawn_child(
            spec.factory, spec.name, mailbox_size=spec.mailbox_size, shutdown=spec.shutdown
        )
        self._cells[spec.name] = cell
        return cell

    # --- requests ---------------------------------------------------------------------------

    @handles(StartChild)
    def _on_start_child(self, request: StartChild) -> ActorRef[Any]:
        if request.spec.name in self.specs:
            raise DuplicateActorName(
                f"supervisor {self.name!r} already has a child named {request.spec.name!r}"
            )
        self.specs[request.spec.name] = request.spec
        return self._start_child(request.spec).ref

    @handles(StopChild)
    async def _on_stop_child(self, request: StopChild) -> bool:
        cell = self._cells.pop(request.name, None)
        self.specs.pop(request.name, None)
        if cell is None:
            return False
        cell.stopped_by_parent = True
        await cell.stop()
        return True

    @handles(WhichChildren)
    def _on_which_children(self, _request: WhichChildren) -> tuple[ChildInfo, ...]:
        return tuple(
            ChildInfo(name, cell.ref, cell.state, cell.restarts)
            for name, cell in self._cells.items()
        )

    # --- exits and restarts -----------------------------------------------------------------

    @handles(ChildExited)
    async def _on_child_exited(self, note: ChildExited) -> None:
        cell = self._find(note.child)
        if cell is None or note.generation != cell.generation or cell.stopped_by_parent:
            return  # an exit this supervisor caused, or of a child it already removed
        name = cell.name.rsplit("/", 1)[-1]
        spec = self.specs[name]
        crashed = note.error is not None
        now = self.runtime.now()
        if crashed:
            healthy = now - cell.started_at >= self.backoff.reset_after
            cell.failures = 1 if healthy else cell.failures + 1
        restart = spec.restart is Restart.PERMANENT or (
            spec.restart is Restart.TRANSIENT and crashed
        )
        if not restart:
            self._remove(name)
            return
        self._check_intensity(name, note.error, now)
        names = self._affected(name)
        # Stop the siblings this strategy restarts too, newest first; their queues are kept.
        for other in reversed(names):
            if other == name:
                continue
            sibling = self._cells[other]
            sibling.stopped_by_parent = True
            await sibling.stop(terminate=False)
        for other in names:
            if other != name and self.specs[other].restart is Restart.TEMPORARY:
                self._remove(other)
        names = [n for n in names if n in self._cells]
        delay = self.backoff.delay(cell.failures) if crashed else 0.0
        if delay > 0:
            self.send_after(delay, _RestartChildren(tuple(names)))
        else:
            self._restart(names)

    @handles(_RestartChildren)
    def _on_restart(self, message: _RestartChildren) -> None:
        self._restart([n for n in message.names if n in self._cells])

    def _restart(self, names: Sequence[str]) -> None:
        for name in names:
            cell = self._cells[name]
            if cell.state == "running" or cell.state == "stopped":
                continue
            cell.restarts += 1
            self.runtime.record("restart", cell.name, str(cell.restarts))
            self.log.info(
                "restarting child",
                child=cell.name,
                restarts=cell.restarts,
                **self.runtime.event_fields(),
            )
            cell.start()

    def _affected(self, name: str) -> list[str]:
        order = list(self._cells)
        if self.strategy is Strategy.ONE_FOR_ALL:
            return order
        if self.strategy is Strategy.REST_FOR_ONE:
            return order[order.index(name) :]
        return [name]

    def _check_intensity(self, name: str, error: BaseException | None, now: float) -> None:
        times = self._restart_times
        times.append(now)
        while times and times[0] <= now - self.intensity.period:
            times.popleft()
        if len(times) > self.intensity.max_restarts:
            cause = f"{type(error).__name__}: {error}" if error is not None else "a normal exit"
            raise RestartIntensityExceeded(
                f"supervisor {self.name!r} gave up: more than {self.intensity.max_restarts} "
                f"restarts within {self.intensity.period:g}s; the last was child {name!r} "
                f"after {cause}"
            ) from error

    def _find(self, ref: ActorRef[Any]) -> ActorCell | None:
        for cell in self._cells.values():
            if cell.ref is ref:
                return cell
        return None

    def _remove(self, name: str) -> None:
        cell = self._cells.pop(name)
        self.specs.pop(name, None)
        cell.terminate()
