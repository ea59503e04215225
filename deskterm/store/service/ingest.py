"""Mail ingest: the only code that writes raw mail, receipts, mailbox state and quarantine.

Exactly once: a batch of mails is one transaction holding the raw bytes, the
messages (or quarantine rows), one receipt per (folder, UIDVALIDITY, UID) and
the folder's advanced `last_uid`. A crash before the commit leaves nothing; a
crash after it leaves everything, and the next fetch starts past it. Copies of
one mail (two mailboxes, CC'd, re-delivered, re-synced) share a dedupe key and
become one message.

Speed: a batch is written in one savepoint by `BatchWriter`, in plain statements
on the session's own sqlite3 connection (the ORM cost ~10 ms a mail, this ~0.3 ms).
Only if the store refuses something does the batch run again mail by mail, each
in its own savepoint, and a refused mail is quarantined instead of stopping the rest.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from sqlmodel import Session, select

from deskterm.errors import NotFoundError
from deskterm.mail.auto import AutoKind
from deskterm.mail.parse import DEFAULT_MAX_BYTES, ParsedMail, parse_mail
from deskterm.mail.threading import ThreadDecision, decide
from deskterm.store.queries.mail import sqlite_runner, thread_lookup
from deskterm.store.schema.db import Store
from deskterm.store.schema.models import MailboxState, Message, Quarantine, RawMail
from deskterm.store.schema.timefmt import utcnow
from deskterm.store.search.index import SearchIndex
from deskterm.store.service import auto_mail
from deskterm.store.service.facade import Service
from deskterm.store.service.ingest_rows import (
    REFUSED,
    BatchWriter,
    FolderState,
    Incoming,
    IngestResult,
    Outcome,
    Receipt,
    attach_files,
    parse_incoming,
)
from deskterm.store.service.records import stored
from deskterm.store.service.unit_of_work import Actor, UnitOfWork

if TYPE_CHECKING:
    from deskterm.sla.policy import SlaSettings

__all__ = [
    "FolderState",
    "Incoming",
    "IngestResult",
    "MailIngest",
    "Outcome",
    "Receipt",
    "parse_incoming",
]


class MailIngest(Service):
    """Takes parsed mail into tickets; see the module docstring for the guarantees.

    A full `Service`: SLA due times, rules and the acknowledgement of new tickets
    run in the batch's transaction when they are configured (`sla=`,
    `with_rules`, `with_mail`).
    """

    def __init__(
        self,
        store: Store,
        actor: Actor | None = None,
        clock: Callable[[], datetime] = utcnow,
        *,
        tag_prefix: str = "#",
        own_addresses: Iterable[str] = (),
        sla: SlaSettings | None = None,
    ) -> None:
        super().__init__(store, actor or Actor(None, "mail"), clock, sla=sla)
        self.tag_prefix = tag_prefix
        self.own_addresses = tuple(a.lower() for a in own_addresses)

    # mailbox state ------------------------------------------------------------------

    def open_folder(self, address: str, folder: str) -> FolderState:
        """The folder's state row, created on first use."""
        with self.unit() as uow:
            s = uow.session
            state = _state_row(s, address, folder)
            s.flush()
            return _folder(state)

    def reset_folder(self, state_id: int, uidvalidity: int) -> FolderState:
        """UIDVALIDITY changed: old UIDs mean nothing; read the folder again from UID 1."""
        with self.unit() as uow:
            s = uow.session
            state = s.get(MailboxState, state_id)
            assert state is not None
            state.uidvalidity = uidvalidity
            state.last_uid = 0
            state.highestmodseq = None
            return _folder(state)

    def finish_pass(self, state_id: int, highestmodseq: int | None) -> None:
        """A fetch pass ended well: remember when, and the modseq it saw."""
        with self.unit() as uow:
            s = uow.session
            state = s.get(MailboxState, state_id)
            assert state is not None
            state.last_fetch_at = self.clock()
            if highestmodseq is not None:
                state.highestmodseq = highestmodseq

    def record_error(self, address: str, folder: str, message: str) -> None:
        with self.unit() as uow:
            s = uow.session
            state = _state_row(s, address, folder)
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
        with self.unit() as uow:
            try:
                results = self._in_savepoint(uow, items)
            except REFUSED:  # one bad mail: find it, store every other one
                results = [self._one_safely(uow, item) for item in items]
            for result in results if self._may_acknowledge() else ():
                if result.outcome is Outcome.NEW and result.ticket_number is not None:
                    # Skips automatic mail, our own and machine addresses, the daily cap.
                    auto_mail.acknowledge(uow, result.ticket_number)
            if advance is not None:
                state = uow.session.get(MailboxState, advance[0])
                assert state is not None
                state.uidvalidity = advance[1]
                state.last_uid = max(state.last_uid, advance[2])
        return results

    def _may_acknowledge(self) -> bool:
        """Whether any acknowledgement can go out; if not, skip its per-ticket ORM reads."""
        return self.mail is not None and self.mail.auto_ack and self.mail.outgoing() is not None

    def _one_safely(self, uow: UnitOfWork, item: Incoming) -> IngestResult:
        """One mail in a savepoint: a store refusal quarantines it instead of stopping."""
        try:
            return self._in_savepoint(uow, [item])[0]
        except REFUSED as exc:
            reason = f"could not be stored: {str(exc).splitlines()[0][:300]}"
            failed = Incoming(item.raw, item.source, None, reason, item.receipt, item.mailbox)
            return self._in_savepoint(uow, [failed])[0]

    def _in_savepoint(self, uow: UnitOfWork, items: Sequence[Incoming]) -> list[IngestResult]:
        """All of `items` or none: a refusal rolls back the rows and what the unit recorded."""
        mark = uow.mark()
        try:
            with uow.session.begin_nested():
                writer = BatchWriter(self, uow)
                results = [writer.take(item) for item in items]
                writer.finish()
                return results
        except REFUSED:
            uow.back_to(mark)
            raise

    def decide(self, db: sqlite3.Connection, mail: ParsedMail) -> ThreadDecision:
        by_id, by_number, replied_by = thread_lookup(
            sqlite_runner(db),
            mail,
            tag_prefix=self.tag_prefix,
            own_addresses=self.own_addresses,
        )
        return decide(mail, by_id, by_number, tag_prefix=self.tag_prefix, replied_by=replied_by)

    # quarantine and re-parsing ------------------------------------------------------

    def retry_quarantined(
        self, quarantine_id: int, max_bytes: int = DEFAULT_MAX_BYTES
    ) -> IngestResult:
        """Parse a quarantined mail again; on success it becomes a message and is resolved."""
        with self.unit() as uow:
            s = uow.session
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
            writer = BatchWriter(self, uow)
            result = writer.take_parsed(item.parsed, stored(raw.id), None)
            writer.finish()
            row.resolved_at = self.clock()
            row.message_id = result.message_id
            return result

    def reingest(self, message_id: int, max_bytes: int = DEFAULT_MAX_BYTES) -> bool:
        """Parse a stored message's raw mail again and update its body, HTML and files in place.

        Returns whether anything changed. The search index is contentless, so the old
        row is deleted with the old text before the new text goes in.
        """
        with self.unit() as uow:
            s = uow.session
            message = s.get(Message, message_id)
            if message is None:
                raise NotFoundError(f"no message {message_id}")
            if message.raw_mail_id is None:
                raise NotFoundError(f"message {message_id} did not come from a mail")
            raw = s.get(RawMail, message.raw_mail_id)
            assert raw is not None
            mail = parse_mail(bytes(raw.data), max_bytes=max_bytes)
            db = uow.db
            old_files = db.execute(
                "SELECT sha256, filename, mime_type, content_id, inline"
                " FROM message_attachment WHERE message_id = ? ORDER BY id",
                (message_id,),
            ).fetchall()
            new_files = [
                (a.sha256, a.filename, a.mime_type, a.content_id, int(a.inline))
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
            SearchIndex(db).change_message(message_id, message.body_text, mail.body_text)
            message.body_text = mail.body_text
            message.body_html = mail.body_html
            message.auto_kind = auto
            if old_files != new_files:
                db.execute("DELETE FROM message_attachment WHERE message_id = ?", (message_id,))
                attach_files(db, message_id, mail)
            return True


def _folder(state: MailboxState) -> FolderState:
    return FolderState(
        stored(state.id),
        state.address,
        state.folder,
        state.uidvalidity,
        state.last_uid,
        state.highestmodseq,
    )


def _state_row(s: Session, address: str, folder: str) -> MailboxState:
    """The folder's state row, added to the session if it is new."""
    state = s.exec(
        select(MailboxState).where(MailboxState.address == address, MailboxState.folder == folder)
    ).first()
    if state is None:
        state = MailboxState(address=address, folder=folder)
        s.add(state)
    return state
