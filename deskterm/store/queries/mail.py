"""Reads for mail intake: ingest status, quarantine, and the thread lookup.

`thread_lookup` runs the same SQL inside the ingest transaction (through a
SQLAlchemy session) and in `deskterm thread explain` (through sqlite3), so an
explanation replays the exact lookup the ingest made.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from deskterm.errors import NotFoundError
from deskterm.mail.parse import ParsedMail
from deskterm.mail.threading import KnownTicket, participants, reference_ids, subject_tags
from deskterm.store.schema.db import Store
from deskterm.store.schema.timefmt import from_db, iso, utcnow

# (sql, params) -> rows; both sqlite3 and SQLAlchemy sessions take `:name` parameters.
RunSql = Callable[[str, dict[str, Any]], Sequence[Sequence[Any]]]


@dataclass(frozen=True, slots=True)
class MailboxStatus:
    """How one mailbox folder's intake is doing."""

    address: str
    folder: str
    last_fetch_at: datetime | None
    lag_seconds: float | None  # now - last successful fetch; None if never fetched
    last_uid: int
    uidvalidity: int | None
    last_error: str | None
    last_error_at: datetime | None

    def to_json(self) -> dict[str, Any]:
        return {
            "address": self.address,
            "folder": self.folder,
            "last_fetch_at": iso(self.last_fetch_at),
            "lag_seconds": None if self.lag_seconds is None else round(self.lag_seconds, 1),
            "last_uid": self.last_uid,
            "uidvalidity": self.uidvalidity,
            "last_error": self.last_error,
            "last_error_at": iso(self.last_error_at),
        }


@dataclass(frozen=True, slots=True)
class IngestStatus:
    """Mail intake at a glance, for the app's status line and `deskterm fetch --status`."""

    mailboxes: tuple[MailboxStatus, ...]
    quarantined: int  # unresolved quarantine entries
    last_fetch_at: datetime | None  # newest successful fetch of any mailbox
    lag_seconds: float | None  # the oldest mailbox's lag: how stale the picture may be
    errors: tuple[str, ...]  # "address/folder: message" for mailboxes whose last pass failed
    # Outgoing mail not sent yet, by outbox state (waiting, retrying, failed): a reply
    # that cannot go out must be seen, not found later.
    outgoing: tuple[tuple[str, int], ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "mailboxes": [m.to_json() for m in self.mailboxes],
            "quarantined": self.quarantined,
            "outgoing": dict(self.outgoing),
            "last_fetch_at": iso(self.last_fetch_at),
            "lag_seconds": None if self.lag_seconds is None else round(self.lag_seconds, 1),
            "errors": list(self.errors),
        }


@dataclass(frozen=True, slots=True)
class QuarantineRecord:
    id: int
    source: str
    reason: str
    size: int
    created_at: datetime
    resolved_at: datetime | None
    message_id: int | None
    raw_mail_id: int

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "source": self.source,
            "reason": self.reason,
            "size": self.size,
            "created_at": iso(self.created_at),
            "resolved_at": iso(self.resolved_at),
            "message_id": self.message_id,
        }


