"""Automatic mail (RFC 3834 and what real mailers send instead) is recognised."""

from __future__ import annotations

import pytest

from deskterm.mail.auto import AutoKind, classify, failed_recipients
from deskterm.mail.parse import parse_mail


def _mail(headers: str, body: str = "hello") -> bytes:
    return f"From: Ana <ana@example.com>\nSubject: Hi\n{headers}\n\n{body}".encode()


@pytest.mark.parametrize(
    ("headers", "kind"),
    [
        ("", AutoKind.NONE),
        ("Auto-Submitted: no", AutoKind.NONE),
        ("Auto-Submitted: auto-replied", AutoKind.AUTO_REPLY),
        ("Auto-Submitted: auto-generated", AutoKind.BULK),
        ("Auto-Submitted: auto-generated\nX-Autoreply: yes", AutoKind.AUTO_REPLY),
        ("Precedence: bulk", AutoKind.BULK),
        ("Precedence: junk", AutoKind.BULK),
        ("Precedence: list", AutoKind.LIST),
        ("List-Id: <users.lists.example.com>", AutoKind.LIST),
        ("List-Unsubscribe: <mailto:leave@example.com>", AutoKind.BULK),
        ("X-Auto-Response-Suppress: All", AutoKind.BULK),
        ("X-Failed-Recipients: bob@example.com", AutoKind.BOUNCE),
    ],
)
def test_headers(headers: str, kind: AutoKind) -> None:
    assert parse_mail(_mail(headers)).auto is kind


def test_out_of_office_subject() -> None:
    raw = b"From: bob@example.com\nSubject: Automatic reply: your ticket\n\naway"
    assert parse_mail(raw).auto is AutoKind.AUTO_REPLY
    human = b"From: bob@example.com\nSubject: autoreply settings broken\n\nhelp"
    assert parse_mail(human).auto is AutoKind.NONE


@pytest.mark.parametrize("sender", ["MAILER-DAEMON@mx.example.com", "postmaster@example.com"])
def test_daemon_senders_are_bounces(sender: str) -> None:
    assert classify({}, sender=sender.lower()) is AutoKind.BOUNCE


DSN = b"""From: Mail Delivery System <MAILER-DAEMON@mx.example.com>
To: help@example.com
Subject: Undelivered Mail Returned to Sender
Content-Type: multipart/report; report-type=delivery-status; boundary="R"

--R
Content-Type: text/plain

I'm sorry to have to inform you that your message could not be delivered.

--R
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.com

Final-Recipient: rfc822; Gone@Example.org
Action: failed
Status: 5.1.1

Final-Recipient: rfc822; later@example.org
Action: delayed
Status: 4.4.1

--R
Content-Type: text/rfc822-headers

From: help@example.com
Message-ID: <original-1@desk.example.com>
Subject: Your ticket

--R--
"""


def test_delivery_status_report() -> None:
    mail = parse_mail(DSN)
    assert mail.auto is AutoKind.BOUNCE
    assert mail.bounced_message_id == "original-1@desk.example.com"
    assert mail.failed_recipients == ("gone@example.org",)
    assert {a.mime_type for a in mail.attachments} == {
        "message/delivery-status",
        "text/rfc822-headers",
    }


def test_bounce_falls_back_to_references() -> None:
    raw = (
        b"From: MAILER-DAEMON@mx.example.com\nSubject: Delivery failure\n"
        b"References: <a@x> <b@x>\n\nsorry"
    )
    assert parse_mail(raw).bounced_message_id == "b@x"


def test_failed_recipients_without_action() -> None:
    blocks = [{"final-recipient": "rfc822;x@example.com"}, {"original-recipient": "y@e.org"}]
    assert failed_recipients(blocks) == ("x@example.com", "y@e.org")
