"""The three patch formats of the API server, as pure functions over plain JSON data.

- :func:`json_merge_patch`: RFC 7386 (``application/merge-patch+json``);
- :func:`json_patch`: RFC 6902 with RFC 6901 pointers (``application/json-patch+json``);
- :func:`strategic_merge_patch`: Kubernetes strategic merge patch
  (``application/strategic-merge-patch+json``), as ``kubectl`` produces it, with the list merge keys
  supplied by a callback; :func:`default_merge_key` knows the Kubernetes ones.

JSON data is ``dict`` (any ``Mapping`` is accepted), ``list`` (or ``tuple``), ``str``, ``int``,
``float``, ``bool`` and ``None``. No function mutates its arguments, and every result is made of
new containers (nothing in it is shared with the inputs), so a caller may mutate it freely. Every
failure raises :class:`PatchError` whose message names where (a JSON pointer) and what went wrong.

>>> json_merge_patch({"a": 1, "b": {"c": 2}}, {"b": {"c": None, "d": 3}})
{'a': 1, 'b': {'d': 3}}
>>> json_patch({"a": [1, 2]}, [{"op": "add", "path": "/a/-", "value": 3}])
{'a': [1, 2, 3]}
>>> pod = {"spec": {"containers": [{"name": "app", "image": "app:1"}, {"name": "log"}]}}
>>> strategic_merge_patch(
...     pod, {"spec": {"containers": [{"name": "app", "image": "app:2"}]}},
...     merge_keys=default_merge_key,
... )
{'spec': {'containers': [{'name': 'app', 'image': 'app:2'}, {'name': 'log'}]}}

Strategic merge patch follows ``k8s.io/apimachinery/pkg/util/strategicpatch`` (``mergeMap``,
``mergeSlice``) with these deliberate differences, all about cases upstream leaves odd:

- an item whose merge key is new is *appended* (in patch order); upstream's order normalisation
  can put new items first when no ``$setElementOrder`` is sent;
- ``$setElementOrder/<field>`` puts the listed items first, in the given order, and the unlisted
  ones after them in their merged order (upstream interleaves them by their live position);
- ``{"$patch": "delete"}`` on a map removes that field (upstream leaves an empty map ``{}``);
  on the whole document it gives ``{}``;
- a map or a merged list taken from the patch where the target has nothing is itself merged into
  nothing, so nulls in it are dropped and its directives applied: the result never holds ``$``
  directives (upstream stores some of them verbatim in that case);
- ``$patch`` / ``$retainKeys`` / ``$setElementOrder`` values of the wrong shape are errors.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from types import MappingProxyType
from typing import Any, Final

__all__ = [
    "DEFAULT_MERGE_KEYS",
    "OBJECT_MERGE_KEYS",
    "POD_SPEC_MERGE_KEYS",
    "POD_SPEC_PATHS",
    "MergeKeys",
    "PatchError",
    "default_merge_key",
    "json_merge_patch",
    "json_patch",
    "pod_spec_subpath",
    "strategic_merge_patch",
]

#: The merge-key callback of :func:`strategic_merge_patch`: given the field path of a list from
#: the document root (list positions left out), its merge key; ``None`` if the list is replaced
#: whole; ``""`` if it is a list of scalars merged as a set (``patchStrategy=merge`` without a
#: ``patchMergeKey`` upstream, e.g. ``metadata.finalizers``).
MergeKeys = Callable[[tuple[str, ...]], str | None]


class PatchError(ValueError):
    """A patch is malformed or does not apply; the message names the JSON pointer and problem."""


# --- JSON helpers ---------------------------------------------------------------------------------


def _is_array(value: Any) -> bool:
    return isinstance(value, list | tuple)


def _copy(value: Any) -> Any:
    """A deep copy of JSON data made of fresh ``dict`` / ``list`` containers."""
    if isinstance(value, Mapping):
        return {key: _copy(item) for key, item in value.items()}
    if _is_array(value):
        return [_copy(item) for item in value]
    return value


def _json_equal(left: Any, right: Any) -> bool:
    """JSON equality (RFC 6902 ``test``): numbers by value, booleans apart from numbers."""
    if isinstance(left, Mapping):
        return (
            isinstance(right, Mapping)
            and len(left) == len(right)
            and all(key in right and _json_equal(item, right[key]) for key, item in left.items())
        )
    if _is_array(left):
        return (
            _is_array(right)
            and len(left) == len(right)
            and all(_json_equal(a, b) for a, b in zip(left, right, strict=True))
        )
    if isinstance(left, bool) or isinstance(right, bool):
        return isinstance(left, bool) and isinstance(right, bool) and left == right
    if isinstance(left, int | float) and isinstance(right, int | float):
        return left == right
    return type(left) is type(right) and bool(left == right)


def _show(value: Any, limit: int = 120) -> str:
    """A short JSON rendering of ``value`` for error messages."""
    try:
        text = json.dumps(value, sort_keys=True, ensure_ascii=False)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _kind(value: Any) -> str:
    """The JSON type name of ``value`` for error messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, Mapping):
        return "object"
    if _is_array(value):
        return "array"
    return type(value).__name__


