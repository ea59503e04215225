"""Writing the search index: the one place ticket subjects and message bodies go in and out.

`ticket_fts` (subjects, rowid = ticket id) and `message_fts` (bodies, rowid = message
id) are contentless (see `query.fts`): they keep no text, so taking a row out must
repeat the exact values that went in; `article_fts` (knowledge-base articles) keeps
its text and goes by rowid. Every writer keeps them in step through
`SearchIndex` on its own transaction's connection: the service's areas (`records`,
`tickets`, `outbox`, `kb`), the ingest batch, re-parsing a stored mail, the demo's bulk
load and a replica applying the server's tickets and articles. A PostgreSQL store
takes the same statements (`schema.pg` turns them into its tsvector rows).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from itertools import groupby
from operator import itemgetter

from deskterm.query import fts

Row = tuple[int, str, str]  # rowid, Latin text, CJK bigrams: `fts.index_columns`


class SearchIndex:
    """The search rows of one transaction, written on its connection `db`.

    `deferred`: hold the rows and write them at `flush`, in order, one statement per
    run of the same kind; for a batch of many rows (a batch of mail). FTS5 writes a
    table's pending rows out as a new segment whenever a later statement in the same
    transaction needs a savepoint of its own (an insert that fires a trigger, as a new
    customer's does), so rows written one at a time between such statements left
    hundreds of tiny segments for FTS5 to merge.
    """

    def __init__(self, db: sqlite3.Connection, *, deferred: bool = False) -> None:
        self._db = db
        self._pending: list[tuple[str, Row]] | None = [] if deferred else None

    def add_ticket(self, ticket_id: int, subject: str) -> None:
        self._write(fts.INSERT_TICKET, [(ticket_id, *fts.index_columns(subject))])

    def add_tickets(self, rows: Iterable[tuple[int, str]]) -> None:
        """(ticket id, subject) pairs."""
        self._write(fts.INSERT_TICKET, [(tid, *fts.index_columns(s)) for tid, s in rows])

    def change_ticket(self, ticket_id: int, old: str, new: str) -> None:
        """The subject `old` became `new` (the old row goes by its exact old values)."""
        self.drop_ticket(ticket_id, old)
        self.add_ticket(ticket_id, new)

    def drop_ticket(self, ticket_id: int, subject: str) -> None:
        self._write(fts.DELETE_TICKET, [(ticket_id, *fts.index_columns(subject))])

    def add_message(
        self, message_id: int, body: str, columns: tuple[str, str] | None = None
    ) -> None:
        """`columns`: `fts.index_columns(body)` when the caller has it (the parse step)."""
        latin, cjk = fts.index_columns(body) if columns is None else columns
        self._write(fts.INSERT_MESSAGE, [(message_id, latin, cjk)])

    def add_messages(self, rows: Iterable[tuple[int, str]]) -> None:
        """(message id, body) pairs."""
        self._write(fts.INSERT_MESSAGE, [(mid, *fts.index_columns(b)) for mid, b in rows])

    def change_message(self, message_id: int, old: str, new: str) -> None:
        if old != new:
            self.drop_messages([(message_id, old)])
            self.add_message(message_id, new)

    def drop_messages(self, rows: Iterable[tuple[int, str]]) -> None:
        """(message id, body as indexed) pairs."""
        self._write(fts.DELETE_MESSAGE, [(mid, *fts.index_columns(b)) for mid, b in rows])

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

    def flush(self) -> None:
        """Write the held rows (deferred); nothing to do otherwise."""
        if self._pending:
            for sql, run in groupby(self._pending, key=itemgetter(0)):
                self._db.executemany(sql, [row for _, row in run])
            self._pending.clear()

    def _write(self, sql: str, rows: list[Row]) -> None:
        if self._pending is not None:
            self._pending.extend((sql, row) for row in rows)
        elif len(rows) == 1:
            self._db.execute(sql, rows[0])
        else:
            self._db.executemany(sql, rows)
