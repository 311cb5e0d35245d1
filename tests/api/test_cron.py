"""Cron schedules as CronJob uses them: five fields or an ``@daily``-style macro."""

from __future__ import annotations

import pytest

from kube_actors.api import CronError, CronSchedule, parse_cron

ALL_MINUTES = frozenset(range(60))
ALL_HOURS = frozenset(range(24))
ALL_DAYS = frozenset(range(1, 32))
ALL_MONTHS = frozenset(range(1, 13))
ALL_WEEKDAYS = frozenset(range(7))
FIELDS = ("minutes", "hours", "days_of_month", "months", "days_of_week")


@pytest.mark.parametrize(
    ("schedule", "field", "expected"),
    [
        # steps
        ("*/15 * * * *", "minutes", {0, 15, 30, 45}),
        ("*/20 * * * *", "minutes", {0, 20, 40}),
        ("0 */6 * * *", "hours", {0, 6, 12, 18}),
        ("* * */10 * *", "days_of_month", {1, 11, 21, 31}),
        ("5-20/5 * * * *", "minutes", {5, 10, 15, 20}),
        ("10/20 * * * *", "minutes", {10, 30, 50}),
        ("*/1 * * * *", "minutes", set(range(60))),
        # single values, ranges and lists
        ("7 * * * *", "minutes", {7}),
        ("0 9-17 * * *", "hours", set(range(9, 18))),
        ("0 0 1,15 * *", "days_of_month", {1, 15}),
        ("0,30 * * * *", "minutes", {0, 30}),
        ("1-3,10-12 * * * *", "minutes", {1, 2, 3, 10, 11, 12}),
        ("0 0 31 * *", "days_of_month", {31}),
        ("59 23 * * *", "minutes", {59}),
        ("59 23 * * *", "hours", {23}),
        ("* * * * *", "minutes", set(range(60))),
        ("? * * * *", "minutes", set(range(60))),
        # month names
        ("0 0 1 JAN *", "months", {1}),
        ("0 0 1 JAN,JUL *", "months", {1, 7}),
        ("0 0 1 jan-mar *", "months", {1, 2, 3}),
        ("0 0 1 Dec *", "months", {12}),
        ("0 0 1 6-DEC *", "months", set(range(6, 13))),
        # weekday names; 7 is Sunday like 0
        ("0 9 * * MON-FRI", "days_of_week", {1, 2, 3, 4, 5}),
        ("0 9 * * SAT,SUN", "days_of_week", {0, 6}),
        ("0 9 * * sun", "days_of_week", {0}),
        ("0 0 * * 0", "days_of_week", {0}),
        # NOTE (see the report): 7 for Sunday as asked; upstream robfig/cron (dow 0-6) rejects it.
        ("0 0 * * 7", "days_of_week", {0}),
        ("0 0 * * 5-7", "days_of_week", {0, 5, 6}),
        ("0 0 * * */2", "days_of_week", {0, 2, 4, 6}),
    ],
)
def test_field_values(schedule: str, field: str, expected: set[int]) -> None:
    assert getattr(parse_cron(schedule), field) == frozenset(expected)


def test_whole_schedule() -> None:
    assert parse_cron("*/15 9-17 * * MON-FRI") == CronSchedule(
        minutes=frozenset({0, 15, 30, 45}),
        hours=frozenset(range(9, 18)),
        days_of_month=ALL_DAYS,
        months=ALL_MONTHS,
        days_of_week=frozenset({1, 2, 3, 4, 5}),
        dom_any=True,
        dow_any=False,
    )


@pytest.mark.parametrize(
    ("macro", "equivalent"),
    [
        ("@yearly", "0 0 1 1 *"),
        ("@annually", "0 0 1 1 *"),
        ("@monthly", "0 0 1 * *"),
        ("@weekly", "0 0 * * 0"),
        ("@daily", "0 0 * * *"),
        ("@midnight", "0 0 * * *"),
        ("@hourly", "0 * * * *"),
    ],
)
def test_macros(macro: str, equivalent: str) -> None:
    assert parse_cron(macro) == parse_cron(equivalent)


@pytest.mark.parametrize(
    ("macro", "expected"),
    [
        ("@hourly", (ALL_HOURS, ALL_DAYS, ALL_MONTHS, ALL_WEEKDAYS)),
        ("@daily", ({0}, ALL_DAYS, ALL_MONTHS, ALL_WEEKDAYS)),
        ("@weekly", ({0}, ALL_DAYS, ALL_MONTHS, {0})),
        ("@monthly", ({0}, {1}, ALL_MONTHS, ALL_WEEKDAYS)),
        ("@yearly", ({0}, {1}, {1}, ALL_WEEKDAYS)),
    ],
)
def test_macro_values(macro: str, expected: tuple[set[int], ...]) -> None:
    s = parse_cron(macro)
    assert s.minutes == {0}
    assert (s.hours, s.days_of_month, s.months, s.days_of_week) == tuple(map(frozenset, expected))


