"""The informer's contract under random writes, watch drops, expired versions, busy paged
lists and handler crashes: at quiescence the cache equals the API server, and every handler
(but one that crashed, for the notification it crashed on) saw each change exactly once, in
order — replaying its notifications onto an empty dict gives the server's state."""

from __future__ import annotations

from typing import Any

from hypothesis import event, given, settings
from hypothesis import strategies as st

from kube_actors.api import ConfigMap, Namespace, ObjectMeta, replace
from kube_actors.client import LocalClient
from kube_actors.informers import Informer, object_key
from kube_actors.runtime import simulate, sleep
from kube_actors.store import APIServer, MemoryBackend, NotFound
from kube_actors.store.server import _stamp
from tests.informers.conftest import InterleavingClient, Recorder

NAMES = ["a", "b", "c", "d", "e"]
NAMESPACES = ["default", "dev"]

write = st.tuples(
    st.sampled_from(["write", "delete"]), st.sampled_from(NAMES), st.sampled_from(NAMESPACES)
)
operation = st.one_of(
    write,
    # Writes without yielding: more than the watch buffer cuts the watch, more than the
    # history expires its version.
    st.tuples(st.just("burst"), st.lists(write, min_size=3, max_size=12)),
    st.tuples(st.just("sleep"), st.sampled_from([0.0, 0.3, 1.0, 2.0, 40.0])),
    st.tuples(st.just("during_list"), st.lists(write, min_size=1, max_size=4)),
    st.tuples(st.just("late_handler")),
    st.tuples(st.just("crash_next")),
)


class Fragile:
    """A handler that raises on its next notification when told to."""

    def __init__(self) -> None:
        self.armed = False
        self.crashes = 0

    def _maybe_crash(self) -> None:
        if self.armed:
            self.armed = False
            self.crashes += 1
            raise RuntimeError("handler bug")

    def on_add(self, obj: Any, in_initial_list: bool) -> None:
        self._maybe_crash()

    def on_update(self, old: Any, new: Any) -> None:
        self._maybe_crash()

    def on_delete(self, obj: Any) -> None:
        self._maybe_crash()


async def apply_write(client: LocalClient, op: str, name: str, namespace: str, n: int) -> None:
    try:
        current = await client.get(ConfigMap, name, namespace=namespace)
    except NotFound:
        current = None
    if op == "delete":
        if current is not None:
            await client.delete(ConfigMap, name, namespace=namespace)
    elif current is None:
        meta = ObjectMeta(name=name, namespace=namespace)
        await client.create(ConfigMap(metadata=meta, data={"n": str(n)}))
    else:
        await client.update(replace(current, data={"n": str(n)}))


@settings(max_examples=5 * settings().max_examples)  # cheap examples: more of them
@given(
    history=st.integers(1, 8),
    watch_buffer=st.integers(1, 4),
    page_size=st.sampled_from([1, 2, 3, 500]),
    wait_for_sync=st.booleans(),
    operations=st.lists(operation, min_size=4, max_size=30),
)
def test_the_cache_converges_and_handlers_see_each_change_once(
    history: int,
    watch_buffer: int,
    page_size: int,
    wait_for_sync: bool,
    operations: list[tuple[Any, ...]],
) -> None:
    async def main() -> dict[str, Any]:
        backend = MemoryBackend(_stamp, history=history, watch_buffer=watch_buffer)
        server = await APIServer.start(backend, admission=[])
        local = LocalClient(server)
        await local.create(Namespace(metadata=ObjectMeta(name="dev")))
        client = InterleavingClient(local)
        informer = Informer(client, ConfigMap, page_size=page_size)
        first, fragile, last = Recorder(), Fragile(), Recorder()
        informer.add_handler(first)
        informer.add_handler(fragile)
        informer.add_handler(last)
        late: list[Recorder] = []
        informer.start()
        if wait_for_sync:
            await informer.wait_for_sync()
        counter = 0
        crashes_asked = 0
        for step in operations:
            counter += 1
            kind = step[0]
            if kind in ("write", "delete"):
                await apply_write(local, kind, step[1], step[2], counter)
            elif kind == "burst":
                for op, name, namespace in step[1]:
                    counter += 1
                    await apply_write(local, op, name, namespace, counter)
            elif kind == "sleep":
                await sleep(step[1])
            elif kind == "during_list":

                async def writes(steps: list[Any] = step[1], n: int = counter) -> None:
                    for op, name, namespace in steps:
                        await apply_write(local, op, name, namespace, n)

                client.between_pages.append(writes)
            elif kind == "late_handler":
                recorder = Recorder()
                informer.add_handler(recorder)
                late.append(recorder)
            elif kind == "crash_next" and crashes_asked < 3:
                crashes_asked += 1
                fragile.armed = True
        fragile.armed = False
        await sleep(300)  # quiescence: longer than any backoff and relist
        truth = {object_key(o): o.metadata.resource_version for o in await local.list(ConfigMap)}
        return {
            "truth": truth,
            "cache": {object_key(o): o.metadata.resource_version for o in informer.list()},
            "recorders": [first, last, *late],
            "health": informer.health(),
            "fragile": fragile.crashes,
            "interleaved": client.interleaved,
        }

    result = simulate(main, seed=0).value
    health = result["health"]
    event(f"relists: {min(health.relists, 2)}")
    event(f"watch restarts: {min(health.watch_restarts, 2)}")
    event(f"crashes: {health.crashes}")
    if result["interleaved"]:
        event("writes between list pages")
    assert health.synced
    assert health.state == "watching"
    assert health.crashes == result["fragile"]
    assert result["cache"] == result["truth"]
    tombstones = 0
    for recorder in result["recorders"]:
        assert recorder.violations == []
        assert {k: o.metadata.resource_version for k, o in recorder.state.items()} == result[
            "truth"
        ]
        tombstones += len(recorder.tombstones)
    if tombstones:
        event("tombstones")
        assert health.relists > 0
