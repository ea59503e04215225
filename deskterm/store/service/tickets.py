"""Ticket writes over a unit of work: creating, messages, fields, tags, merge and split.

Each function changes the ticket, writes its events through `records` and leaves
the rest (rules, SLA, read marks) to the unit's before-commit hooks.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import col, select

from deskterm.errors import NotFoundError, UsageError
from deskterm.store.schema.models import Agent, Customer, Message, Tag, Ticket, TicketTag
from deskterm.store.schema.timefmt import to_db
from deskterm.store.search.index import SearchIndex
from deskterm.store.service import auto_mail, lookups, records
from deskterm.store.service.lookups import Created
from deskterm.store.service.records import stored
from deskterm.store.service.unit_of_work import UnitOfWork
from deskterm.vocab import EventKind, MessageKind, Priority, Status, parse_choice

UNSET: Any = object()
"""A field left out of `update_tickets` (None clears it)."""


def create_ticket(
    uow: UnitOfWork,
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
    uid: str | None = None,
) -> Created:
    """A new ticket opened by the customer's first message (`uid`: made on a replica)."""
    prio = parse_choice(Priority, priority, "priority")
    state = parse_choice(Status, status, "status")
    when = when or uow.clock()
    s = uow.session
    customer = lookups.customer(uow, customer_email, customer_name)
    assignee_id = lookups.agent_id(uow, assignee) if assignee else None
    group_id = lookups.group(s, group).id if group else None
    new = records.insert_ticket(
        uow.db, subject, stored(customer.id), to_db(when), status=state, priority=prio,
        channel=channel, assignee_id=assignee_id, group_id=group_id,
    )  # fmt: skip
    ticket = s.get(Ticket, new.id)
    assert ticket is not None
    ticket.uid = uid
    fields = {"from_addr": customer.email, "from_name": customer.name}
    fields.update(message_fields or {})
    message = records.add_message(
        uow, ticket, MessageKind.CUSTOMER, body, when, author_customer_id=customer.id, **fields
    )
    records.write_event(uow, new.id, EventKind.CREATED, None, f"#{new.number}", when)
    uow.touch(new.id, ticket)
    for tag in tags:
        set_tag(uow, ticket, lookups.normalize_tag(tag), add=True, when=when)
    return Created(new.number, stored(new.id), stored(message.id))


def add_customer_message(
    uow: UnitOfWork,
    number: int,
    body: str,
    *,
    reopen: bool = True,
    when: datetime | None = None,
    message_fields: dict[str, Any] | None = None,
) -> int:
    """A customer wrote again: reopens a solved ticket and wakes a pending one."""
    when = when or uow.clock()
    s = uow.session
    ticket = follow_merges(uow, lookups.ticket(s, number))
    customer = s.get(Customer, ticket.customer_id)
    assert customer is not None
    fields = {"from_addr": customer.email, "from_name": customer.name}
    fields.update(message_fields or {})
    message = records.add_message(
        uow, ticket, MessageKind.CUSTOMER, body, when, author_customer_id=customer.id, **fields
    )
    uow.touch(ticket.id, ticket)
    records.write_event(uow, ticket.id, EventKind.CUSTOMER_MESSAGE, None, message.id, when)
    if reopen and ticket.status != Status.NEW:
        set_status(uow, ticket, Status.OPEN, when)
    return stored(message.id)


def follow_merges(uow: UnitOfWork, ticket: Ticket) -> Ticket:
    """A ticket merged away hands new mail to the ticket it joined."""
    for _ in range(100):  # a merge chain, never a cycle; bounded all the same
        if ticket.merged_into_id is None:
            break
        target = uow.session.get(Ticket, ticket.merged_into_id)
        if target is None:
            break
        ticket = target
    return ticket


def store_agent_message(
    uow: UnitOfWork,
    number: int,
    body: str,
    kind: MessageKind,
    status: str | None,
    when: datetime | None,
) -> int:
    """A reply or note of the acting agent, stored (`replies.agent_message` also mails it).

    The first reply sets first_response_at and opens a new ticket.
    """
    if not body.strip():
        raise UsageError("the message is empty")
    when = when or uow.clock()
    state = parse_choice(Status, status, "status") if status else None
    s = uow.session
    ticket = lookups.ticket(s, number)
    actor = uow.actor
    agent = s.get(Agent, actor.agent_id) if actor.agent_id else None
    message = records.add_message(
        uow,
        ticket,
        kind,
        body,
        when,
        author_agent_id=actor.agent_id,
        from_name=agent.name if agent else actor.label,
        from_addr=agent.email if agent else "",
    )
    event = EventKind.REPLY if kind is MessageKind.REPLY else EventKind.NOTE
    uow.touch(ticket.id, ticket)
    records.write_event(uow, ticket.id, event, None, message.id, when)
    if kind is MessageKind.REPLY:
        if ticket.first_response_at is None:
            ticket.first_response_at = when
        if state is None and ticket.status == Status.NEW:
            state = Status.OPEN
    if state is not None:
        set_status(uow, ticket, state, when)
    return stored(message.id)


