"""The API server: CRUD semantics, update rules, patches, scale and binding, deletion, namespaces,
list and paging, admission, the actor front end and the Status shape (all in virtual time)."""

from __future__ import annotations

import inspect
import re
import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import attrs
import pytest

from kube_actors.api import (
    ConfigMap,
    Container,
    Deployment,
    DeploymentSpec,
    LabelSelector,
    Namespace,
    ObjectMeta,
    Pod,
    PodSchedulingGate,
    PodSpec,
    PodTemplateSpec,
    Toleration,
    load_manifests,
)
from kube_actors.api.validation import ErrorType, FieldError, invalid
from kube_actors.runtime import EPOCH, simulate, sleep, spawn_actor
from kube_actors.store import (
    ADMISSION_PLUGINS,
    AdmissionPlugin,
    AdmissionRequest,
    AlreadyExists,
    APIError,
    APIServer,
    APIServerActor,
    BadRequest,
    Conflict,
    Forbidden,
    Invalid,
    NotFound,
    ObjectReader,
    Operation,
    Preconditions,
    default_chain,
    register_field,
)
from kube_actors.store.server import Create, Delete, Get, List

T = TypeVar("T")

START = datetime.fromtimestamp(EPOCH, UTC)
NOT_READY = "node.kubernetes.io/not-ready"
UNREACHABLE = "node.kubernetes.io/unreachable"
GENERATED = re.compile(r"^web-[bcdfghjklmnpqrstvwxz2456789]{5}$")


def run(main: Callable[[], Awaitable[T]], seed: int = 0) -> T:
    """Run ``main`` in virtual time."""
    return simulate(main, seed=seed).value


def in_server(*plugins: Any) -> Any:
    """Run ``async def test_x(server, ...)`` against a fresh server (with ``plugins`` appended
    to the default admission chain); the parameters after ``server`` stay visible to pytest."""
    if len(plugins) == 1 and inspect.iscoroutinefunction(plugins[0]):
        return in_server()(plugins[0])

    def wrap(fn: Callable[..., Awaitable[None]]) -> Callable[..., None]:
        def test(*args: Any, **kwargs: Any) -> None:
            async def main() -> None:
                admission = default_chain() + list(plugins) if plugins else None
                await fn(await APIServer.start(admission=admission), *args, **kwargs)

            run(main)

        signature = inspect.signature(fn)
        test.__signature__ = signature.replace(  # type: ignore[attr-defined]
            parameters=list(signature.parameters.values())[1:]
        )
        test.__name__, test.__qualname__, test.__doc__ = fn.__name__, fn.__qualname__, fn.__doc__
        test.__dict__.update(fn.__dict__)  # keep pytest marks applied before this decorator
        return test

    return wrap


def meta(obj: T, **changes: Any) -> T:
    return attrs.evolve(obj, metadata=attrs.evolve(obj.metadata, **changes))  # type: ignore[attr-defined]


def spec(obj: T, **changes: Any) -> T:
    return attrs.evolve(obj, spec=attrs.evolve(obj.spec, **changes))  # type: ignore[attr-defined]


def status(obj: T, **changes: Any) -> T:
    return attrs.evolve(obj, status=attrs.evolve(obj.status, **changes))  # type: ignore[attr-defined]


def config_map(name: str = "cfg", namespace: str = "", **labels: str) -> ConfigMap:
    return ConfigMap(
        metadata=ObjectMeta(name=name, namespace=namespace, labels=labels), data={"k": "v"}
    )


def pod(
    name: str = "web",
    namespace: str = "",
    *,
    node: str = "",
    grace: int | None = None,
    labels: dict[str, str] | None = None,
) -> Pod:
    return Pod(
        metadata=ObjectMeta(name=name, namespace=namespace, labels=labels or {"app": "web"}),
        spec=PodSpec(
            containers=(Container(name="app", image="nginx:1"),),
            node_name=node,
            termination_grace_period_seconds=grace,
        ),
    )


def deployment(name: str = "web", replicas: int | None = None) -> Deployment:
    return Deployment(
        metadata=ObjectMeta(name=name),
        spec=DeploymentSpec(
            replicas=replicas,
            selector=LabelSelector(match_labels={"app": name}),
            template=PodTemplateSpec(
                metadata=ObjectMeta(labels={"app": name}),
                spec=PodSpec(containers=(Container(name="app", image="nginx:1"),)),
            ),
        ),
    )


# --- create -----------------------------------------------------------------------------------


@in_server
async def test_create_sets_uid_timestamp_generation_and_version(server: APIServer) -> None:
    await sleep(2.75)
    sent = meta(config_map(), uid="mine", generation=7, creation_timestamp=START)
    made = await server.create(sent)
    m = made.metadata
    assert uuid.UUID(m.uid).version == 4
    assert m.creation_timestamp == START + timedelta(seconds=2)  # whole seconds
    assert m.generation == 1
    assert m.namespace == "default"
    assert m.resource_version == str(server.backend.revision)
    assert await server.get(ConfigMap, "cfg") == made


