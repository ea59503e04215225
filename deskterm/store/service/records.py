"""What a change writes: the one definition, shared by every writer.

The ORM service, the ingest batch writer (plain statements, one savepoint a
batch) and bulk loads (the demo) all write tickets, messages, customers, events
and status changes through these functions and row shapes, so they cannot
drift apart. A function given a `UnitOfWork` also tells it what was written,
which is what the before-commit hooks see.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from deskterm.errors import UsageError
from deskterm.store.schema.models import Message, Ticket
from deskterm.store.schema.timefmt import to_db
from deskterm.store.search.index import SearchIndex
from deskterm.store.service.unit_of_work import Recorded, UnitOfWork
from deskterm.vocab import RESOLVED_STATUSES, EventKind, MessageKind, Priority, Status

TICKET_COLUMNS = (
    "id",
    "number",
    "subject",
    "status",
    "priority",
    "channel",
    "customer_id",
    "assignee_id",
    "group_id",
    "created_at",
    "updated_at",
    "first_response_at",
    "solved_at",
    "reopen_count",
    "message_count",
    "merged_into_id",
)
EVENT_COLUMNS = ("ticket_id", "actor_agent_id", "actor", "kind", "old", "new", "created_at")
EventRow = tuple[int, int | None, str, str, str | None, str | None, str]


def insert_sql(table: str, columns: Sequence[str]) -> str:
    names = ", ".join(f'"{c}"' for c in columns)  # quoted: `references` is an SQL keyword
    return f"INSERT INTO {table} ({names}) VALUES ({', '.join('?' * len(columns))})"


INSERT_EVENT = insert_sql("event", EVENT_COLUMNS)
_INSERT_TICKET = insert_sql("ticket", TICKET_COLUMNS[1:])  # ids come from SQLite
# The one source of ticket numbers. Two statements, not UPDATE ... RETURNING: a RETURNING
# statement opens a statement savepoint, at which FTS5 writes out the index rows pending
# in the transaction (70 µs a ticket in a batch of mail, not 10).
_BUMP_TICKET_NUMBER = "UPDATE counter SET value = value + 1 WHERE name = 'ticket'"
_LAST_TICKET_NUMBER = "SELECT value FROM counter WHERE name = 'ticket'"
# A message joined a ticket: the counters `count_message` keeps on an ORM ticket.
COUNT_MESSAGE = (
    "UPDATE ticket SET message_count = message_count + 1, updated_at = max(updated_at, ?)"
    " WHERE id = ?"
)

T = TypeVar("T")


def stored(ident: int | None) -> int:
    """An ORM row's id, which SQLite gave it at the flush."""
    assert ident is not None, "the row is not flushed yet"
    return ident


def inserted(cursor: sqlite3.Cursor) -> int:
    """The rowid SQLite gave the row a plain INSERT just wrote."""
    assert cursor.lastrowid is not None
    return cursor.lastrowid


# -- events ------------------------------------------------------------------------


def event_row(
    ticket_id: int,
    actor_agent_id: int | None,
    actor: str,
    kind: str,
    old: object,
    new: object,
    stamp: str,
) -> EventRow:
    """An event row in EVENT_COLUMNS order; `stamp` is the time as `timefmt.to_db` writes it.

    Old and new values are text (or NULL). Written out, not a helper's calls: the demo
    load makes millions of rows.
    """
    old_text = None if old is None else str(old)
    new_text = None if new is None else str(new)
    return (ticket_id, actor_agent_id, actor, kind, old_text, new_text, stamp)


def write_event(
    uow: UnitOfWork,
    ticket_id: int | None,
    kind: EventKind,
    old: object = None,
    new: object = None,
    when: datetime | None = None,
    *,
    trigger: bool = True,
    db: sqlite3.Connection | None = None,
    stamp: str | None = None,
) -> Recorded:
    """Write one event of the unit's actor and record it in the unit (see `UnitOfWork.record`).

    A plain-statement writer passes the connection it holds (`uow.db`, asked for once) and
    `when` as `to_db` wrote it: a batch of mail writes thousands of events.
    """
    assert ticket_id is not None, "events belong to stored tickets"
    when = when or uow.clock()
    actor = uow.actor
    row = event_row(
        ticket_id, actor.agent_id, actor.label, kind.value, old, new, stamp or to_db(when)
    )
    event_id = inserted((db or uow.db).execute(INSERT_EVENT, row))
    recorded = Recorded(
        event_id, ticket_id, kind.value, row[4], row[5], when, actor.label, actor.agent_id
    )
    uow.record(recorded, trigger=trigger)
    return recorded


# -- status ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StatusChange(Generic[T]):
    """A status change's new fields and its events (kind, old, new), in the order written."""

    status: str
    solved_at: T | None
    reopen_count: int
    events: tuple[tuple[str, str, str], ...]


