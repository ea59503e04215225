"""Outgoing mail in the service layer: the outbox, undo, delivery states, automatic mail.

A reply to an email ticket becomes an outbox row in the transaction that adds the
message, with its Message-ID, threading headers and bytes fixed there, so a
retry or a repeat after a crash sends the very same mail. The row waits out the
undo window (`not_before`); the sender (channels/sender.py) then moves it
waiting/retrying -> sending -> sent | retrying | failed through
`outbox_delivery.OutboxLedger`. Cancel (undo) and retry are here.

Mail is on when the service has `mail` settings (`with_mail`); without them
replies are stored only, as before.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

from sqlalchemy import text
from sqlmodel import Session, col, select

from deskterm import canned
from deskterm.errors import NotFoundError, UsageError
from deskterm.mail import compose as mc
from deskterm.mail.addresses import parse_addresses
from deskterm.query import fts
from deskterm.store.schema.models import (
    Agent,
    Attachment,
    AutoMailLog,
    Customer,
    Event,
    Message,
    MessageAttachment,
    Outbox,
    Ticket,
)
from deskterm.store.service.base import _same
from deskterm.store.service.delivery import MailSettings as MailSettings
from deskterm.store.service.tickets import TicketWrites
from deskterm.vocab import RESOLVED_STATUSES, EventKind, MessageKind, Status

if TYPE_CHECKING:
    from deskterm.config import MailboxConfig

# Local parts that are machines, never people (RFC 3834 section 2).
_MACHINE_LOCALS = frozenset(
    {"mailer-daemon", "postmaster", "noreply", "no-reply", "donotreply", "do-not-reply"}
)
_REPLYING = "deskterm.outbox.replying"  # Session.info key: tickets answered in this tx
OPEN_STATES = ("waiting", "retrying", "failed")  # may still be taken back


@dataclass(frozen=True)
class AutoMailResult:
    """An automatic mail queued (`outbox_id`) or not, and why not (`skipped`)."""

    outbox_id: int | None
    skipped: str | None = None


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


class OutboxWrites(TicketWrites):
    mail: MailSettings | None = None
    """Outgoing mail settings; None keeps replies in the store only."""

    def with_mail(self, settings: MailSettings | None) -> Self:
        self.mail = settings
        return self

    # -- replies -------------------------------------------------------------------

    def send_reply(
        self,
        number: int,
        body: str,
        *,
        attachments: Sequence[Path] = (),
        status: str | None = None,
        mailbox: MailboxConfig | None = None,
        undo_seconds: float | None = None,
        quote_original: bool | None = None,
        when: datetime | None = None,
    ) -> tuple[int, int | None]:
        """Reply and queue it as mail: (message id, outbox id or None if not mailed).

        Not mailed when the ticket's channel is not email or no [[mailbox]] has an
        smtp_host; the reply and its attachments are stored either way.
        """
        files = read_attachments(attachments)
        with self._tx() as s:
            return self._reply(
                s, number, body, status, when, files, mailbox, undo_seconds, quote_original
            )

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
        # Every reply path (add_reply, apply_canned, ...) comes through here: a reply
        # to an email ticket is queued as mail in the caller's transaction.
        if kind is not MessageKind.REPLY or self.mail is None:
            return super()._agent_message(number, body, kind, status, when, session=session)
        with self._tx() if session is None else _same(session) as s:
            return self._reply(s, number, body, status, when, [], None, None, None)[0]

    def _reply(
        self,
        s: Session,
        number: int,
        body: str,
        status: str | None,
        when: datetime | None,
        files: list[mc.OutgoingAttachment],
        mailbox: MailboxConfig | None,
        undo_seconds: float | None,
        quote_original: bool | None,
    ) -> tuple[int, int | None]:
        ticket = self._ticket(s, number)
        parent = self._last_customer_message(s, ticket)
        box = None
        if self.mail is not None and ticket.channel == "email":
            box = mailbox or self.mail.outgoing(parent.mailbox if parent else None)
        if box is not None:  # the solved notice is not needed: this reply tells them
            s.info.setdefault(_REPLYING, set()).add(ticket.id)
        message_id = super()._agent_message(
            number, body, MessageKind.REPLY, status, when, session=s
        )
        message = s.get(Message, message_id)
        assert message is not None
        self._attach(s, message, files)
        if box is None or self.mail is None:
            if ticket.channel == "email":  # saved, but the customer will not get it
                self._event(s, ticket, EventKind.NOT_MAILED, None, str(message_id))
            return message_id, None
        agent = s.get(Agent, self.actor.agent_id) if self.actor.agent_id else None
        name = agent.name if agent else ""
        from_name = f"{name} via {box.name}" if name and box.name else name or box.name
        quoted = ""
        if parent is not None and (
            self.mail.quote_original if quote_original is None else quote_original
        ):
            quoted = mc.quote(
                parent.body_text, parent.from_name or parent.from_addr, parent.created_at
            )
        undo = self.mail.undo_seconds if undo_seconds is None else undo_seconds
        outbox_id = self._queue(
            s,
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

    @staticmethod
    def _last_customer_message(s: Session, ticket: Ticket) -> Message | None:
        return s.exec(
            select(Message)
            .where(Message.ticket_id == ticket.id, Message.kind == MessageKind.CUSTOMER.value)
            .order_by(col(Message.created_at).desc(), col(Message.id).desc())
        ).first()

    def _recipients(
        self, s: Session, ticket: Ticket, parent: Message | None
    ) -> tuple[tuple[str, str], list[tuple[str, str]]]:
        """To: the customer; Cc: everyone else on the customer's last mail (reply-all)."""
        customer = s.get(Customer, ticket.customer_id)
        assert customer is not None
        to = (customer.name, customer.email)
        skip = {customer.email.lower()} | (self.mail.own_addresses if self.mail else set())
        cc: list[tuple[str, str]] = []
        if parent is not None:
            header = ", ".join(x for x in (parent.from_addr, parent.to_addrs, parent.cc_addrs) if x)
            for address in parse_addresses(header):
                if address.valid and address.addr not in skip:
                    skip.add(address.addr)
                    cc.append((address.name, address.addr))
        return to, cc

    def _queue(
        self,
        s: Session,
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
        assert self.mail is not None
        to, cc = self._recipients(s, ticket, parent)
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
        subject = mc.reply_subject(ticket.subject, ticket.number, self.mail.subject_tag_prefix)
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
            message_id=message.id,  # type: ignore[arg-type]
            ticket_id=ticket.id,  # type: ignore[arg-type]
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
        return row.id  # type: ignore[return-value]

    @staticmethod
    def _attach(s: Session, message: Message, files: list[mc.OutgoingAttachment]) -> None:
        """Attachments stored once per content (sha256), linked to the message."""
        for item in files:
            digest = hashlib.sha256(item.data).hexdigest()
            if s.get(Attachment, digest) is None:
                s.add(Attachment(sha256=digest, size=len(item.data), data=item.data))
                s.flush()
            s.add(
                MessageAttachment(
                    message_id=message.id,  # type: ignore[arg-type]
                    sha256=digest,
                    filename=item.filename,
                    mime_type=item.mime_type,
                )
            )

    # -- undo and retry ------------------------------------------------------------

    def cancel(self, outbox_id: int) -> str:
        """Take back a mail not yet sent: the reply is removed; returns its text.

        Changes made with the reply (status, canned actions) stay. Too late once
        the sender has taken it (`sending`) or it went out.
        """
        with self._tx() as s:
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
            self._remove_message(s, ticket, message)
            return message.body_text

    def _remove_message(self, s: Session, ticket: Ticket, message: Message) -> None:
        params = {"id": message.id}
        latin, cjk = fts.index_columns(message.body_text)
        # Contentless FTS: the delete repeats the indexed values (see fts.DELETE_MESSAGE).
        s.execute(
            text(
                "INSERT INTO message_fts (message_fts, rowid, text, cjk)"
                " VALUES ('delete', :id, :t, :c)"
            ),
            {"id": message.id, "t": latin, "c": cjk},
        )
        shas = list(
            s.execute(text("SELECT sha256 FROM message_attachment WHERE message_id = :id"), params)
        )
        s.execute(text("DELETE FROM message_attachment WHERE message_id = :id"), params)
        for (sha,) in shas:
            s.execute(
                text(
                    "DELETE FROM attachment WHERE sha256 = :sha AND NOT EXISTS"
                    " (SELECT 1 FROM message_attachment WHERE sha256 = :sha)"
                ),
                {"sha": sha},
            )
        s.execute(
            text("DELETE FROM event WHERE ticket_id = :t AND kind = :k AND new = :m"),
            {"t": ticket.id, "k": EventKind.REPLY.value, "m": str(message.id)},
        )
        s.delete(message)
        ticket.message_count -= 1
        if ticket.first_response_at == message.created_at and message.author_agent_id:
            ticket.first_response_at = s.exec(
                select(Message.created_at)
                .where(Message.ticket_id == ticket.id, Message.kind == MessageKind.REPLY.value)
                .where(Message.id != message.id, col(Message.author_agent_id).is_not(None))
                .order_by(col(Message.created_at))
            ).first()
        self._touched[ticket.id] = ticket  # type: ignore[index]

    def retry(self, outbox_id: int) -> None:
        """Try a failed or retrying mail again now."""
        with self._tx() as s:
            row = s.get(Outbox, outbox_id)
            if row is None:
                raise NotFoundError(f"no outbox entry {outbox_id} (see `deskterm outbox ls`)")
            if row.state not in ("failed", "retrying"):
                raise UsageError(f"outbox entry {outbox_id} is {row.state}: nothing to retry")
            row.state = "retrying"
            row.next_attempt_at = self.clock()

    # -- automatic mail ------------------------------------------------------------------

    def queue_acknowledgement(
        self, number: int, *, session: Session | None = None, when: datetime | None = None
    ) -> AutoMailResult:
        """The "we got your mail" answer to a new ticket, unless it must not get one.

        Call it after creating a ticket from mail, in the same transaction (`session`)
        or after it. Skipped (with the reason) for automatic mail (message.auto_kind),
        our own addresses, machine or bounced addresses and past the daily cap.
        """
        with self._tx() if session is None else _same(session) as s:
            ticket = self._ticket(s, number)
            if self.mail is None or not self.mail.auto_ack:
                return AutoMailResult(None, "acknowledgements are off")
            return self._queue_auto(s, ticket, "auto_ack", when or self.clock())

    def _set_status(self, s: Session, ticket: Ticket, status: Status, when: datetime) -> None:
        old = Status(ticket.status)
        super()._set_status(s, ticket, status, when)
        if self.mail is None or old is status:
            return
        if status is Status.SOLVED and old not in RESOLVED_STATUSES:
            if self.mail.solved_notice and ticket.id not in s.info.get(_REPLYING, ()):
                self._queue_auto(s, ticket, "solved_notice", when)
        elif old in RESOLVED_STATUSES and status not in RESOLVED_STATUSES:
            # Reopened inside the undo window: the "solved" notice is no longer true.
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
                    self._remove_message(s, ticket, message)

    def _auto_skip(
        self, s: Session, ticket: Ticket, parent: Message | None, when: datetime
    ) -> str | None:
        assert self.mail is not None
        customer = s.get(Customer, ticket.customer_id)
        assert customer is not None
        address = customer.email.lower()
        if ticket.channel != "email":
            return f"channel is {ticket.channel}"
        if parent is not None and parent.auto_kind not in (None, "", "none"):
            return f"the customer's mail is automatic ({parent.auto_kind})"
        if address in self.mail.own_addresses:
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
        if len(sent) >= self.mail.auto_daily_cap:
            return f"daily cap of {self.mail.auto_daily_cap} automatic mails reached"
        return None

    def _queue_auto(
        self,
        s: Session,
        ticket: Ticket,
        kind: str,
        when: datetime,
        template: str | None = None,
    ) -> AutoMailResult:
        """Queue an automatic mail of `kind`; `template` overrides the configured text."""
        assert self.mail is not None
        parent = self._last_customer_message(s, ticket)
        box = self.mail.outgoing(parent.mailbox if parent else None)
        if box is None:
            return AutoMailResult(None, "no [[mailbox]] with an smtp_host")
        skip = self._auto_skip(s, ticket, parent, when)
        if skip:
            return AutoMailResult(None, skip)
        ack = kind == "auto_ack"
        if template is None:
            template = self.mail.auto_ack_template if ack else self.mail.solved_notice_template
        context: dict[str, Any] = self._auto_context(s, ticket)
        context["mailbox"] = {"name": box.name, "address": box.address}
        due = self._first_reply_due(s, ticket, when)
        context["sla"] = {"first_response": f"{due.astimezone():%A %d %B, %H:%M %Z}"} if due else {}
        body = canned.render(kind, template, context)
        from_name = box.name or box.address
        message = self._add_message(
            s, ticket, MessageKind.REPLY, body, when, from_name=from_name, auto_kind="auto_reply"
        )
        s.add(
            Event(
                ticket_id=ticket.id,  # type: ignore[arg-type]
                actor="system",
                kind=EventKind.REPLY.value,
                new=str(message.id),
                created_at=when,
            )
        )
        undo = 0.0 if ack else self.mail.undo_seconds
        outbox_id = self._queue(
            s, ticket, message, box, from_name, body, parent, [], kind=kind, undo=undo, auto=True
        )
        s.add(AutoMailLog(address=message.to_addrs, kind=kind, ticket_id=ticket.id, sent_at=when))
        return AutoMailResult(outbox_id)

    def _first_reply_due(self, s: Session, ticket: Ticket, when: datetime) -> datetime | None:
        """When the first reply is due, for the acknowledgement (where SLAs exist)."""
        return ticket.first_reply_due_at

    @staticmethod
    def _auto_context(s: Session, ticket: Ticket) -> dict[str, Any]:
        customer = s.get(Customer, ticket.customer_id)
        assert customer is not None
        return canned.build_context(
            {"number": ticket.number, "subject": ticket.subject, "status": ticket.status},
            {"name": customer.name, "email": customer.email},
            {},
            None,
        )
