"""Which rules an event triggers and whether a rule's conditions hold: pure functions.

Shared by the service layer's rule hook (inside the writer's transaction) and
`rules test`, which replays history through them without writing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from deskterm.rules.match import TicketSnapshot, matches
from deskterm.rules.model import Rule, Trigger
from deskterm.vocab import EventKind

if TYPE_CHECKING:
    from deskterm.sla.calendar import BusinessCalendar

_FIELD_EVENTS = {
    EventKind.STATUS: "status",
    EventKind.PRIORITY: "priority",
    EventKind.ASSIGNEE: "assignee",
    EventKind.GROUP: "group",
    EventKind.TAG_ADDED: "tags",
    EventKind.SURVEY: "csat",
}
_TRIGGER_EVENTS = {
    EventKind.CREATED: Trigger.TICKET_CREATED,
    EventKind.CUSTOMER_MESSAGE: Trigger.CUSTOMER_REPLIED,
    EventKind.REPLY: Trigger.AGENT_REPLIED,
}


@dataclass(frozen=True)
class RuleSet:
    rules: tuple[Rule, ...] = ()
    calendars: dict[str, BusinessCalendar] = field(default_factory=dict)


@dataclass(frozen=True)
class Fired:
    """One rule firing: what it did, for logs and `rules time`."""

    rule: str
    number: int
    trigger: str
    changes: tuple[str, ...]


def trigger_of(kind: str, new: str | None) -> tuple[Trigger, str | None, str | None] | None:
    """(trigger, field, new value) for an event kind, or None if it triggers nothing."""
    try:
        event = EventKind(kind)
    except ValueError:
        return None
    if event in _TRIGGER_EVENTS:
        return _TRIGGER_EVENTS[event], None, None
    if event in _FIELD_EVENTS:
        return Trigger.FIELD_CHANGED, _FIELD_EVENTS[event], new
    return None


def triggered(rule: Rule, trigger: Trigger, field_name: str | None, value: str | None) -> bool:
    """Whether `rule` listens to this trigger (and, for a field change, this field and value)."""
    if not rule.enabled or rule.trigger is not trigger:
        return False
    if trigger is Trigger.FIELD_CHANGED:
        if rule.field != field_name:
            return False
        if rule.to and (value or "").lower() != rule.to.lower():
            return False
    return True


def conditions_hold(
    rule: Rule, snap: TicketSnapshot, now: datetime, calendars: dict[str, BusinessCalendar]
) -> bool:
    if not matches(rule.query, snap, now):
        return False
    if rule.sender_domains and snap.sender.rpartition("@")[2] not in rule.sender_domains:
        return False
    if rule.mailbox and (snap.mailbox or "").lower() != rule.mailbox:
        return False
    if rule.business_hours:
        calendar = calendars.get(rule.calendar)
        is_open = calendar.is_open(now) if calendar else True
        if is_open != (rule.business_hours == "open"):
            return False
    return True
