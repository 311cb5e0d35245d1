"""The API server against the shared manifests: every invalid one is rejected naming its field
with nothing stored, every valid one applies and reads back, and a multi-object apply either
stores nothing or says exactly what it stored."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import attrs
import pytest

from kube_actors.api import (
    REGISTRY,
    ConfigMap,
    Deployment,
    LabelSelector,
    ManifestError,
    Namespace,
    ObjectMeta,
    Pod,
    load_manifests,
)
from kube_actors.runtime import simulate, sleep, spawn
from kube_actors.store import (
    AdmissionPlugin,
    AdmissionRequest,
    AlreadyExists,
    APIServer,
    ApplyError,
    Conflict,
    Invalid,
    NotFound,
    ObjectReader,
    default_chain,
)
from tests.conftest import SHARED_MANIFESTS

T = TypeVar("T")

VALID = sorted(SHARED_MANIFESTS.glob("*.yaml"))
INVALID = sorted((SHARED_MANIFESTS / "invalid").glob("*.yaml"))
SYSTEM_NAMESPACES = ("default", "kube-system", "kube-node-lease")


def run(main: Callable[[], Awaitable[T]]) -> T:
    """Run ``main`` in virtual time."""
    return simulate(main, seed=0).value


def _comment(path: Path) -> str:
    first = path.read_text().splitlines()[0]
    assert first.startswith("# invalid: "), f"{path.name}: first line must say what is wrong"
    return first.removeprefix("# invalid: ")


def _named_field(path: Path) -> str:
    """The field path the file's comment starts with (``spec.replica``, ``metadata.name``)."""
    return _comment(path).split()[0]


def _kinds(objects: Sequence[Any]) -> list[type[Any]]:
    return list(dict.fromkeys(type(o) for o in objects))


async def _stored_names(server: APIServer, cls: type[Any]) -> list[str]:
    items = await server.list(cls)
    names = [o.metadata.name for o in items]
    if cls is Namespace:
        names = [n for n in names if n not in SYSTEM_NAMESPACES]
    return names


def _with_namespaces(objects: Sequence[Any]) -> list[Any]:
    """``objects``, after a Namespace for each namespace they use that is neither a system one
    nor created by ``objects`` themselves (apply creates them before their contents)."""
    created = {o.metadata.name for o in objects if isinstance(o, Namespace)}
    needed = sorted(
        {
            o.metadata.namespace
            for o in objects
            if REGISTRY.for_class(type(o)).namespaced and o.metadata.namespace
        }
        - created
        - set(SYSTEM_NAMESPACES)
    )
    return [Namespace(metadata=ObjectMeta(name=n)) for n in needed] + list(objects)


def _key(obj: Any) -> tuple[str, str, str]:
    info = REGISTRY.for_class(type(obj))
    namespace = (obj.metadata.namespace or "default") if info.namespaced else ""
    return info.kind, namespace, obj.metadata.name


# --- invalid manifests: rejected with their field path, nothing stored ------------------------


def test_invalid_manifests_are_found() -> None:
    assert len(INVALID) >= 7, INVALID


def _server_side(path: Path) -> list[Any] | None:
    """The objects of an invalid manifest that loads without client-side validation (so only
    the server can refuse it), or None if it cannot be loaded at all."""
    try:
        return load_manifests(path, validate=False)
    except ManifestError:
        return None


def test_some_invalid_manifests_reach_the_server() -> None:
    # Those that load without client-side validation are the server's to refuse: if they all
    # stopped loading, the server-side half of the test below would check nothing.
    reaching = {p.name for p in INVALID if _server_side(p) is not None}
    assert {"bad-name.yaml", "both-zero.yaml", "selector-mismatch.yaml"} <= reaching


@pytest.mark.parametrize("path", INVALID, ids=lambda p: p.name)
def test_invalid_manifest_is_rejected_with_its_field_path(path: Path) -> None:
    objects = _server_side(path)
    if objects is None:
        # Broken YAML, unknown kind, unknown field, bad quantity: no object can be built.
        _check_load_error(path)
    else:
        _check_server_refuses(path, objects)


def _check_load_error(path: Path) -> None:
    comment = _comment(path)
    named = _named_field(path)
    with pytest.raises(ManifestError) as caught:
        load_manifests(path, validate=False)
    err = caught.value
    assert err.source == str(path)
    assert err.document == 1
    if "." in named:
        assert err.path == named, str(err)
    elif named == "kind":
        assert err.path == "kind", str(err)
        assert comment.split()[1] in err.message, str(err)  # the misspelt kind
    else:
        assert "YAML" in comment, comment
        line = comment.split("line ")[1].rstrip(")")
        assert f"invalid YAML at line {line}," in err.message, str(err)


