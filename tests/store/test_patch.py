"""JSON merge patch (RFC 7386), JSON patch (RFC 6902) and Kubernetes strategic merge patch.

The merge-patch table is RFC 7386 appendix A; the JSON-patch cases are RFC 6902 appendix A
(A.1-A.16); the strategic cases follow ``k8s.io/apimachinery/pkg/util/strategicpatch``.
"""

from __future__ import annotations

import copy
import re
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kube_actors.store.patch import (
    DEFAULT_MERGE_KEYS,
    OBJECT_MERGE_KEYS,
    POD_SPEC_MERGE_KEYS,
    POD_SPEC_PATHS,
    PatchError,
    default_merge_key,
    json_merge_patch,
    json_patch,
    pod_spec_subpath,
    strategic_merge_patch,
)

# --- helpers --------------------------------------------------------------------------------------


def _containers(value: Any) -> set[int]:
    """The ids of every dict and list inside ``value`` (itself included)."""
    found: set[int] = set()
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            found.add(id(item))
            stack.extend(item.values())
        elif isinstance(item, list):
            found.add(id(item))
            stack.extend(item)
    return found


def _assert_fresh(result: Any, *inputs: Any) -> None:
    """``result`` shares no container with any input, so mutating it cannot reach them."""
    for given_input in inputs:
        assert not _containers(result) & _containers(given_input)


def _no_keys(path: tuple[str, ...]) -> str | None:
    return None


def _smp(target: Any, patch: Any) -> Any:
    return strategic_merge_patch(target, patch, merge_keys=default_merge_key)


# JSON data. Keys use '/' and '~' so pointers need RFC 6901 escapes, and never start with '$'.
_KEYS = st.text(alphabet="ab/~", max_size=3)
_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-1000, 1000)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(alphabet="xy", max_size=3)
)
_VALUES = st.recursive(
    _SCALARS,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(_KEYS, children, max_size=3),
    max_leaves=10,
)
_OBJECTS = st.dictionaries(_KEYS, _VALUES, max_size=4)


# --- RFC 7386 -------------------------------------------------------------------------------------

# RFC 7386 appendix A, in order.
RFC7386_APPENDIX_A = [
    ({"a": "b"}, {"a": "c"}, {"a": "c"}),
    ({"a": "b"}, {"b": "c"}, {"a": "b", "b": "c"}),
    ({"a": "b"}, {"a": None}, {}),
    ({"a": "b", "b": "c"}, {"a": None}, {"b": "c"}),
    ({"a": ["b"]}, {"a": "c"}, {"a": "c"}),
    ({"a": "c"}, {"a": ["b"]}, {"a": ["b"]}),
    ({"a": {"b": "c"}}, {"a": {"b": "d", "c": None}}, {"a": {"b": "d"}}),
    ({"a": [{"b": "c"}]}, {"a": [1]}, {"a": [1]}),
    (["a", "b"], ["c", "d"], ["c", "d"]),
    ({"a": "b"}, ["c"], ["c"]),
    ({"a": "foo"}, None, None),
    ({"a": "foo"}, "bar", "bar"),
    ({"e": None}, {"a": 1}, {"e": None, "a": 1}),
    ([1, 2], {"a": "b", "c": None}, {"a": "b"}),
    ({}, {"a": {"bb": {"ccc": None}}}, {"a": {"bb": {}}}),
]


@pytest.mark.parametrize(("target", "patch", "expected"), RFC7386_APPENDIX_A)
def test_merge_patch_rfc7386_appendix_a(target: Any, patch: Any, expected: Any) -> None:
    before = copy.deepcopy((target, patch))
    result = json_merge_patch(target, patch)
    assert result == expected
    assert (target, patch) == before
    _assert_fresh(result, target, patch)


def test_merge_patch_rfc7386_section_3_example() -> None:
    target = {
        "title": "Goodbye!",
        "author": {"givenName": "John", "familyName": "Doe"},
        "tags": ["example", "sample"],
        "content": "This will be unchanged",
    }
    patch = {
        "title": "Hello!",
        "phoneNumber": "+01-123-456-7890",
        "author": {"familyName": None},
        "tags": ["example"],
    }
    assert json_merge_patch(target, patch) == {
        "title": "Hello!",
        "author": {"givenName": "John"},
        "tags": ["example"],
        "content": "This will be unchanged",
        "phoneNumber": "+01-123-456-7890",
    }


