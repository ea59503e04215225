"""What the live event stream reads: tickets changed after a point of the sync journal.

The journal stamps every ticket a change touched with the server's change counter
(`ticket.sync_version`), so "what changed after (version, ticket id)" is one keyset
read on the index the pull uses. A ticket changed twice shows once, at its latest
version: the stream tells what is new, the pull brings the data. Being read from the
store, the stream's positions survive a server restart.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from deskterm.errors import UsageError
from deskterm.store.schema.db import Store


@dataclass(frozen=True, slots=True, order=True)
class Position:
    """A point in the stream: after the ticket with id `ticket_id` at `version`."""

    version: int
    ticket_id: int = 2**62  # a bare version: after everything stamped with it

    def encode(self) -> str:
        return f"{self.version}:{self.ticket_id}"

    @classmethod
    def decode(cls, text: str) -> Position:
        """`V:ID` as sent in the `id:` field, or a bare `V` (a replica's sync cursor)."""
        version, sep, ticket = text.strip().partition(":")
        try:
            return cls(int(version), int(ticket)) if sep else cls(int(version))
        except ValueError:
            raise UsageError(
                f"bad Last-Event-ID {text[:40]!r}: send back an event's id, or a sync cursor"
            ) from None


@dataclass(frozen=True, slots=True)
class Change:
    """One ticket as it is after a change: enough to decide whether to fetch it."""

    position: Position
    number: int
    uid: str | None
    subject: str
    status: str
    priority: str
    assignee: str | None  # the agent's address
    group: str | None
    message_count: int
    updated_at: str
    merged_into: int | None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.position.encode(),
            "version": self.position.version,
            "number": self.number,
            "uid": self.uid,
            "subject": self.subject,
            "status": self.status,
            "priority": self.priority,
            "assignee": self.assignee,
            "group": self.group,
            "message_count": self.message_count,
            "updated_at": self.updated_at,
            "merged_into": self.merged_into,
        }


_CHANGES = (
    "SELECT t.sync_version, t.id, t.number, t.uid, t.subject, t.status, t.priority,"
    " a.email, g.name, t.message_count, t.updated_at, m.number FROM ticket t"
    " LEFT JOIN agent a ON a.id = t.assignee_id"
    " LEFT JOIN agent_group g ON g.id = t.group_id"
    " LEFT JOIN ticket m ON m.id = t.merged_into_id"
    " WHERE (t.sync_version, t.id) > (?, ?) ORDER BY t.sync_version, t.id LIMIT ?"
)


def latest_version(store: Store) -> int:
    """The journal's counter: the version of the newest change (0 before any)."""
    row = store.read().execute("SELECT value FROM counter WHERE name = 'sync'").fetchone()
    return 0 if row is None else int(row[0])


def changes_after(store: Store, after: Position, limit: int) -> list[Change]:
    """Up to `limit` tickets stamped after `after`, oldest change first."""
    rows = store.read().execute(_CHANGES, (after.version, after.ticket_id, limit)).fetchall()
    return [
        Change(Position(r[0], r[1]), r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10], r[11])
        for r in rows
    ]
