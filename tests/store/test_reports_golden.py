"""A small history built by hand, each KPI worked out by hand beside its assertion.

The business calendar is Berlin (UTC+1 in November), Mon-Fri 09:00-12:00 and
13:00-17:30 (7.5 h a day), with Friday 2026-11-20 a holiday. The period is
Thu 2026-11-19 .. Tue 2026-11-24: a working day, the holiday, a weekend, two
working days. Times below are UTC unless they say Berlin. Days are Berlin's days:
no event here falls between 23:00 and 24:00 UTC (the next day in Berlin) and no
working hour is near midnight, so each event's day and the working time are the
same as on UTC days (test_reports_zone.py has events on both sides of midnight).
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from helpers.clock import Clock

from deskterm.config import CalendarConfig
from deskterm.reports.calendar_spec import spec_of
from deskterm.reports.model import Feedback, Period
from deskterm.store.queries.reports import ReportSettings, build_report
from deskterm.store.schema.db import Store
from deskterm.store.service import Actor, Service

BERLIN = CalendarConfig(
    name="berlin",
    timezone="Europe/Berlin",
    hours={d: "09:00-12:00,13:00-17:30" for d in ("mon", "tue", "wed", "thu", "fri")},
    extra_holidays=["2026-11-20"],
)
PERIOD = Period(date(2026, 11, 19), date(2026, 11, 24))


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


@pytest.fixture
def desk(either_store: Store) -> Store:
    """The history on a SQLite file, then on PostgreSQL: the same KPIs from both."""
    store = either_store
    clock = Clock(at(19, 15))
    system = Service(store, Actor.system(), clock)
    system.rebuild_reports(spec_of(BERLIN))
    ana = Service(store, Actor(system.ensure_agent("Ana", "ana@desk.test"), "Ana"), clock)
    ben = Service(store, Actor(system.ensure_agent("Ben", "ben@desk.test"), "Ben"), clock)

    def now(moment: datetime) -> datetime:
        clock.now = moment
        return moment

    # T1: Thu 16:00 (17:00 Berlin), answered and solved Mon 08:30 (09:30 Berlin).
    t1 = ana.create_ticket("T1", "help", "c1@example.com", when=now(at(19, 16))).number
    # T3: Saturday; merged into T2 on Monday (closed by the merge: not a solve).
    t3 = ana.create_ticket("T3", "also", "c3@example.com", when=now(at(21, 12))).number
    # T5: Sunday night; Ben solves it Monday 09:00 (10:00 Berlin) without a reply.
    t5 = ben.create_ticket("T5", "spam", "c5@example.com", when=now(at(22, 20))).number
    ana.add_reply(t1, "fixed", status="solved", when=now(at(23, 8, 30)))
    now(at(23, 9))
    ben.set_status(t5, "solved")
    # T2: Mon 10:00 (11:00 Berlin).
    t2 = ana.create_ticket("T2", "broken", "c2@example.com", when=now(at(23, 10))).number
    now(at(23, 11))
    ana.merge(t3, t2)
    ana.add_reply(t2, "looking", status="pending", when=now(at(23, 12, 30)))
    ana.add_customer_message(t2, "still", when=now(at(23, 14)))  # pending -> open
    ana.add_customer_message(t2, "hello?", when=now(at(23, 14, 30)))
    ana.add_reply(t2, "done", status="solved", when=now(at(24, 8, 15)))
    ana.add_customer_message(t2, "no", when=now(at(24, 10)))  # solved -> open: reopened
    ana.add_reply(t2, "done now", status="solved", when=now(at(24, 10, 30)))
    # T4: Tue 09:00, still open at the end; Ben logs 30 minutes on it.
    t4 = ana.create_ticket("T4", "new", "c4@example.com", when=now(at(24, 9))).number
    ben.log_time(t4, 1800, when=now(at(24, 11)))
    system.catch_up_reports()  # what a report's reader does first
    return store


def test_golden_kpis(desk: Store) -> None:
    k = build_report(desk, PERIOD, settings=ReportSettings(cost_per_agent_hour=60.0)).current
    # T1 (19th), T3 (21st), T5 (22nd), T2 (23rd), T4 (24th)
    assert k["new"] == 5
    # T1, T5, T2 twice; T3's close by merging is not a solve
    assert k["solved"] == 4
    assert k["reopened"] == 1
    # First replies: T1 Thu 16:00 -> Mon 08:30 = 3 d 16 h 30 m = 318,600 s calendar;
    # business Thu 17:00-17:30 Berlin + Mon 09:00-09:30 = 3,600 s (holiday, weekend: none).
    # T2 10:00 -> 12:30 = 9,000 s; business 11:00-12:00 + 13:00-13:30 Berlin = 5,400 s.
    # Nearest rank of two: median = the 1st, p90 = the 2nd (ceil(1.8)).
    assert k["first_reply_count"] == 2
    assert (k["first_reply_calendar_median_s"], k["first_reply_calendar_p90_s"]) == (9000, 318600)
    assert (k["first_reply_business_median_s"], k["first_reply_business_p90_s"]) == (3600, 5400)
    # Next replies of T2: the first waiting message (Mon 14:00, 15:00 Berlin) to Tue 08:15 =
    # 18 h 15 m = 65,700 s; business 15:00-17:30 + 09:00-09:15 = 9,900 s. Then Tue 10:00 ->
    # 10:30 = 1,800 s both ways. (T3's Saturday message, merged in, is older than T2: ignored.)
    assert k["next_reply_count"] == 2
    assert (k["next_reply_calendar_median_s"], k["next_reply_calendar_p90_s"]) == (1800, 65700)
    assert (k["next_reply_business_median_s"], k["next_reply_business_p90_s"]) == (1800, 9900)
    # Resolutions: T1 318,600 / 3,600; T5 Sun 20:00 -> Mon 09:00 = 46,800 / 3,600 (Mon
    # 09:00-10:00 Berlin); T2 to Tue 08:15 = 80,100 / 20,700 (1 h + 4.5 h + 0.25 h);
    # T2 to Tue 10:30 = 88,200 / 28,800 (5.5 h + 09:00-11:30 = 2.5 h).
    # Calendar sorted 46,800 80,100 88,200 318,600: median (rank 2) 80,100, p90 (rank 4) 318,600.
    # Business sorted 3,600 3,600 20,700 28,800: median 3,600, p90 28,800.
    assert k["resolution_count"] == 4
    assert (k["resolution_calendar_median_s"], k["resolution_calendar_p90_s"]) == (80100, 318600)
    assert (k["resolution_business_median_s"], k["resolution_business_p90_s"]) == (3600, 28800)
    # Backlog at the end of the 24th: only T4, created that day (age 0).
    assert k["backlog"] == 1
    assert [k[f"backlog_age_{b}"] for b in ("0_1d", "1_3d", "3_7d", "7_30d", "30d_plus")] == [
        1, 0, 0, 0, 0,
    ]  # fmt: skip
    # Solved now, not merged, last solve in the period: T1 (one reply, never reopened: FCR),
    # T2 (three replies, reopened), T5 (no reply): 1 of 3.
    assert k["fcr_pct"] == pytest.approx(100 / 3)
    assert k["reopen_rate_pct"] == 25.0  # 1 reopened / 4 solved
    # No SLA policy: nothing met or breached, the share has no data.
    assert (k["sla_first_reply_met"], k["sla_first_reply_met_pct"]) == (0, None)
    assert k["time_on_tickets_s"] == 1800
    # Working time Thu 7.5 h + Mon 7.5 h + Tue 7.5 h = 81,000 s, times two agents.
    assert k["utilization_pct"] == pytest.approx(100 * 1800 / 162000)
    assert k["cost_per_ticket"] == 7.5  # 60 an hour x 0.5 h / 4 solved
    for name in ("csat_good_pct", "happiness_score", "effort_avg", "deflection_pct"):
        assert k[name] is None


def test_golden_per_agent(desk: Store) -> None:
    rows = {r.values["agent"]: r.values for r in build_report(desk, PERIOD, by="agent").rows}
    assert set(rows) == {"Ana", "Ben"}
    ana, ben = rows["Ana"], rows["Ben"]
    # Ana: solved T1 and T2 twice; replies T1 once, T2 three times; her first replies
    # 9,000 and 318,600 s (median: the 1st); FCR T1 yes, T2 no.
    assert (ana["solved"], ana["replies"], ana["first_reply_calendar_median_s"]) == (3, 4, 9000)
    assert ana["first_reply_business_median_s"] == 3600
    assert ana["fcr_pct"] == 50.0
    assert (ana["time_on_tickets_s"], ana["utilization_pct"]) == (0, 0.0)
    # Ben: solved T5 (no reply: not FCR), no replies, 30 minutes of 81,000 s working time.
    assert (ben["solved"], ben["replies"], ben["first_reply_calendar_median_s"]) == (1, 0, None)
    assert ben["fcr_pct"] == 0.0
    assert ben["time_on_tickets_s"] == 1800
    assert ben["utilization_pct"] == pytest.approx(100 * 1800 / 81000)


def test_golden_days_and_backlog(desk: Store) -> None:
    days = {d.start.day: d for d in build_report(desk, PERIOD, by="day").days}
    # Backlog: T1 from the 19th; T3 from the 21st; T5 from the 22nd; on the 23rd T1 and T5
    # are solved, T3 merged, T2 arrives and is solved on the 24th, reopened, solved; T4 arrives.
    assert [days[d].backlog for d in range(19, 25)] == [1, 1, 2, 3, 1, 1]
    # On the 23rd only T2 (age 0) is open; at the end of the 22nd T1 is 3 days old.
    assert days[22].ages == (1, 1, 1, 0, 0)
    assert [(days[d].new, days[d].solved, days[d].reopened) for d in (23, 24)] == [
        (1, 2, 0),
        (1, 2, 1),
    ]


def test_feedback_figures_enter_through_their_source(desk: Store) -> None:
    """Survey and knowledge-base figures come from one source, for each period asked."""
    asked: list[Period] = []
    ana = desk.read().execute("SELECT id FROM agent WHERE email = 'ana@desk.test'").fetchone()[0]

    def source(store: Store, period: Period) -> Feedback:
        asked.append(period)
        return Feedback(
            {"csat_good_pct": float(period.since.day), "deflection_pct": 12.5},
            {ana: 80.0},
        )

    report = build_report(desk, PERIOD, by="agent", settings=ReportSettings(feedback=source))
    # The period, then the six days before it (13th..18th).
    assert asked == [PERIOD, Period(date(2026, 11, 13), date(2026, 11, 18))]
    assert (report.current["csat_good_pct"], report.current["deflection_pct"]) == (19.0, 12.5)
    assert report.before is not None and report.before["csat_good_pct"] == 13.0
    assert report.change("csat_good_pct") == 6.0
    # What the source does not give stays "no data".
    assert (report.current["happiness_score"], report.current["effort_avg"]) == (None, None)
    rows = {r.values["agent"]: r.values["csat_good_pct"] for r in report.rows}
    assert rows == {"Ana": 80.0, "Ben": None}
