"""Objects <-> plain data (the JSON/YAML shape): one cattrs converter, strict or lenient.

camelCase on the wire and snake_case in Python; fields equal to their default are left out on
output (Go's ``omitempty``); unknown fields are errors unless ``strict=False``; ``bytes`` travel
as base64 (Secret ``data``). Every error names the field path, e.g.
``spec.template.spec.containers[0].resources.requests.cpu: invalid quantity "12x"``.

Valid input is structured by code generated once per class (see "the fast path" below); the
cattrs converters handle whatever that code does not expect, and explain every error.
"""

from __future__ import annotations

import base64
import binascii
import difflib
import itertools
import linecache
import sys
import threading
import types
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from functools import cache
from typing import Any, Final, TypeVar, Union, get_args, get_origin

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

from kube_actors.api._fields import format_time, opt_time, parse_time, to_utc, wire_name
from kube_actors.api._fields import wire_names as _wire_names
from kube_actors.api._frozen import (
    EMPTY,
    FrozenDict,
    freeze_json,
    freeze_map,
    freeze_seq,
    thaw_json,
)
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


# --- the fast path: structuring code generated per class ----------------------------------------
#
# cattrs' functions call a hook per field (and an Optional wrapper around most of them), collect
# keyword arguments, and then the attrs ``__init__`` runs its converters, which freeze every
# tuple and mapping a second time. For valid input the code generated below does the same work
# inline: one function per attrs class reads each wire key, checks and converts its value in
# place (nested classes by calling their own generated function) and stores it straight into
# the slot. Whatever it does not expect raises, and :func:`structure` then takes the cattrs
# path, which decides (and explains) exactly as before.


class _Fallback(Exception):
    """Raised by generated code for input it leaves to the cattrs converters."""


_MISSING: Final = object()


def _returns_unchanged(conv: Any, t: Any) -> bool:
    """Whether the attrs converter ``conv`` returns what the fast path builds for type ``t``."""
    if conv is freeze_seq:
        return _is_tuple(t)  # a tuple
    if conv is freeze_map:
        return _is_mapping(t)  # a FrozenDict (or the shared EMPTY)
    if conv is opt_time:  # None or a datetime in UTC
        return t is datetime or (_is_optional(t) and datetime in get_args(t))
    return False


_FACTORY: Final[type[Any]] = type(attrs.Factory(list))

#: Converters without side effects, so a default can be converted once instead of per object.
_PURE_CONVERTERS: Final = frozenset({freeze_seq, freeze_map, opt_time, freeze_json})


def _fast_str_map(value: dict[Any, Any]) -> FrozenDict[str, str]:
    intern = sys.intern
    out: dict[str, str] = {}
    for key, item in value.items():
        if item.__class__ is not str:
            raise _Fallback
        out[intern(key)] = item  # intern() also refuses anything but an exact str
    return FrozenDict(out)


def _fast_quantity_map(value: dict[Any, Any]) -> FrozenDict[str, Quantity]:
    intern = sys.intern
    out: dict[str, Quantity] = {}
    for key, item in value.items():
        out[intern(key)] = item if item.__class__ is Quantity else parse_quantity(item)
    return FrozenDict(out)


def _fast_map(value: dict[Any, Any], structure_item: Callable[[Any], Any]) -> FrozenDict[str, Any]:
    intern = sys.intern
    return FrozenDict({intern(key): structure_item(item) for key, item in value.items()})


#: Timestamps already parsed, by their text: a dict lookup is cheaper than the lru_cache call
#: of ``parse_time``, which the fast path therefore bypasses. Emptied when full, so it never
#: holds more than ``parse_time``'s cache does.
_TIMES: Final[dict[str, datetime]] = {}
_TIMES_MAX: Final = 4096
_parse_time_uncached: Final = parse_time.__wrapped__


def _fast_time(value: Any) -> datetime:
    """A timestamp not in ``_TIMES`` (or not text): parse it, and remember it if it is text."""
    if value.__class__ is not str:
        return _datetime(value, None)
    parsed: datetime = _parse_time_uncached(value)
    if len(_TIMES) >= _TIMES_MAX:
        _TIMES.clear()
    _TIMES[value] = parsed
    return parsed