def set_status(uow: UnitOfWork, ticket: Ticket, status: Status, when: datetime) -> None:
    """The status change (`records.set_status`), then what it means for automatic mail."""
    old = Status(ticket.status)
    if records.set_status(uow, ticket, status, when):
        auto_mail.after_status_change(uow, ticket, old, status, when)


def set_tag(uow: UnitOfWork, ticket: Ticket, name: str, *, add: bool, when: datetime) -> None:
    s = uow.session
    tag = s.exec(select(Tag).where(Tag.name == name)).first()
    if tag is None:
        if not add:
            return
        tag = Tag(name=name)
        s.add(tag)
        s.flush()
    link = s.get(TicketTag, (ticket.id, tag.id))
    uow.touch(ticket.id, ticket)
    if add and link is None:
        s.add(TicketTag(ticket_id=stored(ticket.id), tag_id=stored(tag.id)))
        records.write_event(uow, ticket.id, EventKind.TAG_ADDED, None, name, when)
    elif not add and link is not None:
        s.delete(link)
        records.write_event(uow, ticket.id, EventKind.TAG_REMOVED, name, None, when)
    else:
        return
    ticket.updated_at = max(ticket.updated_at, when)


def set_priority(uow: UnitOfWork, ticket: Ticket, prio: Priority, when: datetime) -> None:
    if ticket.priority != prio.value:
        uow.touch(ticket.id, ticket)
        records.write_event(uow, ticket.id, EventKind.PRIORITY, ticket.priority, prio.value, when)
        ticket.priority = prio.value
        ticket.updated_at = max(ticket.updated_at, when)


def set_assignee(uow: UnitOfWork, ticket: Ticket, agent_id: int | None, when: datetime) -> None:
    if ticket.assignee_id != agent_id:
        s = uow.session
        old, new = lookups.agent_label(s, ticket.assignee_id), lookups.agent_label(s, agent_id)
        uow.touch(ticket.id, ticket)
        records.write_event(uow, ticket.id, EventKind.ASSIGNEE, old, new, when)
        ticket.assignee_id = agent_id
        ticket.updated_at = max(ticket.updated_at, when)


def set_group(uow: UnitOfWork, ticket: Ticket, group_id: int | None, when: datetime) -> None:
    if ticket.group_id != group_id:
        s = uow.session
        old, new = lookups.group_label(s, ticket.group_id), lookups.group_label(s, group_id)
        uow.touch(ticket.id, ticket)
        records.write_event(uow, ticket.id, EventKind.GROUP, old, new, when)
        ticket.group_id = group_id
        ticket.updated_at = max(ticket.updated_at, when)


def set_subject(uow: UnitOfWork, ticket: Ticket, subject: str, when: datetime) -> None:
    subject = subject.strip()
    if not subject or subject == ticket.subject:
        return
    old = ticket.subject
    ticket.subject = subject
    SearchIndex(uow.db).change_ticket(stored(ticket.id), old, subject)
    uow.touch(ticket.id, ticket)
    records.write_event(uow, ticket.id, EventKind.SUBJECT, old, subject, when)


def update_tickets(
    uow: UnitOfWork,
    numbers: Sequence[int],
    *,
    status: str | None = None,
    priority: str | None = None,
    assignee: str | None = UNSET,
    group: str | None = UNSET,
    add_tags: Iterable[str] = (),
    remove_tags: Iterable[str] = (),
    subject: str | None = None,
) -> list[int]:
    """Change fields on several tickets at once; returns the numbers that changed.

    `assignee`/`group` of None clears them; UNSET keeps them.
    """
    state = parse_choice(Status, status, "status") if status else None
    prio = parse_choice(Priority, priority, "priority") if priority else None
    adds = [lookups.normalize_tag(t) for t in add_tags]
    removes = [lookups.normalize_tag(t) for t in remove_tags]
    when = uow.clock()
    changed: list[int] = []
    s = uow.session
    agent_id = UNSET
    if assignee is not UNSET:
        agent_id = None if assignee is None else lookups.agent_id(uow, assignee)
    group_id = UNSET
    if group is not UNSET:
        group_id = None if group is None else lookups.group(s, group).id
    for number in dict.fromkeys(numbers):
        ticket = lookups.ticket(s, number)
        before = len(uow.events)
        if state is not None:
            set_status(uow, ticket, state, when)
        if prio is not None:
            set_priority(uow, ticket, prio, when)
        if agent_id is not UNSET:
            set_assignee(uow, ticket, agent_id, when)
        if group_id is not UNSET:
            set_group(uow, ticket, group_id, when)
        if subject is not None:
            set_subject(uow, ticket, subject, when)
        for tag in adds:
            set_tag(uow, ticket, tag, add=True, when=when)
        for tag in removes:
            set_tag(uow, ticket, tag, add=False, when=when)
        if len(uow.events) != before:
            ticket.updated_at = max(ticket.updated_at, when)
            changed.append(number)
    return changed