async def _write(server: APIServer, objects: Sequence[Any], how: str) -> None:
    if how == "apply":
        await server.apply(objects)
        return
    for obj in objects:
        await server.create(obj, dry_run=how == "create dry run")


def _check_server_refuses(path: Path, objects: list[Any]) -> None:
    named = _named_field(path)
    # It loads, so it is a server-side error: the comment names a field path.
    assert "." in named, f"{path.name}: the comment should start with the field path"
    assert objects, path
    # The client-side check agrees with the server about where the problem is.
    with pytest.raises(ManifestError) as client_side:
        load_manifests(path)
    assert client_side.value.path == named

    async def main() -> None:
        for how in ("create", "create dry run", "apply"):
            server = await APIServer.start()
            revision = server.backend.revision
            with pytest.raises(Invalid) as caught:
                await _write(server, objects, how)
            error = caught.value
            paths = [e.path for e in error.errors]
            assert named in paths, (how, str(error))
            assert named in error.message, (how, error.message)
            assert error.status.code == 422
            assert error.status.details is not None
            assert named in [c.field for c in error.status.details.causes]
            assert server.backend.revision == revision, how
            for cls in _kinds(objects):
                assert await _stored_names(server, cls) == [], (how, cls)

    run(main)


# --- valid manifests: apply cleanly, read back ------------------------------------------------


def test_valid_manifests_are_found() -> None:
    assert len(VALID) >= 12, VALID


@pytest.mark.parametrize("path", VALID, ids=lambda p: p.name)
def test_valid_manifest_applies_and_reads_back(path: Path) -> None:
    objects = _with_namespaces(load_manifests(path))

    async def main() -> None:
        server = await APIServer.start()
        revision = server.backend.revision
        applied = await server.apply(objects)
        assert len(applied) == len(objects)
        assert server.backend.revision == revision + len(objects)
        for original, stored in zip(objects, applied, strict=True):
            assert type(stored) is type(original)
            assert _key(stored) == _key(original)
            meta = stored.metadata
            assert meta.uid
            assert meta.resource_version
            assert meta.creation_timestamp is not None
            assert meta.generation == 1
            # Defaulting may add labels (kubernetes.io/metadata.name on a Namespace, the
            # template's labels on a ReplicationController without any), never drop one.
            assert meta.labels.items() >= original.metadata.labels.items()
            assert meta.annotations == original.metadata.annotations
            read = await server.get(type(original), meta.name, namespace=meta.namespace)
            assert read == stored
        for cls in _kinds(objects):
            want = sorted(o.metadata.name for o in objects if type(o) is cls)
            assert sorted(await _stored_names(server, cls)) == want

    run(main)


def test_whole_directory_applies_in_one_call() -> None:
    # Sorted by file name, namespace-dev.yaml comes before the deployments in namespace dev.
    objects = load_manifests(SHARED_MANIFESTS)
    assert any(isinstance(o, Namespace) and o.metadata.name == "dev" for o in objects)

    async def main() -> None:
        server = await APIServer.start()
        revision = server.backend.revision
        applied = await server.apply(objects)
        assert server.backend.revision == revision + len(objects)
        assert [_key(o) for o in applied] == [_key(o) for o in objects]
        # pc-deployment-recreate.yaml and pc-deployment.yaml name the same Deployment: the
        # later one replaces the earlier (a spec change, so generation 2). The last write wins.
        last = {_key(o): o for o in applied}
        assert len(last) < len(applied)
        for stored in last.values():
            meta = stored.metadata
            assert await server.get(type(stored), meta.name, namespace=meta.namespace) == stored
        deployment = last[("Deployment", "dev", "pc-deployment")]
        assert deployment.metadata.generation == 2
        assert deployment.spec.strategy.type == "RollingUpdate"

    run(main)


@pytest.mark.parametrize("path", VALID, ids=lambda p: p.name)
def test_reapplying_an_unchanged_manifest_changes_nothing(path: Path) -> None:
    objects = _with_namespaces(load_manifests(path))

    async def main() -> None:
        server = await APIServer.start()
        first = await server.apply(objects)
        revision = server.backend.revision
        again = await server.apply(objects)
        assert server.backend.revision == revision  # no write, no event
        assert again == first

    run(main)


