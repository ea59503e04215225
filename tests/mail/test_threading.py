"""Threading rules: headers, subject tags (and forged ones), bounces, auto-replies, reopening."""

from __future__ import annotations

from email.utils import make_msgid

import pytest

from deskterm.mail.dedupe import dedupe_key
from deskterm.mail.parse import parse_mail
from deskterm.mail.threading import subject_tags
from deskterm.store.queries.mail import explain_file, explain_message
from deskterm.store.service import Actor, Service
from deskterm.store.service.ingest import MailIngest, Outcome, parse_incoming


def mail(
    sender: str = "ana@acme.test",
    subject: str = "Printer on fire",
    body: str = "Please help.",
    *,
    msgid: str | None = None,
    headers: str = "",
) -> bytes:
    msgid = msgid or make_msgid(domain="client.test")
    return (
        f"From: Ana <{sender}>\nTo: support@desk.test\nSubject: {subject}\n"
        f"Message-ID: {msgid}\nDate: Mon, 2 Mar 2026 09:00:00 +0000\n{headers}"
        f"Content-Type: text/plain; charset=utf-8\n\n{body}\n"
    ).encode()


def take(ingest: MailIngest, raw: bytes):
    (result,) = ingest.ingest([parse_incoming(raw, "test")])
    return result


@pytest.fixture
def ingest(store) -> MailIngest:
    return MailIngest(store, own_addresses=["support@desk.test"])


def status(store, number: int) -> str:
    return store.read().execute("SELECT status FROM ticket WHERE number=?", (number,)).fetchone()[0]


def test_subject_tag_pattern_ignores_foreign_tags_and_lookalikes() -> None:
    assert subject_tags("Re: [#12] printer [#7]") == [12, 7]
    assert subject_tags("AW: [Ticket#11162] hallo") == []
    assert subject_tags("Rechnung #1XXXX9 offen") == []
    assert subject_tags("Re: [T-42] x", prefix="T-") == [42]


def test_reply_by_in_reply_to_and_references(ingest: MailIngest) -> None:
    first_id = make_msgid(domain="client.test")
    first = take(ingest, mail(msgid=first_id))
    assert first.outcome is Outcome.NEW
    by_irt = take(ingest, mail(subject="Re: x", headers=f"In-Reply-To: {first_id}\n"))
    assert (by_irt.outcome, by_irt.ticket_number, by_irt.rule) == (
        Outcome.THREADED,
        first.ticket_number,
        "in-reply-to",
    )
    by_refs = take(
        ingest, mail(subject="Re: y", headers=f"References: <nope@x> {first_id} <other@x>\n")
    )
    assert (by_refs.ticket_number, by_refs.rule) == (first.ticket_number, "references")


def test_reply_to_our_outbound_message_id(store, ingest: MailIngest) -> None:
    """Outbound replies carry message.message_id (with or without brackets)."""
    service = Service(store, Actor.system())
    created = service.create_ticket("Hello", "body", "bo@acme.test")
    reply_id = service.add_reply(created.number, "We are on it")
    with service.unit() as uow:
        s = uow.session
        from deskterm.store.schema.models import Message

        reply = s.get(Message, reply_id)
        assert reply is not None
        reply.message_id = "<reply-1@desk.test>"
    result = take(ingest, mail("bo@acme.test", headers="In-Reply-To: <reply-1@desk.test>\n"))
    assert (result.ticket_number, result.rule) == (created.number, "in-reply-to")


def test_subject_tag_threads_for_customer_and_colleague_but_not_stranger(
    store, ingest: MailIngest
) -> None:
    first = take(ingest, mail("ana@acme.test"))
    tag = f"[#{first.ticket_number}]"
    own = take(ingest, mail("ana@acme.test", f"Re: {tag} more"))
    assert (own.ticket_number, own.rule) == (first.ticket_number, "subject-tag")
    colleague = take(ingest, mail("boss@acme.test", f"Re: {tag} from the boss"))
    assert colleague.rule == "subject-tag"
    forged = take(ingest, mail("mallory@evil.test", f"Re: {tag} pay this invoice"))
    assert forged.outcome is Outcome.NEW
    assert forged.ticket_number != first.ticket_number
    assert "mallory@evil.test is neither the customer" in forged.reason
    # The forged mail's explanation says the same, replayed from the store.
    explained = explain_message(store, forged.message_id, own=["support@desk.test"])
    assert explained.rule == "new" and "ignored" in explained.reason


def test_free_mail_domain_is_not_a_colleague(ingest: MailIngest) -> None:
    first = take(ingest, mail("ana@gmail.com"))
    other = take(ingest, mail("eve@gmail.com", f"[#{first.ticket_number}] hi"))
    assert other.outcome is Outcome.NEW


