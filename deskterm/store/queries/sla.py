"""SLA reads: what a ticket's due times depend on, its targets now, and why.

`ticket_facts` runs on any sqlite3 connection: the store's read connection, or
a writer's own (inside its transaction) when the SLA hook recomputes due times.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta

from deskterm.errors import NotFoundError, UsageError
from deskterm.sla.policy import SlaSettings, TicketFacts, compute, explain
from deskterm.store.schema.db import Store
from deskterm.store.schema.timefmt import from_db
from deskterm.vocab import EventKind, MessageKind


@dataclass(frozen=True)
class TargetState:
    """One SLA target of a ticket, now: for the ticket header and `sla show --json`."""

    kind: str  # first_reply | next_reply | resolution
    policy: str
    due_at: datetime | None  # None while paused
    met_at: datetime | None
    state: str  # ok | warning | breached | met | paused
    business_left: timedelta | None
    calendar_left: timedelta | None


def _at(value: str) -> datetime:
    when = from_db(value)
    assert when is not None
    return when


def ticket_facts(db: sqlite3.Connection, ticket_id: int) -> TicketFacts:
    """The facts of ticket `ticket_id` as `db` sees them (a writer flushes first)."""
    row = db.execute(
        "SELECT t.created_at, t.priority, t.status, t.solved_at, o.name FROM ticket t"
        " JOIN customer c ON c.id = t.customer_id"
        " LEFT JOIN organization o ON o.id = c.organization_id WHERE t.id = ?",
        (ticket_id,),
    ).fetchone()
    created_at, priority, status, solved_at, organization = row
    messages = db.execute(
        "SELECT kind, created_at, mailbox FROM message WHERE ticket_id = ? ORDER BY created_at, id",
        (ticket_id,),
    ).fetchall()
    statuses = db.execute(
        "SELECT created_at, old, new FROM event WHERE ticket_id = ? AND kind = ? ORDER BY id",
        (ticket_id, EventKind.STATUS.value),
    ).fetchall()
    tags = db.execute(
        "SELECT tag.name FROM ticket_tag JOIN tag ON tag.id = ticket_tag.tag_id"
        " WHERE ticket_tag.ticket_id = ?",
        (ticket_id,),
    ).fetchall()
    initial = statuses[0][1] if statuses else status
    created = _at(created_at)
    return TicketFacts(
        created_at=created,
        priority=priority,
        status=status,
        tags=frozenset(name for (name,) in tags),
        organization=organization,
        mailbox=next((m for k, _, m in reversed(messages) if k == "customer" and m), None),
        customer_messages=tuple(_at(t) for k, t, _ in messages if k == MessageKind.CUSTOMER),
        replies=tuple(_at(t) for k, t, _ in messages if k == MessageKind.REPLY),
        statuses=((created, initial or status), *((_at(t), new or "") for t, _, new in statuses)),
        solved_at=from_db(solved_at),
    )


def _ticket_id(db: sqlite3.Connection, number: int) -> int:
    row = db.execute("SELECT id FROM ticket WHERE number = ?", (number,)).fetchone()
    if row is None:
        raise NotFoundError(f"no ticket #{number}")
    return int(row[0])


def sla_targets(
    store: Store, settings: SlaSettings | None, number: int, now: datetime
) -> tuple[TargetState, ...]:
    """Each SLA target of ticket `number` as the ticket header shows it."""
    if settings is None:
        return ()
    db = store.read()
    due = compute(settings, ticket_facts(db, _ticket_id(db, number)))
    if due is None:
        return ()
    cal = due.policy.calendar
    return tuple(
        TargetState(
            kind=t.kind,
            policy=due.policy.name,
            due_at=t.due_at,
            met_at=t.met_at,
            state=t.state(now, cal, settings.warning_fraction).value,
            business_left=cal.between(now, t.due_at) if t.due_at else None,
            calendar_left=t.due_at - now if t.due_at else None,
        )
        for t in due.targets
    )


def explain_sla(
    store: Store, settings: SlaSettings | None, number: int, now: datetime
) -> list[str]:
    """Why each due time of ticket `number` is what it is."""
    if settings is None:
        raise UsageError("no SLA policies are configured ([[sla.policy]] in the config)")
    db = store.read()
    return explain(settings, ticket_facts(db, _ticket_id(db, number)), now)
