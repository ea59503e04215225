"""Parse raw RFC 822 bytes into a frozen `ParsedMail`, salvaging whatever is broken.

One function, `parse_mail`, is the door from bytes to everything else: fetch,
import and re-ingest all go through it. It raises `MailError` only when nothing
can be made of the bytes; otherwise the oddities found land in `defects`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import Message
from email.parser import BytesParser
from email.policy import compat32
from email.utils import parsedate_to_datetime

from deskterm.errors import MailError
from deskterm.mail.addresses import Address, parse_addresses, pick_sender
from deskterm.mail.auto import (
    DELIVERY_REPORTS,
    AutoKind,
    classify,
    failed_recipients,
    report_kind,
)
from deskterm.mail.headers import decode_header, message_ids, to_text, unfold
from deskterm.mail.html import render
from deskterm.mail.mime import ParsedAttachment, Piece, Walker, plain_to_html

DEFAULT_MAX_BYTES = 25_000_000
# No person writes 5 MB of HTML; past that we render a prefix so time stays bounded.
MAX_HTML_CHARS = 5_000_000
_HEADER_LINE = re.compile(rb"[!-9;-~]+[ \t]*:")
_HEADER_END = re.compile(rb"\r?\n\r?\n")
_BODY_MSG_ID = re.compile(r"^\s*Message-ID:\s*<([^<>\s]+)>", re.IGNORECASE | re.MULTILINE)
_SENDER_FALLBACKS = ("reply-to", "sender", "return-path")


@dataclass(frozen=True, slots=True)
class ParsedMail:
    """Everything deskterm needs from one mail, decoded, as plain values."""

    message_id: str | None
    in_reply_to: str | None
    references: tuple[str, ...]
    subject: str
    from_name: str
    from_addr: str
    from_valid: bool
    reply_to: str | None
    to: tuple[str, ...]
    cc: tuple[str, ...]
    date: datetime | None
    body_text: str
    body_html: str | None
    attachments: tuple[ParsedAttachment, ...]
    auto: AutoKind
    auto_submitted: str | None
    precedence: str | None
    list_id: str | None
    bounced_message_id: str | None
    failed_recipients: tuple[str, ...]
    defects: tuple[str, ...]


def _repair_headers(raw: bytes, defects: list[str]) -> bytes:
    """Drop an mbox envelope line and junk before the headers; re-fold stray header lines.

    Mailers (and people pasting mails) leave unindented continuation lines and
    prose above the headers; the stdlib then ends the headers early and loses
    From and Subject.
    """
    if raw.startswith(b"From "):
        raw = raw[raw.find(b"\n") + 1 :] if b"\n" in raw else b""
    match = _HEADER_END.search(raw)
    end = match.start() if match else len(raw)
    lines = raw[:end].split(b"\n")
    fixed: list[bytes] = []
    changed = False
    for line in lines:
        if _HEADER_LINE.match(line) or (fixed and line[:1] in {b" ", b"\t"}):
            fixed.append(line)
        else:
            changed = True
            if fixed:
                fixed.append(b" " + line)
    if not fixed:
        defects.append("no header block found; whole mail kept as body")
        return b"\n" + raw
    if not changed:
        return raw
    defects.append("malformed header lines repaired")
    return b"\n".join(fixed) + raw[end:]


def _header_map(message: Message) -> tuple[dict[str, str], list[str]]:
    """First value of every header (keys lower-case) plus all From values."""
    headers: dict[str, str] = {}
    senders: list[str] = []
    for name, value in message.raw_items():
        key = name.lower()
        headers.setdefault(key, str(value))
        if key == "from":
            senders.append(str(value))
    return headers, senders


def _date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(to_text(unfold(value)).strip())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _charset_hints(message: Message) -> tuple[str, ...]:
    hints: list[str] = []
    for part in message.walk():
        charset = part.get_content_charset(None)
        if charset and charset not in hints:
            hints.append(charset)
    return tuple(hints)


def _body(pieces: list[Piece], defects: list[str]) -> tuple[str, str | None]:
    """Join the body pieces; HTML is sanitized and rendered once, in one pass."""
    html: str | None = None
    rendered = ""
    if any(piece.html is not None for piece in pieces):
        html = "".join(
            piece.html if piece.html is not None else plain_to_html(piece.plain or "")
            for piece in pieces
        )
        if len(html) > MAX_HTML_CHARS:
            defects.append(f"HTML body cut to {MAX_HTML_CHARS:,} characters")
            html = html[:MAX_HTML_CHARS]
        html, rendered = render(html)
    texts = [piece.plain for piece in pieces if piece.plain is not None and piece.plain.strip()]
    if not texts and html is not None:
        texts = [rendered]
    elif html is not None and any(p.plain is None or not p.plain.strip() for p in pieces):
        # Some pieces are HTML only: render those pieces alone, in order.
        texts = [
            p.plain if p.plain is not None and p.plain.strip() else render(p.html or "")[1]
            for p in pieces
        ]
    body_text = "\n\n".join(text.strip("\n") for text in texts if text.strip())
    return body_text, html


def _addrs(addresses: list[Address]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(a.addr for a in addresses if a.addr))


def _first(values: list[str]) -> str | None:
    return values[0] if values else None


def _plain_header(headers: dict[str, str], name: str) -> str | None:
    value = headers.get(name)
    return decode_header(value) or None if value is not None else None


def parse_mail(raw: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> ParsedMail:
    """Parse one raw mail; raise `MailError` only if it is too big or unparseable."""
    if len(raw) > max_bytes:
        raise MailError(
            f"mail is {len(raw):,} bytes, over the {max_bytes:,} byte limit; "
            "raise the limit or handle it by hand"
        )
    try:
        return _parse(raw)
    except RecursionError as exc:
        raise MailError("mail is nested too deeply to parse; it was kept aside") from exc


def _drop_nul_in_headers(message: Message, defects: list[str]) -> None:
    """NUL in a header (a charset, say) makes the stdlib raise on the part's payload."""
    for part in message.walk():
        for name, value in part.raw_items():  # raw: items() may hand back Header objects
            if isinstance(value, str) and "\x00" in value:
                part.replace_header(name, value.replace("\x00", ""))
                defects.append(f"NUL character removed from the {name} header")


