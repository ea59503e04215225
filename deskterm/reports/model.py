"""A report as plain values: periods, KPIs with stable field names, the rows of `--by`.

Field names are the contract of `deskterm report --json/--csv` (README: Reports).
Durations are seconds; percentages are 0-100; a figure without data is None
("no data"), never zero.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from deskterm.errors import UsageError

# Backlog age in whole days (end of day minus creation day): label, lowest, highest;
# the last bucket holds every older ticket.
AGE_BUCKETS: tuple[tuple[str, int, int], ...] = (
    ("0_1d", 0, 0),
    ("1_3d", 1, 2),
    ("3_7d", 3, 6),
    ("7_30d", 7, 29),
    ("30d_plus", 30, 30),
)
# Figures of what customers said, from outside the rollups: the satisfaction survey
# (CSAT % good, happiness = % good - % bad, effort average) and the knowledge base
# (views, links, self-service deflection). A report reads them from its `Feedback`
# source (store/queries/report_feedback.py); without one each is "no data".
FEEDBACK = (
    "csat_answers", "csat_good_pct", "happiness_score", "effort_avg", "kb_views", "kb_linked",
    "deflection_pct",
)  # fmt: skip
BY_CHOICES = ("agent", "tag", "group", "day", "week", "mailbox", "channel")


@dataclass(frozen=True, slots=True)
class Period:
    """Whole days of the report calendar (its timezone), both ends included."""

    since: date
    until: date

    @property
    def days(self) -> int:
        return (self.until - self.since).days + 1

    def previous(self) -> Period:
        """The period of the same length just before this one."""
        return Period(self.since - timedelta(days=self.days), self.since - timedelta(days=1))


def parse_day(text: str, today: date, what: str) -> date:
    """`today`, `YYYY-MM-DD`, or a length back from `today` (`7d`, `12w`, counting it)."""
    value = text.strip().lower()
    if value == "today":
        return today
    if value[:-1].isdecimal() and value[-1:] in ("d", "w"):
        return today - timedelta(days=int(value[:-1]) * (7 if value[-1] == "w" else 1) - 1)
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise UsageError(
            f"bad {what} {text!r}: give YYYY-MM-DD, today, or a length like 7d or 12w"
        ) from None


def period_from(since: str | None, until: str | None, today: date, first: date | None) -> Period:
    """The period `--since`/`--until` name (default: the 30 days to `today`); `since`
    `all` starts on `first`, the first day with data."""
    end = parse_day(until, today, "--until") if until else today
    if since is not None and since.strip().lower() == "all":
        start = min(first or end, end)
    else:
        start = parse_day(since, end, "--since") if since else end - timedelta(days=29)
    if start > end:
        raise UsageError(f"--since {start} is after --until {end}")
    return Period(start, end)


def parse_period(text: str, today: date, first: date | None) -> Period:
    """What the reports screen's custom period takes: `SINCE..UNTIL` or `SINCE`, each
    as `--since`/`--until` take them (`2026-11-01..2026-11-30`, `14d`, `all`)."""
    since, _, until = text.strip().partition("..")
    if not since.strip():
        raise UsageError("a period starts somewhere: SINCE or SINCE..UNTIL")
    return period_from(since, until or None, today, first)


@dataclass(frozen=True, slots=True)
class Feedback:
    """The FEEDBACK figures of one period: desk-wide by name, and CSAT % good per agent
    id (the per-agent table's `csat_good_pct`). A missing figure is "no data"."""

    desk: dict[str, float | None]
    csat_by_agent: dict[int, float | None]


@dataclass(frozen=True, slots=True)
class Percentiles:
    """Nearest-rank median and 90th percentile of a set of durations (seconds)."""

    count: int
    median_s: float | None
    p90_s: float | None


@dataclass(frozen=True, slots=True)
class Kpis:
    """Every KPI of one period, as `fields()` names them."""

    values: dict[str, float | int | None]

    def fields(self) -> dict[str, float | int | None]:
        return dict(self.values)

    def __getitem__(self, name: str) -> float | int | None:
        return self.values[name]


@dataclass(frozen=True, slots=True)
class DayRow:
    """Volume of one day (or week) and the backlog at its end."""

    start: date
    new: int
    solved: int
    reopened: int
    backlog: int
    ages: tuple[int, ...]  # per AGE_BUCKETS, at the end of the day (week: its last day)

    def to_json(self) -> dict[str, Any]:
        return {
            "day": self.start.isoformat(),
            "new": self.new,
            "solved": self.solved,
            "reopened": self.reopened,
            "backlog": self.backlog,
            **{
                f"backlog_age_{label}": n
                for (label, *_), n in zip(AGE_BUCKETS, self.ages, strict=True)
            },
        }


@dataclass(frozen=True, slots=True)
class GroupRow:
    """One row of `--by tag|group|mailbox|channel|agent`."""

    key: str
    values: dict[str, float | int | str | None]

    def to_json(self) -> dict[str, Any]:
        return dict(self.values)


@dataclass(frozen=True, slots=True)
class Report:
    period: Period
    previous: Period | None  # None for "all": nothing comes before
    current: Kpis
    before: Kpis | None
    calendar: str  # how business time is measured (its name, zone and hours)
    days: tuple[DayRow, ...]
    # (lowest s, highest s, tickets): first-reply times in doubling bins, for the chart
    first_reply_bins: tuple[tuple[float, float, int], ...]
    by: str | None = None
    rows: tuple[GroupRow, ...] = ()
    tags: tuple[GroupRow, ...] = ()  # volume by tag, for the chart

    def change(self, name: str) -> float | None:
        """Current minus previous period, None when either has no data."""
        if self.before is None:
            return None
        now, then = self.current[name], self.before[name]
        if now is None or then is None:
            return None
        return now - then

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "since": self.period.since.isoformat(),
            "until": self.period.until.isoformat(),
            "days": self.period.days,
            "calendar": self.calendar,
            "kpis": self.current.fields(),
            "previous": None if self.before is None else self.before.fields(),
        }
        if self.by is not None:
            out["by"] = self.by
            out["rows"] = [
                r.to_json() for r in (self.days if self.by in ("day", "week") else self.rows)
            ]
        return out
