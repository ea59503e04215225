"""`L` in the queue logs a phone call or a walk-in as a ticket, with its time."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from helpers.app import make_app, screen_text, seeded_copy, settle

from deskterm.screens.call import CallModal
from deskterm.screens.queue import QueueScreen


async def test_l_logs_a_call_as_a_phone_ticket_with_its_time(tmp_path: Path) -> None:
    store_path = seeded_copy(tmp_path)
    app = make_app(store_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await pilot.press("L")
        await settle(app, pilot)
        assert isinstance(app.screen, CallModal)
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert "the caller's email address is needed" in screen_text(app)
        await pilot.press(*"walkin@example.com", "tab", *"Jo Walker", "tab", "tab")
        await pilot.press(*"20m", "tab", *"Came in with a broken charger")
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert isinstance(app.screen, QueueScreen)

    conn = sqlite3.connect(store_path)
    try:
        row = conn.execute(
            "SELECT t.subject, t.channel, c.name, (SELECT sum(seconds) FROM time_entry e"
            " WHERE e.ticket_id = t.id) FROM ticket t JOIN customer c ON c.id = t.customer_id"
            " WHERE c.email = 'walkin@example.com'"
        ).fetchone()
    finally:
        conn.close()
    assert row == ("Came in with a broken charger", "phone", "Jo Walker", 1200)