@pytest.mark.xfail(
    strict=True,
    raises=Invalid,
    reason="apply replaces instead of merging: it drops spec.nodeName, which the scheduler's "
    "binding set, and the pod update rules refuse that; kubectl apply's three-way merge leaves "
    "fields it did not set alone, so re-applying the unchanged manifest is a no-op upstream",
)
def test_reapplying_a_scheduled_pod_manifest_changes_nothing() -> None:
    objects = load_manifests(SHARED_MANIFESTS / "nginx-pod.yaml")

    async def main() -> None:
        server = await APIServer.start()
        [pod] = await server.apply(objects)
        bound = await server.bind(pod.metadata.name, "node-1", namespace=pod.metadata.namespace)
        revision = server.backend.revision
        [again] = await server.apply(objects)
        assert server.backend.revision == revision
        assert again == bound

    run(main)


def test_namespace_created_by_the_same_apply_counts_for_the_dry_run() -> None:
    [pod] = load_manifests(SHARED_MANIFESTS / "nginx-pod.yaml")
    pod = attrs.evolve(pod, metadata=attrs.evolve(pod.metadata, namespace="team"))

    async def main() -> None:
        server = await APIServer.start()
        # Without the namespace: refused before anything is written.
        revision = server.backend.revision
        with pytest.raises(NotFound):
            await server.apply([ConfigMap(metadata=ObjectMeta(name="c")), pod])
        assert server.backend.revision == revision
        assert await _stored_names(server, ConfigMap) == []
        # With it, earlier in the same apply: both are stored.
        applied = await server.apply([Namespace(metadata=ObjectMeta(name="team")), pod])
        assert [_key(o) for o in applied] == [
            ("Namespace", "", "team"),
            ("Pod", "team", pod.metadata.name),
        ]

    run(main)


def test_namespace_listed_after_its_contents_is_not_half_applied() -> None:
    [pod] = load_manifests(SHARED_MANIFESTS / "nginx-pod.yaml")
    pod = attrs.evolve(pod, metadata=attrs.evolve(pod.metadata, namespace="later"))
    objects = [
        ConfigMap(metadata=ObjectMeta(name="c")),
        pod,
        Namespace(metadata=ObjectMeta(name="later")),
    ]

    async def main() -> None:
        server = await APIServer.start()
        revision = server.backend.revision
        try:
            await server.apply(objects)
        except ApplyError as error:
            pytest.fail(f"half-applied: {error}")
        except NotFound:
            # Refused by the dry run: acceptable if nothing was stored.
            assert server.backend.revision == revision
            return
        # Or the namespace went first: everything is stored.
        assert await server.get(Pod, pod.metadata.name, namespace="later")

    run(main)


# --- a multi-object apply with an invalid object stores nothing --------------------------------


def _valid_batch() -> list[Any]:
    """A namespace, a config map in it and a deployment in it, all valid."""
    [deployment] = load_manifests(SHARED_MANIFESTS / "pc-deployment.yaml")
    deployment = attrs.evolve(
        deployment, metadata=attrs.evolve(deployment.metadata, namespace="team")
    )
    return [
        Namespace(metadata=ObjectMeta(name="team")),
        ConfigMap(metadata=ObjectMeta(name="settings", namespace="team"), data={"a": "1"}),
        deployment,
    ]


def _invalid_objects() -> list[tuple[Any, str]]:
    """Every invalid manifest that loads (the server must refuse it), with its field path."""
    out = []
    for path in INVALID:
        objects = _server_side(path)
        out += [(obj, _named_field(path)) for obj in objects or ()]
    return out


@pytest.mark.parametrize("position", [0, 1, 2, 3], ids=lambda i: f"invalid-at-{i}")
def test_apply_with_one_invalid_object_stores_nothing(position: int) -> None:
    invalid_objects = _invalid_objects()
    assert invalid_objects

    async def main() -> None:
        for bad, field in invalid_objects:
            objects = _valid_batch()
            objects.insert(position, bad)
            server = await APIServer.start()
            revision = server.backend.revision
            with pytest.raises(Invalid) as caught:
                await server.apply(objects)
            assert field in [e.path for e in caught.value.errors]
            assert server.backend.revision == revision
            for cls in _kinds(objects):
                assert await _stored_names(server, cls) == [], cls

    run(main)


