"""Read-only views of the outbox: listings, one entry, delivery states for a ticket."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from deskterm.errors import NotFoundError, UsageError
from deskterm.store.schema.db import Store
from deskterm.store.schema.timefmt import from_db, iso

STATES = ("waiting", "sending", "sent", "retrying", "failed", "cancelled")
_COLUMNS = (
    "o.id, t.number, o.message_id, o.kind, o.mailbox, o.rfc_message_id, o.recipients, o.state,"
    " o.not_before, o.next_attempt_at, o.attempts, o.last_error, o.created_at, o.sent_at,"
    " m.subject"
)
# The message's ticket, not outbox.ticket_id: a merge moves messages, not outbox rows.
_FROM = " FROM outbox o JOIN message m ON m.id = o.message_id JOIN ticket t ON t.id = m.ticket_id"


@dataclass(frozen=True, slots=True)
class OutboxRecord:
    """One outgoing mail and where it stands."""

    id: int
    ticket_number: int
    message_id: int  # message.id of the reply
    kind: str  # reply | auto_ack | solved_notice
    mailbox: str
    rfc_message_id: str
    recipients: tuple[str, ...]
    state: str
    not_before: datetime  # end of the undo window
    next_attempt_at: datetime
    attempts: int
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None
    subject: str

    @property
    def until(self) -> datetime | None:
        """Undo deadline while waiting, next attempt while retrying, else None."""
        if self.state == "waiting":
            return self.not_before
        if self.state == "retrying":
            return self.next_attempt_at
        return None

    def describe(self) -> str:
        """One line: `waiting (undo until 09:00:10)`, `failed (554 ...)` ..."""
        when = self.until
        stamp = when.strftime("%Y-%m-%d %H:%M:%S") if when else ""
        if self.state == "waiting":
            return f"waiting (undo until {stamp})"
        if self.state == "retrying":
            return f"retrying (next attempt {stamp}): {self.last_error or ''}".rstrip(": ")
        if self.state == "failed":
            return f"failed ({self.last_error or 'unknown reason'})"
        if self.state == "sent" and self.last_error:
            return f"sent ({self.last_error})"
        return self.state

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "ticket": self.ticket_number,
            "message_id": self.message_id,
            "kind": self.kind,
            "mailbox": self.mailbox,
            "rfc_message_id": self.rfc_message_id,
            "recipients": list(self.recipients),
            "subject": self.subject,
            "state": self.state,
            "until": iso(self.until),
            "not_before": iso(self.not_before),
            "next_attempt_at": iso(self.next_attempt_at),
            "attempts": self.attempts,
            "last_error": self.last_error,
            "created_at": iso(self.created_at),
            "sent_at": iso(self.sent_at),
        }


def _record(r: Sequence[Any]) -> OutboxRecord:
    return OutboxRecord(
        id=r[0],
        ticket_number=r[1],
        message_id=r[2],
        kind=r[3],
        mailbox=r[4],
        rfc_message_id=r[5],
        recipients=tuple(json.loads(r[6])),
        state=r[7],
        not_before=from_db(r[8]),
        next_attempt_at=from_db(r[9]),
        attempts=r[10],
        last_error=r[11],
        created_at=from_db(r[12]),
        sent_at=from_db(r[13]),
        subject=r[14],
    )


def list_outbox(
    store: Store, *, states: Sequence[str] = (), limit: int = 500
) -> list[OutboxRecord]:
    """Newest first; `states` filters (any of them)."""
    bad = [s for s in states if s not in STATES]
    if bad:
        raise UsageError(f"unknown outbox state {bad[0]!r} (choose from {', '.join(STATES)})")
    where = f" WHERE o.state IN ({', '.join('?' * len(states))})" if states else ""
    rows = store.read().execute(
        f"SELECT {_COLUMNS}{_FROM}{where} ORDER BY o.id DESC LIMIT ?", (*states, limit)
    )
    return [_record(r) for r in rows]


def get_outbox(store: Store, outbox_id: int) -> OutboxRecord:
    row = store.read().execute(f"SELECT {_COLUMNS}{_FROM} WHERE o.id = ?", (outbox_id,)).fetchone()
    if row is None:
        raise NotFoundError(f"no outbox entry {outbox_id} (see `deskterm outbox ls`)")
    return _record(row)


def get_outbox_raw(store: Store, outbox_id: int) -> bytes:
    """The mail exactly as it is (or was) sent."""
    row = store.read().execute("SELECT raw FROM outbox WHERE id = ?", (outbox_id,)).fetchone()
    if row is None:
        raise NotFoundError(f"no outbox entry {outbox_id} (see `deskterm outbox ls`)")
    return bytes(row[0])


def list_delivery_states(store: Store, number: int) -> dict[int, OutboxRecord]:
    """Outbox state of each mailed message of ticket `number`, keyed by message.id.

    For the ticket view: `waiting` (undo until `.until`; ctrl+z -> Service.cancel),
    `sending`, `sent`, `retrying` (next attempt `.until`, `.last_error`), `failed`
    (`.last_error` holds the server's reply; Service.retry sends again).
    """
    rows = store.read().execute(
        f"SELECT {_COLUMNS}{_FROM} WHERE t.number = ? ORDER BY o.id", (number,)
    )
    return {record.message_id: record for record in map(_record, rows)}


def was_not_mailed(store: Store, number: int, message_id: int) -> bool:
    """True when reply `message_id` of ticket `number` was saved but no mailbox could send it."""
    row = (
        store.read()
        .execute(
            "SELECT 1 FROM event e JOIN ticket t ON t.id = e.ticket_id"
            " WHERE t.number = ? AND e.kind = 'not_mailed' AND e.new = ?",
            (number, str(message_id)),
        )
        .fetchone()
    )
    return row is not None


def count_outbox(store: Store) -> dict[str, int]:
    """How many entries are in each state (states with none are 0)."""
    counts = dict.fromkeys(STATES, 0)
    for state, n in store.read().execute("SELECT state, count(*) FROM outbox GROUP BY state"):
        counts[state] = n
    return counts


def next_due(store: Store) -> datetime | None:
    """When the earliest waiting or retrying entry is due."""
    row = (
        store.read()
        .execute("SELECT min(next_attempt_at) FROM outbox WHERE state IN ('waiting', 'retrying')")
        .fetchone()
    )
    return from_db(row[0]) if row and row[0] else None
