"""Delivery reports taken in: a delay notice threads on but flags no address; a failure does."""

from __future__ import annotations

from helpers.clock import Clock
from helpers.mails import delay_notice

from deskterm.store.schema.db import Store
from deskterm.store.service.ingest import MailIngest, Outcome, parse_incoming

CUSTOMER_MAIL = (
    b"From: Slow <slow@customer.test>\nTo: support@desk.test\nSubject: Printer\n"
    b"Message-ID: <m1@customer.test>\nDate: Mon, 02 Mar 2026 09:00:00 +0000\n\nIt jams.\n"
)


def _flag(store: Store) -> object:
    row = store.read().execute(
        "SELECT bounced_at FROM customer WHERE email = ?", ("slow@customer.test",)
    )
    return row.fetchone()[0]


def test_delay_notice_threads_and_flags_nobody(store: Store, clock: Clock) -> None:
    ingest = MailIngest(store, clock=clock)
    (opened,) = ingest.ingest([parse_incoming(CUSTOMER_MAIL, "t 1")])
    (delay,) = ingest.ingest([parse_incoming(delay_notice(), "t 2")])
    assert (delay.outcome, delay.ticket_number, delay.rule) == (
        Outcome.THREADED, opened.ticket_number, "bounce",
    )  # fmt: skip
    assert delay.reason.startswith("delay notice for <m1@customer.test>")
    kind = store.read().execute("SELECT auto_kind FROM message WHERE id = ?", (delay.message_id,))
    assert kind.fetchone()[0] == "delay"
    assert _flag(store) is None
    ingest.ingest([parse_incoming(delay_notice("failed"), "t 3")])
    assert _flag(store) is not None
