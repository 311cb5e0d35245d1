"""Actors: typed message handlers behind a bounded mailbox, reached only through an ActorRef.

An actor's *cell* outlives its incarnations: when a supervisor restarts a crashed actor, the new
instance gets the same name, the same :class:`ActorRef` and the same mailbox (what was queued
is kept; the message whose handler crashed is not retried), as in Akka.
"""

from __future__ import annotations

from collections.abc import Callable
from types import CoroutineType
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar, final, overload

from kube_actors.runtime._backend import Scope, TaskHandle, TimerHandle, WaiterLike
from kube_actors.runtime._errors import (
    ActorCrashed,
    ActorStopped,
    AskTimeout,
    DuplicateActorName,
    MailboxFull,
    RequestRejected,
)
from kube_actors.runtime._runtime import Channel, Runtime, current_runtime

if TYPE_CHECKING:
    from kube_actors.runtime._faults import FaultInjector

__all__ = [
    "DEFAULT_ASK_TIMEOUT",
    "DEFAULT_MAILBOX_SIZE",
    "DEFAULT_SHUTDOWN",
    "Actor",
    "ActorCell",
    "ActorRef",
    "ActorTimer",
    "Request",
    "handles",
    "spawn_actor",
]

M = TypeVar("M")
R = TypeVar("R")
A = TypeVar("A", bound="Actor[Any]")

#: Seconds an ``ask`` waits for its answer unless told otherwise.
DEFAULT_ASK_TIMEOUT = 30.0
#: Messages a mailbox holds before senders wait (or fail fast with ``send_nowait``).
DEFAULT_MAILBOX_SIZE = 1024
#: Seconds an actor gets to drain and run ``on_stop`` when stopped, before it is cancelled.
DEFAULT_SHUTDOWN = 5.0
#: Messages handled in one turn before the actor lets others run.
_BATCH = 1024

#: Fault-injection decisions for a sent message (see FaultInjector.on_send).
CONSUMED, DELIVER, DUPLICATE = 0, 1, 2


class Request(Generic[R]):
    """Base class for messages answered through :meth:`ActorRef.ask`; ``R`` is the answer type.

    ``class GetCount(Request[int])`` lets ``await ref.ask(GetCount())`` type as ``int``.
    """

    __slots__ = ()


def handles(*message_types: type) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Mark an actor method as the handler for these message types (subclasses included).

    The method may be ``async`` or plain; for an ``ask`` its return value is the answer.
    """

    def mark(method: Callable[..., Any]) -> Callable[..., Any]:
        method.__kube_actors_handles__ = message_types  # type: ignore[attr-defined]
        return method

    return mark


def _discard(_event: object) -> None:
    pass


class _Ask:
    """A message with a reply slot, as queued in a mailbox."""

    __slots__ = ("message", "waiter")

    def __init__(self, message: object, waiter: WaiterLike) -> None:
        self.message = message
        self.waiter = waiter


def _message_type(item: object) -> str:
    message = item.message if isinstance(item, _Ask) else item
    return type(message).__qualname__


class Actor(Generic[M]):
    """Base class for actors. Override :meth:`receive`, or mark methods with :func:`handles`.

    The runtime sets up the actor before :meth:`on_start`; from then on :attr:`ref`,
    :attr:`name`, :attr:`log`, the timers and :meth:`stop` are available.
    """

    _handler_table: ClassVar[dict[type, Callable[..., Any]]] = {}
    _cell: ActorCell

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        table: dict[type, Callable[..., Any]] = {}
        for klass in reversed(cls.__mro__):
            for attr in vars(klass).values():
                for message_type in getattr(attr, "__kube_actors_handles__", ()):
                    table[message_type] = attr
        cls._handler_table = table

    # --- lifecycle hooks --------------------------------------------------------------------

    async def on_start(self) -> None:
        """Called before the first message of each incarnation."""

    async def on_stop(self) -> None:
        """Called when the actor stops or crashes (not when cancelled past its grace period)."""

    def receive(self, message: M) -> Any:
        """Handle one message (plain or ``async``); the default dispatches to :func:`handles`."""
        table = self._handler_table
        handler = table.get(message.__class__)
        if handler is None:
            for klass in type(message).__mro__[1:]:
                handler = table.get(klass)
                if handler is not None:
                    table[message.__class__] = handler
                    break
            else:
                raise TypeError(
                    f"actor {self.name!r} ({type(self).__qualname__}) has no handler for "
                    f"{type(message).__qualname__}"
                )
        return handler(self, message)

    # --- context ----------------------------------------------------------------------------

    @property
    def ref(self) -> ActorRef[M]:
        """This actor's reference (the same across restarts)."""
        return self._cell.ref

    @property
    def name(self) -> str:
        """The actor's full name (``supervisor/child``)."""
        return self._cell.name

    @property
    def runtime(self) -> Runtime:
        """The runtime the actor runs in."""
        return self._cell.runtime

    @property
    def log(self) -> Any:
        """A structlog logger bound with ``actor=<name>``."""
        return self._cell.log

    def send_after(self, delay: float, message: M) -> ActorTimer:
        """Deliver ``message`` to this actor after ``delay`` seconds (cancellable)."""
        return self._cell.timer(delay, message, None)

    def every(self, interval: float, message: M, *, first: float | None = None) -> ActorTimer:
        """Deliver ``message`` every ``interval`` seconds (first after ``first``, default one
        interval). A tick that finds the mailbox full is skipped, like Go's ``time.Ticker``."""
        if interval <= 0:
            raise ValueError(f"actor {self.name!r}: timer interval must be > 0, got {interval}")
        return self._cell.timer(interval if first is None else first, message, interval)

    def stop(self) -> None:
        """Stop after handling what is already queued (the supervisor decides on a restart)."""
        self._cell.request_exit("drain")

    def spawn_child(
        self,
        factory: Callable[[], Actor[Any]],
        name: str,
        *,
        mailbox_size: int = DEFAULT_MAILBOX_SIZE,
    ) -> ActorRef[Any]:
        """Start an unsupervised child actor; it is stopped when this actor stops."""
        return self._cell.spawn_child(factory, name, mailbox_size=mailbox_size).ref


