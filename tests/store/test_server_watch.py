"""Watches on the API server: initial state and live events in order, selectors and namespaces,
bookmarks, 410 Expired, slow watchers, resuming after a disconnect, and close."""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import attrs
import pytest

from kube_actors.api import (
    ConfigMap,
    Container,
    Node,
    NodeSpec,
    ObjectMeta,
    Pod,
    PodSpec,
)
from kube_actors.runtime import move_on_after, now, simulate, sleep, spawn
from kube_actors.store import (
    APIServer,
    APIWatch,
    BadRequest,
    Expired,
    MemoryBackend,
    WatchDisconnected,
    WatchEvent,
)
from kube_actors.store.server import _stamp

T = TypeVar("T")


def run(main: Callable[[], Awaitable[T]]) -> T:
    """Run ``main`` in virtual time."""
    return simulate(main, seed=0).value


async def start_server(
    *, history: int = 10_000, watch_buffer: int = 10_000, bookmark_interval: float = 60.0
) -> APIServer:
    return await APIServer.start(
        MemoryBackend(_stamp, history=history, watch_buffer=watch_buffer),
        bookmark_interval=bookmark_interval,
        namespaces=("default", "kube-system", "other", "default2"),
    )


def cm(name: str, namespace: str = "default", **labels: str) -> ConfigMap:
    return ConfigMap(metadata=ObjectMeta(name=name, namespace=namespace, labels=labels))


def rv(obj: Any) -> str:
    return obj.metadata.resource_version  # type: ignore[no-any-return]


def relabel(obj: T, **labels: str) -> T:
    meta = obj.metadata  # type: ignore[attr-defined]
    return attrs.evolve(obj, metadata=attrs.evolve(meta, labels=labels))  # type: ignore[misc]


def annotate(obj: T, note: str) -> T:
    meta = obj.metadata  # type: ignore[attr-defined]
    new = attrs.evolve(meta, annotations={**meta.annotations, "note": note})
    return attrs.evolve(obj, metadata=new)  # type: ignore[misc]


def describe(events: list[WatchEvent[Any]]) -> list[tuple[str, str, str]]:
    """(type, namespace/name, resourceVersion) of each event (BOOKMARK: no name)."""
    out = []
    for event in events:
        if event.object is None:
            out.append((event.type, "", event.resource_version))
            continue
        meta = event.object.metadata
        assert meta.resource_version == event.resource_version
        where = f"{meta.namespace}/{meta.name}" if meta.namespace else meta.name
        out.append((event.type, where, event.resource_version))
    return out


async def collect(watch: APIWatch[Any], into: list[WatchEvent[Any]]) -> None:
    """Read the watch to its end (``into`` keeps what came before an error)."""
    async for event in watch:
        into.append(event)


async def take(watch: APIWatch[Any], within: float = 1.0) -> list[WatchEvent[Any]]:
    """Every event the watch delivers within ``within`` virtual seconds."""
    events: list[WatchEvent[Any]] = []
    with move_on_after(within):
        while True:
            events.extend(await watch.next_batch())
    return events


# --- initial state and order ------------------------------------------------------------------


