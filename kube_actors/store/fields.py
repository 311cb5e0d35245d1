"""Field selectors: ``metadata.name=web,spec.nodeName!=,status.phase==Running``.

Each kind supports ``metadata.name`` and ``metadata.namespace``; the built-in kinds add the
fields upstream supports for them (``spec.nodeName`` and ``status.phase`` for pods, and so on),
and :func:`register_field` adds more, for built-in and custom kinds alike.

>>> from kube_actors.api import ObjectMeta, Pod, PodSpec
>>> selector = parse_field_selector("spec.nodeName=node-1,metadata.name!=web")
>>> selector.matches(Pod(metadata=ObjectMeta(name="api"), spec=PodSpec(node_name="node-1")))
True
>>> str(selector)
'metadata.name!=web,spec.nodeName=node-1'
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from typing import Any

import attrs

from kube_actors.api import (
    Event,
    Namespace,
    Node,
    Pod,
    ReplicaSet,
    ReplicationController,
    Secret,
)
from kube_actors.api.batch import Job

__all__ = [
    "FieldRequirement",
    "FieldSelector",
    "FieldSelectorError",
    "field_getter",
    "parse_field_selector",
    "register_field",
    "supported_fields",
]

#: Reads one field of an object as the string a field selector compares with.
FieldGetter = Callable[[Any], str]


class FieldSelectorError(ValueError):
    """A field selector that does not parse, or names a field the kind does not support."""


def _text(value: object) -> str:
    """Field values as upstream's field sets print them: ``""`` for unset, lowercase bools."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


_COMMON: dict[str, FieldGetter] = {
    "metadata.name": lambda obj: obj.metadata.name,
    "metadata.namespace": lambda obj: obj.metadata.namespace,
}
_BY_CLASS: dict[type[Any], dict[str, FieldGetter]] = {}


def register_field(cls: type[Any], path: str, getter: FieldGetter) -> None:
    """Let field selectors on ``cls`` use ``path``, read by ``getter`` (returns a string).

    >>> from kube_actors.api import ConfigMap
    >>> register_field(ConfigMap, "data.mode", lambda cm: cm.data.get("mode", ""))
    >>> "data.mode" in supported_fields(ConfigMap)
    True
    """
    _BY_CLASS.setdefault(cls, {})[path] = getter


def supported_fields(cls: type[Any]) -> list[str]:
    """Every field path field selectors on ``cls`` accept, sorted."""
    return sorted({*_COMMON, *_BY_CLASS.get(cls, {})})


def field_getter(cls: type[Any], path: str) -> FieldGetter:
    """The getter of ``path`` for ``cls``; :class:`FieldSelectorError` if it is not supported."""
    getter = _BY_CLASS.get(cls, {}).get(path) or _COMMON.get(path)
    if getter is None:
        raise FieldSelectorError(f"field label not supported: {path}")
    return getter


# Upstream's selectable fields per kind (pkg/registry/*/strategy.go ...ToSelectableFields).
for _path, _get in {
    "spec.nodeName": lambda p: p.spec.node_name,
    "spec.restartPolicy": lambda p: p.spec.restart_policy,
    "spec.schedulerName": lambda p: p.spec.scheduler_name,
    "spec.serviceAccountName": lambda p: p.spec.service_account_name,
    "spec.hostNetwork": lambda p: _text(p.spec.host_network),
    "status.phase": lambda p: p.status.phase,
    "status.podIP": lambda p: p.status.pod_ip,
    "status.nominatedNodeName": lambda p: p.status.nominated_node_name,
}.items():
    register_field(Pod, _path, _get)
