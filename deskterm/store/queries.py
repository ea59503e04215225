"""Read-only queries over the store: keyset pages, search, details. No writes here.

Plain `sqlite3` keeps a page within a small factor of hand-written SQL and keeps
CLI start-up free of SQLAlchemy. Every list pages by a keyset (sort key, id), never OFFSET.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from deskterm.errors import NotFoundError, UsageError
from deskterm.store import fts
from deskterm.store.db import Store
from deskterm.store.query_syntax import DateFilter, TicketQuery, resolve_date
from deskterm.store.records import (
    AgentRecord,
    AttachmentRecord,
    CannedRecord,
    Cursor,
    CustomerRecord,
    EventRecord,
    MessageRecord,
    TicketDetail,
    TicketPage,
    TicketRow,
    ViewRecord,
)
from deskterm.store.timefmt import from_db, to_db, utcnow

PAGE_SIZE = 50
SEARCH_LIMIT = 500

_ROW_COLUMNS = """
    t.id, t.number, t.subject, t.status, t.priority, t.channel, c.name, c.email,
    a.name, g.name, t.created_at, t.updated_at, t.first_response_at, t.solved_at,
    t.reopen_count, t.message_count,
    (SELECT group_concat(tg.name, ',') FROM ticket_tag tt JOIN tag tg ON tg.id = tt.tag_id
      WHERE tt.ticket_id = t.id),
    t.sla_policy, t.due_at
"""
_ROW_JOINS = """
    JOIN customer c ON c.id = t.customer_id
    LEFT JOIN agent a ON a.id = t.assignee_id
    LEFT JOIN agent_group g ON g.id = t.group_id
