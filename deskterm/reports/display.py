"""How a KPI reads to people: durations as `3h05m`, shares as `87.5%`, "no data" for none."""

from __future__ import annotations

NO_DATA = "no data"


def show_duration(seconds: float) -> str:
    """`45s`, `12m`, `3h05m`, `2d04h`: two units at most, enough to compare."""
    sign, seconds = ("-" if seconds < 0 else ""), abs(seconds)
    if seconds < 60:
        return f"{sign}{seconds:.0f}s"
    minutes = int(seconds // 60)
    if minutes < 60:
        return f"{sign}{minutes}m"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{sign}{hours}h{minutes:02d}m"
    days, hours = divmod(hours, 24)
    return f"{sign}{days}d{hours:02d}h"


def show_value(name: str, value: object, *, change: bool = False) -> str:
    """A KPI field's value as text, by the unit its name ends in."""
    if value is None:
        return NO_DATA if not change else "-"
    if isinstance(value, str):
        return value
    assert isinstance(value, int | float)
    plus = "+" if change and value > 0 else ""
    if name.endswith("_s"):
        return plus + show_duration(value)
    if name.endswith("_pct"):
        return f"{plus}{value:.1f}" + ("pp" if change else "%")
    if isinstance(value, float):
        return f"{plus}{value:,.2f}"
    return f"{plus}{value:,}"
