"""The kind registry: which attrs class serves which apiVersion/kind, and how to reach it."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

import attrs

from kube_actors.api.meta import ObjectMeta

if TYPE_CHECKING:
    from kube_actors.api.validation import FieldError

T = TypeVar("T")
R = TypeVar("R", bound=type[Any])

#: Returns the object with upstream defaults filled in.
Defaulter = Callable[[Any], Any]
#: Returns every field error of an object (an empty list means valid).
Validator = Callable[[Any], "Sequence[FieldError]"]


class UnknownKindError(LookupError):
    """No class is registered for an apiVersion/kind pair."""

    def __init__(self, api_version: str, kind: str, suggestions: Sequence[str] = ()) -> None:
        self.api_version = api_version
        self.kind = kind
        hint = f" (did you mean {' or '.join(suggestions)}?)" if suggestions else ""
        super().__init__(f"kind {kind} is not registered for {api_version}{hint}")


# The hash is cached: KindInfo keys the storage-prefix and other per-kind caches on every write.
@attrs.frozen(kw_only=True, cache_hash=True)
class KindInfo:
    """How a kind is named and stored.

    ``group`` is empty for the core group (``apiVersion: v1``); ``plural`` is the resource name
    used in URLs, storage keys and error messages (``deployments.apps "web" not found``).
    """

    group: str
    version: str
    kind: str
    plural: str
    namespaced: bool
    cls: type[Any]
    singular: str = ""
    short_names: tuple[str, ...] = ()
    defaulter: Defaulter | None = None
    validator: Validator | None = None

    @property
    def api_version(self) -> str:
        """``group/version``, or just ``version`` for the core group."""
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def resource(self) -> str:
        """``plural.group`` as upstream prints it (``deployments.apps``, ``pods``)."""
        return f"{self.plural}.{self.group}" if self.group else self.plural


class KindRegistry:
    """Maps apiVersion/kind to :class:`KindInfo` and back from a class."""

    def __init__(self) -> None:
        self._by_gvk: dict[tuple[str, str], KindInfo] = {}
        self._by_cls: dict[type[Any], KindInfo] = {}
        self._by_resource: dict[str, KindInfo] = {}

    def register(self, info: KindInfo) -> KindInfo:
        """Add a kind; registering the same apiVersion/kind with another class is an error."""
        if not attrs.has(info.cls):
            raise TypeError(f"{info.cls.__qualname__} must be an attrs class to be a kind")
        fields = attrs.fields_dict(info.cls)
        if "metadata" not in fields or fields["metadata"].type not in (ObjectMeta, "ObjectMeta"):
            raise TypeError(f"{info.cls.__qualname__} needs a `metadata: ObjectMeta` field")
        key = (info.api_version, info.kind)
        old = self._by_gvk.get(key)
        if old is not None and old.cls is not info.cls:
            raise ValueError(f"kind {info.kind} is already registered for {info.api_version}")
        self._by_gvk[key] = info
        self._by_cls[info.cls] = info
        self._by_resource[info.resource] = info
        # Class attributes, so objects can tell their apiVersion/kind without a lookup.
        type.__setattr__(info.cls, "api_version", info.api_version)
        type.__setattr__(info.cls, "kind", info.kind)
        return info

    def lookup(self, api_version: str, kind: str) -> KindInfo:
        """The kind for ``apiVersion``/``kind``; raises :class:`UnknownKindError` with hints."""
        info = self._by_gvk.get((api_version, kind))
        if info is None:
            same_version = [k for (v, k) in self._by_gvk if v == api_version]
            close = difflib.get_close_matches(kind, same_version, n=2)
            if not close:
                close = [f"{k} in {v}" for (v, k) in self._by_gvk if k.lower() == kind.lower()]
            raise UnknownKindError(api_version, kind, close)
        return info

    def for_class(self, cls: type[Any]) -> KindInfo:
        """The kind served by ``cls``; raises ``LookupError`` if it was never registered."""
        try:
            return self._by_cls[cls]
        except KeyError:
            raise LookupError(f"{cls.__qualname__} is not a registered kind") from None

    def for_object(self, obj: object) -> KindInfo:
        """The kind of ``obj``."""
        return self.for_class(type(obj))

    def for_resource(self, resource: str) -> KindInfo:
        """The kind by resource name, ``deployments.apps`` or ``pods``."""
        try:
            return self._by_resource[resource]
        except KeyError:
            raise LookupError(f'the server doesn\'t have a resource type "{resource}"') from None

    def __iter__(self) -> Iterator[KindInfo]:
        return iter(list(self._by_gvk.values()))

    def __contains__(self, cls: object) -> bool:
        return cls in self._by_cls


#: The process-wide registry every built-in kind is in; custom kinds join it with register_kind.
REGISTRY = KindRegistry()


def register_kind(
    cls: R,
    *,
    group: str,
    version: str,
    kind: str | None = None,
    plural: str | None = None,
    namespaced: bool = True,
    short_names: Sequence[str] = (),
    defaulter: Defaulter | None = None,
    validator: Validator | None = None,
    registry: KindRegistry | None = None,
) -> R:
    """Register an attrs class as a kind so it loads, dumps, defaults and validates.

    ``kind`` defaults to the class name and ``plural`` to its lower-cased name plus ``s``.
    ``defaulter`` and ``validator`` add kind-specific checks to the generic ones (metadata,
    names, labels) that every kind gets.

    >>> from kube_actors.api import Resource
    >>> @attrs.frozen(kw_only=True)
    ... class Website(Resource):
    ...     domain: str = ""
    >>> mine = KindRegistry()  # a registry of its own, to leave the process-wide one alone
    >>> _ = register_kind(Website, group="example.com", version="v1", registry=mine)
    >>> mine.for_class(Website).resource, Website.api_version
    ('websites.example.com', 'example.com/v1')
    """
    name = kind or cls.__name__
    info = KindInfo(
        group=group,
        version=version,
        kind=name,
        plural=plural or name.lower() + "s",
        namespaced=namespaced,
        cls=cls,
        singular=name.lower(),
        short_names=tuple(short_names),
        defaulter=defaulter,
        validator=validator,
    )
    (registry or REGISTRY).register(info)
    return cls


def kind(
    group: str,
    version: str,
    plural: str,
    *,
    namespaced: bool = True,
    short_names: Sequence[str] = (),
) -> Callable[[R], R]:
    """Class decorator form of :func:`register_kind`, used by the built-in kinds."""

    def decorate(cls: R) -> R:
        return register_kind(
            cls,
            group=group,
            version=version,
            plural=plural,
            namespaced=namespaced,
            short_names=short_names,
        )

    return decorate
