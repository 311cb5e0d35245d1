"""Fault injection: message faults drawn from a controllable random source, and scheduled
actor faults (crash, pause) at chosen times.

Every decision comes from the plan's own random source, separate from the runtime's, so a test
can drive it (``random.Random`` from hypothesis' ``st.randoms()`` shrinks) without changing
anything else about the run. Later layers (watch disconnects, node failures) draw from the same
source through :meth:`FaultInjector.chance`.
"""

from __future__ import annotations

import fnmatch
import functools
import math
import random
from typing import TYPE_CHECKING

import attrs

from kube_actors.runtime._actor import (
    CONSUMED,
    DELIVER,
    DUPLICATE,
    ActorCell,
    _message_type,
    current_actor_name,
)

if TYPE_CHECKING:
    from kube_actors.runtime._runtime import Runtime

__all__ = [
    "CrashActor",
    "FaultInjector",
    "FaultPlan",
    "InjectedCrash",
    "MessageFault",
    "PauseActor",
]


class InjectedCrash(Exception):
    """The error an injected actor crash raises."""


def _probability(_inst: object, attribute: attrs.Attribute[float], value: float) -> None:
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{attribute.name}: a probability must be in [0, 1], got {value}")


@attrs.frozen
class MessageFault:
    """Faults for messages matching ``sender``/``receiver``/``message`` (fnmatch patterns on
    actor names and the message type's name), while ``start <= elapsed < end``.

    Each matching message is dropped, duplicated, delayed (uniformly in ``[0, max_delay]``)
    or reordered (put at a random place in the receiver's queue) with these probabilities,
    checked in that order; the first rule that matches a message decides.
    """

    sender: str = "*"
    receiver: str = "*"
    message: str = "*"
    drop: float = attrs.field(default=0.0, validator=_probability)
    duplicate: float = attrs.field(default=0.0, validator=_probability)
    delay: float = attrs.field(default=0.0, validator=_probability)
    max_delay: float = 1.0
    reorder: float = attrs.field(default=0.0, validator=_probability)
    start: float = 0.0
    end: float = math.inf

    def matches(self, sender: str, receiver: str, message: str) -> bool:
        """Whether the patterns match (time window not included)."""
        return (
            fnmatch.fnmatchcase(sender, self.sender)
            and fnmatch.fnmatchcase(receiver, self.receiver)
            and fnmatch.fnmatchcase(message, self.message)
        )


@attrs.frozen
class CrashActor:
    """Crash actor ``actor`` (exact name) ``at`` seconds after the start."""

    at: float
    actor: str
    reason: str = "injected crash"


@attrs.frozen
class PauseActor:
    """Pause actor ``actor`` at ``at`` for ``duration`` seconds (its messages queue up)."""

    at: float
    actor: str
    duration: float


@attrs.frozen
class FaultPlan:
    """What to inject. ``rng`` drives every probabilistic choice; by default it is seeded
    from the run's seed (``Random(f"faults:{seed}")``)."""

    messages: tuple[MessageFault, ...] = ()
    events: tuple[CrashActor | PauseActor, ...] = ()
    rng: random.Random | None = attrs.field(default=None, eq=False)


class FaultInjector:
    """Applies a :class:`FaultPlan` to a runtime."""

    def __init__(self, runtime: Runtime, plan: FaultPlan) -> None:
        self.runtime = runtime
        self.plan = plan
        self.rng = plan.rng if plan.rng is not None else random.Random(f"faults:{runtime.seed}")
        self._rules: dict[tuple[str, str, str], tuple[MessageFault, ...]] = {}
        self.injected = 0

    def install(self) -> None:
        """Schedule the plan's timed events (call once, when the runtime starts)."""
        backend = self.runtime.backend
        for event in self.plan.events:
            backend.call_at(self.runtime.start + event.at, functools.partial(self._fire, event))

    def chance(self, probability: float) -> bool:
        """Draw a yes/no decision from the fault source."""
        return probability > 0 and self.rng.random() < probability

    def uniform(self, low: float, high: float) -> float:
        """Draw a number from the fault source."""
        return self.rng.uniform(low, high)

    # --- message faults ---------------------------------------------------------------------

    def on_send(self, cell: ActorCell, item: object) -> int:
        """Decide the fate of ``item`` sent to ``cell``: ``DELIVER`` it as usual, ``DUPLICATE``
        (deliver, then :meth:`duplicate_later`), or ``CONSUMED`` (dropped, delayed or placed)."""
        if not self.plan.messages:
            return DELIVER
        sender = current_actor_name()
        mtype = _message_type(item)
        key = (sender, cell.name, mtype)
        rules = self._rules.get(key)
        if rules is None:
            rules = tuple(r for r in self.plan.messages if r.matches(sender, cell.name, mtype))
            self._rules[key] = rules
        if not rules:
            return DELIVER
        elapsed = self.runtime.elapsed()
        for rule in rules:
            if not rule.start <= elapsed < rule.end:
                continue
            return self._apply(rule, cell, item, f"{sender or '-'}->{mtype}")
        return DELIVER

    def duplicate_later(self, cell: ActorCell, item: object) -> None:
        """Deliver a copy of ``item`` after the original, once the sender has yielded."""
        runtime = self.runtime
        runtime.backend.call_at(runtime.now(), lambda: cell.deliver_late(item))

    def _apply(self, rule: MessageFault, cell: ActorCell, item: object, detail: str) -> int:
        runtime = self.runtime
        if self.chance(rule.drop):
            self._note("fault-drop", cell, detail)
            return CONSUMED
        if self.chance(rule.duplicate):
            self._note("fault-duplicate", cell, detail)
            return DUPLICATE
        if self.chance(rule.delay):
            delay = self.uniform(0.0, rule.max_delay)
            self._note("fault-delay", cell, f"{detail} {delay:.6f}")
            runtime.backend.call_at(runtime.now() + delay, lambda: cell.deliver_late(item))
            return CONSUMED
        if self.chance(rule.reorder):
            items = cell.mailbox.items
            if cell.mailbox.closed or len(items) >= cell.mailbox.capacity:
                return DELIVER
            position = self.rng.randrange(len(items) + 1)
            self._note("fault-reorder", cell, f"{detail} @{position}")
            items.insert(position, item)
            cell.mailbox.put_wake()
            return CONSUMED
        return DELIVER

    def _note(self, kind: str, cell: ActorCell, detail: str) -> None:
        self.injected += 1
        self.runtime.record(kind, cell.name, detail)

    # --- timed actor faults -----------------------------------------------------------------

    def _fire(self, event: CrashActor | PauseActor) -> None:
        runtime = self.runtime
        cell = runtime.actor(event.actor)
        if cell is None or cell.state != "running":
            runtime.record("fault-missed", event.actor, type(event).__name__)
            return
        self.injected += 1
        if isinstance(event, CrashActor):
            runtime.record("fault-crash", cell.name, event.reason)
            cell.crash(InjectedCrash(f"{event.reason} (actor {cell.name!r})"))
        else:
            runtime.record("fault-pause", cell.name, f"{event.duration:.6f}")
            cell.pause()
            generation = cell.generation

            def resume() -> None:
                if cell.generation == generation:
                    cell.resume()

            runtime.backend.call_at(runtime.now() + event.duration, resume)
