"""Solo mode in the app: replies through the outbox, undo, delivery states, the minute worker.

Real keys against a real aiosmtpd on loopback; the app's own sender delivers.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from helpers.app import NOW, make_config, screen_text, seeded_copy, settle, wait_until
from helpers.outbox import mailbox_for
from helpers.smtp import SmtpServer

from deskterm.app import DesktermApp
from deskterm.config import Config, MailConfig, RuleConfig
from deskterm.query.syntax import parse_query
from deskterm.screens.ticket import TicketScreen
from deskterm.store.queries.outbox import list_outbox
from deskterm.store.queries.tickets import get_ticket, get_ticket_row, list_tickets
from deskterm.store.schema.db import open_store
from deskterm.widgets.composer import Composer
from deskterm.widgets.ticket_list import TicketList


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    return seeded_copy(tmp_path)


def mail_config(server: SmtpServer, undo_seconds: int) -> Config:
    return make_config(mailbox=[mailbox_for(server)], mail=MailConfig(undo_seconds=undo_seconds))


async def open_first_ticket(app: DesktermApp, pilot) -> int:
    await settle(app, pilot)
    await pilot.press("3")  # All open
    # Enter on a list whose rows are still being read does nothing: wait for a row.
    await wait_until(pilot, lambda: app.screen.query_one(TicketList).row_at(0) is not None)
    await pilot.press("enter")  # its first row
    await wait_until(pilot, lambda: isinstance(app.screen, TicketScreen))
    screen = app.screen
    assert isinstance(screen, TicketScreen)
    return screen.number


async def reply(app: DesktermApp, pilot, text: str) -> None:
    await pilot.press("r")
    await settle(app, pilot)
    await pilot.press(*text, "ctrl+s")
    await settle(app, pilot)


def outbox(store_path: Path) -> list[str]:
    store = open_store(store_path)
    try:
        return [record.state for record in list_outbox(store)]
    finally:
        store.close()


async def test_undo_puts_the_reply_back_and_nothing_is_sent(
    store_path: Path, smtp_server: SmtpServer
) -> None:
    app = DesktermApp(store_path, mail_config(smtp_server, 10), clock=lambda: NOW)
    async with app.run_test(size=(120, 40)) as pilot:
        number = await open_first_ticket(app, pilot)
        await reply(app, pilot, "Refund sent")
        assert "sending in 10s — ctrl+z to undo" in screen_text(app)
        assert outbox(store_path) == ["waiting"]

        await pilot.press("ctrl+z")
        await settle(app, pilot)
        composer = app.screen.query_one(Composer)
        assert composer.display and composer.text == "Refund sent"
        assert app.drafts.get(number) is not None  # kept as a draft
        assert "sending in" not in screen_text(app)
        assert outbox(store_path) == []
        store = open_store(store_path)
        try:
            bodies = [m.body_text for m in get_ticket(store, number).messages]
        finally:
            store.close()
        assert "Refund sent" not in bodies
    assert smtp_server.messages == []


async def test_reply_is_sent_then_a_refused_one_shows_failed(
    store_path: Path, smtp_server: SmtpServer
) -> None:
    app = DesktermApp(store_path, mail_config(smtp_server, 0), clock=lambda: NOW, poll_seconds=0.1)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_first_ticket(app, pilot)
        await reply(app, pilot, "First answer")
        await wait_until(pilot, lambda: len(smtp_server.messages) == 1)
        await wait_until(pilot, lambda: "✉ sent" in screen_text(app))
        assert b"First answer" in smtp_server.messages[0].content

        smtp_server.fail_next_data("554 5.7.1 no")
        await reply(app, pilot, "Second answer")
        await wait_until(pilot, lambda: "failed (554 5.7.1 no)" in screen_text(app))
        assert sorted(outbox(store_path)) == ["failed", "sent"]
        await pilot.press("ctrl+z")  # nothing is waiting: the key does nothing
        await settle(app, pilot)
    assert len(smtp_server.messages) == 1


async def test_time_rule_fires_from_the_minute_worker(store_path: Path) -> None:
    rule = RuleConfig(name="stale", trigger="time", query="status:pending", add_tags=["stale"])
    app = DesktermApp(store_path, make_config(rules=[rule]), clock=lambda: NOW, minute_seconds=0.1)

    def tagged() -> bool:
        store = open_store(store_path)
        try:
            rows = list_tickets(store, parse_query("status:pending")).rows
            return bool(rows) and all("stale" in get_ticket_row(store, r.number).tags for r in rows)
        finally:
            store.close()

    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await wait_until(pilot, tagged)


async def test_server_down_is_one_notification_and_retrying(
    store_path: Path, smtp_server: SmtpServer
) -> None:
    smtp_server.stop()
    app = DesktermApp(store_path, mail_config(smtp_server, 0), clock=lambda: NOW, poll_seconds=0.1)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_first_ticket(app, pilot)
        await reply(app, pilot, "Are you there")
        await wait_until(pilot, lambda: "✉ retrying" in screen_text(app))
        errors = [n.message for n in app._notifications if n.severity == "error"]
        assert len(errors) == 1 and errors[0].startswith("sending mail: ")
        assert "\n" not in errors[0]
        assert outbox(store_path) == ["retrying"]


async def test_quitting_stops_the_background_work(
    store_path: Path, smtp_server: SmtpServer
) -> None:
    def ours() -> set[threading.Thread]:
        return {t for t in threading.enumerate() if t.name.startswith("deskterm-")} - before

    before = {t for t in threading.enumerate() if t.name.startswith("deskterm-")}
    rule = RuleConfig(name="stale", trigger="time", query="status:pending", add_tags=["stale"])
    config = mail_config(smtp_server, 0).replace(rules=[rule])
    app = DesktermApp(store_path, config, clock=lambda: NOW, minute_seconds=0.1)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await wait_until(pilot, lambda: len(ours()) == 3)
        started = ours()
        assert {t.name for t in started} == {
            "deskterm-store-watch",
            "deskterm-minute",
            "deskterm-sender",
        }
    assert not any(t.is_alive() for t in started)