"""
_ROW_FROM = "FROM ticket t" + _ROW_JOINS
_ORDER = " ORDER BY t.updated_at DESC, t.id DESC"


@dataclass(frozen=True)
class _Sort:
    """A keyset order: the column, its direction, and its index in the row."""

    column: str
    descending: bool
    row_index: int

    @property
    def order(self) -> str:
        way = "DESC" if self.descending else "ASC"
        return f" ORDER BY {self.column} {way}, t.id {way}"

    @property
    def after(self) -> str:
        return f"({self.column}, t.id) {'<' if self.descending else '>'} (?, ?)"

    def reversed(self) -> _Sort:
        return _Sort(self.column, not self.descending, self.row_index)


_SORTS = {
    "": _Sort("t.updated_at", True, 11),
    "created": _Sort("t.created_at", True, 10),
    "due": _Sort("t.due_at", False, 18),  # soonest due first; tickets without SLA left out
}


@dataclass(frozen=True)
class QueryContext:
    """What a query needs beyond its text: who "me" is, and what "now" is."""

    me_agent_id: int | None = None
    now: datetime = field(default_factory=utcnow)


def _row(r: Sequence[object], key_index: int = 11) -> TicketRow:
    return TicketRow(
        id=r[0],  # type: ignore[arg-type]
        number=r[1],  # type: ignore[arg-type]
        subject=r[2],  # type: ignore[arg-type]
        status=r[3],  # type: ignore[arg-type]
        priority=r[4],  # type: ignore[arg-type]
        channel=r[5],  # type: ignore[arg-type]
        customer_name=r[6],  # type: ignore[arg-type]
        customer_email=r[7],  # type: ignore[arg-type]
        assignee=r[8],  # type: ignore[arg-type]
        group=r[9],  # type: ignore[arg-type]
        created_at=from_db(r[10]),  # type: ignore[arg-type]
        updated_at=from_db(r[11]),  # type: ignore[arg-type]
        first_response_at=from_db(r[12]),  # type: ignore[arg-type]
        solved_at=from_db(r[13]),  # type: ignore[arg-type]
        reopen_count=r[14],  # type: ignore[arg-type]
        message_count=r[15],  # type: ignore[arg-type]
        tags=tuple(sorted(str(r[16]).split(","))) if r[16] else (),
        sla_policy=r[17],  # type: ignore[arg-type]
        due_at=from_db(r[18]),  # type: ignore[arg-type]
        cursor=Cursor(r[key_index], r[0]),  # type: ignore[arg-type]
    )


class _Filters:
    """SQL conditions for a TicketQuery (all but status and free words)."""

    def __init__(self, conn: sqlite3.Connection, query: TicketQuery, ctx: QueryContext) -> None:
        self.sql: list[str] = []
        self.params: list[object] = []
        self._conn = conn
        if query.priority:
            self._in("t.priority", query.priority)
        if query.channel:
            self._in("t.channel", query.channel)
        if query.assignee:
            self._assignee(query.assignee, ctx)
        for tags in query.tag:
            marks = ",".join("?" * len(tags))
            self.sql.append(
                "t.id IN (SELECT tt.ticket_id FROM ticket_tag tt JOIN tag ON tag.id = tt.tag_id"
                f" WHERE tag.name IN ({marks}))"
            )
            self.params.extend(tags)
        if query.from_:
            marks = ",".join("?" * len(query.from_))
            self.sql.append(f"t.customer_id IN (SELECT id FROM customer WHERE email IN ({marks}))")
            self.params.extend(query.from_)
        for text in query.customer:
            self.sql.append(
                "t.customer_id IN (SELECT cu.id FROM customer cu LEFT JOIN organization o"
                " ON o.id = cu.organization_id WHERE cu.email LIKE ? OR cu.name LIKE ?"
                " OR o.name LIKE ?)"
            )
            like = f"%{text}%"
            self.params.extend((like, like, like))
        if query.group:
            marks = ",".join("?" * len(query.group))
            self.sql.append(
                f"t.group_id IN (SELECT id FROM agent_group WHERE name COLLATE NOCASE IN ({marks}))"
            )
            self.params.extend(query.group)
        for date in query.dates:
            self._date(date, ctx)
        if query.sla:
            self._sla(query.sla, ctx)
        if query.is_:
            self._read_state(query.is_, ctx)

    def _read_state(self, values: Sequence[str], ctx: QueryContext) -> None:
        """`is:unread`: changed since the agent's read mark (or never opened by them)."""
        if ctx.me_agent_id is None:
            raise UsageError("is:unread needs to know who you are: set [agent] email in the config")
        for value in values:
            negate = "NOT " if value == "unread" else ""
            self.sql.append(
                f"{negate}EXISTS (SELECT 1 FROM ticket_read r WHERE r.agent_id = ?"
                " AND r.ticket_id = t.id AND r.read_at >= t.updated_at)"
            )
            self.params.append(ctx.me_agent_id)

    def _sla(self, values: Sequence[str], ctx: QueryContext) -> None:
        if "any" in values:
            return
        now = to_db(ctx.now)
        parts = []
        for value in values:
            if value == "breached":
                parts.append("t.due_at <= ?")
                self.params.append(now)
            elif value == "ok":
                parts.append("t.due_at > ?")
                self.params.append(now)
            else:  # none
                parts.append("t.sla_policy IS NULL")
        self.sql.append("(" + " OR ".join(parts) + ")")

    def _in(self, column: str, values: Sequence[str]) -> None:
        self.sql.append(f"{column} IN ({','.join('?' * len(values))})")
        self.params.extend(values)

    def _assignee(self, values: Sequence[str], ctx: QueryContext) -> None:
        ids: list[int] = []
        want_none = False
        for value in values:
            if value.lower() == "none":
                want_none = True
            elif value.lower() == "me":
                if ctx.me_agent_id is None:
                    raise UsageError(
                        "assignee:me needs to know who you are: set [agent] email in the config"
                    )
                ids.append(ctx.me_agent_id)
            else:
                row = self._conn.execute(
                    "SELECT id FROM agent WHERE lower(email) = lower(?) OR lower(name) = lower(?)",
                    (value, value),
                ).fetchone()
                if row is None:
                    raise UsageError(f"no agent named {value!r} (see `deskterm agent list`)")
                ids.append(row[0])
        parts = []
        if ids:
            parts.append(f"t.assignee_id IN ({','.join('?' * len(ids))})")
            self.params.extend(ids)
        if want_none:
            parts.append("t.assignee_id IS NULL")
        self.sql.append("(" + " OR ".join(parts) + ")")

    def _date(self, date: DateFilter, ctx: QueryContext) -> None:
        column = f"t.{date.field}_at"
        if date.field == "due":  # an offset into the future: due<2h is due within 2 hours
            at = ctx.now + (ctx.now - resolve_date(date.value, ctx.now, ctx.now))
            op = {"<": "<", "<=": "<=", ">": ">", ">=": ">="}[date.op]
            self.sql.append(f"{column} {op} ?")
            self.params.append(to_db(at))
            return
        at = resolve_date(date.value, ctx.now, ctx.now.astimezone())
        is_age = date.value[-1].isalpha()
        day = timedelta(days=1)
        if is_age:  # `<` an age means newer, i.e. a later time
            conds = {"<": (">", at), "<=": (">=", at), ">": ("<", at), ">=": ("<=", at)}
            op, value = conds[date.op]
            self.sql.append(f"{column} {op} ?")
            self.params.append(to_db(value))
            return
        bounds = {
            ">": ((">=", at + day),),
            ">=": ((">=", at),),
            "<": (("<", at),),
            "<=": (("<", at + day),),
            ":": ((">=", at), ("<", at + day)),
        }[date.op]
        for op, value in bounds:
            self.sql.append(f"{column} {op} ?")
            self.params.append(to_db(value))


