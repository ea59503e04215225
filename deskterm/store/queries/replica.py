"""What a replica knows about its own sync: the ops it has queued, where its cursor is."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from deskterm.store.schema.db import Store
from deskterm.store.schema.timefmt import from_db


@dataclass(frozen=True)
class QueuedOp:
    id: int
    name: str
    args: dict[str, Any]
    tickets: list[str]
    created_at: datetime


def queued_ops(store: Store) -> list[QueuedOp]:
    return [
        QueuedOp(r[0], r[1], json.loads(r[2]), json.loads(r[3]), from_db(r[4]))
        for r in store.read().execute(
            "SELECT id, name, args, tickets, created_at FROM sync_op ORDER BY id"
        )
    ]


def pending_changes(store: Store) -> int:
    """Queued ops an agent would call changes: read marks travel too, but count as none."""
    row = store.read().execute("SELECT count(*) FROM sync_op WHERE name != 'mark_read'")
    return int(row.fetchone()[0])


def dirty_refs(store: Store) -> list[str]:
    """Every ticket a queued op touched here: the server's copy of each is fetched back."""
    refs: dict[str, None] = {}
    for op in queued_ops(store):
        refs.update(dict.fromkeys(op.tickets))
    return list(refs)


def get_state(store: Store) -> dict[str, str]:
    return dict(store.read().execute("SELECT name, value FROM sync_state").fetchall())


def replica_agent(store: Store) -> str | None:
    """The address of the agent a replica belongs to (None: not a replica)."""
    row = store.read().execute("SELECT value FROM sync_state WHERE name = 'agent_email'").fetchone()
    return None if row is None else str(row[0])
