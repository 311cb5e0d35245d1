"""Validation: every field error of an object, worded like the Kubernetes API server's.

``validate_object(obj)`` returns a list of :class:`FieldError` (empty when valid). It checks
metadata for every kind and the kind's own rules; validate a *defaulted* object
(:func:`kube_actors.api.default_object`), as the API server does.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import attrs

from kube_actors.api import names
from kube_actors.api._frozen import FrozenDict
from kube_actors.api._memo import IdentityMemo
from kube_actors.api._paths import join
from kube_actors.api.meta import LabelSelector, ObjectMeta
from kube_actors.api.registry import REGISTRY, KindRegistry

__all__ = [
    "ErrorType",
    "FieldError",
    "ValidationError",
    "Validator",
    "register_validator",
    "validate_object",
]


class ErrorType(enum.StrEnum):
    """The upstream ``field.ErrorType`` values, as they appear in messages."""

    REQUIRED = "Required value"
    INVALID = "Invalid value"
    NOT_SUPPORTED = "Unsupported value"
    DUPLICATE = "Duplicate value"
    FORBIDDEN = "Forbidden"
    TOO_LONG = "Too long"
    TOO_MANY = "Too many"


_NO_VALUE = object()


def format_value(value: Any) -> str:
    """Values as upstream prints them in errors: strings quoted, maps and lists as JSON."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int, float)):
        return json.dumps(value) if isinstance(value, str) else str(value)
    if isinstance(value, Mapping):
        return json.dumps({str(k): str(v) for k, v in value.items()}, sort_keys=True)
    if isinstance(value, (tuple, list)):
        return json.dumps([str(v) for v in value])
    return str(value)


@attrs.frozen
class FieldError:
    """One invalid field, printed as ``metadata.name: Invalid value: "Web_Server": <detail>``."""

    type: ErrorType
    path: str
    value: Any = attrs.field(default=_NO_VALUE, eq=False, repr=False)
    detail: str = ""

    @property
    def message(self) -> str:
        """The text after the path, as in upstream ``field.Error.ErrorBody``."""
        body = str(self.type)
        if self.value is not _NO_VALUE and self.type not in (
            ErrorType.REQUIRED,
            ErrorType.FORBIDDEN,
            ErrorType.TOO_LONG,
        ):
            body += f": {format_value(self.value)}"
        return f"{body}: {self.detail}" if self.detail else body

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


class ValidationError(ValueError):
    """An object failed validation; ``errors`` lists every field error."""

    def __init__(self, errors: Sequence[FieldError], what: str = "object") -> None:
        self.errors = tuple(errors)
        super().__init__(f"{what} is invalid: " + ", ".join(str(e) for e in self.errors))


# --- constructors, named like upstream field.Required / field.Invalid / ... ------------------


def required(path: str, detail: str = "") -> FieldError:
    """A missing value."""
    return FieldError(ErrorType.REQUIRED, path, detail=detail)


def invalid(path: str, value: Any, detail: str) -> FieldError:
    """A value that breaks a rule."""
    return FieldError(ErrorType.INVALID, path, value, detail)


def not_supported(path: str, value: Any, supported: Iterable[str]) -> FieldError:
    """A value outside an enumeration."""
    listed = ", ".join(json.dumps(s) for s in sorted(supported))
    return FieldError(ErrorType.NOT_SUPPORTED, path, value, f"supported values: {listed}")


def duplicate(path: str, value: Any) -> FieldError:
    """A repeated value where each must be unique."""
    return FieldError(ErrorType.DUPLICATE, path, value)


def forbidden(path: str, detail: str) -> FieldError:
    """A field that may not be set here."""
    return FieldError(ErrorType.FORBIDDEN, path, detail=detail)


# --- shared checks ----------------------------------------------------------------------------

NameCheck = Callable[[str], list[str]]


def check_name(path: str, value: str, check: NameCheck) -> list[FieldError]:
    """Run a name check from :mod:`kube_actors.api.names`, one error per failed rule."""
    problems = check(value)
    return [invalid(path, value, msg) for msg in problems] if problems else []


def check_port_number(path: str, port: int) -> list[FieldError]:
    """A port number in 1-65535."""
    return [invalid(path, port, msg) for msg in names.is_valid_port_num(port)]


