"""The admission chain: ordered plugins that may change (admit) and check (validate) every write.

Each write runs every plugin's :meth:`~AdmissionPlugin.admit` in chain order, then every
plugin's :meth:`~AdmissionPlugin.validate` in chain order, as upstream runs mutating then
validating admission. Field errors from all validators are reported together as one
``Invalid`` (422); a validator that raises (``Forbidden``, ``NotFound``) stops the write at once.
Nothing is stored until the whole chain has passed.

The default chain, in order:

- ``NamespaceLifecycle``: a namespaced object may only be created in a namespace that exists
  and is not terminating; the system namespaces cannot be deleted.
- ``Defaulting``: upstream defaults of the kind (:func:`kube_actors.api.default_object`).
- ``DefaultTolerationSeconds``: pods get 300 s ``NoExecute`` tolerations of
  ``node.kubernetes.io/not-ready`` and ``.../unreachable`` unless they tolerate them already.
- ``Validation``: every field error of the kind's validation
  (:func:`kube_actors.api.validate_object`, which includes selector-matches-template for the
  workload kinds), plus the update rules (immutable selectors, pod spec updates); a status
  write is checked with the kind's status rules only.

Users add plugins by subclassing :class:`AdmissionPlugin` and passing instances to the API
server (``APIServer(admission=default_chain() + [MyPlugin()])``), or register a factory with
:data:`ADMISSION_PLUGINS` (in code, or through the ``kube_actors.admission_plugins`` entry
point group) and name it.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from typing import Any, Protocol

import attrs

from kube_actors.api import (
    ConfigMap,
    KindInfo,
    Namespace,
    Pod,
    PodSpec,
    Secret,
    Service,
    StatefulSet,
    Toleration,
    default_object,
    replace,
    replacer,
    validate_object,
)
from kube_actors.api._memo import IdentityMemo
from kube_actors.api.batch import Job
from kube_actors.api.validation import FieldError, forbidden, invalid, validate_status
from kube_actors.runtime import PluginRegistry
from kube_actors.store.errors import Forbidden, Invalid, NotFound

__all__ = [
    "ADMISSION_PLUGINS",
    "SYSTEM_NAMESPACES",
    "AdmissionPlugin",
    "AdmissionRequest",
    "DefaultTolerationSeconds",
    "Defaulting",
    "NamespaceLifecycle",
    "ObjectReader",
    "Operation",
    "Validation",
    "admit_write",
    "default_chain",
    "run_admission",
]

#: Namespaces that exist from the start and cannot be deleted.
SYSTEM_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")


class Operation(enum.StrEnum):
    """What a write does."""

    CREATE = "CREATE"
    UPDATE = "UPDATE"
    DELETE = "DELETE"


# Reading an enum member through its class runs a descriptor (a few hundred ns on 3.11): the
# paths every write takes compare against these instead.
_CREATE, _UPDATE, _DELETE = Operation.CREATE, Operation.UPDATE, Operation.DELETE


@attrs.frozen(kw_only=True)
class AdmissionRequest:
    """One write, as admission plugins see it.

    ``obj`` is the object as it would be stored (for ``DELETE``, the current object); ``old``
    is the stored object an ``UPDATE`` or ``DELETE`` replaces. ``subresource`` is ``""``,
    ``"status"``, ``"scale"`` or ``"binding"``.
    """

    operation: Operation
    info: KindInfo
    obj: Any
    old: Any | None = None
    namespace: str = ""
    name: str = ""
    subresource: str = ""
    dry_run: bool = False


class ObjectReader(Protocol):
    """Read access to the store for plugins that look at other objects."""

    async def get_object(self, cls: type[Any], name: str, namespace: str = "") -> Any | None:
        """The stored object, or ``None``."""
        ...


class AdmissionPlugin:
    """Base class of admission plugins: override :meth:`admit`, :meth:`validate` or both."""

    #: The plugin's name in error messages and configuration.
    name: str = ""

    async def admit(self, request: AdmissionRequest, reader: ObjectReader) -> Any:
        """Return the object to store (``request.obj`` or a changed copy); may raise an
        ``APIError`` to refuse the write."""
        return request.obj

    async def validate(
        self, request: AdmissionRequest, reader: ObjectReader
    ) -> Sequence[FieldError]:
        """Return field errors of ``request.obj`` (reported as ``Invalid``), or raise an
        ``APIError`` to refuse the write."""
        return ()

    def __repr__(self) -> str:
        return f"<admission plugin {self.name or type(self).__name__}>"


class NamespaceLifecycle(AdmissionPlugin):
    """Creates need an existing, active namespace; system namespaces cannot be deleted."""

    name = "NamespaceLifecycle"

    def __init__(self, protected: Sequence[str] = SYSTEM_NAMESPACES) -> None:
        self.protected = frozenset(protected)

    async def validate(
        self, request: AdmissionRequest, reader: ObjectReader
    ) -> Sequence[FieldError]:
        return await self._check(
            request.operation, request.info, request.namespace, request.name, reader
        )

    async def _check(
        self, operation: Operation, info: KindInfo, namespace: str, name: str, reader: ObjectReader
    ) -> Sequence[FieldError]:
        if operation is _DELETE:
            if info.cls is Namespace and name in self.protected:
                raise Forbidden.of(info, name, "this namespace may not be deleted")
            return ()
        if operation is not _CREATE or not info.namespaced:
            return ()
        found = await reader.get_object(Namespace, namespace)
        if found is None:
            raise NotFound.of(_NAMESPACE_INFO(), namespace)
        if found.metadata.deletion_timestamp is not None or found.status.phase == "Terminating":
            raise Forbidden.of(
                info,
                name,
                f"unable to create new content in namespace {namespace} because it "
                "is being terminated",
            )
        return ()


def _NAMESPACE_INFO() -> KindInfo:
    from kube_actors.api import REGISTRY

    return REGISTRY.for_class(Namespace)


class Defaulting(AdmissionPlugin):
    """Fill in the kind's upstream defaults on create and update."""

    name = "Defaulting"

    async def admit(self, request: AdmissionRequest, reader: ObjectReader) -> Any:
        return self._admit(request.operation, request.obj, request.subresource)

    @staticmethod
    def _admit(operation: Operation, obj: Any, subresource: str) -> Any:
        # A subresource write changes only its part (status, nodeName, replicas); the rest is
        # the stored object, defaulted when it was written.
        if operation is _DELETE or subresource:
            return obj
        return default_object(obj)