@in_server
async def test_resource_version_increases_strictly_across_writes(server: APIServer) -> None:
    versions = [(await server.create(config_map("a"))).metadata.resource_version]
    versions.append((await server.create(pod("p"))).metadata.resource_version)
    cm = await server.get(ConfigMap, "a")
    updated = await server.update(attrs.evolve(cm, data={"k": "w"}))
    versions.append(updated.metadata.resource_version)
    versions.append((await server.create(config_map("b"))).metadata.resource_version)
    await server.delete(ConfigMap, "b")
    versions.append((await server.list(ConfigMap)).resource_version)
    numbers = [int(v) for v in versions]
    assert numbers == sorted(set(numbers))


@in_server
async def test_generate_name_appends_five_random_alphanumerics(server: APIServer) -> None:
    made = await server.create(ConfigMap(metadata=ObjectMeta(generate_name="web-")))
    assert GENERATED.match(made.metadata.name)
    assert made.metadata.generate_name == "web-"
    assert await server.get(ConfigMap, made.metadata.name) == made


def test_generate_name_is_deterministic_per_seed() -> None:
    async def main() -> str:
        server = await APIServer.start()
        made = await server.create(ConfigMap(metadata=ObjectMeta(generate_name="web-")))
        return made.metadata.name

    assert run(main, seed=0) == run(main, seed=0)
    assert len({run(main, seed=seed) for seed in range(5)}) > 1


@in_server
async def test_generate_name_truncates_a_long_prefix_to_63_chars(server: APIServer) -> None:
    prefix = "a" * 70 + "-"
    made = await server.create(ConfigMap(metadata=ObjectMeta(generate_name=prefix)))
    assert len(made.metadata.name) == 63
    assert made.metadata.name.startswith("a" * 58)


@in_server
async def test_create_in_terminating_namespace_is_forbidden(server: APIServer) -> None:
    await server.create(Namespace(metadata=ObjectMeta(name="team")))
    await server.delete(Namespace, "team")
    with pytest.raises(Forbidden) as exc:
        await server.create(config_map("c", namespace="team"))
    assert str(exc.value) == (
        'configmaps "c" is forbidden: unable to create new content in namespace team '
        "because it is being terminated"
    )
    assert exc.value.status.code == 403


@in_server
async def test_create_dry_run_stores_nothing(server: APIServer) -> None:
    before = server.backend.revision
    made = await server.create(deployment(), dry_run=True)
    assert made.metadata.uid
    assert made.spec.replicas == 1  # admitted and defaulted
    assert server.backend.revision == before
    assert await server.get_object(Deployment, "web") is None


@in_server
async def test_create_resets_a_pod_status_to_pending(server: APIServer) -> None:
    made = await server.create(status(pod(), phase="Running", pod_ip="10.0.0.9"))
    assert made.status.phase == "Pending"
    assert made.status.pod_ip == ""


# --- update -----------------------------------------------------------------------------------


@in_server
async def test_update_with_empty_resource_version_is_unconditional(server: APIServer) -> None:
    first = await server.create(config_map())
    await server.update(attrs.evolve(first, data={"k": "new"}))
    blind = meta(attrs.evolve(first, data={"k": "blind"}), resource_version="")
    written = await server.update(blind)
    assert written.data == {"k": "blind"}
    assert int(written.metadata.resource_version) > int(first.metadata.resource_version)


# fmt: off
GENERATION_WRITES = [
    pytest.param(lambda s, d: s.update(spec(d, replicas=3)), 2, id="spec-change"),
    pytest.param(lambda s, d: s.update(meta(d, labels={"a": "b"})), 1, id="labels"),
    pytest.param(lambda s, d: s.update(meta(d, annotations={"a": "b"})), 1, id="annotations"),
    pytest.param(lambda s, d: s.update(meta(d, generation=9, labels={"a": "b"})), 1, id="client-set"),
    pytest.param(lambda s, d: s.update_status(status(d, replicas=4)), 1, id="update_status"),
]
# fmt: on


@pytest.mark.parametrize(("write", "generation"), GENERATION_WRITES)
@in_server
async def test_generation_bumps_on_spec_changes_only(
    server: APIServer,
    write: Callable[[APIServer, Deployment], Awaitable[Deployment]],
    generation: int,
) -> None:
    made = await server.create(deployment())
    written = await write(server, made)
    assert written.metadata.resource_version != made.metadata.resource_version
    assert (made.metadata.generation, written.metadata.generation) == (1, generation)


@in_server
async def test_update_ignores_status_changes(server: APIServer) -> None:
    made = await server.create(deployment())
    updated = await server.update(spec(status(made, replicas=9), replicas=2))
    assert updated.spec.replicas == 2
    assert updated.status == made.status


@in_server
async def test_update_status_ignores_spec_changes(server: APIServer) -> None:
    made = await server.create(deployment())
    updated = await server.update_status(spec(status(made, replicas=9), replicas=5))
    assert updated.status.replicas == 9
    assert updated.spec == made.spec


@in_server
async def test_noop_update_keeps_resource_version(server: APIServer) -> None:
    made = await server.create(deployment())
    before = server.backend.revision
    again = await server.update(made)
    assert again.metadata.resource_version == made.metadata.resource_version
    assert server.backend.revision == before


@in_server
async def test_invalid_update_lists_every_field_error(server: APIServer) -> None:
    made = await server.create(deployment())
    bad = spec(made, replicas=-1, revision_history_limit=-2)
    with pytest.raises(Invalid) as exc:
        await server.update(bad)
    paths = {e.path for e in exc.value.errors}
    assert {"spec.replicas", "spec.revisionHistoryLimit"} <= paths
    assert exc.value.status.code == 422
    causes = exc.value.status.to_dict()["details"]["causes"]
    assert [c["field"] for c in causes] == [e.path for e in exc.value.errors]
    assert {c["reason"] for c in causes} == {"FieldValueInvalid"}
    assert str(exc.value).startswith('Deployment.apps "web" is invalid: [')
    assert await server.get(Deployment, "web") == made