def get_ingest_status(store: Store, now: datetime | None = None) -> IngestStatus:
    """Last fetch, lag and last error per mailbox, and how many mails wait in quarantine."""
    now = now or utcnow()
    conn = store.read()
    boxes: list[MailboxStatus] = []
    for row in conn.execute(
        "SELECT address, folder, last_fetch_at, last_uid, uidvalidity, last_error, last_error_at"
        " FROM mailbox_state ORDER BY address, folder"
    ):
        fetched = from_db(row[2])
        error_at = from_db(row[6])
        error = (
            row[5] if row[5] and (fetched is None or (error_at and error_at >= fetched)) else None
        )
        boxes.append(
            MailboxStatus(
                address=row[0],
                folder=row[1],
                last_fetch_at=fetched,
                lag_seconds=None if fetched is None else (now - fetched).total_seconds(),
                last_uid=int(row[3]),
                uidvalidity=row[4],
                last_error=error,
                last_error_at=error_at,
            )
        )
    quarantined = int(
        conn.execute("SELECT count(*) FROM quarantine WHERE resolved_at IS NULL").fetchone()[0]
    )
    outgoing = tuple(
        (str(state), int(count))
        for state, count in conn.execute(
            "SELECT state, count(*) FROM outbox WHERE state IN ('waiting', 'retrying', 'failed')"
            " GROUP BY state ORDER BY state DESC"
        )
    )
    fetched_times = [b.last_fetch_at for b in boxes if b.last_fetch_at]
    lags = [b.lag_seconds for b in boxes if b.lag_seconds is not None]
    return IngestStatus(
        mailboxes=tuple(boxes),
        quarantined=quarantined,
        last_fetch_at=max(fetched_times) if fetched_times else None,
        lag_seconds=max(lags) if lags else None,
        errors=tuple(f"{b.address}/{b.folder}: {b.last_error}" for b in boxes if b.last_error),
        outgoing=outgoing,
    )


_QUARANTINE_COLUMNS = (
    "SELECT q.id, q.source, q.reason, r.size, q.created_at, q.resolved_at, q.message_id,"
    " q.raw_mail_id FROM quarantine q JOIN raw_mail r ON r.id = q.raw_mail_id"
)


def _quarantine(row: Sequence[Any]) -> QuarantineRecord:
    return QuarantineRecord(
        id=int(row[0]),
        source=row[1],
        reason=row[2],
        size=int(row[3]),
        created_at=from_db(row[4]),
        resolved_at=from_db(row[5]),
        message_id=row[6],
        raw_mail_id=int(row[7]),
    )


def list_quarantine(store: Store, *, include_resolved: bool = False) -> list[QuarantineRecord]:
    where = "" if include_resolved else " WHERE q.resolved_at IS NULL"
    rows = store.read().execute(f"{_QUARANTINE_COLUMNS}{where} ORDER BY q.id").fetchall()
    return [_quarantine(r) for r in rows]


def get_quarantine(store: Store, quarantine_id: int) -> QuarantineRecord:
    row = store.read().execute(f"{_QUARANTINE_COLUMNS} WHERE q.id = ?", (quarantine_id,)).fetchone()
    if row is None:
        raise NotFoundError(f"no quarantined mail {quarantine_id} (see `deskterm quarantine ls`)")
    return _quarantine(row)


def get_raw_mail(store: Store, raw_mail_id: int) -> bytes:
    row = store.read().execute("SELECT data FROM raw_mail WHERE id = ?", (raw_mail_id,)).fetchone()
    if row is None:
        raise NotFoundError(f"no raw mail {raw_mail_id}")
    return bytes(row[0])


@dataclass(frozen=True, slots=True)
class StoredMail:
    """A stored message's raw mail and where it sits."""

    message_id: int
    ticket_number: int
    raw: bytes | None


def get_stored_mail(store: Store, message_id: int) -> StoredMail:
    row = (
        store.read()
        .execute(
            "SELECT m.id, t.number, r.data FROM message m JOIN ticket t ON t.id = m.ticket_id"
            " LEFT JOIN raw_mail r ON r.id = m.raw_mail_id WHERE m.id = ?",
            (message_id,),
        )
        .fetchone()
    )
    if row is None:
        raise NotFoundError(f"no message {message_id}")
    return StoredMail(int(row[0]), int(row[1]), None if row[2] is None else bytes(row[2]))


def messages_with_raw(store: Store, after_id: int = 0, limit: int = 500) -> list[int]:
    rows = store.read().execute(
        "SELECT id FROM message WHERE raw_mail_id IS NOT NULL AND id > ? ORDER BY id LIMIT ?",
        (after_id, limit),
    )
    return [int(r[0]) for r in rows]


# ----------------------------------------------------------------------------- threading


def sqlite_runner(conn: sqlite3.Connection) -> RunSql:
    def run(sql: str, params: dict[str, Any]) -> Sequence[Sequence[Any]]:
        return conn.execute(sql, params).fetchall()

    return run


