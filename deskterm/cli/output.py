"""Printing for the CLI: JSON for scripts, aligned text for people, both terminal-safe."""

from __future__ import annotations

import json
import sys
import unicodedata
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from deskterm.safetext import clean, line


def emit_json(data: Any) -> None:
    json.dump(data, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")


def _cells(char: str) -> int:
    return 2 if unicodedata.east_asian_width(char) in "WF" else 1


def width(text: str) -> int:
    return sum(_cells(c) for c in text)


def fit(text: str, size: int) -> str:
    """Cut or pad `text` to `size` terminal cells (CJK counts double)."""
    used = width(text)
    if used <= size:
        return text + " " * (size - used)
    out, used = [], 0
    for char in text:
        if used + _cells(char) > size - 1:
            break
        out.append(char)
        used += _cells(char)
    return "".join(out) + "…" + " " * (size - used - 1)


def table(
    headers: Sequence[str],
    rows: Iterable[Sequence[object]],
    widths: Sequence[int],
    *,
    header: bool = True,
) -> None:
    """Print rows in fixed-width columns, untrusted cells cleaned of escapes."""
    write = sys.stdout.write
    if header:
        write("  ".join(fit(h.upper(), w) for h, w in zip(headers, widths, strict=True)).rstrip())
        write("\n")
    for row in rows:
        cells = [line(str(c if c is not None else "-")) for c in row]
        write("  ".join(fit(c, w) for c, w in zip(cells, widths, strict=True)).rstrip() + "\n")


def age(when: datetime | None, now: datetime | None = None) -> str:
    if when is None:
        return "-"
    seconds = int(((now or datetime.now(UTC)) - when).total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if abs(seconds) >= size:
            return f"{seconds // size}{unit}"
    return "now"


def text_block(text: str) -> str:
    return clean(text)
