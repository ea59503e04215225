"""A reply becomes mail: headers, threading, signature, quote, attachment; undo; reads."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers.clock import Clock
from helpers.outbox import (
    SUPPORT,
    mail_service,
    parsed,
    settings_for,
    ticket_from_mail,
)
from helpers.smtp import SmtpServer

from deskterm.channels.sender import Sender
from deskterm.errors import UsageError
from deskterm.mail.parse import parse_mail
from deskterm.store.queries import outbox as outbox_queries
from deskterm.store.queries import tickets as queries
from deskterm.store.schema.db import Store
from deskterm.store.service import Actor, Service


def _sam_signature(store: Store) -> None:
    store.read().execute(
        "UPDATE agent SET signature = 'Sam Lee\nExample Support' WHERE email = 'sam@desk.test'"
    )


def test_reply_is_delivered_with_threading_headers(
    store: Store, clock: Clock, smtp_server: SmtpServer, tmp_path: Path
) -> None:
    settings = settings_for(smtp_server)
    service = mail_service(store, clock, settings)
    _sam_signature(store)
    number = ticket_from_mail(service, cc="boss@customer.test, support@example.test")
    clock.advance(minutes=5)
    report = tmp_path / "report.pdf"
    report.write_bytes(b"%PDF-1.4 fake\x00\xff")
    message_id, outbox_id = service.send_reply(
        number, "We replaced the fuse.\nAll good now.", attachments=[report]
    )
    assert outbox_id is not None

    sender = Sender(store, settings, clock=clock)
    assert sender.run_once().sent == 0  # undo window still open
    clock.advance(seconds=11)
    done = sender.run_once()
    sender.release()
    assert (done.sent, done.failed, done.retrying) == (1, 0, 0)

    (got,) = smtp_server.wait_for_messages(1)
    assert got.mail_from == SUPPORT
    assert sorted(got.rcpt_tos) == ["ana@customer.test", "boss@customer.test"]
    mail = parsed(got.content)
    ours = outbox_queries.get_outbox(store, outbox_id)
    assert ours.state == "sent"
    assert mail["Message-ID"] == f"<{ours.rfc_message_id}>"
    assert ours.rfc_message_id.endswith("@example.test")
    assert mail["In-Reply-To"] == "<first@customer.test>"
    assert mail["References"] == "<first@customer.test>"
    assert mail["Subject"] == f"Re: Printer on fire [#{number}]"
    assert str(mail["From"]) == "Sam Lee via Example Support <support@example.test>"
    assert mail["Cc"] == "boss@customer.test"
    assert mail["Auto-Submitted"] is None
    text = next(p for p in mail.walk() if p.get_content_type() == "text/plain").get_content()
    text = text.replace("\r\n", "\n")
    assert text.startswith("We replaced the fuse.\nAll good now.\n\n-- \nSam Lee\nExample Support")
    assert "Ana Ruiz wrote:\n> It smokes.\n> Please help." in text
    (attachment,) = list(mail.iter_attachments())
    assert attachment.get_filename() == "report.pdf"
    assert attachment.get_content() == b"%PDF-1.4 fake\x00\xff"
    # The stored reply carries the same headers; the attachment is stored once.
    detail = queries.get_ticket(store, number)
    reply = next(m for m in detail.messages if m.id == message_id)
    assert reply.message_id == ours.rfc_message_id
    assert reply.body_text == "We replaced the fuse.\nAll good now."
    assert [a.filename for a in reply.attachments] == ["report.pdf"]
    row = store.read().execute("SELECT count(*) FROM attachment").fetchone()
    assert row[0] == 1


def test_customer_answer_threads_back(store: Store, clock: Clock, smtp_server: SmtpServer) -> None:
    """The customer's reply to our mail lands on the same ticket via mail-in."""
    settings = settings_for(smtp_server, undo_seconds=0)
    service = mail_service(store, clock, settings)
    number = ticket_from_mail(service)
    service.add_reply(number, "Did that help?")
    sender = Sender(store, settings, clock=clock)
    sender.run_once()
    sender.release()
    (got,) = smtp_server.wait_for_messages(1)
    ours = parsed(got.content)
    answer = (
        "From: Ana Ruiz <ana@customer.test>\r\nTo: support@example.test\r\n"
        f"Subject: Re: {ours['Subject']}\r\nMessage-ID: <second@customer.test>\r\n"
        f"In-Reply-To: {ours['Message-ID']}\r\nReferences: {ours['References']}"
        f" {ours['Message-ID']}\r\n\r\nYes, thanks!\r\n"
    ).encode()
    assert parse_mail(answer).in_reply_to == ours["Message-ID"].strip("<>")
    from deskterm.store.service.ingest import MailIngest, Outcome, parse_incoming

    ingest = MailIngest(store, clock=clock, own_addresses=[SUPPORT])
    (result,) = ingest.ingest([parse_incoming(answer, "test", mailbox=SUPPORT)])
    assert (result.outcome, result.ticket_number) == (Outcome.THREADED, number)