@given(target=_VALUES, patch=_VALUES)
def test_merge_patch_never_mutates_and_shares_nothing(target: Any, patch: Any) -> None:
    before = copy.deepcopy((target, patch))
    result = json_merge_patch(target, patch)
    assert (target, patch) == before
    _assert_fresh(result, target, patch)


@given(target=_OBJECTS)
def test_merge_patch_with_empty_object_is_identity(target: dict[str, Any]) -> None:
    assert json_merge_patch(target, {}) == target


@given(target=_OBJECTS, patch=_OBJECTS)
def test_merge_patch_is_idempotent(target: dict[str, Any], patch: dict[str, Any]) -> None:
    once = json_merge_patch(target, patch)
    assert json_merge_patch(once, patch) == once


# --- RFC 6902 -------------------------------------------------------------------------------------

# RFC 6902 appendix A examples that succeed: (section, document, patch, result).
RFC6902_SUCCESS = [
    (
        "A.1 adding an object member",
        {"foo": "bar"},
        [{"op": "add", "path": "/baz", "value": "qux"}],
        {"baz": "qux", "foo": "bar"},
    ),
    (
        "A.2 adding an array element",
        {"foo": ["bar", "baz"]},
        [{"op": "add", "path": "/foo/1", "value": "qux"}],
        {"foo": ["bar", "qux", "baz"]},
    ),
    (
        "A.3 removing an object member",
        {"baz": "qux", "foo": "bar"},
        [{"op": "remove", "path": "/baz"}],
        {"foo": "bar"},
    ),
    (
        "A.4 removing an array element",
        {"foo": ["bar", "qux", "baz"]},
        [{"op": "remove", "path": "/foo/1"}],
        {"foo": ["bar", "baz"]},
    ),
    (
        "A.5 replacing a value",
        {"baz": "qux", "foo": "bar"},
        [{"op": "replace", "path": "/baz", "value": "boo"}],
        {"baz": "boo", "foo": "bar"},
    ),
    (
        "A.6 moving a value",
        {"foo": {"bar": "baz", "waldo": "fred"}, "qux": {"corge": "grault"}},
        [{"op": "move", "from": "/foo/waldo", "path": "/qux/thud"}],
        {"foo": {"bar": "baz"}, "qux": {"corge": "grault", "thud": "fred"}},
    ),
    (
        "A.7 moving an array element",
        {"foo": ["all", "grass", "cows", "eat"]},
        [{"op": "move", "from": "/foo/1", "path": "/foo/3"}],
        {"foo": ["all", "cows", "eat", "grass"]},
    ),
    (
        "A.8 testing a value: success",
        {"baz": "qux", "foo": ["a", 2, "c"]},
        [
            {"op": "test", "path": "/baz", "value": "qux"},
            {"op": "test", "path": "/foo/1", "value": 2},
        ],
        {"baz": "qux", "foo": ["a", 2, "c"]},
    ),
    (
        "A.10 adding a nested member object",
        {"foo": "bar"},
        [{"op": "add", "path": "/child", "value": {"grandchild": {}}}],
        {"foo": "bar", "child": {"grandchild": {}}},
    ),
    (
        "A.11 ignoring unrecognized elements",
        {"foo": "bar"},
        [{"op": "add", "path": "/baz", "value": "qux", "xyz": 123}],
        {"foo": "bar", "baz": "qux"},
    ),
    (
        "A.14 ~ escape ordering",
        {"/": 9, "~1": 10},
        [{"op": "test", "path": "/~01", "value": 10}],
        {"/": 9, "~1": 10},
    ),
    (
        "A.16 adding an array value",
        {"foo": ["bar"]},
        [{"op": "add", "path": "/foo/-", "value": ["abc", "def"]}],
        {"foo": ["bar", ["abc", "def"]]},
    ),
]