def _escape(token: str) -> str:
    """One RFC 6901 reference token, escaped."""
    return token.replace("~", "~0").replace("/", "~1")


def _pointer(tokens: Iterable[str]) -> str:
    return "".join("/" + _escape(token) for token in tokens)


def _where(pointer: str) -> str:
    """A pointer as shown in messages: the root (``""``) reads ``(root)``."""
    return pointer if pointer else "(root)"


# --- RFC 7386 JSON merge patch --------------------------------------------------------------------


def json_merge_patch(target: Any, patch: Any) -> Any:
    """Apply an RFC 7386 JSON merge patch to ``target`` and return the result.

    An object patch merges into the target member by member (a target that is not an object is
    first replaced by ``{}``); a ``null`` member deletes that member; any other patch value (an
    array, a scalar, ``null``) replaces the target whole, so arrays are never merged.
    """
    if not isinstance(patch, Mapping):
        return _copy(patch)
    source: Mapping[str, Any] = target if isinstance(target, Mapping) else {}
    result: dict[str, Any] = {}
    for key, value in source.items():
        if key not in patch:
            result[key] = _copy(value)
        elif patch[key] is not None:
            result[key] = json_merge_patch(value, patch[key])
    for key, value in patch.items():
        if key not in source and value is not None:
            result[key] = json_merge_patch(None, value)
    return result


# --- RFC 6902 JSON patch --------------------------------------------------------------------------

_OPERATIONS: Final = ("add", "remove", "replace", "move", "copy", "test")
_INDEX: Final = re.compile(r"0|[1-9][0-9]*")
_BAD_ESCAPE: Final = re.compile(r"~(?![01])")


def _parse_pointer(pointer: str) -> list[str]:
    """The reference tokens of an RFC 6901 JSON pointer."""
    if pointer == "":
        return []
    if not pointer.startswith("/"):
        raise PatchError(f"invalid JSON pointer {pointer!r}: must be empty or start with '/'")
    if _BAD_ESCAPE.search(pointer):
        raise PatchError(f"invalid JSON pointer {pointer!r}: '~' must be followed by '0' or '1'")
    return [raw.replace("~1", "/").replace("~0", "~") for raw in pointer[1:].split("/")]


def _array_index(token: str, length: int, pointer: str, *, allow_end: bool) -> int:
    """The array position ``token`` names; ``allow_end`` admits ``-`` and ``length`` (for add)."""
    if token == "-":
        if allow_end:
            return length
        raise PatchError(f"path {pointer} does not exist ('-' is past the end of the array)")
    if not _INDEX.fullmatch(token):
        raise PatchError(f"path {pointer}: {token!r} is not an array index")
    index = int(token)
    if index > length or (index == length and not allow_end):
        raise PatchError(
            f"path {pointer} does not exist (index {index} out of range for length {length})"
        )
    return index


