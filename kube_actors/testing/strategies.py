"""Hypothesis strategies for Kubernetes objects.

:func:`objects` draws any model class, deriving a strategy from its field types, so custom kinds
get one for free. Generated objects are *structurally* arbitrary: they serialize and load back
exactly, but need not pass validation (names and labels in metadata are valid, the rest is not
checked). Use them for serialization, storage and watch properties.

>>> from hypothesis import given
>>> from kube_actors.api import Pod, dump_manifest, load_manifests
>>> @given(objects(Pod))
... def test_round_trip(pod):
...     assert load_manifests(dump_manifest(pod), validate=False) == [pod]
"""

from __future__ import annotations

import types
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Union, get_args, get_origin, get_type_hints

import attrs
from hypothesis import strategies as st

from kube_actors.api import REGISTRY, ObjectMeta, OwnerReference, Quantity
from kube_actors.api.quantity import Format

__all__ = [
    "any_object",
    "dns_labels",
    "dns_subdomains",
    "label_keys",
    "label_values",
    "labels",
    "object_meta",
    "objects",
    "quantities",
    "registered_kinds",
    "timestamps",
]

_LOWER_ALNUM = "abcdefghijklmnopqrstuvwxyz0123456789"
_ALNUM = _LOWER_ALNUM + "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def dns_labels(max_size: int = 20) -> st.SearchStrategy[str]:
    """Valid DNS-1123 labels (``web``, ``a-1``): lower-case alphanumerics and inner dashes."""
    return st.from_regex(rf"\A[a-z0-9]([-a-z0-9]{{0,{max_size - 2}}}[a-z0-9])?\Z")


def dns_subdomains() -> st.SearchStrategy[str]:
    """Valid DNS-1123 subdomains: one to three labels joined with dots."""
    return st.lists(dns_labels(12), min_size=1, max_size=3).map(".".join)


def label_values() -> st.SearchStrategy[str]:
    """Valid label values, including the empty string."""
    return st.from_regex(r"\A([A-Za-z0-9]([-A-Za-z0-9_.]{0,10}[A-Za-z0-9])?)?\Z")


def label_keys() -> st.SearchStrategy[str]:
    """Valid label keys, with or without a DNS prefix (``app``, ``example.com/tier``)."""
    name = st.from_regex(r"\A[A-Za-z0-9]([-A-Za-z0-9_.]{0,10}[A-Za-z0-9])?\Z")
    prefix = st.none() | dns_subdomains()
    return st.tuples(prefix, name).map(lambda pn: f"{pn[0]}/{pn[1]}" if pn[0] else pn[1])


def labels(max_size: int = 3) -> st.SearchStrategy[dict[str, str]]:
    """Valid label maps."""
    return st.dictionaries(label_keys(), label_values(), max_size=max_size)


def timestamps() -> st.SearchStrategy[datetime]:
    """Timezone-aware UTC timestamps, with or without microseconds."""
    return st.datetimes(
        min_value=datetime(1970, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
    )


_FORMATS: tuple[Format, ...] = ("DecimalSI", "BinarySI", "DecimalExponent")


def quantities(max_value: int = 10**18) -> st.SearchStrategy[Quantity]:
    """Quantities of every format family, from nano-units up to ``max_value``."""
    whole = st.integers(-max_value, max_value).map(lambda n: n * 10**9)
    nanos = st.integers(-(10**15), 10**15)
    binary = st.integers(0, 2**40).map(lambda n: n * 10**9)
    return st.one_of(
        st.builds(Quantity, whole | nanos, st.sampled_from(_FORMATS)),
        st.builds(Quantity, binary, st.just("BinarySI")),
    )


def object_meta() -> st.SearchStrategy[ObjectMeta]:
    """Metadata with valid names, namespaces, labels and annotations."""
    return st.builds(
        ObjectMeta,
        name=dns_subdomains(),
        namespace=st.just("") | dns_labels(),
        uid=st.just("") | st.uuids().map(str),
        resource_version=st.just("") | st.integers(1, 10**9).map(str),
        generation=st.integers(0, 100),
        creation_timestamp=st.none() | timestamps(),
        deletion_timestamp=st.none() | timestamps(),
        labels=labels(),
        annotations=st.dictionaries(label_keys(), st.text(max_size=20), max_size=2),
        owner_references=st.lists(_strategy_for_type(OwnerReference), max_size=1),
        finalizers=st.lists(label_keys(), max_size=2, unique=True),
    )


_TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=12)

_json: st.SearchStrategy[Any] = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | _TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_TEXT, inner, max_size=3),
    max_leaves=8,
)


_CACHE: dict[Any, st.SearchStrategy[Any]] = {}


def _strategy_for_type(tp: Any) -> st.SearchStrategy[Any]:
    strategy = _CACHE.get(tp)
    if strategy is None:
        strategy = _CACHE[tp] = _build_strategy(tp)
    return strategy


def _build_strategy(tp: Any) -> st.SearchStrategy[Any]:
    if tp is ObjectMeta:
        return object_meta()
    simple: dict[Any, st.SearchStrategy[Any]] = {
        str: _TEXT,
        int: st.integers(-(2**53), 2**53),
        bool: st.booleans(),
        float: st.floats(allow_nan=False, allow_infinity=False),
        bytes: st.binary(max_size=16),
        datetime: timestamps(),
        Quantity: quantities(),
        Any: _json,
    }
    if tp in simple:
        return simple[tp]
    origin, args = get_origin(tp), get_args(tp)
    if origin in (Union, types.UnionType):
        return st.one_of([st.none() if a is type(None) else _strategy_for_type(a) for a in args])
    if origin is tuple:
        return st.lists(_strategy_for_type(args[0]), max_size=2).map(tuple)
    if origin in (Mapping, dict):
        return st.dictionaries(_TEXT, _strategy_for_type(args[1]), max_size=2)
    if attrs.has(tp):
        return _strategy_for_class(tp)
    raise TypeError(f"no strategy for field type {tp!r}")


def _strategy_for_class(cls: Any) -> st.SearchStrategy[Any]:
    hints = get_type_hints(cls)
    fields = {a.name: _deferred(hints[a.name]) for a in attrs.fields(cls)}
    return st.builds(cls, **fields)


def _deferred(tp: Any) -> st.SearchStrategy[Any]:
    # Deferred so a class's strategy is built on first draw, not for every field up front.
    return st.deferred(lambda: _strategy_for_type(tp))


def objects(cls: type[Any]) -> st.SearchStrategy[Any]:
    """Objects of any model class (a registered kind or a nested type such as ``PodSpec``)."""
    return _strategy_for_type(cls)


def registered_kinds() -> list[type[Any]]:
    """Every class in the kind registry, built-in and custom, in a stable order."""
    return sorted((info.cls for info in REGISTRY), key=lambda c: (c.api_version, c.kind))


def any_object() -> st.SearchStrategy[Any]:
    """An object of any registered kind."""
    return st.sampled_from(registered_kinds()).flatmap(objects)
