"""Decode header values: raw 8-bit bytes, RFC 2047 encoded words, broken ones too.

The stdlib decoder gives up on adjacent words split mid-character, missing
padding, unknown charsets and headers with raw Shift_JIS or GB2312 bytes; real
mail has all of these, so we decode them ourselves, leniently.
"""

from __future__ import annotations

import binascii
import re
from email.message import Message

from deskterm.mail.charsets import decode_bytes, guess_bytes

_FOLD = re.compile(r"\r?\n(?=[ \t])|\r?\n$")
_SURROGATE = re.compile("[\udc80-\udcff]")
_ENCODED_WORD = re.compile(r"=\?([^?\s]+?)\?([QqBb])\?([^?]*?)\?=")
_SPACE_RUN = re.compile(r"[ \t\r\n]+")
_B64_JUNK = re.compile(rb"[^A-Za-z0-9+/]")


def unfold(value: str) -> str:
    """Join folded header lines (RFC 5322 unfolding keeps the whitespace)."""
    if "\n" not in value and "\r" not in value:
        return value  # most values: skip the regex and three scans
    return _FOLD.sub("", value).replace("\r\n", " ").replace("\n", " ").replace("\r", " ")


def to_text(value: str, hints: tuple[str, ...] = ()) -> str:
    """Turn a compat32 header value (8-bit bytes as surrogates) into real text."""
    if not _SURROGATE.search(value):
        return value
    return guess_bytes(value.encode("ascii", "surrogateescape"), hints)


def _word_bytes(encoding: str, payload: str) -> bytes:
    data = payload.encode("ascii", "replace")
    if encoding in "Bb":
        data = _B64_JUNK.sub(b"", data)
        if len(data) % 4 == 1:
            data = data[:-1]
        data += b"=" * (-len(data) % 4)
        try:
            return binascii.a2b_base64(data)
        except binascii.Error:
            return b""
    return binascii.a2b_qp(data, header=True)


def decode_words(value: str) -> str:
    """Decode RFC 2047 encoded words; adjacent words of one charset decode as one run.

    Joining the bytes first repairs multi-byte characters split across words, and
    whitespace between adjacent encoded words is dropped as RFC 2047 says.
    """
    if "=?" not in value:
        return value
    out: list[str] = []
    pending = b""
    pending_charset = ""
    position = 0

    def flush() -> None:
        nonlocal pending, pending_charset
        if pending_charset:
            out.append(decode_bytes(pending, pending_charset)[0])
        pending, pending_charset = b"", ""

    for match in _ENCODED_WORD.finditer(value):
        gap = value[position : match.start()]
        if gap and not (pending_charset and gap.isspace()):
            flush()
            out.append(gap)
        charset = match.group(1).split("*", 1)[0].lower()
        if pending_charset and charset != pending_charset:
            flush()
        pending += _word_bytes(match.group(2), match.group(3))
        pending_charset = charset
        position = match.end()
    flush()
    out.append(value[position:])
    return "".join(out)


def decode_header(value: str | None, hints: tuple[str, ...] = ()) -> str:
    """Return a header as one clean line of text, or "" when absent."""
    if not value:
        return ""
    text = decode_words(to_text(unfold(value), hints))
    return _SPACE_RUN.sub(" ", text).strip(" ")


_MSG_ID = re.compile(r"<([^<>\s]+)>")


def message_ids(value: str | None) -> list[str]:
    """Message-IDs in a header value, without angle brackets.

    Without brackets (some mailers send `id@host` bare) any token with an "@" counts.
    """
    if not value:
        return []
    found = _MSG_ID.findall(value)
    if found:
        return found
    return [token.strip("<>,;") for token in value.split() if "@" in token]


def raw_get(message: Message, name: str) -> str | None:
    """First raw value of header `name`; compat32 `get` wraps 8-bit values in Header objects."""
    wanted = name.lower()
    for key, value in message.raw_items():
        if key.lower() == wanted:
            return str(value)
    return None
