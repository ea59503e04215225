"""A replica takes in what the server sent: tickets whole, the catalog, and its own ops' fate.

The server's state wins: each ticket in a page replaces the replica's copy (found by
uid when it was made here offline, else by number), with its tags, messages and
events; the search index follows. Articles are replaced by uid the same way, and
removed when the server removed them. Then the ops the server has done are dropped and
the ones it has not seen yet are run again on top (the rebase), so offline work stays
visible until the server has it. One transaction per page: a crash leaves the replica
as it was before the page, never half of one.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from deskterm.errors import DesktermError
from deskterm.store.queries.replica import queued_ops
from deskterm.store.queries.sync import ARTICLE_FIELDS
from deskterm.store.schema.db import Store, connect
from deskterm.store.schema.timefmt import to_db, utcnow
from deskterm.store.search.index import SearchIndex
from deskterm.store.service.sync_journal import mark_replica, replaying
from deskterm.store.service.sync_ops import RUNNERS
from deskterm.store.service.sync_tickets import TicketPage

if TYPE_CHECKING:
    from deskterm.store.service import Service

# Tickets made offline get numbers from here up until the server numbers them.
PROVISIONAL_BASE = 1_000_000_000


def is_provisional(number: int) -> bool:
    return number > PROVISIONAL_BASE


class _Writer:
    """The page's writes on one connection, with lookups of people by address cached."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.search = SearchIndex(conn, deferred=True)  # written at `flush`
        self._agents: dict[str, int | None] = {}
        self.now = to_db(utcnow())
        me = conn.execute("SELECT value FROM sync_state WHERE name = 'agent_email'").fetchone()
        self.me = None if me is None else str(me[0])  # whose read marks the server sends

    def agent_id(self, email: str | None) -> int | None:
        if not email:
            return None
        if email not in self._agents:
            row = self.conn.execute(
                "SELECT id FROM agent WHERE lower(email) = lower(?)", (email,)
            ).fetchone()
            self._agents[email] = row[0] if row else None
        return self._agents[email]

    def tickets(self) -> TicketPage:
        """The page's tickets' writer (after the catalog: it knows the agents)."""
        return TicketPage(self.conn, self.search, self.agent_id, self.agent_id(self.me), self.now)

    def group_id(self, name: str | None) -> int | None:
        if not name:
            return None
        self.conn.execute(
            "INSERT INTO agent_group (name) VALUES (?) ON CONFLICT DO NOTHING", (name,)
        )
        return int(
            self.conn.execute("SELECT id FROM agent_group WHERE name = ?", (name,)).fetchone()[0]
        )

    def catalog(self, catalog: dict[str, Any]) -> None:
        for agent in catalog["agents"]:
            self.conn.execute(
                "INSERT INTO agent (name, email, role, away, signature, created_at)"
                " VALUES (:name, :email, :role, :away, :signature, :now)"
                " ON CONFLICT (email) DO UPDATE SET name = excluded.name, role = excluded.role,"
                " away = excluded.away, signature = excluded.signature",
                agent | {"now": self.now},
            )
        self._agents.clear()
        for group, members in catalog["groups"].items():
            group_id = self.group_id(group)
            self.conn.execute("DELETE FROM group_member WHERE group_id = ?", (group_id,))
            for email in members:
                self.conn.execute(
                    "INSERT INTO group_member (group_id, agent_id) VALUES (?, ?)",
                    (group_id, self.agent_id(email)),
                )
        names = [c["name"] for c in catalog["canned"]]
        self.conn.execute(
            f"DELETE FROM canned_reply WHERE name NOT IN ({','.join('?' * len(names))})", names
        )
        for canned in catalog["canned"]:
            self.conn.execute(
                "INSERT INTO canned_reply (name, body, actions, created_at, updated_at)"
                " VALUES (:name, :body, :actions, :created_at, :updated_at)"
                " ON CONFLICT (name) DO UPDATE SET body = excluded.body,"
                " actions = excluded.actions, updated_at = excluded.updated_at",
                canned,
            )
        # The server's views, whole (one queued offline comes back with the rebase).
        self.conn.execute("DELETE FROM view")
        self.conn.executemany(
            "INSERT INTO view (name, query, position) VALUES (:name, :query, :position)",
            catalog.get("views", ()),  # an older server sends none: keep none
        )

    def article(self, data: dict[str, Any]) -> None:
        """The server's article, by uid; a local one holding its slug gives way (the
        op that made it runs again after the pull, and says if it still can)."""
        conn = self.conn
        row = conn.execute("SELECT id FROM article WHERE uid = ?", (data["uid"],)).fetchone()
        holder = conn.execute(
            "SELECT uid FROM article WHERE slug = ? AND uid != ?", (data["slug"], data["uid"])
        ).fetchone()
        if holder is not None:
            self.drop_article(holder[0])
        conn.execute("DELETE FROM article_slug WHERE slug = ?", (data["slug"],))
        values = {f: data[f] for f in ARTICLE_FIELDS}
        if row is None:
            columns = ", ".join(ARTICLE_FIELDS)
            marks = ", ".join(f":{f}" for f in ARTICLE_FIELDS)
            cursor = conn.execute(f"INSERT INTO article ({columns}) VALUES ({marks})", values)
            article_id = int(cursor.lastrowid or 0)
        else:
            article_id = int(row[0])
            sets = ", ".join(f"{f} = :{f}" for f in ARTICLE_FIELDS)
            conn.execute(f"UPDATE article SET {sets} WHERE id = :id", values | {"id": article_id})
        self.search.set_article(
            article_id, data["title"], data["body"], data["section"], json.loads(data["tags"])
        )

    def drop_article(self, uid: str) -> None:
        """An article the server removed (its counted uses stay, naming no article)."""
        row = self.conn.execute("SELECT id FROM article WHERE uid = ?", (uid,)).fetchone()
        if row is None:
            return
        self.search.drop_article(row[0])
        for sql in (
            "DELETE FROM article_slug WHERE article_id = ?",
            "UPDATE kb_event SET article_id = NULL WHERE article_id = ?",
            "DELETE FROM article WHERE id = ?",
        ):
            self.conn.execute(sql, (row[0],))

    def read_marks(self, marks: Iterable[dict[str, Any]]) -> None:
        """The server's marks of this replica's agent: the server holds the latest (one
        still queued here comes back with the rebase)."""
        me = self.agent_id(self.me)
        if me is None:
            return
        self.conn.executemany(
            "INSERT INTO ticket_read (agent_id, ticket_id, read_at)"
            " SELECT ?, id, ? FROM ticket WHERE number = ?"
            " ON CONFLICT (agent_id, ticket_id) DO UPDATE SET read_at = excluded.read_at",
            [(me, mark["read_at"], mark["number"]) for mark in marks],
        )

    def drop(self, uid: str) -> None:
        """A ticket made here that the server never got (its op was refused): gone."""
        row = self.conn.execute("SELECT id, subject FROM ticket WHERE uid = ?", (uid,)).fetchone()
        if row is None:
            return
        self.search.drop_ticket(row[0], row[1])
        self.tickets().clear([row[0]])
        self.conn.execute("DELETE FROM ticket WHERE id = ?", (row[0],))


