"""SLA policies and the due times they give a ticket.

A policy sets targets per priority for the first reply, each next reply (after
a customer message that is still unanswered) and resolution. The first policy
whose conditions match a ticket applies. While a ticket is in a paused status
(pending and on hold by default) the resolution clock stops: its due time moves
out by the business time spent paused, and it has no due time while paused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from deskterm.errors import ConfigError
from deskterm.sla.calendar import BusinessCalendar

_DURATION = re.compile(r"^\s*(\d+)\s*([mhdw])\s*$")
_UNITS = {"m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
TARGETS = ("first_reply", "next_reply", "resolution")


def parse_duration(text: str, where: str) -> timedelta:
    """`30m`, `4h`, `2d`, `1w` (business time)."""
    match = _DURATION.match(text)
    if not match:
        raise ConfigError(f"{where}: {text!r} is not a duration like 30m, 4h, 2d")
    return timedelta(seconds=int(match.group(1)) * _UNITS[match.group(2)])


class State(StrEnum):
    OK = "ok"
    WARNING = "warning"
    BREACHED = "breached"
    MET = "met"
    PAUSED = "paused"


@dataclass(frozen=True)
class Policy:
    name: str
    first_reply: dict[str, timedelta] = field(default_factory=dict)  # priority -> target
    next_reply: dict[str, timedelta] = field(default_factory=dict)
    resolution: dict[str, timedelta] = field(default_factory=dict)
    priorities: frozenset[str] = frozenset()  # empty: any
    organization: str | None = None
    tag: str | None = None
    mailbox: str | None = None
    calendar: BusinessCalendar = field(default_factory=BusinessCalendar.always)

    def matches(self, ticket: TicketFacts) -> bool:
        if self.priorities and ticket.priority not in self.priorities:
            return False
        if self.organization and (ticket.organization or "").lower() != self.organization.lower():
            return False
        if self.tag and self.tag.lower() not in ticket.tags:
            return False
        return not (self.mailbox and (ticket.mailbox or "").lower() != self.mailbox.lower())

    def target(self, kind: str, priority: str) -> timedelta | None:
        table: dict[str, timedelta] = getattr(self, kind)
        return table.get(priority, table.get("default"))


@dataclass(frozen=True)
class SlaSettings:
    policies: tuple[Policy, ...] = ()
    warning_fraction: float = 0.75
    pause_statuses: frozenset[str] = frozenset({"pending", "on_hold"})

    def policy_for(self, ticket: TicketFacts) -> Policy | None:
        return next((p for p in self.policies if p.matches(ticket)), None)


@dataclass(frozen=True)
class TicketFacts:
    """What due times depend on, read from the store inside the writer's transaction."""

    created_at: datetime
    priority: str
    status: str
    tags: frozenset[str] = frozenset()
    organization: str | None = None
    mailbox: str | None = None
    customer_messages: tuple[datetime, ...] = ()
    replies: tuple[datetime, ...] = ()
    # (when, new status) in time order, the first being the initial status.
    statuses: tuple[tuple[datetime, str], ...] = ()
    solved_at: datetime | None = None


@dataclass(frozen=True)
class Target:
    kind: str
    started_at: datetime
    due_at: datetime | None  # None while paused
    met_at: datetime | None
    target: timedelta
    paused: timedelta = timedelta(0)

    def state(self, now: datetime, calendar: BusinessCalendar, warning: float) -> State:
        if self.met_at is not None:
            return State.BREACHED if self.due_at and self.met_at > self.due_at else State.MET
        if self.due_at is None:
            return State.PAUSED
        if now >= self.due_at:
            return State.BREACHED
        used = calendar.between(self.started_at, now) - self.paused
        if self.target and used / self.target >= warning:
            return State.WARNING
        return State.OK


@dataclass(frozen=True)
class DueTimes:
    policy: Policy
    targets: tuple[Target, ...]

    @property
    def next_due(self) -> datetime | None:
        """The earliest due time of a target not yet met: what the queue sorts by."""
        open_ = [t.due_at for t in self.targets if t.met_at is None and t.due_at is not None]
        return min(open_) if open_ else None

    def get(self, kind: str) -> Target | None:
        return next((t for t in self.targets if t.kind == kind), None)


def _paused_intervals(
    facts: TicketFacts, pause: frozenset[str], until: datetime
) -> list[tuple[datetime, datetime | None]]:
    out: list[tuple[datetime, datetime | None]] = []
    start: datetime | None = None
    for when, status in facts.statuses:
        if status in pause and start is None:
            start = when
        elif status not in pause and start is not None:
            out.append((start, when))
            start = None
    if start is not None:
        out.append((start, None))
    return [(a, b) for a, b in out if a < until]


