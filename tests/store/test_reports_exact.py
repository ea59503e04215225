"""Every report KPI equals a brute-force computation from the event log, and the rollups
kept change by change equal a rebuild from scratch."""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from helpers.clock import Clock
from helpers.report_oracle import Oracle
from helpers.store import fresh_store_file
from helpers.store import rollups as dump
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from deskterm.config import CalendarConfig, PolicyConfig, SlaConfig
from deskterm.demo import build_demo
from deskterm.kb.article import ArticleDraft
from deskterm.kb.survey import parse_answer
from deskterm.reports.calendar_spec import calendar_of, spec_of
from deskterm.reports.model import Period
from deskterm.sla.settings import settings_from_config
from deskterm.store.queries.report_feedback import store_feedback
from deskterm.store.queries.reports import ReportSettings, build_report
from deskterm.store.schema.db import Store, open_store
from deskterm.store.service import Actor, Service, hooks
from deskterm.store.service.report_hook import due_tickets

NOW = datetime(2026, 11, 25, 15, 30, tzinfo=UTC)  # a Wednesday
# Berlin hours with a lunch break and a holiday: business time differs from calendar time.
CALENDAR = CalendarConfig(
    name="berlin",
    timezone="Europe/Berlin",
    hours={d: "09:00-12:00,13:00-17:30" for d in ("mon", "tue", "wed", "thu", "fri")},
    extra_holidays=["2026-11-20"],
)
SLA = SlaConfig(
    calendar=CALENDAR,
    policy=[
        PolicyConfig(
            name="Standard",
            calendar="berlin",
            first_reply={"default": "2h"},
            next_reply={"default": "4h"},
            resolution={"default": "16h"},
        )
    ],
)


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A demo store, then live changes through the service: SLA outcomes, merges, splits,
    time entries, reopenings, tags; the rollups kept by the hook all along."""
    path = tmp_path_factory.mktemp("reports") / "demo.db"
    build_demo(path, 1500, seed=3, now=NOW)
    store = open_store(path)
    clock = Clock(NOW)
    system = Service(store, Actor.system(), clock)
    system.rebuild_reports(spec_of(CALENDAR))
    agents = [r[0] for r in sqlite3.connect(path).execute("SELECT id FROM agent ORDER BY id")]
    sla = settings_from_config(SLA)
    services = [Service(store, Actor(a, f"agent {a}"), clock, sla=sla) for a in agents[:3]]
    system.save_article(ArticleDraft("Refunds", "Paid in 5 days.", status="published"))
    numbers = []
    for i in range(30):
        svc = services[i % 3]
        created = svc.create_ticket(
            f"Live {i}", "help", f"live{i}@example.com", tags=["live"] if i % 2 else []
        )
        numbers.append(created.number)
        clock.advance(minutes=37 + i)
        if i % 4 != 3:
            svc.add_reply(created.number, "on it", status="pending" if i % 3 else "solved")
        clock.advance(hours=3)
        svc.log_time(created.number, 600 + 60 * i, note="live")
        if i % 5 == 0:
            svc.add_customer_message(created.number, "still broken")
            clock.advance(hours=1)
            svc.add_customer_message(created.number, "hello?")  # the first one starts the clock
            clock.advance(hours=5)
            svc.add_reply(created.number, "fixed now", status="solved")
        if i % 3 == 0:  # the customer answers the survey; some change their mind later
            rating = ("great", "okay", "not_good", "great")[i % 4]
            system.answer_survey(created.number, parse_answer(rating, str(1 + i % 7)))
        if i % 4 == 1:
            system.count_kb("view", "refunds")
            services[i % 3].count_kb("linked", "refunds", ticket=created.number)
            system.count_kb("suggestion_opened", "refunds")
        if i % 8 == 1:
            system.count_kb("contacted", "refunds")  # wrote to us after all
    for number in numbers[::9]:
        system.answer_survey(number, parse_answer("not_good"), rating_only=True)
    services[0].merge(numbers[1], numbers[2])
    services[1].split(numbers[5], _last_message(path, numbers[5]))
    services[2].update_tickets(numbers[6:12], add_tags=["vip"], remove_tags=["live"])
    clock.advance(days=1)
    services[0].check_breaches()
    services[1].track_time(numbers[0], clock.now - timedelta(minutes=20), 900)
    system.catch_up_reports()  # what a report's reader does first
    store.close()
    return path


def _last_message(path: Path, number: int) -> int:
    row = (
        sqlite3.connect(path)
        .execute(
            "SELECT max(m.id) FROM message m JOIN ticket t ON t.id = m.ticket_id"
            " WHERE t.number = ?",
            (number,),
        )
        .fetchone()
    )
    return int(row[0])


PERIODS = [
    Period(date(2026, 10, 27), date(2026, 11, 25)),  # the default: 30 days to today
    Period(date(2026, 11, 26), date(2026, 11, 26)),  # one day of the live changes
    Period(date(2026, 11, 20), date(2026, 11, 23)),  # a holiday and a weekend
    Period(date(2026, 11, 25), date(2026, 12, 3)),  # the live changes, merge and split included
    Period(date(2026, 5, 1), date(2026, 12, 31)),  # all of it
]


@pytest.mark.parametrize("period", PERIODS, ids=lambda p: f"{p.since}..{p.until}")
def test_every_kpi_equals_brute_force(history: Path, period: Period) -> None:
    oracle = Oracle(sqlite3.connect(history), calendar_of(spec_of(CALENDAR)))
    store = open_store(history)
    try:
        report = build_report(store, period, settings=ReportSettings(feedback=store_feedback))
    finally:
        store.close()
    expected = oracle.kpis(period.since, period.until)
    got = report.current.fields()
    assert set(got) == set(expected)
    for name, value in expected.items():
        if name.endswith("_pct"):
            assert got[name] == pytest.approx(value), name
        else:
            assert got[name] == value, name
    before = oracle.kpis(report.previous.since, report.previous.until)  # type: ignore[union-attr]  # asked for one
    assert report.before is not None
    assert report.before["first_reply_business_median_s"] == before["first_reply_business_median_s"]
    assert report.before["backlog"] == before["backlog"]


def test_the_live_history_has_every_kind_of_fact(history: Path) -> None:
    """The comparison above would prove little over zeros."""
    kpis = Oracle(sqlite3.connect(history), calendar_of(spec_of(CALENDAR))).kpis(
        date(2026, 11, 25), date(2026, 12, 3)
    )
    for name in ("sla_first_reply_met", "sla_first_reply_breached", "time_on_tickets_s",
                 "reopened", "next_reply_count", "fcr_pct", "csat_good_pct", "happiness_score",
                 "effort_avg", "kb_views", "kb_linked", "deflection_pct"):  # fmt: skip
        assert kpis[name], name
    assert kpis["csat_answers"] == 10  # tickets: one that answered again counts once


@pytest.mark.parametrize("dim", ["tag", "group", "channel"])
def test_volume_by_dimension_equals_brute_force(history: Path, dim: str) -> None:
    period = PERIODS[-1]
    store = open_store(history)
    try:
        report = build_report(store, period, by=dim)
    finally:
        store.close()
    expected = Oracle(sqlite3.connect(history), calendar_of(spec_of(CALENDAR))).volume_by(
        dim, period.since, period.until
    )
    got = {row.key: {k: v for k, v in row.values.items() if k != dim and v} for row in report.rows}
    assert {k: v for k, v in got.items() if v} == {k: v for k, v in expected.items() if v}


def test_mail_taken_in_by_the_batch_writer_is_counted(tmp_path: Path) -> None:
    """The ingest batch writes rows in plain statements; the rollup hook counts them all."""
    from email.utils import make_msgid

    from deskterm.store.service.ingest import MailIngest, Receipt, parse_incoming

    path = fresh_store_file(tmp_path / "mail.db")
    store = open_store(path)
    ingest = MailIngest(store, own_addresses=["support@desk.test"])
    state = ingest.open_folder("support@desk.test", "INBOX")
    raws = [
        f"From: P{n} <p{n}@cust.test>\nTo: support@desk.test\nSubject: Q {n}\n"
        f"Message-ID: {make_msgid(domain='r.test')}\n\nHello\n".encode()
        for n in range(5)
    ]
    ingest.ingest([parse_incoming(r, f"uid {n}", receipt=Receipt(state.id, 1, n + 1))
                   for n, r in enumerate(raws)])  # fmt: skip
    Service(store, Actor.system()).catch_up_reports()
    kept = dump(sqlite3.connect(path))
    today = datetime.now(UTC).date()
    assert build_report(store, Period(today, today)).current["new"] == 5
    Service(store, Actor.system()).rebuild_reports()
    store.close()
    assert dump(sqlite3.connect(path)) == kept


def test_rollups_kept_by_the_hook_equal_a_rebuild(history: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy.db"
    sqlite3.connect(history).backup(sqlite3.connect(copy))
    before = dump(sqlite3.connect(copy))
    store = open_store(copy)
    Service(store, Actor.system()).rebuild_reports()
    store.close()
    assert dump(sqlite3.connect(copy)) == before


def test_report_neutral_changes_skip_the_recount(
    either_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An assignment, priority, subject, note or a status change that neither solves nor
    reopens leaves the facts alone: no recount is due.

    On a SQLite file and on PostgreSQL: the rollups kept change by change equal a rebuild."""
    store = either_store
    clock = Clock(NOW)
    a = Service(store, Actor.system(), clock).ensure_agent("Ana", "ana@desk.test")
    svc = Service(store, Actor(a, "Ana"), clock)
    number = svc.create_ticket("printer", "it jams", "c@example.com").number
    due: list[list[int]] = []
    monkeypatch.setattr(
        hooks, "BEFORE_COMMIT", (*hooks.BEFORE_COMMIT, lambda u: due.append(due_tickets(u)))
    )
    svc.set_priority(number, "urgent")
    svc.set_assignee(number, "ana@desk.test")
    svc.add_note(number, "asked the vendor")
    svc.update_tickets([number], subject="printer jams")
    assert due == [[], [], [], []]
    ticket_id = int(
        store.read().execute("SELECT id FROM ticket WHERE number = ?", (number,)).fetchone()[0]
    )
    svc.update_tickets([number], priority="low", status="pending")  # new -> pending
    svc.set_status(number, "on_hold")
    assert due[4:] == [[], []]
    svc.update_tickets([number], priority="high", status="solved")  # a solve among them
    svc.set_status(number, "open")  # reopened
    svc.track_time(number, NOW - timedelta(minutes=5), 300)  # no event at all
    svc.add_tags(number, ["printer"])  # volume by tag
    assert due[6:] == [[ticket_id]] * 4
    Service(store, Actor.system()).catch_up_reports()
    kept = dump(store.read())
    Service(store, Actor.system()).rebuild_reports()
    assert dump(store.read()) == kept


