"""The admission chain's request-free paths: the default chain and chains of built-in plugins
give what the plugins' own ``admit``/``validate`` give, subclasses keep their overrides, and
user plugins still see every field of the write."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

import pytest

from kube_actors.api import (
    Container,
    Namespace,
    Node,
    NodeStatus,
    ObjectMeta,
    Pod,
    PodSpec,
    PodStatus,
    Toleration,
    parse_quantity,
    replace,
)
from kube_actors.api.validation import FieldError, invalid
from kube_actors.runtime import simulate
from kube_actors.store import (
    AdmissionPlugin,
    AdmissionRequest,
    APIError,
    APIServer,
    Defaulting,
    DefaultTolerationSeconds,
    Invalid,
    NamespaceLifecycle,
    ObjectReader,
    Operation,
    Validation,
    default_chain,
)
from kube_actors.store.admission import admit_write, run_admission

T = TypeVar("T")


def run(main: Callable[[], Awaitable[T]]) -> T:
    """Run ``main`` in virtual time."""
    return simulate(main, seed=0).value


class Passthrough(AdmissionPlugin):
    """Overrides both hooks without changing anything: forces requests to be built."""

    async def admit(self, request: AdmissionRequest, reader: ObjectReader) -> Any:
        return request.obj

    async def validate(
        self, request: AdmissionRequest, reader: ObjectReader
    ) -> Sequence[FieldError]:
        return ()


class Recorder(AdmissionPlugin):
    """Remembers the pod requests its hooks were given."""

    def __init__(self) -> None:
        self.admitted: list[AdmissionRequest] = []
        self.validated: list[AdmissionRequest] = []

    async def admit(self, request: AdmissionRequest, reader: ObjectReader) -> Any:
        if isinstance(request.obj, Pod):
            self.admitted.append(request)
        return request.obj

    async def validate(
        self, request: AdmissionRequest, reader: ObjectReader
    ) -> Sequence[FieldError]:
        if isinstance(request.obj, Pod):
            self.validated.append(request)
        return ()


def pod(name: str = "web", **spec: Any) -> Pod:
    return Pod(
        metadata=ObjectMeta(name=name, namespace="default"),
        spec=PodSpec(containers=(Container(name="app", image="nginx"),), **spec),
    )


WRITES: list[tuple[str, Operation, str, Callable[[Pod], Any], bool]] = [
    # (id, operation, subresource, object from the stored pod, old is the stored pod)
    ("create", Operation.CREATE, "", lambda p: pod("new"), False),
    (
        "create tolerating",
        Operation.CREATE,
        "",
        lambda p: pod("tol", tolerations=(Toleration(operator="Exists"),)),
        False,
    ),
    ("create invalid", Operation.CREATE, "", lambda p: pod("Bad_Name"), False),
    (
        "create in missing namespace",
        Operation.CREATE,
        "",
        lambda p: replace(pod("x"), metadata=ObjectMeta(name="x", namespace="nope")),
        False,
    ),
    ("update", Operation.UPDATE, "", lambda p: p, True),
    (
        "update forbidden",
        Operation.UPDATE,
        "",
        lambda p: replace(p, spec=replace(p.spec, restart_policy="Never")),
        True,
    ),
    (
        "binding",
        Operation.UPDATE,
        "binding",
        lambda p: replace(p, spec=replace(p.spec, node_name="n1")),
        True,
    ),
    (
        "status",
        Operation.UPDATE,
        "status",
        lambda p: replace(p, status=PodStatus(phase="Running")),
        True,
    ),
    ("delete", Operation.DELETE, "", lambda p: p, True),
]


async def _outcome(
    plugins: Sequence[AdmissionPlugin], server: APIServer, stored: Pod, write: Any
) -> Any:
    _, operation, subresource, make, with_old = write
    obj = make(stored)
    info = server.registry.for_class(Pod)
    old = stored if with_old else None
    namespace, name = obj.metadata.namespace, obj.metadata.name
    try:
        return await admit_write(
            plugins, server, operation, info, obj, old, namespace, name, subresource
        )
    except APIError as e:
        return type(e), str(e)


@pytest.mark.parametrize("write", WRITES, ids=[w[0] for w in WRITES])
def test_default_chain_gives_what_the_plugin_hooks_give(write: Any) -> None:
    async def main() -> None:
        server = await APIServer.start()
        stored = await server.create(pod())
        fast = await _outcome(default_chain(), server, stored, write)
        # A fifth plugin and a shuffled order take the general path, with requests.
        general = await _outcome([*default_chain(), Passthrough()], server, stored, write)
        assert fast == general
        # The plugins' own hooks, through a request.
        info = server.registry.for_class(Pod)
        _, operation, subresource, make, with_old = write
        obj = make(stored)
        request = AdmissionRequest(
            operation=operation,
            info=info,
            obj=obj,
            old=stored if with_old else None,
            namespace=obj.metadata.namespace,
            name=obj.metadata.name,
            subresource=subresource,
        )
        by_hooks: Any = obj
        try:
            for plugin in default_chain():
                by_hooks = await plugin.admit(replace(request, obj=by_hooks), server)
            errors: list[FieldError] = []
            for plugin in default_chain():
                errors += await plugin.validate(replace(request, obj=by_hooks), server)
            if errors:
                raise Invalid.of(info, obj.metadata.name, errors)
        except APIError as e:
            by_hooks = (type(e), str(e))
        assert fast == by_hooks
        try:
            by_request = await run_admission(default_chain(), request, server)
        except APIError as e:
            by_request = (type(e), str(e))
        assert by_request == fast

    run(main)


def test_status_rules_run_on_status_writes() -> None:
    async def main() -> None:
        server = await APIServer.start()
        node = await server.create(Node(metadata=ObjectMeta(name="n1")))
        bad = replace(node, status=NodeStatus(capacity={"cpu": parse_quantity("-1")}))
        for plugins in (default_chain(), [Passthrough(), *default_chain()]):
            info = server.registry.for_class(Node)
            with pytest.raises(Invalid) as exc:
                await admit_write(
                    plugins, server, Operation.UPDATE, info, bad, node, "", "n1", "status"
                )
            assert [e.path for e in exc.value.errors] == ["status.capacity.cpu"]

    run(main)


def test_a_subclass_of_a_built_in_plugin_keeps_its_override() -> None:
    class StrictValidation(Validation):
        async def validate(
            self, request: AdmissionRequest, reader: ObjectReader
        ) -> Sequence[FieldError]:
            errors = list(await super().validate(request, reader))
            if isinstance(request.obj, Pod) and request.obj.metadata.labels.get("team") is None:
                errors.append(invalid("metadata.labels.team", None, "required here"))
            return errors

    class NoDefaults(Defaulting):
        async def admit(self, request: AdmissionRequest, reader: ObjectReader) -> Any:
            return request.obj

    async def main() -> None:
        chain = [NamespaceLifecycle(), NoDefaults(), DefaultTolerationSeconds(), StrictValidation()]
        server = await APIServer.start(admission=chain)
        with pytest.raises(Invalid) as exc:
            await server.create(pod())
        # No defaults: restartPolicy is missing, and the subclass's own rule applies.
        assert [e.path for e in exc.value.errors] == [
            "spec.restartPolicy",
            "metadata.labels.team",
        ]

    run(main)


def test_user_plugins_see_every_field_of_each_write() -> None:
    async def main() -> None:
        recorder = Recorder()
        server = await APIServer.start(admission=[*default_chain(), recorder])
        made = await server.create(pod(), dry_run=True)
        made = await server.create(pod())
        bound = await server.bind("web", "n1")
        await server.update_status(replace(bound, status=PodStatus(phase="Running")))
        await server.delete(Pod, "web")
        seen = [
            (r.operation, r.subresource, r.namespace, r.name, r.dry_run, r.old is not None)
            for r in recorder.validated
        ]
        assert seen == [
            (Operation.CREATE, "", "default", "web", True, False),
            (Operation.CREATE, "", "default", "web", False, False),
            (Operation.UPDATE, "binding", "default", "web", False, True),
            (Operation.UPDATE, "status", "default", "web", False, True),
            (Operation.DELETE, "", "default", "web", False, True),
        ]
        assert [r.operation for r in recorder.admitted] == [r[0] for r in seen]
        # Validators see the object after every admit: defaulted and tolerating.
        created = recorder.validated[1].obj
        assert created.spec.restart_policy == "Always"
        assert {t.key for t in created.spec.tolerations} == {
            "node.kubernetes.io/not-ready",
            "node.kubernetes.io/unreachable",
        }
        assert replace(created, metadata=made.metadata) == made  # stored: resourceVersion set

    run(main)


def test_system_namespaces_cannot_be_deleted_through_the_default_chain() -> None:
    async def main() -> None:
        server = await APIServer.start()
        with pytest.raises(APIError, match="may not be deleted"):
            await server.delete(Namespace, "kube-system")

    run(main)
