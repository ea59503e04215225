"""Hand-built mails for tests: delivery reports and reply chains with the headers that matter."""

from __future__ import annotations


def delay_notice(action: str = "delayed", returned: str = "m1@customer.test") -> bytes:
    """A delivery report (Postfix style) about <returned> to slow@customer.test."""
    return (
        b"From: MAILER-DAEMON@mx.example.com (Mail Delivery System)\nTo: support@desk.test\n"
        b"Subject: Delayed Mail (still being retried)\nMessage-ID: <dsn-" + action.encode()
        + b"@mx.example.com>\nContent-Type: multipart/report; report-type=delivery-status;"
        b" boundary=B\n\n--B\nContent-Type: text/plain\n\n"
        b"THIS IS A WARNING ONLY.  YOU DO NOT NEED TO RESEND YOUR MESSAGE.\n"
        b"--B\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.com\n\n"
        b"Final-Recipient: rfc822; slow@customer.test\nAction: " + action.encode()
        + b"\nStatus: 4.4.1\n\n--B\nContent-Type: text/rfc822-headers\n\n"
        b"From: support@desk.test\nTo: slow@customer.test\n"
        b"Message-ID: <" + returned.encode() + b">\n--B--\n"
    )  # fmt: skip
