"""What a pull reads on the server: tickets changed since a cursor, whole, plus the catalog.

A ticket travels whole (fields, tags, every message and event) with people named by
address and tickets by number, never by the server's row ids: a replica keeps its own
ids. One read transaction per page, so a page and its cookie are one snapshot.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from deskterm.store.schema.db import Store
from deskterm.store.schema.rows import MAIL_COLUMNS, MESSAGE_COLUMNS, ROW_IDS
from deskterm.store.schema.timefmt import from_db, to_db

TICKET_FIELDS = (
    "uid",
    "number",
    "subject",
    "status",
    "priority",
    "channel",
    "created_at",
    "updated_at",
    "first_response_at",
    "solved_at",
    "reopen_count",
    "message_count",
    "sla_policy",
    "first_reply_due_at",
    "next_reply_due_at",
    "resolution_due_at",
    "due_at",
    "sla_breached",
    "urgent_words",
    "upset_words",
    "csat",  # the latest survey answer (its history stays on the server)
    "csat_effort",
    "csat_comment",
    "csat_at",
    "sync_version",
)
# A message's own columns and the mailbox it came by, by name (no row ids: see `ROW_IDS`).
MESSAGE_FIELDS = (
    *(c for c in MESSAGE_COLUMNS if c not in ROW_IDS),
    *(c for c in MAIL_COLUMNS if c in ("mailbox", "auto_kind")),
)
EVENT_FIELDS = ("actor", "kind", "old", "new", "created_at")
FILE_FIELDS = ("sha256", "filename", "mime_type", "content_id", "inline")
TIME_FIELDS = ("started_at", "seconds", "source", "note")
ARTICLE_FIELDS = (
    "uid", "slug", "title", "body", "section", "tags", "status", "locale", "created_at",
    "updated_at",
)  # fmt: skip

_TICKETS = (
    "SELECT t.id, "
    + ", ".join(f"t.{f}" for f in TICKET_FIELDS)
    + ", c.email, c.name, a.email, g.name, m.number"
    " FROM ticket t JOIN customer c ON c.id = t.customer_id"
    " LEFT JOIN agent a ON a.id = t.assignee_id"
    " LEFT JOIN agent_group g ON g.id = t.group_id"
    " LEFT JOIN ticket m ON m.id = t.merged_into_id"
)


@dataclass
class PullPage:
    """One page of changed tickets; `next` continues the pull, `cookie` ends it."""

    tickets: list[dict[str, Any]]
    next: str | None
    cookie: int
    missing: list[str] = field(default_factory=list)
    total: int | None = None  # on a first page: how many tickets the whole pull brings
    # On a first page: the articles changed after the cursor, and the uids of those removed.
    articles: list[dict[str, Any]] = field(default_factory=list)
    articles_gone: list[str] = field(default_factory=list)
    # On the last page: the agent's read marks made alone after the cursor, by ticket number.
    read_marks: list[dict[str, Any]] = field(default_factory=list)


def _ticket(row: Sequence[Any]) -> dict[str, Any]:
    data = dict(zip(TICKET_FIELDS, row[1:], strict=False))
    email, name, assignee, group, merged = row[1 + len(TICKET_FIELDS) :]
    data |= {"customer": {"email": email, "name": name}, "assignee": assignee, "group": group}
    data["merged_into"] = merged
    return data


def _children(
    conn: sqlite3.Connection, tickets: dict[int, dict[str, Any]], agent_id: int | None
) -> None:
    """Tags, messages (with their files), events, time entries, and the agent's read marks."""
    marks = ",".join("?" * len(tickets))
    ids = list(tickets)
    for data in tickets.values():
        data.update(tags=[], messages=[], events=[], time=[], read_at=None)
    for ticket_id, name in conn.execute(
        "SELECT tt.ticket_id, tg.name FROM ticket_tag tt JOIN tag tg ON tg.id = tt.tag_id"
        f" WHERE tt.ticket_id IN ({marks}) ORDER BY tg.name",
        ids,
    ):
        tickets[ticket_id]["tags"].append(name)
    columns = ", ".join(f'm."{f}"' for f in MESSAGE_FIELDS)
    messages: dict[int, dict[str, Any]] = {}
    for row in conn.execute(
        f"SELECT m.ticket_id, m.id, {columns}, a.email, c.email FROM message m"
        " LEFT JOIN agent a ON a.id = m.author_agent_id"
        " LEFT JOIN customer c ON c.id = m.author_customer_id"
        f" WHERE m.ticket_id IN ({marks}) ORDER BY m.ticket_id, m.created_at, m.id",
        ids,
    ):
        message = dict(zip(MESSAGE_FIELDS, row[2:], strict=False))
        message["author_agent"], message["author_customer"] = row[-2], row[-1]
        message["files"] = []
        messages[row[1]] = message
        tickets[row[0]]["messages"].append(message)
    columns = ", ".join(f"f.{f}" for f in FILE_FIELDS)
    for row in conn.execute(
        f"SELECT f.message_id, {columns} FROM message_attachment f"
        f" JOIN message m ON m.id = f.message_id WHERE m.ticket_id IN ({marks}) ORDER BY f.id",
        ids,
    ):
        messages[row[0]]["files"].append(dict(zip(FILE_FIELDS, row[1:], strict=True)))
    for ticket_id, entry, email in _rows_with_agent(
        conn, "time_entry", TIME_FIELDS, "agent_id", "e.started_at, e.id", marks, ids
    ):
        tickets[ticket_id]["time"].append({**entry, "agent": email})
    if agent_id is not None:
        for ticket_id, read_at in conn.execute(
            "SELECT ticket_id, read_at FROM ticket_read"
            f" WHERE agent_id = ? AND ticket_id IN ({marks})",
            [agent_id, *ids],
        ):
            tickets[ticket_id]["read_at"] = read_at
    for ticket_id, event, email in _rows_with_agent(
        conn, "event", EVENT_FIELDS, "actor_agent_id", "e.id", marks, ids
    ):
        tickets[ticket_id]["events"].append({**event, "actor_agent": email})