def _resolve(doc: Any, tokens: Sequence[str], pointer: str) -> Any:
    """The value at ``tokens`` (spelt ``pointer``) in ``doc``; errors name what is missing."""
    node = doc
    for depth, token in enumerate(tokens):
        here = _pointer(tokens[: depth + 1])
        detail = "" if here == pointer else f" ({here} not found)"
        if isinstance(node, dict):
            if token not in node:
                raise PatchError(f"path {pointer} does not exist{detail}")
            node = node[token]
        elif isinstance(node, list):
            node = node[_array_index(token, len(node), pointer, allow_end=False)]
        else:
            parent = _where(_pointer(tokens[:depth]))
            raise PatchError(f"path {pointer} does not exist ({parent} is a {_kind(node)})")
    return node


def _add(doc: Any, tokens: Sequence[str], pointer: str, value: Any) -> Any:
    if not tokens:
        return value
    parent = _resolve(doc, tokens[:-1], pointer)
    last = tokens[-1]
    if isinstance(parent, dict):
        parent[last] = value
    elif isinstance(parent, list):
        parent.insert(_array_index(last, len(parent), pointer, allow_end=True), value)
    else:
        raise PatchError(f"path {pointer} does not exist (its parent is a {_kind(parent)})")
    return doc


def _remove(doc: Any, tokens: Sequence[str], pointer: str) -> Any:
    if not tokens:
        raise PatchError("the whole document (path '') cannot be removed")
    parent = _resolve(doc, tokens[:-1], pointer)
    last = tokens[-1]
    if isinstance(parent, dict):
        if last not in parent:
            raise PatchError(f"path {pointer} does not exist")
        del parent[last]
    elif isinstance(parent, list):
        del parent[_array_index(last, len(parent), pointer, allow_end=False)]
    else:
        raise PatchError(f"path {pointer} does not exist (its parent is a {_kind(parent)})")
    return doc


def _replace(doc: Any, tokens: Sequence[str], pointer: str, value: Any) -> Any:
    if not tokens:
        return value
    parent = _resolve(doc, tokens[:-1], pointer)
    last = tokens[-1]
    if isinstance(parent, dict):
        if last not in parent:
            raise PatchError(f"path {pointer} does not exist")
        parent[last] = value
    elif isinstance(parent, list):
        parent[_array_index(last, len(parent), pointer, allow_end=False)] = value
    else:
        raise PatchError(f"path {pointer} does not exist (its parent is a {_kind(parent)})")
    return doc


def _member(operation: Mapping[str, Any], name: str) -> Any:
    if name not in operation:
        raise PatchError(f"missing '{name}'")
    return operation[name]


def _pointer_member(operation: Mapping[str, Any], name: str) -> tuple[str, list[str]]:
    pointer = _member(operation, name)
    if not isinstance(pointer, str):
        raise PatchError(f"'{name}' must be a string, got {_kind(pointer)}")
    return pointer, _parse_pointer(pointer)


def _apply_operation(doc: Any, operation: Mapping[str, Any]) -> Any:
    """Apply one validated-name operation to ``doc`` (which this module owns and may mutate)."""
    op = operation["op"]
    path, tokens = _pointer_member(operation, "path")
    if op == "add":
        return _add(doc, tokens, path, _copy(_member(operation, "value")))
    if op == "remove":
        return _remove(doc, tokens, path)
    if op == "replace":
        value = _copy(_member(operation, "value"))
        return _replace(doc, tokens, path, value)
    if op == "test":
        expected = _member(operation, "value")
        found = _resolve(doc, tokens, path)
        if not _json_equal(found, expected):
            raise PatchError(
                f"test operation failed at {_where(path)}: "
                f"expected {_show(expected)}, found {_show(found)}"
            )
        return doc
    source, from_tokens = _pointer_member(operation, "from")
    value = _resolve(doc, from_tokens, source)
    if op == "copy":
        return _add(doc, tokens, path, _copy(value))
    # move: RFC 6902 section 4.4 forbids moving a location into one of its children.
    if len(from_tokens) < len(tokens) and tokens[: len(from_tokens)] == from_tokens:
        raise PatchError(f"cannot move {_where(source)} into its own child {path}")
    if from_tokens == tokens:
        return doc
    return _add(_remove(doc, from_tokens, source), tokens, path, value)