def test_watch_from_empty_version_sends_added_for_existing_objects_then_live_events() -> None:
    async def main() -> None:
        server = await start_server()
        a = await server.create(cm("a"))
        b = await server.create(cm("b"))
        c = await server.create(cm("c", "other"))
        await server.create(Node(metadata=ObjectMeta(name="n1")))  # another kind

        for start in ("", "0"):
            watch = await server.watch(ConfigMap, resource_version=start)
            initial = await take(watch)
            assert sorted(describe(initial)) == [
                ("ADDED", "default/a", rv(a)),
                ("ADDED", "default/b", rv(b)),
                ("ADDED", "other/c", rv(c)),
            ]
            assert {e.object for e in initial} == {a, b, c}
            watch.close()

        watch = await server.watch(ConfigMap)
        assert len(await take(watch)) == 3
        a2 = await server.update(annotate(a, "x"))
        gone = await server.delete(ConfigMap, "b")
        await server.create(Node(metadata=ObjectMeta(name="n2")))  # another kind
        d = await server.create(cm("d", "other"))
        a3 = await server.update(annotate(a2, "y"))
        live = await take(watch)
        assert describe(live) == [
            ("MODIFIED", "default/a", rv(a2)),
            ("DELETED", "default/b", rv(gone)),
            ("ADDED", "other/d", rv(d)),
            ("MODIFIED", "default/a", rv(a3)),
        ]
        assert [e.object for e in live] == [a2, gone, d, a3]
        # The deleted object is the last state, stamped with the deletion's version.
        assert int(rv(gone)) > int(rv(a2))
        assert attrs.evolve(gone, metadata=attrs.evolve(gone.metadata, resource_version="")) == (
            attrs.evolve(b, metadata=attrs.evolve(b.metadata, resource_version=""))
        )

    run(main)


def test_watch_from_a_resource_version_gives_exactly_the_later_events() -> None:
    async def main() -> None:
        server = await start_server()
        base = int((await server.list(ConfigMap)).resource_version)
        writes: list[tuple[str, str, str]] = []  # what a ConfigMap watch must see

        x = await server.create(cm("x"))
        writes.append(("ADDED", "default/x", rv(x)))
        await server.create(Node(metadata=ObjectMeta(name="n1")))
        y = await server.create(cm("y", "other"))
        writes.append(("ADDED", "other/y", rv(y)))
        x = await server.update(annotate(x, "1"))
        writes.append(("MODIFIED", "default/x", rv(x)))
        await server.create(Node(metadata=ObjectMeta(name="n2")))
        gone = await server.delete(ConfigMap, "y", namespace="other")
        writes.append(("DELETED", "other/y", rv(gone)))
        y = await server.create(cm("y", "other"))  # the same name again
        writes.append(("ADDED", "other/y", rv(y)))
        x = await server.update(annotate(x, "2"))
        writes.append(("MODIFIED", "default/x", rv(x)))
        latest = int(rv(x))

        for start in range(base, latest + 1):
            watch = await server.watch(ConfigMap, resource_version=str(start))
            got = describe(await take(watch))
            assert got == [w for w in writes if int(w[2]) > start], f"from {start}"
            watch.close()

        # From the latest version: nothing until the next write, then exactly it.
        watch = await server.watch(ConfigMap, resource_version=str(latest))
        assert await take(watch) == []
        z = await server.create(cm("z"))
        assert describe(await take(watch)) == [("ADDED", "default/z", rv(z))]

    run(main)


def test_a_malformed_resource_version_is_a_bad_request() -> None:
    async def main() -> None:
        server = await start_server()
        for bad in ("abc", "-1"):
            with pytest.raises(BadRequest) as refused:
                await server.watch(ConfigMap, resource_version=bad)
            assert refused.value.code == 400

    run(main)


# --- selectors and namespaces -----------------------------------------------------------------


def test_label_selector_watch_adds_what_starts_matching_and_deletes_what_stops() -> None:
    async def main() -> None:
        server = await start_server()
        web = await server.create(cm("web", app="web"))
        await server.create(cm("db", app="db"))

        watch = await server.watch(ConfigMap, label_selector="app=web")
        assert describe(await take(watch)) == [("ADDED", "default/web", rv(web))]

        other = await server.create(cm("other", app="db"))  # never matches
        web2 = await server.update(annotate(web, "1"))
        stopped = await server.update(relabel(web2, app="db"))
        await server.update(annotate(stopped, "2"))  # not matching: nothing
        started = await server.update(relabel(other, app="web"))
        back = await server.update(relabel(await server.get(ConfigMap, "web"), app="web"))
        gone = await server.delete(ConfigMap, "other")
        events = await take(watch)
        assert describe(events) == [
            ("MODIFIED", "default/web", rv(web2)),
            ("DELETED", "default/web", rv(stopped)),
            ("ADDED", "default/other", rv(started)),
            ("ADDED", "default/web", rv(back)),
            ("DELETED", "default/other", rv(gone)),
        ]
        # The DELETED of an object that stopped matching carries its last matching state,
        # at the version of the change.
        left = events[1].object
        assert left.metadata.labels == {"app": "web"}
        assert left == attrs.evolve(
            web2, metadata=attrs.evolve(web2.metadata, resource_version=rv(stopped))
        )
        assert events[2].object == started

    run(main)


