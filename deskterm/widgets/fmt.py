"""Small formatting helpers shared by widgets: ages and safe one-line text."""

from __future__ import annotations

from datetime import datetime

from rich.style import Style
from rich.text import Text

from deskterm import safetext
from deskterm.vocab import age_label


def age(now: datetime, then: datetime) -> str:
    """A compact age such as `5m`, `3h`, `2d`, `6w`, `1y`, as the CLI prints it too."""
    return age_label((now - then).total_seconds())


def stamp(value: datetime) -> str:
    """Local date and time to the minute, for message headers."""
    return value.astimezone().strftime("%Y-%m-%d %H:%M")


def plain(text: str | None, style: str | Style = "") -> Text:
    """Untrusted one-line text as an inert rich Text (never parsed as markup)."""
    return Text(safetext.line(text or ""), style=style, no_wrap=True, end="")


def body(text: str | None, style: str | Style = "") -> Text:
    """Untrusted multi-line text as an inert rich Text."""
    return Text(safetext.clean(text or ""), style=style, end="")
