"""The outbox in the service layer: a message becomes a queued mail; cancel (undo) and retry.

A reply to an email ticket becomes an outbox row in the transaction that adds the
message, with its Message-ID, threading headers and bytes fixed there, so a
retry or a repeat after a crash sends the very same mail. The row waits out the
undo window (`not_before`); the sender (channels/sender.py) then moves it
waiting/retrying -> sending -> sent | retrying | failed through
`delivery.OutboxLedger`. Replies are queued by `replies`, automatic mail by
`auto_mail`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from sqlmodel import Session, col, select

from deskterm.errors import NotFoundError, UsageError
from deskterm.mail import compose as mc
from deskterm.mail.addresses import parse_addresses
from deskterm.store.schema.models import (
    Attachment,
    Customer,
    Message,
    MessageAttachment,
    Outbox,
    Ticket,
)
from deskterm.store.search.index import SearchIndex
from deskterm.store.service.delivery import MailSettings as MailSettings
from deskterm.store.service.records import stored
from deskterm.store.service.unit_of_work import UnitOfWork
from deskterm.vocab import EventKind, MessageKind

if TYPE_CHECKING:
    from deskterm.config import MailboxConfig

OPEN_STATES = ("waiting", "retrying", "failed")  # may still be taken back


def read_attachments(paths: Iterable[Path]) -> list[mc.OutgoingAttachment]:
    """Files to attach, read before the transaction so a bad path fails early."""
    out = []
    for path in paths:
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            raise UsageError(f"{path}: cannot attach ({exc.strerror})") from exc
        name = Path(path).name
        out.append(mc.OutgoingAttachment(name, data, mc.guess_mime_type(name)))
    return out


def last_customer_message(s: Session, ticket: Ticket) -> Message | None:
    return s.exec(
        select(Message)
        .where(Message.ticket_id == ticket.id, Message.kind == MessageKind.CUSTOMER.value)
        .order_by(col(Message.created_at).desc(), col(Message.id).desc())
    ).first()


def recipients(
    s: Session, mail: MailSettings, ticket: Ticket, parent: Message | None
) -> tuple[tuple[str, str], list[tuple[str, str]]]:
    """To: the customer; Cc: everyone else on the customer's last mail (reply-all)."""
    customer = s.get(Customer, ticket.customer_id)
    assert customer is not None
    to = (customer.name, customer.email)
    skip = {customer.email.lower()} | mail.own_addresses
    cc: list[tuple[str, str]] = []
    if parent is not None:
        header = ", ".join(x for x in (parent.from_addr, parent.to_addrs, parent.cc_addrs) if x)
        for address in parse_addresses(header):
            if address.valid and address.addr not in skip:
                skip.add(address.addr)
                cc.append((address.name, address.addr))
    return to, cc


def queue(
    uow: UnitOfWork,
    ticket: Ticket,
    message: Message,
    box: MailboxConfig,
    from_name: str,
    body: str,
    parent: Message | None,
    files: list[mc.OutgoingAttachment],
    *,
    kind: str,
    undo: float,
    auto: bool = False,
) -> int:
    """Fix the mail's headers on `message`, build its bytes, add the outbox row."""
    s, mail = uow.session, uow.settings.mail
    assert mail is not None
    to, cc = recipients(s, mail, ticket, parent)
    if parent is None or not parent.message_id:  # web form: thread onto our last mail
        parent = s.exec(
            select(Message)
            .where(Message.ticket_id == ticket.id, col(Message.message_id).is_not(None))
            .where(Message.id != message.id)
            .order_by(col(Message.created_at).desc(), col(Message.id).desc())
        ).first()
    rfc_id = mc.new_message_id(box.address.rpartition("@")[2])
    refs = mc.references_chain(
        parent.message_id if parent else None, parent.references if parent else None
    )
    subject = mc.reply_subject(ticket.subject, ticket.number, mail.subject_tag_prefix)
    message.message_id = rfc_id
    message.in_reply_to = parent.message_id if parent else None
    message.references = " ".join(refs) or None
    message.mailbox = box.address
    message.subject = subject
    message.from_name = from_name
    message.from_addr = box.address
    message.to_addrs = to[1]
    message.cc_addrs = ", ".join(addr for _, addr in cc)
    raw = mc.compose(
        mc.OutgoingMail(
            from_addr=box.address,
            from_name=from_name,
            to=(to,),
            cc=tuple(cc),
            subject=subject,
            body=body,
            message_id=rfc_id,
            date=message.created_at,
            in_reply_to=message.in_reply_to,
            references=refs,
            attachments=tuple(files),
            auto_submitted="auto-replied" if auto else None,
        )
    )
    not_before = message.created_at + timedelta(seconds=max(undo, 0.0))
    row = Outbox(
        message_id=stored(message.id),
        ticket_id=stored(ticket.id),
        kind=kind,
        mailbox=box.address,
        rfc_message_id=rfc_id,
        recipients=json.dumps([to[1], *(addr for _, addr in cc)]),
        raw=raw,
        state="waiting",
        not_before=not_before,
        next_attempt_at=not_before,
        created_at=message.created_at,
    )
    s.add(row)
    s.flush()
    return stored(row.id)


