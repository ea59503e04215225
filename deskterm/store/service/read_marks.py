"""Read marks: which tickets changed since an agent last looked (`is:unread`).

A mark holds the ticket's `updated_at` as the agent last saw it; the ticket is
unread to them once it changes after that. Opening a ticket marks it, and so
does any change an agent makes (with what rules do in the same transaction):
nobody's own reply makes a ticket unread to them.
"""

from __future__ import annotations

from sqlmodel import Session

from deskterm.errors import UsageError
from deskterm.store.schema.models import Ticket, TicketRead
from deskterm.store.schema.timefmt import from_db
from deskterm.store.service.base import ServiceBase


class ReadMarks(ServiceBase):
    def mark_read(self, number: int) -> bool:
        """The actor has seen ticket `number` as it is now; False when it was already marked."""
        if self.actor.agent_id is None:
            raise UsageError("only an agent can mark a ticket read: set [agent] email")
        with self._tx() as s:
            return self._mark(s, self._ticket(s, number))

    def _before_commit(self, s: Session, tickets: list[Ticket]) -> None:
        super()._before_commit(s, tickets)
        if self.actor.agent_id is not None:
            for ticket in self._touched.values():
                self._mark(s, ticket)

    def _mark(self, s: Session, ticket: Ticket) -> bool:
        agent_id, ticket_id = self.actor.agent_id, ticket.id
        assert agent_id is not None and ticket_id is not None  # an agent, a stored ticket
        mark = s.get(TicketRead, (agent_id, ticket_id))
        seen = ticket.updated_at
        if mark is not None and from_db(mark.read_at) >= from_db(seen):  # type: ignore[operator]
            return False
        if mark is None:
            s.add(TicketRead(agent_id=agent_id, ticket_id=ticket_id, read_at=seen))
        else:
            mark.read_at = seen
        return True
