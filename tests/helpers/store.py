"""Shared helpers for the store tests: real store files, a stepping clock, raw reads.

Kept free of pytest fixtures (there is no conftest for the store tests): each test module
wraps `make_desk` in its own small fixture. `create_tickets_in_process` is the target of
the multi-process writer test, so it lives in an importable module.
"""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from deskterm.assist.model import MIN_HISTORY
from deskterm.store.schema.db import Store, open_store, own_connection
from deskterm.store.service import Actor, Service
from deskterm.store.service.unit_of_work import UnitOfWork
from helpers.clock import TickingClock

# The acting agent of the `service` fixture: (name, email).
ME = ("Sam Lee", "sam@desk.test")


@dataclass
class Desk:
    """A fresh store with an admin agent "me" (me@desk.test) and a stepping clock."""

    path: Path
    store: Store
    me_id: int
    svc: Service  # acts as "me"
    clock: TickingClock
    others: dict[str, int] = field(default_factory=dict)

    def service(self, agent: str | None = None) -> Service:
        """A service acting as another agent (by name), or as the system."""
        if agent is None:
            return Service(self.store, Actor.system(), clock=self.clock)
        return Service(self.store, Actor(self.others[agent], agent), clock=self.clock)

    def add_agent(self, name: str, role: str = "agent") -> int:
        agent_id, _token = self.svc.add_agent(name, f"{name}@desk.test", role)
        self.others[name] = agent_id
        return agent_id

    def raw(self) -> sqlite3.Connection:
        """A separate plain connection: sees only what the service committed."""
        if self.store.url is not None:
            return own_connection(self.store)
        conn = sqlite3.connect(self.path, isolation_level=None)
        conn.execute("PRAGMA busy_timeout=5000")
        return conn


_TEMPLATE: Path | None = None


def solved_history(svc: Service, n: int = MIN_HISTORY) -> None:
    """`n` solved tickets about nothing a test asks about: history enough to suggest from."""
    for i in range(n):
        number = svc.create_ticket(f"Filler {i}", "Nothing of note.", f"f{i}@history.test").number
        svc.set_status(number, "solved")


def fresh_store_file(path: Path) -> Path:
    """A new, empty store at head, copied from one migrated once per process (saves ~0.2 s)."""
    global _TEMPLATE
    if _TEMPLATE is None:
        template = Path(tempfile.mkdtemp(prefix="deskterm-template-")) / "template.db"
        open_store(template, create=True).close()
        assert not template.with_name("template.db-wal").exists()
        _TEMPLATE = template
    shutil.copyfile(_TEMPLATE, path)
    return path


def make_desk(tmp_path: Path, name: str = "desk.db", *, at: Path | str | None = None) -> Desk:
    """A desk in `tmp_path`, or `at` a store location (`store_location`: a file, or a
    PostgreSQL URL; `path` is then only a name, `raw()` a connection of its own)."""
    location = at if at is not None else tmp_path / name
    path = fresh_store_file(location) if isinstance(location, Path) else tmp_path / name
    store = open_store(location if isinstance(location, str) else path)
    clock = TickingClock()
    admin = Service(store, Actor.system(), clock=clock)
    me_id, _token = admin.add_agent("me", "me@desk.test", "admin")
    return Desk(path, store, me_id, Service(store, Actor(me_id, "me"), clock=clock), clock)


@contextmanager
def opened(path: Path, *, create: bool = False) -> Iterator[Store]:
    store = open_store(path, create=create)
    try:
        yield store
    finally:
        store.close()


def events(desk: Desk, number: int) -> list[tuple[str, str | None, str | None]]:
    """(kind, old, new) of every event of ticket `number`, oldest first, read raw."""
    with desk.raw() as conn:
        rows = conn.execute(
            "SELECT e.kind, e.old, e.new FROM event e JOIN ticket t ON t.id = e.ticket_id"
            " WHERE t.number = ? ORDER BY e.id",
            (number,),
        ).fetchall()
    return [(r[0], r[1], r[2]) for r in rows]


def event_kinds(desk: Desk, number: int) -> list[str]:
    return [kind for kind, _old, _new in events(desk, number)]


def count(desk: Desk, table: str) -> int:
    conn = desk.raw()
    try:
        return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
    finally:
        conn.close()


def ticket_fields(desk: Desk, number: int) -> dict[str, object]:
    """The ticket row as stored, column name -> raw value."""
    conn = desk.raw()
    try:
        conn.row_factory = sqlite3.Row
        row = conn.execute("SELECT * FROM ticket WHERE number = ?", (number,)).fetchone()
        assert row is not None, f"no ticket #{number}"
        return dict(row)
    finally:
        conn.close()


def snapshot(desk: Desk) -> dict[str, list[tuple[object, ...]]]:
    """Every row of the tables the service writes: to prove a failed call wrote nothing."""
    tables = ("ticket", "message", "event", "ticket_tag", "tag", "customer", "counter")
    conn = desk.raw()
    try:
        return {t: conn.execute(f"SELECT * FROM {t} ORDER BY 1, 2").fetchall() for t in tables}
    finally:
        conn.close()


def rollups(db: sqlite3.Connection) -> tuple[list[tuple[object, ...]], ...]:
    """The report rollups without zero rows and row ids: what a rebuild must reproduce."""
    return (
        sorted(db.execute("SELECT * FROM report_count WHERE n != 0")),
        sorted(db.execute("SELECT * FROM report_hist WHERE n != 0")),
        sorted(r[1:] for r in db.execute("SELECT * FROM report_duration")),
        sorted(db.execute("SELECT * FROM report_ticket")),
    )


def create_tickets_in_process(path: str, worker: int, count_: int) -> list[int]:
    """Open the store in this (spawned) process and create `count_` tickets; their numbers."""
    store = open_store(Path(path))
    try:
        svc = Service(store, Actor.system())
        return [
            svc.create_ticket(
                f"worker {worker} ticket {i}", f"body {worker}/{i}", f"w{worker}@example.com"
            ).number
            for i in range(count_)
        ]
    finally:
        store.close()


@dataclass
class HookProbe:
    """A before-commit hook (put after the real ones): what the last unit showed its hooks."""

    units: int = 0
    tickets: list[tuple[int, str, int]] = field(default_factory=list)
    events: list[tuple[str, int, int]] = field(default_factory=list)  # (kind, id, number)

    def __call__(self, uow: UnitOfWork) -> None:
        self.units += 1
        touched = uow.tickets()
        numbers = {t.id: t.number for t in touched}
        self.tickets = [(t.number, t.status, t.message_count) for t in touched]
        self.events = [(e.kind, e.id, numbers[e.ticket_id]) for e in uow.events]
