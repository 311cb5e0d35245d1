"""Informers: list and watch a kind into an indexed cache, and tell handlers what changed.

The client-go machinery, as async actors in virtual or real time:

- :class:`Reflector` lists (in pages), then watches from the list's resourceVersion with
  bookmarks; a broken watch is resumed from the last version, an expired one (410) relisted,
  with backoff (800 ms doubling to 30 s, reset after 2 minutes of health).
- :class:`Cache` is the pluggable store an informer keeps; :class:`IndexedCache`, the default,
  holds every object by ``namespace/name`` with a namespace index and user index functions.
- :class:`Informer` owns a reflector and a cache, runs under supervision, and calls handlers
  (``on_add``, ``on_update``, ``on_delete``) for every change exactly once, in order; deletes
  it missed during a watch gap arrive as a :class:`Tombstone`.
- :class:`SharedInformerFactory` gives every controller watching the same kind, namespace and
  selectors the same informer.

>>> from kube_actors.api import ConfigMap, ObjectMeta
>>> from kube_actors.client import LocalClient
>>> from kube_actors.runtime import simulate, sleep
>>> from kube_actors.store import APIServer
>>> async def main() -> list[str]:
...     client = LocalClient(await APIServer.start())
...     factory = SharedInformerFactory(client)
...     seen: list[str] = []
...     factory.informer(ConfigMap).add_handler(
...         on_add=lambda cm, initial: seen.append(f"add {cm.metadata.name}"),
...         on_delete=lambda cm: seen.append(f"delete {deleted_object(cm).metadata.name}"),
...     )
...     factory.start()
...     await factory.wait_for_cache_sync()
...     await client.create(ConfigMap(metadata=ObjectMeta(name="cfg")))
...     await client.delete(ConfigMap, "cfg")
...     await sleep(1)
...     await factory.shutdown()
...     return seen
>>> simulate(main, seed=1).value
['add cfg', 'delete cfg']
"""

from kube_actors.informers.cache import (
    CACHES,
    NAMESPACE_INDEX,
    Cache,
    CacheFactory,
    IndexedCache,
    IndexFunc,
    namespace_key,
    object_key,
)
from kube_actors.informers.factory import SharedInformerFactory, informer_key
from kube_actors.informers.handlers import (
    EventHandler,
    HandlerFuncs,
    HandlerRegistration,
    Tombstone,
    deleted_object,
)
from kube_actors.informers.informer import Informer, InformerHealth, Transform
from kube_actors.informers.reflector import (
    DEFAULT_PAGE_SIZE,
    REFLECTOR_BACKOFF,
    ListerWatcher,
    Reflector,
    ReflectorStore,
    WatchLike,
)

__all__ = [
    "CACHES",
    "DEFAULT_PAGE_SIZE",
    "NAMESPACE_INDEX",
    "REFLECTOR_BACKOFF",
    "Cache",
    "CacheFactory",
    "EventHandler",
    "HandlerFuncs",
    "HandlerRegistration",
    "IndexFunc",
    "IndexedCache",
    "Informer",
    "InformerHealth",
    "ListerWatcher",
    "Reflector",
    "ReflectorStore",
    "SharedInformerFactory",
    "Tombstone",
    "Transform",
    "WatchLike",
    "deleted_object",
    "informer_key",
    "namespace_key",
    "object_key",
]
