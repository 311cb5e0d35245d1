"""Defaulting: fill in what the API server fills in (upstream ``SetDefaults_*``) before validation.

``default_object(obj)`` returns a new object (objects are immutable) with the upstream
defaults of its kind applied; an already-defaulted object comes back unchanged (idempotent).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from kube_actors.api.registry import REGISTRY, KindRegistry

__all__ = ["Defaulter", "default_object", "register_defaulter"]

T = TypeVar("T")

#: Returns ``obj`` with defaults applied (a new object, or ``obj`` itself if nothing changed).
Defaulter = Callable[[Any], Any]

_DEFAULTERS: dict[type[Any], Defaulter] = {}


def register_defaulter(cls: type[Any]) -> Callable[[Defaulter], Defaulter]:
    """Decorator: make ``fn`` the defaulter of ``cls`` (the built-in kinds use it)."""

    def decorate(fn: Defaulter) -> Defaulter:
        _DEFAULTERS[cls] = fn
        return fn

    return decorate


def default_object(obj: T, *, registry: KindRegistry = REGISTRY) -> T:
    """``obj`` with its kind's upstream defaults filled in.

    >>> from kube_actors.api import Deployment, ObjectMeta
    >>> d = default_object(Deployment(metadata=ObjectMeta(name="web")))
    >>> d.spec.replicas, d.spec.strategy.rolling_update.max_surge
    (1, '25%')
    """
    cls = type(obj)
    fn = _DEFAULTERS.get(cls)
    if fn is None:
        fn = registry.for_class(cls).defaulter
    return obj if fn is None else fn(obj)
