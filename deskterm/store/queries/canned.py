"""What a canned reply's template sees for a ticket, and the reply rendered for it.

`template_context` runs on any sqlite3 connection: the store's read connection for
a preview, or a writer's own (inside its transaction, after a flush) when a canned
reply is applied.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from deskterm import canned
from deskterm.errors import NotFoundError
from deskterm.store.queries.catalog import get_canned
from deskterm.store.schema.db import Store
from deskterm.store.schema.timefmt import from_db

_TICKET = """
    SELECT t.number, t.subject, t.status, t.priority, t.channel, t.created_at, g.name,
      c.name, c.email, o.name, o.domain
    FROM ticket t JOIN customer c ON c.id = t.customer_id
    LEFT JOIN organization o ON o.id = c.organization_id
    LEFT JOIN agent_group g ON g.id = t.group_id
    WHERE t.id = ?
"""
_TAGS = "SELECT tag.name FROM ticket_tag JOIN tag ON tag.id = ticket_tag.tag_id WHERE ticket_id = ?"


def template_context(
    db: sqlite3.Connection, ticket_id: int, agent_id: int | None
) -> dict[str, dict[str, Any]]:
    """The ticket, its customer and organization, and the acting agent, as templates see them."""
    row = db.execute(_TICKET, (ticket_id,)).fetchone()
    tags = sorted(name for (name,) in db.execute(_TAGS, (ticket_id,)))
    agent = None
    if agent_id is not None:
        agent = db.execute(
            "SELECT name, email, signature FROM agent WHERE id = ?", (agent_id,)
        ).fetchone()
    created_at = from_db(row[5])
    assert created_at is not None
    return canned.build_context(
        {
            "number": row[0],
            "subject": row[1],
            "status": row[2],
            "priority": row[3],
            "channel": row[4],
            "created_at": created_at.strftime("%Y-%m-%d"),
            "tags": tags,
            "group": row[6],
        },
        {"name": row[7], "email": row[8]},
        {"name": agent[0], "email": agent[1], "signature": agent[2]} if agent else {},
        {"name": row[9], "domain": row[10]} if row[9] is not None else None,
    )


def render_canned(
    store: Store, agent_id: int | None, number: int, name: str
) -> tuple[str, dict[str, Any]]:
    """The rendered body and the actions of canned reply `name` for ticket `number`."""
    reply = get_canned(store, name)
    db = store.read()
    found = db.execute("SELECT id FROM ticket WHERE number = ?", (number,)).fetchone()
    if found is None:
        raise NotFoundError(f"no ticket #{number}")
    return canned.render(name, reply.body, template_context(db, found[0], agent_id)), reply.actions
