"""The service layer: the only code that changes the store.

Every change runs in one transaction that also writes its audit `Event`s and
keeps the metric fields (first_response_at, solved_at, reopen_count) and the
search index in step. Callers get back numbers and ids, never live ORM objects.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, text
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import Session, col, select

from deskterm.errors import NotFoundError, StoreError, UsageError
from deskterm.store import canned, fts
from deskterm.store.db import Store, describe
from deskterm.store.models import (
    Agent,
    AgentGroup,
    CannedReply,
    Customer,
    Event,
    GroupMember,
    Message,
    Organization,
    Tag,
    Ticket,
    TicketTag,
    View,
)
from deskterm.store.query_syntax import parse_query
from deskterm.store.timefmt import utcnow
from deskterm.store.vocab import (
    RESOLVED_STATUSES,
    EventKind,
    MessageKind,
    Priority,
    Role,
    Status,
    parse_choice,
)


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


class Service:
    """Writes on behalf of one actor; `clock` is injectable for tests and demo history."""

    def __init__(self, store: Store, actor: Actor, clock: Callable[[], datetime] = utcnow) -> None:
        self.store = store
        self.actor = actor
        self.clock = clock
        self._events_written = 0

    # -- plumbing -------------------------------------------------------------

    @contextmanager
    def _tx(self) -> Iterator[Session]:
        try:
            with Session(self.store.engine(), expire_on_commit=False) as session:
                yield session
                session.commit()
        except OperationalError as exc:
            raise describe(self.store.path, exc.orig) from exc  # type: ignore[arg-type]
        except IntegrityError as exc:
            raise StoreError(f"{self.store.path}: refused by the store ({exc.orig})") from exc

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
        s.add(
            Event(
                ticket_id=ticket.id,  # type: ignore[arg-type]
                actor_agent_id=self.actor.agent_id,
                actor=self.actor.label,
                kind=kind.value,
                old=None if old is None else str(old),
                new=None if new is None else str(new),
                created_at=when or self.clock(),
            )
        )

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
        return int(
            s.execute(
                text("UPDATE counter SET value = value + 1 WHERE name = 'ticket' RETURNING value")
            ).scalar_one()
        )

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

    # -- tickets --------------------------------------------------------------

    def create_ticket(
        self,
        subject: str,
        body: str,
        customer_email: str,
        customer_name: str = "",
        *,
        priority: str = Priority.NORMAL,
        status: str = Status.NEW,
        channel: str = "email",
        tags: Iterable[str] = (),
        assignee: str | None = None,
        group: str | None = None,
        when: datetime | None = None,
        message_fields: dict[str, Any] | None = None,
    ) -> Created:
        """A new ticket opened by the customer's first message."""
        subject = subject.strip() or "(no subject)"
        prio = parse_choice(Priority, priority, "priority")
        state = parse_choice(Status, status, "status")
        when = when or self.clock()
        with self._tx() as s:
            customer = self._customer(s, customer_email, customer_name)
            ticket = Ticket(
                number=self._next_number(s),
                subject=subject,
                status=state.value,
                priority=prio.value,
                channel=channel,
                customer_id=customer.id,  # type: ignore[arg-type]
                created_at=when,
                updated_at=when,
                solved_at=when if state in RESOLVED_STATUSES else None,
            )
            if assignee:
                ticket.assignee_id = self._agent_id(s, assignee)
            if group:
                ticket.group_id = self._group(s, group).id
            s.add(ticket)
            s.flush()
            self._index_subject(s, ticket)
            fields = {"from_addr": customer.email, "from_name": customer.name}
            fields.update(message_fields or {})
            message = self._add_message(
                s,
                ticket,
                MessageKind.CUSTOMER,
                body,
                when,
                author_customer_id=customer.id,
                **fields,
            )
            self._event(s, ticket, EventKind.CREATED, None, f"#{ticket.number}", when)
            for tag in tags:
                self._tag(s, ticket, normalize_tag(tag), add=True, when=when)
            return Created(ticket.number, ticket.id, message.id)  # type: ignore[arg-type]

    def add_customer_message(
        self,
        number: int,
        body: str,
        *,
        reopen: bool = True,
        when: datetime | None = None,
        message_fields: dict[str, Any] | None = None,
    ) -> int:
        """A customer wrote again: reopens a solved ticket and wakes a pending one."""
        when = when or self.clock()
        with self._tx() as s:
            ticket = self._ticket(s, number)
            customer = s.get(Customer, ticket.customer_id)
            assert customer is not None
            fields = {"from_addr": customer.email, "from_name": customer.name}
            fields.update(message_fields or {})
            message = self._add_message(
                s,
                ticket,
                MessageKind.CUSTOMER,
                body,
                when,
                author_customer_id=customer.id,
                **fields,
            )
            self._event(s, ticket, EventKind.CUSTOMER_MESSAGE, None, message.id, when)
            if reopen and ticket.status != Status.NEW:
                self._set_status(s, ticket, Status.OPEN, when)
            return message.id  # type: ignore[return-value]

    def add_reply(
        self, number: int, body: str, *, status: str | None = None, when: datetime | None = None
    ) -> int:
        """A public answer from the acting agent; the first one sets first_response_at."""
        return self._agent_message(number, body, MessageKind.REPLY, status, when)

    def add_note(self, number: int, body: str, *, when: datetime | None = None) -> int:
        """An internal note: never sent, never counts as a response."""
        return self._agent_message(number, body, MessageKind.NOTE, None, when)

    def _agent_message(
        self,
        number: int,
        body: str,
        kind: MessageKind,
        status: str | None,
        when: datetime | None,
        *,
        session: Session | None = None,
    ) -> int:
        if not body.strip():
            raise UsageError("the message is empty")
        when = when or self.clock()
        state = parse_choice(Status, status, "status") if status else None
        with self._tx() if session is None else _same(session) as s:
            ticket = self._ticket(s, number)
            agent = s.get(Agent, self.actor.agent_id) if self.actor.agent_id else None
            message = self._add_message(
                s,
                ticket,
                kind,
                body,
                when,
                author_agent_id=self.actor.agent_id,
                from_name=agent.name if agent else self.actor.label,
                from_addr=agent.email if agent else "",
            )
            event = EventKind.REPLY if kind is MessageKind.REPLY else EventKind.NOTE
            self._event(s, ticket, event, None, message.id, when)
            if kind is MessageKind.REPLY:
                if ticket.first_response_at is None:
                    ticket.first_response_at = when
                if state is None and ticket.status == Status.NEW:
                    state = Status.OPEN
            if state is not None:
                self._set_status(s, ticket, state, when)
            return message.id  # type: ignore[return-value]

    def _set_status(self, s: Session, ticket: Ticket, status: Status, when: datetime) -> None:
        old = Status(ticket.status)
        if old is status:
            return
        if old in RESOLVED_STATUSES and status not in RESOLVED_STATUSES:
            ticket.reopen_count += 1
            ticket.solved_at = None
            self._event(s, ticket, EventKind.REOPENED, old.value, status.value, when)
        if status in RESOLVED_STATUSES and ticket.solved_at is None:
            ticket.solved_at = when
        ticket.status = status.value
        ticket.updated_at = max(ticket.updated_at, when)
        self._event(s, ticket, EventKind.STATUS, old.value, status.value, when)

    def _tag(self, s: Session, ticket: Ticket, name: str, *, add: bool, when: datetime) -> None:
        tag = s.exec(select(Tag).where(Tag.name == name)).first()
        if tag is None:
            if not add:
                return
            tag = Tag(name=name)
            s.add(tag)
            s.flush()
        link = s.get(TicketTag, (ticket.id, tag.id))
        if add and link is None:
            s.add(TicketTag(ticket_id=ticket.id, tag_id=tag.id))  # type: ignore[arg-type]
            self._event(s, ticket, EventKind.TAG_ADDED, None, name, when)
        elif not add and link is not None:
            s.delete(link)
            self._event(s, ticket, EventKind.TAG_REMOVED, name, None, when)
        else:
            return
        ticket.updated_at = max(ticket.updated_at, when)

    def _group(self, s: Session, name: str) -> AgentGroup:
        group = s.exec(
            select(AgentGroup).where(func.lower(AgentGroup.name) == name.lower())
        ).first()
        if group is None:
            raise NotFoundError(f"no group {name!r} (see `deskterm groups list`)")
        return group

    def update_tickets(
        self,
        numbers: Sequence[int],
        *,
        status: str | None = None,
        priority: str | None = None,
        assignee: str | None = _UNSET,
        group: str | None = _UNSET,
        add_tags: Iterable[str] = (),
        remove_tags: Iterable[str] = (),
        subject: str | None = None,
    ) -> list[int]:
        """Change fields on several tickets at once, all or nothing.

        `assignee`/`group` of None clears them; leave them out to keep them.
        Returns the numbers that changed.
        """
        state = parse_choice(Status, status, "status") if status else None
        prio = parse_choice(Priority, priority, "priority") if priority else None
        adds = [normalize_tag(t) for t in add_tags]
        removes = [normalize_tag(t) for t in remove_tags]
        when = self.clock()
        changed: list[int] = []
        with self._tx() as s:
            agent_id = _UNSET
            if assignee is not _UNSET:
                agent_id = None if assignee is None else self._agent_id(s, assignee)
            group_id = _UNSET
            if group is not _UNSET:
                group_id = None if group is None else self._group(s, group).id
            for number in dict.fromkeys(numbers):
                ticket = self._ticket(s, number)
                before = self._events_written
                if state is not None:
                    self._set_status(s, ticket, state, when)
                if prio is not None and ticket.priority != prio.value:
                    self._event(s, ticket, EventKind.PRIORITY, ticket.priority, prio.value, when)
                    ticket.priority = prio.value
                if agent_id is not _UNSET and ticket.assignee_id != agent_id:
                    self._event(
                        s,
                        ticket,
                        EventKind.ASSIGNEE,
                        self._agent_label(s, ticket.assignee_id),
                        self._agent_label(s, agent_id),
                        when,
                    )
                    ticket.assignee_id = agent_id
                if group_id is not _UNSET and ticket.group_id != group_id:
                    self._event(
                        s,
                        ticket,
                        EventKind.GROUP,
                        self._group_label(s, ticket.group_id),
                        self._group_label(s, group_id),
                        when,
                    )
                    ticket.group_id = group_id
                if subject is not None and subject.strip() and subject.strip() != ticket.subject:
                    old = ticket.subject
                    ticket.subject = subject.strip()
                    self._index_subject(s, ticket, old)
                    self._event(s, ticket, EventKind.SUBJECT, old, ticket.subject, when)
                for tag in adds:
                    self._tag(s, ticket, tag, add=True, when=when)
                for tag in removes:
                    self._tag(s, ticket, tag, add=False, when=when)
                if self._events_written != before:
                    ticket.updated_at = max(ticket.updated_at, when)
                    changed.append(number)
        return changed

    @staticmethod
    def _agent_label(s: Session, agent_id: int | None) -> str | None:
        agent = s.get(Agent, agent_id) if agent_id else None
        return agent.email if agent else None

    @staticmethod
    def _group_label(s: Session, group_id: int | None) -> str | None:
        group = s.get(AgentGroup, group_id) if group_id else None
        return group.name if group else None

    def set_status(self, number: int, status: str) -> bool:
        return bool(self.update_tickets([number], status=status))

    def set_priority(self, number: int, priority: str) -> bool:
        return bool(self.update_tickets([number], priority=priority))

    def set_assignee(self, number: int, agent: str | None) -> bool:
        return bool(self.update_tickets([number], assignee=agent))

    def set_group(self, number: int, group: str | None) -> bool:
        return bool(self.update_tickets([number], group=group))

    def add_tags(self, number: int, tags: Iterable[str]) -> bool:
        return bool(self.update_tickets([number], add_tags=tags))

    def remove_tags(self, number: int, tags: Iterable[str]) -> bool:
        return bool(self.update_tickets([number], remove_tags=tags))

    def merge(self, source: int, target: int) -> None:
        """Move every message of `source` into `target`; `source` closes, pointing there."""
        if source == target:
            raise UsageError("cannot merge a ticket into itself")
        when = self.clock()
        with self._tx() as s:
            src, dst = self._ticket(s, source), self._ticket(s, target)
            if src.merged_into_id is not None:
                raise UsageError(f"ticket #{source} is already merged into another ticket")
            if dst.merged_into_id is not None:
                raise UsageError(
                    f"ticket #{target} was merged away; merge into the ticket it joined"
                )
            moved = s.exec(select(Message).where(Message.ticket_id == src.id)).all()
            for message in moved:
                message.ticket_id = dst.id  # type: ignore[assignment]
            dst.message_count += src.message_count
            src.message_count = 0
            tags = s.exec(select(Tag).join(TicketTag).where(TicketTag.ticket_id == src.id)).all()
            for tag in tags:
                self._tag(s, dst, tag.name, add=True, when=when)
            if src.first_response_at and (
                dst.first_response_at is None or src.first_response_at < dst.first_response_at
            ):
                dst.first_response_at = src.first_response_at
            src.merged_into_id = dst.id
            self._set_status(s, src, Status.CLOSED, when)
            self._event(s, src, EventKind.MERGED_INTO, None, f"#{dst.number}", when)
            self._event(s, dst, EventKind.MERGED_FROM, None, f"#{src.number}", when)
            self._add_message(
                s, src, MessageKind.SYSTEM, f"Merged into ticket #{dst.number}.", when
            )
            self._add_message(
                s,
                dst,
                MessageKind.SYSTEM,
                f"Ticket #{src.number} ({src.subject}) was merged into this one.",
                when,
            )

    def split(self, number: int, message_id: int) -> Created:
        """A new ticket from `message_id` and every later message of the thread."""
        when = self.clock()
        with self._tx() as s:
            ticket = self._ticket(s, number)
            start = s.get(Message, message_id)
            if start is None or start.ticket_id != ticket.id:
                raise NotFoundError(f"ticket #{number} has no message {message_id}")
            thread = s.exec(
                select(Message)
                .where(Message.ticket_id == ticket.id)
                .order_by(col(Message.created_at), col(Message.id))
            ).all()
            index = next(i for i, m in enumerate(thread) if m.id == message_id)
            if index == 0:
                raise UsageError("cannot split from the first message: nothing would remain")
            moved = thread[index:]
            author = next((m.author_customer_id for m in moved if m.author_customer_id), None)
            new = Ticket(
                number=self._next_number(s),
                subject=start.subject or ticket.subject,
                status=Status.OPEN.value,
                priority=ticket.priority,
                channel=ticket.channel,
                customer_id=author or ticket.customer_id,
                assignee_id=ticket.assignee_id,
                group_id=ticket.group_id,
                created_at=start.created_at,
                updated_at=when,
                message_count=len(moved),
                first_response_at=next(
                    (m.created_at for m in moved if m.kind == MessageKind.REPLY), None
                ),
            )
            s.add(new)
            s.flush()
            self._index_subject(s, new)
            for message in moved:
                message.ticket_id = new.id  # type: ignore[assignment]
            ticket.message_count -= len(moved)
            ticket.updated_at = when
            for tag in s.exec(select(Tag).join(TicketTag).where(TicketTag.ticket_id == ticket.id)):
                s.add(TicketTag(ticket_id=new.id, tag_id=tag.id))  # type: ignore[arg-type]
            self._event(s, new, EventKind.CREATED, None, f"#{new.number}", when)
            self._event(s, new, EventKind.SPLIT_FROM, None, f"#{ticket.number}", when)
            self._event(s, ticket, EventKind.SPLIT_TO, None, f"#{new.number}", when)
            self._add_message(
                s,
                ticket,
                MessageKind.SYSTEM,
                f"{len(moved)} message(s) moved to ticket #{new.number}.",
                when,
            )
            return Created(new.number, new.id, message_id)  # type: ignore[arg-type]

    # -- canned replies -------------------------------------------------------

    def render_canned(self, number: int, name: str) -> tuple[str, dict[str, Any]]:
        """The rendered body and the actions of canned reply `name` for ticket `number`."""
        with self._tx() as s:
            reply = self._canned(s, name)
            return (
                canned.render(name, reply.body, self._context(s, self._ticket(s, number))),
                json.loads(reply.actions or "{}"),
            )

    def _context(self, s: Session, ticket: Ticket) -> dict[str, dict[str, Any]]:
        customer = s.get(Customer, ticket.customer_id)
        assert customer is not None
        org = s.get(Organization, customer.organization_id) if customer.organization_id else None
        agent = s.get(Agent, self.actor.agent_id) if self.actor.agent_id else None
        tags = s.exec(select(Tag.name).join(TicketTag).where(TicketTag.ticket_id == ticket.id))
        group = s.get(AgentGroup, ticket.group_id) if ticket.group_id else None
        return canned.build_context(
            {
                "number": ticket.number,
                "subject": ticket.subject,
                "status": ticket.status,
                "priority": ticket.priority,
                "channel": ticket.channel,
                "created_at": ticket.created_at.strftime("%Y-%m-%d"),
                "tags": sorted(tags),
                "group": group.name if group else None,
            },
            {"name": customer.name, "email": customer.email},
            {"name": agent.name, "email": agent.email, "signature": agent.signature}
            if agent
            else {},
            {"name": org.name, "domain": org.domain} if org else None,
        )

    @staticmethod
    def _canned(s: Session, name: str) -> CannedReply:
        reply = s.exec(select(CannedReply).where(CannedReply.name == name)).first()
        if reply is None:
            raise NotFoundError(f"no canned reply named {name!r} (see `deskterm canned list`)")
        return reply

    def apply_canned(
        self, number: int, name: str, *, body: str | None = None, as_note: bool = False
    ) -> int:
        """Reply (or note) with canned reply `name` and run its actions, in one transaction.

        `body` replaces the rendered text (the agent edited it in the composer).
        """
        when = self.clock()
        with self._tx() as s:
            reply = self._canned(s, name)
            ticket = self._ticket(s, number)
            actions = json.loads(reply.actions or "{}")
            text_ = (
                body
                if body is not None
                else canned.render(name, reply.body, self._context(s, ticket))
            )
            kind = MessageKind.NOTE if as_note else MessageKind.REPLY
            message_id = self._agent_message(
                number, text_, kind, actions.get("status"), when, session=s
            )
            self._event(s, ticket, EventKind.CANNED, None, name, when)
            for tag in actions.get("add_tags", []):
                self._tag(s, ticket, normalize_tag(tag), add=True, when=when)
            if actions.get("priority"):
                prio = parse_choice(Priority, actions["priority"], "priority")
                if ticket.priority != prio.value:
                    self._event(s, ticket, EventKind.PRIORITY, ticket.priority, prio.value, when)
                    ticket.priority = prio.value
            if actions.get("assign"):
                agent_id = self._agent_id(s, actions["assign"])
                if agent_id is not None and ticket.assignee_id != agent_id:
                    self._event(
                        s,
                        ticket,
                        EventKind.ASSIGNEE,
                        self._agent_label(s, ticket.assignee_id),
                        self._agent_label(s, agent_id),
                        when,
                    )
                    ticket.assignee_id = agent_id
            return message_id

    def save_canned(
        self, name: str, body: str, actions: dict[str, Any] | None = None, *, create: bool = True
    ) -> None:
        """Add (or with create=False, replace) a canned reply; refuse a broken template."""
        name = name.strip()
        if not name:
            raise UsageError("a canned reply needs a name")
        canned.check(name, body)
        actions = validate_actions(actions or {})
        when = self.clock()
        with self._tx() as s:
            reply = s.exec(select(CannedReply).where(CannedReply.name == name)).first()
            if create and reply is not None:
                raise UsageError(f"canned reply {name!r} exists; use `deskterm canned edit`")
            if reply is None:
                if not create:
                    raise NotFoundError(f"no canned reply named {name!r}")
                reply = CannedReply(name=name, body=body, created_at=when, updated_at=when)
            reply.body = body
            reply.actions = json.dumps(actions, sort_keys=True)
            reply.updated_at = when
            s.add(reply)

    def remove_canned(self, name: str) -> None:
        with self._tx() as s:
            s.delete(self._canned(s, name))

    # -- people, groups, views -------------------------------------------------

    def add_agent(self, name: str, email: str, role: str = Role.AGENT) -> tuple[int, str]:
        """A new agent and their API token (shown once; only its hash is kept)."""
        role_ = parse_choice(Role, role, "role")
        token = secrets.token_urlsafe(32)
        with self._tx() as s:
            if s.exec(select(Agent).where(func.lower(Agent.email) == email.lower())).first():
                raise UsageError(f"an agent with address {email} exists")
            agent = Agent(
                name=name.strip(),
                email=email.strip().lower(),
                role=role_.value,
                token_hash=hash_token(token),
                created_at=self.clock(),
            )
            s.add(agent)
            s.flush()
            return agent.id, token  # type: ignore[return-value]

    def ensure_agent(self, name: str, email: str, role: str = Role.AGENT) -> int:
        """The id of the agent with `email`, creating it (with no token) if new."""
        with self._tx() as s:
            agent = s.exec(select(Agent).where(func.lower(Agent.email) == email.lower())).first()
            if agent is None:
                agent = Agent(name=name, email=email.lower(), role=role, created_at=self.clock())
                s.add(agent)
                s.flush()
            return agent.id  # type: ignore[return-value]

    def set_away(self, email: str, away: bool) -> None:
        with self._tx() as s:
            self._agent(s, email).away = away

    def add_group(self, name: str, members: Iterable[str] = ()) -> int:
        with self._tx() as s:
            group = s.exec(select(AgentGroup).where(AgentGroup.name == name)).first()
            if group is None:
                group = AgentGroup(name=name)
                s.add(group)
                s.flush()
            for key in members:
                agent = self._agent(s, key)
                if s.get(GroupMember, (group.id, agent.id)) is None:
                    s.add(GroupMember(group_id=group.id, agent_id=agent.id))  # type: ignore[arg-type]
            return group.id  # type: ignore[return-value]

    def add_organization(self, name: str, domain: str | None = None) -> int:
        """An organization; existing customers at `domain` join it."""
        with self._tx() as s:
            org = Organization(
                name=name, domain=domain.lower() if domain else None, created_at=self.clock()
            )
            s.add(org)
            s.flush()
            if domain:
                for customer in s.exec(
                    select(Customer).where(col(Customer.email).endswith("@" + domain.lower()))
                ):
                    customer.organization_id = org.id
            return org.id  # type: ignore[return-value]

    def save_view(self, name: str, query: str, position: int | None = None) -> None:
        parse_query(query)  # refuse a view whose query would fail every time
        with self._tx() as s:
            view = s.exec(select(View).where(View.name == name)).first()
            if position is None:
                position = int(s.exec(select(func.coalesce(func.max(View.position), 0))).one()) + 1
            if view is None:
                view = View(name=name, query=query, position=position)
            view.query, view.position = query, position
            s.add(view)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


_ACTION_KEYS = {"status", "priority", "add_tags", "assign"}


def validate_actions(actions: dict[str, Any]) -> dict[str, Any]:
    """Check a canned reply's actions before they are stored, with one-line errors."""
    unknown = set(actions) - _ACTION_KEYS
    if unknown:
        raise UsageError(
            f"unknown canned action {sorted(unknown)[0]!r}"
            f" (known: {', '.join(sorted(_ACTION_KEYS))})"
        )
    out: dict[str, Any] = {}
    if actions.get("status"):
        out["status"] = parse_choice(Status, actions["status"], "status").value
    if actions.get("priority"):
        out["priority"] = parse_choice(Priority, actions["priority"], "priority").value
    if actions.get("add_tags"):
        tags = actions["add_tags"]
        out["add_tags"] = [normalize_tag(t) for t in ([tags] if isinstance(tags, str) else tags)]
    if actions.get("assign"):
        out["assign"] = str(actions["assign"])
    return out


@contextmanager
def _same(session: Session) -> Iterator[Session]:
    """Run a nested step inside the caller's transaction."""
    yield session