def _where(parts: list[str]) -> str:
    return (" WHERE " + " AND ".join(parts)) if parts else ""


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

    With free words the result is the newest `SEARCH_LIMIT` matches at most,
    found through the full-text index; otherwise the list pages forever by keyset.
    """
    ctx = ctx or QueryContext()
    conn = store.read()
    sort = _SORTS[query.sort].reversed() if reverse else _SORTS[query.sort]
    filters = _Filters(conn, query, ctx)
    conds, params = list(filters.sql), list(filters.params)
    if query.sort == "due":
        conds.append("t.due_at IS NOT NULL")
    if after is not None:
        conds.append(sort.after)
        params.extend((after.key, after.id))
    if query.words and fts.match_expression(query.words) is not None:
        return _read_state(conn, _search_page(conn, query, sort, conds, params, limit), ctx)
    if len(query.status) > 1 and not query.sort:
        # One index range per status, each already in order, merged: SQLite cannot
        # walk (status, updated_at) in updated order across an IN list by itself.
        branches = []
        branch_params: list[object] = []
        for status in query.status:
            branches.append(
                "SELECT id FROM (SELECT t.id FROM ticket t"
                + _where([*conds, "t.status = ?"])
                + sort.order
                + " LIMIT ?)"
            )
            branch_params.extend((*params, status, limit + 1))
        inner = (
            "SELECT t.id AS pid FROM ticket t WHERE t.id IN ("
            + " UNION ALL ".join(branches)
            + ")"
            + sort.order
            + " LIMIT ?"
        )
        rows = conn.execute(_rows_for(inner, sort), (*branch_params, limit + 1)).fetchall()
    else:
        if query.status:
            conds.insert(0, f"t.status IN ({','.join('?' * len(query.status))})")
            params[:0] = query.status
        sql = f"SELECT {_ROW_COLUMNS} {_ROW_FROM}" + _where(conds) + sort.order + " LIMIT ?"
        rows = conn.execute(sql, (*params, limit + 1)).fetchall()
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
        replace(row, unread=row.id not in marks or from_db(marks[row.id]) < row.updated_at)  # type: ignore[operator]
        for row in page.rows
    )
    return TicketPage(rows, page.next)


def _rows_for(inner: str, sort: _Sort) -> str:
    """Full rows for the ids an inner query picked, joined only after the LIMIT."""
    return (
        f"SELECT {_ROW_COLUMNS} FROM ({inner}) p JOIN ticket t ON t.id = p.pid {_ROW_JOINS}"
        + sort.order
    )


def _search_page(
    conn: sqlite3.Connection,
    query: TicketQuery,
    sort: _Sort,
    conds: list[str],
    params: list[object],
    limit: int,
) -> TicketPage:
    if query.status:
        conds = [f"t.status IN ({','.join('?' * len(query.status))})", *conds]
        params = [*query.status, *params]
    # Start small (most searches want one page of recent hits) and widen when the
    # filters or the keyset cursor leave too few.
    window = 4 * (limit + 1)
    inner = (
        "SELECT t.id AS pid FROM ticket t"
        + _where(["t.id IN (SELECT value FROM json_each(?))", *conds])
        + sort.order
        + " LIMIT ?"
    )
    while True:
        ids, exhausted = _search_candidates(conn, query.words, window)
        rows = conn.execute(
            _rows_for(inner, sort), (json.dumps(ids), *params, min(limit, SEARCH_LIMIT) + 1)
        ).fetchall()
        if len(rows) > limit or exhausted:
            break
        window *= 8
    page = tuple(_row(r, sort.row_index) for r in rows[:limit])
    more = len(rows) > limit and limit < SEARCH_LIMIT
    return TicketPage(page, page[-1].cursor if more else None)


def _search_candidates(
    conn: sqlite3.Connection, words: tuple[str, ...], window: int
) -> tuple[list[int], bool]:
    """Tickets holding every word (in the subject or any message), from the newest
    `window` hits of each; True when no word had more hits than that."""
    ids: dict[int, None] | None = None
    exhausted = True
    for word in words:
        expr = fts.match_expression((word,))
        if expr is None:
            continue
        subject = conn.execute(
            "SELECT rowid FROM ticket_fts WHERE ticket_fts MATCH ? ORDER BY rowid DESC LIMIT ?",
            (expr, window),
        ).fetchall()
        body = conn.execute(
            "SELECT m.ticket_id FROM (SELECT rowid AS mid FROM message_fts"
            " WHERE message_fts MATCH ? ORDER BY rowid DESC LIMIT ?) h"
            " JOIN message m ON m.id = h.mid",
            (expr, window),
        ).fetchall()
        found = dict.fromkeys(r[0] for r in subject)
        found.update(dict.fromkeys(r[0] for r in body))
        ids = found if ids is None else {k: None for k in ids if k in found}
        exhausted = exhausted and len(subject) < window and len(body) < window
    return list(ids or ()), exhausted


def count_tickets(store: Store, query: TicketQuery, ctx: QueryContext | None = None) -> int:
    """How many tickets match; capped at SEARCH_LIMIT for full-text queries."""
    ctx = ctx or QueryContext()
    if query.words and fts.match_expression(query.words) is not None:
        return len(list_tickets(store, query, ctx, limit=SEARCH_LIMIT).rows)
    conn = store.read()
    filters = _Filters(conn, query, ctx)
    conds, params = list(filters.sql), list(filters.params)
    if query.status:
        conds.insert(0, f"t.status IN ({','.join('?' * len(query.status))})")
        params[:0] = query.status
    row = conn.execute("SELECT count(*) FROM ticket t" + _where(conds), params).fetchone()
    return int(row[0])


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
            created_at=from_db(r[12]),  # type: ignore[arg-type]
            attachments=tuple(attachments.get(r[0], ())),
        )
        for r in conn.execute(
            "SELECT m.id, m.kind, a.name, NULL, m.from_name, m.from_addr, m.to_addrs, m.cc_addrs,"
            " m.subject, m.body_text, m.body_html, m.message_id, m.created_at"
            " FROM message m LEFT JOIN agent a ON a.id = m.author_agent_id"
            " WHERE m.ticket_id = ? ORDER BY m.created_at, m.id",
            (ticket.id,),
        )
    )
    return TicketDetail(ticket, get_customer(store, head[0]), messages, merged_into)


def list_events(store: Store, number: int) -> list[EventRecord]:
    tid = ticket_id(store, number)
    return [
        EventRecord(r[0], r[1], r[2], r[3], r[4], from_db(r[5]))  # type: ignore[arg-type]
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


_CUSTOMER_SQL = """
    SELECT c.id, c.email, c.name, o.name, c.created_at,
      (SELECT count(*) FROM ticket t WHERE t.customer_id = c.id),
      (SELECT count(*) FROM ticket t WHERE t.customer_id = c.id
        AND t.status IN ('new', 'open', 'pending', 'on_hold'))
    FROM customer c LEFT JOIN organization o ON o.id = c.organization_id