def apply_page(
    store: Store,
    tickets: list[dict[str, Any]],
    *,
    catalog: dict[str, Any] | None = None,
    missing: Iterable[str] = (),
    files: Iterable[bytes] = (),
    articles: Iterable[dict[str, Any]] = (),
    articles_gone: Iterable[str] = (),
    read_marks: Iterable[dict[str, Any]] = (),
) -> None:
    """Take one page of the server's tickets (its catalog, its articles, the agent's read
    marks made alone, and the contents of the files its messages carry that this replica
    lacked) in one transaction."""
    conn = connect(store.path)
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany(
            "INSERT INTO attachment (sha256, size, data) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
            [(hashlib.sha256(data).hexdigest(), len(data), data) for data in files],
        )
        writer = _Writer(conn)
        if catalog is not None:
            writer.catalog(catalog)
        # Dirty tickets the server lacks go first: their provisional rows leave room.
        for ref in missing:
            if not ref.startswith("#"):
                writer.drop(ref)
        writer.tickets().write(tickets)
        for uid in articles_gone:
            writer.drop_article(uid)
        for article in articles:
            writer.article(article)
        writer.search.flush()
        writer.read_marks(read_marks)
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    finally:
        conn.close()


def settle(
    store: Store, make_service: Callable[[], Service], last_mutation_id: int
) -> list[tuple[int, str]]:
    """Drop the ops the server has done; run the rest again on the server's state.

    Returns the notices of ops that no longer apply here either (they stay queued:
    the server decides, and its answer comes with the next sync).
    """
    conn = connect(store.path)
    try:
        conn.execute("DELETE FROM sync_op WHERE id <= ?", (last_mutation_id,))
    finally:
        conn.close()
    notices = []
    for op in queued_ops(store):
        runner = RUNNERS.get(op.name)
        if runner is None:
            continue
        try:
            with replaying():
                runner(make_service(), op.args)
        except DesktermError as exc:
            notices.append((op.id, str(exc)))
    return notices


def set_state(store: Store, values: dict[str, str]) -> None:
    conn = connect(store.path)
    try:
        conn.executemany(
            "INSERT INTO sync_state (name, value) VALUES (?, ?)"
            " ON CONFLICT (name) DO UPDATE SET value = excluded.value",
            list(values.items()),
        )
    finally:
        conn.close()


def become_replica(store: Store, url: str, client_id: str, agent_email: str) -> None:
    """Mark a new store as a replica of `url`: offline tickets get provisional numbers."""
    conn = connect(store.path)
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute(
            "UPDATE counter SET value = max(value, ?) WHERE name = 'ticket'", (PROVISIONAL_BASE,)
        )
        conn.executemany(
            "INSERT INTO sync_state (name, value) VALUES (?, ?)"
            " ON CONFLICT (name) DO UPDATE SET value = excluded.value",
            [
                ("server_url", url),
                ("client_id", client_id),
                ("cursor", "-1"),
                ("agent_email", agent_email),
            ],
        )
        conn.execute("COMMIT")
    finally:
        conn.close()
    mark_replica(store)
