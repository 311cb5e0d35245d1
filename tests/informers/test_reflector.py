"""The reflector against a scripted client: paging, relists on Expired, backoff timing."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

import pytest

from kube_actors.api import ConfigMap, ObjectMeta
from kube_actors.informers import REFLECTOR_BACKOFF, Reflector
from kube_actors.runtime import Event, now, simulate, sleep, spawn
from kube_actors.store import Expired, ObjectList, WatchDisconnected, WatchEvent

FOREVER = None


def cm(name: str, rv: int) -> ConfigMap:
    return ConfigMap(metadata=ObjectMeta(name=name, namespace="default", resource_version=str(rv)))


class Stream:
    """A watch that delivers ``events`` at once, then fails with ``error`` after ``after``
    seconds (or never)."""

    def __init__(self, events: list[WatchEvent[Any]], after: float | None, error: Any) -> None:
        self.events = events
        self.after = after
        self.error = error
        self.closed = False
        self.resource_version = events[-1].resource_version if events else "0"

    async def next_batch(self) -> list[WatchEvent[Any]]:
        if self.events:
            events, self.events = self.events, []
            return events
        if self.after is None:
            await Event().wait()
        else:
            await sleep(self.after)
        raise self.error

    def close(self) -> None:
        self.closed = True


class ScriptedClient:
    """Lists ``objects`` in pages; each watch follows the next entry of ``watches``:
    ``(seconds until it fails, error)``, or an exception raised when watching starts."""

    def __init__(self, objects: Sequence[Any], watches: Sequence[Any], list_version: str = "10"):
        self.objects = list(objects)
        self.watches = list(watches)
        self.list_version = list_version
        self.list_calls: list[tuple[float, int, str]] = []
        self.watch_calls: list[tuple[float, str, bool]] = []
        self.streams: list[Stream] = []

    async def list(self, cls: type[Any], **kw: Any) -> ObjectList[Any]:
        limit, token = kw["limit"], kw["continue_"]
        self.list_calls.append((now(), limit, token))
        start = int(token or 0)
        end = start + limit if limit else len(self.objects)
        more = str(end) if end < len(self.objects) else ""
        return ObjectList(tuple(self.objects[start:end]), self.list_version, more)

    async def watch(self, cls: type[Any], **kw: Any) -> Stream:
        self.watch_calls.append((now(), kw["resource_version"], kw["allow_bookmarks"]))
        step = self.watches.pop(0) if self.watches else (FOREVER, None)
        if isinstance(step, Exception):
            raise step
        after, error = step
        stream = Stream([], after, error)
        self.streams.append(stream)
        return stream


class Store:
    """A minimal ReflectorStore that records what it is given."""

    def __init__(self) -> None:
        self.resource_version = ""
        self.replaced: list[tuple[list[Any], str]] = []
        self.applied: list[WatchEvent[Any]] = []
        self.resyncs: list[float] = []

    def replace(self, items: Sequence[Any], resource_version: str) -> None:
        self.replaced.append((list(items), resource_version))
        self.resource_version = resource_version

    def apply(self, events: list[WatchEvent[Any]], resource_version: str) -> None:
        self.applied.extend(events)
        self.resource_version = resource_version

    def resync(self) -> None:
        self.resyncs.append(now())


def run_reflector(
    client: ScriptedClient, store: Store, seconds: float, **kw: Any
) -> Reflector[ConfigMap]:
    async def main() -> Reflector[ConfigMap]:
        reflector: Reflector[ConfigMap] = Reflector(client, ConfigMap, store, **kw)
        task = spawn(reflector.run(), "reflector")
        await sleep(seconds)
        task.cancel()
        await sleep(0)
        return reflector

    return simulate(main, seed=0).value


def gaps(times: list[float]) -> list[float]:
    return [round(b - a, 6) for a, b in itertools.pairwise(times)]


def disconnected() -> WatchDisconnected:
    return WatchDisconnected("fell behind", "10")


def test_lists_in_pages_then_watches_from_the_list_version_with_bookmarks() -> None:
    objects = [cm(f"c{i}", i + 1) for i in range(1200)]
    client = ScriptedClient(objects, [])
    store = Store()
    reflector = run_reflector(client, store, 10)
    assert [(limit, token) for _, limit, token in client.list_calls] == [
        (500, ""),
        (500, "500"),
        (500, "1000"),
    ]
    assert store.replaced == [(objects, "10")]
    assert client.watch_calls == [(0.0, "10", True)]
    assert (reflector.lists, reflector.watches, reflector.failures) == (1, 1, 0)
    assert reflector.state == "watching"


def test_page_size_is_configurable() -> None:
    client = ScriptedClient([cm(f"c{i}", i + 1) for i in range(5)], [])
    run_reflector(client, Store(), 1, page_size=2)
    assert [limit for _, limit, _ in client.list_calls] == [2, 2, 2]


def test_backoff_doubles_from_800ms_to_30s() -> None:
    client = ScriptedClient([], [(0.0, disconnected())] * 9)
    reflector = run_reflector(client, Store(), 200)
    times = [t for t, _, _ in client.watch_calls]
    assert gaps(times) == [0.8, 1.6, 3.2, 6.4, 12.8, 25.6, 30.0, 30.0, 30.0]
    # A broken watch resumes from the last version; nothing expired, so no relist.
    assert len(client.list_calls) == 1
    assert {rv for _, rv, _ in client.watch_calls} == {"10"}
    assert reflector.failures == 9
    assert reflector.errors == 9
    assert isinstance(reflector.last_error, WatchDisconnected)
    assert all(stream.closed for stream in client.streams)


def test_backoff_resets_after_two_minutes_of_health() -> None:
    quick = (0.0, disconnected())
    client = ScriptedClient(
        [],
        [quick, quick, quick, (130.0, disconnected()), quick, (60.0, disconnected()), quick],
    )
    run_reflector(client, Store(), 400)
    times = [t for t, _, _ in client.watch_calls]
    # 3 quick failures: 0.8, 1.6, 3.2; then a watch that lived 130 s fails: back to 0.8
    # (+130 s of watching); a quick failure: 1.6; a watch that lived only 60 s: no reset, 3.2.
    assert gaps(times) == [0.8, 1.6, 3.2, 130.8, 1.6, 63.2, 6.4]


def test_expired_watch_relists_after_backoff() -> None:
    objects = [cm("a", 1)]
    client = ScriptedClient(
        objects, [(5.0, disconnected()), Expired.too_old(10, 12), (5.0, Expired("gone"))]
    )
    store = Store()
    reflector = run_reflector(client, store, 100)
    # watch (fails after 5 s) -> 0.8 s -> watch: Expired -> 1.6 s -> relist, watch (Expired
    # mid-stream after 5 s) -> 3.2 s -> relist, watch.
    assert [round(t, 6) for t, _, _ in client.list_calls] == [0.0, 7.4, 15.6]
    assert [round(t, 6) for t, _, _ in client.watch_calls] == [0.0, 5.8, 7.4, 15.6]
    assert len(store.replaced) == 3
    assert reflector.lists == 3
    assert reflector.watches == 3  # the watch refused with Expired never started


def test_list_errors_are_retried_with_backoff() -> None:
    class Flaky(ScriptedClient):
        failures = 2

        async def list(self, cls: type[Any], **kw: Any) -> ObjectList[Any]:
            if self.failures:
                self.failures -= 1
                self.list_calls.append((now(), -1, ""))
                raise ConnectionError("connection refused")
            return await super().list(cls, **kw)

    client = Flaky([cm("a", 1)], [])
    store = Store()
    reflector = run_reflector(client, store, 10)
    assert [round(t, 6) for t, _, _ in client.list_calls] == [0.0, 0.8, 2.4]
    assert len(store.replaced) == 1
    assert reflector.errors == 2
    assert isinstance(reflector.last_error, ConnectionError)


def test_jitter_stretches_delays_from_the_seeded_source() -> None:
    client = ScriptedClient([], [(0.0, disconnected())] * 4)
    run_reflector(client, Store(), 60, jitter=0.5)
    delays = gaps([t for t, _, _ in client.watch_calls])
    for delay, base in zip(delays, (0.8, 1.6, 3.2, 6.4), strict=True):
        assert base <= delay <= base * 1.5
    again = ScriptedClient([], [(0.0, disconnected())] * 4)
    run_reflector(again, Store(), 60, jitter=0.5)
    assert gaps([t for t, _, _ in again.watch_calls]) == delays  # same seed, same delays


def test_resync_is_called_every_period_while_watching() -> None:
    store = Store()
    run_reflector(ScriptedClient([], []), store, 100, resync_period=30)
    assert store.resyncs == [30.0, 60.0, 90.0]


def test_default_backoff_is_client_gos() -> None:
    assert REFLECTOR_BACKOFF.initial == 0.8
    assert REFLECTOR_BACKOFF.cap == 30.0
    assert REFLECTOR_BACKOFF.reset_after == 120.0


def test_bad_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="page_size"):
        Reflector(ScriptedClient([], []), ConfigMap, Store(), page_size=-1)
    with pytest.raises(ValueError, match="resync_period"):
        Reflector(ScriptedClient([], []), ConfigMap, Store(), resync_period=-1)
