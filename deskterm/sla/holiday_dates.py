"""A country's public holidays in one year, computed once and kept in the user's cache.

The `holidays` library cannot load one country: `holidays.countries` imports all
of its ~250 country modules, so asking for GB costs 0.1-0.2 s of CPU, and every
CLI command paid that while a calendar names a country (the config check alone
asks). The dates of a country and year change only with the library, so they
are kept in a small JSON file stamped with its version; a missing, unreadable or
older file is computed again.
"""

from __future__ import annotations

import json
import os
import re
from datetime import date
from functools import cache
from pathlib import Path

# Codes that are safe in a file name; anything else (a typo, a path) skips the cache.
_SAFE = re.compile(r"^[A-Za-z0-9_-]{1,16}$")


def holiday_dates(country: str, subdivision: str | None, year: int) -> frozenset[date]:
    """The holidays of `country` (and `subdivision`) in `year`.

    Raises NotImplementedError for a country or subdivision the library does not know.
    """
    path = _cache_file(country, subdivision, year)
    version = _library_version()
    if path is not None:
        cached = _read(path, version)
        if cached is not None:
            return cached
    found = _compute(country, subdivision, year)
    if path is not None:
        _write(path, version, found)
    return found


def _compute(country: str, subdivision: str | None, year: int) -> frozenset[date]:
    import holidays

    return frozenset(holidays.country_holidays(country, subdiv=subdivision, years=year))


@cache
def _library_version() -> str:
    """The installed holidays version, from the name of its dist-info folder beside the
    package: importlib.metadata costs a command ~20 ms to import, and its `version()`
    parses all 58 KB of the METADATA as a mail."""
    from importlib.util import find_spec

    spec = find_spec("holidays")
    if spec is not None and spec.origin:
        found = list(Path(spec.origin).parent.parent.glob("holidays-*.dist-info"))
        if len(found) == 1:
            return found[0].name.removeprefix("holidays-").removesuffix(".dist-info")
    from importlib.metadata import version

    return version("holidays")  # another layout (an egg, a zip): ask the slow way


def _cache_file(country: str, subdivision: str | None, year: int) -> Path | None:
    if not _SAFE.match(country) or (subdivision is not None and not _SAFE.match(subdivision)):
        return None
    from platformdirs import user_cache_path

    return user_cache_path("deskterm") / "holidays" / f"{country}-{subdivision or ''}-{year}.json"


def _read(path: Path, version: str) -> frozenset[date] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data["version"] != version:
            return None
        return frozenset(date.fromisoformat(text) for text in data["dates"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _write(path: Path, version: str, dates: frozenset[date]) -> None:
    """Write whole or not at all: two processes may compute the same year at once."""
    import tempfile  # only when a year is new: not on every command

    text = json.dumps({"version": version, "dates": sorted(d.isoformat() for d in dates)})
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write(text)
            os.replace(tmp, path)
        except OSError:
            os.unlink(tmp)
            raise
    except OSError:
        pass  # no cache (read-only home): compute again next time
