"""EventRecorder: events written for objects, repeats aggregated into one Event's count."""

from __future__ import annotations

from kube_actors.api import ConfigMap, Event, ObjectMeta
from kube_actors.client import LocalClient
from kube_actors.controller import EventRecorder
from kube_actors.runtime import simulate, sleep, spawn
from kube_actors.store import APIServer


def test_repeated_events_aggregate_and_different_ones_do_not() -> None:
    async def main() -> None:
        client = LocalClient(await APIServer.start())
        cm = await client.create(ConfigMap(metadata=ObjectMeta(name="cfg")))
        recorder = EventRecorder(client, "my-controller")
        spawn(recorder.run())
        recorder.event(cm, "Warning", "Broken", "it broke")
        await sleep(5)
        recorder.event(cm, "Warning", "Broken", "it broke")
        recorder.event(cm, "Warning", "Broken", "it broke again")
        recorder.event(cm, "Normal", "Fixed", "all good")
        await sleep(1)
        events = sorted(
            (await client.list(Event, namespace="default")).items, key=lambda e: e.message
        )
        assert [(e.reason, e.message, e.count) for e in events] == [
            ("Fixed", "all good", 1),
            ("Broken", "it broke", 2),
            ("Broken", "it broke again", 1),
        ]
        repeated = events[1]
        assert repeated.first_timestamp is not None
        assert repeated.last_timestamp is not None
        assert (repeated.last_timestamp - repeated.first_timestamp).total_seconds() == 5
        assert repeated.involved_object.kind == "ConfigMap"
        assert repeated.involved_object.uid == cm.metadata.uid
        assert repeated.source.component == "my-controller"
        assert repeated.type == "Warning"

    simulate(main, seed=0)


def test_recording_never_waits_and_flush_writes_what_is_queued() -> None:
    async def main() -> None:
        client = LocalClient(await APIServer.start())
        cm = await client.create(ConfigMap(metadata=ObjectMeta(name="cfg")))
        recorder = EventRecorder(client, "c")
        for i in range(3):
            recorder.event(cm, "Normal", "Tick", f"tick {i}")
        assert (await client.list(Event)).items == ()
        await recorder.flush()
        assert len((await client.list(Event)).items) == 3

    simulate(main, seed=0)
