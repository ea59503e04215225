"""The business calendar the reports measure business time on, stored with the rollups.

The rollups hold business times, so the calendar they were computed on is part of
the store (`report_meta`), not of whichever config a writer happens to load: every
process records with the same calendar, and changing it is an explicit rebuild.
"""

from __future__ import annotations

import dataclasses
import json
from functools import lru_cache

from deskterm.config import CalendarConfig
from deskterm.sla.calendar import DAYS, BusinessCalendar
from deskterm.sla.settings import calendar_from_config


def spec_of(cfg: CalendarConfig) -> str:
    """A calendar config as the canonical text stored in `report_meta`."""
    return json.dumps(dataclasses.asdict(cfg), sort_keys=True)


DEFAULT_SPEC = spec_of(CalendarConfig())


@lru_cache(maxsize=8)
def calendar_of(spec: str) -> BusinessCalendar:
    """The calendar of a stored spec; cached, so its day spans are computed once a process."""
    return calendar_from_config(CalendarConfig(**json.loads(spec)))


def describe(spec: str) -> str:
    """`business (UTC, mon 09:00-17:00, ...)`: how reports name the calendar."""
    data = json.loads(spec)
    hours = ", ".join(f"{day} {data['hours'][day]}" for day in DAYS if data["hours"].get(day))
    holidays = f", holidays {data['holidays_country']}" if data["holidays_country"] else ""
    return f"{data['name']} ({data['timezone']}, {hours}{holidays})"
