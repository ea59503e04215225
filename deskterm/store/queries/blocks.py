"""Reads of the blocked-sender list (`deskterm block --list`, and ingest's check)."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from deskterm.store.schema.db import Store
from deskterm.store.schema.timefmt import from_db, iso


@dataclass(frozen=True, slots=True)
class BlockedRecord:
    sender: str
    reason: str
    created_at: datetime

    def to_json(self) -> dict[str, Any]:
        return {"sender": self.sender, "reason": self.reason, "created_at": iso(self.created_at)}


def list_blocked(store: Store) -> list[BlockedRecord]:
    rows = store.read().execute(
        "SELECT sender, reason, created_at FROM blocked_sender ORDER BY sender"
    )
    return [BlockedRecord(r[0], r[1], from_db(r[2])) for r in rows]


def blocked_senders(db: sqlite3.Connection) -> dict[str, str]:
    """Every blocked address and "@domain" with its reason (a short list: read per batch)."""
    return dict(db.execute("SELECT sender, reason FROM blocked_sender").fetchall())


def blocked_reason(blocked: dict[str, str], address: str) -> str | None:
    """Why mail from `address` is blocked, by its address or its domain; None if it is not."""
    address = address.strip().lower()
    for key in (address, "@" + address.rpartition("@")[2]):
        if key in blocked:
            reason = blocked[key]
            return f"blocked sender {key}" + (f": {reason}" if reason else "")
    return None