# --- update rules: pods and selectors ---------------------------------------------------------


def _gated_pod() -> Pod:
    return spec(pod(), scheduling_gates=(PodSchedulingGate(name="a"), PodSchedulingGate(name="b")))


def _change_image(p: Pod) -> Pod:
    return spec(p, containers=(attrs.evolve(p.spec.containers[0], image="nginx:2"),))


def _add_toleration(p: Pod) -> Pod:
    extra = Toleration(key="x", operator="Exists", effect="NoSchedule")
    return spec(p, tolerations=(*p.spec.tolerations, extra))


# fmt: off
MUTABLE_POD_CHANGES = [
    pytest.param(_change_image, id="image"),
    pytest.param(lambda p: spec(p, active_deadline_seconds=60), id="activeDeadlineSeconds"),
    pytest.param(_add_toleration, id="added-toleration"),
    pytest.param(lambda p: spec(p, scheduling_gates=p.spec.scheduling_gates[1:]), id="removed-gate"),
]
# fmt: on


@pytest.mark.parametrize("change", MUTABLE_POD_CHANGES)
@in_server
async def test_pod_update_may_change_the_mutable_fields(
    server: APIServer, change: Callable[[Pod], Pod]
) -> None:
    made = await server.create(_gated_pod())
    wanted = change(made)
    updated = await server.update(wanted)
    assert updated.spec == wanted.spec
    assert updated.metadata.generation == 2


# fmt: off
IMMUTABLE_POD_CHANGES = [
    pytest.param(lambda p: spec(p, node_selector={"zone": "a"}), "spec", id="nodeSelector"),
    pytest.param(lambda p: spec(p, containers=(*p.spec.containers, Container(name="b", image="x"))),
                 "spec", id="added-container"),
    pytest.param(lambda p: spec(p, tolerations=tuple(t for t in p.spec.tolerations
                                                      if t.key != "x")),
                 "spec.tolerations", id="removed-toleration"),
    pytest.param(lambda p: spec(p, scheduling_gates=(PodSchedulingGate(name="c"),)),
                 "spec.schedulingGates", id="added-gate"),
]
# fmt: on


@pytest.mark.parametrize(("change", "path"), IMMUTABLE_POD_CHANGES)
@in_server
async def test_pod_update_of_an_immutable_field_is_invalid(
    server: APIServer, change: Callable[[Pod], Pod], path: str
) -> None:
    made = await server.create(_add_toleration(_gated_pod()))
    with pytest.raises(Invalid) as exc:
        await server.update(change(made))
    assert path in {e.path for e in exc.value.errors}
    assert await server.get(Pod, "web") == made


def _retime_toleration(p: Pod) -> Pod:
    first, *rest = p.spec.tolerations
    return spec(p, tolerations=(attrs.evolve(first, toleration_seconds=60), *rest))


def _prepend_toleration(p: Pod) -> Pod:
    extra = Toleration(key="x", operator="Exists", effect="NoSchedule")
    return spec(p, tolerations=(extra, *p.spec.tolerations))


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(_retime_toleration, id="changed-tolerationSeconds"),
        pytest.param(_prepend_toleration, id="toleration-added-first"),
    ],
)
@in_server
async def test_pod_update_may_change_toleration_seconds_and_add_tolerations_anywhere(
    server: APIServer, change: Callable[[Pod], Pod]
) -> None:
    made = await server.create(pod())
    wanted = change(made)
    assert (await server.update(wanted)).spec.tolerations == wanted.spec.tolerations


@pytest.mark.parametrize("new_deadline", [pytest.param(120, id="raised"), None])
@in_server
async def test_pod_update_may_not_raise_or_unset_active_deadline_seconds(
    server: APIServer, new_deadline: int | None
) -> None:
    made = await server.create(spec(pod(), active_deadline_seconds=60))
    with pytest.raises(Invalid) as exc:
        await server.update(spec(made, active_deadline_seconds=new_deadline))
    assert {e.path for e in exc.value.errors} == {"spec.activeDeadlineSeconds"}


IMMUTABLE_MANIFESTS = """
{apiVersion: v1, kind: ConfigMap, metadata: {name: frozen}, immutable: true, data: {a: "1"}}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec: {serviceName: db, selector: {matchLabels: {app: db}}, template: {metadata: {labels: {app: db}}, spec: {containers: [{name: db, image: postgres}]}}}
---
{apiVersion: batch/v1, kind: Job, metadata: {name: once}, spec: {template: {spec: {restartPolicy: Never, containers: [{name: job, image: busybox}]}}}}
---
{apiVersion: v1, kind: Service, metadata: {name: svc}, spec: {clusterIP: 10.0.0.10, selector: {app: web}, ports: [{port: 80}]}}
"""


def _retemplate(job: Any) -> Any:
    container = attrs.evolve(job.spec.template.spec.containers[0], image="alpine")
    return spec(job, template=spec(job.spec.template, containers=(container,)))