NOT_READY = "node.kubernetes.io/not-ready"
UNREACHABLE = "node.kubernetes.io/unreachable"


class DefaultTolerationSeconds(AdmissionPlugin):
    """Pods tolerate ``not-ready`` and ``unreachable`` NoExecute taints for 300 s (unless they
    already tolerate them), so a node failure evicts them after five minutes. Runs on create
    and update, as upstream's plugin does."""

    name = "DefaultTolerationSeconds"

    def __init__(self, not_ready_seconds: int = 300, unreachable_seconds: int = 300) -> None:
        self.not_ready_seconds = not_ready_seconds
        self.unreachable_seconds = unreachable_seconds
        # Pods of one template share their spec object: give them one tolerated spec object
        # too, so what later steps memoize by identity is computed once per template.
        self._specs: IdentityMemo[PodSpec] = IdentityMemo(1024)

    async def admit(self, request: AdmissionRequest, reader: ObjectReader) -> Any:
        return self._admit(request.operation, request.obj, request.subresource)

    def _admit(self, operation: Operation, pod: Any, subresource: str) -> Any:
        if operation is _DELETE or subresource or not isinstance(pod, Pod):
            return pod
        spec = self._specs.get(pod.spec)
        if spec is None:
            spec = self._tolerate(pod.spec)
            self._specs.put(pod.spec, spec)
        return pod if spec is pod.spec else _with_spec(pod, spec)

    def _tolerate(self, spec: PodSpec) -> PodSpec:
        tolerations = spec.tolerations
        not_ready = unreachable = False
        for t in tolerations:
            if t.effect in ("", "NoExecute"):
                not_ready = not_ready or t.key in (NOT_READY, "")
                unreachable = unreachable or t.key in (UNREACHABLE, "")
        if not_ready and unreachable:
            return spec
        added = list(tolerations)
        if not not_ready:
            added.append(_toleration(NOT_READY, self.not_ready_seconds))
        if not unreachable:
            added.append(_toleration(UNREACHABLE, self.unreachable_seconds))
        return replace(spec, tolerations=tuple(added))


