"""A ticket's thread as lines of text: what the thread view paints.

Pure functions, no widgets: a message becomes a block of lines (a blank line,
the header, where a mailed reply stands, the body with quoted text and
signatures folded or shown, the attachments), each line a few runs of text
tagged with a role that the view styles. Lines are wrapped to a width in
terminal cells; a line that fits is taken as is, so laying out a 200-message
thread costs a few milliseconds, not a widget per message.

Every text from mail passes `safetext` here: what reaches a line is inert.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime

from rich.cells import cell_len, chop_cells

from deskterm import safetext
from deskterm.assist.tone import read_tone
from deskterm.mail.quotes import Segment
from deskterm.store.queries.outbox import OutboxRecord
from deskterm.store.queries.records import MessageRecord
from deskterm.widgets.fmt import stamp

KIND_LABEL = {"customer": "", "reply": "reply", "note": "internal note", "system": "system"}
TAB = 8
_TOKENS = re.compile(r"\S+|\s+")  # words and the spaces between them

Run = tuple[str, str]  # (text, role): header meta text quote fold attachment delivery
Line = tuple[Run, ...]


@dataclass(frozen=True, slots=True)
class Block:
    """One message laid out: its lines (the first is the blank line above it)."""

    kind: str
    delivery_state: str | None
    lines: tuple[Line, ...]


def size_text(size: int) -> str:
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size / 1024 / 1024:.1f} MB"


def delivery_text(record: OutboxRecord, now: datetime) -> str:
    """One line on where a mailed reply stands: `sending in 7s — ctrl+z to undo`, `sent` ..."""
    if record.state == "waiting":
        left = math.ceil((record.not_before - now).total_seconds())
        return f"✉ sending in {left}s — ctrl+z to undo" if left > 0 else "✉ sending…"
    if record.state == "sending":
        return "✉ sending…"
    return f"✉ {record.describe()}"


def wrap(text: str, width: int) -> list[str]:
    """One line of text as lines of at most `width` cells (2 or more: a wide character).

    Lines break at spaces where possible; a word wider than a line is cut by cells.
    """
    if len(text) <= width and (text.isascii() or cell_len(text) <= width):
        return [text]
    width = max(2, width)
    out: list[str] = []
    current, used = "", 0
    for token in _TOKENS.findall(text):
        size = cell_len(token)
        if used + size > width:
            if current:
                out.append(current)
                current, used = "", 0
            if token.isspace():
                continue  # the break itself: no line starts with the spaces it broke at
            if size > width:  # a URL, a CJK sentence: cut it by cells
                *full, token = chop_cells(token, width)
                out.extend(full)
                size = cell_len(token)
        current += token
        used += size
    out.append(current)
    return out


def _lines(text: str, role: str, width: int) -> list[Line]:
    clean = safetext.clean(text).expandtabs(TAB)
    return [((piece, role),) for raw in clean.split("\n") for piece in wrap(raw, width)]


def header(message: MessageRecord) -> Line:
    name = safetext.line(message.from_name or message.author or message.from_addr or "—")
    runs: list[Run] = [(name, "header")]
    if message.kind == "customer" and message.from_addr and message.from_name:
        runs.append((safetext.line(f" <{message.from_addr}>"), "meta"))
    label = KIND_LABEL.get(message.kind, message.kind)
    when = stamp(message.written_at)
    if message.received_late is not None:
        when += f" (received {stamp(message.received_late)})"
    runs.append((f"  {label} · {when}" if label else f"  {when}", "meta"))
    return tuple(runs)


def tone_text(message: MessageRecord, segments: list[Segment]) -> str:
    """What makes a customer's message read urgent or upset, in its own words; "" if nothing."""
    said = "\n".join(seg.text for seg in segments if seg.kind == "text")
    opening = not message.subject.lower().startswith(("re:", "aw:", "sv:", "回复", "答复"))
    tone = read_tone(said, message.subject if opening else "")
    parts = [
        f"{label}: {', '.join(cues)}"
        for label, cues in (("urgent", tone.urgent), ("upset", tone.upset))
        if cues
    ]
    return "⚑ " + " · ".join(parts) if parts else ""


def block(
    message: MessageRecord,
    segments: list[Segment],
    width: int,
    *,
    unfolded: bool,
    delivery: tuple[str, str] | None = None,
) -> Block:
    """`message` as lines `width` cells wide.

    `segments` is its body split by `split_quoted`; `delivery` is (state, line)
    for a mailed reply.
    """
    lines: list[Line] = [(), header(message)]
    if message.kind == "customer":
        tone = tone_text(message, segments)
        if tone:
            lines.extend(_lines(tone, "tone", width))
    if delivery is not None:
        lines.extend(_lines(delivery[1], "delivery", width))
    for segment in segments:
        if segment.kind == "text":
            lines.extend(_lines(segment.text, "text", width))
        elif unfolded:
            lines.extend(_lines(segment.text, "quote", width))
        else:
            count = segment.text.count("\n") + 1
            what = "quoted text" if segment.kind == "quote" else "signature"
            fold = f"··· {what}, {count} line{'s' if count > 1 else ''} (z shows)"
            lines.append(((fold, "fold"),))
    for att in message.attachments:
        text = f"⎙ {att.filename}  ({att.mime_type}, {size_text(att.size)})"
        lines.extend(_lines(safetext.line(text), "attachment", width))
    return Block(message.kind, delivery[0] if delivery else None, tuple(lines))