@pytest.mark.parametrize(
    ("index", "change", "path"),
    [
        pytest.param(0, lambda cm: attrs.evolve(cm, data={"a": "2"}), "data", id="ConfigMap"),
        pytest.param(1, lambda s: spec(s, service_name="other"), "spec", id="StatefulSet"),
        pytest.param(2, _retemplate, "spec.template", id="Job"),
        pytest.param(3, lambda s: spec(s, cluster_ip="10.0.0.11"), "spec.clusterIP", id="Service"),
    ],
)
@in_server
async def test_update_of_an_upstream_immutable_field_is_invalid(
    server: APIServer, index: int, change: Callable[[Any], Any], path: str
) -> None:
    made = await server.create(load_manifests(IMMUTABLE_MANIFESTS)[index])
    with pytest.raises(Invalid) as exc:
        await server.update(change(made))
    assert any(e.path.startswith(path) for e in exc.value.errors)


@in_server
async def test_deployment_selector_is_immutable(server: APIServer) -> None:
    made = await server.create(deployment())
    labels = {"app": "web", "tier": "front"}
    template = attrs.evolve(made.spec.template, metadata=ObjectMeta(labels=labels))
    changed = spec(made, selector=LabelSelector(match_labels=labels), template=template)
    with pytest.raises(Invalid) as exc:
        await server.update(changed)
    [error] = exc.value.errors
    assert (error.path, error.detail) == ("spec.selector", "field is immutable")


# --- patch ------------------------------------------------------------------------------------


@in_server
async def test_merge_patch_sets_and_removes_fields(server: APIServer) -> None:
    await server.create(meta(deployment(), labels={"keep": "1", "drop": "1"}))
    patch = {"metadata": {"labels": {"drop": None, "new": "2"}}, "spec": {"replicas": 4}}
    patched = await server.patch(Deployment, "web", patch, patch_type="merge")
    assert patched.metadata.labels == {"keep": "1", "new": "2"}
    assert patched.spec.replicas == 4
    assert patched.metadata.generation == 2


@in_server
async def test_json_patch_applies_operations_in_order(server: APIServer) -> None:
    await server.create(deployment())
    ops = [
        {"op": "replace", "path": "/spec/replicas", "value": 3},
        {"op": "add", "path": "/metadata/annotations", "value": {"by": "json"}},
    ]
    patched = await server.patch(Deployment, "web", ops, patch_type="json")
    assert (patched.spec.replicas, patched.metadata.annotations) == (3, {"by": "json"})


@in_server
async def test_strategic_patch_merges_containers_by_name(server: APIServer) -> None:
    await server.create(deployment())
    containers = [{"name": "app", "image": "nginx:2"}, {"name": "side", "image": "envoy"}]
    patch = {"spec": {"template": {"spec": {"containers": containers}}}}
    patched = await server.patch(Deployment, "web", patch)
    got = {c.name: c.image for c in patched.spec.template.spec.containers}
    assert got == {"app": "nginx:2", "side": "envoy"}
    only_side = {"spec": {"template": {"spec": {"containers": containers[1:]}}}}
    again = await server.patch(Deployment, "web", only_side)
    assert [c.name for c in again.spec.template.spec.containers] == ["app", "side"]


@in_server
async def test_patch_status_subresource_changes_only_status(server: APIServer) -> None:
    made = await server.create(deployment())
    patch = {"spec": {"replicas": 7}, "status": {"replicas": 3}}
    patched = await server.patch(Deployment, "web", patch, subresource="status")
    assert patched.status.replicas == 3
    assert patched.spec == made.spec
    assert patched.metadata.generation == 1


# --- scale ------------------------------------------------------------------------------------


@in_server
async def test_get_scale_reports_replicas_and_selector(server: APIServer) -> None:
    made = await server.create(deployment(replicas=3))
    scale = await server.get_scale(Deployment, "web")
    assert scale.spec.replicas == 3
    assert scale.status.selector == "app=web"
    assert scale.metadata.resource_version == made.metadata.resource_version


@in_server
async def test_update_scale_sets_spec_replicas(server: APIServer) -> None:
    await server.create(deployment(replicas=3))
    scale = await server.update_scale(Deployment, "web", 5)
    stored = await server.get(Deployment, "web")
    assert scale.spec.replicas == stored.spec.replicas == 5
    assert scale.metadata.resource_version == stored.metadata.resource_version
    assert stored.metadata.generation == 2


# --- bind -------------------------------------------------------------------------------------


@in_server
async def test_bind_sets_node_name(server: APIServer) -> None:
    await server.create(pod())
    bound = await server.bind("web", "node-1")
    assert bound.spec.node_name == "node-1"
    assert (await server.get(Pod, "web")).spec.node_name == "node-1"


# --- delete -----------------------------------------------------------------------------------


@in_server
async def test_delete_removes_the_object(server: APIServer) -> None:
    await server.create(config_map())
    deleted = await server.delete(ConfigMap, "cfg")
    assert deleted.metadata.name == "cfg"
    with pytest.raises(NotFound):
        await server.get(ConfigMap, "cfg")