# RFC 6902 appendix A examples that fail: (section, document, patch, error pattern).
RFC6902_ERRORS = [
    (
        "A.9 testing a value: error",
        {"baz": "qux"},
        [{"op": "test", "path": "/baz", "value": "bar"}],
        r'^operation 0 \(test\): test operation failed at /baz: expected "bar", found "qux"$',
    ),
    (
        "A.12 adding to a nonexistent target",
        {"foo": "bar"},
        [{"op": "add", "path": "/baz/bat", "value": "qux"}],
        r"^operation 0 \(add\): path /baz/bat does not exist \(/baz not found\)$",
    ),
    (
        # A.13's document repeats "op"; a JSON parser keeps the last one, so this is a remove of a
        # member that does not exist, and the patch is rejected either way.
        "A.13 invalid JSON patch document",
        {"foo": "bar"},
        [{"op": "remove", "path": "/baz", "value": "qux"}],
        r"^operation 0 \(remove\): path /baz does not exist$",
    ),
    (
        "A.15 comparing strings and numbers",
        {"/": 9, "~1": 10},
        [{"op": "test", "path": "/~01", "value": "10"}],
        r'^operation 0 \(test\): test operation failed at /~01: expected "10", found 10$',
    ),
]


@pytest.mark.parametrize(
    ("document", "patch", "expected"),
    [case[1:] for case in RFC6902_SUCCESS],
    ids=[case[0] for case in RFC6902_SUCCESS],
)
def test_json_patch_rfc6902_appendix_a(document: Any, patch: Any, expected: Any) -> None:
    before = copy.deepcopy((document, patch))
    result = json_patch(document, patch)
    assert result == expected
    assert (document, patch) == before
    _assert_fresh(result, document, patch)


@pytest.mark.parametrize(
    ("document", "patch", "message"),
    [case[1:] for case in RFC6902_ERRORS],
    ids=[case[0] for case in RFC6902_ERRORS],
)
def test_json_patch_rfc6902_appendix_a_errors(document: Any, patch: Any, message: str) -> None:
    before = copy.deepcopy(document)
    with pytest.raises(PatchError, match=message):
        json_patch(document, patch)
    assert document == before


def test_json_patch_is_atomic() -> None:
    document = {"spec": {"replicas": 2}, "items": [1]}
    patch = [
        {"op": "replace", "path": "/spec/replicas", "value": 5},
        {"op": "add", "path": "/items/-", "value": 2},
        {"op": "test", "path": "/spec/replicas", "value": 3},
    ]
    with pytest.raises(
        PatchError,
        match=r"^operation 2 \(test\): test operation failed at /spec/replicas: "
        r"expected 3, found 5$",
    ):
        json_patch(document, patch)
    assert document == {"spec": {"replicas": 2}, "items": [1]}


@pytest.mark.parametrize(
    ("operations", "message"),
    [
        ([{"path": "/a"}], "operation 0: missing 'op'"),
        ([{"op": 3, "path": "/a"}], "operation 0: 'op' must be a string, got number"),
        (["add"], "operation 0: must be an object, got string"),
        ([{"op": "frobnicate", "path": "/a"}], "operation 0 (frobnicate): unknown operation"),
        ([{"op": "add", "value": 1}], "operation 0 (add): missing 'path'"),
        ([{"op": "test", "path": "/a"}], "operation 0 (test): missing 'value'"),
        (
            [{"op": "test", "path": "/a", "value": 1}, {"op": "replace", "path": "/a"}],
            "operation 1 (replace): missing 'value'",
        ),
        ([{"op": "move", "path": "/b"}], "operation 0 (move): missing 'from'"),
        ([{"op": "copy", "from": 1, "path": "/b"}], "operation 0 (copy): 'from' must be a string"),
        ([{"op": "add", "path": 7, "value": 1}], "operation 0 (add): 'path' must be a string"),
        ([{"op": "add", "path": "a", "value": 1}], "operation 0 (add): invalid JSON pointer 'a'"),
        ([{"op": "test", "path": "/a~2", "value": 1}], "invalid JSON pointer '/a~2'"),
        ([{"op": "remove", "path": "/b/0"}], "operation 0 (remove): path /b/0 does not exist"),
        ([{"op": "remove", "path": "/l/2"}], "path /l/2 does not exist (index 2 out of range"),
        ([{"op": "replace", "path": "/l/-", "value": 0}], "path /l/- does not exist"),
        ([{"op": "add", "path": "/l/01", "value": 0}], "path /l/01: '01' is not an array index"),
        ([{"op": "add", "path": "/l/3", "value": 0}], "path /l/3 does not exist"),
        ([{"op": "add", "path": "/a/x", "value": 0}], "path /a/x does not exist"),
        ([{"op": "test", "path": "/a/x", "value": 0}], "(/a is a number)"),
        ([{"op": "move", "from": "/m", "path": "/m/n"}], "cannot move /m into its own child /m/n"),
        ([{"op": "copy", "from": "/nope", "path": "/c"}], "(copy): path /nope does not exist"),
        ([{"op": "test", "path": "/m/z/0", "value": 1}], "path /m/z/0 does not exist (/m/z not"),
        ([{"op": "remove", "path": ""}], "the whole document (path '') cannot be removed"),
    ],
)
def test_json_patch_errors_name_the_operation_and_path(
    operations: list[dict[str, Any]], message: str
) -> None:
    document = {"a": 1, "l": [1, 2], "m": {"k": 1}}
    with pytest.raises(PatchError) as raised:
        json_patch(document, operations)
    assert message in str(raised.value)
    assert document == {"a": 1, "l": [1, 2], "m": {"k": 1}}


