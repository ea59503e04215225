"""Split a reply's text into what the sender wrote, what they quoted and their signature.

Agents read long threads; folding the quoted history and signatures keeps the
new words on screen. Only explicit markers count: `>` lines, reply headers
("On ... wrote:", "Am ... schrieb:", Outlook's "From:/Sent:" block) and the
`-- ` signature line. A closing like "Best regards" alone folds nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

SegmentKind = Literal["text", "quote", "signature"]

_WROTE = re.compile(
    r"(On\s.{4,250}\swrote|Am\s.{4,250}\sschrieb\s?.{0,250}|Le\s.{4,250}\sa\sécrit"
    r"|El\s.{4,250}\sescribió|Op\s.{4,250}\sschreef\s?.{0,250}|Il\s.{4,250}\sha\sscritto"
    r"|\d{1,4}[./-]\d{1,2}[./-]\d{1,4}.{0,250}\s(wrote|schrieb))\s?:\s*",
    re.IGNORECASE,
)
_ORIGINAL = re.compile(
    r"\s*-{2,}\s*(original message|ursprüngliche nachricht|originalnachricht|message d'origine"
    r"|mensaje original|forwarded message|weitergeleitete nachricht)\s*-{2,}\s*",
    re.IGNORECASE,
)
_OUTLOOK_FROM = re.compile(r"\s*\**(from|von|de|van|da)\**\s*:\s*\**\s*\S.*", re.IGNORECASE)
_OUTLOOK_NEXT = re.compile(
    r"\s*\**(sent|gesendet|date|datum|envoyé|enviado|verzonden|to|an|à|cc|subject|betreff)\**\s*:",
    re.IGNORECASE,
)
_RULE = re.compile(r"\s*_{20,}\s*")
_SIGNATURE = frozenset({"-- ", "--"})


@dataclass(frozen=True, slots=True)
class Segment:
    """A run of lines of one kind; joining all texts with newlines gives the input back."""

    kind: SegmentKind
    text: str


def _reply_header_at(lines: list[str], index: int) -> bool:
    """True when a reply header (possibly wrapped over three lines) starts at `index`."""
    line = lines[index]
    if _ORIGINAL.fullmatch(line):
        return True
    if _OUTLOOK_FROM.fullmatch(line) or _RULE.fullmatch(line):
        following = lines[index + 1 : index + 5]
        if _RULE.fullmatch(line):
            return any(_OUTLOOK_FROM.fullmatch(nxt) for nxt in following[:2])
        return sum(1 for nxt in following if _OUTLOOK_NEXT.match(nxt)) >= 2
    if len(line) > 300:
        return False
    return any(
        _WROTE.fullmatch(" ".join(part.strip() for part in lines[index : index + span]))
        for span in (1, 2, 3)
        if index + span <= len(lines)
    )


def _kinds(lines: list[str]) -> list[SegmentKind]:
    kinds: list[SegmentKind | None] = []
    tail_quote = False
    signature = False
    for index, line in enumerate(lines):
        if tail_quote:
            kinds.append("quote")
        elif not line.strip():
            kinds.append(None)
        elif line.startswith(">"):
            signature = False
            kinds.append("quote")
        elif _reply_header_at(lines, index):
            tail_quote = True
            kinds.append("quote")
        elif signature or line.rstrip("\r") in _SIGNATURE:
            signature = True
            kinds.append("signature")
        else:
            kinds.append("text")
    return _fill_blanks(kinds)


def _fill_blanks(kinds: list[SegmentKind | None]) -> list[SegmentKind]:
    """Blank lines join the block around them, or count as text between blocks."""
    after: list[SegmentKind | None] = [None] * len(kinds)
    upcoming: SegmentKind | None = None
    for index in range(len(kinds) - 1, -1, -1):
        after[index] = upcoming
        upcoming = kinds[index] or upcoming
    filled: list[SegmentKind] = []
    for index, kind in enumerate(kinds):
        if kind is None:
            before = filled[-1] if filled else "text"
            following = after[index]
            keep = following in {before, None} or before == "signature"
            kind = before if keep else "text"
        filled.append(kind)
    return filled


def split_quoted(text: str) -> list[Segment]:
    """Split `text` into text, quote and signature segments, in order."""
    lines = text.replace("\r\n", "\n").split("\n")
    segments: list[Segment] = []
    start = 0
    kinds = _kinds(lines)
    for index in range(1, len(lines) + 1):
        if index == len(lines) or kinds[index] != kinds[start]:
            segments.append(Segment(kinds[start], "\n".join(lines[start:index])))
            start = index
    return segments