@in_server
async def test_finalizers_keep_a_deleted_object_until_the_last_goes(server: APIServer) -> None:
    await server.create(meta(config_map(), finalizers=("a/x", "b/y")))
    await sleep(5)
    marked = await server.delete(ConfigMap, "cfg")
    assert marked.metadata.deletion_timestamp == START + timedelta(seconds=5)
    current = await server.get(ConfigMap, "cfg")
    assert current.metadata.deletion_timestamp == marked.metadata.deletion_timestamp
    current = await server.update(meta(current, finalizers=("b/y",)))
    assert current.metadata.finalizers == ("b/y",)
    await server.update(meta(current, finalizers=()))
    with pytest.raises(NotFound):
        await server.get(ConfigMap, "cfg")


@in_server
async def test_adding_a_finalizer_while_deleting_is_refused(server: APIServer) -> None:
    await server.create(meta(config_map(), finalizers=("a/x",)))
    marked = await server.delete(ConfigMap, "cfg")
    with pytest.raises(APIError, match="no new finalizers can be added"):
        await server.update(meta(marked, finalizers=("a/x", "b/y")))
    assert await server.get(ConfigMap, "cfg") == marked


@in_server
async def test_adding_a_finalizer_while_deleting_is_invalid(server: APIServer) -> None:
    await server.create(meta(config_map(), finalizers=("a/x",)))
    marked = await server.delete(ConfigMap, "cfg")
    with pytest.raises(Invalid) as exc:
        await server.update(meta(marked, finalizers=("a/x", "b/y")))
    [error] = exc.value.errors
    assert (error.path, error.type) == ("metadata.finalizers", ErrorType.FORBIDDEN)


@pytest.mark.parametrize(
    ("policy", "finalizer"), [("Orphan", "orphan"), ("Foreground", "foregroundDeletion")]
)
@in_server
async def test_propagation_policy_adds_the_garbage_collector_finalizer(
    server: APIServer, policy: Any, finalizer: str
) -> None:
    await server.create(deployment())
    marked = await server.delete(Deployment, "web", propagation_policy=policy)
    assert marked.metadata.finalizers == (finalizer,)
    assert marked.metadata.deletion_timestamp is not None
    assert await server.get(Deployment, "web") == marked


@in_server
async def test_delete_preconditions_that_hold_delete(server: APIServer) -> None:
    made = await server.create(config_map())
    m = made.metadata
    held = Preconditions(uid=m.uid, resource_version=m.resource_version)
    await server.delete(ConfigMap, "cfg", preconditions=held)
    assert await server.get_object(ConfigMap, "cfg") is None


@pytest.mark.parametrize(
    ("grace", "requested", "expected"),
    [
        pytest.param(None, None, 30, id="default-30s"),
        pytest.param(10, None, 10, id="terminationGracePeriodSeconds"),
        pytest.param(10, 5, 5, id="requested"),
    ],
)
@in_server
async def test_pod_on_a_node_gets_graceful_deletion(
    server: APIServer, grace: int | None, requested: int | None, expected: int
) -> None:
    await server.create(pod(node="node-1", grace=grace))
    await sleep(3)
    marked = await server.delete(Pod, "web", grace_period_seconds=requested)
    assert marked.metadata.deletion_timestamp == START + timedelta(seconds=3 + expected)
    assert marked.metadata.deletion_grace_period_seconds == expected
    await sleep(expected + 1)  # the grace period passing removes nothing: the kubelet does
    assert await server.get(Pod, "web") == marked
    await server.delete(Pod, "web", grace_period_seconds=0)
    assert await server.get_object(Pod, "web") is None


@pytest.mark.parametrize(("node", "phase"), [("", "Pending"), ("node-1", "Succeeded")])
@in_server
async def test_unscheduled_or_terminal_pod_is_deleted_at_once(
    server: APIServer, node: str, phase: str
) -> None:
    made = await server.create(pod(node=node))
    await server.update_status(status(made, phase=phase))
    await server.delete(Pod, "web")
    assert await server.get_object(Pod, "web") is None


# --- namespaces -------------------------------------------------------------------------------


@in_server
async def test_system_namespaces_exist_at_start(server: APIServer) -> None:
    names = [ns.metadata.name for ns in await server.list(Namespace)]
    assert names == ["default", "kube-node-lease", "kube-system"]
    assert {ns.status.phase for ns in await server.list(Namespace)} == {"Active"}


@in_server
async def test_deleting_a_namespace_makes_it_terminating(server: APIServer) -> None:
    await server.create(Namespace(metadata=ObjectMeta(name="team")))
    marked = await server.delete(Namespace, "team")
    assert marked.status.phase == "Terminating"
    assert marked.spec.finalizers == ("kubernetes",)
    assert marked.metadata.deletion_timestamp is not None
    assert await server.get(Namespace, "team") == marked


@in_server
async def test_finalizing_a_terminating_namespace_removes_it(server: APIServer) -> None:
    await server.create(Namespace(metadata=ObjectMeta(name="team")))
    await server.delete(Namespace, "team")
    await server.finalize_namespace("team", ())
    assert await server.get_object(Namespace, "team") is None


# --- list -------------------------------------------------------------------------------------


async def _populate(server: APIServer) -> None:
    """Pods in two namespaces, some on nodes, one running."""
    await server.create(Namespace(metadata=ObjectMeta(name="team")))
    await server.create(pod("a", labels={"app": "web", "tier": "front"}, node="n1"))
    await server.create(pod("b", labels={"app": "db"}))
    made = await server.create(pod("c", namespace="team", labels={"app": "web"}, node="n2"))
    await server.update_status(status(made, phase="Running"))


