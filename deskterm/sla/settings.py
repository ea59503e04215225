"""Turn the `[sla]` config section into policies with their calendars."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from deskterm.errors import ConfigError
from deskterm.sla.calendar import BusinessCalendar
from deskterm.sla.policy import TARGETS, Policy, SlaSettings, parse_duration

if TYPE_CHECKING:
    from deskterm.config import CalendarConfig, SlaConfig

_PRIORITIES = ("low", "normal", "high", "urgent", "default")


def calendar_from_config(cfg: CalendarConfig) -> BusinessCalendar:
    extra = []
    for text in cfg.extra_holidays:
        try:
            extra.append(date.fromisoformat(text))
        except ValueError:
            raise ConfigError(
                f"sla.calendar {cfg.name!r}: extra_holidays: {text!r} is not YYYY-MM-DD"
            ) from None
    return BusinessCalendar.from_weekly(
        cfg.timezone,
        cfg.hours,
        country=cfg.holidays_country or None,
        subdivision=cfg.holidays_subdivision or None,
        extra=extra,
        name=cfg.name,
    )


def calendars_from_config(cfg: SlaConfig) -> dict[str, BusinessCalendar]:
    """Every named calendar (also used by rules' business-hours conditions)."""
    calendars = {"24x7": BusinessCalendar.always()}
    for cal_cfg in (cfg.calendar, *cfg.calendars):
        calendars[cal_cfg.name] = calendar_from_config(cal_cfg)
    return calendars


def settings_from_config(cfg: SlaConfig) -> SlaSettings:
    calendars = calendars_from_config(cfg)
    policies = []
    for index, p in enumerate(cfg.policy):
        where = f"sla.policy[{index}]"
        if p.calendar not in calendars:
            raise ConfigError(
                f"{where}.calendar: unknown calendar {p.calendar!r} (have {', '.join(calendars)})"
            )
        targets = {}
        for kind in TARGETS:
            table = getattr(p, kind)
            for prio in table:
                if prio not in _PRIORITIES:
                    raise ConfigError(f"{where}.{kind}: unknown priority {prio!r}")
            targets[kind] = {
                prio: parse_duration(text, f"{where}.{kind}.{prio}") for prio, text in table.items()
            }
        bad = [x for x in p.priorities if x not in _PRIORITIES[:-1]]
        if bad:
            raise ConfigError(f"{where}.priorities: unknown priority {bad[0]!r}")
        policies.append(
            Policy(
                name=p.name,
                priorities=frozenset(p.priorities),
                organization=p.organization or None,
                tag=p.tag.lower() or None,
                mailbox=p.mailbox.lower() or None,
                calendar=calendars[p.calendar],
                **targets,
            )
        )
    return SlaSettings(tuple(policies), cfg.warning_fraction, frozenset(cfg.pause_statuses))
