"""Pure mail handling: bytes in, plain values out; no network, no database."""

from deskterm.mail.auto import AutoKind, classify, failed_recipients
from deskterm.mail.html import html_to_text, sanitize
from deskterm.mail.mime import ParsedAttachment
from deskterm.mail.parse import DEFAULT_MAX_BYTES, ParsedMail, parse_mail
from deskterm.mail.quotes import Segment, split_quoted

__all__ = [
    "DEFAULT_MAX_BYTES",
    "AutoKind",
    "ParsedAttachment",
    "ParsedMail",
    "Segment",
    "classify",
    "failed_recipients",
    "html_to_text",
    "parse_mail",
    "sanitize",
    "split_quoted",
]
