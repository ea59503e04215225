"""Read-only queries over the store: ticket pages and details. No writes here.

Plain `sqlite3` keeps a page within a small factor of hand-written SQL and keeps
CLI start-up free of SQLAlchemy. Every list pages by a keyset (sort key, id), never OFFSET.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from deskterm.assist.model import tone_class
from deskterm.errors import NotFoundError
from deskterm.query.syntax import TicketQuery
from deskterm.store.queries.catalog import get_customer
from deskterm.store.queries.records import (
    AttachmentRecord,
    EventRecord,
    MessageRecord,
    TicketDetail,
    TicketPage,
    TicketRow,
)
from deskterm.store.schema.db import Store
from deskterm.store.schema.timefmt import from_db
from deskterm.store.search import search_for
from deskterm.store.search.filters import QueryContext
from deskterm.store.search.order import SORTS, Cursor

PAGE_SIZE = 50

_ROW_COLUMNS = """
    t.id, t.number, t.subject, t.status, t.priority, t.channel, c.name, c.email,
    a.name, g.name, t.created_at, t.updated_at, t.first_response_at, t.solved_at,
    t.reopen_count, t.message_count,
    (SELECT group_concat(tg.name, ',') FROM ticket_tag tt JOIN tag tg ON tg.id = tt.tag_id
      WHERE tt.ticket_id = t.id),
    t.sla_policy, t.due_at, t.urgent_words, t.upset_words
"""
_ROW_JOINS = """
    JOIN customer c ON c.id = t.customer_id
    LEFT JOIN agent a ON a.id = t.assignee_id
    LEFT JOIN agent_group g ON g.id = t.group_id
"""
_ROW_FROM = "FROM ticket t" + _ROW_JOINS
_ORDER = " ORDER BY t.updated_at DESC, t.id DESC"


def _row(r: Sequence[Any], key_index: int = 11) -> TicketRow:
    return TicketRow(
        id=r[0],
        number=r[1],
        subject=r[2],
        status=r[3],
        priority=r[4],
        channel=r[5],
        customer_name=r[6],
        customer_email=r[7],
        assignee=r[8],
        group=r[9],
        created_at=from_db(r[10]),
        updated_at=from_db(r[11]),
        first_response_at=from_db(r[12]),
        solved_at=from_db(r[13]),
        reopen_count=r[14],
        message_count=r[15],
        tags=tuple(sorted(str(r[16]).split(","))) if r[16] else (),
        sla_policy=r[17],
        due_at=from_db(r[18]),
        cursor=Cursor(r[key_index], r[0]),
        tone=tone_class(r[19], r[20]),
    )


def list_tickets(
    store: Store,
    query: TicketQuery,
    ctx: QueryContext | None = None,
    *,
    after: Cursor | None = None,
    limit: int = PAGE_SIZE,
    reverse: bool = False,
) -> TicketPage:
    """One page of tickets matching `query`, newest activity first (or `sort:`).

    `reverse` walks the same order from the other end (the bottom of a list).
    Free words are one more condition on the ticket (it holds every word, in its
    subject or any message), so a search pages by keyset exactly like a listing:
    the same set in the same order whatever the page size (see `store.search`).
    """
    ctx = ctx or QueryContext()
    conn = store.read()
    sort = SORTS[query.sort].reversed() if reverse else SORTS[query.sort]
    ids = search_for(conn).page_ids(query, ctx, sort, after, limit + 1)
    rows = []
    if ids:
        rows = conn.execute(
            f"SELECT {_ROW_COLUMNS} {_ROW_FROM} WHERE t.id IN (SELECT value FROM json_each(?))"
            + sort.order,
            (json.dumps(ids),),
        ).fetchall()
    page = tuple(_row(r, sort.row_index) for r in rows[:limit])
    return _read_state(conn, TicketPage(page, page[-1].cursor if len(rows) > limit else None), ctx)


def _read_state(conn: sqlite3.Connection, page: TicketPage, ctx: QueryContext) -> TicketPage:
    """Each row's `unread` for the agent running the query (one lookup for the page)."""
    if ctx.me_agent_id is None or not page.rows:
        return page
    ids = [row.id for row in page.rows]
    marks = dict(
        conn.execute(
            "SELECT ticket_id, read_at FROM ticket_read WHERE agent_id = ?"
            f" AND ticket_id IN ({','.join('?' * len(ids))})",
            (ctx.me_agent_id, *ids),
        ).fetchall()
    )
    rows = tuple(
        replace(row, unread=row.id not in marks or from_db(marks[row.id]) < row.updated_at)
        for row in page.rows
    )
    return TicketPage(rows, page.next)


def count_tickets(store: Store, query: TicketQuery, ctx: QueryContext | None = None) -> int:
    """How many tickets match: exactly the rows `list_tickets` pages through."""
    conn = store.read()
    return search_for(conn).count(query, ctx or QueryContext())


