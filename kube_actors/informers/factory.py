"""Shared informers: one informer per kind, namespace and selectors, however many ask.

Controllers ask a :class:`SharedInformerFactory` for the informer of what they watch; the
factory makes each one once, so ten controllers of pods share one watch, one cache and one
list, as with client-go's ``SharedInformerFactory``.

>>> from kube_actors.api import ConfigMap, ObjectMeta
>>> from kube_actors.client import LocalClient
>>> from kube_actors.runtime import simulate
>>> from kube_actors.store import APIServer
>>> async def main() -> list[str]:
...     client = LocalClient(await APIServer.start())
...     await client.create(ConfigMap(metadata=ObjectMeta(name="cfg")))
...     factory = SharedInformerFactory(client)
...     informer = factory.informer(ConfigMap)
...     assert factory.informer(ConfigMap) is informer
...     factory.start()
...     await factory.wait_for_cache_sync()
...     names = [c.metadata.name for c in informer.list()]
...     await factory.shutdown()
...     return names
>>> simulate(main, seed=1).value
['cfg']
"""

from __future__ import annotations

import builtins
from collections.abc import Mapping
from typing import Any, TypeVar

from kube_actors.api import LabelSelector
from kube_actors.api.selectors import (
    Selector,
    parse_selector,
    selector_from_label_selector,
    selector_from_set,
)
from kube_actors.informers.cache import CacheFactory
from kube_actors.informers.informer import Informer, InformerHealth, Transform
from kube_actors.informers.reflector import (
    DEFAULT_PAGE_SIZE,
    REFLECTOR_BACKOFF,
    FieldSelectorLike,
    LabelSelectorLike,
    ListerWatcher,
)
from kube_actors.runtime import Backoff, move_on_at, now
from kube_actors.store import FieldSelector, parse_field_selector

__all__ = ["SharedInformerFactory", "informer_key"]

T = TypeVar("T")

#: What makes informers the same: kind, namespace, label selector, field selector.
InformerKey = tuple[type[Any], str, str, str]


def informer_key(
    cls: type[Any],
    namespace: str = "",
    label_selector: LabelSelectorLike = None,
    field_selector: FieldSelectorLike = None,
) -> InformerKey:
    """The identity of a shared informer: selectors in canonical form, so ``"b=2,a=1"`` and
    ``{"a": "1", "b": "2"}`` are the same informer.

    >>> from kube_actors.api import Pod
    >>> informer_key(Pod, "", "b=2,a=1") == informer_key(Pod, "", {"a": "1", "b": "2"})
    True
    """
    return (cls, namespace, _label_text(label_selector), _field_text(field_selector))


def _label_text(value: LabelSelectorLike) -> str:
    if value is None:
        return ""
    if isinstance(value, Selector):
        selector = value
    elif isinstance(value, str):
        selector = parse_selector(value)
    elif isinstance(value, LabelSelector):
        selector = selector_from_label_selector(value)
    else:
        selector = selector_from_set(value)
    return "<nothing>" if selector.selects_nothing else str(selector)


def _field_text(value: FieldSelectorLike) -> str:
    if value is None:
        return ""
    selector = value if isinstance(value, FieldSelector) else parse_field_selector(value)
    return ",".join(sorted(str(r) for r in selector.requirements))


class SharedInformerFactory:
    """Makes and shares informers for one client.

    ``resync_period``, ``page_size``, ``cache`` (a factory or a registry name; every informer
    gets its own), ``backoff`` and ``jitter`` apply to every informer it makes. Informers
    asked for after :meth:`start` start at once.
    """

    def __init__(
        self,
        client: ListerWatcher,
        *,
        resync_period: float = 0.0,
        page_size: int = DEFAULT_PAGE_SIZE,
        cache: CacheFactory | str | None = None,
        backoff: Backoff = REFLECTOR_BACKOFF,
        jitter: float = 0.0,
    ) -> None:
        if cache is not None and not isinstance(cache, str) and not callable(cache):
            raise TypeError("a shared factory needs a cache factory (each informer gets one)")
        #: The client every informer lists and watches through.
        self.client = client
        self._resync_period = resync_period
        self._page_size = page_size
        self._cache: CacheFactory | str | None = cache
        self._backoff = backoff
        self._jitter = jitter
        self._informers: dict[InformerKey, Informer[Any]] = {}
        self._started = False

    def informer(
        self,
        cls: type[T],
        namespace: str = "",
        label_selector: LabelSelectorLike = None,
        field_selector: FieldSelectorLike = None,
        transform: Transform | None = None,
    ) -> Informer[T]:
        """The shared informer of ``cls`` in ``namespace`` (all if empty) with these selectors,
        made on first use.

        A ``transform`` is part of the informer: asking again with a different one is a
        ``ValueError`` (asking without one returns the transformed informer).
        """
        key = informer_key(cls, namespace, label_selector, field_selector)
        informer = self._informers.get(key)
        if informer is not None:
            if transform is not None and informer.transform is not transform:
                raise ValueError(
                    f"the shared informer of {cls.__qualname__} {key[1:]!r} has another transform"
                )
            return informer
        made: Informer[T] = Informer(
            self.client,
            cls,
            namespace=namespace,
            label_selector=label_selector,
            field_selector=field_selector,
            transform=transform,
            resync_period=self._resync_period,
            page_size=self._page_size,
            cache=self._cache,
            backoff=self._backoff,
            jitter=self._jitter,
        )
        self._informers[key] = made
        if self._started:
            made.start()
        return made

    def informers(self) -> builtins.list[Informer[Any]]:
        """Every informer made, in the order they were first asked for."""
        return list(self._informers.values())

    def start(self) -> None:
        """Start every informer not running yet (and any asked for later)."""
        self._started = True
        for informer in self._informers.values():
            informer.start()

    async def wait_for_cache_sync(self, timeout: float | None = None) -> bool:
        """Wait until every informer has synced (True), or one stops or fails before it
        does, or ``timeout`` seconds pass (False)."""
        deadline = None if timeout is None else now() + timeout
        synced = True
        for informer in list(self._informers.values()):
            if deadline is None:
                synced = await informer.wait_for_sync() and synced
            else:
                with move_on_at(deadline):
                    synced = await informer.wait_for_sync() and synced
                synced = synced and informer.has_synced
        return synced and all(i.has_synced for i in self._informers.values())

    def synced(self) -> Mapping[InformerKey, bool]:
        """Which informers have synced."""
        return {key: informer.has_synced for key, informer in self._informers.items()}

    async def shutdown(self) -> None:
        """Stop every informer (the newest first) and wait for them."""
        self._started = False
        for informer in reversed(list(self._informers.values())):
            await informer.stop()

    def health(self) -> builtins.list[InformerHealth]:
        """Every informer's :class:`~kube_actors.informers.informer.InformerHealth`."""
        return [informer.health() for informer in self._informers.values()]
