"""The send guard on one store: a customer's mail that came in while the agent wrote stops the
reply, shows what came (names and text inert), and the send key then sends it as written."""

from __future__ import annotations

from pathlib import Path

from helpers.app import make_app, screen_text, seeded_copy, settle

from deskterm.screens.ticket import TicketScreen
from deskterm.store.queries.tickets import get_ticket
from deskterm.store.schema.db import open_store
from deskterm.store.service import Actor, Service
from deskterm.widgets.send_guard import SendGuard


def _messages(path: Path, number: int) -> list[tuple[str, str]]:
    store = open_store(path)
    try:
        return [(m.kind, m.body_text) for m in get_ticket(store, number).messages]
    finally:
        store.close()


async def test_mail_that_came_while_writing_stops_the_reply(tmp_path: Path) -> None:
    path = seeded_copy(tmp_path)
    app = make_app(path)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(app, pilot)
        await pilot.press("3", "enter")
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, TicketScreen)
        number = screen.number
        await pilot.press("r", *"Try turning it off and on")
        await settle(app, pilot)
        before = _messages(path, number)

        # The fetcher (another connection) files the customer's follow-up meanwhile.
        store = open_store(path)
        Service(store, Actor.system()).add_customer_message(
            number, "[bold]Never mind, it works now[/] \x1b[2J"
        )
        store.close()

        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert screen.query_one(SendGuard).display
        text = screen_text(app)
        assert "Not sent: 1 new message(s) arrived while you wrote" in text
        assert "[bold]Never mind, it works now[/]" in text  # shown as typed, not as markup
        assert "\x1b" not in text
        assert len(_messages(path, number)) == len(before) + 1  # the follow-up, no reply

        await pilot.press("ctrl+s")
        await settle(app, pilot)
        after = _messages(path, number)
        assert len(after) == len(before) + 2 and ("reply", "Try turning it off and on") in after
        assert not screen.query_one(SendGuard).display


async def test_a_reply_with_nothing_new_goes_at_once(tmp_path: Path) -> None:
    path = seeded_copy(tmp_path)
    app = make_app(path)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(app, pilot)
        await pilot.press("3", "enter")
        await settle(app, pilot)
        number = app.screen.number  # type: ignore[attr-defined]  # a TicketScreen here
        await pilot.press("r", *"All done", "ctrl+s")
        await settle(app, pilot)
        assert _messages(path, number)[-1] == ("reply", "All done")
        assert not app.screen.query_one(SendGuard).display