def json_patch(target: Any, operations: Sequence[Mapping[str, Any]]) -> Any:
    """Apply an RFC 6902 JSON patch (a list of operations) to ``target`` and return the result.

    Operations are ``add``, ``remove``, ``replace``, ``move``, ``copy`` and ``test``; paths are
    RFC 6901 pointers (``~0`` is ``~``, ``~1`` is ``/``, ``-`` appends to an array in ``add``).
    The patch is atomic: on any error nothing is applied (``target`` is never modified) and the
    :class:`PatchError` names the operation, e.g. ``operation 2 (replace): path /a does not exist``.
    Members an operation does not use are ignored, as the RFC says.
    """
    if isinstance(operations, str | bytes) or not isinstance(operations, Sequence):
        raise PatchError(f"a JSON patch must be an array of operations, got {_kind(operations)}")
    doc = _copy(target)
    for index, operation in enumerate(operations):
        if not isinstance(operation, Mapping):
            raise PatchError(f"operation {index}: must be an object, got {_kind(operation)}")
        if "op" not in operation:
            raise PatchError(f"operation {index}: missing 'op'")
        op = operation["op"]
        if not isinstance(op, str):
            raise PatchError(f"operation {index}: 'op' must be a string, got {_kind(op)}")
        if op not in _OPERATIONS:
            raise PatchError(
                f"operation {index} ({op}): unknown operation, expected one of "
                + ", ".join(_OPERATIONS)
            )
        try:
            doc = _apply_operation(doc, operation)
        except PatchError as error:
            raise PatchError(f"operation {index} ({op}): {error}") from None
    return doc


# --- Kubernetes strategic merge patch -------------------------------------------------------------

_DIRECTIVE: Final = "$patch"
_RETAIN_KEYS: Final = "$retainKeys"
_DELETE_FROM: Final = "$deleteFromPrimitiveList/"
_SET_ORDER: Final = "$setElementOrder/"


def _fail(where: str, problem: str) -> PatchError:
    return PatchError(f"strategic merge patch at {_where(where)}: {problem}")


def _is_scalar(value: Any) -> bool:
    return not isinstance(value, Mapping) and not _is_array(value)