def test_json_patch_pointer_details() -> None:
    document = {"a/b": {"m~n": 1}, "": {"": 2}, "l": [0, 1]}
    assert json_patch(document, [{"op": "test", "path": "/a~1b/m~0n", "value": 1}]) == document
    assert json_patch(document, [{"op": "test", "path": "//", "value": 2}]) == document
    # The root: replace and add swap the document; test compares it whole.
    assert json_patch(document, [{"op": "replace", "path": "", "value": [1]}]) == [1]
    assert json_patch(document, [{"op": "add", "path": "", "value": 3}]) == 3
    assert json_patch([1], [{"op": "test", "path": "", "value": [1.0]}]) == [1]
    # Booleans are not numbers, objects compare without order.
    with pytest.raises(PatchError, match="expected true, found 1"):
        json_patch({"x": 1}, [{"op": "test", "path": "/x", "value": True}])
    assert json_patch(
        {"x": {"p": 1, "q": 2}}, [{"op": "test", "path": "/x", "value": {"q": 2, "p": 1}}]
    )
    # add at the end index, move to self, copy is deep.
    assert json_patch(document, [{"op": "add", "path": "/l/2", "value": 2}])["l"] == [0, 1, 2]
    assert json_patch(document, [{"op": "move", "from": "/l", "path": "/l"}]) == document
    copied = json_patch(document, [{"op": "copy", "from": "/a~1b", "path": "/c"}])
    assert copied["c"] == {"m~n": 1}
    assert copied["c"] is not copied["a/b"]
    with pytest.raises(PatchError, match="must be an array of operations"):
        json_patch(document, "[]")  # type: ignore[arg-type]


@given(target=_VALUES)
def test_json_patch_empty_is_identity(target: Any) -> None:
    before = copy.deepcopy(target)
    result = json_patch(target, [])
    assert result == target == before
    _assert_fresh(result, target)


def _pointers(value: Any, prefix: str = "") -> list[str]:
    """Every JSON pointer that exists in ``value``."""
    found = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            escaped = key.replace("~", "~0").replace("/", "~1")
            found.extend(_pointers(item, f"{prefix}/{escaped}"))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found.extend(_pointers(item, f"{prefix}/{index}"))
    return found


@given(target=_VALUES, replacement=_VALUES, data=st.data())
def test_json_patch_replace_then_test_succeeds(
    target: Any, replacement: Any, data: st.DataObject
) -> None:
    pointer = data.draw(st.sampled_from(_pointers(target)))
    before = copy.deepcopy((target, replacement))
    operations = [
        {"op": "replace", "path": pointer, "value": replacement},
        {"op": "test", "path": pointer, "value": replacement},
    ]
    result = json_patch(target, operations)
    assert (target, replacement) == before
    _assert_fresh(result, target, replacement)


