"""The agent app driven by real keys: views, tickets, canned replies, bulk, search, drafts."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers.app import NOW, make_app, make_config, screen_text, seeded_copy, settle

from deskterm.app import DesktermApp
from deskterm.screens.canned import CannedPickerModal
from deskterm.screens.help import HelpModal
from deskterm.screens.modals import ChoiceModal
from deskterm.screens.queue import QueueScreen
from deskterm.screens.ticket import TicketScreen
from deskterm.store.queries.tickets import get_ticket
from deskterm.store.schema.db import open_store
from deskterm.store.service import Actor, Service
from deskterm.widgets.composer import Composer
from deskterm.widgets.ticket_list import TicketList


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    return seeded_copy(tmp_path)


def ticket_list(app: DesktermApp) -> TicketList:
    return app.screen.query_one(TicketList)


def read(store_path: Path, number: int):
    store = open_store(store_path)
    try:
        return get_ticket(store, number)
    finally:
        store.close()


async def test_canned_reply_status_and_next_ticket(store_path: Path) -> None:
    app = make_app(store_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        assert isinstance(app.screen, QueueScreen)
        await pilot.press("3")  # All open
        await settle(app, pilot)
        rows = [ticket_list(app).row_at(i) for i in range(3)]
        await pilot.press("j", "j", "k")
        await settle(app, pilot)
        assert ticket_list(app).cursor == 1
        await pilot.press("enter")
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, TicketScreen)
        number = screen.number
        assert rows[1] is not None and number == rows[1].number

        await pilot.press("c")
        await settle(app, pilot)
        assert isinstance(app.screen, CannedPickerModal)
        await pilot.press(*"ref")
        await settle(app, pilot)
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, TicketScreen)
        composer = app.screen.query_one(Composer)
        assert composer.display and composer.canned == "Refund approved"
        assert f"ticket #{number}" in composer.text
        await pilot.press("ctrl+s")
        await settle(app, pilot)

        detail = read(store_path, number)
        last = detail.messages[-1]
        assert last.kind == "reply" and f"refund for ticket #{number}" in last.body_text
        assert detail.ticket.status == "solved"  # the canned reply's actions ran
        assert "refund" in detail.ticket.tags
        assert not composer.display

        await pilot.press("s")
        await settle(app, pilot)
        assert isinstance(app.screen, ChoiceModal)
        await pilot.press("k", "k", "enter")  # solved -> on hold -> pending
        await settle(app, pilot)
        assert read(store_path, number).ticket.status == "pending"

        await pilot.press("right_square_bracket")
        await settle(app, pilot)
        assert isinstance(app.screen, TicketScreen)
        assert app.screen.number != number
        assert app.screen.number == rows[2].number
        assert f"#{rows[2].number}" in screen_text(app)


async def test_bulk_mark_and_assign(store_path: Path) -> None:
    app = make_app(store_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        await pilot.press("2")  # Unassigned
        await settle(app, pilot)
        first, second = ticket_list(app).row_at(0), ticket_list(app).row_at(1)
        assert first is not None and second is not None
        await pilot.press("x", "x")
        assert set(ticket_list(app).marked) == {first.number, second.number}
        await pilot.press("a")
        await settle(app, pilot)
        assert isinstance(app.screen, ChoiceModal)
        await pilot.press("j", "enter")  # Unassigned, Bo Berg, ...
        await settle(app, pilot)
        for number in (first.number, second.number):
            assert read(store_path, number).ticket.assignee == "Bo Berg"
        assert not ticket_list(app).marked
        numbers = {r.number for i in range(5) if (r := ticket_list(app).row_at(i))}
        assert first.number not in numbers  # they left the Unassigned view


async def test_search_narrows_and_bad_query_is_one_line(store_path: Path) -> None:
    app = make_app(store_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        await pilot.press("3", "slash")
        await settle(app, pilot)
        await pilot.press(*"tag:billing", "enter")
        await settle(app, pilot)
        listed = ticket_list(app)
        rows = [r for i in range(listed.row_count) if (r := listed.row_at(i))]
        assert rows and all("billing" in r.tags for r in rows)
        assert all(r.status in ("new", "open") for r in rows)
        assert "tag:billing" in screen_text(app)

        await pilot.press("slash")
        await settle(app, pilot)
        await pilot.press("ctrl+a", "ctrl+k", *"status:bogus", "enter")
        await settle(app, pilot)
        errors = [n for n in app._notifications if n.severity == "error"]
        assert errors and "bad query" in errors[-1].message
        assert "\n" not in errors[-1].message
        assert listed.row_count == len(rows)  # the old search still holds

        await pilot.press("escape")
        await settle(app, pilot)
        assert listed.row_count > len(rows)


async def test_remapped_key(store_path: Path) -> None:
    app = make_app(store_path, make_config(keys={"open": "o", "down": "n"}))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        await pilot.press("n")
        assert ticket_list(app).cursor == 1
        await pilot.press("enter")  # no longer bound
        await settle(app, pilot)
        assert isinstance(app.screen, QueueScreen)
        await pilot.press("o")
        await settle(app, pilot)
        assert isinstance(app.screen, TicketScreen)


async def test_draft_survives_leaving_and_restart(store_path: Path) -> None:
    app = make_app(store_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        await pilot.press("enter")
        await settle(app, pilot)
        number = app.screen.number  # type: ignore[attr-defined]  # a TicketScreen is on top here
        await pilot.press("r", *"draft 1")
        await pilot.press("escape")  # close the composer
        await pilot.press("escape")  # back to the queue
        await settle(app, pilot)
        assert isinstance(app.screen, QueueScreen)
        await pilot.press("enter")
        await settle(app, pilot)
        composer = app.screen.query_one(Composer)
        assert composer.display and composer.text == "draft 1"
    assert store_path.with_name(store_path.name + ".drafts.json").exists()

    again = make_app(store_path)
    async with again.run_test(size=(100, 30)) as pilot:
        await settle(again, pilot)
        await pilot.press("enter")
        await settle(again, pilot)
        assert again.screen.number == number  # type: ignore[attr-defined]  # a TicketScreen is on top here
        composer = again.screen.query_one(Composer)
        assert composer.display and composer.text == "draft 1"
        await pilot.press("ctrl+g")  # discard
        await settle(again, pilot)
        assert again.drafts.get(number) is None


async def test_help_lists_bindings(store_path: Path) -> None:
    app = make_app(store_path)
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(app, pilot)
        await pilot.press("question_mark")
        await settle(app, pilot)
        assert isinstance(app.screen, HelpModal)
        text = screen_text(app)
        for expected in ("Search / narrow this view", "Mark for a bulk action", "search", "mark"):
            assert expected in text
        await pilot.press("escape", "enter")
        await settle(app, pilot)
        await pilot.press("question_mark")
        await settle(app, pilot)
        text = screen_text(app)
        assert "Internal note" in text and "Next ticket" in text


def row_is_bold(app: DesktermApp, number: int) -> bool:
    """Whether the queue line of ticket `number` is drawn bold on the screen."""
    for strip in app.screen._compositor.render_strips():
        text = "".join(segment.text for segment in strip)
        if f" {number} " in text[:12]:
            return any(s.style is not None and s.style.bold for s in strip if str(number) in s.text)
    raise AssertionError(f"#{number} is not on screen")


async def test_opening_a_ticket_marks_it_read(store_path: Path) -> None:
    store = open_store(store_path)
    mail = Service(store, Actor.system(), clock=lambda: NOW)
    for number in (30, 27):
        mail.add_customer_message(number, "any news?")
    store.close()  # mail came in: #30 and #27 changed since Me Agent last looked
    app = make_app(store_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        await pilot.press("3")  # All open
        await settle(app, pilot)
        listed = ticket_list(app)
        rows = [listed.row_at(i) for i in range(10)]
        index = next(i for i, r in enumerate(rows) if r is not None and r.unread)
        row = rows[index]
        assert row is not None and row_is_bold(app, row.number)
        assert not row_is_bold(app, next(r for r in rows if r and r.unread is False).number)
        await pilot.press(*["j"] * index, "enter")
        await settle(app, pilot)
        assert app.screen.number == row.number  # type: ignore[attr-defined]  # a TicketScreen is on top here
        await pilot.press("escape")
        await settle(app, pilot)
        after = listed.row_at(index)
        assert after is not None and after.number == row.number and after.unread is False
        assert not row_is_bold(app, row.number)
        await pilot.press("slash", *"is:unread", "enter")
        await settle(app, pilot)
        shown = [listed.row_at(i) for i in range(listed.row_count)]
        assert [r.number for r in shown if r is not None] == [27]


async def test_editor_needs_a_terminal_and_keeps_the_draft(store_path: Path) -> None:
    app = make_app(store_path)
    async with app.run_test(size=(100, 30)) as pilot:  # headless: nothing to hand over
        await settle(app, pilot)
        await pilot.press("enter", "r", *"kept")
        await pilot.press("escape", "e")
        await settle(app, pilot)
        notes = [n.message for n in app._notifications]
        assert "this terminal cannot hand over to $EDITOR" in notes
        assert app.screen.query_one(Composer).text == "kept"
