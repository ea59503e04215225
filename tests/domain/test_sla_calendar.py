"""Business-time arithmetic across weekends, holidays, DST, split days and midnight."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from deskterm.sla.calendar import BusinessCalendar

WEEK = {
    "mon": "09:00-12:00,13:00-17:00",
    "tue": "09:00-17:00",
    "wed": "09:00-17:00",
    "thu": "09:00-17:00",
    "fri": "09:00-17:00",
}
BERLIN = BusinessCalendar.from_weekly(
    "Europe/Berlin", WEEK, country="DE", extra=[date(2026, 12, 24)]
)
NIGHT = BusinessCalendar.from_weekly(
    "America/New_York", {d: "22:00-24:00,00:00-06:00" for d in ("mon", "tue", "wed", "thu", "fri")}
)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def test_weekend_is_skipped() -> None:
    friday_4pm = utc(2026, 11, 27, 15)  # 16:00 Berlin
    assert BERLIN.add(friday_4pm, timedelta(hours=2)) == utc(2026, 11, 30, 9)  # Mon 10:00


def test_split_day_lunch_break() -> None:
    monday_11 = utc(2026, 11, 23, 10)  # 11:00 Berlin
    assert BERLIN.add(monday_11, timedelta(hours=2)) == utc(2026, 11, 23, 13)  # 14:00 Berlin
    assert not BERLIN.is_open(utc(2026, 11, 23, 11, 30))
    assert BERLIN.is_open(utc(2026, 11, 23, 12, 30))


def test_country_and_custom_holidays() -> None:
    wed_dec_23_4pm = utc(2026, 12, 23, 15)
    # 1 h on the 23rd; the 24th (custom), 25th, 26th (DE) and the weekend are closed.
    assert BERLIN.add(wed_dec_23_4pm, timedelta(hours=4)) == utc(2026, 12, 28, 11)
    assert BERLIN.between(utc(2026, 12, 24, 8), utc(2026, 12, 27, 20)) == timedelta(0)


def test_dst_spring_forward_and_fall_back() -> None:
    always = BusinessCalendar.from_weekly(
        "Europe/Berlin",
        {d: "00:00-24:00" for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")},
    )
    # The 23-hour and 25-hour days count the hours they really have.
    assert always.between(utc(2026, 3, 28, 23), utc(2026, 3, 29, 22)) == timedelta(hours=23)
    assert always.between(utc(2026, 10, 24, 22), utc(2026, 10, 25, 23)) == timedelta(hours=25)
    # A 9-17 local day is 8 hours before and after the change; UTC start moves by an hour.
    before = BERLIN.add(utc(2026, 3, 27, 8), timedelta(hours=8))  # Fri 9:00 CET
    after = BERLIN.add(utc(2026, 3, 31, 7), timedelta(hours=8))  # Tue 9:00 CEST
    assert before == utc(2026, 3, 27, 16) and after == utc(2026, 3, 31, 15)


def test_spans_across_midnight() -> None:
    tuesday_11pm_ny = utc(2026, 11, 25, 4)  # Tue 23:00 New York
    assert NIGHT.add(tuesday_11pm_ny, timedelta(hours=3)) == utc(2026, 11, 25, 7)


moments = st.datetimes(
    min_value=datetime(2025, 1, 1), max_value=datetime(2028, 12, 31), timezones=st.just(UTC)
)
durations = st.integers(min_value=0, max_value=200 * 60).map(lambda m: timedelta(minutes=m))


@settings(max_examples=150, deadline=None)
@given(a=moments, b=moments, d=durations)
def test_due_time_is_monotone_in_start(a: datetime, b: datetime, d: timedelta) -> None:
    early, late = sorted((a, b))
    for cal in (BERLIN, NIGHT):
        assert cal.add(early, d) <= cal.add(late, d)


@settings(max_examples=150, deadline=None)
@given(start=moments, d=durations)
def test_add_then_measure_round_trips(start: datetime, d: timedelta) -> None:
    for cal in (BERLIN, NIGHT):
        assert cal.between(start, cal.add(start, d)) == d


@settings(max_examples=100, deadline=None)
@given(a=moments, b=moments)
def test_between_is_antisymmetric_and_bounded(a: datetime, b: datetime) -> None:
    assert BERLIN.between(a, b) == -BERLIN.between(b, a)
    assert abs(BERLIN.between(a, b)) <= abs(b - a)