def check_port(path: str, port: int | str) -> list[FieldError]:
    """A port given by number (1-65535) or by name (an IANA service name)."""
    if isinstance(port, int):
        return check_port_number(path, port)
    return check_name(path, port, names.is_valid_port_name)


def check_non_negative(path: str, value: int | None) -> list[FieldError]:
    """``value >= 0`` (None passes: unset)."""
    if value is not None and value < 0:
        return [invalid(path, value, "must be greater than or equal to 0")]
    return []


def check_positive(path: str, value: int | None) -> list[FieldError]:
    """``value > 0`` (None passes: unset)."""
    if value is not None and value <= 0:
        return [invalid(path, value, "must be greater than 0")]
    return []


def check_enum(
    path: str, value: str, supported: Iterable[str], *, allow_empty: bool = False
) -> list[FieldError]:
    """``value`` is one of ``supported`` (or empty, when allowed)."""
    supported = tuple(supported)
    if not value:
        return [] if allow_empty else [required(path)]
    return [] if value in supported else [not_supported(path, value, supported)]


_LABELS_CHECKED: IdentityMemo[tuple[FieldError, ...]] = IdentityMemo(1024)


def check_labels(path: str, labels: Mapping[str, str]) -> list[FieldError]:
    """Label keys are qualified names and values are label values."""
    if not labels:
        return []
    if type(labels) is not FrozenDict:  # only an immutable mapping may be remembered
        return _check_labels(path, labels)
    # Objects made from one template share its labels object: check it once.
    errors = _LABELS_CHECKED.get(labels, path)
    if errors is None:
        errors = tuple(_check_labels(path, labels))
        _LABELS_CHECKED.put(labels, errors, path)
    return list(errors)


def _check_labels(path: str, labels: Mapping[str, str]) -> list[FieldError]:
    errors: list[FieldError] = []
    for key, value in labels.items():
        errors += check_name(path, key, names.is_qualified_name)
        errors += check_name(path, value, names.is_valid_label_value)
    return errors


_ANNOTATIONS_MAX = 256 * 1024


_ANNOTATIONS_CHECKED: IdentityMemo[tuple[FieldError, ...]] = IdentityMemo(1024)


def check_annotations(path: str, annotations: Mapping[str, str]) -> list[FieldError]:
    """Annotation keys are qualified names (lower-cased) and all of them fit in 256 KiB."""
    if not annotations:
        return []
    if type(annotations) is not FrozenDict:  # only an immutable mapping may be remembered
        return _check_annotations(path, annotations)
    # As labels: objects made from one template share its annotations object.
    errors = _ANNOTATIONS_CHECKED.get(annotations, path)
    if errors is None:
        errors = tuple(_check_annotations(path, annotations))
        _ANNOTATIONS_CHECKED.put(annotations, errors, path)
    return list(errors)


def _check_annotations(path: str, annotations: Mapping[str, str]) -> list[FieldError]:
    errors: list[FieldError] = []
    total = 0
    for key, value in annotations.items():
        errors += check_name(path, key.lower(), names.is_qualified_name)
        total += len(key) + len(value)
    if total > _ANNOTATIONS_MAX:
        errors.append(
            FieldError(
                ErrorType.TOO_LONG, path, detail=f"must have at most {_ANNOTATIONS_MAX} bytes"
            )
        )
    return errors


_SELECTOR_OPERATORS = ("In", "NotIn", "Exists", "DoesNotExist")


def check_label_selector(path: str, selector: LabelSelector | None) -> list[FieldError]:
    """matchLabels are valid labels; matchExpressions have valid operators and values."""
    if selector is None:
        return []
    errors = check_labels(join(path, "matchLabels"), selector.match_labels)
    for i, req in enumerate(selector.match_expressions):
        p = join(join(path, "matchExpressions"), i)
        errors += check_name(join(p, "key"), req.key, names.is_qualified_name)
        if req.operator in ("In", "NotIn"):
            if not req.values:
                errors.append(
                    required(
                        join(p, "values"), "must be specified when `operator` is 'In' or 'NotIn'"
                    )
                )
        elif req.operator in ("Exists", "DoesNotExist"):
            if req.values:
                errors.append(
                    forbidden(
                        join(p, "values"),
                        "may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
                    )
                )
        else:
            errors.append(not_supported(join(p, "operator"), req.operator, _SELECTOR_OPERATORS))
        for j, value in enumerate(req.values):
            errors += check_name(join(join(p, "values"), j), value, names.is_valid_label_value)
    return errors