def test_undo_window_cancel_gives_the_text_back(
    store: Store, clock: Clock, smtp_server: SmtpServer
) -> None:
    settings = settings_for(smtp_server)
    service = mail_service(store, clock, settings)
    number = ticket_from_mail(service)
    before = queries.get_ticket(store, number)
    message_id, outbox_id = service.send_reply(number, "Oops, wrong ticket.")
    assert outbox_id is not None
    states = outbox_queries.list_delivery_states(store, number)
    assert states[message_id].state == "waiting"
    assert states[message_id].until == clock.now.replace(second=10)
    assert states[message_id].describe().startswith("waiting (undo until ")

    clock.advance(seconds=9)
    sender = Sender(store, settings, clock=clock)
    report = sender.run_once()
    assert report.sent == 0 and report.waiting == 1
    assert service.cancel(outbox_id) == "Oops, wrong ticket."
    clock.advance(seconds=60)
    assert sender.run_once().sent == 0
    sender.release()
    assert smtp_server.messages == []
    after = queries.get_ticket(store, number)
    assert [m.id for m in after.messages] == [m.id for m in before.messages]
    assert after.ticket.message_count == before.ticket.message_count
    assert after.ticket.first_response_at is None
    hits = (
        store.read()
        .execute("SELECT count(*) FROM message_fts WHERE message_fts MATCH 'wrong'")
        .fetchone()
    )
    assert hits[0] == 0
    kinds = [e.kind for e in queries.list_events(store, number)]
    assert "reply" not in kinds
    with pytest.raises(Exception, match="no outbox entry"):
        service.cancel(outbox_id)


def test_cancel_refused_once_sent(store: Store, clock: Clock, smtp_server: SmtpServer) -> None:
    settings = settings_for(smtp_server, undo_seconds=0)
    service = mail_service(store, clock, settings)
    number = ticket_from_mail(service)
    _, outbox_id = service.send_reply(number, "Done.")
    sender = Sender(store, settings, clock=clock)
    sender.run_once()
    sender.release()
    assert outbox_id is not None
    with pytest.raises(UsageError, match="sent: too late"):
        service.cancel(outbox_id)


def test_add_reply_and_canned_route_through_the_outbox(
    store: Store, clock: Clock, smtp_server: SmtpServer
) -> None:
    settings = settings_for(smtp_server)
    service = mail_service(store, clock, settings)
    number = ticket_from_mail(service)
    service.save_canned("thanks", "Thanks {{ customer.first_name }}!", {"status": "pending"})
    service.add_reply(number, "Plain reply")
    service.apply_canned(number, "thanks")
    service.add_note(number, "internal")
    rows = outbox_queries.list_outbox(store)
    assert [r.kind for r in rows] == ["reply", "reply"]
    assert {json.dumps(r.recipients) for r in rows} == {'["ana@customer.test"]'}
    # Phone tickets and services without mail settings store replies only.
    phone = service.create_ticket("Call", "rang us", "bo@customer.test", channel="phone")
    service.add_reply(phone.number, "Called back")
    Service(store, Actor.system(), clock).add_reply(number, "no mail settings")
    assert len(outbox_queries.list_outbox(store)) == 2


def test_web_ticket_reply_threads_onto_our_last_mail(
    store: Store, clock: Clock, smtp_server: SmtpServer
) -> None:
    settings = settings_for(smtp_server, undo_seconds=0, quote_original=False)
    service = mail_service(store, clock, settings)
    number = service.create_ticket("Web form", "hi", "web@customer.test").number
    service.add_reply(number, "first")
    service.add_reply(number, "second")
    first, second = sorted(outbox_queries.list_outbox(store), key=lambda r: r.id)
    raw = outbox_queries.get_outbox_raw(store, second.id)
    assert parsed(raw)["In-Reply-To"] == f"<{first.rfc_message_id}>"
    assert "wrote:" not in raw.decode()
