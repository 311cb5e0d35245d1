"""The Website example controller (examples/website_controller.py), in virtual time."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from types import ModuleType
from typing import Any, TypeVar

from kube_actors.api import Deployment, ObjectMeta, Service, replace
from kube_actors.client import LocalClient
from kube_actors.controller import Manager
from kube_actors.runtime import simulate, sleep
from kube_actors.store import APIServer

T = TypeVar("T")
PATH = Path(__file__).resolve().parents[2] / "examples" / "website_controller.py"


def load() -> ModuleType:
    # Imported once per process: the module registers the Website kind.
    module = sys.modules.get("website_controller")
    if module is None:
        spec = importlib.util.spec_from_file_location("website_controller", PATH)
        assert spec is not None
        assert spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules["website_controller"] = module
        spec.loader.exec_module(module)
    return module


ex = load()


def run(main: Callable[[LocalClient, Manager], Awaitable[T]]) -> T:
    async def entry() -> T:
        client = LocalClient(await APIServer.start())
        manager = Manager(client)
        ex.setup(manager)
        manager.start()
        await manager.wait_elected()
        try:
            return await main(client, manager)
        finally:
            await manager.stop()

    return simulate(entry, seed=0).value


def website(**spec: Any) -> Any:
    return ex.Website(
        metadata=ObjectMeta(name="blog", namespace="default"), spec=ex.WebsiteSpec(**spec)
    )


def test_a_website_gets_a_deployment_and_a_service_it_controls() -> None:
    async def main(client: LocalClient, manager: Manager) -> None:
        made = await client.create(website(image="nginx:1.27", replicas=2, port=8080))
        await sleep(1)
        deployment = await client.get(Deployment, "blog", namespace="default")
        service = await client.get(Service, "blog", namespace="default")
        for obj in (deployment, service):
            (ref,) = obj.metadata.owner_references
            assert (ref.api_version, ref.kind, ref.name, ref.uid) == (
                "example.com/v1",
                "Website",
                "blog",
                made.metadata.uid,
            )
            assert ref.controller
        assert deployment.spec.replicas == 2
        container = deployment.spec.template.spec.containers[0]
        assert container.image == "nginx:1.27"
        assert [p.container_port for p in container.ports] == [8080]
        assert [p.port for p in service.spec.ports] == [8080]
        assert deployment.spec.selector is not None
        assert dict(service.spec.selector) == dict(deployment.spec.selector.match_labels)
        status = (await client.get(ex.Website, "blog", namespace="default")).status
        assert status.url == "http://blog.default.svc.cluster.local:8080"

    run(main)


def test_a_spec_change_updates_the_deployment_and_service() -> None:
    async def main(client: LocalClient, manager: Manager) -> None:
        await client.create(website(image="nginx:1.27", replicas=2, port=80))
        await sleep(1)
        before = await client.get(Deployment, "blog", namespace="default")
        await client.patch(
            ex.Website,
            "blog",
            {"spec": {"image": "nginx:1.28", "replicas": 5, "port": 8081}},
            namespace="default",
        )
        await sleep(1)
        after = await client.get(Deployment, "blog", namespace="default")
        assert after.metadata.uid == before.metadata.uid  # updated, not replaced
        assert after.spec.replicas == 5
        assert after.spec.template.spec.containers[0].image == "nginx:1.28"
        service = await client.get(Service, "blog", namespace="default")
        assert [p.port for p in service.spec.ports] == [8081]

    run(main)


def test_a_deleted_deployment_is_recreated_and_status_mirrors_it() -> None:
    async def main(client: LocalClient, manager: Manager) -> None:
        await client.create(website(replicas=3))
        await sleep(1)
        old = await client.get(Deployment, "blog", namespace="default")
        await client.delete(Deployment, "blog", namespace="default")
        await sleep(1)
        new = await client.get(Deployment, "blog", namespace="default")
        assert new.metadata.uid != old.metadata.uid
        assert new.metadata.owner_references[0].name == "blog"
        await client.update_status(replace(new, status=replace(new.status, ready_replicas=3)))
        await sleep(1)
        status = (await client.get(ex.Website, "blog", namespace="default")).status
        assert status.ready_replicas == 3

    run(main)


def test_the_controller_settles() -> None:
    async def main(client: LocalClient, manager: Manager) -> float | None:
        await client.create(website())
        await sleep(5)
        settled = manager.registry.get_sample_value(
            "controller_runtime_reconcile_total", {"controller": "website", "result": "success"}
        )
        await sleep(60)
        # Nothing changes, so nothing is reconciled: no write of its own wakes the controller.
        assert (
            manager.registry.get_sample_value(
                "controller_runtime_reconcile_total", {"controller": "website", "result": "success"}
            )
            == settled
        )
        return settled

    assert run(main)
