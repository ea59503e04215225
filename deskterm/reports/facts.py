"""What one ticket contributes to the reports, derived from its history alone.

A ticket's contribution is a few dated facts (it arrived, was solved by an agent,
was first answered after so long...). The rollup tables are sums of every
ticket's contribution, so when a ticket changes its old contribution comes out
and its new one goes in: the rollups always equal a recomputation from scratch.
The definitions here are the ones the README and `deskterm report --help` state.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any

from deskterm.sla.calendar import BusinessCalendar

_EPOCH = date(1970, 1, 1)
RESOLVED = frozenset({"solved", "closed"})
# The dimensions of volume (new, solved, reopened) besides the whole desk.
VOLUME = frozenset({"new", "solved", "reopened"})
# Count facts whose key is an agent id ("0": nobody).
BY_AGENT = frozenset({"solved", "replies", "fcr", "fcr_base", "time"})
# Count facts whose key is the ticket's creation day (backlog age).
BY_CREATED = frozenset({"backlog_in", "backlog_out"})
TARGETS = ("first_reply", "next_reply", "resolution")
DURATIONS = ("first_reply", "next_reply", "resolution")
# Buckets for exact percentiles: eight a doubling, so one bucket holds a few % of values.
BUCKETS_PER_DOUBLING = 8
# The histogram rows of everyone together carry this agent id: a desk-wide percentile
# reads a day's buckets, not every agent's.
ALL_AGENTS = -1
# The layout of the rollups; a store whose rollups have another needs a rebuild.
# 3: days are the report calendar's days (its timezone), no longer UTC days.
ROLLUP_VERSION = "3"


def day_number(when: datetime | date, zone: tzinfo = UTC) -> int:
    """Days since 1970-01-01 of the date a moment has in `zone` (or of a date): the
    rollups' day key. A team's day ends at its own midnight, not at UTC's."""
    if isinstance(when, datetime):
        when = (when if when.tzinfo else when.replace(tzinfo=UTC)).astimezone(zone).date()
    return (when - _EPOCH).days


def day_date(day: int) -> date:
    return _EPOCH + timedelta(days=day)


def bucket_of(seconds: float) -> int:
    """A monotonic bucket of a duration: the percentile search narrows to one bucket."""
    return int(BUCKETS_PER_DOUBLING * math.log2(1.0 + max(seconds, 0.0)))


@dataclass(frozen=True, slots=True)
class History:
    """One ticket as its rows tell it now: what the contribution is computed from."""

    ticket_id: int
    created_at: datetime
    channel: str
    group_id: int | None
    mailbox: str | None  # the support address of its first customer message
    tags: tuple[str, ...]
    initial_status: str
    merged_at: datetime | None  # when it was merged into another ticket
    # (kind, when, author agent id) by time: customer / reply / note / system
    messages: tuple[tuple[str, datetime, int | None], ...]
    # (when, old, new, acting agent id) of each status change, in order
    statuses: tuple[tuple[datetime, str, str, int | None], ...]
    # (when, "met" | "breached", target) of each SLA outcome
    sla: tuple[tuple[datetime, str, str], ...]
    # (started, seconds, agent id) of each time entry
    time: tuple[tuple[datetime, int, int | None], ...]


@dataclass(frozen=True, slots=True)
class Contribution:
    """A ticket's facts: counts (metric, day, key, n) and durations (metric, day, agent, s, s)."""

    group_id: int | None
    channel: str
    mailbox: str | None
    tags: tuple[str, ...]
    counts: tuple[tuple[str, int, str, int], ...]
    durations: tuple[tuple[str, int, int, float, float], ...]

    def to_json(self) -> list[object]:
        return [
            self.group_id,
            self.channel,
            self.mailbox,
            list(self.tags),
            [list(c) for c in self.counts],
            [list(d) for d in self.durations],
        ]

    @classmethod
    def from_json(cls, data: list[Any]) -> Contribution:  # what to_json wrote, parsed back
        group, channel, mailbox, tags, counts, durations = data
        return cls(
            group,
            channel,
            mailbox,
            tuple(tags),
            tuple(tuple(c) for c in counts),
            tuple(tuple(d) for d in durations),
        )

    def count_rows(self) -> Counter[tuple[int, str, str, str]]:
        """(day, metric, dimension, key) -> n: what this ticket adds to `report_count`."""
        out: Counter[tuple[int, str, str, str]] = Counter()
        for metric, day, key, n in self.counts:
            out[day, metric, "", ""] += n
            if metric in BY_AGENT:
                out[day, metric, "agent", key] += n
            elif metric in BY_CREATED:
                out[day, metric, "created", key] += n
            if metric in VOLUME:
                out[day, metric, "channel", self.channel] += n
                if self.group_id is not None:
                    out[day, metric, "group", str(self.group_id)] += n
                if self.mailbox:
                    out[day, metric, "mailbox", self.mailbox] += n
                for tag in self.tags:
                    out[day, metric, "tag", tag] += n
        return out

    def hist_rows(self) -> Counter[tuple[str, str, int, int, int]]:
        """(metric, measure, day, agent, bucket) -> n: what it adds to `report_hist`."""
        out: Counter[tuple[str, str, int, int, int]] = Counter()
        for metric, day, agent, calendar_s, business_s in self.durations:
            for who in (agent, ALL_AGENTS):
                out[metric, "calendar", day, who, bucket_of(calendar_s)] += 1
                out[metric, "business", day, who, bucket_of(business_s)] += 1
        return out