def _names(items: Any) -> list[str]:
    return [f"{o.metadata.namespace}/{o.metadata.name}" for o in items]


@in_server
async def test_list_by_namespace_and_across_namespaces(server: APIServer) -> None:
    await _populate(server)
    assert _names(await server.list(Pod, namespace="default")) == ["default/a", "default/b"]
    assert _names(await server.list(Pod, namespace="team")) == ["team/c"]
    assert _names(await server.list(Pod)) == ["default/a", "default/b", "team/c"]


@pytest.mark.parametrize(
    "selector",
    [
        pytest.param("app=web", id="string"),
        pytest.param({"app": "web"}, id="mapping"),
        pytest.param(LabelSelector(match_labels={"app": "web"}), id="LabelSelector"),
    ],
)
@in_server
async def test_list_by_label_selector(server: APIServer, selector: Any) -> None:
    await _populate(server)
    assert _names(await server.list(Pod, label_selector=selector)) == ["default/a", "team/c"]


@pytest.mark.parametrize(
    ("selector", "expected"),
    [
        ("metadata.name=b", ["default/b"]),
        ("metadata.namespace=team", ["team/c"]),
        ("spec.nodeName=n1", ["default/a"]),
        ("spec.nodeName=", ["default/b"]),
        ("spec.nodeName!=", ["default/a", "team/c"]),
        ("status.phase=Running", ["team/c"]),
        ("status.phase==Pending,spec.nodeName!=", ["default/a"]),
    ],
)
@in_server
async def test_list_by_field_selector(
    server: APIServer, selector: str, expected: list[str]
) -> None:
    await _populate(server)
    assert _names(await server.list(Pod, field_selector=selector)) == expected


@in_server
async def test_list_resource_version_is_the_latest(server: APIServer) -> None:
    await _populate(server)
    await server.create(config_map())  # a write to another kind still counts
    listed = await server.list(Pod)
    assert listed.resource_version == str(server.backend.revision)
    assert int(listed.resource_version) > max(int(p.metadata.resource_version) for p in listed)


async def _pages(server: APIServer, limit: int, **filters: Any) -> list[Any]:
    pages = [await server.list(Pod, limit=limit, **filters)]
    while pages[-1].continue_:
        pages.append(await server.list(Pod, limit=limit, continue_=pages[-1].continue_, **filters))
    return pages


@in_server
async def test_pages_return_every_item_once_in_key_order(server: APIServer) -> None:
    await server.create(Namespace(metadata=ObjectMeta(name="team")))
    for i in range(6):
        await server.create(pod(f"p{i}", namespace="team" if i % 2 else "default"))
    pages = await _pages(server, 3)
    assert [len(p) for p in pages] == [3, 3]  # the exactly full last page ends the list
    assert pages[-1].continue_ == ""
    assert {p.resource_version for p in pages} == {pages[0].resource_version}
    listed = [name for page in pages for name in _names(page)]
    assert listed == _names(await server.list(Pod))
    assert listed == sorted(listed)
    assert len(set(listed)) == 6


@in_server
async def test_pages_with_filters_are_filled_with_matches(server: APIServer) -> None:
    for i in range(10):
        await server.create(pod(f"p{i}", labels={"even": str(i % 2 == 0).lower()}))
    pages = await _pages(server, 2, label_selector="even=true")
    assert [len(p) for p in pages] == [2, 2, 1]
    assert [n for p in pages for n in _names(p)] == [f"default/p{i}" for i in (0, 2, 4, 6, 8)]


@in_server
async def test_registered_field_is_selectable(server: APIServer) -> None:
    register_field(ConfigMap, "data.k", lambda cm: cm.data.get("k", ""))
    await server.create(config_map("one"))
    await server.create(attrs.evolve(config_map("two"), data={"k": "other"}))
    listed = await server.list(ConfigMap, field_selector="data.k=other")
    assert _names(listed) == ["default/two"]


# --- admission --------------------------------------------------------------------------------


def _no_execute(p: Pod) -> dict[str, int | None]:
    return {t.key: t.toleration_seconds for t in p.spec.tolerations if t.effect == "NoExecute"}


@in_server
async def test_pods_get_default_not_ready_and_unreachable_tolerations(server: APIServer) -> None:
    made = await server.create(pod())
    assert _no_execute(made) == {NOT_READY: 300, UNREACHABLE: 300}
    assert all(t.operator == "Exists" for t in made.spec.tolerations)


OWN_NOT_READY = Toleration(
    key=NOT_READY, operator="Exists", effect="NoExecute", toleration_seconds=5
)


@pytest.mark.parametrize(
    ("own", "expected"),
    [(OWN_NOT_READY, {NOT_READY: 5, UNREACHABLE: 300}), (Toleration(operator="Exists"), {})],
    ids=["own-not-ready", "tolerates-everything"],
)
@in_server
async def test_default_tolerations_are_not_added_when_the_pod_has_them(
    server: APIServer, own: Toleration, expected: dict[str, int]
) -> None:
    made = await server.create(spec(pod(), tolerations=(own,)))
    assert made.spec.tolerations[0] == own
    assert _no_execute(made) == expected


@in_server
async def test_update_without_default_tolerations_gets_them_again(server: APIServer) -> None:
    made = await server.create(pod())
    sent = spec(_change_image(made), tolerations=())
    updated = await server.update(sent)
    assert updated.spec.tolerations == made.spec.tolerations


