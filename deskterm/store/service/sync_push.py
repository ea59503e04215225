"""The server runs a replica's pushed ops again, through its own service, each exactly once.

A push is one transaction (`batch`): ops run in id order, each in a savepoint of its
own, as the agent whose token pushed them, and the batch commits once. An op the
service refuses rolls back alone (nothing of it stays) and is recorded as done with a
notice for its agent; the others commit. The journal hook records each op's id as done
inside the op's own savepoint (`applying`), so an op pushed twice (a lost answer, a
retry, two pushes racing) is applied once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from deskterm.errors import DesktermError
from deskterm.store.queries.sync import last_mutation, notices_for, seen_at
from deskterm.store.schema.models import SyncClient, SyncNotice
from deskterm.store.schema.timefmt import utcnow
from deskterm.store.service.batch import Batch, batch
from deskterm.store.service.sync_journal import AlreadyApplied, Applying, applying
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
    with store_errors(store), batch(store) as open_batch:
        # Read with the batch's write lock held: no other push of this replica runs now.
        done, _owner = last_mutation(store, client_id)
        for mutation in sorted(mutations, key=lambda m: m.id):
            if mutation.id <= done:
                continue  # pushed before: its answer was lost, the op stands
            op = Applying(client_id, mutation.id, actor.agent_id)
            try:
                with open_batch.savepoint(), applying(op):
                    notice = _run(make_service(actor), mutation)
            except AlreadyApplied:
                pass
            except DesktermError as exc:
                _settle(open_batch, op, str(exc))
            else:
                applied.append(mutation)
                if notice or not op.marked:  # a runner may find nothing left to change
                    _settle(open_batch, op, notice)
            done = mutation.id
    ids = [m.id for m in mutations]
    return PushResult(
        last_mutation(store, client_id)[0], applied, notices_for(store, client_id, ids)
    )


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


def _settle(open_batch: Batch, op: Applying, notice: str | None) -> None:
    """Record the op as done (its change made, or refused and unmade) and keep its notice."""
    with open_batch.session() as session:
        client = session.get(SyncClient, op.client_id)
        if client is None:
            client = SyncClient(client_id=op.client_id, agent_id=op.agent_id, last_seen_at=utcnow())
        if client.last_mutation_id < op.mutation_id:
            client.last_mutation_id = op.mutation_id
            session.add(client)
        if notice and session.get(SyncNotice, (op.client_id, op.mutation_id)) is None:
            session.add(SyncNotice(client_id=op.client_id, mutation_id=op.mutation_id, text=notice))
        session.commit()


SEEN_EVERY = timedelta(minutes=1)


def note_seen(store: Store, client_id: str, agent_id: int) -> None:
    """A replica pushed or pulled: keep when, for the replicas-seen figure. One write a
    minute per replica at most: a pull is a read, and should not queue behind writers."""
    now = utcnow()
    last = seen_at(store, client_id)
    if last is not None and now - last < SEEN_EVERY:
        return
    insert = postgresql.insert if store.dialect == "postgresql" else sqlite.insert
    upsert = (
        insert(SyncClient)
        .values(client_id=client_id, agent_id=agent_id, last_mutation_id=0, last_seen_at=now)
        .on_conflict_do_update(index_elements=["client_id"], set_={"last_seen_at": now})
    )
    with store_errors(store), Session(store.engine()) as session:
        session.execute(upsert)
        session.commit()
