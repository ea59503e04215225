"""The server runs a replica's pushed ops again, through its own service, each exactly once.

A push is one transaction (`batch`): ops run in id order, each in a savepoint of its
own, as the agent whose token pushed them, and the batch commits once. An op the
service refuses rolls back alone (nothing of it stays) and is recorded as done with a
notice for its agent; the others commit. The replica's row in `sync_client` is locked
when the batch starts and its last op id written once before the commit, so an op
pushed twice (a lost answer, a retry, two pushes racing) is applied once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select, update

from deskterm.errors import DesktermError
from deskterm.store.queries.sync import notices_for, seen_at
from deskterm.store.schema.models import SyncClient, SyncNotice
from deskterm.store.schema.timefmt import utcnow
from deskterm.store.service.batch import batch
from deskterm.store.service.sync_ops import RUNNERS
from deskterm.store.service.unit_of_work import Actor, store_errors

if TYPE_CHECKING:
    from deskterm.store.schema.db import Store
    from deskterm.store.service import Service


@dataclass(frozen=True)
class Mutation:
    id: int
    name: str
    args: dict[str, Any]
    made_at: datetime | None = None  # when the replica made the change (its clock)


@dataclass(frozen=True)
class PushResult:
    last_mutation_id: int
    applied: list[Mutation]
    notices: dict[int, str] = field(default_factory=dict)


def apply_push(
    store: Store,
    make_service: Callable[[Actor], Service],
    actor: Actor,
    client_id: str,
    mutations: Sequence[Mutation],
) -> PushResult:
    applied: list[Mutation] = []
    notices: dict[int, str] = {}
    with store_errors(store), batch(store) as open_batch:
        done = _claim(open_batch.connection, _upsert(store), client_id, actor.agent_id)
        for mutation in sorted(mutations, key=lambda m: m.id):
            if mutation.id <= done:
                continue  # pushed before: its answer was lost, the op stands
            try:
                with open_batch.savepoint():
                    notice = _run(make_service(actor), mutation)
            except DesktermError as exc:
                notices[mutation.id] = str(exc)
            else:
                applied.append(mutation)
                if notice:
                    notices[mutation.id] = notice
            done = mutation.id
        _settle(open_batch.connection, _upsert(store), client_id, done, notices)
    ids = [m.id for m in mutations]
    return PushResult(done, applied, notices_for(store, client_id, ids))


def _run(service: Service, mutation: Mutation) -> str | None:
    runner = RUNNERS.get(mutation.name)
    if runner is None:
        raise DesktermError(f"the server does not know the change {mutation.name!r}")
    try:
        return runner(service, mutation.args)
    except (KeyError, TypeError) as exc:  # arguments a runner cannot take: refuse this op only
        raise DesktermError(
            f"the server could not read the change {mutation.name!r} ({type(exc).__name__}: {exc})"
        ) from exc


def _claim(conn: Connection, upsert: Any, client_id: str, agent_id: int | None) -> int:
    """How far the replica's ops got, its row locked until the batch commits: a second
    push of the same replica waits here, then skips what this one applied."""
    conn.execute(
        upsert(SyncClient)
        .values(client_id=client_id, agent_id=agent_id, last_mutation_id=0, last_seen_at=utcnow())
        .on_conflict_do_nothing(index_elements=["client_id"])
    )
    query = select(SyncClient.last_mutation_id).where(col(SyncClient.client_id) == client_id)
    return int(conn.execute(query.with_for_update()).scalar_one())  # SQLite: the batch's lock


def _settle(
    conn: Connection, upsert: Any, client_id: str, done: int, notices: dict[int, str]
) -> None:
    """Record every op of the push as done (made, or refused and unmade), with the notices."""
    conn.execute(
        update(SyncClient)
        .where(col(SyncClient.client_id) == client_id)
        .values(last_mutation_id=done, last_seen_at=utcnow())
    )
    if notices:
        conn.execute(
            upsert(SyncNotice).on_conflict_do_nothing(),
            [{"client_id": client_id, "mutation_id": k, "text": v} for k, v in notices.items()],
        )


def _upsert(store: Store) -> Any:
    """The store's INSERT with ON CONFLICT."""
    return postgresql.insert if store.dialect == "postgresql" else sqlite.insert


SEEN_EVERY = timedelta(minutes=1)


def note_seen(store: Store, client_id: str, agent_id: int) -> None:
    """A replica pushed or pulled: keep when, for the replicas-seen figure. One write a
    minute per replica at most: a pull is a read, and should not queue behind writers."""
    now = utcnow()
    last = seen_at(store, client_id)
    if last is not None and now - last < SEEN_EVERY:
        return
    upsert = (
        _upsert(store)(SyncClient)
        .values(client_id=client_id, agent_id=agent_id, last_mutation_id=0, last_seen_at=now)
        .on_conflict_do_update(index_elements=["client_id"], set_={"last_seen_at": now})
    )
    with store_errors(store), Session(store.engine()) as session:
        session.execute(upsert)
        session.commit()