_FAST_LOCK: Final = threading.RLock()
_FAST_IDS: Final = itertools.count()
#: Globals of the generated code: helpers, then one entry per generated function and constant.
_FAST_NS: Final[dict[str, Any]] = {
    "F": _Fallback,
    "M": _MISSING,
    "new": object.__new__,
    "intern": sys.intern,
    "EMPTY": EMPTY,
    "SMAP": _fast_str_map,
    "MAP": _fast_map,
    "QMAP": _fast_quantity_map,
    "FJ": freeze_json,
    "TIMES": _TIMES,
    "TIME": _fast_time,
    "QT": Quantity,
    "PQ": parse_quantity,
    "FLT": _float,
    "BYT": _bytes,
}
#: (type, strict) -> name of its generated function in ``_FAST_NS``.
_FAST_NAMES: Final[dict[tuple[Any, bool], str]] = {}
#: Per mode (lenient, strict): class -> (function, the keys it accepts plus apiVersion and kind,
#: or None when a field already uses one of those names), or None when no fast path exists.
_FastEntry = tuple[Callable[..., Any], frozenset[str] | None]
_FAST_ENTRIES: Final[tuple[dict[Any, _FastEntry | None], dict[Any, _FastEntry | None]]] = ({}, {})


def _fast_entry(cls: Any, strict: bool) -> _FastEntry | None:
    """The generated structuring function for ``cls`` (built on first use), or None."""
    strict = bool(strict)
    table = _FAST_ENTRIES[strict]
    try:
        return table[cls]
    except KeyError:
        pass
    except TypeError:  # an unhashable type expression
        return None
    with _FAST_LOCK:
        entry: _FastEntry | None = None
        if isinstance(cls, type) and attrs.has(cls):
            try:
                name = _class_fn(cls, strict)
                accepted: frozenset[str] | None = _FAST_NS.get(f"{name}_K")
                if accepted is not None and not accepted & {"apiVersion", "kind"}:
                    accepted |= {"apiVersion", "kind"}
                else:
                    accepted = None
                entry = (_FAST_NS[name], accepted)
            except Exception:
                entry = None
        table[cls] = entry
        return entry


def _const(value: Any) -> str:
    name = f"c{next(_FAST_IDS)}"
    _FAST_NS[name] = value
    return name


def _define(key: tuple[Any, bool], make_source: Callable[[str], str], label: str) -> str:
    """Name the function for ``key`` first (so recursive types can refer to it), then build it."""
    name = _FAST_NAMES.get(key)
    if name is None:
        name = _FAST_NAMES[key] = f"s{next(_FAST_IDS)}"
        try:
            source = make_source(name)
        except BaseException:
            del _FAST_NAMES[key]
            raise
        filename = f"<fast structure {label} {name}>"
        exec(compile(source, filename, "exec"), _FAST_NS)
        # Registered so tracebacks, profilers and inspect.getsource can show the code.
        linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    return name


def _class_fn(cls: type[Any], strict: bool) -> str:
    """Name of the generated function structuring ``cls``; it takes the dict (and the keys it
    accepts, in strict mode) and returns the object or raises."""

    def source(name: str) -> str:
        try:
            return _class_source(cls, strict, name)
        except Exception:  # a class this generator does not handle: use its cattrs hook
            hook = _const(converter(strict).get_structure_hook(cls))
            return f"def {name}(d, K=None):\n    return {hook}(d, {_const(cls)})\n"

    return _define((cls, strict), source, cls.__qualname__)


def _value_fn(t: Any, strict: bool) -> str:
    """Name of a function structuring one value of type ``t`` (items of tuples and mappings)."""
    if isinstance(t, type) and attrs.has(t):
        return _class_fn(t, strict)

    def source(name: str) -> str:
        body = "".join(f"    {line}\n" for line in _inline(t, strict))
        return f"def {name}(v):\n{body}    return v\n"

    return _define((t, strict), source, repr(t))


