"""Small formatting helpers shared by widgets: ages and safe one-line text."""

from __future__ import annotations

from datetime import datetime

from rich.style import Style
from rich.text import Text

from deskterm import safetext


def age(now: datetime, then: datetime) -> str:
    """A compact age such as `5m`, `3h`, `2d`, `6w`, `1y` (never negative)."""
    seconds = max(0, int((now - then).total_seconds()))
    if seconds < 60:
        return "now"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes}m"
    hours = minutes // 60
    if hours < 24:
        return f"{hours}h"
    days = hours // 24
    if days < 14:
        return f"{days}d"
    if days < 365:
        return f"{days // 7}w"
    return f"{days // 365}y"


def stamp(value: datetime) -> str:
    """Local date and time to the minute, for message headers."""
    return value.astimezone().strftime("%Y-%m-%d %H:%M")


def plain(text: str | None, style: str | Style = "") -> Text:
    """Untrusted one-line text as an inert rich Text (never parsed as markup)."""
    return Text(safetext.line(text or ""), style=style, no_wrap=True, end="")


def body(text: str | None, style: str | Style = "") -> Text:
    """Untrusted multi-line text as an inert rich Text."""
    return Text(safetext.clean(text or ""), style=style, end="")