OPS = st.lists(
    st.tuples(
        st.sampled_from(
            [
                "new",
                "reply",
                "note",
                "customer",
                "solve",
                "pending",
                "reopen",
                "tag",
                "untag",
                "merge",
                "split",
                "time",
                "group",
                "wait",
                "priority",
                "assign",
                "subject",
                "track",
            ]
        ),
        st.integers(0, 7),
        st.integers(0, 7),
    ),
    min_size=1,
    max_size=40,
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(ops=OPS)
def test_rollups_equal_a_rebuild_after_any_changes(
    tmp_path: Path, ops: list[tuple[str, int, int]]
) -> None:
    path = fresh_store_file(tmp_path / f"h{abs(hash(tuple(ops)))}.db")
    store = open_store(path)
    clock = Clock(NOW)
    system = Service(store, Actor.system(), clock)
    a = system.ensure_agent("Ana", "ana@desk.test")
    system.add_group("billing", ["ana@desk.test"])
    svc = Service(store, Actor(a, "Ana"), clock, sla=settings_from_config(SLA))
    numbers: list[int] = []
    for op, x, y in ops:
        clock.advance(minutes=17 * (x + 1))
        if op == "new" or not numbers:
            numbers.append(svc.create_ticket(f"t{x}", "hi", f"c{y}@example.com").number)
            continue
        n, m = numbers[x % len(numbers)], numbers[y % len(numbers)]
        try:
            if op == "reply":
                svc.add_reply(n, "answer")
            elif op == "note":
                svc.add_note(n, "note")
            elif op == "customer":
                svc.add_customer_message(n, "more")
            elif op in ("solve", "pending"):
                svc.set_status(n, "solved" if op == "solve" else "pending")
            elif op == "reopen":
                svc.set_status(n, "open")
            elif op == "tag":
                svc.add_tags(n, [f"t{y}"])
            elif op == "untag":
                svc.remove_tags(n, [f"t{y}"])
            elif op == "merge":
                svc.merge(n, m)
            elif op == "split":
                svc.split(n, _last_message(path, n))
            elif op == "time":
                svc.log_time(n, 60 * (y + 1))
            elif op == "group":
                svc.set_group(n, "billing" if y % 2 else None)
            elif op == "priority":
                svc.set_priority(n, "urgent" if y % 2 else "low")
            elif op == "assign":
                svc.set_assignee(n, "ana@desk.test" if y % 2 else None)
            elif op == "subject":
                svc.update_tickets([n], subject=f"s{y}", priority="high")
            elif op == "track":
                svc.track_time(n, clock() - timedelta(minutes=y + 1), 60 * (y + 1))
            else:
                clock.advance(days=y)
                svc.check_breaches()
        except Exception as exc:  # a refused change (merge into itself...) changes nothing
            assert type(exc).__module__ == "deskterm.errors", exc
    system.catch_up_reports()
    kept = dump(sqlite3.connect(path))
    system.rebuild_reports()
    store.close()
    assert dump(sqlite3.connect(path)) == kept


def test_a_counted_change_is_due_until_a_reader_catches_up(either_store: Store) -> None:
    """A solve marks its ticket due and writes no rollup row; catching up (what every
    report reader does first) counts it exactly, once. On a SQLite file and on PostgreSQL."""
    store = either_store
    system = Service(store, Actor.system(), Clock(NOW))
    number = system.create_ticket("printer", "it jams", "c@example.com").number
    system.catch_up_reports()
    ticket_id = int(
        store.read().execute("SELECT id FROM ticket WHERE number = ?", (number,)).fetchone()[0]
    )
    counted = dump(store.read())
    system.set_status(number, "solved")
    system.set_priority(number, "high")  # neutral: nothing more due
    assert [tuple(r) for r in store.read().execute("SELECT * FROM report_due")] == [(ticket_id,)]
    assert dump(store.read()) == counted  # nothing recounted in the change
    period = Period(NOW.date(), NOW.date())
    assert build_report(store, period).current["solved"] == 0
    assert system.catch_up_reports() == 1
    assert build_report(store, period).current["solved"] == 1
    assert system.catch_up_reports() == 0
    kept = dump(store.read())
    system.rebuild_reports()
    assert dump(store.read()) == kept
