"""Keeping a ticket's tone (urgent, upset) in step with its latest customer message.

Computed when a customer message is written, in the writer's transaction, so
rules and queries see it at once. A store from before the tone columns holds
NULLs there; `rebuild_tone` reads those tickets' messages in chunks with
progress, outside any migration (a backfill in a migration held a 1M-ticket
store closed for 21 minutes).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from sqlalchemy import text
from sqlmodel import Session

from deskterm.assist.tone import Cues, Tone, read_tone, tone_of
from deskterm.store.schema.db import Store, describe, own_connection
from deskterm.store.schema.models import Ticket

SET_TONE = "UPDATE ticket SET urgent_words = ?, upset_words = ? WHERE id = ?"
# Each ticket's latest customer message, and whether it opened the ticket (then the
# subject counts too: "URGENT: site down" is often all it says).
_TONE_SOURCE = """
    SELECT t.id, m.body_text,
      CASE WHEN m.id = (SELECT min(f.id) FROM message f WHERE f.ticket_id = t.id)
        THEN t.subject ELSE '' END
    FROM ticket t LEFT JOIN message m ON m.id = (
      SELECT max(c.id) FROM message c WHERE c.ticket_id = t.id AND c.kind = 'customer')
"""
_UNREAD = _TONE_SOURCE + " WHERE t.id > ? AND t.urgent_words IS NULL ORDER BY t.id LIMIT ?"
_LATEST = text(_TONE_SOURCE + " WHERE t.id = :id")
REBUILD_CHUNK = 2000


def note_tone(ticket: Ticket, body: str, subject: str = "") -> None:
    """A customer message was added to `ticket` (an ORM row in the writer's session)."""
    tone = read_tone(body, subject)
    ticket.urgent_words, ticket.upset_words = tone.urgent_text, tone.upset_text


def set_tones(db: sqlite3.Connection, tones: Iterable[tuple[int, Tone]]) -> None:
    """`note_tone` for the plain-statement writers: (ticket id, tone) pairs, one statement."""
    db.executemany(SET_TONE, [(tone.urgent_text, tone.upset_text, tid) for tid, tone in tones])


class LatestTone:
    """A batch's customer messages, their tone written once per ticket when the batch ends.

    Only a ticket's latest customer message sets its tone, so a ticket that gets three
    mails in one batch is written once, and all of them in one statement. The cue
    words were read in the parse step (`Prepared`): here they are only put together.
    """

    def __init__(self) -> None:
        self._latest: dict[int, tuple[Cues, Cues | None]] = {}

    def add(self, ticket_id: int, body: Cues, subject: Cues | None = None) -> None:
        """A customer message on `ticket_id`; `subject` only for the one opening it."""
        self._latest[ticket_id] = (body, subject)

    def write(self, db: sqlite3.Connection) -> None:
        set_tones(db, ((tid, tone_of(*cues)) for tid, cues in self._latest.items()))
        self._latest.clear()


def refresh_tone(s: Session, ticket: Ticket) -> None:
    """Read the tone again after messages moved between tickets (merge, split)."""
    s.flush()
    row = s.execute(_LATEST, {"id": ticket.id}).first()
    body, subject = (row[1] or "", row[2] or "") if row is not None else ("", "")
    note_tone(ticket, body, subject)


@dataclass(frozen=True)
class RebuildResult:
    tickets: int
    urgent: int
    upset: int


def count_unread_tone(store: Store) -> int:
    """Tickets whose tone has not been read yet (a store older than the tone columns)."""
    return int(store.read().execute(
        "SELECT count(*) FROM ticket WHERE urgent_words IS NULL"
    ).fetchone()[0])  # fmt: skip


def rebuild_tone(store: Store, progress: Callable[[int, int], None] | None = None) -> RebuildResult:
    """Read the tone of every ticket not read yet, a chunk per transaction.

    Chunks commit as they go: stopping half-way keeps what was done and a re-run
    picks up the rest. Writers queue behind each chunk, not behind the whole run.
    """
    total = count_unread_tone(store)
    done = urgent = upset = 0
    after = 0
    db = own_connection(store)
    try:
        while True:
            db.execute("BEGIN IMMEDIATE")
            rows = db.execute(_UNREAD, (after, REBUILD_CHUNK)).fetchall()
            updates = []
            for ticket_id, body, subject in rows:
                tone = read_tone(body or "", subject or "")
                urgent += bool(tone.urgent)
                upset += bool(tone.upset)
                updates.append((tone.urgent_text, tone.upset_text, ticket_id))
            db.executemany(SET_TONE, updates)
            db.execute("COMMIT")
            if not rows:
                break
            after = rows[-1][0]
            done += len(rows)
            if progress is not None:
                progress(done, max(total, done))
    except sqlite3.Error as exc:
        raise describe(store.path, exc) from exc
    finally:
        db.close()
    return RebuildResult(done, urgent, upset)
