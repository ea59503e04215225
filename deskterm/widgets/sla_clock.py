"""SLA countdowns for the queue: business and calendar time left, and a state class.

Pure functions over a `TicketRow` and the configured `SlaSettings` (no store):
the row carries the earliest open due time and the policy's name; the policy
gives the calendar and the targets. Which target the due time belongs to is not
on the row, so the warning state is approximated: the smallest candidate target
(first reply while unanswered, else next reply or resolution) that is at least
the business time left is taken as the one running.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from deskterm.sla.calendar import BusinessCalendar
from deskterm.sla.policy import Policy, SlaSettings, format_left
from deskterm.store.queries.records import TicketRow

RESOLVED = frozenset({"solved", "closed"})


@dataclass(frozen=True, slots=True)
class Countdown:
    business: str  # business time left, "-35m" once overdue
    wall: str  # calendar time left
    state: str  # ok | warning | breached

    @property
    def text(self) -> str:
        """`2h10m · 3h05m`: business time left · calendar time left."""
        return f"{self.business} · {self.wall}"


def _policy(settings: SlaSettings, name: str | None) -> Policy | None:
    if name is None:
        return None
    return next((p for p in settings.policies if p.name == name), None)


def countdown(settings: SlaSettings, row: TicketRow, now: datetime) -> Countdown | None:
    """The row's countdown, or None when it has no open due time."""
    if row.due_at is None or row.status in RESOLVED:
        return None
    policy = _policy(settings, row.sla_policy)
    calendar = policy.calendar if policy else BusinessCalendar.always()
    business = calendar.between(now, row.due_at)
    wall = row.due_at - now
    left, clock = format_left(business), format_left(wall)
    if wall <= timedelta(0):
        return Countdown(left, clock, "breached")
    target = _running_target(policy, row, business)
    if target and business <= target * (1 - settings.warning_fraction):
        return Countdown(left, clock, "warning")
    return Countdown(left, clock, "ok")


def _running_target(policy: Policy | None, row: TicketRow, left: timedelta) -> timedelta | None:
    if policy is None:
        return None
    kinds = ("first_reply",) if row.first_response_at is None else ("next_reply", "resolution")
    targets = sorted(t for k in kinds if (t := policy.target(k, row.priority)) is not None)
    if not targets:
        return None
    return next((t for t in targets if t >= left), targets[-1])
