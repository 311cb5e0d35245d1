"""The informer cache: a protocol, its default indexed in-memory implementation, and a registry.

An informer keeps what it has seen of one kind in a :class:`Cache`, keyed ``namespace/name``
(``name`` for cluster-scoped kinds, see :func:`object_key`). Controllers read the cache, not the
API server. The cache is owned by its informer's task: only the informer writes it, and since a
write never awaits, a reader in another task always sees a state between two writes.

:class:`IndexedCache`, the default, holds every object (objects are immutable and shared with
the API server and other informers: never copied) in a dict, with a namespace index and any
number of user indexes (:data:`IndexFunc`: ``obj -> list[str]``), all maintained
incrementally. Other caches (metadata-only, selector-filtered, bounded) implement
:class:`Cache` and plug in through :data:`CACHES` or a factory argument, without controllers
changing.

>>> from kube_actors.api import ConfigMap, ObjectMeta
>>> cache: Cache[ConfigMap] = IndexedCache({"by-app": lambda cm: [cm.metadata.labels["app"]]})
>>> cm = ConfigMap(metadata=ObjectMeta(name="cfg", namespace="dev", labels={"app": "web"}))
>>> cache.upsert(object_key(cm), cm) is None
True
>>> [c.metadata.name for c in cache.by_index("by-app", "web")], cache.keys()
(['cfg'], ['dev/cfg'])
>>> [c.metadata.name for c in cache.list_namespace("dev")]
['cfg']
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Protocol, TypeVar

from kube_actors.runtime import PluginRegistry

__all__ = [
    "CACHES",
    "NAMESPACE_INDEX",
    "Cache",
    "CacheFactory",
    "IndexFunc",
    "IndexedCache",
    "namespace_key",
    "object_key",
]

T = TypeVar("T")

#: An index function: the index values an object is filed under (``[]``: none).
IndexFunc = Callable[[Any], Sequence[str]]

#: The built-in index of every cache: objects by ``metadata.namespace``.
NAMESPACE_INDEX = "namespace"


def object_key(obj: Any) -> str:
    """The cache key of an object: ``namespace/name``, or ``name`` if it has no namespace.

    >>> from kube_actors.api import Node, ObjectMeta, Pod
    >>> object_key(Pod(metadata=ObjectMeta(name="web", namespace="dev"))), object_key(
    ...     Node(metadata=ObjectMeta(name="node-1")))
    ('dev/web', 'node-1')
    """
    meta = obj.metadata
    namespace = meta.namespace
    return f"{namespace}/{meta.name}" if namespace else meta.name


def namespace_key(namespace: str, name: str) -> str:
    """The cache key of ``name`` in ``namespace`` (``""`` for cluster-scoped kinds).

    >>> namespace_key("dev", "web"), namespace_key("", "node-1")
    ('dev/web', 'node-1')
    """
    return f"{namespace}/{name}" if namespace else name


class Cache(Protocol[T]):
    """What an informer needs from its cache, and what controllers read.

    Writes come only from the owning informer: :meth:`upsert` and :meth:`delete` per watch
    event, :meth:`replace` after a (re)list. Their return values tell the informer which
    notification to send (add, update or delete), so a cache that does not keep an object
    must return ``None`` for it consistently. Reads return the stored objects themselves.
    """

    def get_by_key(self, key: str) -> T | None:
        """The object stored under ``key`` (see :func:`object_key`), or ``None``."""
        ...

    def list(self) -> builtins.list[T]:
        """Every object."""
        ...

    def list_namespace(self, namespace: str) -> builtins.list[T]:
        """The objects in ``namespace``."""
        ...

    def by_index(self, index: str, value: str) -> builtins.list[T]:
        """The objects whose index function ``index`` returned ``value``; ``KeyError`` for an
        unknown index."""
        ...

    def index_values(self, index: str) -> builtins.list[str]:
        """The values of index ``index`` that have objects; ``KeyError`` for an unknown index."""
        ...

    def add_indexers(self, indexers: Mapping[str, IndexFunc]) -> None:
        """Add index functions (objects already stored are indexed at once); ``ValueError``
        for a name already in use."""
        ...

    def keys(self) -> builtins.list[str]:
        """Every key."""
        ...

    def __len__(self) -> int: ...

    def replace(self, objects: Mapping[str, T]) -> None:
        """Make ``objects`` (by key) the whole content."""
        ...

    def upsert(self, key: str, obj: T) -> T | None:
        """Store ``obj`` under ``key``; return the object it replaced, or ``None``."""
        ...

    def delete(self, key: str) -> T | None:
        """Remove ``key``; return the object removed, or ``None`` if there was none."""
        ...


#: Makes an empty cache for an informer.
CacheFactory = Callable[[], Cache[Any]]


class IndexedCache(Cache[T]):
    """The default :class:`Cache`: every object in a dict, plus incremental indexes.

    Costs: :meth:`get_by_key` O(1); :meth:`upsert` and :meth:`delete` O(1) plus the index
    functions (on an update an index changes only if the object's values for it changed; the
    namespace of a key never changes, so an update never touches the namespace index);
    :meth:`by_index` and :meth:`list_namespace` O(matches). Lists come in insertion order,
    which depends only on the order of events, so a simulation reads the same order every run.
    """

    __slots__ = ("_functions", "_indexes", "_items", "_namespaces")

    def __init__(self, indexers: Mapping[str, IndexFunc] | None = None) -> None:
        self._items: dict[str, T] = {}
        # namespace -> keys (dicts as ordered sets, so iteration order is deterministic)
        self._namespaces: dict[str, dict[str, None]] = {}
        self._functions: dict[str, IndexFunc] = {}
        # index name -> value -> keys
        self._indexes: dict[str, dict[str, dict[str, None]]] = {}
        if indexers:
            self.add_indexers(indexers)

    # --- reads ---------------------------------------------------------------------------

    def get_by_key(self, key: str) -> T | None:
        """The object stored under ``key``, or ``None``."""
        return self._items.get(key)

    def list(self) -> builtins.list[T]:
        """Every object, in insertion order."""
        return list(self._items.values())

    def list_namespace(self, namespace: str) -> builtins.list[T]:
        """The objects in ``namespace`` (every object for ``""``)."""
        if not namespace:
            return list(self._items.values())
        keys = self._namespaces.get(namespace)
        if not keys:
            return []
        items = self._items
        return [items[key] for key in keys]

    def by_index(self, index: str, value: str) -> builtins.list[T]:
        """The objects filed under ``value`` in ``index`` (``"namespace"`` is built in)."""
        if index == NAMESPACE_INDEX:
            return self.list_namespace(value) if value else []
        keys = self._indexes[index].get(value)
        if not keys:
            return []
        items = self._items
        return [items[key] for key in keys]

    def index_keys(self, index: str, value: str) -> builtins.list[str]:
        """The keys filed under ``value`` in ``index``."""
        if index == NAMESPACE_INDEX:
            return list(self._namespaces.get(value, ()))
        return list(self._indexes[index].get(value, ()))

    def index_values(self, index: str) -> builtins.list[str]:
        """The values of ``index`` that have objects."""
        if index == NAMESPACE_INDEX:
            return list(self._namespaces)
        return list(self._indexes[index])

    def keys(self) -> builtins.list[str]:
        """Every key, in insertion order."""
        return list(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, key: object) -> bool:
        return key in self._items

    # --- indexers ------------------------------------------------------------------------

    def add_indexers(self, indexers: Mapping[str, IndexFunc]) -> None:
        """Add index functions; what is stored already is indexed now."""
        for name in indexers:
            if name == NAMESPACE_INDEX or name in self._functions:
                raise ValueError(f"an index named {name!r} already exists")
        for name, function in indexers.items():
            self._functions[name] = function
            index: dict[str, dict[str, None]] = {}
            self._indexes[name] = index
            for key, obj in self._items.items():
                for value in function(obj):
                    index.setdefault(value, {})[key] = None

    # --- writes --------------------------------------------------------------------------

    def replace(self, objects: Mapping[str, T]) -> None:
        """Make ``objects`` the whole content; the indexes are rebuilt."""
        self._items = dict(objects)
        namespaces: dict[str, dict[str, None]] = {}
        for key in self._items:
            slash = key.find("/")
            if slash > 0:
                namespaces.setdefault(key[:slash], {})[key] = None
        self._namespaces = namespaces
        for name, function in self._functions.items():
            index: dict[str, dict[str, None]] = {}
            self._indexes[name] = index
            for key, obj in self._items.items():
                for value in function(obj):
                    index.setdefault(value, {})[key] = None

    def upsert(self, key: str, obj: T) -> T | None:
        """Store ``obj`` under ``key``; the replaced object or ``None``."""
        items = self._items
        old = items.get(key)
        items[key] = obj
        if old is None:
            slash = key.find("/")
            if slash > 0:
                namespace = key[:slash]
                keys = self._namespaces.get(namespace)
                if keys is None:
                    self._namespaces[namespace] = {key: None}
                else:
                    keys[key] = None
            if self._functions:
                self._index(key, obj)
        elif self._functions:
            self._reindex(key, old, obj)
        return old

    def delete(self, key: str) -> T | None:
        """Remove ``key``; the removed object or ``None``."""
        old = self._items.pop(key, None)
        if old is None:
            return None
        slash = key.find("/")
        if slash > 0:
            namespace = key[:slash]
            keys = self._namespaces[namespace]
            del keys[key]
            if not keys:
                del self._namespaces[namespace]
        if self._functions:
            for name, function in self._functions.items():
                self._unfile(self._indexes[name], key, function(old))
        return old

    # --- internals -----------------------------------------------------------------------

    def _index(self, key: str, obj: T) -> None:
        indexes = self._indexes
        for name, function in self._functions.items():
            index = indexes[name]
            for value in function(obj):
                keys = index.get(value)
                if keys is None:
                    index[value] = {key: None}
                else:
                    keys[key] = None

    def _reindex(self, key: str, old: T, new: T) -> None:
        indexes = self._indexes
        for name, function in self._functions.items():
            before = function(old)
            after = function(new)
            if before == after:
                continue
            index = indexes[name]
            self._unfile(index, key, [v for v in before if v not in after])
            for value in after:
                keys = index.get(value)
                if keys is None:
                    index[value] = {key: None}
                else:
                    keys[key] = None

    @staticmethod
    def _unfile(index: dict[str, dict[str, None]], key: str, values: Iterable[str]) -> None:
        for value in values:
            keys = index.get(value)
            if keys is not None:
                keys.pop(key, None)
                if not keys:
                    del index[value]


#: Cache factories by name (entry point group ``kube_actors.informer_caches``); ``"indexed"``
#: is :class:`IndexedCache`, the default.
CACHES: PluginRegistry[CacheFactory] = PluginRegistry(
    "kube_actors.informer_caches", "informer cache"
)
CACHES.register("indexed", IndexedCache)
