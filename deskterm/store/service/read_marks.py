"""Read marks: which tickets changed since an agent last looked (`is:unread`).

A mark holds the ticket's `updated_at` as the agent last saw it; the ticket is
unread to them once it changes after that. Opening a ticket marks it, and so
does any change an agent makes (with what rules do in the same transaction):
nobody's own reply makes a ticket unread to them.
"""

from __future__ import annotations

from deskterm.store.schema.models import Ticket, TicketRead
from deskterm.store.schema.timefmt import from_db
from deskterm.store.service.unit_of_work import UnitOfWork


def mark_read(uow: UnitOfWork) -> None:
    """Before-commit hook: an agent has seen every ticket their change touched."""
    if uow.actor.agent_id is not None:
        for ticket in uow.tickets():
            mark(uow, ticket)


def mark(uow: UnitOfWork, ticket: Ticket) -> bool:
    """The unit's agent has seen `ticket` as it is now; False when it was already marked."""
    agent_id, ticket_id = uow.actor.agent_id, ticket.id
    assert agent_id is not None and ticket_id is not None  # an agent, a stored ticket
    held = uow.session.get(TicketRead, (agent_id, ticket_id))
    seen = ticket.updated_at
    if held is not None and from_db(held.read_at) >= from_db(seen):
        return False
    if held is None:
        uow.session.add(TicketRead(agent_id=agent_id, ticket_id=ticket_id, read_at=seen))
    else:
        held.read_at = seen
    return True
