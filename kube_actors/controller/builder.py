"""The controller builder (controller-runtime's ``builder``)::

    ControllerBuilder(manager).named("website").for_(Website).owns(Deployment).owns(Service)
        .with_event_filter(GenerationChangedPredicate())
        .with_options(max_concurrent_reconciles=2)
        .complete(WebsiteReconciler(manager))

``for_`` names the primary kind (its events enqueue the object itself), ``owns`` a kind the
controller makes (its events enqueue the controller owner), ``watches`` any kind with a
mapper. The informers come from the manager's shared factory, so controllers watching the
same kind share one watch and one cache.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import attrs

from kube_actors.api import REGISTRY
from kube_actors.controller.controller import (
    DEFAULT_GRACEFUL_SHUTDOWN_TIMEOUT,
    Controller,
    Mapper,
    enqueue_for_object,
    enqueue_for_owner,
)
from kube_actors.controller.predicates import Predicate
from kube_actors.controller.reconcile import ReconcileFunc, Reconciler, Request
from kube_actors.workqueue import RateLimiter

if TYPE_CHECKING:
    from kube_actors.controller.manager import Manager

__all__ = ["ControllerBuilder", "ControllerOptions"]


@attrs.frozen(kw_only=True)
class ControllerOptions:
    """How a controller runs (controller-runtime's ``controller.Options``)."""

    max_concurrent_reconciles: int = 1
    #: Seconds a reconcile may take before it is cancelled and retried (None: no limit).
    reconcile_timeout: float | None = None
    #: Makes the queue's rate limiter (default: the default controller rate limiter).
    rate_limiter: Callable[[], RateLimiter[Request]] | None = None
    graceful_shutdown_timeout: float = DEFAULT_GRACEFUL_SHUTDOWN_TIMEOUT


@attrs.frozen
class _Source:
    cls: type[Any]
    mapper: Mapper | None  # None: to the controller owner (owns)
    predicates: tuple[Predicate, ...]
    namespace: str


class ControllerBuilder:
    """Builds a :class:`Controller` and adds it to a manager (see the module docstring)."""

    def __init__(self, manager: Manager) -> None:
        self._manager = manager
        self._name = ""
        self._primary: _Source | None = None
        self._sources: list[_Source] = []
        self._filters: list[Predicate] = []
        self._options = ControllerOptions()

    def named(self, name: str) -> ControllerBuilder:
        """The controller's name (default: the primary kind, lower-cased)."""
        self._name = name
        return self

    def for_(
        self, cls: type[Any], *, predicates: Sequence[Predicate] = (), namespace: str = ""
    ) -> ControllerBuilder:
        """The primary kind: its events enqueue the object's own namespace/name."""
        if self._primary is not None:
            raise ValueError("for_() may be called only once")
        self._primary = _Source(cls, enqueue_for_object, tuple(predicates), namespace)
        return self

    def owns(
        self, cls: type[Any], *, predicates: Sequence[Predicate] = (), namespace: str = ""
    ) -> ControllerBuilder:
        """A kind the controller makes: its events enqueue their controller owner if it is of
        the primary kind."""
        self._sources.append(_Source(cls, None, tuple(predicates), namespace))
        return self

    def watches(
        self,
        cls: type[Any],
        mapper: Mapper,
        *,
        predicates: Sequence[Predicate] = (),
        namespace: str = "",
    ) -> ControllerBuilder:
        """Any kind: its events enqueue ``mapper(obj)``."""
        self._sources.append(_Source(cls, mapper, tuple(predicates), namespace))
        return self

    def with_event_filter(self, *predicates: Predicate) -> ControllerBuilder:
        """Predicates for the events of every watch."""
        self._filters.extend(predicates)
        return self

    def with_options(self, **options: Any) -> ControllerBuilder:
        """Set :class:`ControllerOptions` fields (``max_concurrent_reconciles=2``, ...)."""
        self._options = attrs.evolve(self._options, **options)
        return self

    def build(self, reconciler: Reconciler | ReconcileFunc) -> Controller:
        """Make the controller and add it to the manager."""
        primary = self._primary
        if primary is None:
            raise ValueError("a controller needs a primary kind: call for_()")
        name = self._name or REGISTRY.for_class(primary.cls).kind.lower()
        manager = self._manager
        options = self._options
        controller = Controller(
            name,
            reconciler,
            max_concurrent_reconciles=options.max_concurrent_reconciles,
            reconcile_timeout=options.reconcile_timeout,
            rate_limiter=options.rate_limiter,
            metrics=manager.metrics,
            workqueue_metrics=manager.workqueue_metrics,
            graceful_shutdown_timeout=options.graceful_shutdown_timeout,
        )
        controller.event_filters.extend(self._filters)
        for source in (primary, *self._sources):
            informer = manager.informer(source.cls, source.namespace)
            if source.mapper is None:
                controller.watch(
                    informer,
                    enqueue_for_owner(primary.cls),
                    predicates=source.predicates,
                    map_old=True,
                )
            else:
                controller.watch(
                    informer,
                    source.mapper,
                    predicates=source.predicates,
                    map_old=source is not primary,
                )
        manager.add(controller)
        return controller

    def complete(self, reconciler: Reconciler | ReconcileFunc) -> Controller:
        """:meth:`build` (controller-runtime's name)."""
        return self.build(reconciler)