@in_server
async def test_defaulting_applies_on_create(server: APIServer) -> None:
    made = await server.create(deployment())
    assert made.spec.replicas == 1
    assert made.spec.revision_history_limit == 10
    assert made.spec.progress_deadline_seconds == 600
    assert made.spec.strategy.type == "RollingUpdate"
    p = await server.create(pod())
    assert (p.spec.restart_policy, p.spec.termination_grace_period_seconds) == ("Always", 30)


class Label(AdmissionPlugin):
    """Mutating: appends its mark to the ``chain`` label of config maps."""

    def __init__(self, mark: str) -> None:
        self.mark = mark

    async def admit(self, request: AdmissionRequest, reader: ObjectReader) -> Any:
        if request.operation is Operation.DELETE or not isinstance(request.obj, ConfigMap):
            return request.obj
        labels = dict(request.obj.metadata.labels)
        labels["chain"] = labels.get("chain", "") + self.mark
        return meta(request.obj, labels=labels)


class RequireChain(AdmissionPlugin):
    """Validating: config maps must carry the ``chain`` label ``ab``; ``blocked`` is refused."""

    async def validate(
        self, request: AdmissionRequest, reader: ObjectReader
    ) -> Sequence[FieldError]:
        if not isinstance(request.obj, ConfigMap):
            return ()
        if request.obj.metadata.name == "blocked":
            raise Forbidden("blocked by policy")
        chain = request.obj.metadata.labels.get("chain")
        if chain != "ab":
            return [invalid("metadata.labels.chain", chain, "must be ab")]
        return ()


@in_server(Label("a"), Label("b"))
async def test_user_mutating_plugins_run_in_chain_order(server: APIServer) -> None:
    made = await server.create(config_map())
    assert made.metadata.labels["chain"] == "ab"


@in_server(RequireChain(), Label("a"), Label("b"))
async def test_user_validating_plugin_sees_every_mutation(server: APIServer) -> None:
    made = await server.create(config_map())  # RequireChain listed first, runs after admits
    assert made.metadata.labels["chain"] == "ab"


@in_server(Label("b"), RequireChain())
async def test_user_validating_plugin_field_error_is_invalid(server: APIServer) -> None:
    with pytest.raises(Invalid) as exc:
        await server.create(config_map())
    [error] = exc.value.errors
    assert (error.path, error.detail) == ("metadata.labels.chain", "must be ab")
    assert await server.get_object(ConfigMap, "cfg") is None


@in_server(Label("a"), Label("b"), RequireChain())
async def test_user_validating_plugin_may_refuse_with_forbidden(server: APIServer) -> None:
    with pytest.raises(Forbidden, match="blocked by policy"):
        await server.create(config_map("blocked"))
    assert await server.get_object(ConfigMap, "blocked") is None


def test_admission_registry_lists_the_built_in_plugins() -> None:
    built_in = ["NamespaceLifecycle", "Defaulting", "DefaultTolerationSeconds", "Validation"]
    assert set(built_in) <= set(ADMISSION_PLUGINS.names())
    assert [type(p).__name__ for p in default_chain()] == built_in
    assert isinstance(ADMISSION_PLUGINS.get("Validation")(), AdmissionPlugin)


# --- the actor --------------------------------------------------------------------------------


@in_server
async def test_actor_serves_create_get_and_list(server: APIServer) -> None:
    ref = spawn_actor(APIServerActor(server), "api")
    made = await ref.ask(Create(config_map()))
    assert await ref.ask(Get(ConfigMap, "cfg", namespace="default")) == made
    listed = await ref.ask(List(ConfigMap, namespace="default"))
    assert list(listed) == [made]
    await ref.stop()


@in_server
async def test_actor_returns_api_errors_and_keeps_serving(server: APIServer) -> None:
    ref = spawn_actor(APIServerActor(server), "api")
    with pytest.raises(NotFound, match='configmaps "missing" not found'):
        await ref.ask(Get(ConfigMap, "missing"))
    await ref.ask(Create(config_map()))
    with pytest.raises(AlreadyExists):
        await ref.ask(Create(config_map()))
    await ref.ask(Delete(ConfigMap, "cfg"))
    assert await server.get_object(ConfigMap, "cfg") is None
    await ref.stop()


# --- failed requests: typed errors, nothing written ------------------------------------------

OTHER_UID = "00000000-0000-4000-8000-000000000000"


def failure(
    case: str,
    error: type[APIError],
    message: str,
    action: Callable[[APIServer], Awaitable[Any]],
    *setup: Any,
) -> Any:
    """A request (``action``, after creating ``setup``) that fails with ``error``."""
    return pytest.param(setup, action, error, message, id=f"{case}-{error.__name__}")


def _patch(patch: Any, patch_type: Any = "merge") -> Callable[[APIServer], Awaitable[Any]]:
    return lambda s: s.patch(Deployment, "web", patch, patch_type=patch_type)


