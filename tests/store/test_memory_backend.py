"""The in-memory storage backend: CRUD and revisions, range reads, watches, stamping, and a
model-based property that a watch replays into exactly the stored state."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kube_actors.runtime import now, simulate, sleep, spawn
from kube_actors.store import (
    BackendClosed,
    Compacted,
    KeyExists,
    KeyNotFound,
    MemoryBackend,
    RevisionConflict,
    StorageBackend,
    StorageEvent,
    StoredObject,
    Watch,
    WatchClosed,
)

T = TypeVar("T")


def run(main: Callable[[], Awaitable[T]]) -> T:
    """Run ``main`` in virtual time (every backend call needs a runtime for its watches)."""
    return simulate(main, seed=0).value


def stamp_with_revision(value: object, revision: int) -> object:
    """A stamp that makes the revision visible, like ``metadata.resourceVersion``."""
    return (value, revision)


# --- create / get / update / delete ---------------------------------------------------------


def test_create_get_update_delete() -> None:
    async def main() -> None:
        store: StorageBackend = MemoryBackend()
        assert store.revision == 0
        assert await store.get("/k") is None

        created = await store.create("/k", "v1")
        assert created == StoredObject("/k", "v1", create_revision=1, mod_revision=1)
        assert await store.get("/k") is created
        assert store.revision == 1

        updated = await store.update("/k", "v2", expected_revision=None)
        assert updated == StoredObject("/k", "v2", create_revision=1, mod_revision=2)
        assert await store.get("/k") is updated

        deleted = await store.delete("/k")
        assert deleted == StoredObject("/k", "v2", create_revision=1, mod_revision=3)
        assert await store.get("/k") is None
        assert store.revision == 3
        assert await store.count("") == 0

        # A deleted key can be created again, with a new create_revision.
        again = await store.create("/k", "v3")
        assert (again.create_revision, again.mod_revision) == (4, 4)

    run(main)


def test_write_errors_leave_the_store_unchanged_and_name_key_and_revisions() -> None:
    async def main() -> None:
        store = MemoryBackend()
        first = await store.create("/k", "v1")

        with pytest.raises(KeyExists, match="'/k' already exists"):
            await store.create("/k", "other")
        with pytest.raises(KeyNotFound, match="'/missing' not found"):
            await store.update("/missing", "v", expected_revision=None)
        with pytest.raises(KeyNotFound, match="'/missing' not found"):
            await store.update("/missing", "v", expected_revision=1)
        with pytest.raises(KeyNotFound, match="'/missing' not found"):
            await store.delete("/missing")

        assert store.revision == 1
        assert await store.get("/k") is first
        assert await store.get("/missing") is None
        assert await store.count("") == 1

    run(main)


def test_compare_and_swap_on_mod_revision() -> None:
    async def main() -> None:
        store = MemoryBackend()
        await store.create("/k", "v1")
        await store.create("/other", "x")  # revision 2: /k stays at 1
        assert (await store.update("/k", "v2", expected_revision=1)).mod_revision == 3

        with pytest.raises(RevisionConflict) as stale:
            await store.update("/k", "v3", expected_revision=1)
        assert (stale.value.key, stale.value.expected, stale.value.actual) == ("/k", 1, 3)
        assert str(stale.value) == "key '/k' is at revision 3, not at the expected revision 1"
        # The store revision is not a key's revision: CAS is per key.
        with pytest.raises(RevisionConflict):
            await store.delete("/k", expected_revision=2)
        assert store.revision == 3
        current = await store.get("/k")
        assert current is not None
        assert current.value == "v2"

        assert (await store.delete("/k", expected_revision=3)).mod_revision == 4
        assert await store.get("/k") is None

    run(main)


def test_revisions_increase_strictly_across_keys() -> None:
    async def main() -> list[int]:
        store = MemoryBackend()
        revisions = []
        for i in range(5):
            revisions.append((await store.create(f"/k{i}", i)).mod_revision)
        revisions.append((await store.update("/k0", 9, expected_revision=1)).mod_revision)
        revisions.append((await store.delete("/k3")).mod_revision)
        revisions.append((await store.create("/k3", 3)).mod_revision)
        assert store.revision == revisions[-1]
        # An update keeps the key's create_revision.
        k0 = await store.get("/k0")
        assert k0 is not None
        assert (k0.create_revision, k0.mod_revision) == (1, 6)
        return revisions

    assert run(main) == [1, 2, 3, 4, 5, 6, 7, 8]


# --- list and count -------------------------------------------------------------------------


def test_list_is_sorted_by_key_within_the_prefix_and_pages() -> None:
    keys = [
        "/registry/pods/b/p2",
        "/registry/pods/a/p1",
        "/registry/podsx/a/q",
        "/registry/pods/a/p3",
        "/registry/pods/b/p1",
        "/registry/nodes/n1",
        "/registry/pods/a/p2",
    ]

    async def main() -> None:
        store = MemoryBackend()
        for key in keys:
            await store.create(key, key.upper())
        pods = sorted(k for k in keys if k.startswith("/registry/pods/"))

        items, revision = await store.list("/registry/pods/")
        assert [o.key for o in items] == pods
        assert [o.value for o in items] == [k.upper() for k in pods]
        assert revision == store.revision == len(keys)
        assert [o.key for o in (await store.list(""))[0]] == sorted(keys)
        assert [o.key for o in (await store.list("/registry/pods/a/"))[0]] == pods[:3]
        assert (await store.list("/registry/none/"))[0] == []

        # Paging: each page starts after the last key of the one before.
        pages: list[list[str]] = []
        start_after = ""
        for _ in range(10):  # bounded, so a paging bug fails instead of looping forever
            page, _ = await store.list("/registry/pods/", limit=2, start_after=start_after)
            if not page:
                break
            pages.append([o.key for o in page])
            start_after = page[-1].key
        assert pages == [pods[0:2], pods[2:4], pods[4:5]]
        # start_after before the prefix, or between keys, works too.
        assert [o.key for o in (await store.list("/registry/pods/", start_after="/a"))[0]] == pods
        middle = (await store.list("/registry/pods/", start_after="/registry/pods/a/p1x"))[0]
        assert [o.key for o in middle] == pods[1:]

        assert await store.count("/registry/pods/") == 5
        assert await store.count("/registry/pods") == 6
        assert await store.count("/registry/pods/a/") == 3
        assert await store.count("") == 7
        assert await store.count("/zzz") == 0

    run(main)


def test_prefixes_at_the_top_of_the_code_point_range() -> None:
    top = chr(0x10FFFF)

    async def main() -> None:
        store = MemoryBackend()
        for key in ["a", "a" + top, "a" + top + "x", "b", top, top + top]:
            await store.create(key, key)
        assert [o.key for o in (await store.list("a" + top))[0]] == ["a" + top, "a" + top + "x"]
        assert await store.count(top) == 2
        assert await store.count(top + top) == 1
        assert await store.count("a") == 3

    run(main)


# --- stamping -------------------------------------------------------------------------------


def test_stamp_runs_once_per_write_and_values_are_shared() -> None:
    calls: list[tuple[object, int]] = []

    def stamp(value: object, revision: int) -> object:
        calls.append((value, revision))
        return {"value": value, "revision": revision}

    async def main() -> None:
        store = MemoryBackend(stamp)
        watch = await store.watch("", 0)
        created = await store.create("/k", "v1")
        updated = await store.update("/k", "v2", expected_revision=1)
        deleted = await store.delete("/k")
        assert calls == [("v1", 1), ("v2", 2), (updated.value, 3)]
        assert created.value == {"value": "v1", "revision": 1}
        assert deleted.value == {"value": updated.value, "revision": 3}

        await store.create("/j", "w")
        stored = await store.get("/j")
        assert stored is not None
        listed = (await store.list(""))[0][0]
        assert listed.value is stored.value

        events = await watch.next_batch()
        assert [e.value for e in events[:3]] == [created.value, updated.value, deleted.value]
        assert events[0].value is created.value
        assert events[1].value is updated.value
        assert events[1].prev is created.value
        assert events[2].value is deleted.value
        assert events[2].prev is updated.value
        assert events[3].value is stored.value
        # A replay from the history shares the very same event objects.
        replay = await (await store.watch("", 0)).next_batch()
        assert all(a is b for a, b in zip(replay, events, strict=True))
        assert len(calls) == 4

    run(main)


def test_a_failing_stamp_changes_nothing() -> None:
    def stamp(value: object, revision: int) -> object:
        if value == "bad":
            raise ValueError("cannot stamp")
        return value

    async def main() -> None:
        store = MemoryBackend(stamp)
        watch = await store.watch("", 0)
        await store.create("/k", "v1")
        for write in (
            store.create("/new", "bad"),
            store.update("/k", "bad", expected_revision=None),
        ):
            with pytest.raises(ValueError, match="cannot stamp"):
                await write
        assert store.revision == 1
        assert await store.get("/new") is None
        assert await store.count("") == 1
        assert [e.key for e in await watch.next_batch()] == ["/k"]

    run(main)


# --- watches --------------------------------------------------------------------------------


def describe(events: list[StorageEvent]) -> list[tuple[str, str, object, int]]:
    return [(e.type, e.key, e.value, e.revision) for e in events]


def test_watch_replays_the_history_after_a_revision_then_follows_live_changes() -> None:
    async def main() -> None:
        store = MemoryBackend()
        await store.create("/a/1", "x")  # 1
        await store.create("/b/1", "y")  # 2
        await store.update("/a/1", "x2", expected_revision=1)  # 3
        await store.create("/a/2", "z")  # 4

        watch = await store.watch("/a/", 1)
        assert describe(await watch.next_batch()) == [
            ("PUT", "/a/1", "x2", 3),
            ("PUT", "/a/2", "z", 4),
        ]
        await store.delete("/a/2")  # 5
        await store.create("/b/2", "w")  # 6, not watched
        await store.create("/a/3", "v")  # 7
        batch = await watch.next_batch()
        assert describe(batch) == [("DELETE", "/a/2", "z", 5), ("PUT", "/a/3", "v", 7)]
        assert (batch[0].prev, batch[0].created) == ("z", False)
        assert (batch[1].prev, batch[1].created) == (None, True)

        # From the current revision: live changes only.
        live = await store.watch("/", store.revision)
        await store.update("/b/1", "y2", expected_revision=2)  # 8
        [event] = await live.next_batch()
        assert (event.type, event.key, event.prev, event.created, event.revision) == (
            "PUT",
            "/b/1",
            "y",
            False,
            8,
        )

    run(main)


def test_next_batch_waits_for_an_event() -> None:
    async def main() -> tuple[list[str], float]:
        store = MemoryBackend()
        watch = await store.watch("", 0)

        async def write_later() -> None:
            await sleep(5)
            await store.create("/k", 1)
            await store.create("/j", 2)

        spawn(write_later())
        batch = await watch.next_batch()
        return [e.key for e in batch], now()

    assert run(main) == (["/k", "/j"], 5.0)


def test_watch_from_before_the_kept_history_is_compacted() -> None:
    async def main() -> None:
        store = MemoryBackend(history=3)
        for i in range(5):
            await store.create(f"/k{i}", i)  # revisions 1..5; revisions 3..5 are kept
        assert store.compacted_revision == 2
        with pytest.raises(Compacted) as too_old:
            await store.watch("", 1)
        assert (too_old.value.requested, too_old.value.compacted) == (1, 2)
        assert "revision 1 has been compacted" in str(too_old.value)
        assert [e.revision for e in await (await store.watch("", 2)).next_batch()] == [3, 4, 5]

        await store.compact(4)
        with pytest.raises(Compacted):
            await store.watch("", 3)
        assert [e.revision for e in await (await store.watch("", 4)).next_batch()] == [5]
        await store.compact(2)  # older than what is already compacted: nothing happens
        assert store.compacted_revision == 4
        with pytest.raises(ValueError, match="current revision is 5"):
            await store.compact(6)
        with pytest.raises(ValueError, match=">= 0"):
            await store.watch("", -1)

        # Compacting everything leaves live watches possible.
        await store.compact(5)
        watch = await store.watch("", 5)
        await store.create("/new", 1)
        assert [e.revision for e in await watch.next_batch()] == [6]

    run(main)


def test_a_watch_from_a_future_revision_skips_until_it() -> None:
    async def main() -> None:
        store = MemoryBackend()
        watch = await store.watch("", 2)
        for i in range(4):
            await store.create(f"/k{i}", i)
        assert [e.revision for e in await watch.next_batch()] == [3, 4]

    run(main)


async def collect(watch: Watch, batches: list[list[StorageEvent]]) -> None:
    async for batch in watch:
        batches.append(batch)


def test_a_slow_watcher_is_closed_without_blocking_the_writer_or_other_watchers() -> None:
    async def main() -> None:
        store = MemoryBackend(watch_buffer=2)
        slow = await store.watch("", 0)
        fast = await store.watch("", 0)
        seen: list[int] = []

        async def keep_up() -> None:
            async for batch in fast:
                seen.extend(e.revision for e in batch)

        reader = spawn(keep_up())
        for i in range(6):
            # Writes never wait on a watcher; the sleep only lets the fast reader run.
            await store.create(f"/k{i}", i)
            await sleep(0)
        assert store.revision == 6
        assert seen == [1, 2, 3, 4, 5, 6]
        assert slow.closed
        assert not fast.closed

        # The slow watcher reads what it had, then learns it fell behind.
        batches: list[list[StorageEvent]] = []
        with pytest.raises(WatchClosed, match=r"watch of '' fell behind") as ended:
            await collect(slow, batches)
        assert [describe(batch) for batch in batches] == [
            [("PUT", "/k0", 0, 1), ("PUT", "/k1", 1, 2)]
        ]
        assert not ended.value.by_client
        # It stays closed.
        with pytest.raises(WatchClosed):
            await slow.next_batch()

        await store.create("/k6", 6)
        await sleep(0)
        assert seen[-1] == 7
        fast.close()
        await reader.join()

    run(main)


def test_the_replayed_backlog_does_not_count_against_the_buffer() -> None:
    async def main() -> None:
        store = MemoryBackend(watch_buffer=2)
        for i in range(5):
            await store.create(f"/k{i}", i)
        watch = await store.watch("", 0)
        await store.create("/k5", 5)  # one live event on top of five replayed ones
        await store.create("/k6", 6)
        assert not watch.closed
        assert [e.revision for e in await watch.next_batch()] == [1, 2, 3, 4, 5, 6, 7]
        for i in range(7, 10):  # now the buffer is 2 again
            await store.create(f"/k{i}", i)
        assert watch.closed

    run(main)


def test_close_ends_iteration_after_what_was_queued() -> None:
    async def main() -> None:
        store = MemoryBackend()
        watch: Watch = await store.watch("", 0)
        await store.create("/k", 1)
        watch.close()
        watch.close()  # idempotent
        await store.create("/j", 2)  # after the close: not delivered
        batches = [describe(batch) async for batch in watch]
        assert batches == [[("PUT", "/k", 1, 1)]]
        with pytest.raises(WatchClosed, match="was closed") as closed:
            await watch.next_batch()
        assert closed.value.by_client

    run(main)


def test_close_wakes_a_waiting_reader() -> None:
    async def main() -> list[int]:
        store = MemoryBackend()
        watch = await store.watch("", 0)
        got: list[int] = []

        async def read() -> None:
            async for batch in watch:
                got.extend(e.revision for e in batch)

        reader = spawn(read())
        await sleep(1)
        await store.create("/k", 1)
        await sleep(1)
        watch.close()
        await reader.join()
        return got

    assert run(main) == [1]


def test_closing_the_backend_ends_watches_and_refuses_operations() -> None:
    async def main() -> None:
        store = MemoryBackend()
        watch = await store.watch("", 0)
        await store.create("/k", 1)
        await store.close()
        await store.close()
        assert watch.closed
        assert [e.key for e in await watch.next_batch()] == ["/k"]
        with pytest.raises(WatchClosed, match="backend was closed") as ended:
            async for _ in watch:
                pass
        assert not ended.value.by_client
        for operation in (
            store.get("/k"),
            store.list(""),
            store.create("/j", 1),
            store.watch("", 0),
        ):
            with pytest.raises(BackendClosed):
                await operation

    run(main)


def test_constructor_rejects_empty_buffers() -> None:
    with pytest.raises(ValueError, match="history"):
        MemoryBackend(history=0)
    with pytest.raises(ValueError, match="watch_buffer"):
        MemoryBackend(watch_buffer=0)


# --- the model ------------------------------------------------------------------------------

# Few keys, so that most updates and deletes find their key.
KEYS = ["/a/1", "/a/2", "/b/1", "/ab"]
WATCHED = "/a/"

operations = st.lists(
    st.tuples(
        st.sampled_from(["create", "update", "update", "delete"]),
        st.sampled_from(KEYS),
        st.integers(0, 9),
        st.sampled_from(["none", "current", "stale"]),
    ),
    min_size=10,
    max_size=50,
)

State = dict[str, Any]


def apply(state: State, events: list[StorageEvent]) -> State:
    """Replay events onto a copy of ``state``, checking each is consistent with it."""
    state = dict(state)
    for event in events:
        if event.type == "PUT":
            assert event.created == (event.key not in state)
            assert event.prev == state.get(event.key)
            state[event.key] = event.value
        else:
            assert event.prev == state.pop(event.key)
    return state


@given(operations, st.data())
def test_backend_matches_a_dict_model_and_watches_replay_into_it(
    ops: list[tuple[str, str, int, str]], data: st.DataObject
) -> None:
    # The watches "from the middle" start just before this operation (or after the last).
    middle = data.draw(st.integers(0, len(ops)), label="middle")

    async def main() -> None:
        store = MemoryBackend(stamp_with_revision, history=1_000)
        # key -> (value, create_revision, mod_revision)
        model: dict[str, tuple[object, int, int]] = {}
        revision = 0
        mid_state: State = {}
        mid_revision = 0
        live_from_middle: Watch | None = None

        def change(
            kind: str, key: str, value: object, expected: int | None
        ) -> Awaitable[StoredObject]:
            if kind == "update":
                return store.update(key, value, expected_revision=expected)
            return store.delete(key, expected_revision=expected)

        for index, (kind, key, value, precondition) in enumerate(ops):
            if index == middle:
                mid_state = {k: v for k, (v, _, _) in model.items() if k.startswith(WATCHED)}
                mid_revision = revision
                live_from_middle = await store.watch(WATCHED, store.revision)
            current = model.get(key)
            expected = None
            if precondition != "none" and current is not None:
                expected = current[2] if precondition == "current" else current[2] - 1
            if kind == "create":
                if current is not None:
                    with pytest.raises(KeyExists):
                        await store.create(key, value)
                    continue
                revision += 1
                stored = await store.create(key, value)
                model[key] = ((value, revision), revision, revision)
            elif current is None:
                with pytest.raises(KeyNotFound):
                    await change(kind, key, value, expected)
                continue
            elif precondition == "stale":
                with pytest.raises(RevisionConflict):
                    await change(kind, key, value, expected)
                continue
            elif kind == "update":
                revision += 1
                stored = await store.update(key, value, expected_revision=expected)
                model[key] = ((value, revision), current[1], revision)
            else:
                revision += 1
                stored = await store.delete(key, expected_revision=expected)
                del model[key]
                # The last value, stamped again with the delete's revision.
                assert stored.value == (current[0], revision)
            assert stored.mod_revision == revision
            assert store.revision == revision

        if live_from_middle is None:  # the middle is after the last operation
            mid_state = {k: v for k, (v, _, _) in model.items() if k.startswith(WATCHED)}
            mid_revision = revision
            live_from_middle = await store.watch(WATCHED, store.revision)

        # The store equals the model, in key order.
        items, read_revision = await store.list("")
        assert read_revision == revision
        assert [(o.key, o.value, o.create_revision, o.mod_revision) for o in items] == [
            (k, *model[k]) for k in sorted(model)
        ]
        assert await store.count(WATCHED) == sum(k.startswith(WATCHED) for k in model)
        final = {k: v for k, (v, _, _) in model.items()}
        watched_final = {k: v for k, v in final.items() if k.startswith(WATCHED)}

        # A watch from revision 0 replays into exactly the final state.
        everything = await store.watch("", 0)
        events = await everything.next_batch() if revision else []
        assert [e.revision for e in events] == list(range(1, revision + 1))
        assert all(e.value[1] == e.revision for e in events)  # type: ignore[index]
        assert apply({}, events) == final

        # Watches of a prefix from the middle, replayed or live, turn the state at that
        # revision into the final state.
        replayed = await store.watch(WATCHED, mid_revision)
        for watch in (replayed, live_from_middle):
            watch.close()  # everything is queued already: read it, then stop
            tail: list[StorageEvent] = []
            async for batch in watch:
                tail.extend(batch)
            assert all(e.key.startswith(WATCHED) and e.revision > mid_revision for e in tail)
            assert [e.revision for e in tail] == sorted({e.revision for e in tail})
            assert apply(mid_state, tail) == watched_final

    run(main)


def test_fan_out_matches_prefixes_of_every_shape_in_creation_order() -> None:
    """Directory prefixes, partial-name prefixes, the empty prefix and watches started in the
    future each get exactly the keys they match, whichever mix of them is open."""

    async def main() -> list[list[tuple[str, int]]]:
        store = MemoryBackend()
        prefixes = ["/r/pods/", "/r/pods/default/", "", "/r/pods/default/we", "/r/nodes/"]
        watches = [await store.watch(p, 0) for p in prefixes]
        future = await store.watch("/r/pods/", 3)
        await store.create("/r/pods/default/web", 1)  # 1
        await store.create("/r/pods/other/db", 2)  # 2
        await store.create("/r/nodes/n1", 3)  # 3
        watches[3].close()  # only directory prefixes left: the fan-out remembers per directory
        await store.create("/r/pods/default/web2", 4)  # 4
        await store.create("/r/podsx/a", 5)  # 5
        await store.update("/r/pods/default/web", 6, expected_revision=1)  # 6
        out = []
        for watch in [*watches[:3], watches[4], future]:
            out.append([(e.key, e.revision) for e in await watch.next_batch()])
        return out

    pods, default, everything, nodes, future = run(main)
    assert pods == [
        ("/r/pods/default/web", 1),
        ("/r/pods/other/db", 2),
        ("/r/pods/default/web2", 4),
        ("/r/pods/default/web", 6),
    ]
    assert default == [
        ("/r/pods/default/web", 1),
        ("/r/pods/default/web2", 4),
        ("/r/pods/default/web", 6),
    ]
    assert [revision for _, revision in everything] == [1, 2, 3, 4, 5, 6]
    assert nodes == [("/r/nodes/n1", 3)]
    assert future == [("/r/pods/default/web2", 4), ("/r/pods/default/web", 6)]


def test_watch_added_later_joins_the_fan_out() -> None:
    async def main() -> tuple[list[int], list[int]]:
        store = MemoryBackend()
        first = await store.watch("/r/pods/", 0)
        await store.create("/r/pods/a", 1)  # the fan-out now knows /r/pods/'s watches
        second = await store.watch("/r/pods/", store.revision)
        await store.create("/r/pods/b", 2)
        return (
            [e.revision for e in await first.next_batch()],
            [e.revision for e in await second.next_batch()],
        )

    assert run(main) == ([1, 2], [2])
