"""The sync journal: the before-commit hook that makes every change syncable.

On every store it stamps the touched tickets with a new value of the `sync` counter
(the server's change sequence: a replica pulls what has a higher stamp than its
cursor). On a replica, a change made by a journaled service call (`journaled`) also
queues that call as an op, in the same transaction, for the server to run again. (The
server records a replica's ops as done in the push's own transaction: `sync_push`.)
"""

from __future__ import annotations

import functools
import json
import sqlite3
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, Concatenate, ParamSpec, Protocol, TypeVar

from sqlalchemy.orm.attributes import set_committed_value

from deskterm.errors import UsageError
from deskterm.store.schema.db import Store
from deskterm.store.schema.models import SyncOp, Ticket
from deskterm.store.schema.pg_notify import CHANGES_CHANNEL, NOTIFY
from deskterm.store.service.batch import Batch
from deskterm.store.service.unit_of_work import UnitOfWork

BUMP_SYNC = (
    "INSERT INTO counter (name, value) VALUES ('sync', 1)"
    " ON CONFLICT (name) DO UPDATE SET value = counter.value + 1 RETURNING value"
)
# The ids as one JSON array: any number of tickets, one bound value.
_STAMP = "UPDATE ticket SET sync_version = ? WHERE id IN (SELECT value FROM json_each(?))"


@dataclass
class Command:
    """A service call being made on a replica: what the server will be asked to run."""

    name: str
    args: dict[str, Any]
    refs: list[str] = field(default_factory=list)  # tickets it names (see `ticket_ref`)
    void: bool = False  # the call changed nothing here: nothing to queue


_command: ContextVar[Command | None] = ContextVar("deskterm_sync_command", default=None)
_replaying: ContextVar[bool] = ContextVar("deskterm_sync_replaying", default=False)
_replicas: weakref.WeakKeyDictionary[Store, bool] = weakref.WeakKeyDictionary()


def is_replica(store: Store) -> bool:
    """Whether `store` is a replica of a server (it was made by `deskterm join`)."""
    known = _replicas.get(store)
    if known is None:
        row = store.read().execute("SELECT 1 FROM sync_state WHERE name = 'server_url'").fetchone()
        known = _replicas[store] = row is not None
    return known


def mark_replica(store: Store) -> None:
    _replicas[store] = True


def ticket_ref(ticket: Ticket) -> str:
    """How a replica names a ticket to the server: its uid if made offline, else #number."""
    return ticket.uid or f"#{ticket.number}"


@contextmanager
def replaying() -> Iterator[None]:
    """Re-running queued ops on a replica after a pull: they are queued already."""
    token = _replaying.set(True)
    try:
        yield
    finally:
        _replaying.reset(token)


def journal(uow: UnitOfWork) -> None:
    """The hook: stamp touched tickets; on a replica, queue the op."""
    if uow.touched:
        stamp(uow)
    command = _command.get()
    if command is not None and not command.void and not _replaying.get():
        queue(uow, command)


def nothing_to_sync() -> None:
    """The journaled call being made changed nothing (a ticket read already): no op."""
    command = _command.get()
    if command is not None:
        command.void = True


def stamp(uow: UnitOfWork) -> None:
    """One new `sync` value on every touched ticket: two statements, however many tickets
    (each is a round trip to a PostgreSQL server); in a batch, once for all its tickets.

    On PostgreSQL the new version is also notified to the other server processes.
    Every store stamps, not only a server's: a solo store served later gives a joining
    replica every ticket with a stamp. Plain statements, not ORM objects: loading each
    ticket of a batch of mail to set one column cost more than writing the batch.
    """
    if uow.batch is not None:
        uow.batch.later(stamp_batch, uow.touched_ids)
        return
    uow.session.flush()  # ORM changes first, so the stamp is the row's last write
    postgres = uow.session.get_bind().dialect.name == "postgresql"
    version = _stamp(uow.db, uow.touched_ids, postgres=postgres)
    for ticket in uow.touched.values():
        if ticket is not None:  # the objects the unit holds show the stamp too
            set_committed_value(ticket, "sync_version", version)


def stamp_batch(open_batch: Batch, ticket_ids: list[int]) -> None:
    _stamp(open_batch.reader(), ticket_ids, postgres=open_batch.store.dialect == "postgresql")


def _stamp(db: sqlite3.Connection, ticket_ids: list[int], *, postgres: bool) -> int:
    version = bump(db, postgres=postgres)
    db.execute(_STAMP, (version, json.dumps(ticket_ids)))
    return version


def bump(db: sqlite3.Connection, *, postgres: bool) -> int:
    """The next value of the `sync` counter, for a change a pull must bring. On PostgreSQL
    it is notified too: delivered at commit to every `serve` process listening (none for a
    rollback)."""
    version = int(db.execute(BUMP_SYNC).fetchone()[0])
    if postgres:
        db.execute(NOTIFY, (CHANGES_CHANNEL, str(version)))
    return version


def queue(uow: UnitOfWork, command: Command) -> None:
    """A replica made a journaled call: queue it, naming every ticket it touched."""
    touched = (ticket_ref(t) for t in uow.tickets())
    uow.session.add(
        SyncOp(
            name=command.name,
            args=json.dumps(command.args, ensure_ascii=False),
            tickets=json.dumps(list(dict.fromkeys([*command.refs, *touched]))),
            created_at=uow.clock(),
        )
    )


class _HasStore(Protocol):
    store: Store


S = TypeVar("S", bound=_HasStore)
P = ParamSpec("P")
R = TypeVar("R")
Encoder = Callable[..., Command]


def journaled(
    encode: Encoder,
) -> Callable[[Callable[Concatenate[S, P], R]], Callable[Concatenate[S, P], R]]:
    """Mark a service method as a sync op: on a replica its call is queued for the server.

    `encode(service, *args, **kwargs)` returns the op; it may add keyword arguments the
    local call must get too (the uid of a ticket made offline) by setting them in `kwargs`.
    Calls made inside another journaled call are part of that one op.
    """

    def wrap(method: Callable[Concatenate[S, P], R]) -> Callable[Concatenate[S, P], R]:
        def call(self: S, /, *args: P.args, **kwargs: P.kwargs) -> R:
            return as_op(self, encode, args, kwargs, lambda: method(self, *args, **kwargs))

        functools.update_wrapper(call, method)
        return call

    return wrap


def as_op(
    service: _HasStore,
    encode: Encoder,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    run: Callable[[], R],
) -> R:
    """`run()`, the service call with `args` and `kwargs`: on a replica, as one sync op.

    `encode` may add keyword arguments to `kwargs` that the local call must get too, so
    `run` reads `kwargs` after it. A call inside another op, a replayed op and a store
    that is not a replica just run.
    """
    if _command.get() is not None or _replaying.get() or not is_replica(service.store):
        return run()
    token = _command.set(encode(service, args, kwargs))
    try:
        return run()
    finally:
        _command.reset(token)


def refuse_offline(what: str) -> Encoder:
    """For calls a replica cannot queue: they name rows only the server can number, or
    change other people (groups, roles, tokens, organizations: an admin's, on the server)."""

    def encode(service: _HasStore, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Command:
        raise UsageError(
            f"{what} is done on the server, not on a replica:"
            " run it there (`deskterm --db SERVER_STORE ...`)"
        )

    return encode