def _parse(raw: bytes) -> ParsedMail:
    defects: list[str] = []
    repaired = _repair_headers(raw, defects)
    message = BytesParser(policy=compat32).parsebytes(repaired)
    _drop_nul_in_headers(message, defects)
    headers, from_values = _header_map(message)
    hints = _charset_hints(message)
    walker = Walker(hints)
    body_text, body_html = _body(walker.walk(message, raw=repaired), defects)
    found = walker.result
    defects.extend(found.defects)
    for part in message.walk():
        defects.extend(type(defect).__name__ for defect in part.defects)

    from_groups = [[a for value in from_values for a in parse_addresses(value, hints)]]
    from_groups += [parse_addresses(headers.get(name), hints) for name in _SENDER_FALLBACKS]
    sender = pick_sender(from_groups) or Address("", "", False)
    reply_to = next((a.addr for a in from_groups[1] if a.addr), None)
    subject = decode_header(headers.get("subject"), hints).replace("\x00", "")
    content_type = message.get_content_type()
    report_type = str(message.get_param("report-type", "") or "")
    auto = classify(
        {name: to_text(unfold(value)) for name, value in headers.items()},
        sender=sender.addr,
        subject=subject,
        content_type=content_type,
        report_type=report_type,
    )
    if found.dsn_blocks and auto in {AutoKind.NONE, AutoKind.BOUNCE}:
        auto = report_kind(found.dsn_blocks)

    in_reply_to = _first(message_ids(headers.get("in-reply-to")))
    references = tuple(message_ids(headers.get("references")))
    bounced: str | None = None
    if auto in DELIVERY_REPORTS:
        dsn_ids = [i for b in found.dsn_blocks for i in message_ids(b.get("x-original-message-id"))]
        candidates = found.returned_ids + dsn_ids + _BODY_MSG_ID.findall(body_text)
        bounced = _first(candidates) or in_reply_to or (references[-1] if references else None)

    return ParsedMail(
        message_id=_first(message_ids(headers.get("message-id"))),
        in_reply_to=in_reply_to,
        references=references,
        subject=subject,
        from_name=sender.name.replace("\x00", ""),
        from_addr=sender.addr,
        from_valid=sender.valid,
        reply_to=reply_to,
        to=_addrs(parse_addresses(headers.get("to"), hints)),
        cc=_addrs(parse_addresses(headers.get("cc"), hints)),
        date=_date(headers.get("date")),
        body_text=body_text,
        body_html=body_html,
        attachments=tuple(found.attachments),
        auto=auto,
        auto_submitted=_plain_header(headers, "auto-submitted"),
        precedence=_plain_header(headers, "precedence"),
        list_id=_plain_header(headers, "list-id"),
        bounced_message_id=bounced,
        failed_recipients=failed_recipients(found.dsn_blocks),
        defects=tuple(dict.fromkeys(defects)),
    )
