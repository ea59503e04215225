"""Replicas of a test server: made by `join` over real HTTP, compared row by row."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from deskterm.app import DesktermApp
from deskterm.channels.sync import Replica, SyncReport, join, save_token
from deskterm.config import AgentConfig, Config
from deskterm.store.schema.db import Store, open_store
from deskterm.store.schema.timefmt import from_db
from deskterm.store.service import Actor, Service
from helpers.store import fresh_store_file


def local_service(store: Store, email: str) -> Service:
    """A service on the replica acting as the agent with `email` (as the CLI would)."""
    row = store.read().execute("SELECT id, name FROM agent WHERE email = ?", (email,)).fetchone()
    return Service(store, Actor(row[0], row[1]))


def make_replica(url: str, token: str, path: Path, email: str) -> tuple[Replica, SyncReport]:
    replica, _me, report = join(
        url,
        token,
        lambda: open_store(fresh_store_file(path)),
        lambda store: lambda: local_service(store, email),
    )
    return replica, report


def replica_app(url: str, token: str, email: str, path: Path) -> DesktermApp:
    """The app on a new replica at `path`, as `deskterm join --token` leaves it."""
    replica, _report = make_replica(url, token, path, email)
    replica.client.close()
    replica.store.close()
    save_token(path, token)
    return DesktermApp(path, Config(agent=AgentConfig(email=email)))


def snapshot(store: Store) -> dict[int, dict[str, Any]]:
    """Every ticket as users see it: fields, tags, and the thread (ids left out)."""
    conn = store.read()
    tickets: dict[int, dict[str, Any]] = {}
    for row in conn.execute(
        "SELECT t.id, t.number, t.subject, t.status, t.priority, a.email, c.email,"
        " m.number, t.message_count FROM ticket t JOIN customer c ON c.id = t.customer_id"
        " LEFT JOIN agent a ON a.id = t.assignee_id LEFT JOIN ticket m ON m.id = t.merged_into_id"
    ):
        tags = [
            r[0]
            for r in conn.execute(
                "SELECT g.name FROM ticket_tag tt JOIN tag g ON g.id = tt.tag_id"
                " WHERE tt.ticket_id = ? ORDER BY g.name",
                (row[0],),
            )
        ]
        thread = conn.execute(
            "SELECT kind, body_text, from_addr FROM message WHERE ticket_id = ?"
            " ORDER BY created_at, id",
            (row[0],),
        ).fetchall()
        events = conn.execute(
            "SELECT kind, old, new, actor FROM event WHERE ticket_id = ? ORDER BY id", (row[0],)
        ).fetchall()
        tickets[row[1]] = {
            "subject": row[2],
            "status": row[3],
            "priority": row[4],
            "assignee": row[5],
            "customer": row[6],
            "merged_into": row[7],
            "message_count": row[8],
            "tags": tags,
            "thread": thread,
            "events": events,
        }
    return tickets


def records(store: Store, reader: str | None = None) -> dict[str, Any]:
    """Beyond the tickets: time entries, files and tags, and the read marks of agent
    `reader` (a replica holds its own agent's only), by ticket number (ids left out)."""
    conn = store.read()
    return {
        "time": [
            (number, email, from_db(started), seconds, source, note)
            for number, email, started, seconds, source, note in conn.execute(
                "SELECT t.number, a.email, e.started_at, e.seconds, e.source, e.note"
                " FROM time_entry e JOIN ticket t ON t.id = e.ticket_id"
                " JOIN agent a ON a.id = e.agent_id ORDER BY 1, 3, 4, 6"
            )
        ],
        "files": [
            tuple(row)
            for row in conn.execute(
                "SELECT t.number, f.filename, f.sha256 FROM message_attachment f"
                " JOIN message m ON m.id = f.message_id JOIN ticket t ON t.id = m.ticket_id"
                " ORDER BY 1, 2, 3"
            )
        ],
        "tags": [row[0] for row in conn.execute("SELECT name FROM tag ORDER BY name")],
        "read": [
            (number, from_db(read_at))
            for number, read_at in conn.execute(
                "SELECT t.number, r.read_at FROM ticket_read r JOIN ticket t ON t.id = r.ticket_id"
                " JOIN agent a ON a.id = r.agent_id WHERE a.email = ? ORDER BY 1",
                (reader,),
            )
        ],
    }
