"""The API server: typed CRUD, subresources, deletion, list and watch over a storage backend.

:class:`APIServer` holds the semantics (resourceVersion, conflicts, generation, finalizers,
graceful deletion, namespaces, admission, selectors, paging, watch with bookmarks and 410);
:class:`APIServerActor` serves the same operations as actor messages, so actors that only hold
references can reach it and fault injection can act on API traffic.

The server's methods run in the caller's task. Over the in-memory backend nothing awaits
between a read and the write that depends on it, so each call is atomic; over a backend that
does await (etcd), writes are compare-and-swap on the revision read, as upstream's are.

>>> from kube_actors.api import ConfigMap, ObjectMeta
>>> from kube_actors.runtime import simulate
>>> async def main() -> tuple[str, str]:
...     server = await APIServer.start()
...     made = await server.create(ConfigMap(metadata=ObjectMeta(name="cfg"), data={"a": "1"}))
...     got = await server.get(ConfigMap, "cfg", namespace="default")
...     return made.metadata.resource_version, got.data["a"]
>>> simulate(main, seed=1).value
('4', '1')
"""

from __future__ import annotations

import base64
import binascii
import builtins
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import timedelta
from typing import Any, Generic, Literal, NamedTuple, TypeVar

import attrs

from kube_actors.api import (
    REGISTRY,
    Deployment,
    KindInfo,
    KindRegistry,
    LabelSelector,
    Namespace,
    NamespaceSpec,
    NamespaceStatus,
    ObjectMeta,
    Pod,
    PodCondition,
    PodSpec,
    PodStatus,
    ReplicaSet,
    ReplicationController,
    Scale,
    ScaleSpec,
    ScaleStatus,
    StatefulSet,
    constructor,
    from_dict,
    replace,
    replacer,
    to_dict,
)
from kube_actors.api.selectors import (
    Selector,
    parse_selector,
    selector_from_label_selector,
    selector_from_set,
)
from kube_actors.api.serialization import SerializationError
from kube_actors.api.validation import ErrorType, FieldError, forbidden, invalid, required
from kube_actors.runtime import (
    Actor,
    Request,
    handles,
    move_on_after,
    new_uid,
    rng,
    wall_time_seconds,
)
from kube_actors.store.admission import (
    AdmissionPlugin,
    NamespaceLifecycle,
    Operation,
    admit_write,
    default_chain,
)
from kube_actors.store.errors import (
    AlreadyExists,
    APIError,
    BadRequest,
    Conflict,
    Expired,
    Invalid,
    MethodNotAllowed,
    NotFound,
    StatusDetails,
)
from kube_actors.store.fields import FieldSelector, FieldSelectorError, parse_field_selector
from kube_actors.store.memory import MemoryBackend
from kube_actors.store.patch import (
    PatchError,
    default_merge_key,
    json_merge_patch,
    json_patch,
    strategic_merge_patch,
)
from kube_actors.store.storage import (
    Compacted,
    KeyExists,
    KeyNotFound,
    RevisionConflict,
    StorageBackend,
    StorageEvent,
    StoredObject,
    Watch,
    WatchClosed,
)

__all__ = [
    "APIServer",
    "APIServerActor",
    "APIWatch",
    "ApplyError",
    "Create",
    "Delete",
    "Get",
    "GetScale",
    "List",
    "ObjectList",
    "Patch",
    "PatchType",
    "Preconditions",
    "PropagationPolicy",
    "Update",
    "UpdateScale",
    "UpdateStatus",
    "WatchDisconnected",
    "WatchEvent",
    "storage_prefix",
]

T = TypeVar("T")
PatchType = Literal["merge", "json", "strategic"]
PropagationPolicy = Literal["Background", "Foreground", "Orphan"]
EventType = Literal["ADDED", "MODIFIED", "DELETED", "BOOKMARK"]

#: Groups whose kinds are stored under ``/registry/<plural>/`` as upstream's built-ins are;
#: other groups' kinds (custom resources) under ``/registry/<group>/<plural>/``.
_BUILTIN_GROUPS = frozenset(
    {"", "apps", "batch", "autoscaling", "discovery.k8s.io", "coordination.k8s.io", "policy"}
)
#: Kinds with a scale subresource: spec.replicas, status.replicas and the pod selector.
_SCALABLE = (Deployment, ReplicaSet, StatefulSet, ReplicationController)
#: Kinds that are representations, never stored.
_UNSERVED = (Scale,)
_GC_FINALIZERS = {"Orphan": "orphan", "Foreground": "foregroundDeletion"}
_PENDING = PodStatus(phase="Pending")
# Built on every binding: straight slot fills instead of the frozen class's __init__.
_pod_condition = constructor(PodCondition)
# The copies every write makes, as positional calls (see replacer).
_set_resource_version = replacer(ObjectMeta, "resource_version")
_created_meta = replacer(
    ObjectMeta,
    "name",
    "namespace",
    "uid",
    "creation_timestamp",
    "generation",
    "deletion_timestamp",
    "deletion_grace_period_seconds",
)
_created_pod = replacer(Pod, "metadata", "status")
_bound_spec = replacer(PodSpec, "node_name")
_bound_status = replacer(PodStatus, "conditions")
_bound_pod = replacer(Pod, "spec", "status")
#: Per kind: obj with its metadata (its status) replaced.
_SET_METADATA: dict[type[Any], Callable[[Any, ObjectMeta], Any]] = {}
_SET_STATUS: dict[type[Any], Callable[[Any, Any], Any]] = {}
# Enum members read through the class cost a descriptor call each: every write passes one.
_CREATE, _UPDATE, _DELETE = Operation.CREATE, Operation.UPDATE, Operation.DELETE
#: Seconds a pod gets to terminate when neither the request nor the pod says.
DEFAULT_POD_GRACE = 30


# (group, plural, namespace) -> prefix: keyed by what the prefix depends on, strings whose
# hashes are cached, since every write computes its key.
_PREFIXES: dict[tuple[str, str, str], str] = {}


def storage_prefix(info: KindInfo, namespace: str = "") -> str:
    """The storage key prefix of a kind (and namespace): ``/registry/pods/default/``."""
    group, plural = info.group, info.plural
    key = (group, plural, namespace)
    prefix = _PREFIXES.get(key)
    if prefix is None:
        base = (
            f"/registry/{plural}/" if group in _BUILTIN_GROUPS else f"/registry/{group}/{plural}/"
        )
        prefix = f"{base}{namespace}/" if namespace else base
        if len(_PREFIXES) >= 4096:
            _PREFIXES.clear()
        _PREFIXES[key] = prefix
    return prefix


# --- results and watch ------------------------------------------------------------------------


