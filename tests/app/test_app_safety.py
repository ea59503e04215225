"""Hostile text from mail shows literally and inert on real screens: no markup, no ESC."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers.app import make_app, screen_segments, screen_text, seeded_copy, settle

from deskterm.app import DesktermApp
from deskterm.screens.ticket import TicketScreen
from deskterm.widgets.ticket_list import TicketList


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    return seeded_copy(tmp_path)


def assert_inert(app: DesktermApp) -> str:
    segments = screen_segments(app)
    joined = "".join(segments)
    assert "\x1b" not in joined and "\x07" not in joined
    assert "\u202e" not in joined
    return screen_text(app)


async def test_hostile_strings_in_queue_and_ticket(store_path: Path) -> None:
    app = make_app(store_path)
    async with app.run_test(size=(200, 50)) as pilot:
        await settle(app, pilot)
        await pilot.press("3")
        await settle(app, pilot)
        text = assert_inert(app)
        assert "[bold red]PAY NOW[/]" in text  # markup shown literally
        assert "[/]Mallory [bold]" in text
        row = app.screen.query_one(TicketList).current_row
        assert row is not None and row.subject.startswith("[bold red]")

        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, TicketScreen)
        text = assert_inert(app)
        assert "[bold red]PAY NOW[/] [/]" in text  # subject in the head and the body
        assert "Please [bold red]PAY NOW[/] [/]" in text
        assert "[bold]invoice" in text  # the attachment's file name, literally
        assert "ZXZpbA==" not in text  # the OSC 52 payload is stripped whole

        await pilot.press("h")  # history modal renders the hostile subject too
        await settle(app, pilot)
        assert_inert(app)
        await pilot.press("escape", "c")
        await settle(app, pilot)
        text = assert_inert(app)
        assert "Hi [/]Mallory" in text  # canned preview fills the name in, inert