def _rows_with_agent(
    conn: sqlite3.Connection,
    table: str,
    fields: Sequence[str],
    agent_column: str,
    order: str,
    marks: str,
    ids: Sequence[int],
) -> Iterator[tuple[int, dict[str, Any], str | None]]:
    """A per-ticket table's rows as (ticket id, fields, agent's e-mail): replicas know
    agents by address, not by the server's ids."""
    columns = ", ".join(f"e.{f}" for f in fields)
    for row in conn.execute(
        f"SELECT e.ticket_id, {columns}, a.email FROM {table} e"
        f" LEFT JOIN agent a ON a.id = e.{agent_column}"
        f" WHERE e.ticket_id IN ({marks}) ORDER BY e.ticket_id, {order}",
        list(ids),
    ):
        yield row[0], dict(zip(fields, row[1:-1], strict=True)), row[-1]


_REFS_PER_STATEMENT = 500


def _by_refs(conn: sqlite3.Connection, refs: Sequence[str]) -> tuple[list[Any], list[str]]:
    """The tickets `refs` name (`#number` or uid), in their order, and the refs naming none.

    Looked up 500 at a time: one statement per ref cost a round trip each on PostgreSQL
    (10,000 refs outlasted the client's timeout)."""
    numbers = {int(r[1:]) for r in refs if r.startswith("#") and r[1:].isdecimal()}
    numbers = {n for n in numbers if n < 2**63}  # larger names no ticket, and fits no column
    uids = {r for r in refs if not (r.startswith("#") and r[1:].isdecimal())}
    by_number = _rows_where(conn, "number", sorted(numbers))
    by_uid = _rows_where(conn, "uid", sorted(uids))
    rows, missing = [], []
    for ref in refs:
        is_number = ref.startswith("#") and ref[1:].isdecimal()
        row = by_number.get(int(ref[1:])) if is_number else by_uid.get(ref)
        if row is None:
            missing.append(ref)
        else:
            rows.append(row)
    return rows, missing