# --- strategic merge patch ------------------------------------------------------------------------


def _deployment() -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "labels": {"app": "web"}, "finalizers": ["a", "b", "c"]},
        "spec": {
            "replicas": 2,
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {
                    "containers": [
                        {
                            "name": "nginx",
                            "image": "nginx:1.24",
                            "args": ["--old", "--flag"],
                            "env": [{"name": "A", "value": "a"}, {"name": "B", "value": "b"}],
                            "ports": [{"containerPort": 80}],
                        },
                        {"name": "sidecar", "image": "sidecar:1"},
                        {"name": "logger", "image": "logger:1"},
                    ],
                    "volumes": [{"name": "data", "emptyDir": {}}],
                    "tolerations": [{"key": "k1", "operator": "Exists"}],
                },
            },
        },
    }


def _pod_spec(result: dict[str, Any]) -> dict[str, Any]:
    spec: dict[str, Any] = result["spec"]["template"]["spec"]
    return spec


def test_strategic_updates_adds_deletes_and_merges_containers() -> None:
    target = _deployment()
    patch = {
        "spec": {
            "template": {
                "spec": {
                    "containers": [
                        {
                            "name": "nginx",
                            "image": "nginx:1.25",
                            "args": ["--new"],
                            "env": [{"name": "B", "value": "b2"}, {"name": "C", "value": "c"}],
                        },
                        {"name": "sidecar", "$patch": "delete"},
                        {
                            "name": "metrics",
                            "image": "prom:1",
                            "env": [{"name": "X", "value": None}],
                        },
                    ],
                    "tolerations": [{"key": "k2", "operator": "Exists"}],
                }
            }
        }
    }
    before = copy.deepcopy((target, patch))
    result = _smp(target, patch)
    assert (target, patch) == before
    _assert_fresh(result, target, patch)
    spec = _pod_spec(result)
    assert spec["containers"] == [
        {
            "name": "nginx",
            "image": "nginx:1.25",
            "args": ["--new"],  # no merge key: replaced
            "env": [
                {"name": "A", "value": "a"},
                {"name": "B", "value": "b2"},
                {"name": "C", "value": "c"},
            ],
            "ports": [{"containerPort": 80}],
        },
        {"name": "logger", "image": "logger:1"},
        {"name": "metrics", "image": "prom:1", "env": [{"name": "X"}]},
    ]
    # tolerations have no merge key upstream: replaced whole.
    assert spec["tolerations"] == [{"key": "k2", "operator": "Exists"}]
    # Untouched parts survive.
    assert spec["volumes"] == [{"name": "data", "emptyDir": {}}]
    assert result["spec"]["replicas"] == 2


def test_strategic_null_deletes_a_field_and_a_list_item_field() -> None:
    patch = {
        "metadata": {"labels": None},
        "spec": {
            "replicas": None,
            "template": {
                "spec": {"containers": [{"name": "nginx", "env": [{"name": "A", "value": None}]}]}
            },
        },
    }
    result = _smp(_deployment(), patch)
    assert "labels" not in result["metadata"]
    assert "replicas" not in result["spec"]
    assert _pod_spec(result)["containers"][0]["env"] == [{"name": "A"}, {"name": "B", "value": "b"}]
    # null on a field that does not exist is a no-op, and is not stored.
    assert _smp({"a": 1}, {"b": None}) == {"a": 1}


def test_strategic_merge_into_missing_list_creates_it() -> None:
    target = {"spec": {"template": {"spec": {"containers": [{"name": "app"}]}}}}
    patch = {
        "spec": {
            "template": {
                "spec": {
                    "containers": [{"name": "app", "env": [{"name": "A", "value": "1"}]}],
                    "volumes": [
                        {"name": "gone", "$patch": "delete"},
                        {"name": "v", "configMap": {"name": "cm", "optional": None}},
                    ],
                }
            }
        }
    }
    result = _smp(target, patch)
    assert _pod_spec(result) == {
        "containers": [{"name": "app", "env": [{"name": "A", "value": "1"}]}],
        "volumes": [{"name": "v", "configMap": {"name": "cm"}}],
    }
    # Also from an empty document.
    assert _smp(None, {"metadata": {"finalizers": ["x"]}}) == {"metadata": {"finalizers": ["x"]}}


