"""The reports screen: `R` from the queue, read in a worker, period and grouping keys."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from helpers.app import NOW, make_app, screen_text, seeded_copy, settle
from textual.widgets import DataTable

from deskterm.kb.article import ArticleDraft
from deskterm.kb.survey import parse_answer
from deskterm.query.syntax import parse_query
from deskterm.reports.model import Period
from deskterm.screens.queue import QueueScreen
from deskterm.screens.reports import ReportsScreen
from deskterm.screens.ticket import TicketScreen
from deskterm.store.queries.reports import build_report
from deskterm.store.queries.tickets import list_tickets
from deskterm.store.schema.db import open_store
from deskterm.store.service import Actor, Service
from deskterm.widgets.kpi_tile import KpiTile


def expected(path: Path, days: int) -> dict[str, float | int | None]:
    store = open_store(path)
    try:
        Service(store, Actor.system()).catch_up_reports()
        today = NOW.date()
        return build_report(store, Period(today - timedelta(days=days - 1), today)).current.values
    finally:
        store.close()


async def test_reports_show_the_kpis_and_follow_the_keys(tmp_path: Path) -> None:
    path = seeded_copy(tmp_path)
    month, week = expected(path, 30), expected(path, 7)
    assert month["new"] != week["new"]  # the keys below must change what is shown
    app = make_app(path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("R")
        assert isinstance(app.screen, ReportsScreen)
        await settle(app, pilot)
        screen = app.screen
        assert "Reports · 30 days" in screen_text(app)
        assert screen.query_one("#tile-new", KpiTile).value_text == f"{month['new']:,}"
        csat = screen.query_one("#tile-csat-good-pct", KpiTile)
        assert csat.value_text == "no data" and csat.has_class("-no-data")
        table = screen.query_one("#report-table", DataTable)
        assert next(str(c.label) for c in table.columns.values()) == "agent"
        await pilot.press("w")
        await settle(app, pilot)
        assert "Reports · 7 days" in screen_text(app)
        assert screen.query_one("#tile-new", KpiTile).value_text == f"{week['new']:,}"
        await pilot.press("b")
        await settle(app, pilot)
        assert next(str(c.label) for c in table.columns.values()) == "tag"
        await pilot.press("A")
        await settle(app, pilot)
        assert "Reports · all time" in screen_text(app)
        await pilot.press("escape")
        assert isinstance(app.screen, QueueScreen)


async def test_c_takes_a_custom_period_and_refuses_a_bad_one(tmp_path: Path) -> None:
    path = seeded_copy(tmp_path)
    since, until = NOW.date() - timedelta(days=20), NOW.date() - timedelta(days=6)
    store = open_store(path)
    Service(store, Actor.system()).catch_up_reports()
    wanted = build_report(store, Period(since, until)).current["new"]
    store.close()
    app = make_app(path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("R")
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, ReportsScreen)
        await pilot.press("c")
        await settle(app, pilot)
        await pilot.press("ctrl+a", "ctrl+k", *f"{since}..{until}", "enter")
        await settle(app, pilot)
        assert f"Reports · {since} .. {until}" in screen_text(app)
        assert screen.query_one("#tile-new", KpiTile).value_text == f"{wanted:,}"
        await pilot.press("c")
        await settle(app, pilot)
        await pilot.press("ctrl+a", "ctrl+k", *"next tuesday", "enter")
        await settle(app, pilot)
        errors = [str(n.message) for n in app._notifications if n.severity == "error"]
        assert errors == [
            "bad --since 'next tuesday': give YYYY-MM-DD, today, or a length like 7d or 12w"
        ]
        assert f"Reports · {since} .. {until}" in screen_text(app)  # unchanged


async def test_a_store_without_rollups_says_what_to_run(tmp_path: Path) -> None:
    import sqlite3

    path = seeded_copy(tmp_path)
    db = sqlite3.connect(path)
    db.execute("UPDATE report_meta SET value = 'stale' WHERE key = 'state'")
    db.commit()
    app = make_app(path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("R")
        await settle(app, pilot)
        assert isinstance(app.screen, ReportsScreen)
        assert "deskterm report --rebuild" in " ".join(screen_text(app).split())


async def test_time_with_a_ticket_open_is_saved_without_the_idle_gaps(tmp_path: Path) -> None:
    import sqlite3

    from helpers.app import make_config

    from deskterm.app import DesktermApp

    now = [NOW]
    app = DesktermApp(seeded_copy(tmp_path), make_config(), clock=lambda: now[0])

    def later(**delta: float) -> None:
        now[0] += timedelta(**delta)

    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("enter")  # opens the ticket under the cursor
        await settle(app, pilot)
        assert isinstance(app.screen, TicketScreen)
        number = app.screen.number
        later(seconds=30)
        await pilot.press("j")
        later(seconds=40)
        await pilot.press("k")
        later(minutes=10)  # away: more than the five-minute cut-off
        await pilot.press("j")
        later(seconds=20)
        await pilot.press("escape")  # leaving saves: 30 + 40 + 20 s
        await settle(app, pilot)
    db = sqlite3.connect(app.runtime.store_path)
    rows = db.execute(
        "SELECT t.number, e.seconds, e.source FROM time_entry e JOIN ticket t ON t.id = e.ticket_id"
    ).fetchall()
    assert rows == [(number, 90, "tracked")]


async def test_survey_and_knowledge_base_figures_have_tiles(tmp_path: Path) -> None:
    path = seeded_copy(tmp_path)
    store = open_store(path)
    try:
        desk = Service(store, Actor.system(), lambda: NOW - timedelta(hours=1))
        numbers = [row.number for row in list_tickets(store, parse_query(""), limit=4).rows]
        for number, (rating, effort) in zip(
            numbers, [("great", "7"), ("great", "5"), ("okay", ""), ("not_good", "2")], strict=True
        ):
            desk.answer_survey(number, parse_answer(rating, effort))
        desk.save_article(ArticleDraft("Refunds", "Paid in 5 days.", status="published"))
        for kind in ("view", "view", "view", "suggestion_opened", "suggestion_opened"):
            desk.count_kb(kind, "refunds")
        desk.count_kb("contacted", "refunds")
    finally:
        store.close()
    app = make_app(path)
    async with app.run_test(size=(80, 30)) as pilot:
        await settle(app, pilot)
        await pilot.press("R")
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, ReportsScreen)
        shown = {
            name: screen.query_one(f"#tile-{name}", KpiTile).value_text
            for name in ("csat-good-pct", "happiness-score", "effort-avg", "kb-views",
                         "deflection-pct")
        }  # fmt: skip
        assert shown == {
            "csat-good-pct": "50.0%",
            "happiness-score": "25.00",  # 2 great - 1 not good, of 4
            "effort-avg": "4.67",
            "kb-views": "3",
            "deflection-pct": "50.0%",  # 2 opened from /contact, 1 wrote anyway
        }
