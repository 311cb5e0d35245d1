"""IntOrString: fields such as maxSurge, maxUnavailable and targetPort hold an int or a string."""

from __future__ import annotations

import re
from typing import TypeAlias

#: An integer, or a string: a percentage (``"25%"``) or a name (a named ``targetPort``).
IntOrString: TypeAlias = int | str

_PERCENT = re.compile(r"^[0-9]+%$")


def is_percent(value: IntOrString) -> bool:
    """True for strings of the form ``"<digits>%"``."""
    return isinstance(value, str) and _PERCENT.match(value) is not None


def scaled_value(value: IntOrString | None, total: int, *, round_up: bool) -> int:
    """Resolve an int or a percentage against ``total`` (``GetScaledValueFromIntOrPercent``).

    Deployments round maxSurge up and maxUnavailable down:

    >>> scaled_value("25%", 10, round_up=True), scaled_value("25%", 10, round_up=False)
    (3, 2)
    >>> scaled_value(4, 10, round_up=False)
    4
    """
    if value is None:
        return 0
    if isinstance(value, int):
        return value
    if not is_percent(value):
        raise ValueError(f'invalid value "{value}": must be an integer or a percentage')
    # Integer arithmetic: float rounding would make 7% of 100 come out as 7.000000000000001.
    numerator = int(value[:-1]) * total
    return -(-numerator // 100) if round_up else numerator // 100


def percent_value(value: IntOrString) -> int | None:
    """The number in a percentage string (``"25%"`` -> 25), or None for ints and names."""
    return int(value[:-1]) if is_percent(value) else None  # type: ignore[index]


__all__ = ["IntOrString", "is_percent", "percent_value", "scaled_value"]
