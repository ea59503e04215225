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


def customer_mail(ident: str, *, refs: tuple[str, ...] = (), day: int = 2) -> bytes:
    """Ana's mail <ident>, written on `day` March 1997, replying to the last of `refs`."""
    threading = (
        f"In-Reply-To: <{refs[-1]}>\nReferences: {' '.join(f'<{r}>' for r in refs)}\n"
        if refs
        else ""
    )
    return (
        f"From: Ana <ana@customer.test>\nTo: support@desk.test\n"
        f"Subject: {'Re: ' if refs else ''}Printer jams\nMessage-ID: <{ident}>\n"
        f"Date: Mon, {day:02d} Mar 1997 09:00:00 +0000\n{threading}\nMail {ident}.\n"
    ).encode()


def reply_chain(count: int = 3) -> list[bytes]:
    """A mail and its replies, oldest first, a day apart, each replying to the one before."""
    idents = [f"chain{n}@customer.test" for n in range(count)]
    return [
        customer_mail(ident, refs=tuple(idents[:n]), day=2 + n) for n, ident in enumerate(idents)
    ]
