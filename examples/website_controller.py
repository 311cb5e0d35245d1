"""A complete custom controller: ``Website`` (example.com/v1) owns a Deployment and a Service.

The reconciler makes, for each Website, a Deployment running ``spec.image`` with
``spec.replicas`` replicas and a Service on ``spec.port``, both controlled by the Website
(owner reference with ``controller=true``), keeps them as the spec says, recreates them when
they are deleted, and writes the Website's status (the Deployment's ready replicas, the URL).

Run it with ``python examples/website_controller.py``: it runs in virtual time, inside
``simulate()``, and prints what happens. docs/controllers.md walks through it.
"""

from __future__ import annotations

import logging
from typing import Any

import attrs
import structlog

from kube_actors.api import (
    Container,
    ContainerPort,
    Deployment,
    DeploymentSpec,
    Event,
    LabelSelector,
    ObjectMeta,
    PodSpec,
    PodTemplateSpec,
    Resource,
    Service,
    ServicePort,
    ServiceSpec,
    register_kind,
    replace,
)
from kube_actors.client import Client, LocalClient
from kube_actors.controller import (
    ControllerBuilder,
    EventRecorder,
    GenerationChangedPredicate,
    Manager,
    Request,
    Result,
    set_controller_reference,
)
from kube_actors.informers import Informer
from kube_actors.runtime import simulate, sleep
from kube_actors.store import AlreadyExists, APIServer, Conflict

# --- the custom kind ----------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class WebsiteSpec:
    """What the user asks for."""

    image: str = "nginx:1.27"
    replicas: int = 1
    port: int = 80


@attrs.frozen(kw_only=True)
class WebsiteStatus:
    """What the controller reports."""

    ready_replicas: int = 0
    url: str = ""


@attrs.frozen(kw_only=True)
class Website(Resource):
    """example.com/v1 Website."""

    spec: WebsiteSpec = WebsiteSpec()
    status: WebsiteStatus = WebsiteStatus()


register_kind(Website, group="example.com", version="v1", short_names=("ws",))


# --- the reconciler -----------------------------------------------------------------------------


def labels_of(website: Website) -> dict[str, str]:
    """The labels of a website's pods (and its Deployment's selector and Service's)."""
    return {"app.kubernetes.io/name": "website", "app.kubernetes.io/instance": website.name}


def desired_deployment(website: Website) -> Deployment:
    """The Deployment a website should have (without server-set fields)."""
    labels = labels_of(website)
    container = Container(
        name="web",
        image=website.spec.image,
        ports=(ContainerPort(container_port=website.spec.port, name="http"),),
    )
    deployment = Deployment(
        metadata=ObjectMeta(name=website.name, namespace=website.namespace, labels=labels),
        spec=DeploymentSpec(
            replicas=website.spec.replicas,
            selector=LabelSelector(match_labels=labels),
            template=PodTemplateSpec(
                metadata=ObjectMeta(labels=labels), spec=PodSpec(containers=(container,))
            ),
        ),
    )
    return set_controller_reference(website, deployment)


def desired_service(website: Website) -> Service:
    """The Service a website should have."""
    service = Service(
        metadata=ObjectMeta(
            name=website.name, namespace=website.namespace, labels=labels_of(website)
        ),
        spec=ServiceSpec(
            selector=labels_of(website),
            ports=(ServicePort(name="http", port=website.spec.port, target_port="http"),),
        ),
    )
    return set_controller_reference(website, service)


