"""The closed vocabularies of the store, importable without SQLAlchemy (fast CLI start)."""

from __future__ import annotations

from enum import StrEnum
from typing import TypeVar


class Status(StrEnum):
    NEW = "new"
    OPEN = "open"
    PENDING = "pending"
    ON_HOLD = "on_hold"
    SOLVED = "solved"
    CLOSED = "closed"


# Statuses in which a ticket still needs work; the queue's default.
ACTIVE_STATUSES = (Status.NEW, Status.OPEN)
UNRESOLVED_STATUSES = (Status.NEW, Status.OPEN, Status.PENDING, Status.ON_HOLD)
RESOLVED_STATUSES = (Status.SOLVED, Status.CLOSED)


class Priority(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


class Channel(StrEnum):
    EMAIL = "email"
    WEB = "web"
    PHONE = "phone"


class MessageKind(StrEnum):
    CUSTOMER = "customer"
    REPLY = "reply"
    NOTE = "note"
    SYSTEM = "system"


class Role(StrEnum):
    AGENT = "agent"
    ADMIN = "admin"


class EventKind(StrEnum):
    CREATED = "created"
    STATUS = "status"
    PRIORITY = "priority"
    ASSIGNEE = "assignee"
    GROUP = "group"
    TAG_ADDED = "tag_added"
    TAG_REMOVED = "tag_removed"
    SUBJECT = "subject"
    CUSTOMER_MESSAGE = "customer_message"
    REPLY = "reply"
    NOTE = "note"
    MERGED_INTO = "merged_into"
    MERGED_FROM = "merged_from"
    SPLIT_TO = "split_to"
    SPLIT_FROM = "split_from"
    CANNED = "canned"
    REOPENED = "reopened"
    SLA_MET = "sla_met"
    SLA_BREACHED = "sla_breached"
    TIME_LOGGED = "time_logged"
    NOT_MAILED = "not_mailed"  # a reply to an email ticket that no [[mailbox]] could send
    SURVEY = "survey"  # the customer answered the satisfaction survey (old -> new rating)


# Said every time such a reply is saved (CLI, app) and shown on the message in the thread.
NOT_MAILED_TEXT = "saved, not mailed: no [[mailbox]] can send for this ticket — see `deskterm init`"


E = TypeVar("E", bound=StrEnum)


def parse_choice(enum: type[E], value: str, what: str) -> E:
    """Turn user input into a vocabulary member, with a one-line error listing the choices."""
    from deskterm.errors import UsageError

    try:
        return enum(value.strip().lower().replace("-", "_").replace(" ", "_"))
    except ValueError:
        choices = ", ".join(m.value for m in enum)
        raise UsageError(f"unknown {what} {value!r} (choose from {choices})") from None


# How statuses and ages read to a person, the same in the app and the CLI's tables
# (JSON keeps the values: `on_hold`, ISO times).


def status_label(status: str) -> str:
    """`on_hold` -> `on hold`."""
    return status.replace("_", " ")


def age_label(seconds: float) -> str:
    """A compact age such as `5m`, `3h`, `2d`, `6w`, `1y` (never negative)."""
    seconds = max(0, int(seconds))
    if seconds < 60:
        return "now"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes}m"
    hours = minutes // 60
    if hours < 24:
        return f"{hours}h"
    days = hours // 24
    if days < 14:
        return f"{days}d"
    if days < 365:
        return f"{days // 7}w"
    return f"{days // 365}y"