@attrs.frozen
class ObjectList(Generic[T]):
    """One page of a list: the items, the list's resourceVersion and the continue token
    (empty on the last page)."""

    items: tuple[T, ...]
    resource_version: str
    continue_: str = ""

    def __iter__(self) -> Any:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)


class WatchEvent(NamedTuple, Generic[T]):
    """One watch event. ``object`` is ``None`` for ``BOOKMARK``; ``resource_version`` is the
    version the watcher has seen everything up to (the object's, for the other types).

    A named tuple: every watcher gets one per event, and a tuple is the cheapest to build.
    """

    type: EventType
    object: T | None
    resource_version: str


_new_event = tuple.__new__
_EVENT_TYPES = {
    ("PUT", True): "ADDED",
    ("PUT", False): "MODIFIED",
    ("DELETE", False): "DELETED",
    ("DELETE", True): "DELETED",
}


# Sets StorageEvent's memo slot (the class is frozen; the memo is not part of its value).
_remember = StorageEvent.__dict__["_converted"].__set__


def _whole_kind_event(event: StorageEvent) -> WatchEvent[Any]:
    """The watch event of a change for a watch without selectors (shared by all of them).

    Values are stamped, so their metadata already holds the resourceVersion as a string.
    """
    value = event.value
    converted: WatchEvent[Any] = _new_event(
        WatchEvent,
        (_EVENT_TYPES[event.type, event.created], value, value.metadata.resource_version),
    )
    _remember(event, converted)
    return converted


class WatchDisconnected(Exception):
    """The server ended a watch (the watcher fell behind, or the server stopped).

    Watch again from the last resourceVersion seen; if that is too old the new watch raises
    ``Expired`` and the watcher must relist.
    """

    def __init__(self, reason: str, resource_version: str) -> None:
        super().__init__(reason, resource_version)
        self.reason = reason
        #: The last resourceVersion delivered before the disconnect.
        self.resource_version = resource_version

    def __str__(self) -> str:
        return f"watch disconnected at resourceVersion {self.resource_version}: {self.reason}"


class APIWatch(Generic[T]):
    """A watch on one kind: ``async for event in watch`` yields :class:`WatchEvent` in order.

    :meth:`next_batch` returns every event already available at once (faster for consumers
    that can take batches). Iteration ends after :meth:`close`; when the server ends the watch
    it raises :class:`WatchDisconnected`.
    """

    def __init__(
        self,
        storage_watch: Watch,
        *,
        matches: Callable[[Any], bool] | None,
        stamp: Callable[[Any, int], Any],
        initial: list[WatchEvent[T]],
        resource_version: int,
        bookmark_interval: float | None,
        progress: Callable[[Watch], int | None],
    ) -> None:
        self._watch = storage_watch
        self._matches = matches
        self._stamp = stamp
        self._pending: list[WatchEvent[T]] = initial
        self._index = 0
        self._bookmark_interval = bookmark_interval
        self._progress = progress
        # Every storage event up to _last has been read and converted; _sent is the newest
        # version handed to the consumer (event or bookmark); a live batch being iterated
        # started after _batch_from.
        self._last = resource_version
        self._sent = resource_version
        self._batch_from = resource_version
        self._live = False

    @property
    def resource_version(self) -> str:
        """Where to resume after a disconnect: the version of the last event returned, or past
        what was filtered out once a whole batch has been returned."""
        if self._live and self._index < len(self._pending):
            if self._index:
                return self._pending[self._index - 1].resource_version
            return str(self._batch_from)
        return str(self._last)

    def close(self) -> None:
        """Stop the watch; iteration ends once the events already returned are consumed."""
        self._watch.close()

    async def __aenter__(self) -> APIWatch[T]:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.close()

    def __aiter__(self) -> APIWatch[T]:
        return self

    async def __anext__(self) -> WatchEvent[T]:
        pending = self._pending
        if self._index >= len(pending):
            try:
                pending = await self.next_batch()
            except WatchClosed:
                raise StopAsyncIteration from None
            self._pending, self._index, self._live = pending, 0, True
        event = pending[self._index]
        self._index += 1
        return event

    async def next_batch(self) -> builtins.list[WatchEvent[T]]:
        """Wait for events and return all that are available (at least one), in order.

        Raises :class:`WatchDisconnected` if the server ended the watch, and the storage
        ``WatchClosed`` (which ``async for`` turns into the end of iteration) after
        :meth:`close`.
        """
        if self._index < len(self._pending):
            rest = self._pending[self._index :]
            self._pending, self._index = [], 0
            return rest
        self._pending, self._index = [], 0
        while True:
            try:
                if self._bookmark_interval is None:
                    batch = await self._watch.next_batch()
                else:
                    batch = []
                    with move_on_after(self._bookmark_interval):
                        batch = await self._watch.next_batch()
                    if not batch:
                        bookmark = self._bookmark()
                        if bookmark is not None:
                            return [bookmark]
                        continue
            except WatchClosed as closed:
                if closed.by_client:
                    raise
                raise WatchDisconnected(closed.reason, str(self._last)) from None
            events = self._convert(batch)
            if events:
                return events

    def _bookmark(self) -> WatchEvent[T] | None:
        revision = self._progress(self._watch)
        if revision is None or revision < self._sent:
            return None
        self._last = self._sent = self._batch_from = revision
        return WatchEvent("BOOKMARK", None, str(revision))

    def _convert(self, batch: Sequence[StorageEvent]) -> builtins.list[WatchEvent[T]]:
        out: list[WatchEvent[T]] = []
        append = out.append
        matches = self._matches
        if matches is None:
            # The hot path (informers watch whole kinds): every such watcher gets the same
            # event for a change, made once by the first of them.
            out = [e._converted or _whole_kind_event(e) for e in batch]
            if batch:
                self._batch_from = self._last
                self._last = self._sent = batch[-1].revision
            return out
        for event in batch:
            revision = event.revision
            rv = str(revision)
            # Selectors: an object that starts matching is ADDED, one that stops is DELETED
            # (with its last matching state, at this version), as upstream's watch cache does.
            if event.type == "DELETE":
                if matches(event.value):
                    append(WatchEvent("DELETED", event.value, rv))
                continue
            now = matches(event.value)
            before = not event.created and event.prev is not None and matches(event.prev)
            if now:
                append(WatchEvent("MODIFIED" if before else "ADDED", event.value, rv))
            elif before:
                append(WatchEvent("DELETED", self._stamp(event.prev, revision), rv))
        if batch:
            self._batch_from = self._last
            self._last = batch[-1].revision
        if out:
            self._sent = int(out[-1].resource_version)
        return out


@attrs.frozen
class Preconditions:
    """Conditions a delete (or update) requires of the stored object."""

    uid: str = ""
    resource_version: str = ""