def test_customer_reply_reopens_solved_but_auto_reply_does_not(store, ingest) -> None:
    first_id = make_msgid(domain="client.test")
    first = take(ingest, mail(msgid=first_id))
    service = Service(store, Actor.system())
    service.set_status(first.ticket_number, "solved")
    auto = take(
        ingest,
        mail(
            subject="Automatic reply: out of office",
            headers=f"In-Reply-To: {first_id}\nAuto-Submitted: auto-replied\n",
        ),
    )
    assert auto.ticket_number == first.ticket_number
    assert status(store, first.ticket_number) == "solved"
    row = store.read().execute("SELECT auto_kind FROM message WHERE id=?", (auto.message_id,))
    assert row.fetchone()[0] == "auto_reply"
    human = take(ingest, mail(subject="Re: still broken", headers=f"In-Reply-To: {first_id}\n"))
    assert human.ticket_number == first.ticket_number
    assert status(store, first.ticket_number) == "open"


def test_mail_to_closed_ticket_opens_followup(store, ingest) -> None:
    first_id = make_msgid(domain="client.test")
    first = take(ingest, mail(msgid=first_id))
    Service(store, Actor.system()).set_status(first.ticket_number, "closed")
    again = take(ingest, mail(headers=f"In-Reply-To: {first_id}\n"))
    assert again.outcome is Outcome.NEW and again.rule == "closed-followup"
    assert status(store, first.ticket_number) == "closed"


def test_bounce_joins_ticket_of_bounced_message_and_flags_address(store, ingest) -> None:
    original_id = "orig-1@desk.test"
    first = take(ingest, mail("carl@acme.test", msgid=f"<{original_id}>"))
    bounce = (
        "From: MAILER-DAEMON@mx.desk.test (Mail Delivery System)\n"
        "To: support@desk.test\nSubject: Undelivered Mail Returned to Sender\n"
        "Message-ID: <b1@mx.desk.test>\nAuto-Submitted: auto-replied\nMIME-Version: 1.0\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="BB"\n\n'
        "--BB\nContent-Type: text/plain\n\nI could not deliver your mail.\n\n"
        "--BB\nContent-Type: message/delivery-status\n\n"
        "Reporting-MTA: dns; mx.desk.test\n\nFinal-Recipient: rfc822; carl@acme.test\n"
        "Action: failed\nStatus: 5.1.1\n\n"
        "--BB\nContent-Type: text/rfc822-headers\n\n"
        f"From: support@desk.test\nTo: carl@acme.test\nMessage-ID: <{original_id}>\n"
        "Subject: Re: Printer on fire\n\n--BB--\n"
    ).encode()
    result = take(ingest, bounce)
    assert (result.ticket_number, result.rule) == (first.ticket_number, "bounce")
    flagged = store.read().execute(
        "SELECT bounced_at IS NOT NULL, bounce_reason FROM customer WHERE email='carl@acme.test'"
    )
    assert flagged.fetchone()[0] == 1
    assert status(store, first.ticket_number) == "new"


def test_same_message_id_different_content_is_not_a_duplicate(ingest) -> None:
    shared = "<same@jira.test>"
    a = take(ingest, mail("jira@jira.test", "[JIRA] (SYS-101) one", msgid=shared))
    b = take(ingest, mail("jira@jira.test", "[JIRA] (SYS-101) two", "other", msgid=shared))
    assert b.outcome is Outcome.THREADED and b.rule == "same-message-id"
    assert a.message_id != b.message_id
    # An unrelated mail reusing the id (broken mailer) does not thread.
    c = take(ingest, mail("zed@other.test", "lunch?", msgid=shared))
    assert c.outcome is Outcome.NEW


def test_dedupe_key_ignores_transport_headers() -> None:
    raw = mail(msgid="<k@x>")
    relayed = (
        b"Return-Path: <ana@acme.test>\nDelivered-To: other@desk.test\n"
        b"X-Original-To: other@desk.test\nReceived: from mx by desk; Mon, 2 Mar 2026\n"
        + raw.replace(b"\n", b"\r\n")
    )
    assert dedupe_key(raw, "k@x") == dedupe_key(relayed, "k@x")
    assert dedupe_key(raw, "k@x") != dedupe_key(raw.replace(b"help", b"hold"), "k@x")


def test_explain_file_says_duplicate_and_rule(store, ingest, tmp_path) -> None:
    raw = mail(msgid="<e1@x>")
    first = take(ingest, raw)
    result = explain_file(store, raw, own=["support@desk.test"])
    assert result.duplicate_of == first.message_id
    parsed = parse_mail(raw)
    assert result.subject == parsed.subject


def test_explain_says_a_resent_crlf_copy_is_the_same_message(store, ingest) -> None:
    raw = mail(msgid="<e2@x>")
    first = take(ingest, raw)
    resent = b"Resent-From: boss@acme.test\nReceived: by relay\n" + raw.replace(b"\n", b"\r\n")
    result = explain_file(store, resent, own=["support@desk.test"])
    assert result.duplicate_of == first.message_id
    note = next(text for text in result.lines() if "a copy of stored message" in text)
    assert "line endings" in note and "Resent-" in note
