"""Field helpers shared by every model: immutable collections, wire names, timestamps."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import attrs

from kube_actors.api._frozen import EMPTY, freeze_map, freeze_seq

#: attrs metadata key holding a field's camelCase name when it is not the plain conversion.
WIRE = "kube_actors.wire"


def seq(*, wire: str | None = None) -> Any:
    """An immutable sequence field: defaults to ``()``; lists given to it become tuples."""
    return attrs.field(default=(), converter=freeze_seq, metadata=_meta(wire))


def mapping(*, wire: str | None = None, **kwargs: Any) -> Any:
    """A read-only mapping field: defaults to the shared empty mapping; dicts are frozen."""
    return attrs.field(default=EMPTY, converter=freeze_map, metadata=_meta(wire), **kwargs)


def wire(name: str, default: Any = None) -> Any:
    """A scalar field whose wire name is not the plain camelCase of its Python name (``hostIP``)."""
    return attrs.field(default=default, metadata=_meta(name))


def _meta(name: str | None) -> dict[str, str]:
    return {WIRE: name} if name else {}


def to_utc(value: datetime) -> datetime:
    """Normalise a timestamp to UTC; naive datetimes are refused (they have no instant)."""
    if value.tzinfo is None:
        raise ValueError(f"timestamp {value.isoformat()} has no timezone")
    if value.utcoffset():
        return value.astimezone(UTC)
    return value if value.tzinfo is UTC else value.replace(tzinfo=UTC)


def opt_time(value: datetime | None) -> datetime | None:
    """Converter for optional timestamp fields."""
    if value is None or value.tzinfo is UTC:  # the common case: parsed or already normalised
        return value
    return to_utc(value)


def time_field() -> Any:
    """An optional, timezone-aware timestamp (stored in UTC, printed as RFC 3339 ``Z``)."""
    return attrs.field(default=None, converter=opt_time)


def format_time(value: datetime) -> str:
    """RFC 3339 in UTC with ``Z``; fractional seconds only when present (``MicroTime``)."""
    value = to_utc(value)
    if value.microsecond:
        return value.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


@lru_cache(maxsize=4096)
def parse_time(text: str) -> datetime:
    """Parse an RFC 3339 timestamp (``Z`` or an offset) into an aware UTC datetime."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f'invalid timestamp "{text}": expected RFC 3339') from None
    if value.tzinfo is None:
        raise ValueError(f'invalid timestamp "{text}": RFC 3339 needs "Z" or an offset')
    return to_utc(value)


def _camel(name: str) -> str:
    head, *rest = name.rstrip("_").split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def wire_name(field: attrs.Attribute[Any]) -> str:
    """The JSON/YAML name of an attrs field: its ``wire`` override or its camelCase name."""
    return field.metadata.get(WIRE) or _camel(field.name)


_WIRE_NAMES: dict[type[Any], dict[str, str]] = {}


def wire_names(cls: type[Any]) -> dict[str, str]:
    """Python field name -> wire name for an attrs class (computed once per class).

    Serialization and validation both use it, so error paths always match the wire.
    """
    names = _WIRE_NAMES.get(cls)
    if names is None:
        names = _WIRE_NAMES[cls] = {a.name: wire_name(a) for a in attrs.fields(cls)}
    return names
