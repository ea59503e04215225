"""The bytes of each MIME part exactly as received, beside the stdlib's parsed tree.

The stdlib keeps no byte spans, and serialising a parsed part again loses what it
does not model: an attached mail's `From ` line, its CRLF line ends, header
folding. An attached mail is a file the customer sent us, so we cut its bytes out
of the mail by the same boundary rules the parser used, and fall back to the
serialised form only when the two disagree on the parts.
"""

from __future__ import annotations

import re
from email.message import Message

_HEADER_END = re.compile(rb"\r?\n\r?\n")


def body_of(entity: bytes) -> bytes:
    """What follows an entity's header block (all of it when it starts with a blank line)."""
    if entity.startswith(b"\n"):
        return entity[1:]
    if entity.startswith(b"\r\n"):
        return entity[2:]
    match = _HEADER_END.search(entity)
    return entity[match.end() :] if match else b""


def _delimiters(boundary: bytes) -> re.Pattern[bytes]:
    # A delimiter is a whole line: `--boundary`, `--` to close, trailing blanks allowed.
    # The line break before it belongs to it (RFC 2046 5.1.1), not to the part.
    return re.compile(rb"(?:\r?\n|\A)--" + re.escape(boundary) + rb"(--)?[ \t]*(?=\r?\n|\Z)", re.M)


def child_entities(part: Message, entity: bytes) -> list[bytes] | None:
    """The raw bytes (headers and body) of each child of multipart `part`, or None.

    None when the boundary is unusable or the count of parts found differs from
    the parsed tree's: then nothing can be matched up safely.
    """
    boundary = part.get_boundary()
    children = part.get_payload()
    if not boundary or not isinstance(children, list):
        return None
    try:
        marker = boundary.encode("ascii", "surrogateescape")
    except UnicodeEncodeError:
        return None
    body = body_of(entity)
    found: list[bytes] = []
    start: int | None = None
    for match in _delimiters(marker).finditer(body):
        if start is not None:
            found.append(body[start : match.start()])
        if match.group(1):
            start = None
            break
        end = match.end()
        start = end + (2 if body.startswith(b"\r\n", end) else 1)
    if start is not None:
        found.append(body[start:])  # no closing delimiter: the last part runs to the end
    return found if len(found) == len(children) else None