def _inline(t: Any, strict: bool) -> list[str]:
    """Statements that check and convert the local ``v`` of type ``t`` in place.

    The type tests follow the hooks :func:`make_converter` registers, in the same order.
    """
    if t is Any:
        return ["v = FJ(v)"]
    if t is str:
        return ["v = intern(v)"]  # raises for anything but an exact str
    if t is int or t is bool:
        return [f"if v.__class__ is not {t.__name__}: raise F"]
    if t is float:
        return ["v = FLT(v, None)"]
    if t is bytes:
        return ["v = BYT(v, None)"]
    if t is datetime:  # a str subclass must not hit the cache: _datetime refuses it
        return ["v = (TIMES.get(v) or TIME(v)) if v.__class__ is str else TIME(v)"]
    if t is Quantity:
        return ["if v.__class__ is not QT: v = PQ(v)"]
    if _is_int_or_str(t):
        return ["if v.__class__ is not int and v.__class__ is not str: raise F"]
    if _is_optional(t):
        inner = next(a for a in get_args(t) if a is not type(None))
        return ["if v is not None:", *_indent(_inline(inner, strict))]
    if _is_mapping(t):
        args = get_args(t)
        value_type = args[1] if len(args) == 2 else Any
        if value_type is str:
            convert = "SMAP(v)"
        elif value_type is Quantity:
            convert = "QMAP(v)"
        else:
            convert = f"MAP(v, {_value_fn(value_type, strict)})"
        return ["if v.__class__ is not dict: raise F", f"v = {convert} if v else EMPTY"]
    if _is_tuple(t):
        item_type = get_args(t)[0]
        lines = ["if v.__class__ is not list and v.__class__ is not tuple: raise F"]
        if item_type in (str, int, bool):
            check = f"if x.__class__ is not {item_type.__name__}: raise F"
            return [*lines, "for x in v:", f"    {check}", "v = tuple(v)"]
        fn = _value_fn(item_type, strict)
        # One item is the common case (one container, one owner): skip map() for it.
        return [*lines, f"v = ({fn}(v[0]),) if len(v) == 1 else tuple(map({fn}, v))"]
    if isinstance(t, type) and attrs.has(t):
        return [f"v = {_class_fn(t, strict)}(v)"]
    hook = converter(strict).get_structure_hook(t)  # anything else: the cattrs hook itself
    return [f"v = {_const(hook)}(v, {_const(t)})"]


def _fills_slots(cls: type[Any]) -> bool:
    """Whether filling the slots of ``cls`` is all its ``__init__`` does (besides converters).

    That takes an attrs-generated ``__init__`` of a slotted class, no pre/post-init hooks, no
    cached hash, and fields without validators or attrs ``Converter`` objects (plain
    converters are applied by the generated code itself).
    """
    init = cls.__dict__.get("__init__")
    filename = getattr(getattr(init, "__code__", None), "co_filename", "")
    if not filename.startswith("<attrs generated") or issubclass(cls, BaseException):
        return False
    if hasattr(cls, "__attrs_pre_init__") or hasattr(cls, "__attrs_post_init__"):
        return False
    if getattr(cls, "__dictoffset__", 0):  # instances have a __dict__: not purely slotted
        return False
    slots = {name for k in cls.__mro__ for name in getattr(k, "__slots__", ())}
    if slots & {"_attrs_cached_hash", "__attrs_cached_hash__"}:
        return False
    attrs_converter = getattr(attrs, "Converter", ())
    for a in attrs.fields(cls):
        if not a.init or a.validator is not None or isinstance(a.converter, attrs_converter):
            return False
        if not a.name.isidentifier() or a.name.startswith("__"):
            return False
        slot = next((k.__dict__[a.name] for k in cls.__mro__ if a.name in k.__dict__), None)
        if not isinstance(slot, types.MemberDescriptorType):
            return False
    return True


def _builder(cls: type[Any]) -> type[Any] | None:
    """A subclass of ``cls`` whose instances take plain attribute assignment.

    Frozen classes refuse ``obj.x = ...``, and the way around it (``object.__setattr__`` or a
    slot's ``__set__``) costs a call per field. A subclass that restores the default
    ``__setattr__`` and adds no slots has the same memory layout: the generated code fills an
    instance of it with plain stores and then sets its ``__class__`` to ``cls``.
    """
    if type(cls) is not type or any("__init_subclass__" in vars(k) for k in cls.__mro__[:-1]):
        return None  # creating a subclass could run someone's code
    namespace = {
        "__slots__": (),
        "__setattr__": object.__setattr__,
        "__delattr__": object.__delattr__,
        "__init__": object.__init__,  # calling the builder just allocates
        "__module__": cls.__module__,
        "__qualname__": f"{cls.__qualname__}.<builder>",
    }
    try:
        builder = type(cls.__name__, (cls,), namespace)
        probe = builder()
        probe.__class__ = cls
    except Exception:
        return None
    return builder


