"""The generated fast structuring path agrees with the cattrs path, on valid and invalid input."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from functools import partial
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from kube_actors.api import (
    FrozenDict,
    Node,
    ObjectMeta,
    Pod,
    SerializationError,
    from_dict,
    structure,
    to_dict,
)
from kube_actors.api import serialization as ser
from kube_actors.api._fields import mapping, seq, time_field
from kube_actors.api.quantity import Quantity
from kube_actors.testing.strategies import objects, registered_kinds


def _wire(obj: Any) -> dict[str, Any]:
    """The JSON shape of ``obj`` without apiVersion/kind, as a JSON decoder gives it."""
    data = json.loads(json.dumps(to_dict(obj)))
    data.pop("apiVersion", None)
    data.pop("kind", None)
    return data  # type: ignore[no-any-return]


def _generated(cls: type[Any], strict: bool = True) -> Callable[..., Any]:
    entry = ser._fast_entry(cls, strict)
    assert entry is not None
    return entry[0]


def _assert_exact_classes(obj: Any, expected: type[Any]) -> None:
    """``obj`` and every object in it are of a model class, never of a builder subclass."""
    assert type(obj) is expected
    assert "<builder>" not in expected.__qualname__
    for a in attrs.fields(expected):
        value = getattr(obj, a.name)
        for item in value if isinstance(value, tuple) else (value,):
            if attrs.has(type(item)):
                _assert_exact_classes(item, type(item))


def _outcome(build: Callable[[], Any]) -> tuple[str, Any]:
    try:
        return "ok", build()
    except SerializationError as exc:
        return "error", [(e.path, e.message) for e in exc.errors]


# --- every kind: valid input builds what cattrs builds, invalid input fails as before --------


@pytest.mark.parametrize("cls", registered_kinds(), ids=lambda c: c.kind)
def test_fast_path_agrees_with_the_cattrs_path_for_every_kind(cls: type[Any]) -> None:
    modes = [
        (_generated(cls, strict), ser.converter(strict, detailed=True)) for strict in (True, False)
    ]

    @given(objects(cls), st.data())
    def check(obj: Any, data: st.DataObject) -> None:
        wire = _wire(obj)
        for fast, detailed in modes:
            built = fast(wire)  # called directly: a silent fallback would hide a bug here
            reference = detailed.structure(wire, cls)
            assert built == reference == obj
            assert hash(built) == hash(reference)
            assert repr(built) == repr(reference)  # the same classes and types all the way down
            _assert_exact_classes(built, cls)
        assert from_dict({"apiVersion": cls.api_version, "kind": cls.kind, **wire}) == obj

        # The same document with one wrong value or one unknown key: the same outcome, and
        # the same errors with the same paths, as the cattrs path alone gives.
        bad = data.draw(_mutations(wire), label="invalid")
        manifest = {"apiVersion": cls.api_version, "kind": cls.kind, **bad}
        for strict in (True, False):
            old = _outcome(partial(ser._structure_slow, bad, cls, strict))
            assert _outcome(partial(structure, bad, cls, strict=strict)) == old
            assert _outcome(partial(from_dict, manifest, strict=strict)) == old

    check()


def test_the_benchmark_pod_takes_the_fast_path() -> None:
    from benchmarks.bench_api import running_pod

    data = running_pod(7)
    body = {k: v for k, v in data.items() if k not in ("apiVersion", "kind")}
    pod = _generated(Pod)(body)
    assert pod == ser._structure_slow(body, Pod, True) == from_dict(data)
    assert pod.status.conditions[0].last_transition_time == datetime(
        2026, 1, 1, 0, 0, 7, tzinfo=UTC
    )
    # Still shared: interned strings, cached quantities and timestamps, the one empty mapping.
    again: Pod = from_dict(running_pod(7))
    assert again.spec.containers[0].image is pod.spec.containers[0].image
    assert (
        again.spec.containers[0].resources.requests["cpu"]
        is (pod.spec.containers[0].resources.requests["cpu"])
    )
    assert again.metadata.creation_timestamp is pod.metadata.creation_timestamp
    assert pod.metadata.annotations is pod.spec.node_selector
    assert type(pod.metadata.labels) is FrozenDict


def test_yaml_shaped_values_are_accepted() -> None:
    # YAML loaders give datetimes and numbers where JSON has strings.
    when = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    data = {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": "n", "creationTimestamp": when},
        "status": {"capacity": {"cpu": 4, "memory": "1Gi"}},
    }
    node: Node = from_dict(data)
    assert node.metadata.creation_timestamp == when
    assert str(node.status.capacity["cpu"]) == "4"


def test_lenient_mode_ignores_unknown_fields_and_strict_mode_names_them() -> None:
    data = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "colour": "red"}}
    assert from_dict(data, strict=False).metadata.name == "p"
    with pytest.raises(SerializationError, match=r'metadata\.colour: unknown field "colour"'):
        from_dict(data)


# --- invalid input: the same errors, with the same paths, as before -------------------------

_BAD_VALUES = st.sampled_from([None, True, 1, 1.5, "x", "", [], [1], {}, {"a": 1}, "12x"])


def _mutations(wire: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    """``wire`` with one value somewhere replaced by a wrong one, or an unknown key added."""
    places: list[tuple[Any, ...]] = []

    def walk(node: Any, path: tuple[Any, ...]) -> None:
        if isinstance(node, Mapping):
            places.append(path)
            for key, value in node.items():
                places.append((*path, key))
                walk(value, (*path, key))
        elif isinstance(node, list):
            for index, value in enumerate(node):
                places.append((*path, index))
                walk(value, (*path, index))

    walk(wire, ())

    def mutate(place: tuple[Any, ...], bad: Any, add_key: bool) -> dict[str, Any]:
        copy: dict[str, Any] = json.loads(json.dumps(wire))
        if not place:
            copy["bogusField"] = bad
            return copy
        parent: Any = copy
        for step in place[:-1]:
            parent = parent[step]
        if add_key and isinstance(parent[place[-1]], dict):
            parent[place[-1]]["bogusField"] = bad
        else:
            parent[place[-1]] = bad
        return copy

    return st.builds(mutate, st.sampled_from(places), _BAD_VALUES, st.booleans())


@pytest.mark.parametrize(
    ("metadata", "errors"),
    [
        ({"name": 1}, [("metadata.name", "expected a string, got int 1")]),
        ({"name": None}, [("metadata.name", "expected a string, got NoneType None")]),
        ({"generation": True}, [("metadata.generation", "expected an integer, got bool True")]),
        ({"labels": {"a": 1}}, [("metadata.labels.a", "expected a string, got int 1")]),
        ({"finalizers": "x"}, [("metadata.finalizers", "expected a list, got str 'x'")]),
        (
            {"creationTimestamp": "yesterday"},
            [
                (
                    "metadata.creationTimestamp",
                    'invalid timestamp "yesterday": expected RFC 3339',
                )
            ],
        ),
        ({"ownerReferences": [{}]}, [("metadata.ownerReferences[0].apiVersion", "Required value")]),
        (
            {"nmae": "x"},
            [("metadata.nmae", 'unknown field "nmae" (did you mean metadata.name?)')],
        ),
    ],
)
def test_error_paths_are_unchanged(metadata: dict[str, Any], errors: list[Any]) -> None:
    data = {"apiVersion": "v1", "kind": "Pod", "metadata": metadata}
    with pytest.raises(SerializationError) as caught:
        from_dict(data)
    assert [(e.path, e.message) for e in caught.value.errors][:1] == errors


def test_quantity_errors_name_the_resource() -> None:
    data = {
        "apiVersion": "v1",
        "kind": "Pod",
        "spec": {"containers": [{"name": "c", "resources": {"requests": {"cpu": "12x"}}}]},
    }
    with pytest.raises(SerializationError) as caught:
        from_dict(data)
    [error] = caught.value.errors
    assert error.path == "spec.containers[0].resources.requests.cpu"
    assert error.message.startswith('invalid quantity "12x"')


def test_a_str_subclass_is_refused_as_before() -> None:
    class Text(str):
        pass

    for metadata in ({"name": Text("x")}, {"creationTimestamp": Text("2026-01-01T00:00:00Z")}):
        with pytest.raises(SerializationError):
            from_dict({"apiVersion": "v1", "kind": "Pod", "metadata": metadata})


def test_non_dict_mappings_still_load() -> None:
    data = FrozenDict({"apiVersion": "v1", "kind": "Pod", "metadata": FrozenDict({"name": "p"})})
    assert from_dict(data).metadata.name == "p"


# --- unusual attrs classes: the generator falls back to what attrs and cattrs do ----------------


def _upper(value: str) -> str:
    return value.upper()


def _next_id(obj: Any) -> int:
    return len(obj.name)


@attrs.frozen(kw_only=True)
class _Inner:
    value: int = 0


@attrs.frozen(kw_only=True)
class _Unusual:
    name: str
    factory: tuple[str, ...] = attrs.field(factory=tuple)
    length: int = attrs.field(default=attrs.Factory(_next_id, takes_self=True))
    upper: str = attrs.field(default="", converter=_upper)
    inner: _Inner | None = None
    items: tuple[_Inner, ...] = seq()
    extra: Mapping[str, Quantity] = mapping()
    when: datetime | None = time_field()
    anything: Any = None
    ratio: float = 0.0
    blob: bytes = b""
    pair: tuple[int, str] = (0, "")


@attrs.frozen(kw_only=True)
class _Validated:
    count: int = attrs.field(default=0, validator=attrs.validators.ge(0))


@attrs.frozen(kw_only=True)
class _PostInit:
    name: str = ""
    seen: list[str] = attrs.field(factory=list, init=False)

    def __attrs_post_init__(self) -> None:
        self.seen.append(self.name)


@attrs.frozen(kw_only=True, cache_hash=True)
class _CachedHash:
    name: str = ""


@attrs.define(kw_only=True)
class _Mutable:
    name: str = ""
    inner: _Inner = _Inner()


@attrs.frozen(kw_only=True)
class _Recursive:
    name: str = ""
    children: tuple[_Recursive, ...] = seq()


@pytest.mark.parametrize(
    ("cls", "data"),
    [
        (
            _Unusual,
            {
                "name": "abc",
                "upper": "x",
                "inner": {"value": 2},
                "items": [{"value": 1}, {}],
                "extra": {"cpu": "1"},
                "when": "2024-01-01T00:00:00+02:00",
                "anything": {"a": [1, {"b": None}]},
                "ratio": 1,
                "blob": "aGk=",
                "pair": [1, "x"],
            },
        ),
        (_Unusual, {"name": ""}),
        (_Validated, {"count": 3}),
        (_PostInit, {"name": "x"}),
        (_CachedHash, {"name": "x"}),
        (_Mutable, {"name": "x", "inner": {"value": 1}}),
        (_Recursive, {"name": "a", "children": [{"name": "b", "children": [{"name": "c"}]}]}),
    ],
)
def test_unusual_classes_build_as_attrs_and_cattrs_would(
    cls: type[Any], data: dict[str, Any]
) -> None:
    for strict in (True, False):
        built = _generated(cls, strict)(data)
        assert built == ser.converter(strict).structure(data, cls)
        assert type(built) is cls
        assert structure(data, cls, strict=strict) == built
    if cls is _CachedHash:
        assert hash(built) == hash(_CachedHash(name="x"))
    if cls is _PostInit:
        assert built.seen == ["x"]


@pytest.mark.parametrize(
    ("cls", "data"),
    [
        (_Validated, {"count": -1}),
        (_Unusual, {"name": "a", "blob": "!!"}),
        (_Unusual, {"name": "a", "pair": [1]}),
        (_Unusual, {"name": "a", "ratio": "1"}),
        (_Recursive, {"children": [{"children": [{"name": 1}]}]}),
    ],
)
def test_unusual_classes_fail_as_before(cls: type[Any], data: dict[str, Any]) -> None:
    new = _outcome(lambda: structure(data, cls))
    assert new[0] == "error"
    assert new == _outcome(lambda: ser._structure_slow(data, cls, True))


def test_explicit_null_means_the_default_only_where_cattrs_says_so() -> None:
    pod: Pod = from_dict({"apiVersion": "v1", "kind": "Pod", "spec": {"securityContext": None}})
    assert pod.spec.security_context is None
    meta = structure({"deletionTimestamp": None, "deletionGracePeriodSeconds": None}, ObjectMeta)
    assert meta == ObjectMeta()
    with pytest.raises(SerializationError, match=r"metadata\.labels: expected a mapping"):
        from_dict({"apiVersion": "v1", "kind": "Pod", "metadata": {"labels": None}})
