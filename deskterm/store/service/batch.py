"""Many units of work in one transaction: how the server applies a replica's push.

Inside `batch(store)` every unit of work on `store` (`unit_of_work.transaction`) joins
the batch's transaction with a savepoint of its own: its hooks run before that savepoint
is released, a unit that fails rolls back alone, and the batch commits once at the end.
A commit per op cost more than the op's own writes. Reads that must see what earlier
units of the batch wrote (a ticket an earlier op made) go through `reader`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from sqlalchemy import Connection
from sqlmodel import Session

from deskterm.store.schema.db import Store, plain_connection


@dataclass(frozen=True)
class Batch:
    """An open batch: the store it writes and the connection holding its transaction."""

    store: Store
    connection: Connection

    def session(self) -> Session:
        """A session inside the batch: its commit releases a savepoint, its close without
        a commit rolls back to it."""
        return Session(
            bind=self.connection, join_transaction_mode="create_savepoint", expire_on_commit=False
        )

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        """Everything inside commits with the batch, or (on an exception) not at all."""
        with self.connection.begin_nested():
            yield

    def reader(self) -> sqlite3.Connection:
        return plain_connection(self.connection)


_open: ContextVar[Batch | None] = ContextVar("deskterm_batch", default=None)


@contextmanager
def batch(store: Store) -> Iterator[Batch]:
    """One transaction for every unit of work on `store` inside the block; one commit."""
    with store.engine().connect() as connection, connection.begin():
        opened = Batch(store, connection)
        token = _open.set(opened)
        try:
            yield opened
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
