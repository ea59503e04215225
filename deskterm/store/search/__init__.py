"""Finding tickets by a query, behind one small interface.

The listing reads (`queries.tickets`) need two things from a search: the ids of
one keyset page, in order, and an exact count. `TicketSearch` is that seam;
`sqlite.SqliteSearch` answers it with FTS5 and a plan chosen per query from cheap
capped counts (see its docstring); `postgres.PostgresSearch` with tsvector and GIN
indexes on a server's PostgreSQL store. Both find the same tickets for a query.
"""

from __future__ import annotations

import sqlite3
from typing import Protocol

from deskterm.query.syntax import TicketQuery
from deskterm.store.search.filters import QueryContext
from deskterm.store.search.order import Cursor, Sort


class TicketSearch(Protocol):
    """Tickets matching a query: one keyset page of ids at a time, and how many in all."""

    def page_ids(
        self, query: TicketQuery, ctx: QueryContext, sort: Sort, after: Cursor | None, limit: int
    ) -> list[int]:
        """Up to `limit` ids in `sort` order, starting after `after` (None: the start)."""
        ...

    def count(self, query: TicketQuery, ctx: QueryContext) -> int:
        """How many tickets `page_ids` walks through, exactly."""
        ...


def search_for(conn: sqlite3.Connection) -> TicketSearch:
    """The search for a store's read connection: SQLite's, or PostgreSQL's."""
    if isinstance(conn, sqlite3.Connection):
        from deskterm.store.search.sqlite import SqliteSearch

        return SqliteSearch(conn)
    from deskterm.store.search.postgres import PostgresSearch

    return PostgresSearch(conn)