@final
class ActorRef(Generic[M]):
    """The only handle on an actor: send it messages, ask it questions, stop it."""

    __slots__ = ("_cell",)

    def __init__(self, cell: ActorCell) -> None:
        self._cell = cell

    @property
    def name(self) -> str:
        """The actor's full name."""
        return self._cell.name

    @property
    def alive(self) -> bool:
        """False once the actor has stopped for good."""
        return self._cell.state != "stopped"

    def __repr__(self) -> str:
        return f"ActorRef({self._cell.name!r})"

    def send_nowait(self, message: M) -> None:
        """Queue ``message``; :class:`MailboxFull` if there is no room. A stopped actor's
        messages go to the dead letters (counted and traced), as in Erlang."""
        cell = self._cell
        if cell.faults is not None:
            cell.deliver_nowait(message)
            return
        # enqueue_nowait(), inlined: this is the hot path.
        mailbox = cell.mailbox
        items = mailbox.items
        if len(items) >= mailbox.capacity or mailbox.closed:
            cell.enqueue_nowait(message)
            return
        items.append(message)
        if mailbox._receivers:
            mailbox._wake_one(mailbox._receivers)

    async def send(self, message: M) -> None:
        """Queue ``message``, waiting while the mailbox is full (backpressure)."""
        await self._cell.deliver(message)

    @overload
    async def ask(self, message: Request[R], timeout: float | None = None) -> R: ...

    @overload
    async def ask(self, message: M, timeout: float | None = None) -> Any: ...

    async def ask(self, message: Any, timeout: float | None = None) -> Any:
        """Send ``message`` and wait for the handler's return value.

        Raises :class:`AskTimeout` after ``timeout`` seconds (default
        :data:`DEFAULT_ASK_TIMEOUT`; the wait for mailbox room counts), :class:`ActorStopped`
        if the actor is or gets stopped first, :class:`ActorCrashed` if its handler raised, and
        a :class:`RequestRejected` raised by the handler as it is (the actor carries on).
        """
        cell = self._cell
        if cell.state == "stopped":
            raise ActorStopped(cell.name)
        timeout = DEFAULT_ASK_TIMEOUT if timeout is None else timeout
        backend = cell.runtime.backend
        waiter = backend.waiter()
        envelope = _Ask(message, waiter)
        outcome: Any = None
        with backend.scope(backend.now() + timeout) as scope:
            await cell.deliver(envelope)
            outcome = await waiter.wait()
        if scope.cancelled_caught or outcome is None:
            raise AskTimeout(cell.name, type(message).__qualname__, timeout)
        kind, value = outcome
        if kind == "ok":
            return value
        if kind == "rejected":
            raise value
        if kind == "error":
            raise ActorCrashed(cell.name, type(message).__qualname__, value) from value
        raise ActorStopped(cell.name, f"before answering {type(message).__qualname__}")

    async def stop(self, grace: float | None = None) -> None:
        """Stop the actor: no new messages, drain the queue, ``on_stop``; cancelled after
        ``grace`` seconds (default: its shutdown setting). Returns once it has stopped."""
        await self._cell.stop(grace)


