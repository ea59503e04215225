"""Business time: working hours in a timezone, minus holidays, across DST changes.

All arithmetic walks local days. Each day's working spans are built as local
wall-clock times and converted to UTC through zoneinfo, so a day that loses or
gains an hour at a DST change counts the hours it really has.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from deskterm.errors import ConfigError

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_SPAN = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")
# Ten years of days without one working hour means the calendar is empty.
_MAX_DAYS = 3660


def parse_spans(text: str, where: str) -> tuple[tuple[time, time], ...]:
    """`"09:00-12:00, 13:00-17:30"` -> ordered spans; `""` or `"closed"` -> none."""
    if text.strip().lower() in ("", "closed", "off"):
        return ()
    spans = []
    for part in text.split(","):
        match = _SPAN.match(part)
        if not match:
            raise ConfigError(f"{where}: {part.strip()!r} is not a span like 09:00-17:00")
        h1, m1, h2, m2 = map(int, match.groups())
        if h2 == 24 and m2 == 0:
            end = time.max
        elif h2 > 23 or m2 > 59:
            raise ConfigError(f"{where}: {part.strip()!r} has a bad end time")
        else:
            end = time(h2, m2)
        if h1 > 23 or m1 > 59:
            raise ConfigError(f"{where}: {part.strip()!r} has a bad start time")
        start = time(h1, m1)
        if end <= start:
            raise ConfigError(f"{where}: {part.strip()!r} ends before it starts")
        spans.append((start, end))
    spans.sort()
    for (_, end), (start, _) in itertools.pairwise(spans):
        if start < end:
            raise ConfigError(f"{where}: spans overlap")
    return tuple(spans)


@dataclass(frozen=True)
class BusinessCalendar:
    """Weekly hours in a timezone, with holidays (a country's and custom dates)."""

    timezone: str = "UTC"
    hours: tuple[tuple[tuple[time, time], ...], ...] = field(
        default_factory=lambda: tuple(((time(0), time.max),) for _ in DAYS)
    )
    holiday_country: str | None = None
    holiday_subdivision: str | None = None
    extra_holidays: frozenset[date] = frozenset()
    name: str = "default"

    @classmethod
    def always(cls) -> BusinessCalendar:
        """24x7: business time equals calendar time."""
        return cls(name="24x7")

    @classmethod
    def from_weekly(
        cls,
        timezone: str,
        weekly: dict[str, str],
        *,
        country: str | None = None,
        subdivision: str | None = None,
        extra: Iterable[date] = (),
        name: str = "default",
    ) -> BusinessCalendar:
        unknown = set(weekly) - set(DAYS)
        if unknown:
            raise ConfigError(f"sla.calendar.hours: unknown day {sorted(unknown)[0]!r}")
        try:
            ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ConfigError(f"sla.calendar.timezone: unknown timezone {timezone!r}") from None
        hours = tuple(parse_spans(weekly.get(d, ""), f"sla.calendar.hours.{d}") for d in DAYS)
        if not any(hours):
            raise ConfigError("sla.calendar.hours: no working hours on any day")
        cal = cls(timezone, hours, country, subdivision, frozenset(extra), name)
        if country:
            cal.is_holiday(date.today())  # fail now on an unknown country code
        return cal

    @cached_property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @cached_property
    def _holiday_years(self) -> dict[int, frozenset[date]]:
        return {}

    @cached_property
    def _cumulative(self) -> dict[date, timedelta]:
        # Business time from an anchor day (the first day asked about) to each day's start.
        return {}

    @cached_property
    def _day_spans(self) -> dict[date, list[tuple[datetime, datetime]]]:
        # Countdowns for a whole queue ask for the same few days again and again.
        return {}

    def is_holiday(self, day: date) -> bool:
        if day in self.extra_holidays:
            return True
        if not self.holiday_country:
            return False
        years = self._holiday_years
        if day.year not in years:
            from deskterm.sla.holiday_dates import holiday_dates

            try:
                years[day.year] = holiday_dates(
                    self.holiday_country, self.holiday_subdivision, day.year
                )
            except NotImplementedError:
                raise ConfigError(
                    f"sla.calendar.holidays: unknown country/subdivision "
                    f"{self.holiday_country!r}/{self.holiday_subdivision!r}"
                ) from None
        return day in years[day.year]

    def spans_on(self, day: date) -> list[tuple[datetime, datetime]]:
        """The working spans of one local day, as aware UTC datetimes."""
        cached = self._day_spans.get(day)
        if cached is None:
            cached = self._day_spans[day] = self._compute_spans(day)
        return cached

    def _compute_spans(self, day: date) -> list[tuple[datetime, datetime]]:
        if self.is_holiday(day):
            return []
        out = []
        for start, end in self.hours[day.weekday()]:
            a = datetime.combine(day, start, self.tz).astimezone(UTC)
            if end == time.max:
                b = datetime.combine(day + timedelta(days=1), time(0), self.tz).astimezone(UTC)
            else:
                b = datetime.combine(day, end, self.tz).astimezone(UTC)
            if b > a:
                out.append((a, b))
        return out

    def _spans_from(self, moment: datetime) -> Iterator[tuple[datetime, datetime]]:
        day = moment.astimezone(self.tz).date() - timedelta(days=1)
        for _ in range(_MAX_DAYS):
            for a, b in self.spans_on(day):
                if b > moment:
                    yield max(a, moment), b
            day += timedelta(days=1)
        raise ConfigError(f"calendar {self.name!r}: no working hours in ten years")

    def add(self, start: datetime, duration: timedelta) -> datetime:
        """The moment `duration` of business time after `start`."""
        start = _aware(start)
        left = duration
        if left <= timedelta(0):
            return start
        for a, b in self._spans_from(start):
            if b - a >= left:
                return a + left
            left -= b - a
        raise AssertionError("unreachable")  # _spans_from raises first

    def between(self, start: datetime, end: datetime) -> timedelta:
        """Business time from `start` to `end` (negative when end is earlier).

        A difference of two positions on a running total of business time, so a
        whole queue of countdowns costs a dictionary lookup or two each.
        """
        return self._position(_aware(end)) - self._position(_aware(start))

    def _position(self, moment: datetime) -> timedelta:
        day = moment.astimezone(self.tz).date()
        total = self._day_start(day)
        for a, b in self.spans_on(day):
            if moment <= a:
                break
            total += min(b, moment) - a
        return total

    def _day_start(self, day: date) -> timedelta:
        cum = self._cumulative
        found = cum.get(day)
        if found is not None:
            return found
        if not cum:
            cum[day] = timedelta(0)
            return cum[day]
        # Walk from the nearest known day; each step adds or removes one day's hours.
        nearest = min(cum, key=lambda d: abs((d - day).days))
        if abs((nearest - day).days) > _MAX_DAYS * 10:
            raise ConfigError(f"calendar {self.name!r}: date {day} is too far away")
        step = timedelta(days=1 if day > nearest else -1)
        current, value = nearest, cum[nearest]
        while current != day:
            if step.days > 0:
                value += self._day_length(current)
                current += step
            else:
                current += step
                value -= self._day_length(current)
            cum[current] = value
        return value

    def _day_length(self, day: date) -> timedelta:
        return sum((b - a for a, b in self.spans_on(day)), timedelta(0))

    def is_open(self, moment: datetime) -> bool:
        """Whether `moment` falls in business hours (rules: "business hours now")."""
        moment = _aware(moment)
        day = moment.astimezone(self.tz).date()
        return any(
            a <= moment < b for d in (day - timedelta(days=1), day) for a, b in self.spans_on(d)
        )


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
