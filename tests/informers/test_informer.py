"""The informer: notifications, sync, late handlers, resync, transform, tombstones, health and
supervision, against the in-process API server in virtual time."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterator, MutableMapping
from contextlib import contextmanager
from typing import Any, TypeVar

import pytest
import structlog
from structlog.testing import capture_logs

from kube_actors.api import ConfigMap, Namespace, ObjectMeta, replace
from kube_actors.client import LocalClient
from kube_actors.informers import (
    CACHES,
    HandlerFuncs,
    IndexedCache,
    Informer,
    Tombstone,
    deleted_object,
    object_key,
)
from kube_actors.runtime import CrashActor, FaultPlan, simulate, sleep
from kube_actors.store import APIServer, MemoryBackend
from kube_actors.store.server import _stamp
from tests.informers.conftest import InterleavingClient, Recorder

T = TypeVar("T")


def run(main: Callable[[], Awaitable[T]], seed: int = 0) -> T:
    return simulate(main, seed=seed).value


async def server(history: int = 10_000, watch_buffer: int = 10_000) -> LocalClient:
    backend = MemoryBackend(_stamp, history=history, watch_buffer=watch_buffer)
    return LocalClient(await APIServer.start(backend, admission=[]))


def cm(name: str, namespace: str = "default", **data: str) -> ConfigMap:
    return ConfigMap(metadata=ObjectMeta(name=name, namespace=namespace), data=data)


async def state(client: LocalClient, cls: type[Any] = ConfigMap) -> dict[str, str]:
    """The server's objects by cache key, with their resourceVersions."""
    listed = await client.list(cls)
    return {
        (f"{o.metadata.namespace}/" if o.metadata.namespace else "") + o.metadata.name: (
            o.metadata.resource_version
        )
        for o in listed
    }


def cached(informer: Informer[Any]) -> dict[str, str]:
    """The informer's objects by cache key, with their resourceVersions."""
    return {object_key(o): o.metadata.resource_version for o in informer.list()}


@contextmanager
def logs() -> Iterator[list[MutableMapping[str, Any]]]:
    """Capture every log entry (the module's logs are quiet otherwise)."""
    saved = structlog.get_config()
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.DEBUG))
    try:
        with capture_logs() as entries:
            yield entries
    finally:
        structlog.configure(**saved)


def test_initial_list_then_watch_notifications() -> None:
    async def main() -> Recorder:
        client = await server()
        await client.create(cm("a"))
        informer = Informer(client, ConfigMap)
        recorder = Recorder()
        informer.add_handler(recorder)
        assert not informer.has_synced
        informer.start()
        assert await informer.wait_for_sync()
        b = await client.create(cm("b"))
        await client.update(replace(b, data={"k": "v"}))
        await client.delete(ConfigMap, "a")
        await sleep(1)
        assert cached(informer) == await state(client)
        await informer.stop()
        return recorder

    recorder = run(main)
    assert [
        (kind, deleted_object(a).metadata.name, b)
        for kind, a, b in recorder.calls
        if kind != "update"
    ] == [
        ("add", "a", True),  # from the initial list
        ("add", "b", False),
        ("delete", "a", None),  # seen by the watch: the object, not a tombstone
    ]
    assert recorder.kinds() == ["add", "add", "update", "delete"]
    assert recorder.violations == []
    assert recorder.tombstones == []


def test_wait_for_sync_times_out_before_start_and_handlers_know_when_synced() -> None:
    async def main() -> None:
        client = await server()
        informer = Informer(client, ConfigMap)
        registration = informer.add_handler(on_add=lambda obj, initial: None)
        assert not await informer.wait_for_sync(timeout=5)
        assert not registration.has_synced
        informer.start()
        assert await informer.wait_for_sync(timeout=5)
        assert informer.has_synced
        assert registration.has_synced
        await informer.stop()

    run(main)


def test_handlers_added_late_get_what_is_cached_first() -> None:
    async def main() -> tuple[Recorder, Recorder]:
        client = await server()
        for name in ("a", "b"):
            await client.create(cm(name))
        informer = Informer(client, ConfigMap)
        informer.start()
        await informer.wait_for_sync()
        late = Recorder()
        informer.add_handler(late)
        assert [(k, o.metadata.name, i) for k, o, i in late.calls] == [
            ("add", "a", True),
            ("add", "b", True),
        ]
        await client.create(cm("c"))
        await sleep(1)
        bad = Recorder()

        def broken(obj: Any, initial: bool) -> None:
            raise ZeroDivisionError

        bad.on_add = broken  # type: ignore[method-assign,assignment]
        with pytest.raises(ZeroDivisionError):
            informer.add_handler(bad)
        await client.create(cm("d"))
        await sleep(1)
        await informer.stop()
        return late, bad

    late, bad = run(main)
    assert [o.metadata.name for k, o, _ in late.calls] == ["a", "b", "c", "d"]
    assert late.violations == []
    assert bad.calls == []  # never added: it raised on the cached objects


