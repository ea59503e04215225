"""Outgoing-mail settings and the sender's side of the outbox: claim, sent, retry, failed.

The sender's state changes go through a connection of their own (sqlite3, or
psycopg on PostgreSQL), without SQLAlchemy: `deskterm send` starts in a fraction
of a second and records each accepted mail in well under a millisecond, right
after the server's 250, which keeps the window for a repeat after a crash as
small as it can be. Every other outbox write (queueing, cancel, retry) is in
`outbox`.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from deskterm.store.schema.db import Store, describe, own_connection
from deskterm.store.schema.timefmt import to_db, utcnow

if TYPE_CHECKING:
    from deskterm.config import MailboxConfig

DEFAULT_ACK_TEMPLATE = """\
Hello {{ customer.first_name | default("there") }},

thank you for writing to us. We have opened ticket #{{ ticket.number }} \
("{{ ticket.subject }}") and will answer as soon as we can.
{%- if sla.first_response %} We aim to reply by {{ sla.first_response }}.{% endif %}

To add anything, just reply to this mail.

{{ mailbox.name | default(mailbox.address) }}
"""
DEFAULT_SOLVED_TEMPLATE = """\
Hello {{ customer.first_name | default("there") }},

we have marked ticket #{{ ticket.number }} ("{{ ticket.subject }}") as solved.
If anything is still not right, reply to this mail and the ticket opens again.
{%- if survey.great %}

How did we do? One click tells us:
  Great:     {{ survey.great }}
  Okay:      {{ survey.okay }}
  Not good:  {{ survey.not_good }}
{%- endif %}

{{ mailbox.name | default(mailbox.address) }}
"""


@dataclass(frozen=True)
class MailSettings:
    """Outgoing-mail settings, from [[mailbox]] and [mail] in the config."""

    mailboxes: tuple[MailboxConfig, ...] = ()
    undo_seconds: float = 10.0
    quote_original: bool = True
    subject_tag_prefix: str = "#"
    auto_ack: bool = True
    auto_ack_template: str = DEFAULT_ACK_TEMPLATE
    solved_notice: bool = True
    solved_notice_template: str = DEFAULT_SOLVED_TEMPLATE
    auto_daily_cap: int = 10
    retry_base_seconds: float = 30.0
    retry_max_seconds: float = 3600.0
    max_attempts: int = 20
    survey_url: str = ""  # where survey links point; "" = the solved notice has none
    own_addresses: frozenset[str] = field(init=False)

    def __post_init__(self) -> None:
        own = frozenset(m.address.strip().lower() for m in self.mailboxes)
        object.__setattr__(self, "own_addresses", own)

    @classmethod
    def from_config(cls, config: Any) -> MailSettings:
        """Settings from a Config; keys the config does not have yet keep their defaults."""
        section = getattr(config, "mail", None)
        values: dict[str, Any] = {}
        for name in (
            "undo_seconds",
            "quote_original",
            "subject_tag_prefix",
            "auto_ack",
            "auto_ack_template",
            "solved_notice",
            "solved_notice_template",
            "auto_daily_cap",
            "retry_base_seconds",
            "retry_max_seconds",
            "max_attempts",
        ):
            value = getattr(section, name, None)
            if value is not None and value != "":
                values[name] = value
        survey_url = getattr(config, "survey_url", "")
        return cls(mailboxes=tuple(getattr(config, "mailbox", ())), survey_url=survey_url, **values)

    def outgoing(self, address: str | None = None) -> MailboxConfig | None:
        """The mailbox to send as: `address` if it can send, else the first that can."""
        senders = [m for m in self.mailboxes if m.smtp_host]
        wanted = (address or "").strip().lower()
        return next((m for m in senders if m.address.lower() == wanted), None) or (
            senders[0] if senders else None
        )

    def mailbox(self, address: str) -> MailboxConfig | None:
        return next((m for m in self.mailboxes if m.address.lower() == address.lower()), None)

    def backoff(self, attempts: int) -> timedelta:
        """Wait before attempt `attempts + 1`: base, 2x base, 4x base ... capped."""
        exp = min(max(attempts - 1, 0), 30)
        return timedelta(seconds=min(self.retry_max_seconds, self.retry_base_seconds * 2**exp))


@dataclass(frozen=True)
class Claimed:
    """One outbox row taken for delivery (state `sending`)."""

    id: int
    mailbox: str
    recipients: tuple[str, ...]
    raw: bytes
    rfc_message_id: str
    attempts: int


class OutboxLedger:
    """The sender's transitions: waiting/retrying -> sending -> sent | retrying | failed."""

    def __init__(
        self, store: Store, settings: MailSettings, clock: Callable[[], datetime] = utcnow
    ) -> None:
        self.store = store
        self.settings = settings
        self.clock = clock
        self._conn: sqlite3.Connection | None = None

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        if self._conn is None:
            self._conn = own_connection(self.store)
        conn = self._conn
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            raise describe(self.store.path, exc) from exc

    def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()

    def claim_due(self, limit: int = 50, now: datetime | None = None) -> list[Claimed]:
        """Take up to `limit` due rows (waiting/retrying, next_attempt_at <= now): `sending`."""
        with self._tx() as conn:
            rows = conn.execute(
                "UPDATE outbox SET state = 'sending', attempts = attempts + 1 WHERE id IN"
                " (SELECT id FROM outbox WHERE state IN ('waiting', 'retrying')"
                "  AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?)"
                " RETURNING id, mailbox, recipients, raw, rfc_message_id, attempts",
                (to_db(now or self.clock()), limit),
            ).fetchall()
        claimed = [
            Claimed(r[0], r[1], tuple(json.loads(r[2])), bytes(r[3]), r[4], r[5]) for r in rows
        ]
        return sorted(claimed, key=lambda c: c.id)

    def release_stale(self, now: datetime | None = None) -> int:
        """Rows left `sending` by a sender that died: due again now.

        Call only while holding the sender lock (no other sender can be mid-send).
        One of them may have reached the server: it goes again with the same Message-ID.
        """
        with self._tx() as conn:
            cursor = conn.execute(
                "UPDATE outbox SET state = 'retrying', next_attempt_at = ?,"
                " last_error = 'interrupted while sending; sending again'"
                " WHERE state = 'sending'",
                (to_db(now or self.clock()),),
            )
            return cursor.rowcount

    def _set(self, outbox_id: int, **values: Any) -> None:
        sets = ", ".join(f"{k} = ?" for k in values)
        params = [to_db(v) if isinstance(v, datetime) else v for v in values.values()]
        with self._tx() as conn:
            conn.execute(
                f"UPDATE outbox SET {sets} WHERE id = ? AND state = 'sending'",
                (*params, outbox_id),
            )

    def mark_sent(self, outbox_id: int, note: str | None = None) -> None:
        """The server accepted the mail (`note`: recipients it refused, if any)."""
        self._set(outbox_id, state="sent", sent_at=self.clock(), last_error=note)

    def mark_retry(self, outbox_id: int, attempts: int, error: str) -> None:
        """A temporary failure: again after the backoff, or failed after max_attempts."""
        if attempts >= self.settings.max_attempts:
            self.mark_failed(outbox_id, f"gave up after {attempts} attempts: {error}")
            return
        self._set(
            outbox_id,
            state="retrying",
            next_attempt_at=self.clock() + self.settings.backoff(attempts),
            last_error=error,
        )

    def mark_failed(self, outbox_id: int, error: str) -> None:
        """A permanent failure (5xx): kept with the server's reply; `retry` sends again."""
        self._set(outbox_id, state="failed", last_error=error)
