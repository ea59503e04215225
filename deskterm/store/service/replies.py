"""Agent replies and notes: stored on the ticket and, to an email ticket, queued as mail.

Mail is on when the unit's settings have `mail` (the Service's `with_mail`);
without it replies are stored only. Every reply path (add_reply, canned replies,
rules) comes through `agent_message`.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from deskterm.mail import compose as mc
from deskterm.store.schema.models import Agent, Message
from deskterm.store.service import lookups, outbox, records, tickets
from deskterm.store.service.auto_mail import REPLYING
from deskterm.store.service.unit_of_work import UnitOfWork
from deskterm.vocab import EventKind, MessageKind

if TYPE_CHECKING:
    from deskterm.config import MailboxConfig


def agent_message(
    uow: UnitOfWork,
    number: int,
    body: str,
    kind: MessageKind,
    status: str | None,
    when: datetime | None,
) -> int:
    """A reply or note of the acting agent; a reply is mailed where mail is on."""
    if kind is not MessageKind.REPLY or uow.settings.mail is None:
        return tickets.store_agent_message(uow, number, body, kind, status, when)
    return send_reply(uow, number, body, status, when, [], None, None, None)[0]


def send_reply(
    uow: UnitOfWork,
    number: int,
    body: str,
    status: str | None,
    when: datetime | None,
    files: list[mc.OutgoingAttachment],
    mailbox: MailboxConfig | None,
    undo_seconds: float | None,
    quote_original: bool | None,
) -> tuple[int, int | None]:
    """Reply and queue it as mail: (message id, outbox id or None if not mailed).

    Not mailed when the ticket's channel is not email or no [[mailbox]] has an
    smtp_host; the reply and its attachments are stored either way.
    """
    s, mail = uow.session, uow.settings.mail
    ticket = lookups.ticket(s, number)
    parent = outbox.last_customer_message(s, ticket)
    box = None
    if mail is not None and ticket.channel == "email":
        box = mailbox or mail.outgoing(parent.mailbox if parent else None)
    if box is not None:  # the solved notice is not needed: this reply tells them
        s.info.setdefault(REPLYING, set()).add(ticket.id)
    message_id = tickets.store_agent_message(uow, number, body, MessageKind.REPLY, status, when)
    message = s.get(Message, message_id)
    assert message is not None
    outbox.attach(s, message, files)
    if box is None or mail is None:
        if ticket.channel == "email":  # saved, but the customer will not get it
            records.write_event(uow, ticket.id, EventKind.NOT_MAILED, None, message_id)
        return message_id, None
    agent = s.get(Agent, uow.actor.agent_id) if uow.actor.agent_id else None
    name = agent.name if agent else ""
    from_name = f"{name} via {box.name}" if name and box.name else name or box.name
    quoted = ""
    if parent is not None and (mail.quote_original if quote_original is None else quote_original):
        quoted = mc.quote(parent.body_text, parent.from_name or parent.from_addr, parent.created_at)
    undo = mail.undo_seconds if undo_seconds is None else undo_seconds
    outbox_id = outbox.queue(
        uow,
        ticket,
        message,
        box,
        from_name,
        mc.full_body(body, agent.signature if agent else "", quoted),
        parent,
        files,
        kind="reply",
        undo=undo,
    )
    return message_id, outbox_id
