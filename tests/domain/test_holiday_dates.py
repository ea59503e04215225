"""A country's holidays come from the user's cache once computed, and only while they are
the current library's: an older or damaged file is computed again."""

from __future__ import annotations

import json
from datetime import date
from importlib.metadata import version
from pathlib import Path

import holidays
import pytest

from deskterm.errors import ConfigError
from deskterm.sla.calendar import BusinessCalendar
from deskterm.sla.holiday_dates import holiday_dates

VERSION = version("holidays")
WEEKDAYS = {d: "09:00-17:00" for d in ("mon", "tue", "wed", "thu", "fri")}


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    return tmp_path / "deskterm" / "holidays"


def test_dates_are_the_librarys_and_kept(cache: Path) -> None:
    expected = frozenset(holidays.country_holidays("DE", subdiv="BY", years=2027))
    assert holiday_dates("DE", "BY", 2027) == expected
    kept = json.loads((cache / "DE-BY-2027.json").read_text())
    assert kept["version"] == VERSION
    assert {date.fromisoformat(d) for d in kept["dates"]} == expected


def test_the_kept_file_is_what_is_read(cache: Path) -> None:
    holiday_dates("GB", None, 2026)
    path = cache / "GB--2026.json"
    path.write_text(json.dumps({"version": VERSION, "dates": ["2026-03-03"]}))
    assert holiday_dates("GB", None, 2026) == {date(2026, 3, 3)}
    assert BusinessCalendar.from_weekly("Europe/London", WEEKDAYS, country="GB").is_holiday(
        date(2026, 3, 3)
    )


@pytest.mark.parametrize(
    "kept",
    [
        json.dumps({"version": "0.0.1", "dates": ["2026-03-03"]}),  # another library version
        "{not json",
        json.dumps({"dates": ["2026-03-03"]}),
        json.dumps({"version": VERSION, "dates": ["03/03/2026"]}),
    ],
)
def test_an_older_or_damaged_file_is_computed_again(cache: Path, kept: str) -> None:
    cache.mkdir(parents=True)
    (cache / "GB--2026.json").write_text(kept)
    found = holiday_dates("GB", None, 2026)
    assert date(2026, 12, 25) in found
    assert date(2026, 3, 3) not in found
    assert json.loads((cache / "GB--2026.json").read_text())["version"] == VERSION


def test_unknown_codes_fail_and_keep_nothing(cache: Path) -> None:
    for country, subdivision in (("XX", None), ("GB", "NOPE"), ("../../etc", None)):
        with pytest.raises(ConfigError, match="unknown country"):
            BusinessCalendar.from_weekly(
                "Europe/London", WEEKDAYS, country=country, subdivision=subdivision
            )
    assert not cache.exists() or not list(cache.iterdir())


def test_an_unwritable_cache_still_answers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))  # a file: no folder can be made in it
    assert date(2026, 12, 25) in holiday_dates("GB", None, 2026)