class ApplyError(Exception):
    """A multi-object apply stopped at one object; ``applied`` lists what was stored before it."""

    def __init__(self, applied: Sequence[Any], failed: Any, error: APIError) -> None:
        super().__init__(applied, failed, error)
        self.applied = tuple(applied)
        self.failed = failed
        self.error = error

    def __str__(self) -> str:
        done = ", ".join(_describe(o) for o in self.applied) or "nothing"
        return f"{_describe(self.failed)}: {self.error.message} (applied before it: {done})"


def _describe(obj: Any) -> str:
    meta = obj.metadata
    namespaced = REGISTRY.for_class(type(obj)).namespaced if type(obj) in REGISTRY else False
    namespace = meta.namespace or ("default" if namespaced else "")
    where = f"{namespace}/" if namespace else ""
    return f"{type(obj).kind} {where}{meta.name or meta.generate_name + '*'}"


# --- the server -------------------------------------------------------------------------------

_ALPHANUMS = "bcdfghjklmnpqrstvwxz2456789"  # upstream's: no vowels, no 0/1/3 lookalikes


def _random_suffix() -> str:
    """Five of ``_ALPHANUMS`` at random: ``rng().choices(_ALPHANUMS, k=5)``, drawing the same
    numbers (so the same names), without its argument handling."""
    random = rng().random
    chars = _ALPHANUMS
    n = _N_ALPHANUMS
    return (
        chars[int(random() * n)]
        + chars[int(random() * n)]
        + chars[int(random() * n)]
        + chars[int(random() * n)]
        + chars[int(random() * n)]
    )


_N_ALPHANUMS = float(len(_ALPHANUMS))


def _go_strings(values: Sequence[str]) -> str:
    """A list of strings as Go's ``%#v`` prints a ``[]string``, as upstream messages show it."""
    return "[]string{" + ", ".join(json.dumps(v) for v in values) + "}"


def _same(a: Any, b: Any) -> bool:
    """``a == b`` for two objects of a kind, cheap when they share their parts (the common
    case: a write that carries over the stored spec or status object)."""
    if a is b:
        return True
    cls = type(a)
    if cls is not type(b):
        return False
    names = _FIELD_NAMES.get(cls)
    if names is None:
        names = _FIELD_NAMES[cls] = tuple(field.name for field in attrs.fields(cls))
    for name in names:
        x, y = getattr(a, name), getattr(b, name)
        if x is not y and x != y:
            return False
    return True


_FIELD_NAMES: dict[type[Any], tuple[str, ...]] = {}


def _stamp(obj: Any, revision: int) -> Any:
    """``obj`` with ``metadata.resourceVersion`` set to ``revision`` (the storage Stamp)."""
    meta = obj.metadata
    rv = str(revision)
    if meta.resource_version == rv:
        return obj
    return _with_metadata(obj, _set_resource_version(meta, rv))


def _with_metadata(obj: Any, meta: ObjectMeta) -> Any:
    """``replace(obj, metadata=meta)``."""
    cls = obj.__class__
    set_metadata = _SET_METADATA.get(cls)
    if set_metadata is None:
        set_metadata = _SET_METADATA[cls] = replacer(cls, "metadata")
    return set_metadata(obj, meta)


def _with_status(obj: Any, status: Any) -> Any:
    """``replace(obj, status=status)``."""
    cls = obj.__class__
    set_status = _SET_STATUS.get(cls)
    if set_status is None:
        set_status = _SET_STATUS[cls] = replacer(cls, "status")
    return set_status(obj, status)


def _parse_rv(value: str, what: str = "resourceVersion") -> int:
    try:
        rv = int(value)
    except ValueError:
        raise BadRequest(f'invalid {what}: "{value}" is not a number') from None
    if rv < 0:
        raise BadRequest(f'invalid {what}: "{value}" is negative')
    return rv


def _spec_fields(cls: type[Any]) -> tuple[str, ...]:
    """Fields whose change bumps ``metadata.generation``: all but metadata and status."""
    return tuple(a.name for a in attrs.fields(cls) if a.name not in ("metadata", "status"))


