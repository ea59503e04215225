"""The bytes of each MIME part exactly as received, beside the stdlib's parsed tree.

The stdlib keeps no byte spans, and serialising a parsed part again loses what it
does not model: an attached mail's `From ` line, its CRLF line ends, header
folding. An attached mail is a file the customer sent us, so we cut its bytes out
of the mail by the same boundary rules the parser used, and fall back to the
serialised form only when the two disagree on the parts.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
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


def _delimiter_lines(body: bytes, marker: bytes) -> Iterator[tuple[int, int, bool]]:
    """(start, end of line, closing) of each `--marker` line: the whole line, blanks allowed.

    Found by `bytes.find`, not a regex: every mail has its own boundary, and compiling
    a pattern per boundary cost more than the rest of this module.
    """
    delimiter = b"--" + marker
    pos = 0
    while (found := body.find(delimiter, pos)) >= 0:
        newline = body.find(b"\n", found)
        line_end = len(body) if newline < 0 else newline
        rest = body[found + len(delimiter) : line_end].rstrip(b"\r").rstrip(b" \t")
        if (found == 0 or body[found - 1] == 0x0A) and rest in (b"", b"--"):
            yield found, line_end, rest == b"--"
        pos = found + len(delimiter)


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
    for line_start, line_end, closing in _delimiter_lines(body, marker):
        if start is not None:
            # The line break before a delimiter belongs to it (RFC 2046 5.1.1), not the part.
            cut = line_start - 1 if line_start else 0
            if cut and body[cut - 1] == 0x0D:
                cut -= 1
            found.append(body[start : max(start, cut)])
        if closing:
            start = None
            break
        start = line_end + 1
    if start is not None:
        found.append(body[start:])  # no closing delimiter: the last part runs to the end
    return found if len(found) == len(children) else None