class _Strategic:
    """One strategic merge: the merge-key callback plus the recursive merge functions.

    ``path`` is the field path used for merge-key look-ups (list positions left out); ``where``
    is the JSON pointer of the patch value being merged, for error messages. No method mutates
    its arguments; each returns fresh containers.
    """

    def __init__(self, merge_keys: MergeKeys) -> None:
        self._merge_keys = merge_keys

    def key(self, path: tuple[str, ...], where: str) -> str | None:
        key = self._merge_keys(path)
        if key is not None and not isinstance(key, str):
            raise _fail(where, f"merge key for {'.'.join(path)} must be a string or None")
        return key

    def value(self, original: Any, patch: Any, path: tuple[str, ...], where: str) -> Any:
        """Merge a non-null patch value into ``original`` (``None`` if absent); ``None`` deletes."""
        if isinstance(patch, Mapping):
            return self.map(original if isinstance(original, Mapping) else None, patch, path, where)
        if _is_array(patch):
            return self.list(original if _is_array(original) else None, patch, path, where)
        return patch

    def map(
        self,
        original: Mapping[str, Any] | None,
        patch: Mapping[str, Any],
        path: tuple[str, ...],
        where: str,
    ) -> dict[str, Any] | None:
        """Merge a patch object into an object; ``None`` means ``$patch: delete``."""
        if _DIRECTIVE in patch:
            directive = patch[_DIRECTIVE]
            if directive == "delete":
                return None
            if directive == "replace":
                rest = {key: value for key, value in patch.items() if key != _DIRECTIVE}
                return self.map(None, rest, path, where)
            raise _fail(
                f"{where}/{_escape(_DIRECTIVE)}",
                f"unknown $patch directive {_show(directive)} for an object "
                "(expected 'replace' or 'delete')",
            )
        source: Mapping[str, Any] = original if original is not None else {}

        fields: dict[str, Any] = {}
        deletions: dict[str, tuple[str, Sequence[Any]]] = {}
        orders: dict[str, tuple[str, Sequence[Any]]] = {}
        for key, value in patch.items():
            here = f"{where}/{_escape(key)}"
            if key == _RETAIN_KEYS:
                continue
            if key.startswith((_DELETE_FROM, _SET_ORDER)):
                field = key.partition("/")[2]
                if not field:
                    raise _fail(here, "directive names no field")
                if not _is_array(value):
                    raise _fail(here, f"directive value must be an array, got {_kind(value)}")
                target = deletions if key.startswith(_DELETE_FROM) else orders
                target[field] = (here, value)
            else:
                fields[key] = value

        retain: set[str] | None = None
        if _RETAIN_KEYS in patch:
            here = f"{where}/{_escape(_RETAIN_KEYS)}"
            listed = patch[_RETAIN_KEYS]
            if not _is_array(listed) or not all(isinstance(name, str) for name in listed):
                raise _fail(here, "$retainKeys must be an array of field names")
            retain = set(listed)
            for key, value in fields.items():
                if value is not None and key not in retain:
                    raise _fail(here, f"patch sets field {key!r}, which $retainKeys does not list")

        # Entries of ``result`` not in ``fresh`` still alias ``original`` and are copied at the end.
        result: dict[str, Any] = {
            key: value for key, value in source.items() if retain is None or key in retain
        }
        fresh: set[str] = set()

        for field, (here, values) in deletions.items():
            if field not in result:
                continue
            current = result[field]
            if not _is_array(current):
                raise _fail(here, f"field {field!r} is a {_kind(current)}, not an array")
            result[field] = [
                item for item in current if not any(_json_equal(item, v) for v in values)
            ]

        for key, value in fields.items():
            if value is None:
                result.pop(key, None)
                fresh.discard(key)
                continue
            merged = self.value(result.get(key), value, (*path, key), f"{where}/{_escape(key)}")
            if merged is None:  # {"$patch": "delete"} on a map
                result.pop(key, None)
                fresh.discard(key)
            else:
                result[key] = merged
                fresh.add(key)

        for field, (here, order) in orders.items():
            if field not in result:
                continue
            current = result[field]
            if not _is_array(current):
                raise _fail(here, f"field {field!r} is a {_kind(current)}, not an array")
            merge_key = self.key((*path, field), here)
            if merge_key is None:
                raise _fail(here, f"list {field!r} has no merge key, so it cannot be reordered")
            result[field] = _reorder(current, order, merge_key, here)

        return {key: value if key in fresh else _copy(value) for key, value in result.items()}

    def list(
        self,
        original: Sequence[Any] | None,
        patch: Sequence[Any],
        path: tuple[str, ...],
        where: str,
    ) -> list[Any]:
        """Merge a patch array into an array, by merge key, as a set, or by replacing it."""
        key = self.key(path, where)
        replace = False
        deletes: list[tuple[str, Mapping[str, Any]]] = []
        items: list[tuple[str, Any]] = []
        for index, item in enumerate(patch):
            here = f"{where}/{index}"
            if isinstance(item, Mapping) and _DIRECTIVE in item:
                directive = item[_DIRECTIVE]
                if directive == "replace":
                    replace = True
                elif directive == "delete":
                    deletes.append((here, item))
                else:
                    raise _fail(
                        f"{here}/{_escape(_DIRECTIVE)}",
                        f"unknown $patch directive {_show(directive)} in a list "
                        "(expected 'replace' or 'delete')",
                    )
            else:
                items.append((here, item))

        if key is None:
            # Not a merging list: the patch's items replace it, verbatim like RFC 7386 (only the
            # list-level directive items are dropped; there is nothing for them to act on).
            return [_copy(item) for _, item in items]
        if replace:
            return [self.new_item(item, path, here) for here, item in items]

        current = list(original) if original is not None else []
        scalars = all(_is_scalar(item) for item in current) and all(
            _is_scalar(item) for _, item in items
        )
        if key == "" or (scalars and not deletes):
            # A set of scalars (upstream merges scalar lists this way whatever their merge key).
            if deletes:
                raise _fail(
                    deletes[0][0],
                    "$patch: delete needs a list of objects; for a list of scalars "
                    "use $deleteFromPrimitiveList/<field>",
                )
            if not scalars:
                raise _fail(
                    where,
                    f"cannot merge a list of objects at {'.'.join(path)} without a merge key",
                )
            merged: list[Any] = []
            for item in [*current, *(item for _, item in items)]:
                if not any(_json_equal(item, seen) for seen in merged):
                    merged.append(item)
            return merged

        for here, item in deletes:
            if key not in item:
                raise _fail(here, f"$patch: delete item has no merge key {key!r}")
            current = [entry for entry in current if not _has_key(entry, key, item[key])]
        fresh = [False] * len(current)
        for here, item in items:
            if not isinstance(item, Mapping):
                raise _fail(
                    here, f"list item must be an object with merge key {key!r}, got {_kind(item)}"
                )
            if key not in item:
                raise _fail(here, f"list item has no merge key {key!r}")
            for position, entry in enumerate(current):
                if _has_key(entry, key, item[key]):
                    current[position] = self.map(entry, item, path, here)
                    fresh[position] = True
                    break
            else:
                current.append(self.new_item(item, path, here))
                fresh.append(True)
        return [
            entry if is_fresh else _copy(entry)
            for entry, is_fresh in zip(current, fresh, strict=True)
        ]

    def new_item(self, item: Any, path: tuple[str, ...], where: str) -> Any:
        """A patch list item with nothing to merge into: objects are merged into nothing."""
        if isinstance(item, Mapping):
            return self.map(None, item, path, where)
        return _copy(item)


