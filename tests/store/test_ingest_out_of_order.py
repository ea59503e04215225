"""Mail that arrives out of order: replies before their parent still make one thread.

IMAP hands mails over in UID order and people import files in any order, so a
reply can be stored before the mail it answers. The parent then joins the ticket
the reply opened, and the thread reads in the order the mails were written.
"""

from __future__ import annotations

import pytest
from helpers.clock import Clock
from helpers.mails import customer_mail, reply_chain

from deskterm.store.queries.mail import explain_message
from deskterm.store.queries.tickets import get_ticket
from deskterm.store.schema.db import Store
from deskterm.store.service.ingest import MailIngest, Outcome, parse_incoming


@pytest.mark.parametrize("one_batch", [True, False], ids=["one batch", "three batches"])
def test_newest_first_makes_one_thread_in_written_order(
    store: Store, clock: Clock, one_batch: bool
) -> None:
    ingest = MailIngest(store, clock=clock)
    items = [
        parse_incoming(raw, f"file {n}") for n, raw in reversed(list(enumerate(reply_chain())))
    ]
    if one_batch:
        results = ingest.ingest(items)
    else:
        results = [r for item in items for r in ingest.ingest([item])]
    assert [r.outcome for r in results] == [Outcome.NEW, Outcome.THREADED, Outcome.THREADED]
    assert [r.rule for r in results] == ["new", "earlier-reply", "earlier-reply"]
    number = results[0].ticket_number
    assert {r.ticket_number for r in results} == {number}
    assert number is not None
    detail = get_ticket(store, number)
    assert [m.message_id for m in detail.messages] == [f"chain{n}@customer.test" for n in range(3)]
    assert [m.written_at.day for m in detail.messages] == [2, 3, 4]
    for result in results:
        assert result.message_id is not None
        explained = explain_message(store, result.message_id)
        assert explained.stored_on == number
        assert explained.ticket in (None, number)  # the first stored one opened it


def test_parent_linked_elsewhere_names_the_early_replys_ticket(store: Store, clock: Clock) -> None:
    ingest = MailIngest(store, clock=clock)
    (older,) = ingest.ingest([parse_incoming(customer_mail("old@customer.test", day=1), "old")])
    parent = customer_mail("parent@customer.test", refs=("old@customer.test",), day=2)
    reply = customer_mail("reply@customer.test", refs=("parent@customer.test",), day=3)
    (early,) = ingest.ingest([parse_incoming(reply, "reply")])
    (late,) = ingest.ingest([parse_incoming(parent, "parent")])
    assert (late.ticket_number, late.rule) == (older.ticket_number, "in-reply-to")
    assert early.ticket_number != older.ticket_number and late.message_id is not None
    notes = explain_message(store, late.message_id).notes
    assert f"a reply to this mail arrived before it and is on #{early.ticket_number}" in notes[-1]