# fmt: off
FAILURES = [
    # create and get
    failure("create-existing", AlreadyExists, 'pods "x" already exists',
            lambda s: s.create(pod("x")), pod("x")),
    failure("create-with-resourceVersion", BadRequest, "resourceVersion should not be set",
            lambda s: s.create(meta(config_map(), resource_version="7"))),
    failure("create-in-missing-namespace", NotFound, 'namespaces "nope" not found',
            lambda s: s.create(config_map(namespace="nope"))),
    failure("get-missing", NotFound, 'deployments.apps "web" not found',
            lambda s: s.get(Deployment, "web")),
    # update
    failure("update-missing", NotFound, 'configmaps "cfg" not found',
            lambda s: s.update(config_map())),
    failure("update-stale-resourceVersion", Conflict, "the object has been modified",
            lambda s: s.update(meta(config_map(), resource_version="1")), config_map()),
    failure("update-other-uid", Conflict, "Precondition failed: UID",
            lambda s: s.update(meta(config_map(), uid=OTHER_UID)), config_map()),
    # patch
    failure("patch-stale-resourceVersion", Conflict, "the object has been modified",
            _patch({"metadata": {"resourceVersion": "1"}}), deployment()),
    failure("merge-patch-not-an-object", BadRequest, "must be a JSON object",
            _patch(["not", "an", "object"]), deployment()),
    failure("json-patch-not-a-list", BadRequest, "must be a list of operations",
            _patch({"op": "add"}, "json"), deployment()),
    failure("json-patch-bad-op", BadRequest, "could not be applied",
            _patch([{"op": "frobnicate", "path": "/spec"}], "json"), deployment()),
    failure("json-patch-missing-path", BadRequest, "could not be applied",
            _patch([{"op": "remove", "path": "/spec/nope"}], "json"), deployment()),
    failure("strategic-patch-not-an-object", BadRequest, "must be a JSON object",
            _patch("spec: {}", "strategic"), deployment()),
    failure("patch-wrong-type", Invalid, 'Deployment.apps "web" is invalid',
            _patch({"spec": {"replicas": "many"}}), deployment()),
    failure("patch-fails-validation", Invalid, "spec.replicas: Invalid value: -1",
            _patch({"spec": {"replicas": -1}}), deployment()),
    failure("patch-changes-kind", Invalid, "kind: Invalid value",
            _patch({"kind": "ReplicaSet"}), deployment()),
    # scale and binding
    failure("get-scale-of-configmap", NotFound, "has no scale subresource",
            lambda s: s.get_scale(ConfigMap, "cfg"), config_map()),
    failure("update-scale-of-configmap", NotFound, "has no scale subresource",
            lambda s: s.update_scale(ConfigMap, "cfg", 2), config_map()),
    failure("scale-to-negative", Invalid, "spec.replicas: Invalid value: -1",
            lambda s: s.update_scale(Deployment, "web", -1), deployment()),
    failure("scale-stale-resourceVersion", Conflict, "the object has been modified",
            lambda s: s.update_scale(Deployment, "web", 2, resource_version="1"), deployment()),
    failure("bind-assigned-pod", Conflict, 'already assigned to node "node-1"',
            lambda s: s.bind("web", "node-2"), pod(node="node-1")),
    # delete
    failure("delete-missing", NotFound, 'configmaps "cfg" not found',
            lambda s: s.delete(ConfigMap, "cfg")),
    failure("delete-uid-precondition", Conflict, f"UID in precondition: {OTHER_UID}",
            lambda s: s.delete(ConfigMap, "cfg", preconditions=Preconditions(uid=OTHER_UID)),
            config_map()),
    failure("delete-resourceVersion-precondition", Conflict, "ResourceVersion in precondition: 1",
            lambda s: s.delete(ConfigMap, "cfg", preconditions=Preconditions(resource_version="1")),
            config_map()),
    *(failure(f"delete-{ns}", Forbidden, f'namespaces "{ns}" is forbidden: this namespace may not be deleted',
              lambda s, ns=ns: s.delete(Namespace, ns))
      for ns in ("default", "kube-system", "kube-node-lease")),
    # list
    *(failure(f"field-selector-{selector}", BadRequest, message,
              lambda s, f=selector: s.list(ConfigMap, field_selector=f), config_map())
      for selector, message in [("spec.nope=x", "field label not supported: spec.nope"),
                                ("status.phase=Running", "field label not supported: status.phase"),
                                ("garbage", "is not field=value")]),
    failure("bad-continue-token", BadRequest, "invalid continue token",
            lambda s: s.list(Pod, limit=1, continue_="not-a-token!")),
]
# fmt: on


@pytest.mark.parametrize(("setup", "action", "error", "message"), FAILURES)
@in_server
async def test_failed_request_raises_typed_error_and_writes_nothing(
    server: APIServer,
    setup: Sequence[Any],
    action: Callable[[APIServer], Awaitable[Any]],
    error: type[APIError],
    message: str,
) -> None:
    stored = [await server.create(obj) for obj in setup]
    revision = server.backend.revision
    with pytest.raises(error) as exc:
        await action(server)
    assert message in str(exc.value)
    assert (exc.value.status.reason, exc.value.status.code) == (error.reason, error.code)
    assert server.backend.revision == revision
    for obj in stored:
        assert await server.get(type(obj), obj.metadata.name) == obj


# --- Status -----------------------------------------------------------------------------------


@in_server
async def test_not_found_status_wire_form(server: APIServer) -> None:
    with pytest.raises(NotFound) as exc:
        await server.get(Deployment, "web")
    assert exc.value.status.to_dict() == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": 'deployments.apps "web" not found',
        "reason": "NotFound",
        "code": 404,
        "details": {"name": "web", "group": "apps", "kind": "deployments"},
    }
