"""``replace(obj, **changes)``: ``attrs.evolve`` at a fraction of the cost, for the hot paths.

``attrs.evolve`` reads every field through ``attrs.fields`` and calls the class's ``__init__``
with all of them, running every converter again. Objects here are immutable and were
converted when built, so a copy needs only its changed fields converted: code generated once
per class copies the other slots straight across (the same hidden-subclass trick the fast
deserializer uses). Classes that do more in ``__init__`` (validators, hooks, ``init=False``
fields) keep going through ``attrs.evolve``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar

import attrs

from kube_actors.api.serialization import _builder, _fills_slots

__all__ = ["replace"]

T = TypeVar("T")
_Replacer = Callable[[Any, dict[str, Any]], Any]
_REPLACERS: dict[tuple[Any, ...], _Replacer] = {}
_LOCK = threading.Lock()


def replace(obj: T, /, **changes: Any) -> T:
    """A copy of the attrs object ``obj`` with ``changes`` applied (like ``attrs.evolve``).

    >>> from kube_actors.api import ObjectMeta
    >>> replace(ObjectMeta(name="web"), namespace="default")
    ObjectMeta(name='web', generate_name='', namespace='default', uid='', resource_version='', generation=0, creation_timestamp=None, deletion_timestamp=None, deletion_grace_period_seconds=None, labels=FrozenDict({}), annotations=FrozenDict({}), owner_references=(), finalizers=())
    """  # noqa: E501
    # One generated function per class and set of changed fields: call sites change the same
    # fields every time, so each gets straight-line code.
    key = (obj.__class__, *changes)
    fn = _REPLACERS.get(key)
    if fn is None:
        fn = _replacer(key)
    return fn(obj, changes)  # type: ignore[no-any-return]


def replacer(cls: type[T], *names: str) -> Callable[..., T]:
    """``replacer(cls, "a", "b")(obj, x, y)`` is ``replace(obj, a=x, b=y)``, without the
    keyword arguments and the lookup of the copy code on each call when ``obj`` is exactly a
    ``cls`` (for the copies every API write makes).

    >>> from kube_actors.api import ObjectMeta
    >>> replacer(ObjectMeta, "namespace")(ObjectMeta(name="web"), "default").namespace
    'default'
    """
    fn = _generate(cls, names, positional=True)
    if fn is _evolve:
        return lambda obj, *values: attrs.evolve(obj, **dict(zip(names, values, strict=True)))
    return fn


def _replace_dict(obj: Any, changes: dict[str, Any]) -> Any:
    return replace(obj, **changes)


def _evolve(obj: Any, changes: dict[str, Any]) -> Any:
    return attrs.evolve(obj, **changes)


def _replacer(key: tuple[Any, ...]) -> _Replacer:
    with _LOCK:
        fn = _REPLACERS.get(key)
        if fn is None:
            fn = _REPLACERS[key] = _generate(key[0], key[1:])
        return fn


def _generate(cls: type[Any], changed: tuple[str, ...], positional: bool = False) -> _Replacer:
    if not attrs.has(cls) or not _fills_slots(cls):
        return _evolve
    builder = _builder(cls)
    if builder is None:
        return _evolve
    fields = attrs.fields(cls)
    # Changes may name a field by attribute or by its __init__ argument (attrs strips a
    # leading underscore), as attrs.evolve accepts.
    by_name: dict[str, str] = {}
    for a in fields:
        by_name[a.name] = a.name
        by_name[getattr(a, "alias", None) or a.name.lstrip("_")] = a.name
    given: dict[str, str] = {}  # attribute -> the key it was given as
    for key in changed:
        name = by_name.get(key)
        if name is None:
            raise TypeError(f"{cls.__qualname__} has no field {key!r}")
        given[name] = key
    namespace: dict[str, Any] = {"B": builder, "C": cls}
    # The changed values: from the changes dict, or (positional) arguments in changed order.
    values = {
        name: f"v{changed.index(key)}" if positional else f"changes[{key!r}]"
        for name, key in given.items()
    }
    params = "".join(f", v{i}" for i in range(len(changed))) if positional else ", changes"
    lines = [f"def replace(obj{params}):"]
    if positional:
        # Another class (a subclass) has other fields: it takes the general path.
        namespace["R"] = _replace_dict
        given_dict = ", ".join(f"{key!r}: v{i}" for i, key in enumerate(changed))
        lines.append(f"    if obj.__class__ is not C: return R(obj, {{{given_dict}}})")
    lines.append("    o = B()")
    for a in fields:
        if a.name not in given:
            lines.append(f"    o.{a.name} = obj.{a.name}")
        elif a.converter is None:
            lines.append(f"    o.{a.name} = {values[a.name]}")
        else:
            namespace[f"V_{a.name}"] = a.converter
            lines.append(f"    o.{a.name} = V_{a.name}({values[a.name]})")
    lines += ["    o.__class__ = C", "    return o"]
    exec(compile("\n".join(lines), f"<replace {cls.__qualname__}>", "exec"), namespace)
    fn: _Replacer = namespace["replace"]
    return fn


_CONSTRUCTORS: dict[type[Any], Callable[..., Any]] = {}


def constructor(cls: type[T]) -> Callable[..., T]:
    """A function that builds ``cls`` as its ``__init__`` would (same arguments, by their
    ``__init__`` names; positionally too unless a required field follows a defaulted one),
    filling the slots directly; ``cls`` itself where that is unsafe.

    For objects built on every write: a frozen class's ``__init__`` sets each field through
    ``object.__setattr__``, a call per field.

    >>> from kube_actors.api import ObjectMeta
    >>> constructor(ObjectMeta)(name="web") == ObjectMeta(name="web")
    True
    """
    fn = _CONSTRUCTORS.get(cls)
    if fn is None:
        with _LOCK:
            fn = _CONSTRUCTORS.get(cls)
            if fn is None:
                fn = _CONSTRUCTORS[cls] = _generate_constructor(cls)
    return fn


def _generate_constructor(cls: type[Any]) -> Callable[..., Any]:
    if not attrs.has(cls) or not _fills_slots(cls):
        return cls
    builder = _builder(cls)
    if builder is None:
        return cls
    fields = attrs.fields(cls)
    # Generated names start with "_k_", so no argument named after a field shadows them.
    namespace: dict[str, Any] = {"_k_B": builder, "_k_C": cls, "_k_NOTHING": attrs.NOTHING}
    params: list[str] = []
    body: list[str] = []
    seen_default = keyword_only = False
    for i, a in enumerate(fields):
        arg = a.alias or a.name.lstrip("_")
        if not arg.isidentifier() or arg.startswith("_k_"):
            return cls
        default = a.default
        if default is attrs.NOTHING:
            params.append(arg)
            keyword_only = keyword_only or seen_default
        elif isinstance(default, attrs.Factory):  # type: ignore[arg-type]
            if default.takes_self:
                return cls
            namespace[f"_k_F{i}"] = default.factory
            params.append(f"{arg}=_k_NOTHING")
            body.append(f"    if {arg} is _k_NOTHING: {arg} = _k_F{i}()")
            seen_default = True
        else:
            namespace[f"_k_D{i}"] = default
            params.append(f"{arg}=_k_D{i}")
            seen_default = True
        if a.converter is None:
            body.append(f"    o.{a.name} = {arg}")
        else:
            namespace[f"_k_V{i}"] = a.converter
            body.append(f"    o.{a.name} = _k_V{i}({arg})")
    signature = ", ".join((["*"] if keyword_only and params else []) + params)
    lines = [f"def construct({signature}):", "    o = _k_B()", *body]
    lines += ["    o.__class__ = _k_C", "    return o"]
    exec(compile("\n".join(lines), f"<construct {cls.__qualname__}>", "exec"), namespace)
    fn: Callable[..., Any] = namespace["construct"]
    return fn
