"""Time entries of a ticket, newest first, for `tickets time N` and the ticket screen."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from deskterm.store.queries.tickets import ticket_id
from deskterm.store.schema.db import Store
from deskterm.store.schema.timefmt import from_db, iso


@dataclass(frozen=True, slots=True)
class TimeEntryRecord:
    id: int
    agent: str | None  # the agent's name; None for time logged without an agent
    started_at: datetime
    seconds: int
    source: str  # manual | tracked
    note: str

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "agent": self.agent,
            "started_at": iso(self.started_at),
            "seconds": self.seconds,
            "source": self.source,
            "note": self.note,
        }


def list_time_entries(store: Store, number: int) -> list[TimeEntryRecord]:
    tid = ticket_id(store, number)
    return [
        TimeEntryRecord(r[0], r[1], from_db(r[2]), r[3], r[4], r[5])
        for r in store.read().execute(
            "SELECT e.id, a.name, e.started_at, e.seconds, e.source, e.note FROM time_entry e"
            " LEFT JOIN agent a ON a.id = e.agent_id WHERE e.ticket_id = ?"
            " ORDER BY e.started_at DESC, e.id DESC",
            (tid,),
        )
    ]