def test_field_selector_watches_follow_spec_and_status_changes() -> None:
    async def main() -> None:
        server = await start_server()
        # Nodes: spec.unschedulable (a cordon starts matching, an uncordon stops).
        node = await server.create(Node(metadata=ObjectMeta(name="n1")))
        cordoned_watch = await server.watch(
            Node, field_selector="spec.unschedulable=true", resource_version=rv(node)
        )
        await server.create(Node(metadata=ObjectMeta(name="n2")))
        cordoned = await server.update(attrs.evolve(node, spec=NodeSpec(unschedulable=True)))
        uncordoned = await server.update(attrs.evolve(cordoned, spec=NodeSpec()))
        assert describe(await take(cordoned_watch)) == [
            ("ADDED", "n1", rv(cordoned)),
            ("DELETED", "n1", rv(uncordoned)),
        ]

        # Pods: status.phase through the status subresource, and metadata.name.
        pod = await server.create(
            Pod(
                metadata=ObjectMeta(name="p"),
                spec=PodSpec(containers=(Container(name="c", image="nginx"),)),
            )
        )
        running_watch = await server.watch(Pod, field_selector="status.phase=Running")
        named_watch = await server.watch(Pod, field_selector="metadata.name=p")
        assert await take(running_watch) == []
        assert describe(await take(named_watch)) == [("ADDED", "default/p", rv(pod))]
        await server.create(
            Pod(
                metadata=ObjectMeta(name="q"),
                spec=PodSpec(containers=(Container(name="c", image="nginx"),)),
            )
        )
        running = await server.update_status(
            attrs.evolve(pod, status=attrs.evolve(pod.status, phase="Running"))
        )
        done = await server.update_status(
            attrs.evolve(running, status=attrs.evolve(running.status, phase="Succeeded"))
        )
        assert describe(await take(running_watch)) == [
            ("ADDED", "default/p", rv(running)),
            ("DELETED", "default/p", rv(done)),
        ]
        assert describe(await take(named_watch)) == [
            ("MODIFIED", "default/p", rv(running)),
            ("MODIFIED", "default/p", rv(done)),
        ]

    run(main)


def test_a_namespace_scoped_watch_sees_only_its_namespace() -> None:
    async def main() -> None:
        server = await start_server()
        a = await server.create(cm("a"))
        await server.create(cm("a", "other"))
        await server.create(cm("a", "default2"))  # a namespace whose name extends "default"

        listed = await server.watch(ConfigMap, namespace="default")
        from_version = await server.watch(ConfigMap, namespace="default", resource_version=rv(a))
        everywhere = await server.watch(ConfigMap, resource_version=rv(a))
        assert describe(await take(listed)) == [("ADDED", "default/a", rv(a))]

        b = await server.create(cm("b"))
        await server.create(cm("b", "other"))
        await server.create(cm("b", "default2"))
        await server.delete(ConfigMap, "a", namespace="other")
        gone = await server.delete(ConfigMap, "a")
        mine = [("ADDED", "default/b", rv(b)), ("DELETED", "default/a", rv(gone))]
        assert describe(await take(listed)) == mine
        assert describe(await take(from_version)) == mine
        assert [e for _, e, _ in describe(await take(everywhere))] == [
            "other/a",
            "default2/a",
            "default/b",
            "other/b",
            "default2/b",
            "other/a",
            "default/a",
        ]

    run(main)


# --- bookmarks --------------------------------------------------------------------------------


