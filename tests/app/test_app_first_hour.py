"""What a new agent sees: marks counted with their keys, missing views, composer keys."""

from __future__ import annotations

from pathlib import Path

from helpers.app import make_app, screen_text, seeded_copy, settle

from deskterm.screens.queue import QueueScreen
from deskterm.widgets.ticket_list import TicketList


def toasts(app) -> list[str]:
    return [str(n.message) for n in app._notifications]


async def test_marks_are_counted_and_missing_views_said(tmp_path: Path) -> None:
    app = make_app(seeded_copy(tmp_path))
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, QueueScreen)
        await pilot.press("3", "x", "x")
        await settle(app, pilot)
        text = screen_text(app)
        assert "2 marked · s Status  p Priority  a Assign  t Tags act on them" in text
        await pilot.press("k", "x")
        await settle(app, pilot)
        assert "1 marked ·" in screen_text(app)
        await pilot.press("escape")
        await settle(app, pilot)
        assert "marked ·" not in screen_text(app)

        await pilot.press("9")
        await settle(app, pilot)
        assert any(t.startswith("no view 9: there are ") for t in toasts(app)), toasts(app)


async def test_composer_footer_shows_every_composer_key(tmp_path: Path) -> None:
    app = make_app(seeded_copy(tmp_path))
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(app, pilot)
        await pilot.press("3", "enter")
        await settle(app, pilot)
        await pilot.press("r")
        await settle(app, pilot)
        footer = screen_text(app).splitlines()[-1]
        for label in ("^s Send", "^o $EDITOR", "^t Canned", "esc Close", "^g Discard"):
            assert label in footer, footer


def number_at(listed: TicketList, index: int) -> int:
    row = listed.row_at(index)
    assert row is not None, index
    return row.number


async def _reply_from_row(app, pilot, index: int, keys: tuple[str, ...]) -> int:
    """Open the ticket at row `index` of All open, reply with `keys`, go back to the queue."""
    await pilot.press("3", *["j"] * index, "enter")
    await settle(app, pilot)
    number = app.screen.number
    await pilot.press(*keys)
    await settle(app, pilot)
    await pilot.press("escape")
    await settle(app, pilot)
    assert isinstance(app.screen, QueueScreen)
    return number


async def test_cursor_follows_the_ticket_a_reply_moves(tmp_path: Path) -> None:
    """A reply is new activity: the ticket moves to the top of All open, the cursor with it."""
    app = make_app(seeded_copy(tmp_path))
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(app, pilot)
        number = await _reply_from_row(app, pilot, 2, ("r", *"Thanks", "ctrl+s"))
        listed = app.screen.query_one(TicketList)
        assert number_at(listed, 0) == number  # it moved
        assert number_at(listed, listed.cursor) == number, listed.cursor


async def test_cursor_goes_to_the_next_ticket_when_a_reply_takes_it_out(tmp_path: Path) -> None:
    """A canned reply that solves the ticket takes it out of All open: the cursor stays on
    the ticket that followed it, not on the first row."""
    app = make_app(seeded_copy(tmp_path))
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(app, pilot)
        await pilot.press("3")
        await settle(app, pilot)
        listed = app.screen.query_one(TicketList)
        after = number_at(listed, 3)
        number = await _reply_from_row(app, pilot, 2, ("c", *"ref", "enter", "ctrl+s"))
        assert listed.index_of(number) is None  # solved: out of the view
        assert number_at(listed, listed.cursor) == after
        assert listed.cursor == 2