def _rows_where(conn: sqlite3.Connection, field: str, keys: Sequence[Any]) -> dict[Any, Any]:
    """Ticket rows whose `field` is one of `keys`, by that key."""
    found: dict[Any, Any] = {}
    key_index = 1 + TICKET_FIELDS.index(field)
    for start in range(0, len(keys), _REFS_PER_STATEMENT):
        chunk = keys[start : start + _REFS_PER_STATEMENT]
        marks = ",".join("?" * len(chunk))
        for row in conn.execute(_TICKETS + f" WHERE t.{field} IN ({marks})", chunk):
            found[row[key_index]] = row
    return found


def pull_page(
    store: Store,
    cursor: int,
    *,
    after: str | None = None,
    refs: Sequence[str] = (),
    limit: int,
    agent_id: int | None = None,
) -> PullPage:
    """Tickets stamped after `cursor` (from `after` on), and the tickets `refs` name, with
    the read marks of `agent_id` (the agent the replica belongs to)."""
    conn = store.read()
    conn.execute("BEGIN")
    try:
        # Keyset (version, id): many tickets share a version when one change touched them all.
        version, last_id = (int(x) for x in after.split(",")) if after else (cursor, 2**62)
        rows = conn.execute(
            _TICKETS + " WHERE (t.sync_version, t.id) > (?, ?) ORDER BY t.sync_version, t.id"
            " LIMIT ?",
            (version, last_id, limit + 1),
        ).fetchall()
        more = len(rows) > limit
        rows = rows[:limit]
        named, missing = _by_refs(conn, refs)
        tickets = {row[0]: _ticket(row) for row in [*rows, *named]}
        if tickets:
            _children(conn, tickets, agent_id)
        counter = conn.execute("SELECT value FROM counter WHERE name = 'sync'").fetchone()
        total = None
        articles: list[dict[str, Any]] = []
        gone: list[str] = []
        if after is None:
            total = int(
                conn.execute(
                    "SELECT count(*) FROM ticket WHERE sync_version > ?", (cursor,)
                ).fetchone()[0]
            )
            articles, gone = _articles(conn, cursor)
        # On the page whose counter becomes the cursor: no mark up to it is missed.
        read_marks = [] if more or agent_id is None else _read_marks(conn, agent_id, cursor)
    finally:
        conn.execute("COMMIT")
    cookie = int(counter[0]) if counter else 0
    last = rows[-1] if rows else None
    next_ = f"{last[1 + TICKET_FIELDS.index('sync_version')]},{last[0]}" if more and last else None
    return PullPage(
        list(tickets.values()), next_, cookie, missing, total, articles, gone, read_marks
    )


def _read_marks(conn: sqlite3.Connection, agent_id: int, cursor: int) -> list[dict[str, Any]]:
    """The agent's marks stamped after `cursor` (made on another of their replicas, or on
    the server), without their tickets."""
    return [
        {"number": number, "read_at": read_at}
        for number, read_at in conn.execute(
            "SELECT t.number, r.read_at FROM ticket_read r JOIN ticket t ON t.id = r.ticket_id"
            " WHERE r.agent_id = ? AND r.sync_version > ? ORDER BY r.sync_version",
            (agent_id, cursor),
        )
    ]


def _articles(conn: sqlite3.Connection, cursor: int) -> tuple[list[dict[str, Any]], list[str]]:
    """Articles stamped after `cursor`, whole, and the uids of those removed since: the
    knowledge base is small beside the tickets, so it comes on the first page."""
    columns = ", ".join(ARTICLE_FIELDS)
    changed = [
        dict(zip(ARTICLE_FIELDS, row, strict=True))
        for row in conn.execute(
            f"SELECT {columns} FROM article WHERE sync_version > ? ORDER BY sync_version, id",
            (cursor,),
        )
    ]
    gone = [
        str(r[0])
        for r in conn.execute(
            "SELECT uid FROM article_gone WHERE sync_version > ? ORDER BY sync_version", (cursor,)
        )
    ]
    return changed, gone


