"""Report days are the report calendar's days: a team in Tokyo closes its day at
midnight Tokyo time (15:00 UTC), not at UTC midnight.

The calendar is Asia/Tokyo (UTC+9, no daylight saving), open all day Monday to
Friday, so business time is easy to work by hand and a Friday is 24 working hours
in Tokyo but only 15 of the UTC Friday (Fri 09:00 to Sat 09:00 Tokyo). Times
below are UTC unless they say Tokyo; the events sit on either side of Tokyo's
midnight, so UTC days would count each of them on another day.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from alembic import command
from helpers.clock import Clock
from helpers.store import fresh_store_file

from deskterm.config import CalendarConfig
from deskterm.errors import StoreError
from deskterm.reports.calendar_spec import spec_of
from deskterm.reports.model import Period
from deskterm.store.queries.reports import build_report, report_today, rollups_ready
from deskterm.store.schema import migrate
from deskterm.store.schema.db import Store, open_store
from deskterm.store.service import Actor, Service

TOKYO = CalendarConfig(
    name="tokyo",
    timezone="Asia/Tokyo",
    hours={d: "00:00-24:00" for d in ("mon", "tue", "wed", "thu", "fri")},
)
FRIDAY = Period(date(2026, 11, 20), date(2026, 11, 20))
SATURDAY = Period(date(2026, 11, 21), date(2026, 11, 21))


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


@pytest.fixture
def desk(tmp_path: Path) -> Store:
    store = open_store(fresh_store_file(tmp_path / "tokyo.db"))
    clock = Clock(at(19, 15))
    system = Service(store, Actor.system(), clock)
    system.rebuild_reports(spec_of(TOKYO))
    ana = Service(store, Actor(system.ensure_agent("Ana", "ana@desk.test"), "Ana"), clock)

    def now(moment: datetime) -> datetime:
        clock.now = moment
        return moment

    # T1: Thu 16:00 = Fri 01:00 Tokyo. Ana works on it for an hour from then (logged
    # at 17:00), answers and solves it Fri 10:00 = Fri 19:00 Tokyo.
    t1 = ana.create_ticket("T1", "help", "c1@example.com", when=now(at(19, 16))).number
    ana.log_time(t1, 3600, when=now(at(19, 17)))
    ana.add_reply(t1, "fixed", status="solved", when=now(at(20, 10)))
    # T2: Fri 14:30 = Fri 23:30 Tokyo; answered and solved Fri 15:30 = Sat 00:30 Tokyo.
    t2 = ana.create_ticket("T2", "late", "c2@example.com", when=now(at(20, 14, 30))).number
    ana.add_reply(t2, "done", status="solved", when=now(at(20, 15, 30)))
    system.catch_up_reports()  # what a report's reader does first
    return store


def test_a_day_ends_at_midnight_in_the_calendars_zone(desk: Store) -> None:
    k = build_report(desk, FRIDAY).current
    # Both tickets arrive on Tokyo's Friday (UTC: T1 on Thursday).
    assert k["new"] == 2
    # T1 is solved on Friday; T2 on Saturday in Tokyo (UTC: both on Friday).
    assert k["solved"] == 1
    # T1's first reply, Thu 16:00 -> Fri 10:00 = 18 h = 64,800 s; all of it in Tokyo's
    # Friday working day (01:00-19:00), so business time is the same.
    assert k["first_reply_count"] == 1
    assert (k["first_reply_calendar_median_s"], k["first_reply_business_median_s"]) == (
        64800,
        64800,
    )
    assert (k["resolution_calendar_median_s"], k["resolution_business_median_s"]) == (
        64800,
        64800,
    )
    # At Tokyo's midnight (Fri 15:00) T2 is open, created that day: backlog 1, age 0.
    # (At UTC midnight both are solved: 0.)
    assert k["backlog"] == 1
    assert k["backlog_age_0_1d"] == 1
    # The hour logged from Fri 01:00 Tokyo is Friday's (UTC: Thursday's).
    assert k["time_on_tickets_s"] == 3600
    # Working time: Tokyo's Friday, 24 h = 86,400 s, one agent (UTC's Friday: 15 h).
    assert k["utilization_pct"] == pytest.approx(100 * 3600 / 86400)
    # T1: one reply, solved on Friday, never reopened.
    assert k["fcr_pct"] == 100.0


def test_the_next_day_holds_what_crossed_midnight(desk: Store) -> None:
    k = build_report(desk, SATURDAY).current
    assert (k["new"], k["solved"], k["backlog"]) == (0, 1, 0)
    # T2's first reply: Fri 14:30 -> 15:30 = 3,600 s; business time Fri 23:30-24:00
    # Tokyo = 1,800 s (Saturday is closed).
    assert (k["first_reply_calendar_median_s"], k["first_reply_business_median_s"]) == (
        3600,
        1800,
    )
    assert k["time_on_tickets_s"] == 0
    assert k["utilization_pct"] is None  # no working time on a Saturday


def test_days_and_agents_follow_the_zone(desk: Store) -> None:
    period = Period(date(2026, 11, 19), date(2026, 11, 21))
    days = {d.start.day: d for d in build_report(desk, period, by="day").days}
    # (new, solved, backlog at the day's end) for Thu, Fri, Sat in Tokyo
    assert [(days[d].new, days[d].solved, days[d].backlog) for d in (19, 20, 21)] == [
        (0, 0, 0),
        (2, 1, 1),
        (0, 1, 0),
    ]
    ana = build_report(desk, FRIDAY, by="agent").rows[0].values
    assert (ana["agent"], ana["solved"], ana["replies"], ana["time_on_tickets_s"]) == (
        "Ana", 1, 1, 3600,
    )  # fmt: skip
    assert ana["utilization_pct"] == pytest.approx(100 * 3600 / 86400)


def test_today_is_the_calendars_today(desk: Store) -> None:
    assert report_today(desk, at(20, 14, 59)) == date(2026, 11, 20)
    assert report_today(desk, at(20, 15)) == date(2026, 11, 21)  # midnight in Tokyo


def _as_an_older_deskterm_left_it(path: Path) -> None:
    """Rollups of version 2 at schema 0017: the tables are the same, the days UTC's."""
    store = open_store(path)
    try:  # later migrations (the survey's columns) go back too, so opening re-runs them
        command.downgrade(migrate.alembic_config(store), "0017")
    finally:
        store.close()
    db = sqlite3.connect(path)
    db.execute("UPDATE report_meta SET value = '2' WHERE key = 'version'")
    db.commit()
    db.close()


@pytest.mark.parametrize(("calendar", "ready"), [(TOKYO, False), (CalendarConfig(), True)])
def test_an_older_store_rebuilds_only_when_its_days_move(
    tmp_path: Path, calendar: CalendarConfig, ready: bool
) -> None:
    path = fresh_store_file(tmp_path / "old.db")
    store = open_store(path)
    svc = Service(store, Actor.system(), Clock(at(20, 14, 30)))
    svc.rebuild_reports(spec_of(calendar))
    svc.create_ticket("T", "late", "c@example.com")
    svc.catch_up_reports()  # nothing due: going back leaves the rollups whole
    store.close()
    _as_an_older_deskterm_left_it(path)
    store = open_store(path)
    try:
        assert rollups_ready(store) is ready
        if not ready:
            with pytest.raises(StoreError, match=r"run `deskterm report --rebuild`"):
                build_report(store, FRIDAY)
            Service(store, Actor.system()).rebuild_reports()
        assert build_report(store, FRIDAY).current["new"] == 1
    finally:
        store.close()