def test_an_idle_watch_gets_a_bookmark_with_the_latest_revision() -> None:
    async def main() -> None:
        server = await start_server(bookmark_interval=5)
        watch = await server.watch(ConfigMap, namespace="default", allow_bookmarks=True)
        assert await take(watch, within=1) == []  # nothing yet, nothing to bookmark

        mine = await server.create(cm("mine"))
        # Writes the watch does not select: another namespace, another kind.
        await server.create(cm("elsewhere", "other"))
        node = await server.create(Node(metadata=ObjectMeta(name="n1")))
        latest = rv(node)
        assert describe(await watch.next_batch()) == [("ADDED", "default/mine", rv(mine))]
        began = now()
        [bookmark] = await watch.next_batch()
        assert bookmark.type == "BOOKMARK"
        assert bookmark.object is None
        assert bookmark.resource_version == latest
        assert now() - began == pytest.approx(5)
        assert watch.resource_version == latest

        # A watch that resumes from the bookmark misses nothing and repeats nothing.
        again = await server.watch(ConfigMap, namespace="default", resource_version=latest)
        later = await server.create(cm("later"))
        assert describe(await take(again)) == [("ADDED", "default/later", rv(later))]
        assert describe(await take(watch)) == [("ADDED", "default/later", rv(later))]

    run(main)


def test_a_quiet_cluster_still_sends_a_bookmark_every_interval() -> None:
    async def main() -> None:
        server = await start_server(bookmark_interval=5)
        quiet = str(server.backend.revision)
        watch = await server.watch(
            ConfigMap, namespace="default", resource_version=quiet, allow_bookmarks=True
        )
        began = now()
        for round_ in range(1, 4):
            [bookmark] = await watch.next_batch()
            assert (bookmark.type, bookmark.resource_version) == ("BOOKMARK", quiet)
            assert now() - began == pytest.approx(5 * round_)

    run(main)


def test_a_selector_watch_gets_a_bookmark_past_writes_it_does_not_select() -> None:
    async def main() -> None:
        server = await start_server(bookmark_interval=5)
        watch = await server.watch(ConfigMap, label_selector="app=web", allow_bookmarks=True)
        db = await server.create(cm("db", app="db"))
        db = await server.update(annotate(db, "1"))
        events = await take(watch, within=20)
        assert events, "no bookmark at all"
        assert events[0].type == "BOOKMARK"
        assert events[0].resource_version == rv(db)

    run(main)


def test_no_bookmarks_without_allow_bookmarks() -> None:
    async def main() -> None:
        server = await start_server(bookmark_interval=5)
        watch = await server.watch(ConfigMap, namespace="default")
        for i in range(4):
            await server.create(cm(f"c{i}", "other"))
            await server.create(Node(metadata=ObjectMeta(name=f"n{i}")))
            await sleep(7)
        assert await take(watch, within=60) == []

    run(main)


@pytest.mark.parametrize("selector", [None, "app=web"])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_bookmarks_never_go_backwards_nor_pass_an_undelivered_event(
    seed: int, selector: str | None
) -> None:
    schedule = random.Random(seed)
    # (delay before the write, where it goes: selected, same namespace but another label,
    # another namespace)
    writes = [
        (schedule.choice([0, 0, 1, 4, 6, 13]), schedule.choice(["web", "db", "other"]))
        for _ in range(40)
    ]

    async def main() -> None:
        server = await start_server(bookmark_interval=5)
        watch = await server.watch(
            ConfigMap, namespace="default", label_selector=selector, allow_bookmarks=True
        )
        received: list[tuple[WatchEvent[Any], int]] = []
        written: list[int] = []

        async def read() -> None:
            async for event in watch:
                received.append((event, server.backend.revision))

        reader = spawn(read())
        for i, (delay, where) in enumerate(writes):
            await sleep(delay)
            namespace = "other" if where == "other" else "default"
            obj = await server.create(cm(f"c{i}", namespace, app=where))
            if where == "web" or (where == "db" and selector is None):
                written.append(int(rv(obj)))
        await sleep(12)
        watch.close()
        await reader.join()

        events = [int(e.resource_version) for e, _ in received if e.type != "BOOKMARK"]
        assert events == written  # every event, in order
        bookmarks = [(int(e.resource_version), at) for e, at in received if e.type == "BOOKMARK"]
        assert bookmarks, "an idle watch got no bookmark"
        versions = [int(e.resource_version) for e, _ in received]
        assert versions == sorted(versions), "a resourceVersion went backwards"
        for index, (event, _) in enumerate(received):
            if event.type != "BOOKMARK":
                continue
            mark = int(event.resource_version)
            # Not before what was already delivered, not past anything still to come.
            assert all(v <= mark for v in versions[:index])
            assert all(v > mark for v in events if v not in versions[:index])
        # Each bookmark reports the latest revision when it was sent: writes the watch does
        # not select included.
        assert all(mark == at for mark, at in bookmarks)
        # Once the writes stopped, the watcher learnt the store's revision (from its last
        # event, or a bookmark past the writes it does not select).
        assert versions[-1] == server.backend.revision

    run(main)