"""


def _customer(r: Sequence[object]) -> CustomerRecord:
    return CustomerRecord(r[0], r[1], r[2], r[3], from_db(r[4]), r[5], r[6])  # type: ignore[arg-type]


def get_customer(store: Store, key: int | str) -> CustomerRecord:
    """A customer by id or by email address."""
    where = "c.id = ?" if isinstance(key, int) else "c.email = lower(?)"
    row = store.read().execute(_CUSTOMER_SQL + f" WHERE {where}", (key,)).fetchone()
    if row is None:
        raise NotFoundError(f"no customer {key}")
    return _customer(row)


def list_customers(
    store: Store, *, text: str | None = None, after: int | None = None, limit: int = PAGE_SIZE
) -> list[CustomerRecord]:
    """Customers by id (keyset on id), optionally matching `text` in email, name or org."""
    conds: list[str] = []
    params: list[object] = []
    if text:
        conds.append("(c.email LIKE ? OR c.name LIKE ? OR o.name LIKE ?)")
        params.extend([f"%{text}%"] * 3)
    if after is not None:
        conds.append("c.id > ?")
        params.append(after)
    sql = _CUSTOMER_SQL + _where(conds) + " ORDER BY c.id LIMIT ?"
    return [_customer(r) for r in store.read().execute(sql, (*params, limit))]


def list_customer_tickets(store: Store, customer_id: int, limit: int = 20) -> list[TicketRow]:
    sql = f"SELECT {_ROW_COLUMNS} {_ROW_FROM} WHERE t.customer_id = ?" + _ORDER + " LIMIT ?"
    return [_row(r) for r in store.read().execute(sql, (customer_id, limit))]


def _canned(r: Sequence[object]) -> CannedRecord:
    return CannedRecord(r[0], r[1], r[2], CannedRecord.parse_actions(r[3]), from_db(r[4]))  # type: ignore[arg-type]


def list_canned(store: Store) -> list[CannedRecord]:
    return [
        _canned(r)
        for r in store.read().execute(
            "SELECT id, name, body, actions, updated_at FROM canned_reply ORDER BY name"
        )
    ]


def get_canned(store: Store, name: str) -> CannedRecord:
    row = (
        store.read()
        .execute(
            "SELECT id, name, body, actions, updated_at FROM canned_reply WHERE name = ?", (name,)
        )
        .fetchone()
    )
    if row is None:
        raise NotFoundError(f"no canned reply named {name!r} (see `deskterm canned list`)")
    return _canned(row)


def list_tags(store: Store) -> list[str]:
    """Every tag name, for suggestions."""
    return [r[0] for r in store.read().execute("SELECT name FROM tag ORDER BY name")]


def list_agents(store: Store) -> list[AgentRecord]:
    return [
        AgentRecord(r[0], r[1], r[2], r[3], bool(r[4]), r[5])
        for r in store.read().execute(
            "SELECT id, name, email, role, away, signature FROM agent ORDER BY name"
        )
    ]


def find_agent(store: Store, key: str) -> AgentRecord:
    row = (
        store.read()
        .execute(
            "SELECT id, name, email, role, away, signature FROM agent"
            " WHERE lower(email) = lower(?) OR lower(name) = lower(?)",
            (key, key),
        )
        .fetchone()
    )
    if row is None:
        raise NotFoundError(f"no agent {key!r} (see `deskterm agent list`)")
    return AgentRecord(row[0], row[1], row[2], row[3], bool(row[4]), row[5])


def list_views(store: Store) -> list[ViewRecord]:
    return [
        ViewRecord(r[0], r[1], r[2])
        for r in store.read().execute("SELECT name, query, position FROM view ORDER BY position")
    ]


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
