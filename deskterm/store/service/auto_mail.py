"""Automatic mail: the acknowledgement of a new ticket, the solved notice, a rule's canned mail.

Loop-safe (RFC 3834): never to automatic mail, our own mailboxes, machine or
bounced addresses, and at most `auto_daily_cap` a day to one address. The
automatic reply's event is written but does not trigger rules.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import select

from deskterm import canned
from deskterm.store.schema.models import AutoMailLog, Customer, Message, Outbox, Ticket
from deskterm.store.service import lookups, outbox, records, sla, surveys
from deskterm.store.service.unit_of_work import Actor, UnitOfWork
from deskterm.vocab import RESOLVED_STATUSES, EventKind, MessageKind, Status

# Local parts that are machines, never people (RFC 3834 section 2).
_MACHINE_LOCALS = frozenset(
    {"mailer-daemon", "postmaster", "noreply", "no-reply", "donotreply", "do-not-reply"}
)
REPLYING = "deskterm.outbox.replying"  # Session.info key: tickets answered by mail in this tx


@dataclass(frozen=True)
class AutoMailResult:
    """An automatic mail queued (`outbox_id`) or not, and why not (`skipped`)."""

    outbox_id: int | None
    skipped: str | None = None


def acknowledge(uow: UnitOfWork, number: int, when: datetime | None = None) -> AutoMailResult:
    """The "we got your mail" answer to a new ticket, unless it must not get one.

    Skipped (with the reason) for automatic mail (message.auto_kind), our own
    addresses, machine or bounced addresses and past the daily cap.
    """
    ticket = lookups.ticket(uow.session, number)
    mail = uow.settings.mail
    if mail is None or not mail.auto_ack:
        return AutoMailResult(None, "acknowledgements are off")
    return queue_auto(uow, ticket, "auto_ack", when or uow.clock())


def for_rule(uow: UnitOfWork, ticket: Ticket, name: str, when: datetime) -> str:
    """A rule's automatic mail: canned reply `name` through the loop-safe path."""
    if uow.settings.mail is None:
        return f"auto mail {name!r} not sent: outgoing mail is off"
    template = lookups.canned_reply(uow.session, name).body
    result = queue_auto(uow, ticket, "rule", when, template=template)
    if result.outbox_id is None:
        return f"auto mail {name!r} not sent: {result.skipped}"
    return f"auto mail {name!r} queued"


def after_status_change(
    uow: UnitOfWork, ticket: Ticket, old: Status, status: Status, when: datetime
) -> None:
    """Solved: tell the customer (unless a reply in this change does). Reopened inside
    the undo window: the waiting solved notice is no longer true, take it back."""
    mail = uow.settings.mail
    if mail is None:
        return
    s = uow.session
    if status is Status.SOLVED and old not in RESOLVED_STATUSES:
        if mail.solved_notice and ticket.id not in s.info.get(REPLYING, ()):
            queue_auto(uow, ticket, "solved_notice", when)
    elif old in RESOLVED_STATUSES and status not in RESOLVED_STATUSES:
        for row in s.exec(
            select(Outbox).where(
                Outbox.ticket_id == ticket.id,
                Outbox.kind == "solved_notice",
                Outbox.state == "waiting",
            )
        ).all():
            message = s.get(Message, row.message_id)
            s.delete(row)
            s.flush()
            if message is not None:
                outbox.remove_message(uow, ticket, message)


def _skip(uow: UnitOfWork, ticket: Ticket, parent: Message | None, when: datetime) -> str | None:
    s, mail = uow.session, uow.settings.mail
    assert mail is not None
    customer = s.get(Customer, ticket.customer_id)
    assert customer is not None
    address = customer.email.lower()
    if ticket.channel != "email":
        return f"channel is {ticket.channel}"
    if parent is not None and parent.auto_kind not in (None, "", "none"):
        return f"the customer's mail is automatic ({parent.auto_kind})"
    if address in mail.own_addresses:
        return "the address is one of our mailboxes"
    local = address.partition("@")[0]
    if local in _MACHINE_LOCALS or local.startswith("owner-") or local.endswith("-request"):
        return "the address belongs to a machine"
    if customer.bounced_at is not None:
        return "the address bounced"
    sent = s.exec(
        select(AutoMailLog.id).where(
            AutoMailLog.address == address, AutoMailLog.sent_at > when - timedelta(days=1)
        )
    ).all()
    if len(sent) >= mail.auto_daily_cap:
        return f"daily cap of {mail.auto_daily_cap} automatic mails reached"
    return None


def queue_auto(
    uow: UnitOfWork, ticket: Ticket, kind: str, when: datetime, template: str | None = None
) -> AutoMailResult:
    """Queue an automatic mail of `kind`; `template` overrides the configured text."""
    s, mail = uow.session, uow.settings.mail
    assert mail is not None
    parent = outbox.last_customer_message(s, ticket)
    box = mail.outgoing(parent.mailbox if parent else None)
    if box is None:
        return AutoMailResult(None, "no [[mailbox]] with an smtp_host")
    skip = _skip(uow, ticket, parent, when)
    if skip:
        return AutoMailResult(None, skip)
    ack = kind == "auto_ack"
    if template is None:
        template = mail.auto_ack_template if ack else mail.solved_notice_template
    context: dict[str, Any] = _context(uow, ticket)
    context["mailbox"] = {"name": box.name, "address": box.address}
    due = _first_reply_due(uow, ticket, when)
    context["sla"] = {"first_response": f"{due.astimezone():%A %d %B, %H:%M %Z}"} if due else {}
    survey = kind == "solved_notice" and mail.survey_url
    context["survey"] = surveys.links_for(uow, ticket, mail.survey_url) if survey else {}
    body = canned.render(kind, template, context)
    from_name = box.name or box.address
    message = records.add_message(
        uow, ticket, MessageKind.REPLY, body, when, from_name=from_name, auto_kind="auto_reply"
    )
    with uow.acting_as(Actor.system()):
        records.write_event(
            uow,
            ticket.id,
            EventKind.REPLY,
            None,
            message.id,
            when,
            trigger=False,
        )
    undo = 0.0 if ack else mail.undo_seconds
    outbox_id = outbox.queue(
        uow, ticket, message, box, from_name, body, parent, [], kind=kind, undo=undo, auto=True
    )
    s.add(AutoMailLog(address=message.to_addrs, kind=kind, ticket_id=ticket.id, sent_at=when))
    return AutoMailResult(outbox_id)


def _first_reply_due(uow: UnitOfWork, ticket: Ticket, when: datetime) -> datetime | None:
    """When the first reply is due, for the acknowledgement: the commit computes due
    times, but the acknowledgement is written before it, so compute them now."""
    if uow.settings.sla is not None:
        sla.refresh(uow, ticket, when)
    return ticket.first_reply_due_at


def _context(uow: UnitOfWork, ticket: Ticket) -> dict[str, Any]:
    customer = uow.session.get(Customer, ticket.customer_id)
    assert customer is not None
    return canned.build_context(
        {"number": ticket.number, "subject": ticket.subject, "status": ticket.status},
        {"name": customer.name, "email": customer.email},
        {},
        None,
    )
