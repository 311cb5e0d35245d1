"""Predicates: which informer events may enqueue a request (controller-runtime's
``predicate`` package).

A predicate answers for each kind of event: ``create(obj)``, ``update(old, new)`` and
``delete(obj)`` (a deleted object, never a tombstone). An event enqueues only if every
predicate of its watch, and every event filter of its controller, accepts it.

>>> from kube_actors.api import ConfigMap, ObjectMeta
>>> old = ConfigMap(metadata=ObjectMeta(name="c", generation=1, labels={"a": "1"}))
>>> new = ConfigMap(metadata=ObjectMeta(name="c", generation=1, labels={"a": "2"}))
>>> GenerationChangedPredicate().update(old, new), LabelChangedPredicate().update(old, new)
(False, True)
>>> either = or_(GenerationChangedPredicate(), LabelChangedPredicate())
>>> either.update(old, new), not_(either).update(old, new)
(True, False)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

import attrs

__all__ = [
    "AnnotationChangedPredicate",
    "Funcs",
    "GenerationChangedPredicate",
    "LabelChangedPredicate",
    "Predicate",
    "and_",
    "not_",
    "or_",
]


class Predicate(Protocol):
    """Filters informer events before they enqueue requests."""

    def create(self, obj: Any) -> bool:
        """Whether an added object (also one of the initial list) may enqueue."""
        ...

    def update(self, old: Any, new: Any) -> bool:
        """Whether a change may enqueue."""
        ...

    def delete(self, obj: Any) -> bool:
        """Whether a deleted object may enqueue."""
        ...


class Funcs:
    """A predicate made of functions; the ones left out accept every event.

    >>> Funcs(update=lambda old, new: False).update(1, 2), Funcs().delete(1)
    (False, True)
    """

    __slots__ = ("_create", "_delete", "_update")

    def __init__(
        self,
        *,
        create: Callable[[Any], bool] | None = None,
        update: Callable[[Any, Any], bool] | None = None,
        delete: Callable[[Any], bool] | None = None,
    ) -> None:
        self._create = create
        self._update = update
        self._delete = delete

    def create(self, obj: Any) -> bool:
        """``create(obj)`` if given, else True."""
        return True if self._create is None else self._create(obj)

    def update(self, old: Any, new: Any) -> bool:
        """``update(old, new)`` if given, else True."""
        return True if self._update is None else self._update(old, new)

    def delete(self, obj: Any) -> bool:
        """``delete(obj)`` if given, else True."""
        return True if self._delete is None else self._delete(obj)


class _UpdateOnly:
    """Accepts every create and delete; subclasses decide updates."""

    def create(self, obj: Any) -> bool:
        """Always True."""
        return True

    def delete(self, obj: Any) -> bool:
        """Always True."""
        return True


@attrs.frozen
class GenerationChangedPredicate(_UpdateOnly):
    """Updates only when ``metadata.generation`` changed: spec changes, not status or
    metadata-only writes (so a controller writing its own status does not wake itself)."""

    def update(self, old: Any, new: Any) -> bool:
        """Whether the generation changed."""
        return bool(old.metadata.generation != new.metadata.generation)


@attrs.frozen
class LabelChangedPredicate(_UpdateOnly):
    """Updates only when the labels changed."""

    def update(self, old: Any, new: Any) -> bool:
        """Whether the labels changed."""
        return bool(old.metadata.labels != new.metadata.labels)


@attrs.frozen
class AnnotationChangedPredicate(_UpdateOnly):
    """Updates only when the annotations changed."""

    def update(self, old: Any, new: Any) -> bool:
        """Whether the annotations changed."""
        return bool(old.metadata.annotations != new.metadata.annotations)


@attrs.frozen
class _And:
    predicates: tuple[Predicate, ...]

    def create(self, obj: Any) -> bool:
        return all(p.create(obj) for p in self.predicates)

    def update(self, old: Any, new: Any) -> bool:
        return all(p.update(old, new) for p in self.predicates)

    def delete(self, obj: Any) -> bool:
        return all(p.delete(obj) for p in self.predicates)


@attrs.frozen
class _Or:
    predicates: tuple[Predicate, ...]

    def create(self, obj: Any) -> bool:
        return any(p.create(obj) for p in self.predicates)

    def update(self, old: Any, new: Any) -> bool:
        return any(p.update(old, new) for p in self.predicates)

    def delete(self, obj: Any) -> bool:
        return any(p.delete(obj) for p in self.predicates)


@attrs.frozen
class _Not:
    predicate: Predicate

    def create(self, obj: Any) -> bool:
        return not self.predicate.create(obj)

    def update(self, old: Any, new: Any) -> bool:
        return not self.predicate.update(old, new)

    def delete(self, obj: Any) -> bool:
        return not self.predicate.delete(obj)


def and_(*predicates: Predicate) -> Predicate:
    """Accepts an event that every one of ``predicates`` accepts."""
    return _And(predicates)


def or_(*predicates: Predicate) -> Predicate:
    """Accepts an event that any of ``predicates`` accepts."""
    return _Or(predicates)


def not_(predicate: Predicate) -> Predicate:
    """Accepts what ``predicate`` rejects."""
    return _Not(predicate)
