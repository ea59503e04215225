"""Time on tickets: logged by hand (`tickets time`) or tracked by the app while a ticket is open.

Both feed agent utilization and cost per ticket. A hand-logged entry is an audit
event too; tracked time is not (the app saves it every minute or so, and the
trail would drown in it), and neither moves the ticket up the queue.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session

from deskterm.errors import UsageError
from deskterm.store.schema.models import Ticket, TimeEntry
from deskterm.store.service.base import ServiceBase
from deskterm.time_spent import MAX_SECONDS, format_time_spent
from deskterm.vocab import EventKind


class TimeWrites(ServiceBase):
    def log_time(
        self, number: int, seconds: int, *, note: str = "", when: datetime | None = None
    ) -> int:
        """Time the acting agent spent on ticket `number`, ending now; returns the entry id."""
        when = when or self.clock()
        with self._tx() as s:
            ticket = self._ticket(s, number)
            started = when - timedelta(seconds=seconds)
            entry = self._time_entry(s, ticket, started, seconds, "manual", note.strip())
            label = format_time_spent(seconds) + (f" ({entry.note})" if entry.note else "")
            self._event(s, ticket, EventKind.TIME_LOGGED, None, label, when)
            return entry.id  # type: ignore[return-value]

    def track_time(self, number: int, started_at: datetime, seconds: int) -> int:
        """Active time the app measured with ticket `number` open; returns the entry id."""
        with self._tx() as s:
            ticket = self._ticket(s, number)
            entry = self._time_entry(s, ticket, started_at, seconds, "tracked", "")
            # No event: the ticket still counts as changed, for the hooks that derive from it.
            self._touched[ticket.id] = ticket  # type: ignore[index]
            return entry.id  # type: ignore[return-value]

    def _time_entry(
        self, s: Session, ticket: Ticket, started_at: datetime, seconds: int, source: str, note: str
    ) -> TimeEntry:
        if not 0 < seconds <= MAX_SECONDS:
            raise UsageError(f"a time entry is between 1 second and 24h, not {seconds} s")
        entry = TimeEntry(
            ticket_id=ticket.id,  # type: ignore[arg-type]
            agent_id=self.actor.agent_id,
            started_at=started_at,
            seconds=seconds,
            source=source,
            note=note,
        )
        s.add(entry)
        s.flush()
        return entry