# Predicates answering ``not check(value)`` for the name checks metadata uses most, without
# building error lists or filling the checks' caches with names seen once (a created object's
# name usually is new). A matching value is ASCII, so its length is its byte length.
_SUBDOMAIN_MATCH = names._DNS1123_SUBDOMAIN_RE.fullmatch
_LABEL_MATCH = names._DNS1123_LABEL_RE.fullmatch


def _subdomain_ok(value: str) -> bool:
    return len(value) <= names.DNS1123_SUBDOMAIN_MAX_LENGTH and _SUBDOMAIN_MATCH(value) is not None


def _label_ok(value: str) -> bool:
    return len(value) <= names.DNS1123_LABEL_MAX_LENGTH and _LABEL_MATCH(value) is not None


_NAME_OK: dict[NameCheck, Callable[[str], bool]] = {
    names.is_dns1123_subdomain: _subdomain_ok,
    names.is_dns1123_label: _label_ok,
}


def _name_ok(check: NameCheck, value: str) -> bool:
    ok = _NAME_OK.get(check)
    return ok(value) if ok is not None else not check(value)


_REPEATED_NAMES_OK: dict[tuple[NameCheck, str, str], bool] = {}


def _repeated_name_ok(check: NameCheck, value: str, suffix: str = "") -> bool:
    """``_name_ok(check, value + suffix)`` for values many objects share (namespaces, a
    controller's generateName): each is checked once (bounded: starts over when full)."""
    key = (check, value, suffix)
    ok = _REPEATED_NAMES_OK.get(key)
    if ok is None:
        if len(_REPEATED_NAMES_OK) >= 4096:
            _REPEATED_NAMES_OK.clear()
        ok = _REPEATED_NAMES_OK[key] = _name_ok(check, value + suffix)
    return ok


def _object_meta_ok(meta: ObjectMeta, namespaced: bool, name_check: NameCheck, path: str) -> bool:
    """Whether :func:`check_object_meta` finds nothing: the same rules as a yes/no walk, for
    the common case (valid metadata) of every write. Anything else takes the full walk."""
    generate_name, name = meta.generate_name, meta.name
    # generateName gets 5 random characters appended: it is checked with a stand-in suffix.
    if generate_name and not _repeated_name_ok(name_check, generate_name, "x"):
        return False
    if name:
        if not _name_ok(name_check, name):
            return False
    elif not generate_name:
        return False
    namespace = meta.namespace
    if namespace and not (namespaced and _repeated_name_ok(names.is_dns1123_label, namespace)):
        return False
    generation = meta.generation
    if generation is not None and generation < 0:
        return False
    labels, annotations = meta.labels, meta.annotations
    if labels:
        # Straight to the memo check_labels fills (shared template labels): no list copies.
        labels_path = join(path, "labels")
        known = _LABELS_CHECKED.get(labels, labels_path)
        if known if known is not None else check_labels(labels_path, labels):
            return False
    if annotations and check_annotations(join(path, "annotations"), annotations):
        return False
    controllers = 0
    for ref in meta.owner_references:
        if not (ref.api_version and ref.kind and ref.name and ref.uid):
            return False
        if ref.controller:
            controllers += 1
    if controllers > 1:
        return False
    finalizers = meta.finalizers
    if finalizers:
        if len(set(finalizers)) != len(finalizers):
            return False
        for finalizer in finalizers:
            if names.is_qualified_name(finalizer):
                return False
    return True