def _has_key(entry: Any, key: str, value: Any) -> bool:
    return isinstance(entry, Mapping) and key in entry and _json_equal(entry[key], value)


def _reorder(items: Sequence[Any], order: Sequence[Any], key: str, where: str) -> list[Any]:
    """``items`` with those named by ``order`` first, in that order, then the rest as they were."""
    wanted: list[Any] = []
    for index, entry in enumerate(order):
        if key and isinstance(entry, Mapping):
            if key not in entry:
                raise _fail(f"{where}/{index}", f"$setElementOrder item has no merge key {key!r}")
            wanted.append(entry[key])
        else:
            wanted.append(entry)
    taken = [False] * len(items)
    ordered: list[Any] = []
    for value in wanted:
        for position, item in enumerate(items):
            if taken[position]:
                continue
            matches = _has_key(item, key, value) if key else _json_equal(item, value)
            if matches:
                ordered.append(item)
                taken[position] = True
    ordered.extend(item for position, item in enumerate(items) if not taken[position])
    return ordered


def strategic_merge_patch(target: Any, patch: Any, *, merge_keys: MergeKeys) -> Any:
    """Apply a Kubernetes strategic merge patch to the object ``target`` and return the result.

    Objects merge recursively as in :func:`json_merge_patch` (a ``null`` member deletes the
    field). A list whose field path has a merge key (``merge_keys(path)``, the path being the
    field names from the root with list positions left out, e.g.
    ``("spec", "template", "spec", "containers")`` gives ``"name"``) is merged by that key: a patch
    item updates the item with the same key value (recursively, strategically), an item with a new
    key is appended (in patch order), and ``{"<key>": ..., "$patch": "delete"}`` removes the item.
    A merge key of ``""`` merges a list of scalars as a set (new values appended). A list without a
    merge key is replaced by the patch's list.

    Directives:

    - ``"$patch": "replace"`` in an object replaces the whole object with the rest of the patch
      object; an item ``{"$patch": "replace"}`` in a list replaces the whole list with the other
      items;
    - ``"$patch": "delete"`` in an object deletes that object (a list item: deletes the item);
    - ``"$retainKeys": [...]`` keeps only the listed fields of the object (the patch may set only
      listed fields);
    - ``"$deleteFromPrimitiveList/<field>": [...]`` removes those values from the scalar list
      ``<field>`` (before the patch's own ``<field>``, if any, is merged);
    - ``"$setElementOrder/<field>": [...]`` orders the merged list ``<field>``: the items named
      (``{"<key>": value}``, or the values themselves for a list of scalars) come first in that
      order, the others keep their relative order after them.

    ``target`` must be an object (or ``None``, read as ``{}``) and so must ``patch``.
    """
    if not isinstance(patch, Mapping):
        raise _fail("", f"the patch must be an object, got {_kind(patch)}")
    if target is not None and not isinstance(target, Mapping):
        raise _fail("", f"the target must be an object, got {_kind(target)}")
    merged = _Strategic(merge_keys).map(target, patch, (), "")
    return {} if merged is None else merged