def test_removed_handlers_hear_nothing_more() -> None:
    async def main() -> list[str]:
        client = await server()
        informer = Informer(client, ConfigMap)
        seen: list[str] = []
        registration = informer.add_handler(on_add=lambda o, i: seen.append(o.metadata.name))
        informer.start()
        await client.create(cm("a"))
        await sleep(1)
        registration.remove()
        registration.remove()  # idempotent
        await client.create(cm("b"))
        await sleep(1)
        await informer.stop()
        return seen

    assert run(main) == ["a"]


def test_periodic_resync_redelivers_every_object_as_an_update_to_itself() -> None:
    async def main() -> list[tuple[float, str, bool]]:
        client = await server()
        for name in ("a", "b"):
            await client.create(cm(name))
        informer = Informer(client, ConfigMap, resync_period=30)
        calls: list[tuple[float, str, bool]] = []
        from kube_actors.runtime import now

        informer.add_handler(
            on_update=lambda old, new: calls.append((now(), new.metadata.name, old is new))
        )
        informer.start()
        await sleep(70)
        await informer.stop()
        return calls

    assert run(main) == [
        (30.0, "a", True),
        (30.0, "b", True),
        (60.0, "a", True),
        (60.0, "b", True),
    ]


def test_transform_applies_before_caching_and_to_handlers() -> None:
    def strip(obj: ConfigMap) -> ConfigMap:
        return replace(obj, data={})

    async def main() -> tuple[list[Any], list[Any]]:
        client = await server()
        await client.create(cm("a", k="secret"))
        informer = Informer(client, ConfigMap, transform=strip)
        recorder = Recorder()
        informer.add_handler(recorder)
        informer.start()
        await informer.wait_for_sync()
        a = await client.get(ConfigMap, "a")
        await client.update(replace(a, data={"k": "other"}))
        await sleep(1)
        await informer.stop()
        return informer.list(), recorder.calls

    objects, calls = run(main)
    assert [dict(o.data) for o in objects] == [{}]
    assert [dict(c[1].data) for c in calls] == [{}, {}]  # the add's object, the update's old
    assert calls[1][2].data == {}


def test_deletes_missed_in_a_watch_gap_arrive_as_tombstones() -> None:
    async def main() -> tuple[Recorder, dict[str, Any]]:
        # A watch buffer of 3 events and a history of 5: a burst of writes cuts the watch,
        # and by the time the informer watches again (0.8 s later) its version has expired.
        client = await server(history=5, watch_buffer=3)
        for i in range(5):
            await client.create(cm(f"c{i}"))
        informer = Informer(client, ConfigMap)
        recorder = Recorder()
        informer.add_handler(recorder)
        informer.start()
        await informer.wait_for_sync()
        last = {o.metadata.name: o for o in informer.list()}
        for i in range(5):
            await client.delete(ConfigMap, f"c{i}")
        for i in range(10):
            await client.create(cm(f"d{i}"))
        await sleep(10)
        assert cached(informer) == await state(client)
        health = informer.health()
        await informer.stop()
        return recorder, {"last": last, "health": health}

    recorder, info = run(main)
    assert recorder.violations == []
    deletes = [obj for kind, obj, _ in recorder.calls if kind == "delete"]
    # The watch got the first 3 deletes before it was cut; the other 2 were found by the relist.
    assert [type(d).__name__ for d in deletes] == ["ConfigMap"] * 3 + ["Tombstone"] * 2
    tombstones = [d for d in deletes if isinstance(d, Tombstone)]
    assert [t.key for t in tombstones] == ["default/c3", "default/c4"]
    assert [t.obj for t in tombstones] == [info["last"]["c3"], info["last"]["c4"]]
    health = info["health"]
    assert (health.relists, health.watch_restarts, health.failures, health.errors) == (1, 1, 2, 2)
    assert health.last_error.startswith("Expired: too old resource version")
    assert health.state == "watching"
    assert health.synced
    assert (health.objects, health.crashes) == (10, 0)