class ActorTimer:
    """A one-shot or periodic timer owned by an actor; cancelled when the actor stops."""

    __slots__ = ("_cell", "_handle", "_key", "cancelled", "interval", "message", "next_at")

    def __init__(
        self, cell: ActorCell, key: int, message: object, first_at: float, interval: float | None
    ) -> None:
        self._cell = cell
        self._key = key
        self.message = message
        self.interval = interval
        self.next_at = first_at
        self.cancelled = False
        self._handle: TimerHandle = cell.runtime.backend.call_at(first_at, self._fire)

    def cancel(self) -> None:
        """Stop the timer; a message it already queued stays queued."""
        if not self.cancelled:
            self.cancelled = True
            self._handle.cancel()
            self._cell.timers.pop(self._key, None)

    def _fire(self) -> None:
        if self.cancelled:
            return
        cell = self._cell
        runtime = cell.runtime
        if self.interval is None:
            self.cancelled = True
            cell.timers.pop(self._key, None)
            runtime.record("timer", cell.name, type(self.message).__qualname__)
            cell.mailbox.put(self.message)
            return
        # Periodic: fixed rate (no drift), skip a tick rather than overfill the mailbox.
        mailbox = cell.mailbox
        if len(mailbox.items) < mailbox.capacity:
            runtime.record("timer", cell.name, type(self.message).__qualname__)
            mailbox.put(self.message)
        else:
            runtime.record("tick-skipped", cell.name, type(self.message).__qualname__)
        self.next_at += self.interval
        self._handle = runtime.backend.call_at(self.next_at, self._fire)