_with_spec = replacer(Pod, "spec")


def _toleration(key: str, seconds: int) -> Toleration:
    return Toleration(key=key, operator="Exists", effect="NoExecute", toleration_seconds=seconds)


class Validation(AdmissionPlugin):
    """The kind's validation, plus the rules for updates."""

    name = "Validation"

    async def validate(
        self, request: AdmissionRequest, reader: ObjectReader
    ) -> Sequence[FieldError]:
        return self._validate(request.operation, request.obj, request.old, request.subresource)

    @staticmethod
    def _validate(operation: Operation, obj: Any, old: Any, subresource: str) -> list[FieldError]:
        if operation is _DELETE:
            return []
        if subresource:
            # Only the subresource's part changed; the rest is the stored object, validated
            # when it was written (upstream's status strategies validate the status alone).
            if subresource == "status":
                return validate_status(obj)
            return []
        # Metadata carried over unchanged from the stored object was validated when stored.
        unchanged = old is not None and obj.metadata is old.metadata
        errors = validate_object(obj, check_metadata=not unchanged)
        if operation is _UPDATE and old is not None:
            errors += validate_update(obj, old)
        return errors


_IMMUTABLE_SELECTOR = ("apps", "batch")


def validate_update(new: Any, old: Any) -> list[FieldError]:
    """Upstream's update-only rules: immutable selectors and fields, immutable ConfigMaps and
    Secrets, what a pod or StatefulSet update may change."""
    errors: list[FieldError] = []
    cls = type(new)
    group = getattr(cls, "api_version", "").partition("/")[0]
    spec_new, spec_old = getattr(new, "spec", None), getattr(old, "spec", None)
    if group in _IMMUTABLE_SELECTOR and spec_new is not None and spec_old is not None:
        selector_new = getattr(spec_new, "selector", None)
        selector_old = getattr(spec_old, "selector", None)
        if selector_new != selector_old and cls.kind != "Job":
            errors.append(invalid("spec.selector", selector_new, "field is immutable"))
    if isinstance(new, Pod):
        errors += _validate_pod_update(new.spec, old.spec)
    elif isinstance(new, (ConfigMap, Secret)):
        if old.immutable:
            if new.immutable is not True:
                errors.append(forbidden("immutable", "field is immutable when `immutable` is set"))
            if new.data != old.data:
                errors.append(forbidden("data", "field is immutable when `immutable` is set"))
            if getattr(new, "binary_data", None) != getattr(old, "binary_data", None):
                errors.append(forbidden("binaryData", "field is immutable when `immutable` is set"))
    elif isinstance(new, Service):
        if old.spec.cluster_ip and new.spec.cluster_ip != old.spec.cluster_ip:
            errors.append(invalid("spec.clusterIP", new.spec.cluster_ip, "field is immutable"))
    elif isinstance(new, StatefulSet):
        mutable = (
            "replicas",
            "ordinals",
            "template",
            "update_strategy",
            "min_ready_seconds",
            "persistent_volume_claim_retention_policy",
            "revision_history_limit",
        )
        if replace(new.spec, **{f: getattr(old.spec, f) for f in mutable}) != old.spec:
            errors.append(
                forbidden(
                    "spec",
                    "updates to statefulset spec for fields other than 'replicas', 'ordinals', "
                    "'template', 'updateStrategy', 'revisionHistoryLimit', "
                    "'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
                )
            )
    elif isinstance(new, Job) and new.spec.template != old.spec.template:
        errors.append(invalid("spec.template", "", "field is immutable"))
    return errors