def test_a_paged_list_of_a_busy_server_delivers_each_version_once() -> None:
    async def main() -> Recorder:
        local = await server()
        client = InterleavingClient(local)
        for i in range(6):
            await local.create(cm(f"c{i}"))
        informer = Informer(client, ConfigMap, page_size=2)
        recorder = Recorder()
        informer.add_handler(recorder)

        async def busy() -> None:
            # While the informer reads page 2 and 3, objects on those pages change, one is
            # deleted and made again, one on page 1 changes and one goes.
            c4 = await local.get(ConfigMap, "c4")
            await local.update(replace(c4, data={"v": "1"}))
            await local.delete(ConfigMap, "c5")
            await local.create(cm("c5", v="again"))
            c0 = await local.get(ConfigMap, "c0")
            await local.update(replace(c0, data={"v": "1"}))
            await local.delete(ConfigMap, "c1")

        client.between_pages.append(busy)
        informer.start()
        await informer.wait_for_sync()
        await sleep(1)
        assert cached(informer) == await state(local)
        assert recorder.state.keys() == informer.cache.keys() or sorted(recorder.state) == sorted(
            informer.cache.keys()
        )
        await informer.stop()
        return recorder

    recorder = run(main)
    assert recorder.violations == []


def test_label_selected_informer_sees_objects_enter_and_leave() -> None:
    async def main() -> list[tuple[str, str]]:
        client = await server()
        informer = Informer(client, ConfigMap, label_selector="app=web")
        seen: list[tuple[str, str]] = []
        informer.add_handler(
            on_add=lambda o, i: seen.append(("add", o.metadata.name)),
            on_delete=lambda o: seen.append(("delete", deleted_object(o).metadata.name)),
        )
        informer.start()
        await informer.wait_for_sync()
        await client.create(ConfigMap(metadata=ObjectMeta(name="a", labels={"app": "web"})))
        await client.create(ConfigMap(metadata=ObjectMeta(name="b", labels={"app": "db"})))
        a = await client.get(ConfigMap, "a")
        await client.update(replace(a, metadata=replace(a.metadata, labels={"app": "db"})))
        await sleep(1)
        await informer.stop()
        return seen

    assert run(main) == [("add", "a"), ("delete", "a")]


def test_namespaced_and_cluster_scoped_informers() -> None:
    async def main() -> tuple[list[str], list[str], Any]:
        client = await server()
        await client.create(Namespace(metadata=ObjectMeta(name="dev")))
        await client.create(cm("a", "dev"))
        await client.create(cm("b", "default"))
        in_dev = Informer(client, ConfigMap, namespace="dev")
        namespaces = Informer(client, Namespace)
        for informer in (in_dev, namespaces):
            informer.start()
            await informer.wait_for_sync()
        result = (in_dev.cache.keys(), sorted(namespaces.cache.keys()), namespaces.get("dev"))
        assert in_dev.get("a", "dev") is not None
        assert in_dev.get("a") is None
        assert [c.metadata.name for c in in_dev.list("dev")] == ["a"]
        for informer in (in_dev, namespaces):
            await informer.stop()
        return result

    dev_keys, namespace_keys, dev = run(main)
    assert dev_keys == ["dev/a"]
    assert namespace_keys == ["default", "dev", "kube-node-lease", "kube-system"]
    assert dev.metadata.name == "dev"


def test_indexers_on_an_informer() -> None:
    async def main() -> list[str]:
        client = await server()
        informer = Informer(client, ConfigMap, indexers={"v": lambda o: list(o.data.values())})
        informer.add_indexers({"n": lambda o: [o.metadata.name[0]]})
        informer.start()
        await client.create(cm("a", k="x"))
        await client.create(cm("b", k="x"))
        b = await client.get(ConfigMap, "b")
        await client.update(replace(b, data={"k": "y"}))
        await sleep(1)
        result = [o.metadata.name for o in informer.by_index("v", "x")]
        assert [o.metadata.name for o in informer.by_index("n", "b")] == ["b"]
        await informer.stop()
        return result

    assert run(main) == ["a"]


def test_caches_plug_in_by_instance_factory_or_name() -> None:
    class Counting(IndexedCache[Any]):
        writes = 0

        def upsert(self, key: str, obj: Any) -> Any:
            Counting.writes += 1
            return super().upsert(key, obj)

    CACHES.register("counting-test", Counting, replace=True)

    async def main() -> None:
        client = await server()
        by_name = Informer(client, ConfigMap, cache="counting-test")
        by_instance = Informer(client, ConfigMap, cache=Counting())
        by_factory = Informer(client, ConfigMap, cache=Counting)
        for informer in (by_name, by_instance, by_factory):
            assert isinstance(informer.cache, Counting)
            informer.start()
            await informer.wait_for_sync()
        await client.create(cm("a"))
        await sleep(1)
        for informer in (by_name, by_instance, by_factory):
            assert informer.cache.keys() == ["default/a"]
            await informer.stop()

    run(main)
    assert Counting.writes == 3