# --- 410 Expired --------------------------------------------------------------------------------


def test_a_watch_from_before_the_history_window_is_expired() -> None:
    async def main() -> None:
        server = await start_server(history=20)
        for i in range(30):
            await server.create(cm(f"c{i}"))
        latest = int((await server.list(ConfigMap)).resource_version)
        oldest = latest - 20  # the history holds the last 20 events: those after it

        watch = await server.watch(ConfigMap, resource_version=str(oldest))
        assert [int(e.resource_version) for e in await take(watch)] == list(
            range(oldest + 1, latest + 1)
        )
        for too_old in (oldest - 1, 1):
            with pytest.raises(Expired) as expired:
                await server.watch(ConfigMap, resource_version=str(too_old))
            status = expired.value.status
            assert (status.code, status.reason) == (410, "Expired")
            assert status.message.startswith(f"too old resource version: {too_old} (")
            assert status.to_dict()["code"] == 410
        # A list (from "") still works, and so does a watch from its version.
        assert len(await take(await server.watch(ConfigMap))) == 30

    run(main)


def test_the_expired_message_names_the_oldest_version_a_watch_may_start_from() -> None:
    async def main() -> None:
        server = await start_server(history=20)
        for i in range(30):
            await server.create(cm(f"c{i}"))
        latest = int((await server.list(ConfigMap)).resource_version)
        oldest = latest - 20
        await server.watch(ConfigMap, resource_version=str(oldest))  # works
        with pytest.raises(Expired) as expired:
            await server.watch(ConfigMap, resource_version=str(oldest - 1))
        assert expired.value.message == f"too old resource version: {oldest - 1} ({oldest})"

    run(main)


# --- slow watchers and resuming -------------------------------------------------------------


def test_a_slow_watcher_is_disconnected_without_blocking_writers_or_fast_watchers() -> None:
    async def main() -> None:
        server = await start_server(watch_buffer=10)
        begin = (await server.list(ConfigMap)).resource_version
        slow = await server.watch(ConfigMap, resource_version=begin)
        fast = await server.watch(ConfigMap, resource_version=begin)
        fast_seen: list[str] = []

        async def keep_up() -> None:
            async for event in fast:
                fast_seen.append(event.resource_version)

        reader = spawn(keep_up())
        written: list[str] = []
        start = now()
        for i in range(50):
            written.append(rv(await server.create(cm(f"c{i}"))))
            await sleep(0)  # lets the fast watcher run; no virtual time passes
        assert now() == start  # the writer never waited for the slow watcher
        assert fast_seen == written

        # The slow watcher gets what was buffered, then learns it was disconnected, with the
        # last version it got.
        got: list[WatchEvent[Any]] = []
        with pytest.raises(WatchDisconnected) as disconnected:
            await collect(slow, got)
        assert [e.resource_version for e in got] == written[:10]
        assert disconnected.value.resource_version == written[9]
        assert "fell behind" in disconnected.value.reason
        with pytest.raises(WatchDisconnected):
            await slow.next_batch()

        # Watching again from there continues without a gap or a repeat.
        resumed = await server.watch(
            ConfigMap, resource_version=disconnected.value.resource_version
        )
        assert [e.resource_version for e in await take(resumed)] == written[10:]

        # The fast watcher still gets everything.
        last = await server.create(cm("last"))
        await sleep(0)
        assert fast_seen == [*written, rv(last)]
        fast.close()
        await reader.join()

    run(main)


