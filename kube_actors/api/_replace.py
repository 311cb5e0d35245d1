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
_REPLACERS: dict[type[Any], _Replacer] = {}
_LOCK = threading.Lock()


def replace(obj: T, /, **changes: Any) -> T:
    """A copy of the attrs object ``obj`` with ``changes`` applied (like ``attrs.evolve``).

    >>> from kube_actors.api import ObjectMeta
    >>> replace(ObjectMeta(name="web"), namespace="default")
    ObjectMeta(name='web', generate_name='', namespace='default', uid='', resource_version='', generation=0, creation_timestamp=None, deletion_timestamp=None, deletion_grace_period_seconds=None, labels=FrozenDict({}), annotations=FrozenDict({}), owner_references=(), finalizers=())
    """  # noqa: E501
    fn = _REPLACERS.get(obj.__class__)
    if fn is None:
        fn = _replacer(obj.__class__)
    return fn(obj, changes)  # type: ignore[no-any-return]


def _evolve(obj: Any, changes: dict[str, Any]) -> Any:
    return attrs.evolve(obj, **changes)


def _replacer(cls: type[Any]) -> _Replacer:
    with _LOCK:
        fn = _REPLACERS.get(cls)
        if fn is None:
            fn = _REPLACERS[cls] = _generate(cls)
        return fn


def _generate(cls: type[Any]) -> _Replacer:
    if not attrs.has(cls) or not _fills_slots(cls):
        return _evolve
    builder = _builder(cls)
    if builder is None:
        return _evolve
    fields = attrs.fields(cls)
    # Changes may name a field by attribute or by its __init__ argument (attrs strips a
    # leading underscore), as attrs.evolve accepts.
    names: dict[str, str] = {}
    for a in fields:
        names[a.name] = a.name
        names[getattr(a, "alias", None) or a.name.lstrip("_")] = a.name
    converters = {a.name: a.converter for a in fields if a.converter is not None}
    lines = ["def replace(obj, changes):", "    o = B()"]
    lines += [f"    o.{a.name} = obj.{a.name}" for a in fields]
    lines += [
        "    for key, value in changes.items():",
        "        name = N.get(key)",
        "        if name is None:",
        "            raise TypeError(f'{C.__qualname__} has no field {key!r}')",
        "        convert = V.get(name)",
        "        setattr(o, name, value if convert is None else convert(value))",
        "    o.__class__ = C",
        "    return o",
    ]
    namespace: dict[str, Any] = {"B": builder, "C": cls, "N": names, "V": converters}
    exec(compile("\n".join(lines), f"<replace {cls.__qualname__}>", "exec"), namespace)
    fn: _Replacer = namespace["replace"]
    return fn
