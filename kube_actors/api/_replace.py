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


def _evolve(obj: Any, changes: dict[str, Any]) -> Any:
    return attrs.evolve(obj, **changes)


def _replacer(key: tuple[Any, ...]) -> _Replacer:
    with _LOCK:
        fn = _REPLACERS.get(key)
        if fn is None:
            fn = _REPLACERS[key] = _generate(key[0], key[1:])
        return fn


def _generate(cls: type[Any], changed: tuple[str, ...]) -> _Replacer:
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
    lines = ["def replace(obj, changes):", "    o = B()"]
    for a in fields:
        if a.name not in given:
            lines.append(f"    o.{a.name} = obj.{a.name}")
        elif a.converter is None:
            lines.append(f"    o.{a.name} = changes[{given[a.name]!r}]")
        else:
            namespace[f"V_{a.name}"] = a.converter
            lines.append(f"    o.{a.name} = V_{a.name}(changes[{given[a.name]!r}])")
    lines += ["    o.__class__ = C", "    return o"]
    exec(compile("\n".join(lines), f"<replace {cls.__qualname__}>", "exec"), namespace)
    fn: _Replacer = namespace["replace"]
    return fn