def _class_source(cls: type[Any], strict: bool, name: str) -> str:
    attrs.resolve_types(cls)
    fields = [a for a in attrs.fields(cls) if a.init]  # cattrs structures init fields only
    if any(a.type is None for a in fields):
        raise TypeError(f"{cls.__qualname__} has fields without a type")
    wire = _wire_names(cls)
    direct = _fills_slots(cls)
    # A factory that takes self must see an instance of ``cls``, so no builder then.
    takes_self = any(isinstance(a.default, _FACTORY) and a.default.takes_self for a in fields)
    builder = _builder(cls) if direct and not takes_self else None
    out = [f"def {name}(d, K={name}_K):"]
    if strict:  # one C-level subset test; the cattrs path names the unknown keys
        out.append("    if d.__class__ is not dict or not K.issuperset(d): raise F")
    else:
        out.append("    if d.__class__ is not dict: raise F")
    if builder is not None:
        out.append(f"    o = {_const(builder)}()")
    elif direct:
        out.append(f"    o = new({_const(cls)})")
    else:
        out.append("    kw = {}")

    for a in fields:
        if builder is not None:
            store = f"o.{a.name} = v"
        elif direct:
            slot = next(k.__dict__[a.name] for k in cls.__mro__ if a.name in k.__dict__)
            store = f"{_const(slot.__set__)}(o, v)"
        else:
            store = f"kw[{a.alias!r}] = v"
        out.extend(_indent(_field_lines(a, wire[a.name], strict, direct, store)))

    if builder is not None:
        out.append(f"    o.__class__ = {_const(cls)}")
    out.append("    return o" if direct else f"    return {_const(cls)}(**kw)")
    _FAST_NS[f"{name}_K"] = frozenset(wire[a.name] for a in fields)
    return "\n".join(out) + "\n"


def _field_lines(
    a: attrs.Attribute[Any], key: str, strict: bool, direct: bool, store: str
) -> list[str]:
    """Statements that read field ``a`` from ``d``, check and convert it, and ``store`` it.

    With ``direct`` the defaults and converters are applied here, as attrs' ``__init__`` would;
    otherwise the value is passed to ``__init__`` only when present, as cattrs does.
    """
    t, default = a.type, a.default
    conv: Any = a.converter
    present = _inline(t, strict)
    convert = direct and conv is not None and not _returns_unchanged(conv, t)
    if convert:
        present.append(f"v = {_const(conv)}(v)")

    if default is attrs.NOTHING:  # required: a missing key raises KeyError
        return [f"v = d[{key!r}]", *present, store]
    if not direct:
        return [f"v = d.get({key!r}, M)", "if v is not M:", *_indent(present), f"    {store}"]
    if not convert and t is str and default.__class__ is str:
        # The default is a valid value already: one lookup, and intern only what was read.
        default_name = _const(default)
        return [
            f"v = d.get({key!r}, {default_name})",
            f"if v is not {default_name}: v = intern(v)",
            store,
        ]
    if not convert and _structures_to_itself(t, default):
        # The default passes the checks unchanged: one lookup and no branch.
        get = f"v = d.get({key!r})" if default is None else f"v = d.get({key!r}, {_const(default)})"
        return [get, *present, store]
    lines = [f"v = d.get({key!r}, M)", "if v is M:"]
    if isinstance(default, _FACTORY):
        factory = _const(default.factory)
        lines.append(f"    v = {factory}(o)" if default.takes_self else f"    v = {factory}()")
        if conv is not None:
            lines.append(f"    v = {_const(conv)}(v)")
    elif conv is None:
        lines.append(f"    v = {_const(default)}")
    elif conv in _PURE_CONVERTERS:
        lines.append(f"    v = {_const(conv(default))}")
    else:
        lines.append(f"    v = {_const(conv)}({_const(default)})")
    return [*lines, "else:", *_indent(present), store]


def _indent(lines: list[str]) -> list[str]:
    return [f"    {line}" for line in lines]


def _structures_to_itself(t: Any, default: Any) -> bool:
    """Whether the fast path's conversion for ``t`` returns ``default`` as it is (or an equal,
    shared copy: an interned string)."""
    if default is None:
        return _is_optional(t)
    if t is str or t is int or t is bool:
        return default.__class__ is t
    return _is_int_or_str(t) and default.__class__ in (int, str)


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
    fast = _fast_entry(cls, strict)
    if fast is not None:
        try:
            return fast[0](data)  # type: ignore[no-any-return]
        except Exception:  # invalid or unusual input: the cattrs path decides and explains
            pass
    return _structure_slow(data, cls, strict)


def _structure_slow(data: Any, cls: type[T], strict: bool) -> T:
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
    if cls is None and data.__class__ is dict:
        # The common case, kept cheap: a plain dict naming a registered kind. The generated
        # code for a kind accepts apiVersion and kind, so the body needs no copy.
        api_version, kind = data.get("apiVersion"), data.get("kind")
        if api_version.__class__ is str and kind.__class__ is str and api_version and kind:
            try:
                fast = _fast_entry(registry.lookup(api_version, kind).cls, strict)
            except UnknownKindError:
                fast = None
            if fast is not None and fast[1] is not None:
                try:
                    return fast[0](data, fast[1])  # type: ignore[no-any-return]
                except Exception:  # the checks below and the cattrs path decide, and explain
                    pass
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
