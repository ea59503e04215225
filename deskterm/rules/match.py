"""Matching a ticket snapshot against a query in Python.

Rules run inside the writer's transaction for every change, so a condition must
cost microseconds, not a SQL round trip: this mirrors `store.queries`' SQL
filters over a snapshot (the two are tested against each other).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from deskterm.query.syntax import TicketQuery, resolve_date


@dataclass(frozen=True)
class TicketSnapshot:
    number: int
    subject: str
    status: str
    priority: str
    channel: str
    assignee_email: str | None
    assignee_name: str | None
    group: str | None
    tags: frozenset[str]
    customer_email: str
    customer_name: str
    organization: str | None
    created_at: datetime
    updated_at: datetime
    due_at: datetime | None
    sla_policy: str | None
    last_body: str = ""
    sender: str = ""  # address of the latest customer message
    mailbox: str | None = None
    urgent_words: str | None = None  # the tone of the latest customer message
    upset_words: str | None = None
    csat: str | None = None  # the latest survey rating


def _date_ok(field_value: datetime | None, op: str, value: str, now: datetime) -> bool:
    if field_value is None:
        return False
    at = resolve_date(value, now, now.astimezone())
    if value[-1].isalpha():  # an age: `<` means newer, a later time
        op = {"<": ">", "<=": ">=", ">": "<", ">=": "<="}[op]
        bounds = [(op, at)]
    else:
        day = timedelta(days=1)
        bounds = {
            ">": [(">=", at + day)],
            ">=": [(">=", at)],
            "<": [("<", at)],
            "<=": [("<", at + day)],
            ":": [(">=", at), ("<", at + day)],
        }[op]
    checks = {
        "<": lambda a, b: a < b,
        "<=": lambda a, b: a <= b,
        ">": lambda a, b: a > b,
        ">=": lambda a, b: a >= b,
    }
    return all(checks[o](field_value, b) for o, b in bounds)


def _tone_ok(words: str | None, wanted: tuple[str, ...], flagged: str, unflagged: str) -> bool:
    """As the SQL filter: a tone not read yet (None) is neither flagged nor not."""
    if words is None:
        return False
    return (flagged if words else unflagged) in wanted


def _csat_ok(rating: str | None, wanted: tuple[str, ...]) -> bool:
    if rating is None:
        return "none" in wanted
    return "any" in wanted or rating in wanted


def matches(query: TicketQuery, t: TicketSnapshot, now: datetime) -> bool:
    """Whether `t` is among what `query` would list (assignee:me never matches here)."""
    if query.status and t.status not in query.status:
        return False
    if query.priority and t.priority not in query.priority:
        return False
    if query.channel and t.channel not in query.channel:
        return False
    if query.assignee:
        wanted = {a.lower() for a in query.assignee}
        mine = {x.lower() for x in (t.assignee_email, t.assignee_name) if x}
        if not ((not mine and "none" in wanted) or mine & wanted):
            return False
    if any(not (set(tags) & t.tags) for tags in query.tag):
        return False
    if query.from_ and t.customer_email.lower() not in query.from_:
        return False
    for text in query.customer:
        hay = " ".join(filter(None, (t.customer_email, t.customer_name, t.organization)))
        if text.lower() not in hay.lower():
            return False
    if query.group and (t.group or "").lower() not in {g.lower() for g in query.group}:
        return False
    if query.sla and "any" not in query.sla:
        states = set()
        if t.sla_policy is None:
            states.add("none")
        if t.due_at is not None:
            states.add("breached" if t.due_at <= now else "ok")
        if not states & set(query.sla):
            return False
    for date in query.dates:
        if date.field == "due":
            if t.due_at is None:
                return False
            limit = now + (now - resolve_date(date.value, now, now))
            if not {
                "<": t.due_at < limit,
                "<=": t.due_at <= limit,
                ">": t.due_at > limit,
                ">=": t.due_at >= limit,
            }[date.op]:
                return False
        elif not _date_ok(
            t.created_at if date.field == "created" else t.updated_at, date.op, date.value, now
        ):
            return False
    if query.mood and not _tone_ok(t.upset_words, query.mood, "upset", "calm"):
        return False
    if query.urgent and not _tone_ok(t.urgent_words, query.urgent, "yes", "no"):
        return False
    if query.csat and not _csat_ok(t.csat, query.csat):
        return False
    if query.words:
        hay = f"{t.subject}\n{t.last_body}".lower()
        if not all(w.rstrip("*").lower() in hay for w in query.words):
            return False
    return True