_POD_UPDATE_MESSAGE = (
    "pod updates may not change fields other than `spec.containers[*].image`,"
    "`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only "
    "additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be "
    "set to 1 if it was previously negative)"
)


def _validate_pod_update(new: PodSpec, old: PodSpec) -> list[FieldError]:
    """A pod's spec is immutable but for images, the deadline, added tolerations and removed
    scheduling gates (upstream ``ValidatePodUpdate``, without the diff in the message)."""
    if new == old:
        return []
    errors: list[FieldError] = []
    if len(new.containers) != len(old.containers) or len(new.init_containers) != len(
        old.init_containers
    ):
        return [forbidden("spec", _POD_UPDATE_MESSAGE)]
    # Every old toleration must still be there; only its tolerationSeconds may differ.
    for toleration in old.tolerations:
        if not any(
            replace(toleration, toleration_seconds=t.toleration_seconds) == t
            for t in new.tolerations
        ):
            errors.append(
                forbidden(
                    "spec.tolerations",
                    "existing toleration can not be modified except its tolerationSeconds",
                )
            )
            break
    deadline, old_deadline = new.active_deadline_seconds, old.active_deadline_seconds
    if deadline is not None:
        if old_deadline is not None and old_deadline < deadline:
            errors.append(
                invalid(
                    "spec.activeDeadlineSeconds",
                    deadline,
                    "must be less than or equal to previous value",
                )
            )
    elif old_deadline is not None:
        errors.append(
            invalid(
                "spec.activeDeadlineSeconds",
                None,
                "must not update from a positive integer to nil value",
            )
        )
    old_gates = set(old.scheduling_gates)
    if not set(new.scheduling_gates) <= old_gates:
        errors.append(
            forbidden(
                "spec.schedulingGates", "only deletion is allowed, but found new scheduling gate"
            )
        )
    # Everything that may change, set back to the old values: what remains must be equal.
    comparable = replace(
        new,
        containers=tuple(
            replace(c, image=o.image) for c, o in zip(new.containers, old.containers, strict=True)
        ),
        init_containers=tuple(
            replace(c, image=o.image)
            for c, o in zip(new.init_containers, old.init_containers, strict=True)
        ),
        active_deadline_seconds=old.active_deadline_seconds,
        tolerations=old.tolerations,
        scheduling_gates=old.scheduling_gates,
    )
    if comparable != old:
        errors.append(forbidden("spec", _POD_UPDATE_MESSAGE))
    return errors


#: Admission plugin factories by name (entry point group ``kube_actors.admission_plugins``).
ADMISSION_PLUGINS: PluginRegistry[Callable[[], AdmissionPlugin]] = PluginRegistry(
    "kube_actors.admission_plugins", "admission plugin"
)
for _plugin in (NamespaceLifecycle, Defaulting, DefaultTolerationSeconds, Validation):
    ADMISSION_PLUGINS.register(_plugin.name, _plugin)


def default_chain() -> list[AdmissionPlugin]:
    """A fresh list of the default plugins, in order (append your own to it)."""
    return [NamespaceLifecycle(), Defaulting(), DefaultTolerationSeconds(), Validation()]


# The base class's no-op hooks: plugins that keep them are skipped rather than awaited.
_NO_ADMIT = AdmissionPlugin.admit
_NO_VALIDATE = AdmissionPlugin.validate