def _known(
    run: RunSql, ticket_id: int, own: frozenset[str], before: int | None, with_people: bool
) -> KnownTicket | None:
    merged_from: int | None = None
    for _ in range(20):  # follow merges (bounded: a cycle is a bug, not a hang)
        row = run(
            "SELECT t.id, t.number, t.status, t.merged_into_id, c.email FROM ticket t"
            " JOIN customer c ON c.id = t.customer_id WHERE t.id = :id",
            {"id": ticket_id},
        )
        if not row:
            return None
        tid, number, status, merged_into, email = row[0]
        if merged_into is None:
            people: frozenset[str] = frozenset()
            if with_people:
                rows = run(
                    "SELECT from_addr, to_addrs, cc_addrs FROM message WHERE ticket_id = :id"
                    " AND id < :before",
                    {"id": tid, "before": before if before is not None else 2**62},
                )
                people = participants([tuple(r) for r in rows]) - own
            return KnownTicket(number, status, email, people, merged_from)
        merged_from = merged_from or number
        ticket_id = merged_into
    return None


def thread_lookup(
    run: RunSql,
    mail: ParsedMail,
    *,
    tag_prefix: str = "#",
    own_addresses: Iterable[str] = (),
    before_message: int | None = None,
) -> tuple[dict[str, KnownTicket], dict[int, KnownTicket], KnownTicket | None]:
    """What the store knows about the ids and tags in `mail` (as of `before_message`).

    The third value is the ticket of the first stored reply to `mail` (its
    In-Reply-To names the mail's Message-ID), found by ix_message_in_reply_to.
    """
    own = frozenset(a.lower() for a in own_addresses)
    before = before_message if before_message is not None else 2**62
    by_id: dict[str, KnownTicket] = {}
    ids = reference_ids(mail)
    if ids:
        forms: dict[str, str] = {}
        for ident in ids[:100]:
            forms[ident] = ident
            forms[f"<{ident}>"] = ident  # outbound ids may be stored with brackets
        names = {f"i{n}": form for n, form in enumerate(forms)}
        rows = run(
            "SELECT message_id, ticket_id, from_addr, subject FROM message WHERE message_id IN"
            f" ({', '.join(':' + k for k in names)}) AND id < :before ORDER BY id",
            {**names, "before": before},
        )
        for message_id, ticket_id, sender, subject in rows:
            ident = forms[message_id]
            if ident not in by_id:
                known = _known(run, ticket_id, own, before, with_people=False)
                if known is not None:
                    by_id[ident] = replace(known, via_sender=sender, via_subject=subject)
    by_number: dict[int, KnownTicket] = {}
    for number in subject_tags(mail.subject, tag_prefix)[:10]:
        row = run(
            "SELECT id FROM ticket WHERE number = :n AND"
            " EXISTS (SELECT 1 FROM message WHERE ticket_id = ticket.id AND id < :before)",
            {"n": number, "before": before},
        )
        if row:
            known = _known(run, row[0][0], own, before, with_people=True)
            if known is not None:
                by_number[number] = known
    replied_by: KnownTicket | None = None
    if mail.message_id:
        rows = run(
            "SELECT ticket_id FROM message WHERE in_reply_to IN (:id, :bracketed)"
            " AND id < :before ORDER BY id LIMIT 1",
            {"id": mail.message_id, "bracketed": f"<{mail.message_id}>", "before": before},
        )
        if rows:
            replied_by = _known(run, rows[0][0], own, before, with_people=False)
    return by_id, by_number, replied_by


def received_uids(store: Store, state_id: int, uidvalidity: int, uids: Sequence[int]) -> set[int]:
    """Which of `uids` have a receipt (were stored) for this folder and UIDVALIDITY."""
    found: set[int] = set()
    conn = store.read()
    for i in range(0, len(uids), 500):
        chunk = list(uids[i : i + 500])
        marks = ", ".join("?" * len(chunk))
        rows = conn.execute(
            "SELECT uid FROM mail_receipt WHERE mailbox_state_id = ? AND uidvalidity = ?"
            f" AND uid IN ({marks})",
            (state_id, uidvalidity, *chunk),
        )
        found.update(int(r[0]) for r in rows)
    return found


