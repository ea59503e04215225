"""Printing for the CLI: JSON for scripts, aligned text for people, both terminal-safe."""

from __future__ import annotations

import json
import re
import sys
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from deskterm.safetext import line

# JSON escapes C0 controls itself; DEL and the C1 block (U+009B is CSI to some
# terminals) go out as \\u escapes too, which any JSON reader turns back.
_UNSAFE_IN_JSON = re.compile("[\x7f-\x9f]")


def json_text(data: Any, indent: int | None = None) -> str:
    """`data` as JSON that is safe to print: the same values, no raw control characters."""
    text = json.dumps(data, ensure_ascii=False, indent=indent)
    return _UNSAFE_IN_JSON.sub(lambda m: f"\\u{ord(m.group(0)):04x}", text)


def emit_json(data: Any) -> None:
    sys.stdout.write(json_text(data, indent=2) + "\n")


# A spreadsheet runs a cell that starts with one of these as a formula: a subject
# like `=HYPERLINK(...)` from a stranger's mail must open as text.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_cell(value: object) -> object:
    """A CSV cell that a spreadsheet shows as written: text that would run gets a `'`."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _cells(char: str) -> int:
    """Terminal cells of one character: 0 for combining and zero-width ones, 2 for wide."""
    if unicodedata.combining(char) or unicodedata.category(char) in {"Mn", "Me", "Cf"}:
        return 0
    return 2 if unicodedata.east_asian_width(char) in "WF" else 1


def width(text: str) -> int:
    if text.isascii():
        return len(text)
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
    """How long ago, as the app shows it (`44d` reads `6w` in both)."""
    if when is None:
        return "-"
    from deskterm.vocab import age_label

    return age_label(((now or datetime.now(UTC)) - when).total_seconds())


@contextmanager
def progress_bar(description: str, total: int | None) -> Iterator[Callable[[int, int], None]]:
    """A bar on stderr (when it is a terminal); yields `update(done, total)`."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
        disable=not sys.stderr.isatty(),
    ) as progress:
        task = progress.add_task(description, total=total)
        yield lambda done, total: progress.update(task, completed=done, total=total)