def contribution(h: History, calendar: BusinessCalendar) -> Contribution:
    """Every fact of one ticket, by the definitions in the README; dated by the
    calendar's days."""
    counts: list[tuple[str, int, str, int]] = []
    durations: list[tuple[str, int, int, float, float]] = []
    zone = calendar.tz
    created_day = day_number(h.created_at, zone)
    created_key = str(created_day)

    def took(metric: str, start: datetime, end: datetime, agent: int | None) -> None:
        business = calendar.between(start, end).total_seconds()
        durations.append(
            (metric, day_number(end, zone), agent or 0, (end - start).total_seconds(), business)
        )

    counts.append(("new", created_day, "", 1))
    # Solves, reopenings and the backlog, from the status changes.
    solves: list[tuple[datetime, int | None]] = []
    reopened = False
    if h.initial_status in RESOLVED:
        solves.append((h.created_at, None))
    else:
        counts.append(("backlog_in", created_day, created_key, 1))
    for when, old, new, agent in h.statuses:
        day = day_number(when, zone)
        if old not in RESOLVED and new in RESOLVED:
            counts.append(("backlog_out", day, created_key, 1))
            if not (h.merged_at == when and new == "closed"):
                solves.append((when, agent))
        elif old in RESOLVED and new not in RESOLVED:
            counts.append(("backlog_in", day, created_key, 1))
            counts.append(("reopened", day, "", 1))
            reopened = True
    for when, agent in solves:
        counts.append(("solved", day_number(when, zone), str(agent or 0), 1))
        took("resolution", h.created_at, when, agent)
    # Replies, first reply and next replies, from the messages.
    replies = [(when, agent) for kind, when, agent in h.messages if kind == "reply"]
    for when, agent in replies:
        counts.append(("replies", day_number(when, zone), str(agent or 0), 1))
    first: datetime | None = None
    waiting: datetime | None = None
    for kind, when, agent in h.messages:
        if when < h.created_at:
            continue  # merged in from a ticket that began earlier
        if kind == "customer" and first is not None and waiting is None:
            waiting = when
        elif kind == "reply" and first is None:
            first = when
            took("first_reply", h.created_at, when, agent)
        elif kind == "reply" and waiting is not None:
            took("next_reply", waiting, when, agent)
            waiting = None
    # First-contact resolution: resolved now, by one reply, never reopened.
    resolved_now = (h.statuses[-1][2] if h.statuses else h.initial_status) in RESOLVED
    if resolved_now and solves and h.merged_at is None:
        when, agent = solves[-1]
        key = str(agent or 0)
        counts.append(("fcr_base", day_number(when, zone), key, 1))
        if len(replies) == 1 and not reopened:
            counts.append(("fcr", day_number(when, zone), key, 1))
    for when, outcome, target in h.sla:
        counts.append((f"sla_{outcome}_{target}", day_number(when, zone), "", 1))
    for started, seconds, agent in h.time:
        counts.append(("time", day_number(started, zone), str(agent or 0), seconds))
    return Contribution(h.group_id, h.channel, h.mailbox, h.tags, tuple(counts), tuple(durations))


def difference(
    old: Iterable[Contribution], new: Iterable[Contribution]
) -> tuple[Counter[tuple[int, str, str, str]], Counter[tuple[str, str, int, int, int]]]:
    """The changes to `report_count` and `report_hist` when `old` is replaced by `new`."""
    counts: Counter[tuple[int, str, str, str]] = Counter()
    hist: Counter[tuple[str, str, int, int, int]] = Counter()
    for c in new:
        counts.update(c.count_rows())
        hist.update(c.hist_rows())
    for c in old:
        counts.subtract(c.count_rows())
        hist.subtract(c.hist_rows())
    return (
        Counter({k: v for k, v in counts.items() if v}),
        Counter({k: v for k, v in hist.items() if v}),
    )