async def run_admission(
    plugins: Sequence[AdmissionPlugin], request: AdmissionRequest, reader: ObjectReader
) -> Any:
    """Run ``plugins`` on ``request``: every ``admit`` in order, then every ``validate``.

    Returns the object to store; raises ``Invalid`` with every field error found, or whatever
    a plugin raised.
    """
    return await _run(
        plugins,
        reader,
        request,
        request.operation,
        request.info,
        request.obj,
        request.old,
        request.namespace,
        request.name,
        request.subresource,
        request.dry_run,
    )


async def admit_write(
    plugins: Sequence[AdmissionPlugin],
    reader: ObjectReader,
    operation: Operation,
    info: KindInfo,
    obj: Any,
    old: Any | None = None,
    namespace: str = "",
    name: str = "",
    subresource: str = "",
    dry_run: bool = False,
) -> Any:
    """:func:`run_admission` of the write the arguments describe (the API server's entry).

    The :class:`AdmissionRequest` is built only if a plugin other than the built-in ones is
    in the chain: the built-in plugins run on the write's fields directly.
    """
    if len(plugins) == 4:
        lifecycle, defaulting, tolerations, validation = plugins
        if (
            type(lifecycle) is NamespaceLifecycle
            and type(defaulting) is Defaulting
            and type(tolerations) is DefaultTolerationSeconds
            and type(validation) is Validation
        ):
            # The default chain, as _run would run it, without the loops and dispatch.
            obj = Defaulting._admit(operation, obj, subresource)
            obj = tolerations._admit(operation, obj, subresource)
            errors: list[FieldError] = []
            if operation is not _UPDATE:  # NamespaceLifecycle checks creates and deletes only
                errors += await lifecycle._check(operation, info, namespace, name, reader)
            errors += Validation._validate(operation, obj, old, subresource)
            if errors:
                raise Invalid.of(info, name, errors)
            return obj
    return await _run(
        plugins, reader, None, operation, info, obj, old, namespace, name, subresource, dry_run
    )


async def _run(
    plugins: Sequence[AdmissionPlugin],
    reader: ObjectReader,
    request: AdmissionRequest | None,
    operation: Operation,
    info: KindInfo,
    obj: Any,
    old: Any | None,
    namespace: str,
    name: str,
    subresource: str,
    dry_run: bool,
) -> Any:
    # Every write runs the chain, so the built-in plugins (exactly those classes: a subclass
    # may override anything) are called through their request-free hooks, with the same
    # results as their admit/validate. ``request`` is made (or remade, after a change of the
    # object) only when another plugin needs one.
    for plugin in plugins:
        if type(plugin) is Defaulting:
            changed = Defaulting._admit(operation, obj, subresource)
        elif type(plugin) is DefaultTolerationSeconds:
            changed = plugin._admit(operation, obj, subresource)
        elif type(plugin).admit is _NO_ADMIT:
            continue
        else:
            if request is None:
                request = AdmissionRequest(
                    operation=operation, info=info, obj=obj, old=old, namespace=namespace,
                    name=name, subresource=subresource, dry_run=dry_run,
                )  # fmt: skip
            changed = await plugin.admit(request, reader)
        if changed is not obj:
            obj = changed
            request = None if request is None else replace(request, obj=obj)
    errors: list[FieldError] = []
    for plugin in plugins:
        if type(plugin) is Validation:
            errors += Validation._validate(operation, obj, old, subresource)
        elif type(plugin) is NamespaceLifecycle:
            if operation is not _UPDATE:  # it checks creates and deletes only
                errors += await plugin._check(operation, info, namespace, name, reader)
        elif type(plugin).validate is not _NO_VALIDATE:
            if request is None:
                request = AdmissionRequest(
                    operation=operation, info=info, obj=obj, old=old, namespace=namespace,
                    name=name, subresource=subresource, dry_run=dry_run,
                )  # fmt: skip
            errors += await plugin.validate(request, reader)
    if errors:
        raise Invalid.of(info, name, errors)
    return obj