# --- Kubernetes merge keys ------------------------------------------------------------------------

#: Where a pod spec sits in the objects that hold one: Pod (``spec``), PodTemplate
#: (``template.spec``), Deployment / ReplicaSet / ReplicationController / StatefulSet / DaemonSet /
#: Job (``spec.template.spec``) and CronJob (``spec.jobTemplate.spec.template.spec``).
POD_SPEC_PATHS: Final[tuple[tuple[str, ...], ...]] = (
    ("spec", "jobTemplate", "spec", "template", "spec"),
    ("spec", "template", "spec"),
    ("template", "spec"),
    ("spec",),
)

_CONTAINER_LISTS: Final = ("containers", "initContainers", "ephemeralContainers")

#: Merge keys of the lists inside a pod spec, relative to the pod spec, from the
#: ``patchStrategy:"merge" patchMergeKey:"..."`` tags of ``k8s.io/api/core/v1``.
POD_SPEC_MERGE_KEYS: Final[Mapping[tuple[str, ...], str]] = MappingProxyType(
    {
        # PodSpec.containers / initContainers / ephemeralContainers: merge by name.
        **{(field,): "name" for field in _CONTAINER_LISTS},
        # Container (and EphemeralContainerCommon) lists, the same in all three container lists:
        # - ports: patchMergeKey=containerPort (the list-map key is containerPort+protocol, but
        #   strategic merge only knows containerPort);
        # - env: name; volumeMounts: mountPath; volumeDevices: devicePath.
        # Not merged (no patch strategy upstream, so replaced whole): command, args, envFrom,
        # resizePolicy, resources.claims.
        **{(field, "ports"): "containerPort" for field in _CONTAINER_LISTS},
        **{(field, "env"): "name" for field in _CONTAINER_LISTS},
        **{(field, "volumeMounts"): "mountPath" for field in _CONTAINER_LISTS},
        **{(field, "volumeDevices"): "devicePath" for field in _CONTAINER_LISTS},
        # PodSpec.volumes: patchStrategy=merge,retainKeys, key name (retainKeys only matters to
        # the patch kubectl computes, which then carries $retainKeys).
        ("volumes",): "name",
        # PodSpec.imagePullSecrets: name.
        ("imagePullSecrets",): "name",
        # PodSpec.hostAliases: ip (hostAliases[].hostnames is atomic: replaced).
        ("hostAliases",): "ip",
        # PodSpec.topologySpreadConstraints: patchMergeKey=topologyKey (the list-map key is
        # topologyKey+whenUnsatisfiable; strategic merge only knows topologyKey).
        ("topologySpreadConstraints",): "topologyKey",
        # PodSpec.schedulingGates: name; PodSpec.resourceClaims: name (merge,retainKeys).
        ("schedulingGates",): "name",
        ("resourceClaims",): "name",
        # Deliberately absent, because upstream has no patch strategy for them (replaced whole):
        # tolerations (kubectl replaces the whole list), readinessGates, affinity term lists,
        # dnsConfig lists, securityContext.supplementalGroups / sysctls, overhead.
    }
)