class ActorCell:
    """The runtime's record of one actor: mailbox, state, incarnation, children, timers.

    States: ``new`` -> ``running`` -> (``exited`` -> ``running`` on restart)* -> ``stopped``.
    """

    def __init__(
        self,
        runtime: Runtime,
        name: str,
        factory: Callable[[], Actor[Any]],
        *,
        parent: ActorCell | None,
        mailbox_size: int,
        shutdown: float = DEFAULT_SHUTDOWN,
    ) -> None:
        if name in runtime._cells:
            raise DuplicateActorName(f"an actor named {name!r} is already running")
        self.runtime = runtime
        self.name = name
        self.factory = factory
        self.parent = parent
        self.shutdown = shutdown
        self.mailbox: Channel[Any] = Channel(mailbox_size, name=f"mailbox of {name}")
        self.ref: ActorRef[Any] = ActorRef(self)
        self.state = "new"
        self.generation = 0
        self.actor: Actor[Any] | None = None
        self.task: TaskHandle | None = None
        self.children: list[ActorCell] = []
        self.timers: dict[int, ActorTimer] = {}
        self.faults: FaultInjector | None = runtime.faults
        self.log = runtime.log.bind(actor=name)
        self.started_at = 0.0
        self.restarts = 0
        #: Consecutive crashes (for restart backoff); reset after a healthy run.
        self.failures = 0
        #: Set by a supervisor that stops this child itself (so its exit note is ignored).
        self.stopped_by_parent = False
        self._timer_seq = 0
        self._exit_mode: str | None = None
        self._terminate_on_exit = False
        self._paused = False
        self._pauses = 0
        self._resume: WaiterLike | None = None
        self._pending_crash: BaseException | None = None
        self._killed = False
        self._cleanup_scope: Scope | None = None
        self._exit_waiters: list[WaiterLike] = []
        runtime._cells[name] = self

    def __repr__(self) -> str:
        return f"<ActorCell {self.name!r} {self.state} gen={self.generation}>"

    # --- incarnations -----------------------------------------------------------------------

    def start(self) -> None:
        """Create a fresh actor from the factory and run it."""
        if self.state == "stopped":
            raise ActorStopped(self.name, "cannot start a stopped actor")
        self.generation += 1
        actor = self.factory()
        actor._cell = self
        self.actor = actor
        self.state = "running"
        self._exit_mode = None
        self._terminate_on_exit = False
        self._pending_crash = None
        self._killed = False
        self._paused = False
        self._pauses = 0
        self.stopped_by_parent = False
        self.started_at = self.runtime.now()
        self.runtime.record("start", self.name, str(self.generation))
        task = self.runtime.spawn(self._run(actor, self.generation), self.name)
        task.meta = self
        self.task = task

    async def _run(self, actor: Actor[Any], generation: int) -> None:
        backend = self.runtime.backend
        error: BaseException | None = None
        try:
            await actor.on_start()
            await self._loop(actor)
        except backend.cancelled_exc:
            error = self._pending_crash
        except Exception as exc:
            error = exc
        # Cleanup is shielded from the cancellation that may have brought us here: children
        # stop in reverse start order (each within its own grace), then on_stop, which the
        # stopper can still cancel when the grace period runs out.
        with backend.scope(shield=True):
            await self._stop_children()
        if not self._killed:
            with backend.scope(shield=True) as scope:
                self._cleanup_scope = scope
                try:
                    await actor.on_stop()
                except Exception as exc:
                    self.log.warning(
                        "actor on_stop failed", error=repr(exc), **self.runtime.event_fields()
                    )
            self._cleanup_scope = None
        self._exited(generation, error)

    async def _loop(self, actor: Actor[Any]) -> None:
        mailbox = self.mailbox
        items = mailbox.items
        runtime = self.runtime
        backend = runtime.backend
        clock = backend.now
        trace = runtime.trace
        # Without a trace, records go to a list that is dropped.
        record = trace.buffer.append if trace is not None else _discard
        name = self.name
        receive = actor.receive
        # The default receive() is a table lookup: do it here, one call less per message.
        table = actor._handler_table if type(actor).receive is Actor.receive else None
        coroutine = CoroutineType
        while True:
            if self._paused:
                await self._wait_resumed()
                continue
            if not items:
                if self._exit_mode is not None:
                    return
                # One park, then look again: a stop request wakes us with nothing queued.
                await mailbox._park(mailbox._receivers)
                continue
            budget = _BATCH
            # Deliveries are traced run-length encoded: (time, "deliver", actor, (class, n)).
            last: type | None = None
            run = 0
            while items:
                item = items.popleft()
                if mailbox._senders:
                    mailbox.room()
                cls = item.__class__
                if cls is _Ask:
                    if run:
                        record((clock(), "deliver", name, (last, run)))
                        last, run = None, 0
                    await self._answer(receive, item)
                else:
                    if cls is last:
                        run += 1
                    else:
                        if run:
                            record((clock(), "deliver", name, (last, run)))
                        last, run = cls, 1
                    handler = table.get(cls) if table is not None else None
                    try:
                        result = handler(actor, item) if handler is not None else receive(item)
                        if result.__class__ is coroutine:
                            if run:
                                record((clock(), "deliver", name, (last, run)))
                                last, run = None, 0
                            await result
                    except RequestRejected as rejected:
                        self._rejected(item, rejected)
                    except BaseException:
                        if run:  # the crashing delivery and those before it belong in the trace
                            record((clock(), "deliver", name, (last, run)))
                        raise
                if self._exit_mode == "now" or self._paused:
                    break
                budget -= 1
                if not budget:
                    break
            if run:
                record((clock(), "deliver", name, (last, run)))
            if trace is not None:
                trace.maybe_flush()
            if self._exit_mode == "now":
                return
            if not budget:
                await backend.checkpoint()

    async def _answer(self, receive: Callable[[Any], Any], ask: _Ask) -> None:
        runtime = self.runtime
        runtime.record("deliver-ask", self.name, ask.message.__class__)
        try:
            result = receive(ask.message)
            if result.__class__ is CoroutineType:
                result = await result
        except RequestRejected as rejected:
            ask.waiter.wake(("rejected", rejected))
            return
        except Exception as exc:
            ask.waiter.wake(("error", exc))
            raise
        except BaseException:
            # Cancelled mid-answer: an injected crash fails the ask as a crash would, a stop
            # past its grace period as a stop.
            crash = self._pending_crash
            ask.waiter.wake(("error", crash) if crash is not None else ("stopped", None))
            raise
        ask.waiter.wake(("ok", result))

    def _rejected(self, item: object, rejected: RequestRejected) -> None:
        self.log.warning(
            "message rejected",
            message=type(item).__qualname__,
            error=f"{type(rejected).__name__}: {rejected}",
            **self.runtime.event_fields(),
        )

    async def _wait_resumed(self) -> None:
        waiter = self.runtime.backend.waiter()
        self._resume = waiter
        await waiter.wait()

    def _exited(self, generation: int, error: BaseException | None) -> None:
        runtime = self.runtime
        for timer in list(self.timers.values()):
            timer.cancel()
        self.state = "exited"
        if error is not None:
            runtime.record("crash", self.name, type(error).__qualname__)
            self.log.error(
                "actor crashed",
                error=f"{type(error).__name__}: {error}",
                exc_info=error,
                **runtime.event_fields(),
            )
        else:
            runtime.record("exit", self.name, str(generation))
        parent = self.parent
        if self._terminate_on_exit or parent is None or parent.state != "running":
            self.terminate()
        else:
            from kube_actors.runtime._supervisor import ChildExited

            parent.mailbox.put(ChildExited(self.ref, generation, error))
        waiters, self._exit_waiters = self._exit_waiters, []
        for waiter in waiters:
            waiter.wake()

    def terminate(self) -> None:
        """Stop for good: unregister, close the mailbox, fail what is still queued."""
        if self.state == "stopped":
            return
        self.state = "stopped"
        runtime = self.runtime
        if runtime._cells.get(self.name) is self:
            del runtime._cells[self.name]
        if self.parent is not None and self in self.parent.children:
            self.parent.children.remove(self)
        if self in runtime._roots:
            runtime._roots.remove(self)
        self.mailbox.close()
        for item in self.mailbox.drain():
            self.dead_letter(item)
        runtime.record("stopped", self.name)

    # --- sending ----------------------------------------------------------------------------

    def dead_letter(self, item: object) -> None:
        """A message for a stopped actor: counted, traced; an ``ask`` fails at once."""
        runtime = self.runtime
        runtime.dead_letters += 1
        runtime.record("dead-letter", self.name, _message_type(item))
        if isinstance(item, _Ask):
            item.waiter.wake(("stopped", None))

    def enqueue_nowait(self, item: object) -> None:
        """Queue ``item`` or raise :class:`MailboxFull` (dead letter if stopped)."""
        mailbox = self.mailbox
        if mailbox.closed:
            self.dead_letter(item)
            return
        items = mailbox.items
        if len(items) >= mailbox.capacity:
            raise MailboxFull(self.name, mailbox.capacity)
        items.append(item)
        if mailbox._receivers:
            mailbox._wake_one(mailbox._receivers)

    async def enqueue(self, item: object) -> None:
        """Queue ``item``, waiting for room."""
        mailbox = self.mailbox
        while len(mailbox.items) >= mailbox.capacity and not mailbox.closed:
            await mailbox._park(mailbox._senders)
        self.enqueue_nowait(item)

    def deliver_nowait(self, item: object) -> None:
        """Queue ``item`` through fault injection, or raise :class:`MailboxFull`."""
        faults = self.faults
        decision = DELIVER if faults is None else faults.on_send(self, item)
        if decision:
            self.enqueue_nowait(item)
            if decision == DUPLICATE and faults is not None:
                faults.duplicate_later(self, item)

    async def deliver(self, item: object) -> None:
        """Queue ``item`` through fault injection, waiting for room."""
        faults = self.faults
        decision = DELIVER if faults is None else faults.on_send(self, item)
        if decision:
            await self.enqueue(item)
            if decision == DUPLICATE and faults is not None:
                faults.duplicate_later(self, item)

    def deliver_late(self, item: object) -> None:
        """Queue ``item`` past capacity (a delayed or duplicated message)."""
        if self.mailbox.closed:
            self.dead_letter(item)
        else:
            self.mailbox.put(item)

    def timer(self, delay: float, message: object, interval: float | None) -> ActorTimer:
        """Start an actor timer (see :meth:`Actor.send_after` and :meth:`Actor.every`)."""
        self._timer_seq += 1
        key = self._timer_seq
        timer = ActorTimer(self, key, message, self.runtime.now() + max(0.0, delay), interval)
        self.timers[key] = timer
        return timer

    # --- control ----------------------------------------------------------------------------

    def request_exit(self, mode: str) -> None:
        """Ask the running incarnation to exit: ``drain`` the queue first, or ``now``."""
        if self._exit_mode != "now":
            self._exit_mode = mode
        if self._paused:
            self.resume(force=True)
        mailbox = self.mailbox
        if mailbox._receivers:
            mailbox._wake_one(mailbox._receivers)

    async def stop(self, grace: float | None = None, *, terminate: bool = True) -> None:
        """Stop the running incarnation and wait for it.

        ``terminate``: stop for good (new messages become dead letters, queued ones are
        drained first); otherwise leave the mailbox as it is for the next incarnation.
        """
        if self.state == "stopped":
            return
        if terminate:
            self._terminate_on_exit = True
        task = self.task
        if self.state != "running" or task is None or task.done:
            if terminate:
                self.terminate()
            return
        if terminate:
            self.mailbox.closed = True  # no new messages; the loop still drains what is queued
        self.request_exit("drain" if terminate else "now")
        backend = self.runtime.backend
        grace = self.shutdown if grace is None else grace
        with backend.scope(backend.now() + grace, shield=True):
            await self._wait_exit(task)
        if not task.done:
            self._killed = True
            self.log.warning(
                "actor did not stop within its grace period; cancelling",
                grace=grace,
                **self.runtime.event_fields(),
            )
            task.cancel()
            if self._cleanup_scope is not None:
                self._cleanup_scope.cancel()
            with backend.scope(shield=True):
                await self._wait_exit(task)

    async def _wait_exit(self, task: TaskHandle) -> None:
        if task.done:
            return
        waiter = self.runtime.backend.waiter()
        self._exit_waiters.append(waiter)
        await waiter.wait()

    def crash(self, error: BaseException) -> None:
        """Crash the running incarnation now, as if a handler had raised ``error``."""
        task = self.task
        if self.state == "running" and task is not None and not task.done:
            self._pending_crash = error
            task.cancel()

    def pause(self) -> None:
        """Stop handling messages (they queue up) until as many :meth:`resume` calls."""
        self._pauses += 1
        self._paused = True
        self.runtime.record("pause", self.name)

    def resume(self, *, force: bool = False) -> None:
        """End one :meth:`pause` (overlapping pauses last until the last one ends), or all of
        them with ``force``."""
        if not self._paused:
            return
        self._pauses = 0 if force else self._pauses - 1
        if self._pauses > 0:
            return
        self._paused = False
        self.runtime.record("resume", self.name)
        waiter, self._resume = self._resume, None
        if waiter is not None:
            waiter.wake()

    def spawn_child(
        self,
        factory: Callable[[], Actor[Any]],
        name: str,
        *,
        mailbox_size: int = DEFAULT_MAILBOX_SIZE,
        shutdown: float = DEFAULT_SHUTDOWN,
    ) -> ActorCell:
        """Create and start a child cell named ``<self>/<name>``."""
        cell = ActorCell(
            self.runtime,
            f"{self.name}/{name}",
            factory,
            parent=self,
            mailbox_size=mailbox_size,
            shutdown=shutdown,
        )
        self.children.append(cell)
        cell.start()
        return cell

    async def _stop_children(self) -> None:
        for child in reversed(list(self.children)):
            child.stopped_by_parent = True
            await child.stop()


def spawn_actor(
    actor: Actor[M] | Callable[[], Actor[M]],
    name: str,
    *,
    mailbox_size: int = DEFAULT_MAILBOX_SIZE,
    shutdown: float = DEFAULT_SHUTDOWN,
) -> ActorRef[M]:
    """Start a top-level actor in the current runtime and return its reference.

    Pass an actor instance, or a factory (needed only for restarts, which top-level actors do
    not get: put actors that should be restarted under a :class:`Supervisor`).
    """
    runtime = current_runtime()
    if isinstance(actor, Actor):
        instance = actor

        def factory() -> Actor[M]:
            return instance

    else:
        factory = actor
    if not name:
        raise ValueError("an actor needs a non-empty name")
    cell = ActorCell(
        runtime, name, factory, parent=None, mailbox_size=mailbox_size, shutdown=shutdown
    )
    runtime._roots.append(cell)
    cell.start()
    return cell.ref


def current_actor_name() -> str:
    """The name of the actor whose task is running, or ``""`` outside actors."""
    runtime = current_runtime()
    task = runtime.backend.current_task()
    cell = task.meta if task is not None else None
    return cell.name if isinstance(cell, ActorCell) else ""
