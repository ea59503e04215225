"""Ticket writes: creating, messages, fields, tags, merge and split."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from deskterm.errors import NotFoundError, UsageError
from deskterm.store.schema.models import (
    Agent,
    AgentGroup,
    Customer,
    Message,
    Tag,
    Ticket,
    TicketTag,
)
from deskterm.store.service.base import _UNSET, Created, ServiceBase, _same, normalize_tag
from deskterm.store.service.tone import refresh_tone
from deskterm.vocab import (
    RESOLVED_STATUSES,
    EventKind,
    MessageKind,
    Priority,
    Status,
    parse_choice,
)


class TicketWrites(ServiceBase):
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
        session: Session | None = None,
    ) -> Created:
        """A new ticket opened by the customer's first message (in `session` if given)."""
        subject = subject.strip() or "(no subject)"
        prio = parse_choice(Priority, priority, "priority")
        state = parse_choice(Status, status, "status")
        when = when or self.clock()
        with self._tx() if session is None else _same(session) as s:
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
            ticket = self._follow_merges(s, self._ticket(s, number))
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

    @staticmethod
    def _follow_merges(s: Session, ticket: Ticket) -> Ticket:
        """A ticket merged away hands new mail to the ticket it joined."""
        for _ in range(100):  # a merge chain, never a cycle; bounded all the same
            if ticket.merged_into_id is None:
                break
            target = s.get(Ticket, ticket.merged_into_id)
            if target is None:
                break
            ticket = target
        return ticket

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
                if prio is not None:
                    self._set_priority(s, ticket, prio, when)
                if agent_id is not _UNSET:
                    self._set_assignee(s, ticket, agent_id, when)
                if group_id is not _UNSET:
                    self._set_group(s, ticket, group_id, when)
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

    def _set_priority(self, s: Session, ticket: Ticket, prio: Priority, when: datetime) -> None:
        if ticket.priority != prio.value:
            self._event(s, ticket, EventKind.PRIORITY, ticket.priority, prio.value, when)
            ticket.priority = prio.value
            ticket.updated_at = max(ticket.updated_at, when)

    def _set_assignee(
        self, s: Session, ticket: Ticket, agent_id: int | None, when: datetime
    ) -> None:
        if ticket.assignee_id != agent_id:
            old, new = self._agent_label(s, ticket.assignee_id), self._agent_label(s, agent_id)
            self._event(s, ticket, EventKind.ASSIGNEE, old, new, when)
            ticket.assignee_id = agent_id
            ticket.updated_at = max(ticket.updated_at, when)

    def _set_group(self, s: Session, ticket: Ticket, group_id: int | None, when: datetime) -> None:
        if ticket.group_id != group_id:
            old, new = self._group_label(s, ticket.group_id), self._group_label(s, group_id)
            self._event(s, ticket, EventKind.GROUP, old, new, when)
            ticket.group_id = group_id
            ticket.updated_at = max(ticket.updated_at, when)

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
            refresh_tone(s, dst)

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
                .order_by(func.coalesce(Message.sent_at, Message.created_at), col(Message.id))
            ).all()  # the order the thread is shown in (a mail's own Date first)
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
            refresh_tone(s, ticket)
            refresh_tone(s, new)
            return Created(new.number, new.id, message_id)  # type: ignore[arg-type]
