"""The API server against a reference model: random creates, updates (some with stale
resourceVersions), status updates, finalizer adds and removals, deletes and watch starts, with
every watch replayed at the end into exactly the final state."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from kube_actors.api import ConfigMap, Namespace, Node, ObjectMeta
from kube_actors.runtime import simulate
from kube_actors.store import (
    AlreadyExists,
    APIServer,
    APIWatch,
    Conflict,
    Expired,
    Invalid,
    MemoryBackend,
    NotFound,
    Preconditions,
    WatchEvent,
)
from kube_actors.store.server import _stamp

T = TypeVar("T")

#: Events the server keeps for watches that start in the past: small, so that old watch
#: starts expire within one run.
HISTORY = 10


def run(main: Callable[[], Awaitable[T]]) -> T:
    """Run ``main`` in virtual time (the server's watches need the runtime)."""
    return simulate(main, seed=0).value


# --- the model ------------------------------------------------------------------------------

#: (kind, namespace, name): ConfigMaps in two namespaces (one whose name extends the other's),
#: Nodes (cluster-scoped, with status).
Key = tuple[str, str, str]
KEYS: tuple[Key, ...] = (
    ("ConfigMap", "default", "c1"),
    ("ConfigMap", "default", "c2"),
    ("ConfigMap", "default2", "c1"),
    ("Node", "", "n1"),
    ("Node", "", "n2"),
)
NODE_KEYS = (3, 4)
KINDS: dict[str, type[Any]] = {"ConfigMap": ConfigMap, "Node": Node}
FINALIZERS = ("example.com/one", "example.com/two")


@attrs.frozen
class Expected:
    """What the model knows of one stored object."""

    tier: str | None
    note: str
    finalizers: tuple[str, ...]
    deleting: bool
    phase: str
    rv: int


State = dict[Key, Expected]


def key_of(obj: Any) -> Key:
    return (type(obj).__name__, obj.metadata.namespace, obj.metadata.name)


def project(obj: Any) -> Expected:
    """The model's view of a server object."""
    meta: ObjectMeta = obj.metadata
    return Expected(
        tier=meta.labels.get("tier"),
        note=meta.annotations.get("note", ""),
        finalizers=tuple(meta.finalizers),
        deleting=meta.deletion_timestamp is not None,
        phase=obj.status.phase if isinstance(obj, Node) else "",
        rv=int(meta.resource_version),
    )


def labels(tier: str | None) -> dict[str, str]:
    return {} if tier is None else {"tier": tier}


@attrs.frozen
class Scope:
    """What a watch asks for: a kind, a namespace, selectors, and the model's version of
    the selection."""

    kind: str
    namespace: str
    label_selector: str | None
    field_selector: str | None
    label_matches: Callable[[str | None], bool]
    name: str | None  # the name the field selector requires

    def selects(self, key: Key, expected: Expected) -> bool:
        kind, namespace, name = key
        return (
            kind == self.kind
            and (not self.namespace or namespace == self.namespace)
            and self.label_matches(expected.tier)
            and (self.name is None or name == self.name)
        )

    def filter(self, state: State) -> State:
        return {k: e for k, e in state.items() if self.selects(k, e)}


_TARGETS = [("ConfigMap", ""), ("ConfigMap", "default"), ("ConfigMap", "default2"), ("Node", "")]
_SELECTORS: list[tuple[str | None, Callable[[str | None], bool], bool]] = [
    (None, lambda tier: True, False),
    ("tier=a", lambda tier: tier == "a", False),
    ("tier!=a", lambda tier: tier != "a", False),  # matches objects without the label too
    ("tier", lambda tier: tier is not None, True),  # and metadata.name=<first name>
    (None, lambda tier: True, True),
]
SCOPES = [
    Scope(
        kind,
        namespace,
        label,
        f"metadata.name={'c1' if kind == 'ConfigMap' else 'n1'}" if by_name else None,
        predicate,
        ("c1" if kind == "ConfigMap" else "n1") if by_name else None,
    )
    for kind, namespace in _TARGETS
    for label, predicate, by_name in _SELECTORS
]

rv_modes = st.sampled_from(["current", "current", "stale", "empty"])
key_indexes = st.integers(0, len(KEYS) - 1)
tiers = st.sampled_from([None, "a", "b"])
finalizer_names = st.sampled_from(FINALIZERS)
creates = st.tuples(st.just("create"), key_indexes, tiers, st.booleans())
updates = st.tuples(st.just("update"), key_indexes, rv_modes, tiers, st.booleans())
status_updates = st.tuples(
    st.just("status"), st.sampled_from(NODE_KEYS), rv_modes, st.sampled_from(["", "Up", "Down"])
)
finalizer_adds = st.tuples(st.just("add_finalizer"), key_indexes, rv_modes, finalizer_names)
# Removes the finalizer at this index (modulo their number) if the object has any.
finalizer_removals = st.tuples(
    st.just("remove_finalizer"), key_indexes, rv_modes, st.integers(0, 1)
)
deletes = st.tuples(st.just("delete"), key_indexes, st.sampled_from(["none", "current", "stale"]))
watch_starts = st.tuples(
    st.just("watch"),
    st.integers(0, len(SCOPES) - 1),
    st.sampled_from(["list", "now", "past", "past", "edge"]),
    st.integers(0, 1_000),
)
# Weighted towards creates, so that most other operations find their object.
operation = st.one_of(
    creates,
    creates,
    updates,
    updates,
    status_updates,
    finalizer_adds,
    finalizer_removals,
    finalizer_removals,
    deletes,
    deletes,
    watch_starts,
)


@attrs.define
class StartedWatch:
    watch: APIWatch[Any]
    scope: Scope
    #: Events up to this version are the initial ADDED events (watches from "").
    start: int
    #: The objects it selects at its start.
    start_state: dict[Key, Any]
    from_list: bool


@attrs.define
class Harness:
    """The server, the model and what the run has seen so far."""

    server: APIServer
    model: State = attrs.Factory(dict)
    #: The last object the server returned for each key (a client's read-modify-write copy).
    seen: dict[Key, Any] = attrs.Factory(dict)
    #: The model state and the objects after each write, by the write's resourceVersion.
    snapshots: dict[int, tuple[State, dict[Key, Any]]] = attrs.Factory(dict)
    #: The resourceVersion of every write, in order (including the server's own at start).
    revisions: list[int] = attrs.Factory(list)
    watches: list[StartedWatch] = attrs.Factory(list)

    @property
    def last_rv(self) -> int:
        return self.revisions[-1]

    def at(self, revision: int) -> tuple[State, dict[Key, Any]]:
        """The model state and the objects as of ``revision``."""
        best = max((r for r in self.snapshots if r <= revision), default=None)
        return ({}, {}) if best is None else self.snapshots[best]

    def wrote(self, obj: Any) -> int:
        """Record a write: its resourceVersion must exceed every earlier one."""
        rv = int(obj.metadata.resource_version)
        assert rv > self.last_rv, f"write returned resourceVersion {rv} after {self.last_rv}"
        self.revisions.append(rv)
        return rv

    def snapshot(self) -> None:
        self.snapshots[self.last_rv] = (dict(self.model), dict(self.seen))

    async def store_revision(self) -> int:
        listed = await self.server.list(Namespace)
        return int(listed.resource_version)

    async def unchanged(self, key: Key) -> None:
        """A refused request changed nothing: no write anywhere, the object as it was."""
        assert await self.store_revision() == self.last_rv
        await self.check_key(key)

    async def check_key(self, key: Key) -> None:
        """Get and list agree with the model about ``key`` (and its kind and namespace)."""
        kind, namespace, name = key
        page = await self.server.list(KINDS[kind], namespace=namespace)
        assert page.resource_version == str(self.last_rv)
        assert [key_of(o) for o in page.items] == sorted(
            k for k in self.model if k[0] == kind and (not namespace or k[1] == namespace)
        )
        assert all(project(o) == self.model[key_of(o)] for o in page.items)
        if key not in self.model:
            with pytest.raises(NotFound):
                await self.server.get(KINDS[kind], name, namespace=namespace)
            return
        got = await self.server.get(KINDS[kind], name, namespace=namespace)
        assert project(got) == self.model[key]
        assert got == self.seen[key]
        # Deleted with finalizers: still there, marked, until the last finalizer goes.
        assert (got.metadata.deletion_timestamp is not None) == self.model[key].deleting
        if self.model[key].deleting:
            assert got.metadata.finalizers

    # --- operations ---------------------------------------------------------------------

    async def create(self, key: Key, tier: str | None, finalized: bool) -> None:
        kind, namespace, name = key
        finalizers = FINALIZERS[:1] if finalized else ()
        meta = ObjectMeta(
            name=name, namespace=namespace, labels=labels(tier), finalizers=finalizers
        )
        obj = KINDS[kind](metadata=meta)
        if key in self.model:
            with pytest.raises(AlreadyExists):
                await self.server.create(obj)
            await self.unchanged(key)
            return
        created = await self.server.create(obj)
        rv = self.wrote(created)
        self.model[key] = Expected(tier, "", finalizers, False, "", rv)
        self.seen[key] = created
        self.snapshot()

    def body(self, key: Key, mode: str, **meta_changes: Any) -> Any:
        """The client's copy of the object with metadata changes and the resourceVersion the
        mode says (the current one, an older one, or none: an unconditional update)."""
        current = self.seen[key]
        rv = {
            "current": current.metadata.resource_version,
            "stale": str(int(current.metadata.resource_version) - 1),
            "empty": "",
        }[mode]
        meta = attrs.evolve(current.metadata, resource_version=rv, **meta_changes)
        return attrs.evolve(current, metadata=meta)

    async def write(
        self,
        key: Key,
        mode: str,
        body: Callable[[], Any],
        change: Callable[[Expected], Expected],
        *,
        status: bool = False,
    ) -> None:
        """An update (or status update) of the client's copy; ``change`` is what the model
        expects it to do to the stored object."""
        kind, namespace, name = key
        server_update = self.server.update_status if status else self.server.update
        if key not in self.model:
            missing = KINDS[kind](metadata=ObjectMeta(name=name, namespace=namespace))
            with pytest.raises(NotFound):
                await server_update(missing)
            await self.unchanged(key)
            return
        old = self.model[key]
        expected = change(old)
        if mode == "stale":
            with pytest.raises(Conflict) as conflict:
                await server_update(body())
            assert conflict.value.code == 409
            await self.unchanged(key)
            return
        added = set(expected.finalizers) - set(old.finalizers)
        if old.deleting and added:
            with pytest.raises(Invalid, match="no new finalizers can be added") as refused:
                await server_update(body())
            assert refused.value.code == 422
            await self.unchanged(key)
            return
        result = await server_update(body())
        if expected == old:
            # Nothing changes: no write, the stored object comes back.
            assert result == self.seen[key]
            assert await self.store_revision() == self.last_rv
            return
        rv = self.wrote(result)
        if old.deleting and not expected.finalizers:
            # The last finalizer of a deleted object went: the object is gone.
            del self.model[key]
            del self.seen[key]
        else:
            self.model[key] = attrs.evolve(expected, rv=rv)
            self.seen[key] = result
            assert project(result) == self.model[key]
        self.snapshot()

    async def update(self, key: Key, mode: str, tier: str | None, new_note: str | None) -> None:
        def body() -> Any:
            annotations = dict(self.seen[key].metadata.annotations)
            if new_note is not None:
                annotations["note"] = new_note
            obj = self.body(key, mode, labels=labels(tier), annotations=annotations)
            if isinstance(obj, Node):
                # The main resource ignores status changes.
                obj = attrs.evolve(obj, status=attrs.evolve(obj.status, phase="Ignored"))
            return obj

        def change(old: Expected) -> Expected:
            return attrs.evolve(old, tier=tier, note=old.note if new_note is None else new_note)

        await self.write(key, mode, body, change)

    async def update_status(self, key: Key, mode: str, phase: str) -> None:
        def body() -> Any:
            obj = self.body(key, mode)
            return attrs.evolve(obj, status=attrs.evolve(obj.status, phase=phase))

        await self.write(key, mode, body, lambda old: attrs.evolve(old, phase=phase), status=True)

    async def change_finalizers(self, key: Key, mode: str, which: str | int) -> None:
        """Add the finalizer ``which`` (a name), or remove the one at index ``which``."""

        def finalizers(old: tuple[str, ...]) -> tuple[str, ...]:
            if isinstance(which, str):
                return old if which in old else (*old, which)
            if not old:
                return old
            index = which % len(old)
            return old[:index] + old[index + 1 :]

        def body() -> Any:
            return self.body(key, mode, finalizers=finalizers(self.seen[key].metadata.finalizers))

        await self.write(
            key, mode, body, lambda old: attrs.evolve(old, finalizers=finalizers(old.finalizers))
        )

    async def delete(self, key: Key, precondition: str) -> None:
        kind, namespace, name = key
        cls = KINDS[kind]
        if key not in self.model:
            with pytest.raises(NotFound):
                await self.server.delete(cls, name, namespace=namespace)
            await self.unchanged(key)
            return
        old = self.model[key]
        preconditions = None
        if precondition != "none":
            rv = old.rv if precondition == "current" else old.rv - 1
            preconditions = Preconditions(resource_version=str(rv))
        if precondition == "stale":
            with pytest.raises(Conflict):
                await self.server.delete(
                    cls, name, namespace=namespace, preconditions=preconditions
                )
            await self.unchanged(key)
            return
        result = await self.server.delete(
            cls, name, namespace=namespace, preconditions=preconditions
        )
        if old.deleting:
            # Deleting again: nothing changes.
            assert result == self.seen[key]
            assert await self.store_revision() == self.last_rv
            return
        rv = self.wrote(result)
        if old.finalizers:
            assert result.metadata.deletion_timestamp is not None
            self.model[key] = attrs.evolve(old, deleting=True, rv=rv)
            self.seen[key] = result
            assert project(result) == self.model[key]
        else:
            del self.model[key]
            del self.seen[key]
        self.snapshot()

    async def start_watch(self, scope: Scope, start: str, pick: int) -> None:
        cls = KINDS[scope.kind]
        kwargs: dict[str, Any] = {
            "namespace": scope.namespace,
            "label_selector": scope.label_selector,
            "field_selector": scope.field_selector,
        }
        if start == "list":
            watch = await self.server.watch(cls, resource_version="", **kwargs)
            state = {k: self.seen[k] for k in scope.filter(self.model)}
            self.watches.append(StartedWatch(watch, scope, self.last_rv, state, True))
            return
        # The history holds the last HISTORY events: a watch must start at or after the
        # revision of the last event evicted from it.
        oldest = self.revisions[-HISTORY - 1] if len(self.revisions) > HISTORY else 0
        if start == "now":
            revision = self.last_rv
        elif start == "edge" and oldest > 1:
            revision = oldest - 1 + pick % 2  # just outside the window, or its first version
        else:
            revision = self.revisions[pick % len(self.revisions)]
        if revision < oldest:
            with pytest.raises(Expired) as expired:
                await self.server.watch(cls, resource_version=str(revision), **kwargs)
            assert expired.value.code == 410
            assert expired.value.status.reason == "Expired"
            assert expired.value.message.startswith(f"too old resource version: {revision} (")
            return
        watch = await self.server.watch(cls, resource_version=str(revision), **kwargs)
        model, objects = self.at(revision)
        state = {k: objects[k] for k in scope.filter(model)}
        self.watches.append(StartedWatch(watch, scope, revision, state, False))

    # --- the end ------------------------------------------------------------------------

    async def check_lists(self) -> dict[Key, Any]:
        """Every kind's list equals the model, sorted by namespace and name."""
        listed: dict[Key, Any] = {}
        for kind, cls in KINDS.items():
            page = await self.server.list(cls)
            assert page.resource_version == str(self.last_rv)
            keys = [key_of(obj) for obj in page.items]
            assert keys == sorted(keys)
            for obj in page.items:
                listed[key_of(obj)] = obj
            assert {key_of(o): project(o) for o in page.items} == {
                k: e for k, e in self.model.items() if k[0] == kind
            }
            # Paged, the same items.
            paged: list[Any] = []
            token = ""
            for _ in range(len(KEYS) + 1):
                chunk = await self.server.list(cls, limit=2, continue_=token)
                assert chunk.resource_version == page.resource_version
                paged.extend(chunk.items)
                token = chunk.continue_
                if not token:
                    break
            assert paged == list(page.items)
        assert listed == self.seen
        return listed

    async def check_watch(self, started: StartedWatch, listed: dict[Key, Any]) -> None:
        """Drain the watch; replaying it onto its start state gives the final state, and
        after each event the replayed state is the model's state at that event's version."""
        scope = started.scope
        started.watch.close()  # everything is queued already: read it, then stop
        events: list[WatchEvent[Any]] = [event async for event in started.watch]
        replay: dict[Key, Any] = {}
        position = 0
        if started.from_list:
            # First an ADDED event for every object selected at the start.
            while position < len(events) and int(events[position].resource_version) <= (
                started.start
            ):
                event = events[position]
                assert event.type == "ADDED"
                assert key_of(event.object) not in replay
                replay[key_of(event.object)] = event.object
                position += 1
            assert replay == started.start_state
        else:
            replay = dict(started.start_state)
        last = started.start
        for event in events[position:]:
            assert event.type in ("ADDED", "MODIFIED", "DELETED"), event
            obj = event.object
            revision = int(event.resource_version)
            assert revision > last, "events out of order or duplicated"
            last = revision
            assert obj.metadata.resource_version == event.resource_version
            key = key_of(obj)
            assert key[0] == scope.kind
            assert not scope.namespace or key[1] == scope.namespace
            if event.type == "ADDED":
                assert key not in replay, f"ADDED for {key} that the watcher already has"
                replay[key] = obj
            elif event.type == "MODIFIED":
                assert key in replay, f"MODIFIED for {key} that the watcher does not have"
                replay[key] = obj
            else:
                assert key in replay, f"DELETED for {key} that the watcher does not have"
                del replay[key]
            # Nothing missed or duplicated: the watcher's view is the state at this version.
            model, objects = self.at(revision)
            assert {k: project(o) for k, o in replay.items()} == scope.filter(model)
            assert replay == {k: objects[k] for k in replay}
        final = {k: listed[k] for k in scope.filter(self.model)}
        assert replay == final, "the watch does not replay into the final state"


@given(st.lists(operation, min_size=20, max_size=80))
def test_server_matches_a_model_and_every_watch_replays_into_the_final_state(
    ops: list[tuple[Any, ...]],
) -> None:
    async def main() -> None:
        server = await APIServer.start(MemoryBackend(_stamp, history=HISTORY))
        await server.create(Namespace(metadata=ObjectMeta(name="default2")))
        start = int((await server.list(Namespace)).resource_version)
        harness = Harness(server, revisions=list(range(1, start + 1)))
        harness.snapshot()
        for index, (kind, *args) in enumerate(ops):
            if kind == "watch":
                scope_index, start_mode, pick = args
                await harness.start_watch(SCOPES[scope_index], start_mode, pick)
                continue
            key = KEYS[args[0]]
            if kind == "create":
                await harness.create(key, args[1], args[2])
            elif kind == "update":
                mode, tier, change_note = args[1:]
                await harness.update(key, mode, tier, f"note-{index}" if change_note else None)
            elif kind == "status":
                await harness.update_status(key, args[1], args[2])
            elif kind in ("add_finalizer", "remove_finalizer"):
                await harness.change_finalizers(key, args[1], args[2])
            else:
                await harness.delete(key, args[1])
            await harness.check_key(key)
        listed = await harness.check_lists()
        for started in harness.watches:
            await harness.check_watch(started, listed)

    run(main)


# --- examples ---------------------------------------------------------------------------------


def test_finalizers_keep_a_deleted_object_until_the_last_one_goes() -> None:
    async def main() -> None:
        server = await APIServer.start(MemoryBackend(_stamp, history=HISTORY))
        made = await server.create(
            ConfigMap(metadata=ObjectMeta(name="cm", finalizers=FINALIZERS), data={"a": "1"})
        )
        watch = await server.watch(ConfigMap, resource_version=made.metadata.resource_version)
        marked = await server.delete(ConfigMap, "cm")
        assert marked.metadata.deletion_timestamp is not None
        assert marked.metadata.finalizers == FINALIZERS
        assert await server.get(ConfigMap, "cm") == marked
        # Deleting again changes nothing.
        assert await server.delete(ConfigMap, "cm") == marked

        one_left = await server.update(
            attrs.evolve(marked, metadata=attrs.evolve(marked.metadata, finalizers=FINALIZERS[1:]))
        )
        assert one_left.metadata.finalizers == FINALIZERS[1:]
        assert await server.get(ConfigMap, "cm") == one_left
        gone = await server.update(
            attrs.evolve(one_left, metadata=attrs.evolve(one_left.metadata, finalizers=()))
        )
        with pytest.raises(NotFound):
            await server.get(ConfigMap, "cm")
        rvs = [int(o.metadata.resource_version) for o in (made, marked, one_left, gone)]
        assert rvs == sorted(set(rvs))

        watch.close()
        events = [(e.type, e.resource_version) async for e in watch]
        assert events == [
            ("MODIFIED", marked.metadata.resource_version),
            ("MODIFIED", one_left.metadata.resource_version),
            ("DELETED", gone.metadata.resource_version),
        ]

    run(main)


def test_a_new_finalizer_on_an_object_being_deleted_is_invalid() -> None:
    async def main() -> None:
        server = await APIServer.start(MemoryBackend(_stamp, history=HISTORY))
        await server.create(ConfigMap(metadata=ObjectMeta(name="cm", finalizers=FINALIZERS[:1])))
        marked = await server.delete(ConfigMap, "cm")
        more = attrs.evolve(marked.metadata, finalizers=FINALIZERS)
        with pytest.raises(Invalid) as refused:
            await server.update(attrs.evolve(marked, metadata=more))
        status = refused.value.status
        assert (status.code, status.reason) == (422, "Invalid")
        assert status.message.startswith(
            'ConfigMap "cm" is invalid: metadata.finalizers: Forbidden: no new finalizers can be '
            "added if the object is being deleted, found new finalizers "
        )
        assert status.details is not None
        [cause] = status.details.causes
        assert (cause.reason, cause.field) == ("FieldValueForbidden", "metadata.finalizers")
        assert await server.get(ConfigMap, "cm") == marked
        # Removing one is still allowed.
        assert await server.update(attrs.evolve(marked, metadata=attrs.evolve(more, finalizers=())))
        with pytest.raises(NotFound):
            await server.get(ConfigMap, "cm")

    run(main)


def test_the_new_finalizer_message_lists_them_as_upstream_does() -> None:
    async def main() -> None:
        server = await APIServer.start(MemoryBackend(_stamp, history=HISTORY))
        await server.create(ConfigMap(metadata=ObjectMeta(name="cm", finalizers=FINALIZERS[:1])))
        marked = await server.delete(ConfigMap, "cm")
        more = attrs.evolve(marked.metadata, finalizers=FINALIZERS)
        with pytest.raises(Invalid) as refused:
            await server.update(attrs.evolve(marked, metadata=more))
        assert refused.value.message.endswith('found new finalizers []string{"example.com/two"}')

    run(main)