@pytest.mark.parametrize(
    ("schedule", "dom_any", "dow_any"),
    [
        ("0 0 * * *", True, True),
        ("0 0 ? * ?", True, True),
        ("0 0 1 * *", False, True),
        ("0 0 * * MON", True, False),
        ("0 0 1 * MON", False, False),
        ("0 0 */2 * *", False, True),
        pytest.param(
            "0 0 */1 * MON",
            True,
            False,
            marks=pytest.mark.xfail(
                reason="robfig/cron keeps the star bit for a step of 1 ('if step > 1 { extra = "
                "0 }'), so '*/1' is unrestricted; here any step clears dom_any",
                strict=True,
            ),
        ),
        ("@weekly", True, False),
        ("@monthly", False, True),
    ],
)
def test_day_fields_record_a_star(schedule: str, dom_any: bool, dow_any: bool) -> None:
    s = parse_cron(schedule)
    assert (s.dom_any, s.dow_any) == (dom_any, dow_any)


@pytest.mark.parametrize("schedule", ["  0 0 * * *  ", "0\t0 * *  *", "\n@daily\n"])
def test_surrounding_and_repeated_whitespace(schedule: str) -> None:
    assert parse_cron(schedule) == parse_cron("0 0 * * *")


@pytest.mark.parametrize(
    "schedule",
    [
        pytest.param("", id="empty"),
        pytest.param("   ", id="blank"),
        pytest.param("* * * *", id="4 fields"),
        pytest.param("* * * * * *", id="6 fields"),
        pytest.param("0 0 0 * * *", id="6 fields with seconds"),
        pytest.param("60 * * * *", id="minute 60"),
        pytest.param("-1 * * * *", id="minute -1"),
        pytest.param("* 24 * * *", id="hour 24"),
        pytest.param("* * 0 * *", id="day-of-month 0"),
        pytest.param("* * 32 * *", id="day-of-month 32"),
        pytest.param("* * * 0 *", id="month 0"),
        pytest.param("* * * 13 *", id="month 13"),
        pytest.param("* * * * 8", id="day-of-week 8"),
        pytest.param("*/0 * * * *", id="step 0"),
        pytest.param("0-30/0 * * * *", id="range step 0"),
        pytest.param("*/x * * * *", id="step not a number"),
        pytest.param(
            "*/ * * * *",
            id="empty step after *",
            marks=pytest.mark.xfail(
                reason="a '/' with no step is read as no step at all; robfig/cron's "
                "mustParseInt('') rejects it",
                strict=True,
            ),
        ),
        pytest.param(
            "5/ * * * *",
            id="empty step after a number",
            marks=pytest.mark.xfail(
                reason="a '/' with no step is read as no step at all; robfig/cron's "
                "mustParseInt('') rejects it",
                strict=True,
            ),
        ),
        pytest.param("10-5 * * * *", id="reversed range"),
        pytest.param("* * * * FRI-MON", id="reversed weekday range"),
        pytest.param("1-2-3 * * * *", id="double range"),
        pytest.param("1, * * * *", id="empty list item"),
        pytest.param("a * * * *", id="word"),
        pytest.param("MON * * * *", id="weekday name as minute"),
        pytest.param("* * * FOO *", id="unknown month name"),
        pytest.param("* * * * MONDAY", id="long weekday name"),
        pytest.param("* * * JAN-FOO *", id="unknown name in range"),
        # NOTE (see the report): rejected as asked; upstream robfig/cron's ParseStandard accepts it.
        pytest.param("@every 5m", id="@every"),
        pytest.param("@fortnightly", id="unknown macro"),
        pytest.param("@daily 0", id="macro with a field"),
        pytest.param("TZ=UTC 0 * * * *", id="TZ prefix"),
        pytest.param("CRON_TZ=Europe/Berlin 0 * * * *", id="CRON_TZ prefix"),
        pytest.param("TZ=UTC @daily", id="TZ prefix with macro"),
    ],
)
def test_invalid_schedules(schedule: str) -> None:
    with pytest.raises(CronError):
        parse_cron(schedule)


def test_cron_error_is_a_value_error_with_a_message() -> None:
    with pytest.raises(ValueError, match="5 fields"):
        parse_cron("* * * *")
    with pytest.raises(CronError, match="TZ"):
        parse_cron("TZ=UTC 0 * * * *")


def test_schedules_are_values() -> None:
    a, b = parse_cron("0 0 * * *"), parse_cron("0 0 * * *")
    assert a == b
    assert hash(a) == hash(b)
    assert parse_cron("0 0 * * *") != parse_cron("0 1 * * *")
    assert all(isinstance(getattr(a, f), frozenset) for f in FIELDS)