@dataclass(frozen=True, slots=True)
class Explanation:
    """Why a mail lands (or landed) where it does, for `deskterm thread explain`."""

    subject: str
    sender: str
    rule: str
    ticket: int | None  # where the rule sends it (None: a new ticket)
    reason: str
    notes: tuple[str, ...]
    stored_on: int | None = None  # for a stored message: the ticket it is on now
    duplicate_of: int | None = None  # for a file: the message it would duplicate

    def to_json(self) -> dict[str, Any]:
        return {
            "subject": self.subject,
            "from": self.sender,
            "rule": self.rule,
            "ticket": self.ticket,
            "reason": self.reason,
            "notes": list(self.notes),
            "stored_on": self.stored_on,
            "duplicate_of": self.duplicate_of,
        }

    def lines(self) -> list[str]:
        target = f"#{self.ticket}" if self.ticket is not None else "a new ticket"
        if self.ticket is None and self.stored_on is not None:
            target += f" (#{self.stored_on})"
        out = [f"subject: {self.subject}", f"from:    {self.sender}", f"rule:    {self.rule}"]
        out.append(f"ticket:  {target}")
        out.append(f"why:     {self.reason}")
        out.extend(f"note:    {n}" for n in self.notes if n not in self.reason)
        moved = self.ticket is not None and self.stored_on not in (None, self.ticket)
        if moved:
            out.append(f"now on:  #{self.stored_on} (moved since: merge, split or follow-up)")
        if self.duplicate_of is not None:
            out.append(
                f"note:    a copy of stored message {self.duplicate_of}: it would be skipped"
                " (copies that differ only in line endings, trailing blanks, mbox quoting or"
                " relay headers such as Received and Resent- are one message)"
            )
        return out


def _explain(
    store: Store, mail: ParsedMail, prefix: str, own: Iterable[str], before: int | None
) -> Explanation:
    from deskterm.mail.threading import decide

    by_id, by_number, replied_by = thread_lookup(
        sqlite_runner(store.read()), mail, tag_prefix=prefix, own_addresses=own,
        before_message=before,
    )  # fmt: skip
    decision = decide(mail, by_id, by_number, tag_prefix=prefix, replied_by=replied_by)
    return Explanation(
        mail.subject, mail.from_addr, decision.rule.value, decision.number, decision.reason,
        decision.notes,
    )  # fmt: skip


def explain_message(
    store: Store, message_id: int, prefix: str = "#", own: Iterable[str] = ()
) -> Explanation:
    """Replay the decision for stored message `message_id` as the store stood before it."""
    from deskterm.mail.parse import parse_mail

    stored = get_stored_mail(store, message_id)
    if stored.raw is None:
        raise NotFoundError(f"message {message_id} did not come from a mail (written here)")
    result = _explain(store, parse_mail(stored.raw, max_bytes=len(stored.raw) + 1), prefix,
                      own, message_id)  # fmt: skip
    return replace(result, stored_on=stored.ticket_number)


def explain_file(
    store: Store, raw: bytes, prefix: str = "#", own: Iterable[str] = (), max_bytes: int = 0
) -> Explanation:
    """What ingesting `raw` now would do (nothing is written)."""
    from deskterm.mail.dedupe import dedupe_key
    from deskterm.mail.parse import parse_mail

    mail = parse_mail(raw, max_bytes=max_bytes or len(raw) + 1)
    result = _explain(store, mail, prefix, own, None)
    row = (
        store.read()
        .execute("SELECT id FROM message WHERE dedupe_key = ?", (dedupe_key(raw, mail.message_id),))
        .fetchone()
    )
    return replace(result, duplicate_of=None if row is None else int(row[0]))