def read_catalog(store: Store) -> tuple[dict[str, Any], str]:
    """Agents (no token hashes), groups, canned replies and stored views, with a hash to
    skip resending."""
    conn = store.read()
    agents = [
        dict(zip(("name", "email", "role", "away", "signature"), r, strict=True))
        for r in conn.execute("SELECT name, email, role, away, signature FROM agent ORDER BY id")
    ]
    groups: dict[str, list[str]] = {
        r[0]: [] for r in conn.execute("SELECT name FROM agent_group ORDER BY name")
    }
    for group, email in conn.execute(
        "SELECT g.name, a.email FROM group_member m JOIN agent_group g ON g.id = m.group_id"
        " JOIN agent a ON a.id = m.agent_id ORDER BY a.email"
    ):
        groups[group].append(email)
    canned = [
        dict(zip(("name", "body", "actions", "created_at", "updated_at"), r, strict=True))
        for r in conn.execute(
            "SELECT name, body, actions, created_at, updated_at FROM canned_reply ORDER BY name"
        )
    ]
    views = [
        dict(zip(("name", "query", "position"), r, strict=True))
        for r in conn.execute("SELECT name, query, position FROM view ORDER BY position, name")
    ]
    catalog = {"agents": agents, "groups": groups, "canned": canned, "views": views}
    digest = hashlib.sha256(json.dumps(catalog, sort_keys=True).encode()).hexdigest()
    return catalog, digest


def last_mutation(store: Store, client_id: str) -> tuple[int, int | None]:
    """How far the server got with a replica's ops, and the agent that replica belongs to."""
    row = (
        store.read()
        .execute(
            "SELECT last_mutation_id, agent_id FROM sync_client WHERE client_id = ?", (client_id,)
        )
        .fetchone()
    )
    return (0, None) if row is None else (int(row[0]), row[1])


def notices_for(store: Store, client_id: str, ids: Sequence[int]) -> dict[int, str]:
    if not ids:
        return {}
    marks = ",".join("?" * len(ids))
    return {
        int(r[0]): str(r[1])
        for r in store.read().execute(
            "SELECT mutation_id, text FROM sync_notice"
            f" WHERE client_id = ? AND mutation_id IN ({marks})",
            (client_id, *ids),
        )
    }


def known_files(store: Store, digests: Sequence[str]) -> set[str]:
    """Which of these file contents (sha256) the store holds."""
    found: set[str] = set()
    conn = store.read()
    for start in range(0, len(digests), _REFS_PER_STATEMENT):
        chunk = list(digests[start : start + _REFS_PER_STATEMENT])
        marks = ",".join("?" * len(chunk))
        found.update(
            str(r[0])
            for r in conn.execute(f"SELECT sha256 FROM attachment WHERE sha256 IN ({marks})", chunk)
        )
    return found


def file_data(store: Store, digest: str) -> bytes | None:
    row = store.read().execute("SELECT data FROM attachment WHERE sha256 = ?", (digest,)).fetchone()
    return None if row is None else bytes(row[0])


SEEN_WITHIN = {"5m": timedelta(minutes=5), "1h": timedelta(hours=1), "1d": timedelta(days=1)}


def replicas_seen(store: Store, now: datetime) -> dict[str, int]:
    """How many replicas pushed or pulled within each of `SEEN_WITHIN` (for /metrics)."""
    counts = ", ".join("sum(CASE WHEN last_seen_at > ? THEN 1 ELSE 0 END)" for _ in SEEN_WITHIN)
    row = (
        store.read()
        .execute(
            f"SELECT {counts} FROM sync_client",
            [to_db(now - span) for span in SEEN_WITHIN.values()],
        )
        .fetchone()
    )
    return {name: int(value or 0) for name, value in zip(SEEN_WITHIN, row, strict=True)}


def seen_at(store: Store, client_id: str) -> datetime | None:
    """When the server last heard from a replica (None: never)."""
    row = (
        store.read()
        .execute("SELECT last_seen_at FROM sync_client WHERE client_id = ?", (client_id,))
        .fetchone()
    )
    return None if row is None else from_db(row[0])
