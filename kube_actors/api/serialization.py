"""Objects <-> plain data (the JSON/YAML shape): one cattrs converter, strict or lenient.

camelCase on the wire and snake_case in Python; fields equal to their default are left out on
output (Go's ``omitempty``); unknown fields are errors unless ``strict=False``; ``bytes`` travel
as base64 (Secret ``data``). Every error names the field path, e.g.
``spec.template.spec.containers[0].resources.requests.cpu: invalid quantity "12x"``.
"""

from __future__ import annotations

import base64
import binascii
import difflib
import sys
import types
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from functools import cache
from typing import Any, TypeVar, Union, get_args, get_origin

import attrs
import cattrs
from cattrs.errors import (
    AttributeValidationNote,
    ClassValidationError,
    ForbiddenExtraKeysError,
    IterableValidationError,
    IterableValidationNote,
)
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

from kube_actors.api._fields import format_time, parse_time, to_utc, wire_name
from kube_actors.api._fields import wire_names as _wire_names
from kube_actors.api._frozen import EMPTY, FrozenDict, freeze_json, thaw_json
from kube_actors.api._paths import join as _join
from kube_actors.api.quantity import Quantity, QuantityError, parse_quantity
from kube_actors.api.registry import REGISTRY, KindRegistry, UnknownKindError

T = TypeVar("T")

__all__ = [
    "SerializationError",
    "from_dict",
    "structure",
    "to_dict",
    "unstructure",
    "wire_name",
]


