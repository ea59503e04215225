"""Time spent as agents type it: the forms taken, the mistakes refused."""

from __future__ import annotations

import pytest

from deskterm.errors import UsageError
from deskterm.time_spent import format_time_spent, parse_time_spent


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("15m", 900),
        ("2h", 7200),
        ("1h30m", 5400),
        ("1h 30m", 5400),
        ("1.5h", 5400),
        ("1:30", 5400),
        ("0:05", 300),
        ("24h", 86400),
        (" 45M ", 2700),
    ],
)
def test_parse_time_spent(text: str, seconds: int) -> None:
    assert parse_time_spent(text) == seconds


@pytest.mark.parametrize("text", ["", "15", "m", "h", "0m", "0:00", "25h", "1:75", "-5m", "5s"])
def test_bad_time_is_one_line_usage_error(text: str) -> None:
    with pytest.raises(UsageError) as err:
        parse_time_spent(text)
    assert "\n" not in str(err.value)


@pytest.mark.parametrize(
    ("seconds", "text"), [(0, "0m"), (29, "0m"), (30, "1m"), (2700, "45m"), (3900, "1h05m")]
)
def test_format_time_spent(seconds: int, text: str) -> None:
    assert format_time_spent(seconds) == text