class APIServer:
    """The API server over a storage backend (in memory unless given).

    ``admission`` is the ordered plugin chain (:func:`~kube_actors.store.admission.default_chain`
    unless given). ``bookmark_interval`` is how long a watch that asked for bookmarks waits
    idle before it gets one. Use :meth:`start` to create it with the system namespaces.
    """

    def __init__(
        self,
        backend: StorageBackend | None = None,
        *,
        admission: Sequence[AdmissionPlugin] | None = None,
        registry: KindRegistry = REGISTRY,
        bookmark_interval: float = 60.0,
    ) -> None:
        self.backend: StorageBackend = backend if backend is not None else MemoryBackend(_stamp)
        self.admission: list[AdmissionPlugin] = (
            default_chain() if admission is None else list(admission)
        )
        self.registry = registry
        self.bookmark_interval = bookmark_interval
        self._spec_fields: dict[type[Any], tuple[str, ...]] = {}

    @classmethod
    async def start(
        cls,
        backend: StorageBackend | None = None,
        *,
        admission: Sequence[AdmissionPlugin] | None = None,
        registry: KindRegistry = REGISTRY,
        bookmark_interval: float = 60.0,
        namespaces: Iterable[str] = ("default", "kube-system", "kube-node-lease"),
    ) -> APIServer:
        """A server with the system namespaces created (those that do not exist yet)."""
        server = cls(
            backend, admission=admission, registry=registry, bookmark_interval=bookmark_interval
        )
        for name in namespaces:
            if await server.get_object(Namespace, name) is None:
                await server.create(Namespace(metadata=ObjectMeta(name=name)))
        return server

    # --- kinds and keys ---------------------------------------------------------------------

    def _info(self, cls: type[Any]) -> KindInfo:
        try:
            info = self.registry.for_class(cls)
        except LookupError:
            raise NotFound(
                f"the server could not find the requested resource ({cls.__qualname__} is not "
                "a registered kind)"
            ) from None
        if cls in _UNSERVED:
            raise MethodNotAllowed(f"{info.resource} cannot be stored; it is a representation")
        return info

    @staticmethod
    def _namespace(info: KindInfo, namespace: str) -> str:
        if not info.namespaced:
            return ""
        return namespace or "default"

    @staticmethod
    def _key(info: KindInfo, namespace: str, name: str) -> str:
        return f"{storage_prefix(info, namespace)}{name}"

    async def get_object(self, cls: type[Any], name: str, namespace: str = "") -> Any | None:
        """The stored object, or ``None`` (the admission chain's :class:`ObjectReader`)."""
        info = self._info(cls)
        found = await self.backend.get(self._key(info, self._namespace(info, namespace), name))
        return None if found is None else found.value

    async def _current(self, info: KindInfo, namespace: str, name: str) -> StoredObject:
        found = await self.backend.get(self._key(info, namespace, name))
        if found is None:
            raise NotFound.of(info, name)
        return found

    # --- reads ------------------------------------------------------------------------------

    async def get(self, cls: type[T], name: str, *, namespace: str = "") -> T:
        """The object ``name`` (in ``namespace``, ``default`` if empty); ``NotFound`` if absent."""
        info = self._info(cls)
        found = await self._current(info, self._namespace(info, namespace), name)
        return found.value  # type: ignore[no-any-return]

    async def list(
        self,
        cls: type[T],
        *,
        namespace: str = "",
        label_selector: str | Selector | Mapping[str, str] | LabelSelector | None = None,
        field_selector: str | FieldSelector | None = None,
        limit: int = 0,
        continue_: str = "",
    ) -> ObjectList[T]:
        """Objects of ``cls`` (in ``namespace``, or all namespaces if empty), sorted by
        namespace and name, filtered by the selectors.

        With ``limit`` > 0, at most that many items and a continue token for the next page
        (pass it back as ``continue_`` with the same selectors). Every page reports the first
        page's resourceVersion; later pages show objects as they are when the page is read.
        """
        info = self._info(cls)
        matches = self._matcher(info, label_selector, field_selector)
        prefix = storage_prefix(info, namespace if info.namespaced else "")
        start_after = ""
        revision: int | None = None
        if continue_:
            revision, start_after = self._decode_continue(continue_, prefix)
        if limit < 0:
            raise BadRequest(f"limit must not be negative, got {limit}")
        backend = self.backend
        items: list[Any] = []
        next_token = ""
        chunk = limit if limit > 0 else 0
        while True:
            page, read_at = await backend.list(prefix, limit=chunk, start_after=start_after)
            if revision is None:
                revision = read_at
            for stored in page:
                if matches is None or matches(stored.value):
                    items.append(stored.value)
                    if limit and len(items) == limit:
                        break
            else:
                if not chunk or len(page) < chunk:
                    break
                start_after = page[-1].key
                continue
            # The page is full: more remain if any key follows the last item returned.
            last_key = self._key(info, stored.value.metadata.namespace, stored.value.metadata.name)
            more, _ = await backend.list(prefix, limit=1, start_after=last_key)
            if more:
                next_token = self._encode_continue(revision, last_key, prefix)
            break
        return ObjectList(tuple(items), str(revision), next_token)

    @staticmethod
    def _encode_continue(revision: int, key: str, prefix: str) -> str:
        raw = json.dumps({"v": "meta.k8s.io/v1", "rv": revision, "start": key[len(prefix) :]})
        return base64.urlsafe_b64encode(raw.encode()).decode()

    @staticmethod
    def _decode_continue(token: str, prefix: str) -> tuple[int, str]:
        try:
            data = json.loads(base64.urlsafe_b64decode(token.encode()))
            revision, start = int(data["rv"]), str(data["start"])
        except (ValueError, KeyError, TypeError, binascii.Error):
            raise BadRequest(f"invalid continue token {token!r}") from None
        return revision, prefix + start

    def _matcher(
        self,
        info: KindInfo,
        label_selector: str | Selector | Mapping[str, str] | LabelSelector | None,
        field_selector: str | FieldSelector | None,
    ) -> Callable[[Any], bool] | None:
        try:
            labels = _label_selector(label_selector)
            fields = (
                parse_field_selector(field_selector)
                if isinstance(field_selector, str)
                else field_selector
            )
            field_match = None if fields is None or fields.empty else fields.bind(info.cls)
        except (FieldSelectorError, ValueError) as exc:
            raise BadRequest(str(exc)) from None
        if labels is None and field_match is None:
            return None
        if field_match is None:
            assert labels is not None
            label_match = labels.matches
            return lambda obj: label_match(obj.metadata.labels)
        if labels is None:
            return field_match
        label_match = labels.matches
        return lambda obj: label_match(obj.metadata.labels) and field_match(obj)

    # --- create -----------------------------------------------------------------------------

    async def create(self, obj: T, *, namespace: str = "", dry_run: bool = False) -> T:
        """Store a new object and return it as stored (uid, timestamps, resourceVersion set).

        ``namespace`` applies when the object names none (``default`` if neither does).
        ``AlreadyExists``, ``Invalid`` (every field error), ``NotFound``/``Forbidden`` for a
        missing or terminating namespace. With ``dry_run``, everything but the write.
        """
        info = self._info(type(obj))
        meta: ObjectMeta = obj.metadata  # type: ignore[attr-defined]
        if meta.resource_version:
            raise BadRequest("resourceVersion should not be set on objects to be created")
        ns = self._namespace(info, meta.namespace or namespace)
        if info.namespaced and meta.namespace and namespace and meta.namespace != namespace:
            raise BadRequest(
                "the namespace of the provided object does not match the namespace sent on the "
                "request"
            )
        attempts = 8 if not meta.name and meta.generate_name else 1
        for attempt in range(attempts):
            # Upstream cuts the prefix to 58 characters, so the name fits in 63.
            name = meta.name or meta.generate_name[:58] + _random_suffix()
            prepared = self._prepare_create(info, obj, ns, name)
            stored = await admit_write(
                self.admission, self, _CREATE, info, prepared, None, ns, name, "", dry_run
            )
            key = self._key(info, ns, name)
            if dry_run:
                if await self.backend.get(key) is not None:
                    raise AlreadyExists.of(info, name)
                return stored  # type: ignore[no-any-return]
            try:
                result = await self.backend.create(key, stored)
            except KeyExists:
                if attempt + 1 < attempts:
                    continue
                raise AlreadyExists.of(info, name) from None
            return result.value  # type: ignore[no-any-return]
        raise AssertionError("unreachable")  # pragma: no cover

    def _prepare_create(self, info: KindInfo, obj: Any, namespace: str, name: str) -> Any:
        meta = _created_meta(
            obj.metadata, name, namespace, new_uid(), wall_time_seconds(), 1, None, None
        )
        if isinstance(obj, Pod):
            # Upstream: a new pod's status is the server's, Pending until a kubelet reports.
            return _created_pod(obj, meta, _PENDING)
        if isinstance(obj, Namespace):
            # Upstream: a namespace starts Active, finalized by the namespace controller.
            spec = obj.spec if obj.spec.finalizers else NamespaceSpec(finalizers=("kubernetes",))
            return replace(obj, metadata=meta, spec=spec, status=NamespaceStatus(phase="Active"))
        return _with_metadata(obj, meta)

    # --- update -----------------------------------------------------------------------------

    async def update(self, obj: T, *, namespace: str = "", dry_run: bool = False) -> T:
        """Replace the stored object with ``obj`` (its status is kept: see :meth:`update_status`).

        ``Conflict`` if ``obj`` carries a resourceVersion that is not the stored one (an empty
        one updates unconditionally), ``NotFound`` if there is none, ``Invalid`` on field
        errors. ``generation`` is bumped when anything but metadata and status changed; an
        update that changes nothing writes nothing and returns the stored object.
        """
        return await self._update(obj, namespace, "", dry_run)  # type: ignore[no-any-return]

    async def update_status(self, obj: T, *, namespace: str = "", dry_run: bool = False) -> T:
        """Replace only the stored object's status with ``obj.status`` (the status subresource)."""
        if not hasattr(obj, "status"):
            info = self._info(type(obj))
            raise NotFound(
                f"the server could not find the requested resource ({info.resource} has no "
                "status subresource)"
            )
        return await self._update(obj, namespace, "status", dry_run)  # type: ignore[no-any-return]

    async def _update(self, obj: Any, namespace: str, subresource: str, dry_run: bool) -> Any:
        info = self._info(type(obj))
        meta: ObjectMeta = obj.metadata
        ns = self._namespace(info, meta.namespace or namespace)
        current = await self._current(info, ns, meta.name)
        expected = None
        if meta.resource_version:
            expected = _parse_rv(meta.resource_version)
            if expected != current.mod_revision:
                raise Conflict.modified(info, meta.name)
        old = current.value
        if meta.uid and meta.uid != old.metadata.uid:
            raise Conflict.precondition(info, meta.name, "UID", meta.uid, old.metadata.uid)
        new = self._prepare_update(info, obj, old, subresource)
        return await self._write_update(info, new, old, current, subresource, dry_run)

    def _prepare_update(self, info: KindInfo, obj: Any, old: Any, subresource: str) -> Any:
        old_meta: ObjectMeta = old.metadata
        if subresource:
            # status (and scale, binding) change their part only; metadata stays the server's.
            changes: dict[str, Any] = {"metadata": old_meta}
            if subresource == "status":
                return _with_status(old, obj.status)
            return replace(obj, **changes)
        meta: ObjectMeta = obj.metadata
        new_meta = replace(
            meta,
            name=old_meta.name,
            namespace=old_meta.namespace,
            uid=old_meta.uid,
            resource_version=old_meta.resource_version,
            creation_timestamp=old_meta.creation_timestamp,
            deletion_timestamp=old_meta.deletion_timestamp,
            deletion_grace_period_seconds=old_meta.deletion_grace_period_seconds,
            generation=old_meta.generation,
        )
        changes = {"metadata": new_meta}
        if hasattr(old, "status") and not isinstance(old, Namespace):
            changes["status"] = old.status
        if isinstance(old, Namespace):
            # spec.finalizers change only through finalize_namespace; status is the server's.
            changes["spec"] = old.spec
            changes["status"] = old.status
        return replace(obj, **changes)

    def _generation(self, new: Any, old: Any) -> int:
        cls = type(new)
        fields = self._spec_fields.get(cls)
        if fields is None:
            fields = self._spec_fields[cls] = _spec_fields(cls)
        generation: int = old.metadata.generation
        for name in fields:
            a, b = getattr(new, name), getattr(old, name)
            if a is not b and a != b:
                return generation + 1
        return generation

    async def _write_update(
        self,
        info: KindInfo,
        new: Any,
        old: Any,
        current: StoredObject,
        subresource: str,
        dry_run: bool,
    ) -> Any:
        old_meta: ObjectMeta = old.metadata
        new_meta: ObjectMeta = new.metadata
        if old_meta.deletion_timestamp is not None:
            added = set(new_meta.finalizers) - set(old_meta.finalizers)
            if added:
                raise Invalid.of(
                    info,
                    old_meta.name,
                    [
                        forbidden(
                            "metadata.finalizers",
                            "no new finalizers can be added if the object is being deleted, "
                            f"found new finalizers {_go_strings(sorted(added))}",
                        )
                    ],
                )
        stored = await admit_write(
            self.admission,
            self,
            _UPDATE,
            info,
            new,
            old,
            old_meta.namespace,
            old_meta.name,
            subresource,
            dry_run,
        )
        # A binding assigns the pod; it is not a change of the desired state.
        generation = (
            old_meta.generation if subresource == "binding" else self._generation(stored, old)
        )
        if generation != stored.metadata.generation:
            stored = replace(stored, metadata=replace(stored.metadata, generation=generation))
        if _same(stored, old):
            return old  # nothing changed: no write, no event, no new resourceVersion
        if dry_run:
            return stored
        meta = stored.metadata
        if meta.deletion_timestamp is not None and not meta.finalizers and self._finished(stored):
            return await self._remove(info, current)
        return await self._replace(info, current, stored)

    @staticmethod
    def _finished(obj: Any) -> bool:
        """Whether a deleting object without finalizers may go: its grace period is over.

        Pods wait for the kubelet (a delete with grace 0); namespaces for their spec
        finalizers; everything else goes at once.
        """
        if isinstance(obj, Namespace):
            return not obj.spec.finalizers
        return not obj.metadata.deletion_grace_period_seconds

    async def _replace(self, info: KindInfo, current: StoredObject, value: Any) -> Any:
        """Write ``value`` over ``current`` if it is still the stored version."""
        try:
            written = await self.backend.update(
                current.key, value, expected_revision=current.mod_revision
            )
        except RevisionConflict:
            raise Conflict.modified(info, current.value.metadata.name) from None
        except KeyNotFound:
            raise NotFound.of(info, current.value.metadata.name) from None
        return written.value

    async def _remove(self, info: KindInfo, current: StoredObject) -> Any:
        try:
            removed = await self.backend.delete(current.key, expected_revision=current.mod_revision)
        except RevisionConflict:
            raise Conflict.modified(info, current.value.metadata.name) from None
        except KeyNotFound:
            raise NotFound.of(info, current.value.metadata.name) from None
        return removed.value

    # --- patch ------------------------------------------------------------------------------

    async def patch(
        self,
        cls: type[T],
        name: str,
        patch: Any,
        *,
        namespace: str = "",
        patch_type: PatchType = "strategic",
        subresource: Literal["", "status"] = "",
        dry_run: bool = False,
    ) -> T:
        """Apply a JSON merge patch (``merge``), JSON patch (``json``) or strategic merge
        patch (``strategic``: lists of containers, ports, env, ... merged by their key) to the
        stored object, and write the result like :meth:`update` (or :meth:`update_status`).

        A patch that sets ``metadata.resourceVersion`` makes the write conditional on it.
        ``BadRequest`` for a malformed patch, ``Invalid`` for a result that does not fit the
        kind or fails validation.
        """
        info = self._info(cls)
        ns = self._namespace(info, namespace)
        current = await self._current(info, ns, name)
        old = current.value
        doc = to_dict(old)
        try:
            if patch_type == "merge":
                if not isinstance(patch, Mapping):
                    raise PatchError("a merge patch must be a JSON object")
                patched = json_merge_patch(doc, patch)
            elif patch_type == "json":
                if not isinstance(patch, Sequence) or isinstance(patch, (str, bytes)):
                    raise PatchError("a JSON patch must be a list of operations")
                patched = json_patch(doc, patch)
            elif patch_type == "strategic":
                if not isinstance(patch, Mapping):
                    raise PatchError("a strategic merge patch must be a JSON object")
                patched = strategic_merge_patch(doc, patch, merge_keys=default_merge_key)
            else:
                raise BadRequest(f"unsupported patch type {patch_type!r}")
        except PatchError as exc:
            raise BadRequest(f"the patch could not be applied: {exc}") from None
        if not isinstance(patched, dict):
            raise BadRequest("the patch did not produce an object")
        for key, want in (("apiVersion", info.api_version), ("kind", info.kind)):
            if patched.get(key) != want:
                raise Invalid.of(info, name, [invalid(key, patched.get(key), "must not change")])
        try:
            obj = from_dict(patched, cls)
        except SerializationError as exc:
            errors = [FieldError(ErrorType.INVALID, e.path, detail=e.message) for e in exc.errors]
            raise Invalid.of(info, name, errors) from None
        meta: ObjectMeta = obj.metadata  # type: ignore[attr-defined]
        if meta.name != name or (info.namespaced and meta.namespace != ns):
            raise BadRequest("a patch may not change metadata.name or metadata.namespace")
        if meta.resource_version and _parse_rv(meta.resource_version) != current.mod_revision:
            raise Conflict.modified(info, name)
        new = self._prepare_update(info, obj, old, subresource)
        return await self._write_update(  # type: ignore[no-any-return]
            info, new, old, current, subresource, dry_run
        )

    # --- scale and binding ------------------------------------------------------------------

    async def get_scale(self, cls: type[Any], name: str, *, namespace: str = "") -> Scale:
        """The scale subresource of a Deployment, ReplicaSet, StatefulSet or
        ReplicationController."""
        info = self._scalable(cls)
        current = await self._current(info, self._namespace(info, namespace), name)
        return self._scale_of(current.value)

    async def update_scale(
        self,
        cls: type[Any],
        name: str,
        replicas: int,
        *,
        namespace: str = "",
        resource_version: str = "",
        dry_run: bool = False,
    ) -> Scale:
        """Set ``spec.replicas`` through the scale subresource; returns the new Scale.

        ``resource_version`` (of the object, as :meth:`get_scale` reports it) makes it
        conditional.
        """
        info = self._scalable(cls)
        ns = self._namespace(info, namespace)
        current = await self._current(info, ns, name)
        if resource_version and _parse_rv(resource_version) != current.mod_revision:
            raise Conflict.modified(info, name)
        if replicas < 0:
            raise Invalid.of(
                self.registry.for_class(Scale),
                name,
                [invalid("spec.replicas", replicas, "must be greater than or equal to 0")],
            )
        old = current.value
        new = replace(old, spec=replace(old.spec, replicas=replicas))
        written = await self._write_update(info, new, old, current, "scale", dry_run)
        return self._scale_of(written)

    def _scalable(self, cls: type[Any]) -> KindInfo:
        info = self._info(cls)
        if not issubclass(cls, _SCALABLE):
            raise NotFound(
                f"the server could not find the requested resource ({info.resource} has no "
                "scale subresource)"
            )
        return info

    @staticmethod
    def _scale_of(obj: Any) -> Scale:
        spec = obj.spec
        selector: Selector
        if isinstance(obj, ReplicationController):
            selector = selector_from_set(spec.selector)
        else:
            selector = selector_from_label_selector(spec.selector)
        replicas = 1 if spec.replicas is None else spec.replicas
        meta = obj.metadata
        return Scale(
            metadata=ObjectMeta(
                name=meta.name,
                namespace=meta.namespace,
                uid=meta.uid,
                resource_version=meta.resource_version,
                creation_timestamp=meta.creation_timestamp,
            ),
            spec=ScaleSpec(replicas=replicas),
            status=ScaleStatus(replicas=obj.status.replicas, selector=str(selector)),
        )

    async def bind(self, name: str, node_name: str, *, namespace: str = "", uid: str = "") -> Pod:
        """Assign a pod to a node (the ``binding`` subresource the scheduler writes).

        ``Conflict`` if the pod is already assigned or (with ``uid``) was replaced.
        """
        info = self._info(Pod)
        ns = self._namespace(info, namespace)
        current = await self._current(info, ns, name)
        pod: Pod = current.value
        if uid and uid != pod.metadata.uid:
            raise Conflict.precondition(info, name, "UID", uid, pod.metadata.uid)
        if pod.metadata.deletion_timestamp is not None:
            raise Conflict(
                f'Operation cannot be fulfilled on pods/binding "{name}": pod {name} is being '
                "deleted, cannot be assigned to a host",
                StatusDetails(name=name, kind="pods/binding"),
            )
        if pod.spec.node_name:
            raise Conflict(
                f'Operation cannot be fulfilled on pods/binding "{name}": pod {name} is already '
                f'assigned to node "{pod.spec.node_name}"',
                StatusDetails(name=name, kind="pods/binding"),
            )
        if not node_name:
            raise Invalid.of(info, name, [required("target.name")])
        # As upstream's binding: the node name, and the PodScheduled condition set True.
        conditions = [c for c in pod.status.conditions if c.type != "PodScheduled"]
        conditions.append(
            _pod_condition(
                type="PodScheduled", status="True", last_transition_time=wall_time_seconds()
            )
        )
        new = _bound_pod(
            pod,
            _bound_spec(pod.spec, node_name),
            _bound_status(pod.status, tuple(conditions)),
        )
        return await self._write_update(  # type: ignore[no-any-return]
            info, new, pod, current, "binding", False
        )

    # --- delete -----------------------------------------------------------------------------

    async def delete(
        self,
        cls: type[T],
        name: str,
        *,
        namespace: str = "",
        grace_period_seconds: int | None = None,
        propagation_policy: PropagationPolicy | None = None,
        preconditions: Preconditions | None = None,
        dry_run: bool = False,
    ) -> T:
        """Delete an object; returns it as deleted, or as marked for deletion.

        An object with finalizers (including the ``orphan`` / ``foregroundDeletion`` ones a
        propagation policy adds, for the garbage collector) gets ``deletionTimestamp`` and stays
        until its last finalizer is removed. A pod on a node gets a grace period
        (``grace_period_seconds``, else its ``terminationGracePeriodSeconds``, else 30 s) and
        stays until deleted again with grace 0, as the kubelet does once it stopped the pod.
        ``preconditions`` on uid / resourceVersion give ``Conflict`` when they do not hold.
        """
        info = self._info(cls)
        ns = self._namespace(info, namespace)
        if grace_period_seconds is not None and grace_period_seconds < 0:
            grace_period_seconds = 1  # upstream: negative means "as soon as possible"
        if propagation_policy is not None and propagation_policy not in (
            "Background",
            "Foreground",
            "Orphan",
        ):
            raise BadRequest(f"unsupported propagation policy {propagation_policy!r}")
        current = await self._current(info, ns, name)
        obj = current.value
        meta: ObjectMeta = obj.metadata
        if preconditions is not None:
            if preconditions.uid and preconditions.uid != meta.uid:
                raise Conflict.precondition(info, name, "UID", preconditions.uid, meta.uid)
            if (
                preconditions.resource_version
                and preconditions.resource_version != meta.resource_version
            ):
                raise Conflict.precondition(
                    info,
                    name,
                    "ResourceVersion",
                    preconditions.resource_version,
                    meta.resource_version,
                )
        await admit_write(self.admission, self, _DELETE, info, obj, obj, ns, name, "", dry_run)
        finalizers = list(meta.finalizers)
        if propagation_policy is not None:
            finalizers = [f for f in finalizers if f not in _GC_FINALIZERS.values()]
            if propagation_policy in _GC_FINALIZERS:
                finalizers.append(_GC_FINALIZERS[propagation_policy])
        grace = self._grace(obj, grace_period_seconds)
        now = wall_time_seconds()
        if meta.deletion_timestamp is not None:
            # Already being deleted: a shorter grace period may hasten it; nothing else changes
            # but the garbage collector's finalizers.
            old_grace = meta.deletion_grace_period_seconds or 0
            if grace < old_grace:
                new_meta = replace(
                    meta,
                    deletion_timestamp=min(meta.deletion_timestamp, now + timedelta(seconds=grace)),
                    deletion_grace_period_seconds=grace,
                    finalizers=tuple(finalizers),
                )
            else:
                new_meta = replace(meta, finalizers=tuple(finalizers))
        elif grace > 0 or finalizers or isinstance(obj, Namespace):
            new_meta = replace(
                meta,
                deletion_timestamp=now + timedelta(seconds=grace),
                deletion_grace_period_seconds=grace,
                finalizers=tuple(finalizers),
                generation=meta.generation + 1 if meta.generation else 0,
            )
        else:
            new_meta = None
        if new_meta is not None:
            marked = replace(obj, metadata=new_meta)
            if isinstance(marked, Namespace) and marked.status.phase != "Terminating":
                marked = replace(marked, status=replace(marked.status, phase="Terminating"))
            if new_meta.finalizers or not self._finished(marked):
                if dry_run or marked == obj:
                    return marked  # type: ignore[no-any-return]
                return await self._replace(info, current, marked)  # type: ignore[no-any-return]
        if dry_run:
            return obj  # type: ignore[no-any-return]
        return await self._remove(info, current)  # type: ignore[no-any-return]

    @staticmethod
    def _grace(obj: Any, requested: int | None) -> int:
        """Seconds of graceful deletion: pods on a node that are not finished get them."""
        if not isinstance(obj, Pod):
            return 0
        if not obj.spec.node_name or obj.status.phase in ("Succeeded", "Failed"):
            return 0
        if requested is not None:
            return requested
        spec_grace = obj.spec.termination_grace_period_seconds
        return DEFAULT_POD_GRACE if spec_grace is None else max(spec_grace, 0)

    async def finalize_namespace(self, name: str, finalizers: Sequence[str] = ()) -> Namespace:
        """Set a namespace's ``spec.finalizers`` (the ``finalize`` subresource the namespace
        controller writes once the namespace is empty); a terminating namespace left with no
        finalizers is removed."""
        info = self._info(Namespace)
        current = await self._current(info, "", name)
        old: Namespace = current.value
        new = replace(old, spec=NamespaceSpec(finalizers=tuple(finalizers)))
        return await self._write_update(  # type: ignore[no-any-return]
            info, new, old, current, "finalize", False
        )

    # --- apply ------------------------------------------------------------------------------

    async def apply(self, objects: Iterable[Any], *, namespace: str = "") -> builtins.list[Any]:
        """Create each object, or replace it (keeping its status) if it exists.

        Every object is checked first (a dry run: admission and validation); if any fails,
        nothing is written and the error is raised. If a write still fails (a conflict with a
        concurrent writer), :class:`ApplyError` tells exactly which objects were stored.
        """
        objects = builtins.list(objects)
        # A namespace created earlier in the same apply counts as existing for the dry run of
        # what follows it (objects are written in order, so only earlier ones count).
        for index, obj in enumerate(objects):
            await self._apply_one(obj, namespace, dry_run=True, pending=objects[:index])
        applied: list[Any] = []
        for obj in objects:
            try:
                applied.append(await self._apply_one(obj, namespace, dry_run=False))
            except APIError as error:
                raise ApplyError(applied, obj, error) from error
        return applied

    async def _apply_one(
        self, obj: Any, namespace: str, *, dry_run: bool, pending: Sequence[Any] = ()
    ) -> Any:
        info = self._info(type(obj))
        meta: ObjectMeta = obj.metadata
        ns = self._namespace(info, meta.namespace or namespace)
        if dry_run and info.namespaced and self._creates_namespace(pending, ns):
            # Its namespace comes earlier in this apply: check the object without that rule.
            return await self._dry_run_without_namespace(obj, ns)
        existing = None
        if meta.name:
            existing = await self.backend.get(self._key(info, ns, meta.name))
        if existing is None:
            return await self.create(obj, namespace=ns, dry_run=dry_run)
        replacement = replace(
            obj,
            metadata=replace(meta, namespace=ns, resource_version=""),
        )
        return await self.update(replacement, dry_run=dry_run)

    @staticmethod
    def _creates_namespace(objects: Sequence[Any], namespace: str) -> bool:
        return any(isinstance(o, Namespace) and o.metadata.name == namespace for o in objects)

    async def _dry_run_without_namespace(self, obj: Any, namespace: str) -> Any:
        info = self._info(type(obj))
        name = obj.metadata.name or obj.metadata.generate_name + "xxxxx"
        prepared = self._prepare_create(info, obj, namespace, name)
        plugins = [p for p in self.admission if not isinstance(p, NamespaceLifecycle)]
        return await admit_write(
            plugins, self, _CREATE, info, prepared, None, namespace, name, "", True
        )

    # --- watch ------------------------------------------------------------------------------

    async def watch(
        self,
        cls: type[T],
        *,
        namespace: str = "",
        label_selector: str | Selector | Mapping[str, str] | LabelSelector | None = None,
        field_selector: str | FieldSelector | None = None,
        resource_version: str = "",
        allow_bookmarks: bool = False,
    ) -> APIWatch[T]:
        """Watch objects of ``cls`` (in ``namespace``, or all) that match the selectors.

        From ``resource_version``: every change after it, in order. Empty or ``"0"``: first
        an ``ADDED`` event for every current object, then the changes. ``Expired`` (410) if the
        server no longer has the history after ``resource_version``: relist. With
        ``allow_bookmarks``, an idle watch gets ``BOOKMARK`` events with the latest version.
        """
        info = self._info(cls)
        matches = self._matcher(info, label_selector, field_selector)
        prefix = storage_prefix(info, namespace if info.namespaced else "")
        initial: list[WatchEvent[T]] = []
        if resource_version in ("", "0"):
            items, start = await self.backend.list(prefix)
            for stored in items:
                value = stored.value
                if matches is None or matches(value):
                    initial.append(WatchEvent("ADDED", value, value.metadata.resource_version))
        else:
            start = _parse_rv(resource_version)
        try:
            storage_watch = await self.backend.watch(prefix, start)
        except Compacted as gone:
            raise Expired.too_old(start, gone.compacted) from None
        return APIWatch(
            storage_watch,
            matches=matches,
            stamp=_stamp,
            initial=initial,
            resource_version=start,
            bookmark_interval=self.bookmark_interval if allow_bookmarks else None,
            progress=self._progress,
        )

    def _progress(self, watch: Watch) -> int | None:
        """The revision up to which ``watch`` has been sent every event, if the backend says."""
        progress = getattr(watch, "progress", None)
        if isinstance(progress, int):
            return progress
        return None