def test_strategic_patch_replace_on_a_map() -> None:
    patch = {"spec": {"strategy": {"$patch": "replace", "type": "Recreate"}}}
    result = _smp(_deployment(), patch)
    assert result["spec"]["strategy"] == {"type": "Recreate"}
    # Without the directive the map merges.
    merged = _smp(_deployment(), {"spec": {"strategy": {"type": "Recreate"}}})
    assert merged["spec"]["strategy"] == {"type": "Recreate", "rollingUpdate": {"maxSurge": 1}}
    # On the whole document.
    assert _smp({"a": 1, "b": 2}, {"$patch": "replace", "c": 3}) == {"c": 3}


def test_strategic_patch_replace_item_replaces_the_list() -> None:
    patch = {
        "spec": {
            "template": {
                "spec": {"containers": [{"$patch": "replace"}, {"name": "only", "image": "o:1"}]}
            }
        }
    }
    assert _pod_spec(_smp(_deployment(), patch))["containers"] == [{"name": "only", "image": "o:1"}]


def test_strategic_patch_delete_on_a_map_deletes_it() -> None:
    result = _smp(_deployment(), {"spec": {"strategy": {"$patch": "delete"}}})
    assert "strategy" not in result["spec"]
    assert _smp({"a": 1}, {"$patch": "delete"}) == {}


def test_strategic_retain_keys() -> None:
    patch = {
        "spec": {
            "strategy": {"$retainKeys": ["type"], "type": "Recreate"},
            "template": {
                "spec": {
                    "volumes": [
                        {
                            "name": "data",
                            "$retainKeys": ["name", "hostPath"],
                            "hostPath": {"path": "/srv"},
                        }
                    ]
                }
            },
        }
    }
    result = _smp(_deployment(), patch)
    assert result["spec"]["strategy"] == {"type": "Recreate"}
    assert _pod_spec(result)["volumes"] == [{"name": "data", "hostPath": {"path": "/srv"}}]


def test_strategic_retain_keys_rejects_unlisted_fields() -> None:
    patch = {"spec": {"strategy": {"$retainKeys": ["type"], "rollingUpdate": {"maxSurge": 2}}}}
    with pytest.raises(
        PatchError,
        match=r"^strategic merge patch at /spec/strategy/\$retainKeys: "
        r"patch sets field 'rollingUpdate', which \$retainKeys does not list$",
    ):
        _smp(_deployment(), patch)


def test_strategic_delete_from_primitive_list_and_set_merge() -> None:
    result = _smp(_deployment(), {"metadata": {"$deleteFromPrimitiveList/finalizers": ["b", "z"]}})
    assert result["metadata"]["finalizers"] == ["a", "c"]
    # metadata.finalizers merges as a set: new values appended, duplicates dropped.
    result = _smp(_deployment(), {"metadata": {"finalizers": ["d", "a"]}})
    assert result["metadata"]["finalizers"] == ["a", "b", "c", "d"]
    # Both at once: the deletion applies to the live list, then the patch list merges.
    both = {"metadata": {"$deleteFromPrimitiveList/finalizers": ["a"], "finalizers": ["e"]}}
    assert _smp(_deployment(), both)["metadata"]["finalizers"] == ["b", "c", "e"]
    # Works on a list that is otherwise replaced (args), as upstream does not check the strategy.
    patch = {
        "spec": {
            "template": {
                "spec": {
                    "containers": [{"name": "nginx", "$deleteFromPrimitiveList/args": ["--old"]}]
                }
            }
        }
    }
    assert _pod_spec(_smp(_deployment(), patch))["containers"][0]["args"] == ["--flag"]