def check_object_meta(
    meta: ObjectMeta,
    *,
    namespaced: bool,
    name_check: NameCheck = names.is_dns1123_subdomain,
    path: str = "metadata",
) -> list[FieldError]:
    """Metadata rules shared by every kind (upstream ``ValidateObjectMeta``)."""
    if _object_meta_ok(meta, namespaced, name_check, path):
        return []
    errors: list[FieldError] = []
    if meta.generate_name:
        # generateName gets 5 random characters appended: check it with a stand-in suffix.
        errors += check_name(
            join(path, "generateName"), meta.generate_name, lambda v: name_check(v + "x")
        )
    if not meta.name:
        if not meta.generate_name:
            errors.append(required(join(path, "name"), "name or generateName is required"))
    else:
        errors += check_name(join(path, "name"), meta.name, name_check)
    if meta.namespace:
        if not namespaced:
            errors.append(forbidden(join(path, "namespace"), "not allowed on this type"))
        else:
            errors += check_name(join(path, "namespace"), meta.namespace, names.is_dns1123_label)
    errors += check_non_negative(join(path, "generation"), meta.generation)
    errors += check_labels(join(path, "labels"), meta.labels)
    errors += check_annotations(join(path, "annotations"), meta.annotations)
    controllers = 0
    for i, ref in enumerate(meta.owner_references):
        p = join(join(path, "ownerReferences"), i)
        for field, value in (
            ("apiVersion", ref.api_version),
            ("kind", ref.kind),
            ("name", ref.name),
            ("uid", ref.uid),
        ):
            if not value:
                errors.append(required(join(p, field)))
        controllers += bool(ref.controller)
    if controllers > 1:
        errors.append(
            invalid(
                join(path, "ownerReferences"),
                controllers,
                "Only one reference can have Controller set to true",
            )
        )
    seen: set[str] = set()
    for i, finalizer in enumerate(meta.finalizers):
        p = join(join(path, "finalizers"), i)
        errors += check_name(p, finalizer, names.is_qualified_name)
        if finalizer in seen:
            errors.append(duplicate(p, finalizer))
        seen.add(finalizer)
    return errors


# --- dispatch ---------------------------------------------------------------------------------

#: A kind-specific validator: every field error of one object (metadata is checked separately).
Validator = Callable[[Any], Sequence[FieldError]]

_VALIDATORS: dict[type[Any], Validator] = {}
_NAME_CHECKS: dict[type[Any], NameCheck] = {}


def register_validator(
    cls: type[Any], *, name_check: NameCheck | None = None
) -> Callable[[Validator], Validator]:
    """Decorator: make ``fn`` the kind-specific validator of ``cls`` (the built-in kinds use it)."""

    def decorate(fn: Validator) -> Validator:
        _VALIDATORS[cls] = fn
        if name_check is not None:
            _NAME_CHECKS[cls] = name_check
        return fn

    return decorate


_STATUS_VALIDATORS: dict[type[Any], Validator] = {}


def register_status_validator(cls: type[Any]) -> Callable[[Validator], Validator]:
    """Decorator: make ``fn`` the status validator of ``cls``, what a status update checks."""

    def decorate(fn: Validator) -> Validator:
        _STATUS_VALIDATORS[cls] = fn
        return fn

    return decorate


def validate_status(obj: Any) -> list[FieldError]:
    """Every field error of ``obj``'s status (upstream's status-update validation): what a
    write through the status subresource, which changes nothing else, must pass."""
    validator = _STATUS_VALIDATORS.get(type(obj))
    return [] if validator is None else list(validator(obj))


def validate_object(
    obj: Any, *, registry: KindRegistry = REGISTRY, check_metadata: bool = True
) -> list[FieldError]:
    """Every field error of ``obj``: metadata rules, then the kind's own rules.

    Custom kinds get the metadata rules plus the ``validator`` given to ``register_kind``.
    ``check_metadata=False`` skips the metadata rules (for metadata already validated).

    >>> from kube_actors.api import Pod, ObjectMeta
    >>> [str(e) for e in validate_object(Pod(metadata=ObjectMeta(name="web")))]
    ['spec.containers: Required value', 'spec.restartPolicy: Required value']
    """
    cls = type(obj)
    info = registry.for_class(cls)
    errors = (
        check_object_meta(
            obj.metadata,
            namespaced=info.namespaced,
            name_check=_NAME_CHECKS.get(cls, names.is_dns1123_subdomain),
        )
        if check_metadata
        else []
    )
    validator = _VALIDATORS.get(cls) or info.validator
    if validator is not None:
        errors += validator(obj)
    return errors
