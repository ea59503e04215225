"""Time on tickets: logged by hand (`tickets time`) or tracked by the app while a ticket is open.

Both feed agent utilization and cost per ticket. A hand-logged entry is an audit
event too; tracked time is not (the app saves it every minute or so, and the
trail would drown in it), and neither moves the ticket up the queue.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from deskterm.errors import UsageError
from deskterm.store.schema.models import Ticket, TimeEntry
from deskterm.store.service import lookups, records
from deskterm.store.service.records import stored
from deskterm.store.service.unit_of_work import UnitOfWork
from deskterm.time_spent import MAX_SECONDS, format_time_spent
from deskterm.vocab import EventKind


def log_time(uow: UnitOfWork, number: int, seconds: int, note: str, when: datetime) -> int:
    """Time the acting agent spent on ticket `number`, ending `when`; returns the entry id."""
    ticket = lookups.ticket(uow.session, number)
    started = when - timedelta(seconds=seconds)
    entry = _entry(uow, ticket, started, seconds, "manual", note.strip())
    label = format_time_spent(seconds) + (f" ({entry.note})" if entry.note else "")
    uow.touch(ticket.id, ticket)
    records.write_event(uow, ticket.id, EventKind.TIME_LOGGED, None, label, when)
    return stored(entry.id)


def track_time(uow: UnitOfWork, number: int, started_at: datetime, seconds: int) -> int:
    """Active time the app measured with ticket `number` open; returns the entry id."""
    ticket = lookups.ticket(uow.session, number)
    entry = _entry(uow, ticket, started_at, seconds, "tracked", "")
    # No event: the ticket still counts as changed, for the hooks that derive from it.
    uow.touch(ticket.id, ticket, unrecorded=True)
    return stored(entry.id)


def _entry(
    uow: UnitOfWork, ticket: Ticket, started_at: datetime, seconds: int, source: str, note: str
) -> TimeEntry:
    if not 0 < seconds <= MAX_SECONDS:
        raise UsageError(f"a time entry is between 1 second and 24h, not {seconds} s")
    entry = TimeEntry(
        ticket_id=stored(ticket.id),
        agent_id=uow.actor.agent_id,
        started_at=started_at,
        seconds=seconds,
        source=source,
        note=note,
    )
    uow.session.add(entry)
    uow.session.flush()
    return entry