def test_strategic_set_element_order() -> None:
    patch = {
        "spec": {
            "template": {
                "spec": {
                    "$setElementOrder/containers": [
                        {"name": "logger"},
                        {"name": "new"},
                        {"name": "nginx"},
                    ],
                    "containers": [
                        {"name": "new", "image": "new:1"},
                        {"name": "nginx", "image": "n:2"},
                    ],
                }
            }
        }
    }
    containers = _pod_spec(_smp(_deployment(), patch))["containers"]
    assert [c["name"] for c in containers] == ["logger", "new", "nginx", "sidecar"]
    assert containers[2]["image"] == "n:2"
    # Reordering alone, without the list in the patch; and for a list of scalars.
    reorder = {
        "metadata": {"$setElementOrder/finalizers": ["c", "a"]},
        "spec": {"template": {"spec": {"$setElementOrder/containers": [{"name": "sidecar"}]}}},
    }
    result = _smp(_deployment(), reorder)
    assert result["metadata"]["finalizers"] == ["c", "a", "b"]
    assert [c["name"] for c in _pod_spec(result)["containers"]] == ["sidecar", "nginx", "logger"]


def test_strategic_without_merge_keys_is_merge_patch_for_plain_data() -> None:
    target = {"a": [1, {"b": None}], "c": {"d": 1, "e": [1]}}
    patch = {"a": [{"x": None}], "c": {"d": None, "f": {"g": None}}}
    assert strategic_merge_patch(target, patch, merge_keys=_no_keys) == json_merge_patch(
        target, patch
    )


@given(target=_OBJECTS, patch=_OBJECTS)
def test_strategic_without_merge_keys_equals_merge_patch(
    target: dict[str, Any], patch: dict[str, Any]
) -> None:
    before = copy.deepcopy((target, patch))
    result = strategic_merge_patch(target, patch, merge_keys=_no_keys)
    assert result == json_merge_patch(target, patch)
    assert (target, patch) == before
    _assert_fresh(result, target, patch)


_NAMES = st.sampled_from("abcdef")


@given(
    live=st.lists(_NAMES, unique=True, max_size=5),
    changes=st.lists(st.tuples(_NAMES, st.booleans()), unique_by=lambda c: c[0], max_size=5),
)
def test_strategic_keyed_list_merge_model(live: list[str], changes: list[tuple[str, bool]]) -> None:
    """Kept items stay in live order, changed ones are updated, new ones appended in patch order."""
    target = {"spec": {"containers": [{"name": n, "image": f"{n}:1"} for n in live]}}
    items = [
        {"name": n, "$patch": "delete"} if delete else {"name": n, "image": f"{n}:2"}
        for n, delete in changes
    ]
    patch = {"spec": {"containers": items}}
    before = copy.deepcopy((target, patch))
    result = _smp(target, patch)
    assert (target, patch) == before
    _assert_fresh(result, target, patch)
    deleted = {n for n, delete in changes if delete}
    updated = {n for n, delete in changes if not delete}
    expected = [
        {"name": n, "image": f"{n}:2" if n in updated else f"{n}:1"}
        for n in live
        if n not in deleted
    ]
    expected += [
        {"name": n, "image": f"{n}:2"} for n, delete in changes if not delete and n not in live
    ]
    assert result == {"spec": {"containers": expected}}


@pytest.mark.parametrize(
    ("patch", "message"),
    [
        (
            {"spec": {"template": {"spec": {"containers": [{"image": "x"}]}}}},
            "at /spec/template/spec/containers/0: list item has no merge key 'name'",
        ),
        (
            {"spec": {"template": {"spec": {"containers": [{"image": "x", "$patch": "delete"}]}}}},
            "at /spec/template/spec/containers/0: $patch: delete item has no merge key 'name'",
        ),
        (
            {"spec": {"template": {"spec": {"containers": ["x"]}}}},
            "at /spec/template/spec/containers/0: list item must be an object",
        ),
        ({"spec": {"strategy": {"$patch": "merge"}}}, 'unknown $patch directive "merge"'),
        (
            {"spec": {"template": {"spec": {"containers": [{"$patch": "bogus"}]}}}},
            'at /spec/template/spec/containers/0/$patch: unknown $patch directive "bogus"',
        ),
        ({"metadata": {"$retainKeys": "name"}}, "$retainKeys must be an array of field names"),
        ({"metadata": {"$deleteFromPrimitiveList/name": ["w"]}}, "field 'name' is a string"),
        ({"metadata": {"$setElementOrder/finalizers": "a"}}, "directive value must be an array"),
        ({"metadata": {"$setElementOrder/": []}}, "directive names no field"),
        (
            {"spec": {"template": {"spec": {"$setElementOrder/tolerations": []}}}},
            "list 'tolerations' has no merge key, so it cannot be reordered",
        ),
        (
            {"metadata": {"finalizers": [{"$patch": "delete", "x": 1}]}},
            "$patch: delete needs a list of objects",
        ),
        ({"metadata": {"finalizers": [{"x": 1}]}}, "without a merge key"),
    ],
)
def test_strategic_errors_name_the_path(patch: dict[str, Any], message: str) -> None:
    with pytest.raises(PatchError) as raised:
        _smp(_deployment(), patch)
    assert str(raised.value).startswith("strategic merge patch at ")
    assert message in str(raised.value)


