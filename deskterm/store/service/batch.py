"""Many units of work in one transaction: how the server applies a replica's push.

Inside `batch(store)` every unit of work on `store` (`unit_of_work.transaction`) joins
the batch's transaction with a savepoint of its own: its hooks run before that savepoint
is released, a unit that fails rolls back alone, and the batch commits once at the end.
A commit per op cost more than the op's own writes. Reads that must see what earlier
units of the batch wrote (a ticket an earlier op made) go through `reader`.

A hook whose work is a function of the tickets' rows alone (the report rollups, the
sync stamp) hands its tickets to `later` instead: the work runs once, over every ticket
of the batch, just before the commit, not once per unit.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

from sqlalchemy import Connection
from sqlmodel import Session

from deskterm.store.schema.db import Store, plain_connection

Later = Callable[["Batch", list[int]], None]
"""Work on tickets' rows done once at a batch's end: gets the batch and the tickets' ids."""


@dataclass
class Batch:
    """An open batch: the store it writes and the connection holding its transaction."""

    store: Store
    connection: Connection
    due: dict[Later, dict[int, None]] = field(default_factory=dict)
    """What `later` was given, in the order first asked: each work's tickets, in order."""

    def later(self, work: Later, ticket_ids: Iterable[int]) -> None:
        """Run `work` at the batch's end over these tickets (with all others given it)."""
        self.due.setdefault(work, {}).update(dict.fromkeys(ticket_ids))

    def session(self) -> Session:
        """A session inside the batch: its commit releases a savepoint, its close without
        a commit rolls back to it.

        Inside `savepoint` (a pushed op) the session works in that savepoint instead of
        making one more: a failing unit fails its op, which rolls back whole anyway.
        """
        nested = self.connection.in_nested_transaction()
        return Session(
            bind=self.connection,
            join_transaction_mode="rollback_only" if nested else "create_savepoint",
            expire_on_commit=False,
        )

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        """Everything inside commits with the batch, or (on an exception) not at all."""
        due = {work: dict(ids) for work, ids in self.due.items()}
        try:
            with self.connection.begin_nested():
                yield
        except BaseException:
            self.due = due  # what the undone writes asked for is not due
            raise

    def finish(self) -> None:
        """The work handed to `later`, each once over all its tickets."""
        while self.due:
            work, ids = next(iter(self.due.items()))
            del self.due[work]
            work(self, list(ids))

    def reader(self) -> sqlite3.Connection:
        return plain_connection(self.connection)


_open: ContextVar[Batch | None] = ContextVar("deskterm_batch", default=None)


@contextmanager
def batch(store: Store) -> Iterator[Batch]:
    """One transaction for every unit of work on `store` inside the block; one commit."""
    with store.writing(), store.engine().connect() as connection, connection.begin():
        opened = Batch(store, connection)
        token = _open.set(opened)
        try:
            yield opened
            opened.finish()
        finally:
            _open.reset(token)


def joined(store: Store) -> Batch | None:
    """The batch a unit of work on `store` joins, if one is open in this context."""
    open_batch = _open.get()
    return open_batch if open_batch is not None and open_batch.store is store else None


def reader(store: Store) -> sqlite3.Connection:
    """A connection that sees the open batch's writes (the store's read connection if none)."""
    open_batch = joined(store)
    return store.read() if open_batch is None else open_batch.reader()