def merge(uow: UnitOfWork, source: int, target: int) -> None:
    """Move every message of `source` into `target`; `source` closes, pointing there."""
    if source == target:
        raise UsageError("cannot merge a ticket into itself")
    when = uow.clock()
    s = uow.session
    src, dst = lookups.ticket(s, source), lookups.ticket(s, target)
    if src.merged_into_id is not None:
        raise UsageError(f"ticket #{source} is already merged into another ticket")
    if dst.merged_into_id is not None:
        raise UsageError(f"ticket #{target} was merged away; merge into the ticket it joined")
    moved = s.exec(select(Message).where(Message.ticket_id == src.id)).all()
    for message in moved:
        message.ticket_id = stored(dst.id)
    dst.message_count += src.message_count
    src.message_count = 0
    tags = s.exec(select(Tag).join(TicketTag).where(TicketTag.ticket_id == src.id)).all()
    for tag in tags:
        set_tag(uow, dst, tag.name, add=True, when=when)
    if src.first_response_at and (
        dst.first_response_at is None or src.first_response_at < dst.first_response_at
    ):
        dst.first_response_at = src.first_response_at
    src.merged_into_id = dst.id
    set_status(uow, src, Status.CLOSED, when)
    uow.touch(src.id, src)
    uow.touch(dst.id, dst)
    records.write_event(uow, src.id, EventKind.MERGED_INTO, None, f"#{dst.number}", when)
    records.write_event(uow, dst.id, EventKind.MERGED_FROM, None, f"#{src.number}", when)
    records.add_message(uow, src, MessageKind.SYSTEM, f"Merged into ticket #{dst.number}.", when)
    records.add_message(
        uow,
        dst,
        MessageKind.SYSTEM,
        f"Ticket #{src.number} ({src.subject}) was merged into this one.",
        when,
    )
    _refresh_tones(uow, dst)


def split(uow: UnitOfWork, number: int, message_id: int) -> Created:
    """A new ticket from `message_id` and every later message of the thread."""
    when = uow.clock()
    s = uow.session
    ticket = lookups.ticket(s, number)
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
    made = records.insert_ticket(
        uow.db, start.subject or ticket.subject, author or ticket.customer_id,
        to_db(start.created_at), status=Status.OPEN, priority=Priority(ticket.priority),
        channel=ticket.channel, assignee_id=ticket.assignee_id, group_id=ticket.group_id,
    )  # fmt: skip
    new = s.get(Ticket, made.id)
    assert new is not None
    new.updated_at = when
    new.message_count = len(moved)
    new.first_response_at = next((m.created_at for m in moved if m.kind == MessageKind.REPLY), None)
    for message in moved:
        message.ticket_id = stored(new.id)
    ticket.message_count -= len(moved)
    ticket.updated_at = when
    for tag in s.exec(select(Tag).join(TicketTag).where(TicketTag.ticket_id == ticket.id)):
        s.add(TicketTag(ticket_id=stored(new.id), tag_id=stored(tag.id)))
    uow.touch(made.id, new)
    uow.touch(ticket.id, ticket)
    records.write_event(uow, made.id, EventKind.CREATED, None, f"#{made.number}", when)
    records.write_event(uow, made.id, EventKind.SPLIT_FROM, None, f"#{ticket.number}", when)
    records.write_event(uow, ticket.id, EventKind.SPLIT_TO, None, f"#{made.number}", when)
    records.add_message(
        uow,
        ticket,
        MessageKind.SYSTEM,
        f"{len(moved)} message(s) moved to ticket #{made.number}.",
        when,
    )
    SearchIndex(uow.db).retext([made.id])  # its messages came after its row was written
    _refresh_tones(uow, ticket, new)
    return Created(made.number, made.id, message_id)


def _refresh_tones(uow: UnitOfWork, *tickets: Ticket) -> None:
    """Read the tone of tickets whose messages moved (imported here, not at the top:
    the cue tables cost every other write)."""
    from deskterm.store.service.tone import refresh_tone

    for ticket in tickets:
        refresh_tone(uow.session, ticket)
