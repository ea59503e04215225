"""The view bar shows stored views after the built-in ones; "open" never includes pending."""

from __future__ import annotations

from pathlib import Path

from helpers.app import NOW, make_app, seeded_copy, settle

from deskterm.screens.queue import QueueScreen
from deskterm.store.queries.records import TicketRow
from deskterm.store.schema.db import open_store
from deskterm.store.service import Actor, Service
from deskterm.widgets.view_bar import ViewBar


async def test_stored_view_on_its_key_and_my_open_without_pending(tmp_path: Path) -> None:
    path = seeded_copy(tmp_path)
    store = open_store(path)
    Service(store, Actor.system(), clock=lambda: NOW).save_view("Billing", "tag:billing")
    store.close()
    app = make_app(path)
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, QueueScreen)
        names = screen.query_one(ViewBar).names
        assert names[-1] == "Billing"
        mine = shown(screen)
        assert mine and {row.status for row in mine} <= {"new", "open"}
        assert all(row.assignee == "Me Agent" for row in mine)
        await pilot.press(str(len(names)))
        await settle(app, pilot)
        assert screen.view_index == len(names) - 1
        rows = shown(screen)
        assert rows and all("billing" in row.tags for row in rows)


def shown(screen: QueueScreen) -> list[TicketRow]:
    rows = (screen.ticket_list.row_at(i) for i in range(50))
    return [row for row in rows if row is not None]
