"""The ticket as rule conditions see it (`TicketSnapshot`), read in a few statements.

Runs on any sqlite3 connection; the rule hook passes the writer's own, inside
its transaction (after a flush), so a rule sees the change that triggered it.
"""

from __future__ import annotations

import sqlite3

from deskterm.rules.match import TicketSnapshot
from deskterm.store.schema.timefmt import from_db

_TICKET = """
    SELECT t.number, t.subject, t.status, t.priority, t.channel, a.email, a.name, g.name,
      c.email, c.name, o.name, t.created_at, t.updated_at, t.due_at, t.sla_policy,
      t.urgent_words, t.upset_words, t.csat
    FROM ticket t JOIN customer c ON c.id = t.customer_id
    LEFT JOIN organization o ON o.id = c.organization_id
    LEFT JOIN agent a ON a.id = t.assignee_id LEFT JOIN agent_group g ON g.id = t.group_id
    WHERE t.id = ?
"""
_TAGS = "SELECT tag.name FROM ticket_tag JOIN tag ON tag.id = ticket_tag.tag_id WHERE ticket_id = ?"
_LAST_CUSTOMER_MESSAGE = (
    "SELECT body_text, from_addr, mailbox FROM message WHERE ticket_id = ? AND kind = 'customer'"
    " ORDER BY id DESC LIMIT 1"
)


def ticket_snapshot(db: sqlite3.Connection, ticket_id: int) -> TicketSnapshot:
    row = db.execute(_TICKET, (ticket_id,)).fetchone()
    tags = frozenset(name for (name,) in db.execute(_TAGS, (ticket_id,)))
    last = db.execute(_LAST_CUSTOMER_MESSAGE, (ticket_id,)).fetchone()
    created_at, updated_at = from_db(row[11]), from_db(row[12])
    assert created_at is not None and updated_at is not None
    return TicketSnapshot(
        number=row[0],
        subject=row[1],
        status=row[2],
        priority=row[3],
        channel=row[4],
        assignee_email=row[5],
        assignee_name=row[6],
        group=row[7],
        tags=tags,
        customer_email=row[8],
        customer_name=row[9],
        organization=row[10],
        created_at=created_at,
        updated_at=updated_at,
        due_at=from_db(row[13]),
        sla_policy=row[14],
        last_body=last[0] if last else "",
        sender=(last[1] if last else row[8]).lower(),
        mailbox=last[2] if last else None,
        urgent_words=row[15],
        upset_words=row[16],
        csat=row[17],
    )