def test_strategic_rejects_non_objects() -> None:
    with pytest.raises(PatchError, match=re.escape("at (root): the patch must be an object")):
        _smp({}, [])
    with pytest.raises(PatchError, match=re.escape("at (root): the target must be an object")):
        _smp([], {})


# --- merge keys -----------------------------------------------------------------------------------

_POD = ("spec",)
_DEPLOY = ("spec", "template", "spec")
_CRON = ("spec", "jobTemplate", "spec", "template", "spec")


@pytest.mark.parametrize(
    ("path", "key"),
    [
        ((*_POD, "containers"), "name"),
        ((*_DEPLOY, "containers"), "name"),
        ((*_CRON, "containers"), "name"),
        (("template", "spec", "containers"), "name"),
        ((*_DEPLOY, "initContainers"), "name"),
        ((*_POD, "ephemeralContainers"), "name"),
        ((*_DEPLOY, "containers", "ports"), "containerPort"),
        ((*_DEPLOY, "initContainers", "env"), "name"),
        ((*_CRON, "containers", "volumeMounts"), "mountPath"),
        ((*_POD, "containers", "volumeDevices"), "devicePath"),
        ((*_DEPLOY, "volumes"), "name"),
        ((*_DEPLOY, "imagePullSecrets"), "name"),
        ((*_DEPLOY, "hostAliases"), "ip"),
        ((*_DEPLOY, "topologySpreadConstraints"), "topologyKey"),
        ((*_POD, "schedulingGates"), "name"),
        ((*_POD, "resourceClaims"), "name"),
        (("spec", "ports"), "port"),
        (("metadata", "ownerReferences"), "uid"),
        (("metadata", "finalizers"), ""),
        (("status", "conditions"), "type"),
        (("status", "podIPs"), "ip"),
        (("status", "addresses"), "type"),
        # Replaced whole upstream (no patch strategy):
        ((*_DEPLOY, "tolerations"), None),
        ((*_POD, "containers", "args"), None),
        ((*_POD, "containers", "command"), None),
        ((*_POD, "containers", "envFrom"), None),
        (("spec", "taints"), None),
        (("spec", "template", "containers"), None),
        (("containers",), None),
        ((), None),
    ],
)
def test_default_merge_key(path: tuple[str, ...], key: str | None) -> None:
    assert default_merge_key(path) == key


def test_default_merge_keys_table_agrees_with_the_function() -> None:
    for path, key in DEFAULT_MERGE_KEYS.items():
        assert default_merge_key(path) == key
    assert set(OBJECT_MERGE_KEYS) <= set(DEFAULT_MERGE_KEYS)
    assert len(DEFAULT_MERGE_KEYS) == len(OBJECT_MERGE_KEYS) + len(POD_SPEC_PATHS) * len(
        POD_SPEC_MERGE_KEYS
    )


def test_pod_spec_subpath() -> None:
    assert pod_spec_subpath(("spec", "template", "spec", "volumes")) == ("volumes",)
    assert pod_spec_subpath((*_CRON, "containers", "env")) == ("containers", "env")
    assert pod_spec_subpath(("spec", "containers")) == ("containers",)
    assert pod_spec_subpath(("metadata", "finalizers")) is None
    assert pod_spec_subpath(("spec",)) is None