def test_health_reports_lag_and_counters() -> None:
    async def main() -> list[Any]:
        client = await server()
        informer = Informer(client, ConfigMap)
        before = informer.health()
        informer.start()
        await informer.wait_for_sync()
        await sleep(10)
        quiet = informer.health()
        await client.create(cm("a"))
        await sleep(5)
        busy = informer.health()
        # Another kind changes: 60 s after its last event, the idle watch gets a bookmark.
        await client.create(Namespace(metadata=ObjectMeta(name="dev")))
        await sleep(100)
        bookmarked = informer.health()
        await informer.stop()
        return [before, quiet, busy, bookmarked, informer.health()]

    before, quiet, busy, bookmarked, stopped = run(main)
    assert (before.state, before.last_event_time, before.lag) == ("new", None, None)
    assert (quiet.state, quiet.synced) == ("watching", True)
    assert (quiet.last_event_time, quiet.lag) == (0.0, 10.0)
    assert (busy.last_event_time, busy.lag, busy.events, busy.objects) == (10.0, 5.0, 1, 1)
    assert (bookmarked.last_event_time, bookmarked.events) == (70.0, 2)  # a bookmark at 70 s
    assert bookmarked.lag == 45.0
    assert int(bookmarked.resource_version) == int(busy.resource_version) + 1
    assert (bookmarked.relists, bookmarked.watch_restarts, bookmarked.errors) == (0, 0, 0)
    assert stopped.state == "stopped"


class Boom(Exception):
    pass


def test_a_handler_that_raises_crashes_the_informer_which_restarts_and_loses_nothing() -> None:
    async def main() -> tuple[Recorder, Recorder, list[str], Any, dict[str, str], dict[str, str]]:
        client = await server()
        informer = Informer(client, ConfigMap)
        before, after = Recorder(), Recorder()
        failing_seen: list[str] = []

        def failing(obj: Any, initial: bool) -> None:
            failing_seen.append(obj.metadata.name)
            if obj.metadata.name == "bad":
                raise Boom("handler bug")

        informer.add_handler(before)
        informer.add_handler(on_add=failing)
        informer.add_handler(after)
        informer.start()
        await informer.wait_for_sync()
        for name in ("a", "bad", "c"):
            await client.create(cm(name))
        await sleep(5)
        await client.create(cm("d"))
        await sleep(1)
        health = informer.health()
        result = (before, after, failing_seen, health, cached(informer), await state(client))
        await informer.stop()
        return result

    with logs() as entries:
        before, after, failing_seen, health, cache, truth = run(main)
    for recorder in (before, after):
        assert [o.metadata.name for _, o, _ in recorder.calls] == ["a", "bad", "c", "d"]
        assert recorder.violations == []
    assert failing_seen == ["a", "bad", "c", "d"]  # "bad" was not retried
    assert cache == truth
    assert (health.crashes, health.state) == (1, "watching")
    assert health.last_crash == "Boom: handler bug"
    crashed = [e for e in entries if e["event"] == "actor crashed"]
    assert [e["actor"] for e in crashed] == ["informer-configmaps/reflector"]
    assert "handler bug" in crashed[0]["error"]


def test_a_handler_failing_on_every_object_does_not_crash_loop() -> None:
    async def main() -> tuple[bool, Any]:
        client = await server()
        await client.create(cm("a"))
        informer = Informer(client, ConfigMap)

        def always(obj: Any, initial: bool) -> None:
            raise Boom("always")

        informer.add_handler(HandlerFuncs(on_add=always))
        informer.start()
        synced = await informer.wait_for_sync()
        return synced, informer.health()

    synced, health = run(main)
    # The first crash loses "a" for the failing handler only, so the second incarnation syncs.
    assert synced
    assert health.crashes == 1


def test_a_transform_that_keeps_raising_exhausts_the_supervisor() -> None:
    async def main() -> tuple[bool, Any]:
        client = await server()
        await client.create(cm("a"))

        def broken(obj: Any) -> Any:
            raise Boom("transform bug")

        informer = Informer(client, ConfigMap, transform=broken)
        informer.start()
        synced = await informer.wait_for_sync()
        return synced, informer.health()

    with logs() as entries:
        synced, health = run(main)
    assert not synced  # wait_for_sync returns once the informer has failed
    assert health.state == "failed"
    assert health.crashes == 11  # more than 10 restarts in 60 s: the supervisor gives up
    assert any(
        e["event"] == "informer failed: its supervisor gave up restarting it" for e in entries
    )


