"""SharedInformerFactory: one informer per kind, namespace and selectors."""

from __future__ import annotations

from typing import Any

import pytest

from kube_actors.api import ConfigMap, LabelSelector, ObjectMeta, Pod, Secret
from kube_actors.client import LocalClient
from kube_actors.informers import IndexedCache, SharedInformerFactory, informer_key
from kube_actors.runtime import simulate, sleep
from kube_actors.store import APIServer, ObjectList


def test_the_same_kind_namespace_and_selectors_give_the_same_informer() -> None:
    factory = SharedInformerFactory(None)  # type: ignore[arg-type]  # never started
    pods = factory.informer(Pod)
    assert factory.informer(Pod) is pods
    assert factory.informer(Pod, namespace="dev") is not pods
    assert factory.informer(Secret) is not pods  # type: ignore[comparison-overlap]
    web = factory.informer(Pod, label_selector="tier=front,app=web")
    assert factory.informer(Pod, label_selector={"app": "web", "tier": "front"}) is web
    assert (
        factory.informer(
            Pod, label_selector=LabelSelector(match_labels={"app": "web", "tier": "front"})
        )
        is web
    )
    node = factory.informer(Pod, field_selector="spec.nodeName=n1,status.phase=Running")
    assert factory.informer(Pod, field_selector="status.phase=Running,spec.nodeName=n1") is node
    assert len(factory.informers()) == 5
    assert informer_key(Pod, "", "a=1") != informer_key(Pod, "", LabelSelector())


def test_transforms_are_part_of_the_informer() -> None:
    def strip(obj: Any) -> Any:
        return obj

    factory = SharedInformerFactory(None)  # type: ignore[arg-type]
    informer = factory.informer(ConfigMap, transform=strip)
    assert factory.informer(ConfigMap, transform=strip) is informer
    assert factory.informer(ConfigMap) is informer
    with pytest.raises(ValueError, match="another transform"):
        factory.informer(ConfigMap, transform=lambda obj: obj)


def test_every_informer_gets_its_own_cache() -> None:
    factory = SharedInformerFactory(None, cache=IndexedCache)  # type: ignore[arg-type]
    a, b = factory.informer(ConfigMap), factory.informer(Secret)
    assert a.cache is not b.cache  # type: ignore[comparison-overlap]
    with pytest.raises(TypeError, match="cache factory"):
        SharedInformerFactory(None, cache=IndexedCache())  # type: ignore[arg-type]


def test_start_sync_and_shutdown() -> None:
    async def main() -> dict[str, Any]:
        client = LocalClient(await APIServer.start(admission=[]))
        await client.create(ConfigMap(metadata=ObjectMeta(name="cfg")))
        factory = SharedInformerFactory(client, resync_period=60)
        configmaps = factory.informer(ConfigMap)
        factory.start()
        factory.start()  # idempotent
        assert await factory.wait_for_cache_sync()
        late = factory.informer(Secret)  # asked for after start: started at once
        assert late.running
        assert await factory.wait_for_cache_sync(timeout=1)
        synced = dict(factory.synced())
        names = [c.metadata.name for c in configmaps.list()]
        await factory.shutdown()
        return {
            "names": names,
            "synced": synced,
            "states": [h.state for h in factory.health()],
            "resync": configmaps.resync_period,
        }

    result = simulate(main, seed=0).value
    assert result["names"] == ["cfg"]
    assert list(result["synced"].values()) == [True, True]
    assert result["states"] == ["stopped", "stopped"]
    assert result["resync"] == 60


def test_wait_for_cache_sync_times_out_when_an_informer_cannot_list() -> None:
    class Down:
        async def list(self, cls: type[Any], **kw: Any) -> ObjectList[Any]:
            raise ConnectionError("connection refused")

        async def watch(self, cls: type[Any], **kw: Any) -> Any:
            raise ConnectionError("connection refused")

    async def main() -> tuple[bool, Any]:
        factory = SharedInformerFactory(Down())
        informer = factory.informer(ConfigMap)
        factory.start()
        synced = await factory.wait_for_cache_sync(timeout=30)
        health = informer.health()
        await factory.shutdown()
        return synced, health

    synced, health = simulate(main, seed=0).value
    assert not synced
    # Retried with backoff, never crashing: 0, 0.8, 2.4, 5.6, 12, 24.8 s (30 s not reached yet).
    assert (health.state, health.errors, health.crashes) == ("backoff", 6, 0)
    assert health.last_error == "ConnectionError: connection refused"


def test_separate_factories_share_nothing() -> None:
    async def main() -> list[str]:
        client = LocalClient(await APIServer.start(admission=[]))
        one, two = SharedInformerFactory(client), SharedInformerFactory(client)
        a, b = one.informer(ConfigMap), two.informer(ConfigMap)
        one.start()
        two.start()
        await sleep(1)
        names = [a.name, b.name]
        await one.shutdown()
        await two.shutdown()
        return names

    assert simulate(main, seed=0).value == ["informer-configmaps", "informer-configmaps-2"]