def compute(settings: SlaSettings, facts: TicketFacts) -> DueTimes | None:
    """The due times of every target of the ticket's policy (None: no policy applies)."""
    policy = settings.policy_for(facts)
    if policy is None:
        return None
    cal = policy.calendar
    targets: list[Target] = []
    first = policy.target("first_reply", facts.priority)
    if first is not None:
        met = facts.replies[0] if facts.replies else None
        targets.append(
            Target("first_reply", facts.created_at, cal.add(facts.created_at, first), met, first)
        )
    nxt = policy.target("next_reply", facts.priority)
    if nxt is not None and facts.replies:
        # The oldest customer message after the latest reply is waiting for an answer;
        # otherwise the last answered one shows how the previous round went.
        last_reply = facts.replies[-1]
        waiting = [m for m in facts.customer_messages if m > last_reply]
        if waiting:
            targets.append(Target("next_reply", waiting[0], cal.add(waiting[0], nxt), None, nxt))
        else:
            earlier = [m for m in facts.customer_messages if facts.replies[0] < m <= last_reply]
            if earlier:
                asked = earlier[-1]
                answered = next(r for r in facts.replies if r >= asked)
                targets.append(Target("next_reply", asked, cal.add(asked, nxt), answered, nxt))
    res = policy.target("resolution", facts.priority)
    if res is not None:
        end = facts.solved_at
        intervals = _paused_intervals(
            facts,
            settings.pause_statuses,
            end or datetime.max.replace(tzinfo=facts.created_at.tzinfo),
        )
        paused = sum((cal.between(a, b) for a, b in intervals if b is not None), timedelta(0))
        ongoing = any(b is None for _, b in intervals) and end is None
        due = None if ongoing else cal.add(facts.created_at, res + paused)
        targets.append(Target("resolution", facts.created_at, due, end, res, paused))
    return DueTimes(policy, tuple(targets))


def explain(settings: SlaSettings, facts: TicketFacts, now: datetime) -> list[str]:
    """The reasoning behind each due time, for `deskterm sla show`."""
    due = compute(settings, facts)
    if due is None:
        return ["no SLA policy matches this ticket"]
    p = due.policy
    cal = p.calendar
    conds = [f"priority in {sorted(p.priorities)}" if p.priorities else "any priority"]
    conds += [
        f"{k} = {v}"
        for k, v in (("organization", p.organization), ("tag", p.tag), ("mailbox", p.mailbox))
        if v
    ]
    lines = [
        f"policy {p.name!r} (first that matches: {', '.join(conds)})",
        f"calendar {cal.name!r}: timezone {cal.timezone}"
        + (f", holidays {cal.holiday_country}" if cal.holiday_country else "")
        + (f" + {len(cal.extra_holidays)} custom" if cal.extra_holidays else ""),
    ]
    for t in due.targets:
        state = t.state(now, cal, settings.warning_fraction)
        line = (
            f"{t.kind}: target {_fmt(t.target)} business time"
            f" from {t.started_at:%Y-%m-%d %H:%M} UTC"
        )
        if t.paused:
            line += f" + {_fmt(t.paused)} paused"
        if t.due_at is None:
            line += " -> paused now (no due time)"
        else:
            line += f" -> due {t.due_at:%Y-%m-%d %H:%M} UTC"
            if t.met_at is None:
                left = cal.between(now, t.due_at)
                wall = t.due_at - now
                line += f"; {_fmt(left)} business / {_fmt(wall)} calendar left"
        if t.met_at is not None:
            line += f"; answered {t.met_at:%Y-%m-%d %H:%M} UTC"
        lines.append(f"{line} [{state.value}]")
    return lines


def _fmt(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    sign = "-" if seconds < 0 else ""
    seconds = abs(seconds)
    d, rem = divmod(seconds, 86400)
    h, rem = divmod(rem, 3600)
    m = rem // 60
    parts = [f"{d}d" if d else "", f"{h}h" if h else "", f"{m}m" if m or not (d or h) else ""]
    return sign + "".join(parts)


def format_left(delta: timedelta) -> str:
    """Compact countdown for the queue: `2h13m`, `-35m` when breached."""
    return _fmt(delta)


def countdown(
    due_at: datetime, now: datetime, calendar: BusinessCalendar
) -> tuple[timedelta, timedelta]:
    """(business time, calendar time) left until `due_at`; negative once overdue."""
    return calendar.between(now, due_at), due_at - now