def status_change(
    old: str, new: str, solved_at: T | None, reopen_count: int, when: T
) -> StatusChange[T] | None:
    """What moving a ticket from `old` to `new` at `when` writes; None if nothing changes.

    Reopening (resolved -> unresolved) counts, clears solved_at and writes `reopened`
    before the `status` event; the first resolution sets solved_at.
    """
    if old == new:
        return None
    events: list[tuple[str, str, str]] = []
    if old in RESOLVED_STATUSES and new not in RESOLVED_STATUSES:
        reopen_count += 1
        solved_at = None
        events.append((EventKind.REOPENED.value, old, new))
    if new in RESOLVED_STATUSES and solved_at is None:
        solved_at = when
    events.append((EventKind.STATUS.value, old, new))
    return StatusChange(new, solved_at, reopen_count, tuple(events))


def set_status(uow: UnitOfWork, ticket: Ticket, status: Status, when: datetime) -> bool:
    """Apply `status_change` to an ORM ticket and write its events; False if unchanged."""
    change = status_change(ticket.status, status.value, ticket.solved_at, ticket.reopen_count, when)
    if change is None:
        return False
    uow.touch(ticket.id, ticket)
    ticket.reopen_count = change.reopen_count
    ticket.solved_at = change.solved_at
    ticket.status = change.status
    ticket.updated_at = max(ticket.updated_at, when)
    for kind, old, new in change.events:
        write_event(uow, ticket.id, EventKind(kind), old, new, when)
    return True


# -- tickets, customers and messages -------------------------------------------------


def next_number(db: sqlite3.Connection) -> int:
    """The next ticket number, bumped inside the writer's transaction: numbers never repeat,
    even after merges or under concurrent writers (BEGIN IMMEDIATE queues them)."""
    db.execute(_BUMP_TICKET_NUMBER)
    return int(db.execute(_LAST_TICKET_NUMBER).fetchone()[0])


def customer_id(db: sqlite3.Connection, email: str, name: str, stamp: str) -> int:
    """The customer with `email`, created (in its domain's organization) if new.

    A name is filled in once, when the customer had none. A merged customer's
    address finds the customer it was merged into.
    """
    email, name = email.strip().lower(), name.strip()
    if "@" not in email:
        raise UsageError(f"bad customer address {email!r}")
    found = db.execute(
        "SELECT id, name, merged_into_id FROM customer WHERE email = ?", (email,)
    ).fetchone()
    if found is not None and found[2] is not None:
        return int(found[2])  # merged (`customers merge`): the customer it joined
    if found is not None:
        if name and not found[1]:
            db.execute("UPDATE customer SET name = ? WHERE id = ?", (name, found[0]))
        return int(found[0])
    org = db.execute(
        "SELECT id FROM organization WHERE domain = ? ORDER BY id LIMIT 1",
        (email.rpartition("@")[2],),
    ).fetchone()
    cursor = db.execute(
        "INSERT INTO customer (email, name, organization_id, created_at) VALUES (?, ?, ?, ?)",
        (email, name, None if org is None else org[0], stamp),
    )
    return inserted(cursor)


@dataclass(frozen=True, slots=True)
class NewTicket:
    id: int
    number: int
    subject: str


def insert_ticket(
    db: sqlite3.Connection,
    subject: str,
    customer: int,
    stamp: str,
    *,
    status: Status = Status.NEW,
    priority: Priority = Priority.NORMAL,
    channel: str = "email",
    assignee_id: int | None = None,
    group_id: int | None = None,
    messages: int = 0,
    search: SearchIndex | None = None,
) -> NewTicket:
    """A ticket row with the next number, its subject in the search index.

    The caller adds the first message and the `created` event. `messages=1`: the row
    counts that message already (a writer of plain statements); otherwise adding it does.
    `search`: the writer's own index (a batch's, deferred); by default one on `db`.
    """
    subject = subject.strip() or "(no subject)"
    number = next_number(db)
    solved = stamp if status in RESOLVED_STATUSES else None
    cursor = db.execute(
        _INSERT_TICKET,
        (
            number, subject, status.value, priority.value, channel, customer,
            assignee_id, group_id, stamp, stamp, None, solved, 0, messages, None,
        ),
    )  # fmt: skip
    ticket_id = inserted(cursor)
    (search or SearchIndex(db)).add_ticket(ticket_id, subject)
    return NewTicket(ticket_id, number, subject)


def add_message(
    uow: UnitOfWork,
    ticket: Ticket,
    kind: MessageKind,
    body: str,
    when: datetime,
    **fields: Any,
) -> Message:
    """A message on `ticket`, in the search index and counted on the ticket."""
    s = uow.session
    message = Message(
        ticket_id=stored(ticket.id),
        kind=kind.value,
        body_text=body,
        subject=fields.pop("subject", None) or ticket.subject,
        created_at=when,
        **fields,
    )
    s.add(message)
    s.flush()
    SearchIndex(uow.db).add_message(stored(message.id), body, ticket_id=stored(ticket.id))
    if kind is MessageKind.CUSTOMER:
        # Here, not at the top: the cue tables cost a write that adds no customer text.
        from deskterm.store.service.tone import note_tone

        note_tone(ticket, body, ticket.subject if ticket.message_count == 0 else "")
    count_message(ticket, when)
    return message


def count_message(ticket: Ticket, when: datetime) -> None:
    """`COUNT_MESSAGE` on an ORM ticket: one more message, updated no earlier than `when`."""
    ticket.message_count += 1
    ticket.updated_at = max(ticket.updated_at, when)