def _label_selector(
    value: str | Selector | Mapping[str, str] | LabelSelector | None,
) -> Selector | None:
    if value is None:
        return None
    if isinstance(value, Selector):
        selector = value
    elif isinstance(value, str):
        selector = parse_selector(value)
    elif isinstance(value, LabelSelector):
        selector = selector_from_label_selector(value)
    else:
        selector = selector_from_set(value)
    return None if str(selector) == "" and not selector.selects_nothing else selector


# --- the actor --------------------------------------------------------------------------------


@attrs.frozen
class Get(Request[Any]):
    """Ask for :meth:`APIServer.get`."""

    cls: type[Any]
    name: str
    namespace: str = ""


@attrs.frozen
class List(Request[ObjectList[Any]]):
    """Ask for :meth:`APIServer.list`."""

    cls: type[Any]
    namespace: str = ""
    label_selector: str | None = None
    field_selector: str | None = None
    limit: int = 0
    continue_: str = ""


@attrs.frozen
class Create(Request[Any]):
    """Ask for :meth:`APIServer.create`."""

    obj: Any
    namespace: str = ""
    dry_run: bool = False


@attrs.frozen
class Update(Request[Any]):
    """Ask for :meth:`APIServer.update`."""

    obj: Any
    dry_run: bool = False