def test_a_disconnected_watcher_whose_version_left_the_history_must_relist() -> None:
    async def main() -> None:
        server = await start_server(history=20, watch_buffer=5)
        watch = await server.watch(ConfigMap)
        for i in range(40):
            await server.create(cm(f"c{i}"))
        got: list[WatchEvent[Any]] = []
        with pytest.raises(WatchDisconnected) as disconnected:
            await collect(watch, got)
        assert [e.resource_version for e in got][-1] == disconnected.value.resource_version
        with pytest.raises(Expired):
            await server.watch(ConfigMap, resource_version=disconnected.value.resource_version)
        relisted = await server.list(ConfigMap)
        assert len(relisted) == 40
        again = await server.watch(ConfigMap, resource_version=relisted.resource_version)
        extra = await server.create(cm("extra"))
        assert describe(await take(again)) == [("ADDED", "default/extra", rv(extra))]

    run(main)


def test_resource_version_is_that_of_the_last_event_returned() -> None:
    async def main() -> None:
        server = await start_server()
        begin = (await server.list(ConfigMap)).resource_version
        watch = await server.watch(ConfigMap, resource_version=begin)
        first = await server.create(cm("a"))
        second = await server.create(cm("b"))
        async for event in watch:
            assert event.resource_version == rv(first)
            break
        # Resuming where the consumer stopped: the rest of the batch, nothing repeated.
        assert watch.resource_version == rv(first)
        resumed = await server.watch(ConfigMap, resource_version=watch.resource_version)
        assert describe(await take(resumed)) == [("ADDED", "default/b", rv(second))]

        # With a selector: a version at or past the last event returned (past what was
        # filtered out is fine too), from which a new watch repeats nothing.
        web = await server.watch(ConfigMap, label_selector="app=web", resource_version=rv(second))
        c = await server.create(cm("c", app="web"))
        d = await server.create(cm("d", app="db"))
        async for event in web:
            assert event.resource_version == rv(c)
            break
        assert web.resource_version in (rv(c), rv(d))
        again = await server.watch(
            ConfigMap, label_selector="app=web", resource_version=web.resource_version
        )
        e = await server.create(cm("e", app="web"))
        assert describe(await take(again)) == [("ADDED", "default/e", rv(e))]

    run(main)


# --- close ------------------------------------------------------------------------------------


def test_close_ends_iteration() -> None:
    async def main() -> None:
        server = await start_server()
        watch = await server.watch(ConfigMap)
        seen: list[str] = []

        async def read() -> None:
            async for event in watch:
                seen.append(event.object.metadata.name)

        reader = spawn(read())
        await server.create(cm("a"))
        await sleep(1)
        watch.close()
        await reader.join()  # the loop ended, without an error
        assert seen == ["a"]
        await server.create(cm("b"))  # after the close: not delivered
        assert [e async for e in watch] == []

        # As a context manager: closed on exit.
        async with await server.watch(ConfigMap) as scoped:
            initial = await scoped.next_batch()
            assert [e.object.metadata.name for e in initial] == ["a", "b"]
        assert [e async for e in scoped] == []

    run(main)


def test_a_watch_ended_by_the_server_raises_watch_disconnected() -> None:
    async def main() -> None:
        server = await start_server()
        watch = await server.watch(ConfigMap, resource_version="1")
        a = await server.create(cm("a"))
        assert len(await watch.next_batch()) == 1
        await server.backend.close()
        with pytest.raises(WatchDisconnected) as ended:
            await collect(watch, [])
        assert "closed" in ended.value.reason
        assert ended.value.resource_version == rv(a)  # the last version it got

    run(main)
