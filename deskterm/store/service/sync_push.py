"""The server runs a replica's pushed ops again, through its own service, each exactly once.

Ops are applied in id order, each in its own transaction, as the agent whose token
pushed them. The journal hook records the op's id as done in the same transaction
(`applying`), so an op pushed twice (a lost answer, a retry, two pushes racing) is
applied once. An op the service refuses is recorded as done with a notice for its agent.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlmodel import Session

from deskterm.errors import DesktermError
from deskterm.store.queries.sync import last_mutation, notices_for
from deskterm.store.schema.models import SyncClient, SyncNotice
from deskterm.store.schema.timefmt import utcnow
from deskterm.store.service.sync_journal import AlreadyApplied, Applying, applying
from deskterm.store.service.sync_ops import RUNNERS
from deskterm.store.service.unit_of_work import Actor

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
    done, _owner = last_mutation(store, client_id)
    applied: list[Mutation] = []
    for mutation in sorted(mutations, key=lambda m: m.id):
        if mutation.id <= done:
            continue  # pushed before: its answer was lost, the op stands
        op = Applying(client_id, mutation.id, actor.agent_id)
        try:
            runner = RUNNERS.get(mutation.name)
            if runner is None:
                raise DesktermError(f"the server does not know the change {mutation.name!r}")
            with applying(op):
                notice = runner(make_service(actor), mutation.args)
        except AlreadyApplied:
            notice = None
        except DesktermError as exc:
            _record(store, op, str(exc), applied_=False)
        else:
            applied.append(mutation)
            if notice:
                _record(store, op, notice, applied_=True)
        done = mutation.id
    ids = [m.id for m in mutations]
    return PushResult(
        last_mutation(store, client_id)[0], applied, notices_for(store, client_id, ids)
    )


def _record(store: Store, op: Applying, text: str, *, applied_: bool) -> None:
    """A notice for the op; a refused op is also marked done (its change stays unmade)."""
    with Session(store.engine()) as session:
        client = session.get(SyncClient, op.client_id)
        if client is None:
            client = SyncClient(client_id=op.client_id, agent_id=op.agent_id, last_seen_at=utcnow())
        if not applied_:
            if client.last_mutation_id >= op.mutation_id:
                return
            client.last_mutation_id = op.mutation_id
            session.add(client)
        if session.get(SyncNotice, (op.client_id, op.mutation_id)) is None:
            session.add(SyncNotice(client_id=op.client_id, mutation_id=op.mutation_id, text=text))
        session.commit()