def attach(s: Session, message: Message, files: list[mc.OutgoingAttachment]) -> None:
    """Attachments stored once per content (sha256), linked to the message."""
    for item in files:
        s.add(
            MessageAttachment(
                message_id=stored(message.id),
                sha256=keep(s, item.data),
                filename=item.filename,
                mime_type=item.mime_type,
            )
        )


def keep(s: Session, data: bytes) -> str:
    """A file's contents, stored once however many messages carry it; its sha256."""
    digest = hashlib.sha256(data).hexdigest()
    if s.get(Attachment, digest) is None:
        s.add(Attachment(sha256=digest, size=len(data), data=data))
        s.flush()
    return digest


def cancel(uow: UnitOfWork, outbox_id: int) -> str:
    """Take back a mail not yet sent: the reply is removed; returns its text.

    Changes made with the reply (status, canned actions) stay. Too late once
    the sender has taken it (`sending`) or it went out.
    """
    s = uow.session
    row = s.get(Outbox, outbox_id)
    if row is None:
        raise NotFoundError(f"no outbox entry {outbox_id} (see `deskterm outbox ls`)")
    if row.state not in OPEN_STATES:
        raise UsageError(f"outbox entry {outbox_id} is {row.state}: too late to cancel")
    message = s.get(Message, row.message_id)
    ticket = s.get(Ticket, row.ticket_id)
    assert message is not None and ticket is not None
    s.delete(row)
    s.flush()
    remove_message(uow, ticket, message)
    return message.body_text


def remove_message(uow: UnitOfWork, ticket: Ticket, message: Message) -> None:
    """A queued reply taken back: its index row, files, `reply` event and counters go."""
    s, db = uow.session, uow.db
    SearchIndex(db).drop_messages([(stored(message.id), message.body_text)])
    shas = [sha for (sha,) in db.execute(
        "SELECT sha256 FROM message_attachment WHERE message_id = ?", (message.id,)
    )]  # fmt: skip
    db.execute("DELETE FROM message_attachment WHERE message_id = ?", (message.id,))
    for sha in shas:
        db.execute(
            "DELETE FROM attachment WHERE sha256 = :sha AND NOT EXISTS"
            " (SELECT 1 FROM message_attachment WHERE sha256 = :sha)",
            {"sha": sha},
        )
    events = db.execute(
        "DELETE FROM event WHERE ticket_id = ? AND kind = ? AND new = ? RETURNING id",
        (ticket.id, EventKind.REPLY.value, str(message.id)),
    ).fetchall()
    uow.forget([event_id for (event_id,) in events])
    s.delete(message)
    ticket.message_count -= 1
    if ticket.first_response_at == message.created_at and message.author_agent_id:
        ticket.first_response_at = s.exec(
            select(Message.created_at)
            .where(Message.ticket_id == ticket.id, Message.kind == MessageKind.REPLY.value)
            .where(Message.id != message.id, col(Message.author_agent_id).is_not(None))
            .order_by(col(Message.created_at))
        ).first()
    uow.touch(ticket.id, ticket, unrecorded=True)


def retry(uow: UnitOfWork, outbox_id: int) -> None:
    """Try a failed or retrying mail again now."""
    row = uow.session.get(Outbox, outbox_id)
    if row is None:
        raise NotFoundError(f"no outbox entry {outbox_id} (see `deskterm outbox ls`)")
    if row.state not in ("failed", "retrying"):
        raise UsageError(f"outbox entry {outbox_id} is {row.state}: nothing to retry")
    row.state = "retrying"
    row.next_attempt_at = uow.clock()