def ticket_id(store: Store, number: int) -> int:
    row = store.read().execute("SELECT id FROM ticket WHERE number = ?", (number,)).fetchone()
    if row is None:
        raise NotFoundError(f"no ticket #{number}")
    return int(row[0])


def get_ticket_row(store: Store, number: int) -> TicketRow:
    row = (
        store.read()
        .execute(f"SELECT {_ROW_COLUMNS} {_ROW_FROM} WHERE t.number = ?", (number,))
        .fetchone()
    )
    if row is None:
        raise NotFoundError(f"no ticket #{number}")
    return _row(row)


def get_ticket(store: Store, number: int) -> TicketDetail:
    """A ticket with its whole thread, attachments and customer."""
    conn = store.read()
    ticket = get_ticket_row(store, number)
    head = conn.execute(
        "SELECT customer_id, merged_into_id FROM ticket WHERE id = ?", (ticket.id,)
    ).fetchone()
    merged_into = None
    if head[1] is not None:
        merged_into = conn.execute("SELECT number FROM ticket WHERE id = ?", (head[1],)).fetchone()[
            0
        ]
    attachments: dict[int, list[AttachmentRecord]] = {}
    for r in conn.execute(
        "SELECT ma.message_id, ma.id, ma.filename, ma.mime_type, at.size, ma.sha256,"
        " ma.content_id, ma.inline FROM message_attachment ma"
        " JOIN attachment at ON at.sha256 = ma.sha256"
        " JOIN message m ON m.id = ma.message_id WHERE m.ticket_id = ? ORDER BY ma.id",
        (ticket.id,),
    ):
        attachments.setdefault(r[0], []).append(
            AttachmentRecord(r[1], r[2], r[3], r[4], r[5], r[6], bool(r[7]))
        )
    not_mailed = {
        int(r[0])
        for r in conn.execute(
            "SELECT new FROM event WHERE ticket_id = ? AND kind = 'not_mailed'", (ticket.id,)
        )
    }
    messages = tuple(
        MessageRecord(
            id=r[0],
            kind=r[1],
            author=r[2] or r[4] or r[5] or "",
            from_name=r[4],
            from_addr=r[5],
            to_addrs=r[6],
            cc_addrs=r[7],
            subject=r[8],
            body_text=r[9],
            body_html=r[10],
            message_id=r[11],
            created_at=from_db(r[12]),
            attachments=tuple(attachments.get(r[0], ())),
            not_mailed=r[0] in not_mailed,
            sent_at=from_db(r[13]),
        )
        # A mail's own Date orders the thread: replies fetched before their parent,
        # and archives imported years later, still read in the order they were written.
        for r in conn.execute(
            "SELECT m.id, m.kind, a.name, NULL, m.from_name, m.from_addr, m.to_addrs, m.cc_addrs,"
            " m.subject, m.body_text, m.body_html, m.message_id, m.created_at, m.sent_at"
            " FROM message m LEFT JOIN agent a ON a.id = m.author_agent_id"
            " WHERE m.ticket_id = ? ORDER BY coalesce(m.sent_at, m.created_at), m.id",
            (ticket.id,),
        )
    )
    return TicketDetail(ticket, get_customer(store, head[0]), messages, merged_into)


def list_events(store: Store, number: int) -> list[EventRecord]:
    tid = ticket_id(store, number)
    return [
        EventRecord(r[0], r[1], r[2], r[3], r[4], from_db(r[5]))
        for r in store.read().execute(
            "SELECT id, kind, actor, old, new, created_at FROM event WHERE ticket_id = ?"
            " ORDER BY id",
            (tid,),
        )
    ]


def get_attachment_data(store: Store, attachment_id: int) -> tuple[str, bytes]:
    row = (
        store.read()
        .execute(
            "SELECT ma.filename, at.data FROM message_attachment ma"
            " JOIN attachment at ON at.sha256 = ma.sha256 WHERE ma.id = ?",
            (attachment_id,),
        )
        .fetchone()
    )
    if row is None:
        raise NotFoundError(f"no attachment {attachment_id}")
    return str(row[0]), bytes(row[1])


def list_customer_tickets(store: Store, customer_id: int, limit: int = 20) -> list[TicketRow]:
    sql = f"SELECT {_ROW_COLUMNS} {_ROW_FROM} WHERE t.customer_id = ?" + _ORDER + " LIMIT ?"
    return [_row(r) for r in store.read().execute(sql, (customer_id, limit))]


def message_ticket_number(store: Store, message_id: int) -> int:
    row = (
        store.read()
        .execute(
            "SELECT t.number FROM message m JOIN ticket t ON t.id = m.ticket_id WHERE m.id = ?",
            (message_id,),
        )
        .fetchone()
    )
    if row is None:
        raise NotFoundError(f"no message {message_id}")
    return int(row[0])
