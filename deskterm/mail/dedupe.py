"""The dedupe key: one value for one mail however many times and ways it arrives.

The same mail reaches us twice when it is sent to two support addresses, CC'd,
re-delivered, or re-synced after a UIDVALIDITY change. Transport adds its own
headers on each hop (Received, Delivered-To, Return-Path, X-Original-To, spam
verdicts, ARC/DKIM results), so we hash only what the author's mailer wrote:
the Message-ID plus a few header fields the sender set and the body. The
Message-ID alone is not enough: ServiceNow and Jira reuse one Message-ID for
every mail about an incident (corpus mail089/mail090, mail103/mail104).
"""

from __future__ import annotations

import hashlib
import re

# Fields the sender's mailer writes and no relay rewrites.
_STABLE_FIELDS = (
    "message-id",
    "from",
    "to",
    "cc",
    "subject",
    "date",
    "in-reply-to",
    "references",
    "content-type",
)
_HEADER_END = re.compile(rb"\r?\n\r?\n")
_SPACES = re.compile(rb"\s+")
_MBOX_QUOTED_FROM = re.compile(rb"^>(>*From )", re.MULTILINE)
_TRAILING_SPACE = re.compile(rb"[ \t]+$", re.MULTILINE)


def _split(raw: bytes) -> tuple[bytes, bytes]:
    if raw.startswith(b"From "):  # an mbox envelope line, not a header
        raw = raw[raw.find(b"\n") + 1 :] if b"\n" in raw else b""
    match = _HEADER_END.search(raw)
    if match is None:
        return raw, b""
    return raw[: match.start()], raw[match.end() :]


def stable_headers(header_block: bytes) -> list[tuple[bytes, bytes]]:
    """(name, value) pairs of the stable fields, unfolded and whitespace-collapsed."""
    fields: list[tuple[bytes, bytes]] = []
    for line in header_block.replace(b"\r\n", b"\n").split(b"\n"):
        if line[:1] in (b" ", b"\t") and fields:
            name, value = fields[-1]
            fields[-1] = (name, value + b" " + line.strip())
            continue
        name, sep, value = line.partition(b":")
        if sep:
            fields.append((name.strip().lower(), value.strip()))
    wanted = {n.encode() for n in _STABLE_FIELDS}
    return sorted(
        (name, _SPACES.sub(b" ", value).strip()) for name, value in fields if name in wanted
    )


def normalized_body(body: bytes) -> bytes:
    """The body as every store of it agrees: LF line ends, no trailing blanks, mbox unquoted."""
    body = body.replace(b"\r\n", b"\n")
    # The substring tests are exact preconditions of the patterns and 10x cheaper than
    # a regex scan (a multiline `[ \t]+$` tries every space between words).
    if b">From " in body:
        body = _MBOX_QUOTED_FROM.sub(rb"\1", body)
    if b" \n" in body or b"\t\n" in body or body.endswith((b" ", b"\t")):
        body = _TRAILING_SPACE.sub(b"", body)
    return body.rstrip(b"\n")


def dedupe_key(raw: bytes, message_id: str | None = None) -> str:
    """A stable key for `raw`: equal for copies of one mail, different for different mails."""
    headers, body = _split(raw)
    digest = hashlib.sha256()
    digest.update((message_id or "").encode("utf-8", "surrogateescape"))
    for name, value in stable_headers(headers):
        digest.update(b"\0" + name + b":" + value)
    digest.update(b"\0\0")
    digest.update(normalized_body(body))
    return "m1:" + digest.hexdigest()
