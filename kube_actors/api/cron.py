"""Cron schedules as CronJob uses them: five fields or a ``@daily``-style macro."""

from __future__ import annotations

import attrs

__all__ = ["CronError", "CronSchedule", "parse_cron"]


class CronError(ValueError):
    """A schedule that is not valid cron syntax."""


_MACROS = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}
_MONTHS = {
    m: i + 1 for i, m in enumerate("JAN FEB MAR APR MAY JUN JUL AUG SEP OCT NOV DEC".split())
}
_DAYS = {d: i for i, d in enumerate(["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"])}
# (name, low, high, names)
_FIELDS: tuple[tuple[str, int, int, dict[str, int]], ...] = (
    ("minute", 0, 59, {}),
    ("hour", 0, 23, {}),
    ("day of month", 1, 31, {}),
    ("month", 1, 12, _MONTHS),
    ("day of week", 0, 7, _DAYS),
)


@attrs.frozen
class CronSchedule:
    """The allowed values of each field; ``dom_any``/``dow_any`` record a ``*`` (or ``?``).

    Cron's rule: when both day fields are restricted, a day matches if *either* does.
    """

    minutes: frozenset[int]
    hours: frozenset[int]
    days_of_month: frozenset[int]
    months: frozenset[int]
    days_of_week: frozenset[int]
    dom_any: bool
    dow_any: bool


def _value(text: str, low: int, high: int, names: dict[str, int], field: str) -> int:
    number = names.get(text.upper()) if names else None
    if number is None:
        if not text.isdigit():
            raise CronError(f'invalid {field} value "{text}"')
        number = int(text)
    if not low <= number <= high:
        raise CronError(f"{field} value {number} out of range {low}-{high}")
    return number


def _field(
    text: str, low: int, high: int, names: dict[str, int], field: str
) -> tuple[set[int], bool]:
    values: set[int] = set()
    star = False
    for part in text.split(","):
        rng, _, step_text = part.partition("/")
        step = 1
        if step_text:
            if not step_text.isdigit() or int(step_text) == 0:
                raise CronError(f'invalid step "{step_text}" in {field}')
            step = int(step_text)
        if rng in ("*", "?"):
            start, end = low, high
            star = star or not step_text
        elif "-" in rng:
            a, _, b = rng.partition("-")
            start, end = _value(a, low, high, names, field), _value(b, low, high, names, field)
            if start > end:
                raise CronError(
                    f'beginning of range ({start}) beyond end of range ({end}): "{rng}"'
                )
        else:
            start = _value(rng, low, high, names, field)
            end = high if step_text else start
        values.update(range(start, end + 1, step))
    return values, star


def parse_cron(text: str) -> CronSchedule:
    """Parse a standard five-field schedule or a macro (``@hourly``, ``@daily``, ...).

    >>> s = parse_cron("*/15 9-17 * * MON-FRI")
    >>> sorted(s.minutes), sorted(s.days_of_week)
    ([0, 15, 30, 45], [1, 2, 3, 4, 5])
    """
    spec = text.strip()
    if spec.startswith(("TZ=", "CRON_TZ=")):
        raise CronError("cannot use TZ or CRON_TZ in schedule, use timeZone field instead")
    if spec.startswith("@"):
        if spec not in _MACROS:
            raise CronError(f'unrecognized descriptor: "{spec}"')
        spec = _MACROS[spec]
    parts = spec.split()
    if len(parts) != 5:
        raise CronError(f'expected exactly 5 fields, found {len(parts)}: "{text}"')
    parsed = [
        _field(p, lo, hi, names, name)
        for p, (name, lo, hi, names) in zip(parts, _FIELDS, strict=True)
    ]
    dow = {d % 7 for d in parsed[4][0]}  # 7 is Sunday too
    return CronSchedule(
        minutes=frozenset(parsed[0][0]),
        hours=frozenset(parsed[1][0]),
        days_of_month=frozenset(parsed[2][0]),
        months=frozenset(parsed[3][0]),
        days_of_week=frozenset(dow),
        dom_any=parsed[2][1],
        dow_any=parsed[4][1],
    )
