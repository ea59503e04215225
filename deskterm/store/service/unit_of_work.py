"""The unit of work: one change to the store, as an explicit transaction object.

Every write opens a `UnitOfWork` (`transaction`). While the change runs, the
recording functions (`records`) write its rows and tell the unit what they did:
which tickets were touched and which events were written. Before the commit the
unit runs the hooks of `hooks.BEFORE_COMMIT` in order, each with the unit, inside
the same transaction: a hook's writes commit (or fail) with their cause, and a
hook that raises rolls the whole change back.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, cast

from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlmodel import Session

from deskterm.errors import StoreError
from deskterm.rules.engine import Fired, RuleSet
from deskterm.store.schema.db import Store, describe, plain_connection
from deskterm.store.schema.models import Ticket
from deskterm.store.service.batch import Batch, joined

if TYPE_CHECKING:
    import psycopg

    from deskterm.sla.policy import SlaSettings
    from deskterm.store.service.delivery import MailSettings

Hook = Callable[["UnitOfWork"], None]
"""A before-commit hook: gets the unit of work, writes through its session, returns nothing."""


@dataclass(frozen=True)
class Actor:
    """Who makes a change, as events record it."""

    agent_id: int | None
    label: str

    @classmethod
    def system(cls) -> Actor:
        return cls(None, "system")


@dataclass(frozen=True)
class Settings:
    """What the hooks and the areas need to know beyond the change itself."""

    sla: SlaSettings | None = None
    rules: RuleSet = field(default_factory=RuleSet)
    mail: MailSettings | None = None


@dataclass(frozen=True, slots=True)
class Recorded:
    """One event row this unit wrote (ids are final: the row is in the transaction)."""

    id: int
    ticket_id: int
    kind: str
    old: str | None
    new: str | None
    created_at: datetime
    actor: str
    actor_agent_id: int | None


@dataclass(frozen=True, slots=True)
class Mark:
    """How far a unit had got, to go back to when a savepoint is rolled back."""

    touched: dict[int, Ticket | None]
    unrecorded: frozenset[int]
    events: int
    triggers: int


class UnitOfWork:
    """One transaction's change: its session, who makes it, what it touched and wrote.

    Hooks read `touched_ids`, `tickets()`, `events` and write through `session`
    (ORM) or `db` (the same transaction's sqlite3 connection, for plain statements).
    """

    def __init__(
        self,
        session: Session,
        actor: Actor,
        clock: Callable[[], datetime],
        settings: Settings,
    ) -> None:
        self.session = session
        self.actor = actor
        self.clock = clock
        self.settings = settings
        self.started = clock()
        # ticket id -> the ORM object when the writer had one (loaded on demand otherwise)
        self.touched: dict[int, Ticket | None] = {}
        # tickets whose rows changed in ways no event of this unit tells (tracked time,
        # a queued reply taken back): a hook cannot judge their change by its events
        self.unrecorded: set[int] = set()
        self.events: list[Recorded] = []  # every event row written, in order
        self.triggers: list[Recorded] = []  # events the rules have not looked at yet
        self.fired: list[Fired] = []  # the rules that fired, with what they did
        self.batch: Batch | None = None  # the batch this unit joined (hooks may defer to it)

    @property
    def db(self) -> sqlite3.Connection:
        """The transaction's own sqlite3 connection (inside any open savepoint).

        Plain statements on it see the session's rows once they are flushed. Asked for
        anew each time: asking is what makes SQLAlchemy open a pending SAVEPOINT.
        """
        return plain_connection(self.session.connection())

    @property
    def touched_ids(self) -> list[int]:
        return list(self.touched)

    def touch(
        self, ticket_id: int | None, ticket: Ticket | None = None, *, unrecorded: bool = False
    ) -> None:
        """Ticket `ticket_id` changed in this unit (its derived fields are due again).

        `unrecorded`: the change writes no event that says what it was.
        """
        assert ticket_id is not None, "only a stored ticket can be touched"
        if unrecorded:
            self.unrecorded.add(ticket_id)
        if ticket is not None or ticket_id not in self.touched:
            self.touched[ticket_id] = ticket

    def record(self, event: Recorded, *, trigger: bool = True) -> None:
        """An event row was written; `trigger=False` keeps it from the rules (automatic mail)."""
        self.events.append(event)
        if trigger:
            self.touch(event.ticket_id)
            self.triggers.append(event)

    def forget(self, event_ids: Sequence[int]) -> None:
        """Events this unit wrote were deleted again (a queued reply taken back)."""
        gone = set(event_ids)
        self.events = [e for e in self.events if e.id not in gone]
        self.triggers = [e for e in self.triggers if e.id not in gone]

    def ticket(self, ticket_id: int) -> Ticket:
        """The touched ticket as an ORM object (loaded once, then the writer's own)."""
        ticket = self.touched.get(ticket_id)
        if ticket is None:
            ticket = self.session.get(Ticket, ticket_id)
            assert ticket is not None, f"ticket {ticket_id} was touched but is gone"
            if ticket_id in self.touched:
                self.touched[ticket_id] = ticket
        return ticket

    def tickets(self) -> list[Ticket]:
        """Every touched ticket as an ORM object, in the order they were first touched."""
        return [self.ticket(ticket_id) for ticket_id in list(self.touched)]

    def written_elsewhere(self, ticket_ids: Sequence[int]) -> None:
        """Plain statements changed these tickets' rows: reload their ORM objects on use."""
        self.session.flush()
        for ticket_id in ticket_ids:
            self.touched[ticket_id] = None
            self.unrecorded.add(ticket_id)
        # The session holds few objects: one pass over them, not a key lookup per ticket.
        changed = set(ticket_ids)
        for held in list(self.session.identity_map.values()):
            if isinstance(held, Ticket) and held.id in changed:
                self.session.expire(held)

    @contextmanager
    def acting_as(self, actor: Actor) -> Iterator[None]:
        """Write as `actor` for a while (a rule's actions, automatic mail)."""
        saved, self.actor = self.actor, actor
        try:
            yield
        finally:
            self.actor = saved

    def mark(self) -> Mark:
        return Mark(
            dict(self.touched), frozenset(self.unrecorded), len(self.events), len(self.triggers)
        )

    def back_to(self, mark: Mark) -> None:
        """A savepoint was rolled back: forget what was recorded inside it."""
        self.touched = mark.touched
        self.unrecorded = set(mark.unrecorded)
        del self.events[mark.events :]
        del self.triggers[mark.triggers :]

    def run_hooks(self, hooks: Sequence[Hook]) -> None:
        for hook in hooks:
            hook(self)


@contextmanager
def transaction(
    store: Store,
    actor: Actor,
    clock: Callable[[], datetime],
    settings: Settings,
    hooks: Sequence[Hook],
) -> Iterator[UnitOfWork]:
    """One unit of work: the body's writes, then `hooks` in order, then one commit.

    Anything raised (by the body or a hook) rolls everything back; store failures
    become one-line `StoreError`s naming the file. Inside an open `batch.batch` the
    unit is a savepoint of the batch's transaction: its commit is the batch's.
    """
    open_batch = joined(store)
    session = (
        Session(store.engine(), expire_on_commit=False)
        if open_batch is None
        else open_batch.session()
    )
    with store_errors(store), store.writing(), session:
        uow = UnitOfWork(session, actor, clock, settings)
        uow.batch = open_batch
        yield uow
        uow.run_hooks(hooks)
        session.commit()


@contextmanager
def store_errors(store: Store) -> Iterator[None]:
    """Store failures inside the block become one-line `StoreError`s naming the store."""
    try:
        yield
    except IntegrityError as exc:
        raise StoreError(f"{store.where}: refused by the store ({exc.orig})") from exc
    except sqlite3.IntegrityError as exc:  # the same, from a plain statement on `db`
        raise StoreError(f"{store.path}: refused by the store ({exc})") from exc
    except DBAPIError as exc:  # locked, corrupt, disk full, read-only; unreachable
        if store.url is not None:
            from deskterm.store.schema.pg import describe as pg_describe

            raise pg_describe(store.where, cast("psycopg.Error", exc.orig)) from exc
        raise describe(store.path, cast(sqlite3.Error, exc.orig)) from exc
    except sqlite3.Error as exc:
        raise describe(store.path, exc) from exc
