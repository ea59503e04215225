"""The SQLite search: one plan per query, chosen from cheap capped counts.

Every query walks tickets in its sort order by keyset; what changes is what the
walk starts from and what it checks on each row:

- Filters that name nothing known (a tag, a sender, a customer no ticket has)
  answer at once: no rows.
- Status: one index range per status, each already in order, merged (SQLite
  cannot walk (status, updated_at) in updated order across an IN list by itself).
- A selective filter (a tag or customers with few tickets, see `search.filters`)
  or a rare word (`words`) is a small set the query starts from: SQLite looks the
  few tickets up and sorts them.
- Everything else is checked per row while walking the order: unselective filters
  in SQL, common words on batches of the walk's rows (`words.holding`). Most rows
  pass, so a page needs few of them.
"""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Sequence

from deskterm.query.syntax import TicketQuery
from deskterm.store.search.filters import QueryContext, TicketFilters, where_sql
from deskterm.store.search.order import Cursor, Sort
from deskterm.store.search.words import (
    TICKETS_HOLDING,
    Word,
    holding,
    messages_per_ticket,
    words_of,
)

# A word's tickets: whole-ticket rows (see `query.fts.CREATE_TICKET_WORDS`).
TICKET_WORDS = "ticket_words WHERE ticket_words MATCH ?"
FEW_IN_VIEW = 100_000  # a view's tickets a common word's rows are checked against
FIRST_BATCH = 200  # rows read per step while common words are checked
MAX_BATCH = 5_000


class SqliteSearch:
    """`TicketSearch` over the store's read connection."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def page_ids(
        self, query: TicketQuery, ctx: QueryContext, sort: Sort, after: Cursor | None, limit: int
    ) -> list[int]:
        filters = TicketFilters(self._conn, query, ctx)
        if filters.matches_nothing:
            return []
        conds, params = _conditions(query, filters)
        words = words_of(self._conn, query)
        common: list[Word] = []
        for word in words:
            if word.rare:
                conds.append(TICKETS_HOLDING)
                params.extend((word.expr, word.expr))
            else:
                common.append(word)
        if not common:
            return [i for i, _ in self._walk(query.status, conds, params, sort, after, limit)]
        found: list[int] = []
        walked = 0
        # Enough rows that one batch likely fills the page, from each word's share.
        per_ticket = messages_per_ticket(self._conn)
        share = math.prod(word.share(per_ticket) for word in common)
        batch = min(MAX_BATCH, max(FIRST_BATCH, 4 * limit, int(2 * limit / max(share, 1e-4))))
        while True:
            rows = self._walk(query.status, conds, params, sort, after, batch)
            keep = [i for i, _ in rows]
            for word in common:
                held = holding(self._conn, word, keep)
                keep = [i for i in keep if i in held]
            found.extend(keep)
            walked += len(rows)
            if len(found) >= limit or len(rows) < batch:
                return found[:limit]
            after = Cursor(rows[-1][1], rows[-1][0])
            batch = _next_batch(batch, walked, len(found), limit)

    def _walk(
        self,
        status: Sequence[str],
        conds: list[str],
        params: list[object],
        sort: Sort,
        after: Cursor | None,
        limit: int,
    ) -> list[tuple[int, str]]:
        """(id, sort key) of up to `limit` tickets meeting `conds`, in `sort` order."""
        conds, params = list(conds), list(params)
        if after is not None:
            conds.append(sort.after)
            params.extend((after.key, after.id))
        pick = f"SELECT t.id, {sort.column} AS k FROM ticket t"
        if len(status) > 1 and sort.column == "t.updated_at":
            branch = f"SELECT * FROM ({pick}{where_sql([*conds, 't.status = ?'])}{sort.order}"
            branch += " LIMIT ?)"
            way = "DESC" if sort.descending else "ASC"
            sql = (
                f"SELECT id, k FROM ({' UNION ALL '.join([branch] * len(status))})"
                f" ORDER BY k {way}, id {way} LIMIT ?"
            )
            args: list[object] = []
            for one in status:
                args.extend((*params, one, limit))
            return self._conn.execute(sql, (*args, limit)).fetchall()
        if status:
            conds.insert(0, f"t.status IN ({','.join('?' * len(status))})")
            params[:0] = status
        sql = pick + where_sql(conds) + sort.order + " LIMIT ?"
        return self._conn.execute(sql, (*params, limit)).fetchall()

    def count(self, query: TicketQuery, ctx: QueryContext) -> int:
        filters = TicketFilters(self._conn, query, ctx)
        if filters.matches_nothing:
            return 0
        conds, params = _conditions(query, filters)
        by_status = bool(query.status) and not conds  # a view's status, nothing else
        if query.status:
            conds.insert(0, f"t.status IN ({','.join('?' * len(query.status))})")
            params[:0] = query.status
        words = words_of(self._conn, query)
        for word in words:
            if not word.one_token:
                conds.append(TICKETS_HOLDING)
                params.extend((word.expr, word.expr))
        whole = [w for w in words if w.one_token]
        if not whole:
            return _count(self._conn, "SELECT count(*) FROM ticket t" + where_sql(conds), params)
        # These words at once over whole-ticket rows: no message hit mapped to its ticket.
        expr = " AND ".join(f"({w.expr})" for w in whole)
        if not conds:  # FTS5 counts its doclist: 25 ms for `the` in 830,000 of 1M tickets
            return _count(self._conn, f"SELECT count(*) FROM {TICKET_WORDS}", [expr])
        if by_status and not any(w.rare for w in whole) and self._few(query.status):
            # A common word in a view of few tickets: its rows checked in the set of the
            # view's tickets (read off the status index); the other way round made a set of
            # all the word's tickets (`the` in All open at 1M: 300 ms of CPU, this way 105).
            return _count(
                self._conn,
                f"SELECT count(*) FROM {TICKET_WORDS} AND +ticket_words.rowid IN"
                f" (SELECT t.id FROM ticket t{where_sql(conds)})",
                [expr, *params],
            )
        # Otherwise the word's tickets are the set the filters' rows are checked in.
        conds.append(f"t.id IN (SELECT rowid FROM {TICKET_WORDS})")
        return _count(
            self._conn, "SELECT count(*) FROM ticket t" + where_sql(conds), [*params, expr]
        )

    def _few(self, status: Sequence[str]) -> bool:
        """Whether fewer than FEW_IN_VIEW tickets have these statuses (counted no further)."""
        marks = ",".join("?" * len(status))
        sql = f"SELECT count(*) FROM (SELECT 1 FROM ticket WHERE status IN ({marks}) LIMIT ?)"
        return _count(self._conn, sql, [*status, FEW_IN_VIEW]) < FEW_IN_VIEW


def _count(conn: sqlite3.Connection, sql: str, params: Sequence[object]) -> int:
    return int(conn.execute(sql, params).fetchone()[0])


def _next_batch(batch: int, walked: int, found: int, limit: int) -> int:
    """Rows to read next: the rest of the page at the share of rows that held the words
    so far, with a margin (4 times more while none has). Growing 4 times whatever was
    found read 5,000 rows of `환불` for the last 4 of 50 (20 ms at 1M tickets)."""
    if not found:
        return min(4 * batch, MAX_BATCH)
    wanted = 1.5 * (limit - found) * walked / found
    return min(MAX_BATCH, max(FIRST_BATCH, int(wanted)))


def _conditions(query: TicketQuery, filters: TicketFilters) -> tuple[list[str], list[object]]:
    conds, params = list(filters.sql), list(filters.params)
    if query.sort == "due":
        conds.append("t.due_at IS NOT NULL")
    return conds, params
