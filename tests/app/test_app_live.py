"""The queue stays live: SLA countdowns tick, new mail appears, intake status shows."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from helpers.app import NOW, make_config, screen_text, seeded_copy, settle, wait_until

from deskterm.app import DesktermApp
from deskterm.config import PolicyConfig, SlaConfig
from deskterm.screens.queue import QueueScreen
from deskterm.sla.settings import settings_from_config
from deskterm.store.schema.db import open_store
from deskterm.store.schema.timefmt import to_db
from deskterm.store.service import Actor, Service
from deskterm.widgets.ticket_list import TicketList

SLA = SlaConfig(policy=[PolicyConfig("Standard", first_reply={"default": "4h"})])


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    return seeded_copy(tmp_path)


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def line_with(app: DesktermApp, text: str) -> str:
    return next((line for line in screen_text(app).splitlines() if text in line), "")


async def test_countdown_ticks_without_reloading(store_path: Path) -> None:
    store = open_store(store_path)
    Service(store, Actor.system(), clock=lambda: NOW, sla=settings_from_config(SLA)).create_ticket(
        "Printer on fire", "Help!", "ana@acme.example", "Ana Silva", when=NOW
    )
    store.close()
    clock = Clock(NOW)
    app = DesktermApp(store_path, make_config(sla=SLA), clock=clock)
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(app, pilot)
        assert "Breaching soon" in screen_text(app)
        await pilot.press("3")  # All open
        await settle(app, pilot)
        assert "4h · 4h" in line_with(app, "Printer on fire")
        listed = app.screen.query_one(TicketList)
        generation = listed.generation

        clock.now = NOW + timedelta(minutes=70)
        screen = app.screen
        assert isinstance(screen, QueueScreen)
        screen.tick_clock()  # what the 30 s timer calls
        await pilot.pause()
        assert "2h50m · 2h50m" in line_with(app, "Printer on fire")
        assert listed.generation == generation  # repainted, not reloaded

        clock.now = NOW + timedelta(hours=5)
        screen.tick_clock()
        await pilot.pause()
        assert "-1h · -1h" in line_with(app, "Printer on fire")


async def test_new_mail_appears_without_restart(store_path: Path) -> None:
    app = DesktermApp(store_path, make_config(), clock=lambda: NOW, poll_seconds=0.05)
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(app, pilot)
        await pilot.press("3")
        await settle(app, pilot)
        assert "Fresh mail from Oslo" not in screen_text(app)

        store = open_store(store_path)  # another process: the fetcher
        Service(store, Actor.system(), clock=lambda: NOW + timedelta(minutes=5)).create_ticket(
            "Fresh mail from Oslo", "Hei!", "ola@example.no", "Ola Nordmann"
        )
        store.close()
        await wait_until(pilot, lambda: "Fresh mail from Oslo" in screen_text(app))
        assert "Fresh mail from Oslo" in line_with(app, "Fresh mail from Oslo")


async def test_ingest_status_line(store_path: Path) -> None:
    conn = sqlite3.connect(store_path)
    with conn:
        conn.execute(
            "INSERT INTO mailbox_state (address, folder, last_uid, last_fetch_at, last_error,"
            " last_error_at) VALUES (?, ?, 0, ?, ?, ?)",
            (
                "help@deskterm.demo",
                "INBOX",
                to_db(NOW - timedelta(minutes=5)),
                "[bold]login failed\x1b[2J",
                to_db(NOW - timedelta(minutes=1)),
            ),
        )
    conn.close()
    app = DesktermApp(store_path, make_config(), clock=lambda: NOW)
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(app, pilot)
        line = line_with(app, "mail: ")
        assert "fetched 5m ago" in line
        assert "help@deskterm.demo/INBOX: [bold]login failed" in line
        assert "\x1b" not in screen_text(app)


async def test_ticket_head_shows_sla_targets(store_path: Path) -> None:
    store = open_store(store_path)
    Service(store, Actor.system(), clock=lambda: NOW, sla=settings_from_config(SLA)).create_ticket(
        "Printer on fire", "Help!", "ana@acme.example", "Ana Silva", when=NOW
    )
    store.close()
    clock = Clock(NOW + timedelta(hours=1))
    app = DesktermApp(store_path, make_config(sla=SLA), clock=clock)
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(app, pilot)
        await pilot.press("3", "enter")  # the newest open ticket
        await settle(app, pilot)
        assert "Printer on fire" in screen_text(app)
        assert line_with(app, "first reply").strip().endswith("(3h left) ok")
