"""Build outgoing mail as bytes: headers, threading, quoting, attachments. Pure.

The outbox stores these bytes before the first attempt, so every retry (and the
one repeat a crash can cause) sends exactly the same mail with the same
Message-ID. Lines end in CRLF and bodies are 7-bit clean (quoted-printable or
base64), so any SMTP server takes them without 8BITMIME.
"""

from __future__ import annotations

import mimetypes
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, make_msgid

from deskterm.mail.headers import message_ids

# 7-bit output: no server needs 8BITMIME, and the bytes survive any relay.
_POLICY = SMTP.clone(cte_type="7bit", max_line_length=78)
_REPLY_PREFIX = re.compile(r"^\s*((re|aw|sv|vs|antw|fwd?|wg)\s*(\[\d+\])?\s*:\s*)+", re.IGNORECASE)
_SPACES = re.compile(r"\s+")
MAX_REFERENCES = 20  # first + last 19: enough for any mailer's threading, bounded size


@dataclass(frozen=True, slots=True)
class OutgoingAttachment:
    filename: str
    data: bytes
    mime_type: str = "application/octet-stream"


@dataclass(frozen=True, slots=True)
class OutgoingMail:
    """Everything that goes into one outgoing mail, as plain values."""

    from_addr: str
    from_name: str
    to: tuple[tuple[str, str], ...]  # (display name, address)
    subject: str
    body: str
    message_id: str  # without angle brackets
    date: datetime
    cc: tuple[tuple[str, str], ...] = ()
    in_reply_to: str | None = None
    references: tuple[str, ...] = ()
    attachments: tuple[OutgoingAttachment, ...] = ()
    auto_submitted: str | None = None  # "auto-replied" for automatic mail (RFC 3834)


def one_line(value: str) -> str:
    """Header text on one line: CR/LF from a subject or a name cannot add headers."""
    return _SPACES.sub(" ", value).strip()


def new_message_id(domain: str) -> str:
    """A fresh Message-ID (without brackets) on the sending mailbox's domain."""
    return make_msgid(domain=domain.strip().lower() or "deskterm.invalid").strip("<>")


def guess_mime_type(filename: str) -> str:
    return mimetypes.guess_type(filename)[0] or "application/octet-stream"


def tag_pattern(prefix: str = "#") -> re.Pattern[str]:
    """The ticket tag in a subject, e.g. `[#42]`; group 1 is the number."""
    return re.compile(r"\[" + re.escape(prefix) + r"(\d+)\]")


def reply_subject(subject: str, number: int, prefix: str = "#") -> str:
    """`Re: Printer on fire [#42]`: one Re:, one tag, whatever the customer's mailer did."""
    base = tag_pattern(prefix).sub("", one_line(subject))
    base = one_line(_REPLY_PREFIX.sub("", base)) or "(no subject)"
    return f"Re: {base} [{prefix}{number}]"


def references_chain(
    parent_id: str | None, parent_refs: str | Iterable[str] | None
) -> tuple[str, ...]:
    """References of a reply: the parent's References, then the parent (RFC 5322 3.6.4)."""
    refs = message_ids(parent_refs) if isinstance(parent_refs, str) else list(parent_refs or ())
    if parent_id:
        refs.append(parent_id)
    chain = list(dict.fromkeys(r.strip("<>") for r in refs if r.strip("<>")))
    if len(chain) > MAX_REFERENCES:
        chain = [chain[0], *chain[-(MAX_REFERENCES - 1) :]]
    return tuple(chain)


def quote(body: str, author: str, when: datetime | None) -> str:
    """The original below a reply: an attribution line, then `> ` on every line."""
    stamp = when.strftime("%a, %d %b %Y %H:%M %Z").strip() if when else ""
    who = one_line(author) or "you"
    head = f"On {stamp}, {who} wrote:" if stamp else f"{who} wrote:"
    lines = body.strip("\n").splitlines() or [""]
    return head + "\n" + "\n".join(f"> {line}" if line else ">" for line in lines)


def full_body(body: str, signature: str = "", quoted: str = "") -> str:
    """The text as sent: the agent's words, the signature after `-- `, the quote."""
    parts = [body.rstrip()]
    if signature.strip():
        parts.append("-- \n" + signature.strip("\n"))
    if quoted:
        parts.append(quoted)
    return "\n\n".join(parts) + "\n"


def _addresses(pairs: Sequence[tuple[str, str]]) -> list[Address]:
    out = []
    for name, addr in pairs:
        local, _, domain = addr.strip().rpartition("@")
        out.append(Address(display_name=one_line(name), username=local, domain=domain))
    return out


def compose(mail: OutgoingMail) -> bytes:
    """The mail as CRLF bytes, ready for SMTP DATA."""
    msg = EmailMessage(policy=_POLICY)
    msg["From"] = _addresses([(mail.from_name, mail.from_addr)])[0]
    msg["To"] = _addresses(mail.to)
    if mail.cc:
        msg["Cc"] = _addresses(mail.cc)
    msg["Subject"] = one_line(mail.subject)
    msg["Date"] = format_datetime(mail.date)
    msg["Message-ID"] = f"<{mail.message_id}>"
    if mail.in_reply_to:
        msg["In-Reply-To"] = f"<{mail.in_reply_to}>"
    if mail.references:
        msg["References"] = " ".join(f"<{r}>" for r in mail.references)
    if mail.auto_submitted:
        msg["Auto-Submitted"] = mail.auto_submitted
        # Exchange and Outlook honour this one instead: no out-of-office back to us.
        msg["X-Auto-Response-Suppress"] = "All"
    body = mail.body.replace("\r\n", "\n").replace("\r", "\n")
    msg.set_content(body, subtype="plain", charset="utf-8")
    for item in mail.attachments:
        maintype, _, subtype = item.mime_type.partition("/")
        msg.add_attachment(
            item.data,
            maintype=maintype or "application",
            subtype=subtype or "octet-stream",
            filename=one_line(item.filename) or "attachment",
        )
    return msg.as_bytes(policy=_POLICY)