def test_a_transform_that_fails_once_is_retried_from_the_event_it_failed_on() -> None:
    async def main() -> tuple[list[str], Any]:
        client = await server()
        failures = [1]

        def flaky(obj: Any) -> Any:
            if obj.metadata.name == "b" and failures[0]:
                failures[0] -= 1
                raise Boom("once")
            return obj

        informer = Informer(client, ConfigMap, transform=flaky)
        seen: list[str] = []
        informer.add_handler(on_add=lambda o, i: seen.append(o.metadata.name))
        informer.start()
        await informer.wait_for_sync()
        for name in ("a", "b", "c"):
            await client.create(cm(name))
        await sleep(5)
        health = informer.health()
        await informer.stop()
        return seen, health

    seen, health = run(main)
    assert seen == ["a", "b", "c"]
    assert health.crashes == 1


def test_stopping_is_prompt_and_quiet() -> None:
    async def main() -> float:
        from kube_actors.runtime import now

        client = await server()
        informer = Informer(client, ConfigMap, resync_period=10)
        informer.start()
        await informer.wait_for_sync()
        start = now()
        await informer.stop()
        assert not informer.running
        return now() - start

    with logs() as entries:
        assert run(main) == 0.0
    assert [e for e in entries if e["log_level"] in ("warning", "error")] == []


def test_an_informer_left_running_is_stopped_cleanly_when_the_simulation_ends() -> None:
    async def main() -> None:
        client = await server()
        Informer(client, ConfigMap).start()
        await sleep(1)

    with logs() as entries:
        run(main)
    assert [e for e in entries if e["log_level"] in ("warning", "error")] == []


def test_same_seed_same_trace() -> None:
    async def main() -> list[str]:
        client = await server(history=4, watch_buffer=2)
        informer = Informer(client, ConfigMap)
        recorder = Recorder()
        informer.add_handler(recorder)
        informer.start()
        for i in range(8):
            await client.create(cm(f"c{i}"))
            if i % 3 == 0:
                await sleep(0.5)
        await sleep(10)
        return recorder.kinds()

    first = simulate(main, seed=3)
    second = simulate(main, seed=3)
    assert first.value == second.value
    assert first.trace_hash == second.trace_hash


def test_an_injected_crash_restarts_the_informer_without_losing_events() -> None:
    async def main() -> tuple[Recorder, Any, dict[str, str], dict[str, str]]:
        client = await server()
        informer = Informer(client, ConfigMap)
        recorder = Recorder()
        informer.add_handler(recorder)
        informer.start()
        await informer.wait_for_sync()
        for i in range(3):
            await client.create(cm(f"a{i}"))
        await sleep(10)  # the crash comes at 5 s
        for i in range(3):
            await client.create(cm(f"b{i}"))
        await sleep(1)
        health = informer.health()
        result = (recorder, health, cached(informer), await state(client))
        await informer.stop()
        return result

    plan = FaultPlan(events=(CrashActor(at=5, actor="informer-configmaps/reflector"),))
    recorder, health, cache, truth = simulate(main, seed=0, faults=plan).value
    assert recorder.violations == []
    assert len(recorder.calls) == 6
    assert cache == truth
    assert (health.crashes, health.state, health.relists) == (1, "watching", 0)


def test_an_informer_restarts_after_stop_and_syncs_again() -> None:
    class Switch:
        def __init__(self, client: LocalClient) -> None:
            self.client = client
            self.up = False

        async def list(self, cls: type[Any], **kw: Any) -> Any:
            if not self.up:
                raise ConnectionError("down")
            return await self.client.list(cls, **kw)

        async def watch(self, cls: type[Any], **kw: Any) -> Any:
            return await self.client.watch(cls, **kw)

    async def main() -> tuple[bool, bool, bool, list[str]]:
        client = await server()
        switch = Switch(client)
        informer = Informer(switch, ConfigMap)
        informer.start()
        await sleep(1)
        await informer.stop()  # before it could sync
        stopped = await informer.wait_for_sync(timeout=1)
        switch.up = True
        await client.create(cm("a"))
        informer.start()
        synced = await informer.wait_for_sync(timeout=5)
        await informer.stop()
        await client.create(cm("b"))
        informer.start()  # carries on from its resourceVersion
        await sleep(1)
        resumed = informer.health().relists == 0
        names = sorted(o.metadata.name for o in informer.list())
        await informer.stop()
        return stopped, synced, resumed, names

    assert run(main) == (False, True, True, ["a", "b"])
