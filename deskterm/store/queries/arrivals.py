"""What the send guard compares: a ticket's messages from the customer and from other agents.

Counted, not compared by id: a replica's pull replaces a ticket's messages (new row
ids), but never takes one away, so "the list grew past what was there when the
composer opened" is exactly "something arrived meanwhile".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from deskterm.store.schema.db import Store
from deskterm.store.schema.timefmt import from_db


@dataclass(frozen=True, slots=True)
class Arrival:
    """A customer message, or a reply by an agent other than the one writing."""

    kind: str
    author: str
    body_text: str
    created_at: datetime


def others_messages(store: Store, number: int, me_id: int | None) -> list[Arrival]:
    """Oldest first: customer messages and replies not written by agent `me_id`."""
    rows = (
        store.read()
        .execute(
            "SELECT m.kind, coalesce(a.name, c.name, nullif(m.from_name, ''), m.from_addr),"
            " m.body_text, m.created_at FROM message m JOIN ticket t ON t.id = m.ticket_id"
            " LEFT JOIN agent a ON a.id = m.author_agent_id"
            " LEFT JOIN customer c ON c.id = m.author_customer_id"
            " WHERE t.number = ? AND (m.kind = 'customer'"
            " OR (m.kind = 'reply' AND coalesce(m.author_agent_id, -1) != coalesce(?, -2)))"
            " ORDER BY m.created_at, m.id",
            (number, me_id),
        )
        .fetchall()
    )
    return [Arrival(r[0], r[1] or "", r[2] or "", from_db(r[3])) for r in rows]