register_field(Node, "spec.unschedulable", lambda n: _text(n.spec.unschedulable))
register_field(Namespace, "status.phase", lambda n: n.status.phase)
register_field(Secret, "type", lambda s: s.type)
register_field(ReplicaSet, "status.replicas", lambda r: _text(r.status.replicas))
register_field(ReplicationController, "status.replicas", lambda r: _text(r.status.replicas))
register_field(Job, "status.successful", lambda j: _text(j.status.succeeded))
for _path, _get in {
    "involvedObject.kind": lambda e: e.involved_object.kind,
    "involvedObject.namespace": lambda e: e.involved_object.namespace,
    "involvedObject.name": lambda e: e.involved_object.name,
    "involvedObject.uid": lambda e: e.involved_object.uid,
    "involvedObject.apiVersion": lambda e: e.involved_object.api_version,
    "involvedObject.resourceVersion": lambda e: e.involved_object.resource_version,
    "involvedObject.fieldPath": lambda e: e.involved_object.field_path,
    "reason": lambda e: e.reason,
    "reportingComponent": lambda e: e.reporting_component,
    "source": lambda e: e.source.component,
    "type": lambda e: e.type,
}.items():
    register_field(Event, _path, _get)


@attrs.frozen
class FieldRequirement:
    """One ``field=value`` (``equal``) or ``field!=value`` (not ``equal``) term."""

    field: str
    value: str
    equal: bool = True

    def __str__(self) -> str:
        return f"{self.field}{'=' if self.equal else '!='}{_escape(self.value)}"


@attrs.frozen
class FieldSelector:
    """Terms that must all hold; the empty selector matches everything."""

    requirements: tuple[FieldRequirement, ...] = ()

    def __str__(self) -> str:
        return ",".join(str(r) for r in self.requirements)

    @property
    def empty(self) -> bool:
        """Whether this selector matches everything."""
        return not self.requirements

    def matches(self, obj: object) -> bool:
        """Whether ``obj`` satisfies every term (:class:`FieldSelectorError` on an unsupported
        field)."""
        return self.bind(type(obj))(obj)

    def bind(self, cls: type[Any]) -> Callable[[Any], bool]:
        """A predicate for objects of ``cls``, with each field's getter looked up once.

        :class:`FieldSelectorError` if ``cls`` does not support one of the fields.
        """
        terms = [(field_getter(cls, r.field), r.value, r.equal) for r in self.requirements]
        if not terms:
            return lambda obj: True

        def matches(obj: Any) -> bool:
            return all((get(obj) == value) is equal for get, value, equal in terms)

        return matches


_ESCAPES = {"\\": "\\\\", ",": "\\,", "=": "\\="}


def _escape(value: str) -> str:
    return "".join(_ESCAPES.get(ch, ch) for ch in value)


def _split(text: str, separator: str) -> Iterable[str]:
    """Split on unescaped ``separator`` (escapes are kept for the next stage)."""
    part: list[str] = []
    chars = iter(text)
    for ch in chars:
        if ch == "\\":
            part.append(ch)
            part.append(next(chars, ""))
        elif ch == separator:
            yield "".join(part)
            part = []
        else:
            part.append(ch)
    yield "".join(part)


def _unescape(text: str, whole: str) -> str:
    out: list[str] = []
    chars = iter(text)
    for ch in chars:
        if ch == "\\":
            nxt = next(chars, "")
            if nxt not in _ESCAPES:
                raise FieldSelectorError(
                    f"invalid field selector {whole!r}: invalid escape sequence \\{nxt}"
                )
            out.append(nxt)
        elif ch in "=,":
            raise FieldSelectorError(
                f"invalid field selector {whole!r}: unescaped {ch!r} in value {text!r}"
            )
        else:
            out.append(ch)
    return "".join(out)


@functools.lru_cache(maxsize=512)
def parse_field_selector(text: str) -> FieldSelector:
    """Parse ``a=b,c==d,e!=f`` (upstream ``fields.ParseSelector``); terms sort by field.

    Values may escape ``\\``, ``,`` and ``=`` with a backslash. An empty string selects
    everything. :class:`FieldSelectorError` on bad syntax.
    """
    requirements: list[FieldRequirement] = []
    if text.strip():
        for term in _split(text, ","):
            for op, equal in (("!=", False), ("==", True), ("=", True)):
                index = term.find(op)
                if index > 0:
                    field = term[:index].strip()
                    value = _unescape(term[index + len(op) :], text)
                    requirements.append(FieldRequirement(field, value, equal))
                    break
            else:
                raise FieldSelectorError(
                    f"invalid field selector {text!r}: {term!r} is not field=value or field!=value"
                )
    requirements.sort(key=lambda r: (r.field, not r.equal, r.value))
    return FieldSelector(tuple(requirements))
