"""The PostgreSQL search: one keyset walk with every condition in SQL.

PostgreSQL plans the walk itself (its planner weighs the status index against the
GIN index of a word from its statistics), so the SQLite module's plan choosing
has no twin here. A free word is a set of tickets from `ticket_fts.doc` and
`message_fts.doc` (see `query.fts_pg` for what the tsvector holds and why).
"""

from __future__ import annotations

import sqlite3

from deskterm.query import fts_pg
from deskterm.query.syntax import TicketQuery
from deskterm.store.search.filters import QueryContext, TicketFilters, where_sql
from deskterm.store.search.order import Cursor, Sort

# The tickets holding a word (its tsquery text twice: subjects, then message bodies).
TICKETS_HOLDING = (
    f"t.id IN (SELECT rowid FROM ticket_fts WHERE doc @@ to_tsquery('{fts_pg.CONFIG}', ?)"
    " UNION ALL SELECT m.ticket_id FROM message m WHERE m.id IN"
    f" (SELECT rowid FROM message_fts WHERE doc @@ to_tsquery('{fts_pg.CONFIG}', ?)))"
)


class PostgresSearch:
    """`TicketSearch` over a PostgreSQL store's read connection (a `PgConnection`)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def page_ids(
        self, query: TicketQuery, ctx: QueryContext, sort: Sort, after: Cursor | None, limit: int
    ) -> list[int]:
        found = self._conditions(query, ctx)
        if found is None:
            return []
        conds, params = found
        if after is not None:
            conds.append(sort.after)
            params.extend((after.key, after.id))
        sql = "SELECT t.id FROM ticket t" + where_sql(conds) + sort.order + " LIMIT ?"
        return [int(r[0]) for r in self._conn.execute(sql, (*params, limit))]

    def count(self, query: TicketQuery, ctx: QueryContext) -> int:
        found = self._conditions(query, ctx)
        if found is None:
            return 0
        conds, params = found
        sql = "SELECT count(*) FROM ticket t" + where_sql(conds)
        return int(self._conn.execute(sql, params).fetchone()[0])

    def _conditions(
        self, query: TicketQuery, ctx: QueryContext
    ) -> tuple[list[str], list[object]] | None:
        """The query's conditions on `ticket t`, or None when a name in it matches nothing."""
        filters = TicketFilters(self._conn, query, ctx)
        if filters.matches_nothing:
            return None
        conds, params = list(filters.sql), list(filters.params)
        if query.status:
            conds.insert(0, f"t.status IN ({','.join('?' * len(query.status))})")
            params[:0] = query.status
        if query.sort == "due":
            conds.append("t.due_at IS NOT NULL")
        for text in dict.fromkeys(query.words):
            expr = fts_pg.tsquery(text)
            if expr is not None:
                conds.append(TICKETS_HOLDING)
                params.extend((expr, expr))
        return conds, params