class WebsiteReconciler:
    """Makes a Website's Deployment and Service match its spec, and reports its status.

    Reads come from the manager's informer caches (cheap, and possibly a little behind);
    writes go through the client. A write that finds the cache behind (``AlreadyExists``,
    ``Conflict``) is simply tried again: the reconcile is level-triggered, so running it again
    is always safe.
    """

    def __init__(self, manager: Manager) -> None:
        self.client: Client = manager.client
        self.websites: Informer[Website] = manager.informer(Website)
        self.deployments: Informer[Deployment] = manager.informer(Deployment)
        self.services: Informer[Service] = manager.informer(Service)
        self.events: EventRecorder = manager.event_recorder("website-controller")

    async def reconcile(self, request: Request) -> Result:
        """One pass: Deployment, Service, status."""
        website = self.websites.get(request.name, request.namespace)
        if website is None or website.metadata.deletion_timestamp is not None:
            # Gone: its Deployment and Service go with it (the garbage collector follows the
            # owner references), so there is nothing to do.
            return Result()
        try:
            deployment = await self._deployment(website)
            await self._service(website)
            await self._status(website, deployment)
        except (AlreadyExists, Conflict):
            return Result(requeue=True)  # the cache was behind: look again shortly
        return Result()

    async def _deployment(self, website: Website) -> Deployment:
        want = desired_deployment(website)
        have = self.deployments.get(website.name, website.namespace)
        if have is None:
            made = await self.client.create(want)
            self.events.event(website, "Normal", "Created", f"created Deployment {made.name}")
            return made
        # Compare only the fields this controller owns: the server defaults the rest.
        container = have.spec.template.spec.containers[0]
        if (
            have.spec.replicas != website.spec.replicas
            or container.image != website.spec.image
            or [p.container_port for p in container.ports] != [website.spec.port]
        ):
            ports = (ContainerPort(container_port=website.spec.port, name="http"),)
            template = have.spec.template
            changed = replace(
                have,
                spec=replace(
                    have.spec,
                    replicas=website.spec.replicas,
                    template=replace(
                        template,
                        spec=replace(
                            template.spec,
                            containers=(replace(container, image=website.spec.image, ports=ports),),
                        ),
                    ),
                ),
            )
            have = await self.client.update(changed)
            self.events.event(website, "Normal", "Updated", f"updated Deployment {have.name}")
        return have

    async def _service(self, website: Website) -> None:
        have = self.services.get(website.name, website.namespace)
        if have is None:
            made = await self.client.create(desired_service(website))
            self.events.event(website, "Normal", "Created", f"created Service {made.name}")
            return
        if [p.port for p in have.spec.ports] != [website.spec.port]:
            port = replace(have.spec.ports[0], port=website.spec.port)
            await self.client.update(replace(have, spec=replace(have.spec, ports=(port,))))

    async def _status(self, website: Website, deployment: Deployment) -> None:
        # Nothing runs pods yet (no Deployment controller, no kubelet): mirror what the
        # Deployment's status says, whoever fills it.
        status = WebsiteStatus(
            ready_replicas=deployment.status.ready_replicas,
            url=f"http://{website.name}.{website.namespace}.svc.cluster.local:{website.spec.port}",
        )
        if status != website.status:
            await self.client.update_status(replace(website, status=status))


def setup(manager: Manager) -> None:
    """Add the website controller to ``manager``."""
    (
        ControllerBuilder(manager)
        .named("website")
        # Status writes bump no generation, so the controller does not wake itself up.
        .for_(Website, predicates=[GenerationChangedPredicate()])
        .owns(Deployment)
        .owns(Service)
        .with_options(max_concurrent_reconciles=2)
        .complete(WebsiteReconciler(manager))
    )


# --- a run --------------------------------------------------------------------------------------


def show(what: str, obj: Any) -> None:
    """Print one line about an object."""
    print(f"  {what}: {obj}")


async def main() -> None:
    """Create, change and damage a Website, and watch the controller put things right."""
    client = LocalClient(await APIServer.start())
    manager = Manager(client)
    setup(manager)
    manager.start()
    await manager.wait_elected()

    print("create Website blog (nginx:1.27, 2 replicas, port 8080)")
    await client.create(
        Website(
            metadata=ObjectMeta(name="blog", namespace="default"),
            spec=WebsiteSpec(image="nginx:1.27", replicas=2, port=8080),
        )
    )
    await sleep(1)
    deployment = await client.get(Deployment, "blog", namespace="default")
    service = await client.get(Service, "blog", namespace="default")
    owner = deployment.metadata.owner_references[0]
    show(
        "Deployment",
        f"{deployment.name} replicas={deployment.spec.replicas} owner={owner.kind}/{owner.name}",
    )
    show("Service", f"{service.name} port={service.spec.ports[0].port}")
    website = await client.get(Website, "blog", namespace="default")
    show("status", website.status)

    print("change the spec: nginx:1.28, 3 replicas")
    await client.patch(
        Website, "blog", {"spec": {"image": "nginx:1.28", "replicas": 3}}, namespace="default"
    )
    await sleep(1)
    deployment = await client.get(Deployment, "blog", namespace="default")
    image = deployment.spec.template.spec.containers[0].image
    show("Deployment", f"{deployment.name} replicas={deployment.spec.replicas} image={image}")

    print("delete the Deployment by hand")
    old_uid = deployment.metadata.uid
    await client.delete(Deployment, "blog", namespace="default")
    await sleep(1)
    deployment = await client.get(Deployment, "blog", namespace="default")
    show("Deployment", f"recreated={deployment.metadata.uid != old_uid}")

    print("the Deployment reports 3 ready replicas")
    await client.update_status(
        replace(deployment, status=replace(deployment.status, ready_replicas=3))
    )
    await sleep(1)
    website = await client.get(Website, "blog", namespace="default")
    show("status", website.status)

    await manager.stop()
    events = (await client.list(Event, namespace="default")).items
    print("events:")
    for event in events:
        print(f"  {event.type} {event.reason}: {event.message} (x{event.count})")
    reconciles = manager.registry.get_sample_value(
        "controller_runtime_reconcile_total", {"controller": "website", "result": "success"}
    )
    print(f"successful reconciles: {reconciles:.0f}")


if __name__ == "__main__":
    # Applications configure logging; this one shows warnings and errors only.
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    result = simulate(main, seed=1)
    print(f"done in {result.elapsed:.1f} s of virtual time")
