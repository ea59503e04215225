"""Read marks: which tickets changed since an agent last looked (`is:unread`).

A mark holds the ticket's `updated_at` as the agent last saw it; the ticket is
unread to them once it changes after that. Opening a ticket marks it, and so
does any change an agent makes (with what rules do in the same transaction):
nobody's own reply makes a ticket unread to them.
"""

from __future__ import annotations

from datetime import datetime

from deskterm.store.schema.models import Ticket
from deskterm.store.schema.timefmt import to_db
from deskterm.store.service.sync_journal import bump
from deskterm.store.service.unit_of_work import UnitOfWork

_STAMP = "UPDATE ticket_read SET sync_version = ? WHERE agent_id = ? AND ticket_id = ?"
# One statement (one round trip on PostgreSQL) where a read and a write were: a mark
# only moves forward, and the count of changed rows says whether it moved.
_MARK = (
    "INSERT INTO ticket_read (agent_id, ticket_id, read_at) VALUES (?, ?, ?)"
    " ON CONFLICT (agent_id, ticket_id) DO UPDATE SET read_at = excluded.read_at"
    " WHERE ticket_read.read_at < excluded.read_at"
)


def mark_read(uow: UnitOfWork) -> None:
    """Before-commit hook: an agent has seen every ticket their change touched."""
    if uow.actor.agent_id is not None:
        for ticket in uow.tickets():
            mark(uow, ticket)


def mark(uow: UnitOfWork, ticket: Ticket, seen: datetime | None = None) -> bool:
    """The unit's agent has seen `ticket` as it is now, or as it was at `seen` (a mark made
    on a replica); False when it was already marked that far. A mark never moves back."""
    agent_id, ticket_id = uow.actor.agent_id, ticket.id
    assert agent_id is not None and ticket_id is not None  # an agent, a stored ticket
    cursor = uow.db.execute(_MARK, (agent_id, ticket_id, to_db(seen or ticket.updated_at)))
    return cursor.rowcount > 0


def mark_alone(uow: UnitOfWork, ticket: Ticket, seen: datetime | None = None) -> bool:
    """`mark`, for a mark made without changing the ticket (it was opened, or a replica's
    mark arrived): the mark gets a sync stamp of its own, so the agent's other replicas
    pull it without pulling the ticket again. A mark made with a change needs none: the
    ticket is stamped and travels whole, its mark with it."""
    if not mark(uow, ticket, seen):
        return False
    postgres = uow.session.get_bind().dialect.name == "postgresql"
    uow.db.execute(_STAMP, (bump(uow.db, postgres=postgres), uow.actor.agent_id, ticket.id))
    return True
