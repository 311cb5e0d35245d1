"""Manifests: multi-document YAML (or JSON) files in, typed objects out, and back again."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import IO, Any

import attrs
import yaml

from kube_actors.api.defaults import default_object
from kube_actors.api.registry import REGISTRY, KindRegistry
from kube_actors.api.serialization import PathError, SerializationError, from_dict, to_dict
from kube_actors.api.validation import validate_object

__all__ = ["ManifestError", "ManifestProblem", "dump_manifest", "dump_manifests", "load_manifests"]

_SUFFIXES = (".yaml", ".yml", ".json")

# libyaml's C parser when it is installed: several times faster on large manifests.
_BaseLoader: type[Any] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_BaseDumper: type[Any] = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


class _Loader(_BaseLoader):  # type: ignore[misc]
    """Safe loader that leaves timestamps as strings, as kubectl's YAML-to-JSON step does.

    Without this, ``version: 2024-01-01`` in a label would become a date instead of a string.
    """


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


@attrs.frozen
class ManifestProblem:
    """One problem in one document: where (source, 1-based document, field path) and what."""

    source: str
    document: int | None
    path: str
    message: str

    def __str__(self) -> str:
        where = self.source if self.document is None else f"{self.source} doc {self.document}"
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


class ManifestError(ValueError):
    """A manifest that cannot be loaded; nothing from the call is returned.

    ``problems`` lists every problem found (all documents are checked); ``source``,
    ``document``, ``path`` and ``message`` describe the first one.

    >>> load_manifests("apiVersion: v1\\nkind: Pod\\nmetadata: {name: Web_Server}\\n")
    Traceback (most recent call last):
    ...
    kube_actors.api.manifests.ManifestError: <string> doc 1: metadata.name: Invalid value: ...
    """

    def __init__(self, problems: Sequence[ManifestProblem]) -> None:
        self.problems = tuple(problems)
        first = self.problems[0]
        self.source, self.document = first.source, first.document
        self.path, self.message = first.path, first.message
        super().__init__("\n".join(str(p) for p in self.problems))


def _problems(source: str, doc: int, errors: Iterable[PathError | Any]) -> list[ManifestProblem]:
    return [ManifestProblem(source, doc, e.path, e.message) for e in errors]


def _read_sources(
    source: str | os.PathLike[str] | IO[str] | bytes, recursive: bool
) -> Iterator[tuple[str, str]]:
    """Yield (name, text) pairs for YAML text, a file, a directory or an open stream."""
    if isinstance(source, bytes):
        yield "<string>", source.decode("utf-8")
        return
    if not isinstance(source, (str, os.PathLike)):
        yield getattr(source, "name", "<stream>"), source.read()
        return
    if isinstance(source, str) and (
        "\n" in source or not (source.endswith(_SUFFIXES) or os.path.exists(source))
    ):
        yield "<string>", source
        return
    path = Path(source)
    if path.is_dir():
        pattern = "**/*" if recursive else "*"
        files = sorted(p for p in path.glob(pattern) if p.suffix in _SUFFIXES and p.is_file())
        for file in files:
            yield str(file), file.read_text(encoding="utf-8")
        return
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ManifestError(
            [ManifestProblem(str(path), None, "", exc.strerror or str(exc))]
        ) from None
    yield str(path), text


def _documents(name: str, text: str) -> Iterator[tuple[int, Any]]:
    """Parse a YAML stream, numbering documents from 1 and expanding ``kind: List``."""
    number = 0
    try:
        for data in yaml.load_all(text, Loader=_Loader):
            number += 1
            if data is None:  # an empty document (a stray ---)
                continue
            if isinstance(data, dict) and data.get("kind") == "List" and "items" in data:
                for item in data["items"] or ():
                    yield number, item
            else:
                yield number, data
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        context = getattr(exc, "context", None)
        detail = f"{problem} ({context})" if context else problem
        raise ManifestError(
            [ManifestProblem(name, number + 1, "", f"invalid YAML{where}: {detail}")]
        ) from None


def load_manifests(
    source: str | os.PathLike[str] | IO[str] | bytes,
    *,
    strict: bool = True,
    validate: bool = True,
    recursive: bool = False,
    registry: KindRegistry = REGISTRY,
) -> list[Any]:
    """Load every object from YAML text, a file, a directory of files, or an open stream.

    Objects come back exactly as written (no defaults filled in). Each is also checked the way
    the API server would check it, with defaults applied, unless ``validate=False``. Unknown
    fields are errors unless ``strict=False``. Any problem in any document raises one
    :class:`ManifestError` listing them all, so a caller never acts on half of a file.

    >>> [pod] = load_manifests(
    ...     "apiVersion: v1\\nkind: Pod\\nmetadata: {name: web}\\n"
    ...     "spec: {containers: [{name: c, image: nginx}]}\\n"
    ... )
    >>> pod.metadata.name
    'web'
    """
    objects: list[Any] = []
    problems: list[ManifestProblem] = []
    for name, text in _read_sources(source, recursive):
        for number, data in _documents(name, text):
            try:
                obj: Any = from_dict(data, strict=strict, registry=registry)
            except SerializationError as exc:
                problems += _problems(name, number, exc.errors)
                continue
            if validate:
                errors = validate_object(default_object(obj, registry=registry), registry=registry)
                if errors:
                    problems += _problems(name, number, errors)
                    continue
            objects.append(obj)
    if problems:
        raise ManifestError(problems)
    return objects


def _dump_yaml(data: Any) -> str:
    text: str = yaml.dump(
        data, Dumper=_BaseDumper, sort_keys=False, default_flow_style=False, allow_unicode=True
    )
    return text


def dump_manifest(obj: Any, *, registry: KindRegistry = REGISTRY) -> str:
    """YAML for one object, in the shape ``kubectl get -o yaml`` prints (defaults left out).

    ``load_manifests(dump_manifest(obj)) == [obj]`` for every object.
    """
    return _dump_yaml(to_dict(obj, registry=registry))


def dump_manifests(objs: Iterable[Any], *, registry: KindRegistry = REGISTRY) -> str:
    """A multi-document YAML stream (``---`` between documents) for several objects."""
    return "---\n".join(dump_manifest(obj, registry=registry) for obj in objs)
