"""Writing the search index: the one place ticket subjects and message bodies go in and out.

`ticket_fts` (subjects, rowid = ticket id) and `message_fts` (bodies, rowid = message
id) are contentless (see `query.fts`): they keep no text, so taking a row out must
repeat the exact values that went in; `article_fts` (knowledge-base articles) keeps
its text and goes by rowid. Every writer keeps them in step through
`SearchIndex` on its own transaction's connection: the service's areas (`records`,
`tickets`, `outbox`, `kb`), the ingest batch, re-parsing a stored mail, the demo's bulk
load and a replica applying the server's tickets and articles. A PostgreSQL store
takes the same statements (`schema.pg` turns them into its tsvector rows).

`ticket_words` (SQLite only; see `fts.CREATE_TICKET_WORDS`) holds each ticket's whole
text as one row: whatever changes a ticket's subject or messages rewrites its row from
the store, with the text this writer was given for the messages it was told of.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from itertools import groupby
from operator import itemgetter

from deskterm.query import fts

Row = tuple[int, str, str]  # rowid, Latin text, CJK bigrams: `fts.index_columns`
_TABLE = {
    fts.INSERT_TICKET: "ticket_fts",
    fts.DELETE_TICKET: "ticket_fts",
    fts.INSERT_MESSAGE: "message_fts",
    fts.DELETE_MESSAGE: "message_fts",
}


class SearchIndex:
    """The search rows of one transaction, written on its connection `db`.

    `deferred`: hold the rows and write them at `flush`, table by table (each in
    order), one statement per run of the same kind; for a batch of many rows (a batch
    of mail, where new tickets' subjects and first bodies alternate). FTS5 writes a
    table's pending rows out as a new segment whenever a later statement in the same
    transaction needs a savepoint of its own (an insert that fires a trigger, as a new
    customer's does), so rows written one at a time between such statements left
    hundreds of tiny segments for FTS5 to merge.

    `whole_tickets=False`: leave `ticket_words` alone (a bulk load writes it once at
    its end, `build_ticket_words`). PostgreSQL counts from its GIN index: no such table.
    """

    def __init__(
        self, db: sqlite3.Connection, *, deferred: bool = False, whole_tickets: bool = True
    ) -> None:
        self._db = db
        self._pending: list[tuple[str, Row]] | None = [] if deferred else None
        self._whole = whole_tickets and isinstance(db, sqlite3.Connection)
        self._stale: set[int] = set()  # tickets whose `ticket_words` row is rewritten
        self._gone: set[int] = set()  # tickets whose row goes
        self._subjects: dict[int, str] = {}
        self._bodies: dict[int, str | None] = {}  # message id: text as told, None: dropped
        # The columns of the texts told, by text: a ticket's row needs them again (a new
        # ticket's subject and first body), and CJK bigrams are the dearest part.
        self._columns: dict[str, tuple[str, str]] = {}

    def add_ticket(self, ticket_id: int, subject: str) -> None:
        self.add_tickets([(ticket_id, subject)])

    def add_tickets(self, rows: Iterable[tuple[int, str]]) -> None:
        """(ticket id, subject) pairs."""
        rows = list(rows)
        columns = [fts.index_columns(s) for _, s in rows]
        self._write(
            fts.INSERT_TICKET, [(tid, *c) for (tid, _), c in zip(rows, columns, strict=True)]
        )
        if self._whole:
            for (tid, subject), c in zip(rows, columns, strict=True):
                self._subjects[tid] = subject
                self._columns[subject] = c
                self._gone.discard(tid)
            self._stale.update(tid for tid, _ in rows)
            self._settle()

    def change_ticket(self, ticket_id: int, old: str, new: str) -> None:
        """The subject `old` became `new` (the old row goes by its exact old values)."""
        self.drop_ticket(ticket_id, old)
        self.add_ticket(ticket_id, new)

    def drop_ticket(self, ticket_id: int, subject: str) -> None:
        self._write(fts.DELETE_TICKET, [(ticket_id, *fts.index_columns(subject))])
        if self._whole:
            self._gone.add(ticket_id)
            self._stale.discard(ticket_id)
            self._settle()

    def add_message(
        self,
        message_id: int,
        body: str,
        columns: tuple[str, str] | None = None,
        *,
        ticket_id: int | None = None,
    ) -> None:
        """`columns`: `fts.index_columns(body)` when the caller has it (the parse step);
        `ticket_id`: the message's ticket when the caller knows it (else it is looked up)."""
        latin, cjk = fts.index_columns(body) if columns is None else columns
        self._write(fts.INSERT_MESSAGE, [(message_id, latin, cjk)])
        if self._whole:
            self._columns[body] = (latin, cjk)
        self._told([(message_id, body)], ticket_id)

    def add_messages(self, rows: Iterable[tuple[int, str]]) -> None:
        """(message id, body) pairs."""
        rows = list(rows)
        self._write(fts.INSERT_MESSAGE, [(mid, *fts.index_columns(b)) for mid, b in rows])
        self._told(rows)

    def change_message(self, message_id: int, old: str, new: str) -> None:
        if old != new:
            self.drop_messages([(message_id, old)])
            self.add_message(message_id, new)

    def drop_messages(self, rows: Iterable[tuple[int, str]]) -> None:
        """(message id, body as indexed) pairs."""
        rows = list(rows)
        self._write(fts.DELETE_MESSAGE, [(mid, *fts.index_columns(b)) for mid, b in rows])
        self._told([(mid, None) for mid, _ in rows])

    def retext(self, ticket_ids: Iterable[int]) -> None:
        """Rewrite these tickets' `ticket_words` rows: their messages moved (merge, split)."""
        if self._whole:
            self._stale.update(ticket_ids)
            self._settle()

    def set_article(
        self, article_id: int, title: str, body: str, section: str, tags: Iterable[str]
    ) -> None:
        """(Re)write an article's row, at once even when deferred (one row per save); the
        title has columns of its own, weighted in the ranking (`queries.kb`)."""
        title_words, title_cjk = fts.index_columns(title)
        text, cjk = fts.index_columns("\n".join((body, section, " ".join(tags))))
        self.drop_article(article_id)
        self._db.execute(fts.INSERT_ARTICLE, (article_id, title_words, title_cjk, text, cjk))

    def drop_article(self, article_id: int) -> None:
        self._db.execute(fts.DELETE_ARTICLE, (article_id,))

    def optimize(self) -> None:
        """Merge each table's segments into one: a bulk load leaves hundreds (see `fts`)."""
        for sql in fts.OPTIMIZE:
            self._db.execute(sql)

    def build_ticket_words(self) -> None:
        """Every ticket's `ticket_words` row from the store, in one pass (a bulk load's or
        the migration's; reads messages by ix_message_ticket, so after its indexes)."""
        self._db.execute("DELETE FROM ticket_words")
        self._db.executemany(fts.INSERT_TICKET_WORDS, _whole_texts(self._db))
        self._db.execute(fts.OPTIMIZE_TICKET_WORDS)

    def flush(self) -> None:
        """Write the held rows (deferred); nothing to do otherwise."""
        if self._pending:
            by_table = sorted(self._pending, key=lambda held: _TABLE[held[0]])  # stable
            for sql, run in groupby(by_table, key=itemgetter(0)):
                self._db.executemany(sql, [row for _, row in run])
            self._pending.clear()
        self._settle(flushing=True)

    def _told(self, rows: Sequence[tuple[int, str | None]], ticket_id: int | None = None) -> None:
        """Messages added (their text) or dropped (None): their tickets' rows go stale.

        `ticket_id`: the one ticket of `rows`, known to the caller; a batch of mail
        looked it up again for each of its messages.
        """
        if not self._whole or not rows:
            return
        self._bodies.update(rows)
        if ticket_id is not None:
            self._stale.add(ticket_id)
        else:
            self._stale.update(
                tid
                for (tid,) in self._db.execute(
                    "SELECT DISTINCT ticket_id FROM message"
                    " WHERE id IN (SELECT value FROM json_each(?))",
                    (json.dumps([mid for mid, _ in rows]),),
                )
            )
        self._settle()

    def _settle(self, *, flushing: bool = False) -> None:
        """Rewrite the stale tickets' rows now, or at `flush` when deferred."""
        if not self._whole or (self._pending is not None and not flushing):
            return
        gone, self._gone = self._gone, set()
        stale, self._stale = self._stale - gone, set()
        known, self._columns = self._columns, {}
        self._db.executemany(fts.DELETE_TICKET_WORDS, [(t,) for t in sorted(gone | stale)])
        if not stale:
            return
        ids = json.dumps(sorted(stale))
        subjects: dict[int, str] = dict(
            self._db.execute(
                "SELECT id, subject FROM ticket WHERE id IN (SELECT value FROM json_each(?))",
                (ids,),
            ).fetchall()
        )
        parts: dict[int, list[str]] = {t: [self._subjects.get(t, s)] for t, s in subjects.items()}
        for tid, mid, body in self._db.execute(
            "SELECT ticket_id, id, body_text FROM message"
            " WHERE ticket_id IN (SELECT value FROM json_each(?)) ORDER BY ticket_id, id",
            (ids,),
        ):
            text = self._bodies.get(mid, body or "")
            if text is not None and tid in parts:
                parts[tid].append(text)
        self._db.executemany(
            fts.INSERT_TICKET_WORDS,
            [(tid, *fts.ticket_columns(texts, known)) for tid, texts in sorted(parts.items())],
        )
        # Told text is in the store by now; a dropped message's row may still be there.
        self._subjects.clear()
        self._bodies = {mid: text for mid, text in self._bodies.items() if text is None}

    def _write(self, sql: str, rows: list[Row]) -> None:
        if self._pending is not None:
            self._pending.extend((sql, row) for row in rows)
        elif len(rows) == 1:
            self._db.execute(sql, rows[0])
        else:
            self._db.executemany(sql, rows)


def _whole_texts(db: sqlite3.Connection) -> Iterator[Row]:
    """(ticket id, latin, cjk) of every ticket, subject and messages in id order."""
    messages = db.execute(
        "SELECT ticket_id, body_text FROM message INDEXED BY ix_message_ticket"
        " ORDER BY ticket_id, id"
    )
    pending = next(messages, None)
    for tid, subject in db.execute("SELECT id, subject FROM ticket ORDER BY id"):
        texts = [subject]
        while pending is not None and pending[0] <= tid:
            if pending[0] == tid:
                texts.append(pending[1] or "")
            pending = next(messages, None)
        yield (tid, *fts.ticket_columns(texts))