@attrs.frozen
class UpdateStatus(Request[Any]):
    """Ask for :meth:`APIServer.update_status`."""

    obj: Any
    dry_run: bool = False


@attrs.frozen
class Patch(Request[Any]):
    """Ask for :meth:`APIServer.patch`."""

    cls: type[Any]
    name: str
    patch: Any
    namespace: str = ""
    patch_type: PatchType = "strategic"
    subresource: Literal["", "status"] = ""


@attrs.frozen
class Delete(Request[Any]):
    """Ask for :meth:`APIServer.delete`."""

    cls: type[Any]
    name: str
    namespace: str = ""
    grace_period_seconds: int | None = None
    propagation_policy: PropagationPolicy | None = None
    preconditions: Preconditions | None = None


@attrs.frozen
class GetScale(Request[Scale]):
    """Ask for :meth:`APIServer.get_scale`."""

    cls: type[Any]
    name: str
    namespace: str = ""


@attrs.frozen
class UpdateScale(Request[Scale]):
    """Ask for :meth:`APIServer.update_scale`."""

    cls: type[Any]
    name: str
    replicas: int
    namespace: str = ""
    resource_version: str = ""


_Message = Get | List | Create | Update | UpdateStatus | Patch | Delete | GetScale | UpdateScale


class APIServerActor(Actor[_Message]):
    """Serves an :class:`APIServer` to actors: ``await ref.ask(Get(Pod, "web"))``.

    Errors come back to the asker as the same typed exceptions. Watches are not messages: an
    actor that watches calls :attr:`server`'s :meth:`~APIServer.watch` (a stream, not a reply).
    """

    def __init__(self, server: APIServer) -> None:
        #: The server this actor answers for.
        self.server = server

    @handles(Get)
    async def _get(self, m: Get) -> Any:
        return await self.server.get(m.cls, m.name, namespace=m.namespace)

    @handles(List)
    async def _list(self, m: List) -> ObjectList[Any]:
        return await self.server.list(
            m.cls,
            namespace=m.namespace,
            label_selector=m.label_selector,
            field_selector=m.field_selector,
            limit=m.limit,
            continue_=m.continue_,
        )

    @handles(Create)
    async def _create(self, m: Create) -> Any:
        return await self.server.create(m.obj, namespace=m.namespace, dry_run=m.dry_run)

    @handles(Update)
    async def _update(self, m: Update) -> Any:
        return await self.server.update(m.obj, dry_run=m.dry_run)

    @handles(UpdateStatus)
    async def _update_status(self, m: UpdateStatus) -> Any:
        return await self.server.update_status(m.obj, dry_run=m.dry_run)

    @handles(Patch)
    async def _patch(self, m: Patch) -> Any:
        return await self.server.patch(
            m.cls,
            m.name,
            m.patch,
            namespace=m.namespace,
            patch_type=m.patch_type,
            subresource=m.subresource,
        )

    @handles(Delete)
    async def _delete(self, m: Delete) -> Any:
        return await self.server.delete(
            m.cls,
            m.name,
            namespace=m.namespace,
            grace_period_seconds=m.grace_period_seconds,
            propagation_policy=m.propagation_policy,
            preconditions=m.preconditions,
        )

    @handles(GetScale)
    async def _get_scale(self, m: GetScale) -> Scale:
        return await self.server.get_scale(m.cls, m.name, namespace=m.namespace)

    @handles(UpdateScale)
    async def _update_scale(self, m: UpdateScale) -> Scale:
        return await self.server.update_scale(
            m.cls,
            m.name,
            m.replicas,
            namespace=m.namespace,
            resource_version=m.resource_version,
        )
