"""The service layer's base: transactions, audit events and shared lookups.

The service layer is the only code that changes the store. Every change runs in
one transaction that also writes its audit `Event`s and keeps the metric fields
and the search index in step. Callers get back numbers and ids, never live ORM
objects.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlmodel import Session, select

from deskterm.errors import NotFoundError, StoreError, UsageError
from deskterm.query import fts
from deskterm.store.schema.db import Store, describe
from deskterm.store.schema.models import Agent, Customer, Event, Message, Organization, Ticket
from deskterm.store.schema.timefmt import utcnow
from deskterm.store.service.tone import note_tone
from deskterm.vocab import EventKind, MessageKind

if TYPE_CHECKING:
    from deskterm.sla.policy import SlaSettings


# The one source of ticket numbers (the ingest batch writer runs it too). Two statements, not
# UPDATE ... RETURNING: a RETURNING statement opens a statement savepoint, at which FTS5 writes
# out the index rows pending in the transaction (70 µs a ticket in a batch of mail, not 10).
BUMP_TICKET_NUMBER = "UPDATE counter SET value = value + 1 WHERE name = 'ticket'"
LAST_TICKET_NUMBER = "SELECT value FROM counter WHERE name = 'ticket'"


@dataclass(frozen=True)
class Actor:
    """Who makes a change, as events record it."""

    agent_id: int | None
    label: str

    @classmethod
    def system(cls) -> Actor:
        return cls(None, "system")


@dataclass(frozen=True)
class Created:
    number: int
    ticket_id: int
    message_id: int


_UNSET: Any = object()


def normalize_tag(name: str) -> str:
    tag = "-".join(name.strip().lower().split())
    if not tag or "," in tag:
        raise UsageError(f"bad tag {name!r}: tags are single words without commas")
    return tag


class ServiceBase:
    """Plumbing for writes on behalf of one actor; `clock` is injectable for tests."""

    def __init__(
        self,
        store: Store,
        actor: Actor,
        clock: Callable[[], datetime] = utcnow,
        *,
        sla: SlaSettings | None = None,
    ) -> None:
        self.store = store
        self.actor = actor
        self.clock = clock
        self.sla = sla
        self._events_written = 0
        self._touched: dict[int, Ticket] = {}
        # Tickets written by plain statements (the ingest batch): the report rollups redo them.
        self._rollup_ids: set[int] = set()
        # (ticket, event kind, new value, event) of this transaction: the rules' triggers.
        self._changes: list[tuple[Ticket, str, str | None, Event]] = []
        self._tx_started = clock()

    @contextmanager
    def _tx(self) -> Iterator[Session]:
        try:
            with Session(self.store.engine(), expire_on_commit=False) as session:
                self._touched = {}
                self._changes = []
                self._tx_started = self.clock()
                yield session
                self._before_commit(session, list(self._touched.values()))
                session.commit()
        except IntegrityError as exc:
            raise StoreError(f"{self.store.path}: refused by the store ({exc.orig})") from exc
        except DBAPIError as exc:  # locked, corrupt, disk full, read-only
            raise describe(self.store.path, exc.orig) from exc  # type: ignore[arg-type]

    @contextmanager
    def _read_tx(self) -> Iterator[Session]:
        """A session that never takes the write lock and never commits."""
        engine = self.store.engine().execution_options(deskterm_read_only=True)
        try:
            with Session(engine) as session:
                yield session
                session.rollback()
        except DBAPIError as exc:
            raise describe(self.store.path, exc.orig) from exc  # type: ignore[arg-type]

    def _before_commit(self, s: Session, tickets: list[Ticket]) -> None:
        """Derived fields of every ticket this transaction changed (SLA due times)."""

    def _event(
        self,
        s: Session,
        ticket: Ticket,
        kind: EventKind,
        old: object = None,
        new: object = None,
        when: datetime | None = None,
    ) -> None:
        self._events_written += 1
        self._touched[ticket.id] = ticket  # type: ignore[index]
        event = Event(
            ticket_id=ticket.id,  # type: ignore[arg-type]
            actor_agent_id=self.actor.agent_id,
            actor=self.actor.label,
            kind=kind.value,
            old=None if old is None else str(old),
            new=None if new is None else str(new),
            created_at=when or self.clock(),
        )
        s.add(event)
        self._changes.append((ticket, event.kind, event.new, event))

    @staticmethod
    def _ticket(s: Session, number: int) -> Ticket:
        ticket = s.exec(select(Ticket).where(Ticket.number == number)).first()
        if ticket is None:
            raise NotFoundError(f"no ticket #{number}")
        return ticket

    @staticmethod
    def _next_number(s: Session) -> int:
        # One row, bumped inside the writer's transaction: numbers never repeat,
        # even after merges or under concurrent writers (BEGIN IMMEDIATE queues them).
        s.execute(text(BUMP_TICKET_NUMBER))
        return int(s.execute(text(LAST_TICKET_NUMBER)).scalar_one())

    def _customer(self, s: Session, email: str, name: str = "") -> Customer:
        email = email.strip().lower()
        if "@" not in email:
            raise UsageError(f"bad customer address {email!r}")
        customer = s.exec(select(Customer).where(Customer.email == email)).first()
        if customer is None:
            domain = email.rpartition("@")[2]
            org = s.exec(select(Organization).where(Organization.domain == domain)).first()
            customer = Customer(
                email=email,
                name=name.strip(),
                organization_id=org.id if org else None,
                created_at=self.clock(),
            )
            s.add(customer)
            s.flush()
        elif name.strip() and not customer.name:
            customer.name = name.strip()
        return customer

    @staticmethod
    def _agent(s: Session, key: str) -> Agent:
        agent = s.exec(
            select(Agent).where(
                (func.lower(Agent.email) == key.lower()) | (func.lower(Agent.name) == key.lower())
            )
        ).first()
        if agent is None:
            raise NotFoundError(f"no agent {key!r} (see `deskterm agent list`)")
        return agent

    def _agent_id(self, s: Session, key: str) -> int:
        """An agent by email or name; "me" is the acting agent."""
        if key.lower() == "me":
            if self.actor.agent_id is None:
                raise UsageError("'me' needs to know who you are: set [agent] email in the config")
            return self.actor.agent_id
        return self._agent(s, key).id  # type: ignore[return-value]

    def _add_message(
        self,
        s: Session,
        ticket: Ticket,
        kind: MessageKind,
        body: str,
        when: datetime,
        **fields: Any,
    ) -> Message:
        message = Message(
            ticket_id=ticket.id,  # type: ignore[arg-type]
            kind=kind.value,
            body_text=body,
            subject=fields.pop("subject", None) or ticket.subject,
            created_at=when,
            **fields,
        )
        s.add(message)
        s.flush()
        s.execute(
            text("INSERT INTO message_fts (rowid, text, cjk) VALUES (:id, :t, :c)"),
            dict(zip(("id", "t", "c"), (message.id, *fts.index_columns(body)), strict=True)),
        )
        if kind is MessageKind.CUSTOMER:
            note_tone(ticket, body, ticket.subject if ticket.message_count == 0 else "")
        ticket.message_count += 1
        ticket.updated_at = max(ticket.updated_at, when)
        return message

    def _index_subject(self, s: Session, ticket: Ticket, old: str | None = None) -> None:
        if old is not None:
            s.execute(
                text(
                    "INSERT INTO ticket_fts (ticket_fts, rowid, text, cjk)"
                    " VALUES ('delete', :id, :t, :c)"
                ),
                {"id": ticket.id, "t": fts.index_columns(old)[0], "c": fts.index_columns(old)[1]},
            )
        latin, cjk = fts.index_columns(ticket.subject)
        s.execute(
            text("INSERT INTO ticket_fts (rowid, text, cjk) VALUES (:id, :t, :c)"),
            {"id": ticket.id, "t": latin, "c": cjk},
        )


@contextmanager
def _same(session: Session) -> Iterator[Session]:
    """Run a nested step inside the caller's transaction."""
    yield session