@attrs.frozen
class PathError:
    """One problem at one field path (``spec.replicas``); ``path`` is empty for the whole object."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class SerializationError(ValueError):
    """Plain data that does not fit the model; ``errors`` lists every problem with its path."""

    def __init__(self, errors: Sequence[PathError]) -> None:
        self.errors = tuple(errors)
        super().__init__("; ".join(str(e) for e in self.errors))


# --- leaf hooks: strict about types, because Kubernetes' decoder is ----------------------------


def _describe(value: object) -> str:
    if isinstance(value, (dict, list)):
        return "a mapping" if isinstance(value, dict) else "a list"
    return f"{type(value).__name__} {value!r}"


def _str(value: Any, _: Any, _intern: Callable[[str], str] = sys.intern) -> str:
    if value.__class__ is str:
        # Interned: names, images, condition types and statuses repeat across thousands of
        # objects, and one shared copy of each is most of what keeps a Pod under 4 KiB.
        return _intern(value)
    raise TypeError(f"expected a string, got {_describe(value)}")


def _int(value: Any, _: Any) -> int:
    if value.__class__ is int:
        return value
    raise TypeError(f"expected an integer, got {_describe(value)}")


def _float(value: Any, _: Any) -> float:
    if value.__class__ in (float, int):
        return float(value)
    raise TypeError(f"expected a number, got {_describe(value)}")


def _bool(value: Any, _: Any) -> bool:
    if value.__class__ is bool:
        return value
    raise TypeError(f"expected true or false, got {_describe(value)}")


def _int_or_str(value: Any, _: Any) -> int | str:
    if value.__class__ is int or value.__class__ is str:
        return value
    raise TypeError(f"expected an integer or a string, got {_describe(value)}")


def _bytes(value: Any, _: Any) -> bytes:
    if value.__class__ is not str:
        raise TypeError(f"expected a base64 string, got {_describe(value)}")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("illegal base64 data") from None


def _datetime(value: Any, _: Any) -> datetime:
    if isinstance(value, datetime):  # YAML loaders already turn timestamps into datetimes
        return to_utc(value)
    if value.__class__ is str:
        return parse_time(value)
    raise TypeError(f"expected an RFC 3339 timestamp, got {_describe(value)}")


def _quantity(value: Any, _: Any) -> Quantity:
    if value.__class__ is Quantity:
        return value
    return parse_quantity(value)


def _is_int_or_str(t: Any) -> bool:
    return get_origin(t) in (Union, types.UnionType) and set(get_args(t)) - {type(None)} == {
        int,
        str,
    }


def _is_optional(t: Any) -> bool:
    args = get_args(t)
    return (
        get_origin(t) in (Union, types.UnionType)
        and len(args) == 2
        and type(None) in args
        and not _is_int_or_str(t)
    )


def _is_mapping(t: Any) -> bool:
    return get_origin(t) in (Mapping, dict, FrozenDict) or t in (Mapping, dict)


def _is_tuple(t: Any) -> bool:
    args = get_args(t)
    return get_origin(t) is tuple and len(args) == 2 and args[1] is Ellipsis


# --- the converter ------------------------------------------------------------------------------


def make_converter(*, strict: bool = True, detailed: bool = True) -> cattrs.Converter:
    """Build the converter. ``strict`` rejects unknown fields (the default, as kubectl does).

    ``detailed`` collects every error with its path; without it the generated code has no
    per-field error bookkeeping, which makes the common, valid case about a third faster.
    """
    conv = cattrs.Converter(detailed_validation=detailed, forbid_extra_keys=strict)

    for typ, hook in ((str, _str), (int, _int), (float, _float), (bool, _bool)):
        conv.register_structure_hook(typ, hook)
    conv.register_structure_hook(bytes, _bytes)
    conv.register_structure_hook(datetime, _datetime)
    conv.register_structure_hook(Quantity, _quantity)
    conv.register_structure_hook_func(lambda t: t is Any, lambda v, _: freeze_json(v))
    conv.register_structure_hook_func(_is_int_or_str, _int_or_str)

    conv.register_unstructure_hook(datetime, format_time)
    conv.register_unstructure_hook(Quantity, str)
    conv.register_unstructure_hook(bytes, lambda b: base64.b64encode(b).decode("ascii"))
    conv.register_unstructure_hook(FrozenDict, thaw_json)
    conv.register_unstructure_hook_func(lambda t: t is Any, thaw_json)

    def mapping_structure(t: Any) -> Callable[[Any, Any], FrozenDict[str, Any]]:
        args = get_args(t)
        value_type = args[1] if len(args) == 2 else Any
        if value_type is str:
            return _structure_str_map
        handler = conv.get_structure_hook(value_type)

        def structure_map(value: Any, _: Any) -> FrozenDict[str, Any]:
            if not isinstance(value, dict):
                raise TypeError(f"expected a mapping, got {_describe(value)}")
            out: dict[str, Any] = {}
            errors: list[Exception] = []
            for key, item in value.items():
                try:
                    out[sys.intern(_str(key, str))] = handler(item, value_type)
                except Exception as exc:
                    exc.__notes__ = [IterableValidationNote(f"@ key {key!r}", key, value_type)]
                    errors.append(exc)
            if errors:
                raise IterableValidationError(f"While structuring {t!r}", errors, t)
            return FrozenDict(out) if out else EMPTY

        return structure_map

    def tuple_structure(t: Any) -> Callable[[Any, Any], tuple[Any, ...]]:
        item_type = get_args(t)[0]
        if item_type is str:
            return _structure_str_tuple
        handler = conv.get_structure_hook(item_type)

        def structure_tuple(value: Any, _: Any) -> tuple[Any, ...]:
            if value.__class__ is not list and value.__class__ is not tuple:
                raise TypeError(f"expected a list, got {_describe(value)}")
            out: list[Any] = []
            errors: list[Exception] = []
            for index, item in enumerate(value):
                try:
                    out.append(handler(item, item_type))
                except Exception as exc:
                    exc.__notes__ = [IterableValidationNote(f"@ index {index}", index, item_type)]
                    errors.append(exc)
            if errors:
                raise IterableValidationError(f"While structuring {t!r}", errors, t)
            return tuple(out)

        return structure_tuple

    def mapping_unstructure(t: Any) -> Callable[[Any], dict[str, Any]]:
        args = get_args(t)
        value_type = args[1] if len(args) == 2 else Any
        if value_type is str:
            return dict
        handler = conv.get_unstructure_hook(value_type)
        return lambda m: {k: handler(v) for k, v in m.items()}

    def tuple_unstructure(t: Any) -> Callable[[Any], list[Any]]:
        item_type = get_args(t)[0]
        if item_type in (str, int):
            return list
        handler = conv.get_unstructure_hook(item_type)
        return lambda items: [handler(v) for v in items]

    def attrs_structure(cls: type[Any]) -> Callable[[Any, Any], Any]:
        renames: dict[str, Any] = {n: override(rename=w) for n, w in _wire_names(cls).items()}
        fn = make_dict_structure_fn(
            cls,
            conv,
            _cattrs_forbid_extra_keys=strict,
            _cattrs_detailed_validation=detailed,
            **renames,
        )

        if not detailed:
            return fn  # a non-mapping fails here, and the detailed pass then explains it

        def structure_attrs(value: Any, t: Any) -> Any:
            if not isinstance(value, dict):
                raise TypeError(f"expected a mapping, got {_describe(value)}")
            return fn(value, t)

        return structure_attrs

    def attrs_unstructure(cls: type[Any]) -> Callable[[Any], dict[str, Any]]:
        renames: dict[str, Any] = {n: override(rename=w) for n, w in _wire_names(cls).items()}
        return make_dict_unstructure_fn(cls, conv, _cattrs_omit_if_default=True, **renames)

    def optional_structure(t: Any) -> Callable[[Any, Any], Any]:
        # cattrs' generic Optional hook dispatches on every call; bind the inner hook once.
        inner_type = next(a for a in get_args(t) if a is not type(None))
        inner = conv.get_structure_hook(inner_type)
        return lambda value, _: None if value is None else inner(value, inner_type)

    conv.register_structure_hook_factory(_is_optional, optional_structure)
    conv.register_structure_hook_factory(_is_mapping, mapping_structure)
    conv.register_structure_hook_factory(_is_tuple, tuple_structure)
    conv.register_structure_hook_factory(attrs.has, attrs_structure)
    conv.register_unstructure_hook_factory(_is_mapping, mapping_unstructure)
    conv.register_unstructure_hook_factory(_is_tuple, tuple_unstructure)
    conv.register_unstructure_hook_factory(attrs.has, attrs_unstructure)
    return conv


def _structure_str_map(value: Any, _: Any) -> FrozenDict[str, str]:
    if not isinstance(value, dict):
        raise TypeError(f"expected a mapping, got {_describe(value)}")
    if not value:
        return EMPTY
    intern = sys.intern
    out: dict[str, str] = {}
    for key, item in value.items():
        if key.__class__ is not str or item.__class__ is not str:
            bad = key if key.__class__ is not str else item
            exc = TypeError(f"expected a string, got {_describe(bad)}")
            exc.__notes__ = [IterableValidationNote(f"@ key {key!r}", key, str)]
            raise IterableValidationError("While structuring a string map", [exc], dict)
        # Label keys repeat across every object: share one copy of each.
        out[intern(key)] = item
    return FrozenDict(out)


def _structure_str_tuple(value: Any, _: Any) -> tuple[str, ...]:
    if value.__class__ is not list and value.__class__ is not tuple:
        raise TypeError(f"expected a list, got {_describe(value)}")
    for index, item in enumerate(value):
        if item.__class__ is not str:
            exc = TypeError(f"expected a string, got {_describe(item)}")
            exc.__notes__ = [IterableValidationNote(f"@ index {index}", index, str)]
            raise IterableValidationError("While structuring a string list", [exc], tuple)
    return tuple(value)


@cache
def converter(strict: bool = True, detailed: bool = False) -> cattrs.Converter:
    """The shared converters: strict or lenient, fast or with detailed errors."""
    return make_converter(strict=strict, detailed=detailed)


# --- errors -------------------------------------------------------------------------------------


def _leaf_message(exc: BaseException) -> str:
    if isinstance(exc, KeyError):
        return "Required value"
    if isinstance(exc, (QuantityError, TypeError, ValueError)) and str(exc):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


def _flatten(exc: BaseException, path: str, out: list[PathError]) -> None:
    if isinstance(exc, ClassValidationError):
        names = _wire_names(exc.cl) if attrs.has(exc.cl) else {}
        for sub in exc.exceptions:
            note = next(
                (
                    n
                    for n in getattr(sub, "__notes__", ())
                    if isinstance(n, AttributeValidationNote)
                ),
                None,
            )
            sub_path = _join(path, names.get(note.name, note.name)) if note else path
            _flatten(sub, sub_path, out)
    elif isinstance(exc, IterableValidationError):
        for sub in exc.exceptions:
            inote = next(
                (n for n in getattr(sub, "__notes__", ()) if isinstance(n, IterableValidationNote)),
                None,
            )
            _flatten(sub, _join(path, inote.index) if inote else path, out)
    elif isinstance(exc, ForbiddenExtraKeysError):
        known = list(_wire_names(exc.cl).values()) if attrs.has(exc.cl) else []
        for extra in sorted(exc.extra_fields):
            close = difflib.get_close_matches(extra, known, n=1)
            hint = f" (did you mean {_join(path, close[0])}?)" if close else ""
            out.append(PathError(_join(path, extra), f'unknown field "{extra}"{hint}'))
    elif isinstance(exc, BaseExceptionGroup):
        for inner in exc.exceptions:
            _flatten(inner, path, out)
    else:
        out.append(PathError(path, _leaf_message(exc)))


def path_errors(exc: BaseException, path: str = "") -> list[PathError]:
    """Flatten a (nested) cattrs error into one :class:`PathError` per problem."""
    out: list[PathError] = []
    _flatten(exc, path, out)
    return out


# --- public entry points ------------------------------------------------------------------------


def structure(data: Any, cls: type[T], *, strict: bool = True) -> T:
    """Build a ``cls`` from plain data (no apiVersion/kind handling); errors carry paths."""
    try:
        return converter(strict).structure(data, cls)
    except Exception as fast_error:
        # Valid input takes the fast path; only on failure pay for a second, detailed pass
        # that finds every error and its field path.
        try:
            converter(strict, detailed=True).structure(data, cls)
        except (ClassValidationError, IterableValidationError, ForbiddenExtraKeysError) as exc:
            raise SerializationError(path_errors(exc)) from None
        except (TypeError, ValueError, KeyError) as exc:
            raise SerializationError([PathError("", _leaf_message(exc))]) from None
        raise SerializationError([PathError("", _leaf_message(fast_error))]) from None


def unstructure(obj: Any) -> Any:
    """Plain data for any model object (no apiVersion/kind added)."""
    return converter(True).unstructure(obj)


def from_dict(
    data: Mapping[str, Any],
    cls: type[T] | None = None,
    *,
    strict: bool = True,
    registry: KindRegistry = REGISTRY,
) -> T:
    """Build a typed object from a manifest-shaped mapping; ``apiVersion``/``kind`` pick the class.

    >>> pod = from_dict({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web"}})
    >>> pod.metadata.name
    'web'
    """
    if not isinstance(data, Mapping):
        raise SerializationError([PathError("", f"expected a mapping, got {_describe(data)}")])
    errors: list[PathError] = []
    api_version, kind = data.get("apiVersion"), data.get("kind")
    for key, value in (("apiVersion", api_version), ("kind", kind)):
        if value is None or value == "":
            if cls is None:
                errors.append(PathError(key, "Required value"))
        elif not isinstance(value, str):
            errors.append(PathError(key, f"expected a string, got {_describe(value)}"))
    if errors:
        raise SerializationError(errors)
    if cls is None:
        try:
            cls = registry.lookup(str(api_version), str(kind)).cls
        except UnknownKindError as exc:
            raise SerializationError([PathError("kind", str(exc))]) from None
    elif api_version and kind:
        info = registry.for_class(cls)
        if (info.api_version, info.kind) != (api_version, kind):
            msg = f"expected {info.api_version} {info.kind}, got {api_version} {kind}"
            raise SerializationError([PathError("kind", msg)])
    body = {k: v for k, v in data.items() if k != "apiVersion" and k != "kind"}
    return structure(body, cls, strict=strict)


def to_dict(obj: Any, *, registry: KindRegistry = REGISTRY) -> dict[str, Any]:
    """Manifest-shaped data for ``obj``: ``apiVersion`` and ``kind`` first, defaults left out.

    >>> from kube_actors.api import Pod, ObjectMeta
    >>> to_dict(Pod(metadata=ObjectMeta(name="web")))
    {'apiVersion': 'v1', 'kind': 'Pod', 'metadata': {'name': 'web'}}
    """
    body: dict[str, Any] = converter(True).unstructure(obj)
    if type(obj) not in registry:
        return body
    info = registry.for_object(obj)
    return {"apiVersion": info.api_version, "kind": info.kind, **body}
