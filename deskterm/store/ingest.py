"""Mail ingest: the only code that writes raw mail, receipts, mailbox state and quarantine.

Exactly once: a batch of mails is one transaction holding the raw bytes, the
messages (or quarantine rows), one receipt per (folder, UIDVALIDITY, UID) and
the folder's advanced `last_uid`. A crash before the commit leaves nothing; a
crash after it leaves everything, and the next fetch starts past it. Copies of
one mail (two mailboxes, CC'd, re-delivered, re-synced) share a dedupe key and
become one message.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from deskterm.errors import DesktermError, MailError, NotFoundError
from deskterm.mail.auto import AutoKind
from deskterm.mail.dedupe import dedupe_key
from deskterm.mail.parse import DEFAULT_MAX_BYTES, ParsedMail, parse_mail
from deskterm.mail.threading import ThreadDecision, decide
from deskterm.store import fts
from deskterm.store.db import Store
from deskterm.store.mail_queries import RunSql, thread_lookup
from deskterm.store.models import MailboxState, MailReceipt, Message, Quarantine, RawMail
from deskterm.store.service_base import Actor
from deskterm.store.ticket_writes import TicketWrites
from deskterm.store.timefmt import to_db, utcnow
from deskterm.store.vocab import EventKind, MessageKind, Status

UNKNOWN_SENDER = "unknown-sender@invalid.invalid"


class Outcome(StrEnum):
    NEW = "new"  # opened a ticket
    THREADED = "threaded"  # joined an existing ticket
    DUPLICATE = "duplicate"  # a copy of a mail we hold
    QUARANTINED = "quarantined"  # kept aside, unparseable


@dataclass(frozen=True, slots=True)
class Receipt:
    """Where a mail came from in IMAP terms: the exactly-once ledger key."""

    state_id: int
    uidvalidity: int
    uid: int


@dataclass(frozen=True, slots=True)
class Incoming:
    """One mail to take in: its bytes and either the parse result or why parsing failed."""

    raw: bytes
    source: str  # "address/folder uid N" or a file path, for quarantine and messages
    parsed: ParsedMail | None = None
    error: str | None = None
    receipt: Receipt | None = None
    mailbox: str | None = None  # the support address it arrived at


@dataclass(frozen=True, slots=True)
class IngestResult:
    outcome: Outcome
    ticket_number: int | None = None
    message_id: int | None = None
    rule: str = ""
    reason: str = ""
    quarantine_id: int | None = None


@dataclass(frozen=True, slots=True)
class FolderState:
    id: int
    address: str
    folder: str
    uidvalidity: int | None
    last_uid: int
    highestmodseq: int | None


def parse_incoming(
    raw: bytes,
    source: str,
    *,
    receipt: Receipt | None = None,
    mailbox: str | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> Incoming:
    """Parse `raw` into an `Incoming`; a parse failure becomes its quarantine reason."""
    try:
        return Incoming(raw, source, parse_mail(raw, max_bytes=max_bytes), None, receipt, mailbox)
    except MailError as exc:
        return Incoming(raw, source, None, str(exc), receipt, mailbox)


class MailIngest(TicketWrites):
    """Takes parsed mail into tickets; see the module docstring for the guarantees."""

    def __init__(
        self,
        store: Store,
        actor: Actor | None = None,
        clock: Callable[[], datetime] = utcnow,
        *,
        tag_prefix: str = "#",
        own_addresses: Iterable[str] = (),
    ) -> None:
        super().__init__(store, actor or Actor(None, "mail"), clock)
        self.tag_prefix = tag_prefix
        self.own_addresses = tuple(a.lower() for a in own_addresses)

    # mailbox state ------------------------------------------------------------------

    def open_folder(self, address: str, folder: str) -> FolderState:
        """The folder's state row, created on first use."""
        with self._tx() as s:
            state = s.exec(
                select(MailboxState).where(
                    MailboxState.address == address, MailboxState.folder == folder
                )
            ).first()
            if state is None:
                state = MailboxState(address=address, folder=folder)
                s.add(state)
                s.flush()
            return _folder(state)

    def reset_folder(self, state_id: int, uidvalidity: int) -> FolderState:
        """UIDVALIDITY changed: old UIDs mean nothing; read the folder again from UID 1."""
        with self._tx() as s:
            state = s.get(MailboxState, state_id)
            assert state is not None
            state.uidvalidity = uidvalidity
            state.last_uid = 0
            state.highestmodseq = None
            return _folder(state)

    def finish_pass(self, state_id: int, highestmodseq: int | None) -> None:
        """A fetch pass ended well: remember when, and the modseq it saw."""
        with self._tx() as s:
            state = s.get(MailboxState, state_id)
            assert state is not None
            state.last_fetch_at = self.clock()
            if highestmodseq is not None:
                state.highestmodseq = highestmodseq

    def record_error(self, address: str, folder: str, message: str) -> None:
        with self._tx() as s:
            state = s.exec(
                select(MailboxState).where(
                    MailboxState.address == address, MailboxState.folder == folder
                )
            ).first()
            if state is None:
                state = MailboxState(address=address, folder=folder)
                s.add(state)
            state.last_error = message[:500]
            state.last_error_at = self.clock()

    # ingest -------------------------------------------------------------------------

    def ingest(
        self,
        items: Sequence[Incoming],
        *,
        advance: tuple[int, int, int] | None = None,
    ) -> list[IngestResult]:
        """Take `items` in, all in one transaction.

        `advance` = (state_id, uidvalidity, last_uid) moves the folder's state in the
        same transaction, so state and stored mail can never disagree.
        """
        results: list[IngestResult] = []
        with self._tx() as s:
            for item in items:
                results.append(self._one_safely(s, item))
            if advance is not None:
                state = s.get(MailboxState, advance[0])
                assert state is not None
                state.uidvalidity = advance[1]
                state.last_uid = max(state.last_uid, advance[2])
        return results

    def _one_safely(self, s: Session, item: Incoming) -> IngestResult:
        """One mail in a savepoint: a store refusal quarantines it instead of stopping."""
        try:
            with s.begin_nested():
                return self._one(s, item)
        except (IntegrityError, DesktermError) as exc:
            reason = f"could not be stored: {str(exc).splitlines()[0][:300]}"
            failed = Incoming(item.raw, item.source, None, reason, item.receipt, item.mailbox)
            with s.begin_nested():
                return self._one(s, failed)

    def _one(self, s: Session, item: Incoming) -> IngestResult:
        if item.receipt is not None:
            r = item.receipt
            if s.get(MailReceipt, (r.state_id, r.uidvalidity, r.uid)) is not None:
                return IngestResult(Outcome.DUPLICATE, reason="already received (same UID)")
        raw_id, raw_is_new = self._raw(s, item.raw)
        if item.receipt is not None:
            r = item.receipt
            s.add(
                MailReceipt(
                    mailbox_state_id=r.state_id,
                    uidvalidity=r.uidvalidity,
                    uid=r.uid,
                    raw_mail_id=raw_id,
                    received_at=self.clock(),
                )
            )
        if item.parsed is None:
            return self._quarantine(s, item, raw_id, raw_is_new)
        key = dedupe_key(item.raw, item.parsed.message_id)
        existing = s.execute(
            text("SELECT m.id, t.number FROM message m JOIN ticket t ON t.id = m.ticket_id"
                 " WHERE m.dedupe_key = :k"),
            {"k": key},
        ).first()  # fmt: skip
        if existing is not None:
            return IngestResult(
                Outcome.DUPLICATE,
                existing[1],
                existing[0],
                reason=f"a copy of message {existing[0]} on #{existing[1]}",
            )
        return self._store_message(s, item.parsed, raw_id, key, item.mailbox)

    def _raw(self, s: Session, raw: bytes) -> tuple[int, bool]:
        digest = hashlib.sha256(raw).hexdigest()
        found = s.execute(text("SELECT id FROM raw_mail WHERE sha256 = :h"), {"h": digest}).first()
        if found is not None:
            return int(found[0]), False
        row = RawMail(sha256=digest, size=len(raw), data=raw, received_at=self.clock())
        s.add(row)
        s.flush()
        return row.id, True  # type: ignore[return-value]

    def _quarantine(
        self, s: Session, item: Incoming, raw_id: int, raw_is_new: bool
    ) -> IngestResult:
        if not raw_is_new:
            held = s.execute(
                text("SELECT (SELECT id FROM quarantine WHERE raw_mail_id = :r),"
                     " (SELECT id FROM message WHERE raw_mail_id = :r)"),
                {"r": raw_id},
            ).one()  # fmt: skip
            if held[0] is not None or held[1] is not None:
                return IngestResult(
                    Outcome.DUPLICATE, message_id=held[1], quarantine_id=held[0],
                    reason="the same bytes were taken in before",
                )  # fmt: skip
        row = Quarantine(
            raw_mail_id=raw_id,
            source=item.source,
            reason=item.error or "unparseable",
            created_at=self.clock(),
        )
        s.add(row)
        s.flush()
        return IngestResult(Outcome.QUARANTINED, reason=row.reason, quarantine_id=row.id)

    def _runner(self, s: Session) -> RunSql:
        def run(sql: str, params: dict[str, Any]) -> Sequence[Sequence[Any]]:
            return s.execute(text(sql), params).all()

        return run

    def decide(self, s: Session, mail: ParsedMail) -> ThreadDecision:
        by_id, by_number = thread_lookup(
            self._runner(s), mail, tag_prefix=self.tag_prefix, own_addresses=self.own_addresses
        )
        return decide(mail, by_id, by_number, tag_prefix=self.tag_prefix)

    def _store_message(
        self, s: Session, mail: ParsedMail, raw_id: int, key: str, mailbox: str | None
    ) -> IngestResult:
        decision = self.decide(s, mail)
        when = self.clock()
        sender = mail.from_addr if "@" in mail.from_addr else UNKNOWN_SENDER
        fields: dict[str, Any] = {
            "from_addr": sender,
            "from_name": mail.from_name,
            "to_addrs": ", ".join(mail.to),
            "cc_addrs": ", ".join(mail.cc),
            "subject": mail.subject,
            "body_html": mail.body_html,
            "message_id": mail.message_id,
            "in_reply_to": mail.in_reply_to,
            "references": " ".join(mail.references) or None,
            "raw_mail_id": raw_id,
            "dedupe_key": key,
            "mailbox": mailbox,
            "auto_kind": None if mail.auto is AutoKind.NONE else mail.auto.value,
        }
        if decision.number is None:
            created = self.create_ticket(
                mail.subject,
                mail.body_text,
                sender,
                mail.from_name,
                when=when,
                message_fields=fields,
                session=s,
            )
            number, message_id, outcome = created.number, created.message_id, Outcome.NEW
        else:
            number, outcome = decision.number, Outcome.THREADED
            message_id = self._add_mail_message(s, number, mail, fields, when, decision.reopen)
        self._attach(s, message_id, mail)
        if mail.auto is AutoKind.BOUNCE:
            self._flag_bounced(s, mail, when)
        return IngestResult(outcome, number, message_id, decision.rule.value, decision.reason)

    def _add_mail_message(
        self,
        s: Session,
        number: int,
        mail: ParsedMail,
        fields: dict[str, Any],
        when: datetime,
        reopen: bool,
    ) -> int:
        ticket = self._ticket(s, number)
        customer = self._customer(s, fields["from_addr"], mail.from_name)
        message = self._add_message(
            s, ticket, MessageKind.CUSTOMER, mail.body_text, when,
            author_customer_id=customer.id, **fields,
        )  # fmt: skip
        self._event(s, ticket, EventKind.CUSTOMER_MESSAGE, None, message.id, when)
        if reopen and ticket.status != Status.NEW:
            self._set_status(s, ticket, Status.OPEN, when)
        return message.id  # type: ignore[return-value]

    def _attach(self, s: Session, message_id: int, mail: ParsedMail) -> None:
        for att in mail.attachments:
            s.execute(
                text("INSERT OR IGNORE INTO attachment (sha256, size, data) VALUES (:h, :n, :d)"),
                {"h": att.sha256, "n": len(att.data), "d": att.data},
            )
            s.execute(
                text("INSERT INTO message_attachment"
                     " (message_id, sha256, filename, mime_type, content_id, inline)"
                     " VALUES (:m, :h, :f, :t, :c, :i)"),
                {"m": message_id, "h": att.sha256, "f": att.filename, "t": att.mime_type,
                 "c": att.content_id, "i": att.inline},
            )  # fmt: skip

    def _flag_bounced(self, s: Session, mail: ParsedMail, when: datetime) -> None:
        reason = f"bounced: {mail.subject}"[:300] if mail.subject else "bounced"
        for address in mail.failed_recipients:
            s.execute(
                text("UPDATE customer SET bounced_at = :t, bounce_reason = :r WHERE email = :e"),
                {"t": to_db(when), "r": reason, "e": address.lower()},
            )

    # quarantine and re-parsing ------------------------------------------------------

    def retry_quarantined(
        self, quarantine_id: int, max_bytes: int = DEFAULT_MAX_BYTES
    ) -> IngestResult:
        """Parse a quarantined mail again; on success it becomes a message and is resolved."""
        with self._tx() as s:
            row = s.get(Quarantine, quarantine_id)
            if row is None:
                raise NotFoundError(f"no quarantined mail {quarantine_id}")
            if row.resolved_at is not None:
                return IngestResult(
                    Outcome.DUPLICATE, message_id=row.message_id, quarantine_id=row.id,
                    reason="already resolved",
                )  # fmt: skip
            raw = s.get(RawMail, row.raw_mail_id)
            assert raw is not None
            item = parse_incoming(bytes(raw.data), row.source, max_bytes=max_bytes)
            if item.parsed is None:
                row.reason = item.error or row.reason
                return IngestResult(Outcome.QUARANTINED, reason=row.reason, quarantine_id=row.id)
            key = dedupe_key(item.raw, item.parsed.message_id)
            found = s.execute(
                text("SELECT id FROM message WHERE dedupe_key = :k"), {"k": key}
            ).first()
            if found is not None:
                result = IngestResult(Outcome.DUPLICATE, message_id=int(found[0]))
            else:
                result = self._store_message(s, item.parsed, raw.id, key, None)  # type: ignore[arg-type]
            row.resolved_at = self.clock()
            row.message_id = result.message_id
            return result

    def reingest(self, message_id: int, max_bytes: int = DEFAULT_MAX_BYTES) -> bool:
        """Parse a stored message's raw mail again and update its body, HTML and files in place.

        Returns whether anything changed. The search index is contentless, so the old
        row is deleted with the old text before the new text goes in.
        """
        with self._tx() as s:
            message = s.get(Message, message_id)
            if message is None:
                raise NotFoundError(f"no message {message_id}")
            if message.raw_mail_id is None:
                raise NotFoundError(f"message {message_id} did not come from a mail")
            raw = s.get(RawMail, message.raw_mail_id)
            assert raw is not None
            mail = parse_mail(bytes(raw.data), max_bytes=max_bytes)
            old_files = [
                tuple(r)
                for r in s.execute(
                    text("SELECT sha256, filename, mime_type, content_id, inline"
                         " FROM message_attachment WHERE message_id = :m ORDER BY id"),
                    {"m": message_id},
                )
            ]  # fmt: skip
            new_files = [
                (a.sha256, a.filename, a.mime_type, a.content_id, a.inline)
                for a in mail.attachments
            ]
            auto = None if mail.auto is AutoKind.NONE else mail.auto.value
            changed = (
                message.body_text != mail.body_text
                or message.body_html != mail.body_html
                or message.auto_kind != auto
                or old_files != new_files
            )
            if not changed:
                return False
            if message.body_text != mail.body_text:
                old = fts.index_columns(message.body_text)
                new = fts.index_columns(mail.body_text)
                s.execute(text(fts.DELETE_MESSAGE.replace("?, ?, ?", ":id, :t, :c")),
                          {"id": message_id, "t": old[0], "c": old[1]})  # fmt: skip
                s.execute(text(fts.INSERT_MESSAGE.replace("?, ?, ?", ":id, :t, :c")),
                          {"id": message_id, "t": new[0], "c": new[1]})  # fmt: skip
            message.body_text = mail.body_text
            message.body_html = mail.body_html
            message.auto_kind = auto
            if old_files != new_files:
                s.execute(
                    text("DELETE FROM message_attachment WHERE message_id = :m"), {"m": message_id}
                )
                self._attach(s, message_id, mail)
            return True


def _folder(state: MailboxState) -> FolderState:
    return FolderState(
        state.id,  # type: ignore[arg-type]
        state.address,
        state.folder,
        state.uidvalidity,
        state.last_uid,
        state.highestmodseq,
    )
