"""Time spent as people type it (`15m`, `1h30m`, `1.5h`, `0:45`) and as reports print it."""

from __future__ import annotations

import re

from deskterm.errors import UsageError

_UNITS = re.compile(r"^(?:(\d+(?:\.\d+)?)h)?\s*(?:(\d+)m)?$")
_CLOCK = re.compile(r"^(\d+):([0-5]\d)$")
# One entry longer than a day is a typing mistake, not a shift.
MAX_SECONDS = 24 * 3600


def parse_time_spent(text: str) -> int:
    """Whole seconds from `45m`, `2h`, `1h30m`, `1.5h` or `1:30`; a one-line error otherwise."""
    value = text.strip().lower().replace(" ", "")
    seconds: float | None = None
    clock = _CLOCK.match(value)
    units = _UNITS.match(value)
    if clock:
        seconds = int(clock.group(1)) * 3600 + int(clock.group(2)) * 60
    elif value and units and (units.group(1) or units.group(2)):
        seconds = float(units.group(1) or 0) * 3600 + int(units.group(2) or 0) * 60
    if seconds is None:
        raise UsageError(f"bad time {text!r}: write it like 15m, 1h30m, 1.5h or 1:30")
    if not 0 < seconds <= MAX_SECONDS:
        raise UsageError(f"bad time {text!r}: give more than nothing and at most 24h")
    return round(seconds)


def format_time_spent(seconds: float) -> str:
    """`1h05m`, `45m`, `0m`: minutes are the unit agents log in."""
    minutes = int((seconds + 30) // 60)  # half a minute up, not to even
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m"