#: Merge keys of lists outside pod specs, as absolute paths from the object root.
OBJECT_MERGE_KEYS: Final[Mapping[tuple[str, ...], str]] = MappingProxyType(
    {
        # ObjectMeta.ownerReferences: uid.
        ("metadata", "ownerReferences"): "uid",
        # ObjectMeta.finalizers: patchStrategy=merge with no key, a set of strings ("" here), so
        # kubectl can add one and remove one with $deleteFromPrimitiveList/finalizers.
        ("metadata", "finalizers"): "",
        # status.conditions: type, for Pod and Node (and equally for Deployment, ReplicaSet,
        # StatefulSet, DaemonSet, Job and Service, whose condition lists carry the same tag).
        ("status", "conditions"): "type",
        # Service spec.ports: port (list-map key port+protocol; strategic merge knows port). No
        # pod spec has a `ports` field, so the Pod prefix `spec` cannot clash with this.
        ("spec", "ports"): "port",
        # Pod status.podIPs and status.hostIPs: ip.
        ("status", "podIPs"): "ip",
        ("status", "hostIPs"): "ip",
        # Node status.addresses: type, as tagged upstream (same-type addresses collapse, which is
        # why the kubelet sends that list with {"$patch": "replace"}).
        ("status", "addresses"): "type",
        # Node spec.podCIDRs: patchStrategy=merge without a key: a set of strings.
        ("spec", "podCIDRs"): "",
        # Deliberately absent (replaced whole, no patch strategy upstream): Node spec.taints,
        # Service spec.clusterIPs / ipFamilies, container statuses, load-balancer ingress.
    }
)

#: Every merge key :func:`default_merge_key` knows, as absolute paths from the object root: the
#: :data:`OBJECT_MERGE_KEYS` plus the :data:`POD_SPEC_MERGE_KEYS` under each of the
#: :data:`POD_SPEC_PATHS`.
DEFAULT_MERGE_KEYS: Final[Mapping[tuple[str, ...], str]] = MappingProxyType(
    {
        **{
            (*prefix, *relative): key
            for prefix in POD_SPEC_PATHS
            for relative, key in POD_SPEC_MERGE_KEYS.items()
        },
        **OBJECT_MERGE_KEYS,
    }
)


def pod_spec_subpath(path: tuple[str, ...]) -> tuple[str, ...] | None:
    """The part of ``path`` inside a pod spec, if ``path`` is in one (see :data:`POD_SPEC_PATHS`).

    Deeper pod-spec locations are tried first, so ``("spec", "template", "spec", "volumes")``
    gives ``("volumes",)``; a path not below any of them gives ``None``.
    """
    for prefix in POD_SPEC_PATHS:
        if len(path) > len(prefix) and path[: len(prefix)] == prefix:
            return path[len(prefix) :]
    return None


def default_merge_key(path: tuple[str, ...]) -> str | None:
    """The Kubernetes merge key of the list at ``path`` (field names from the object root).

    For :func:`strategic_merge_patch`'s ``merge_keys``: :data:`OBJECT_MERGE_KEYS` first, then the
    pod-spec lists (:data:`POD_SPEC_MERGE_KEYS`) wherever a workload keeps its pod spec; ``None``
    for any other list, which is then replaced whole.
    """
    path = tuple(path)
    if path in OBJECT_MERGE_KEYS:
        return OBJECT_MERGE_KEYS[path]
    for prefix in POD_SPEC_PATHS:
        if len(path) > len(prefix) and path[: len(prefix)] == prefix:
            key = POD_SPEC_MERGE_KEYS.get(path[len(prefix) :])
            if key is not None:
                return key
    return None