def test_apply_with_an_invalid_update_stores_nothing() -> None:
    async def main() -> None:
        server = await APIServer.start()
        batch = _valid_batch()
        await server.apply(batch)
        revision = server.backend.revision
        _namespace, _config, deployment = batch
        # A selector is immutable: the replacement is refused by the dry run of its update.
        changed = attrs.evolve(
            deployment,
            spec=attrs.evolve(
                deployment.spec,
                selector=LabelSelector(match_labels={"app": "other"}),
                template=attrs.evolve(
                    deployment.spec.template,
                    metadata=attrs.evolve(
                        deployment.spec.template.metadata, labels={"app": "other"}
                    ),
                ),
            ),
        )
        new_config = ConfigMap(metadata=ObjectMeta(name="new", namespace="team"))
        with pytest.raises(Invalid) as caught:
            await server.apply([new_config, changed])
        assert "spec.selector" in [e.path for e in caught.value.errors]
        assert server.backend.revision == revision
        assert await _stored_names(server, ConfigMap) == ["settings"]
        stored = await server.get(Deployment, deployment.metadata.name, namespace="team")
        assert stored.spec.selector == deployment.spec.selector

    run(main)


# --- a write that fails after the dry run: ApplyError says exactly what was stored ------------


class SlowWebhook(AdmissionPlugin):
    """A mutating webhook that takes a second to answer real (not dry-run) writes: the window in
    which another client's write can land between an apply's dry run and its own write."""

    name = "SlowWebhook"

    async def admit(self, request: AdmissionRequest, reader: ObjectReader) -> Any:
        if not request.dry_run:
            await sleep(1.0)
        return request.obj


def _slow_server_and_peer() -> tuple[APIServer, APIServer]:
    """Two API servers over one store (as in an HA control plane): ``slow`` with the webhook,
    ``peer`` with the default chain, for the concurrent writer."""
    slow = APIServer(admission=[*default_chain(), SlowWebhook()])
    return slow, APIServer(slow.backend)


def _three_config_maps() -> list[ConfigMap]:
    return [
        ConfigMap(metadata=ObjectMeta(name=name), data={"from": "apply"})
        for name in ("first", "second", "third")
    ]


def test_apply_create_losing_a_race_reports_what_was_stored() -> None:
    objects = _three_config_maps()

    async def main() -> None:
        slow, peer = _slow_server_and_peer()
        await peer.create(Namespace(metadata=ObjectMeta(name="default")))
        revision = slow.backend.revision

        async def concurrent_writer() -> None:
            # Apply writes "first" at t=1 and "second" at t=2 (each waits on the webhook);
            # the peer takes the name "second" in between.
            await sleep(1.5)
            await peer.create(ConfigMap(metadata=ObjectMeta(name="second"), data={"from": "peer"}))

        spawn(concurrent_writer(), "peer")
        with pytest.raises(ApplyError) as caught:
            await slow.apply(objects)
        error = caught.value
        assert isinstance(error.error, AlreadyExists)
        assert error.failed is objects[1]
        assert [o.metadata.name for o in error.applied] == ["first"]
        # Exactly what applied says was stored is stored, as it was returned.
        assert error.applied[0] == await slow.get(ConfigMap, "first")
        assert (await slow.get(ConfigMap, "second")).data == {"from": "peer"}
        with pytest.raises(NotFound):
            await slow.get(ConfigMap, "third")
        assert slow.backend.revision == revision + 2  # first (apply) and second (peer)
        assert str(error).startswith("ConfigMap default/second: ")
        assert "applied before it: ConfigMap default/first" in str(error)

    run(main)


def test_apply_update_losing_a_race_reports_what_was_stored() -> None:
    objects = _three_config_maps()

    async def main() -> None:
        slow, peer = _slow_server_and_peer()
        await peer.create(Namespace(metadata=ObjectMeta(name="default")))
        # "first" exists: apply replaces it; "second" is new; "third" exists.
        await peer.create(ConfigMap(metadata=ObjectMeta(name="first"), data={"old": "1"}))
        await peer.create(ConfigMap(metadata=ObjectMeta(name="third"), data={"old": "3"}))
        revision = slow.backend.revision

        async def concurrent_writer() -> None:
            # Apply's replacement of "first" reads it at t=0 and writes it at t=1.
            await sleep(0.5)
            await peer.update(ConfigMap(metadata=ObjectMeta(name="first"), data={"peer": "1"}))

        spawn(concurrent_writer(), "peer")
        with pytest.raises(ApplyError) as caught:
            await slow.apply(objects)
        error = caught.value
        assert isinstance(error.error, Conflict)
        assert error.failed is objects[0]
        assert error.applied == ()
        assert (await slow.get(ConfigMap, "first")).data == {"peer": "1"}
        with pytest.raises(NotFound):
            await slow.get(ConfigMap, "second")
        assert (await slow.get(ConfigMap, "third")).data == {"old": "3"}
        assert slow.backend.revision == revision + 1  # the peer's update only

    run(main)
