"""`i` on a ticket shows solved tickets like it, with why; subjects stay inert text."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from helpers.app import ME, NOW, make_app, screen_text, settle
from helpers.store import solved_history

from deskterm.screens.ticket import TicketScreen
from deskterm.store.schema.db import open_store
from deskterm.store.service import Actor, Service

HOSTILE = "[bold]Headphones[/] refund \x1b[2J\x1b]52;c;cGF3bmVk\x07 broken"


def similar_store(path: Path) -> tuple[Path, int]:
    store = open_store(path, create=True)
    boot = Service(store, Actor.system(), clock=lambda: NOW)
    me = boot.ensure_agent("Me Agent", ME, role="admin")
    agent = Service(store, Actor(me, "Me Agent"), clock=lambda: NOW)
    solved_history(agent)
    old = agent.create_ticket(
        HOSTILE, "My headphones arrived broken.", "ana@acme.example", when=NOW - timedelta(days=9)
    )
    agent.set_status(old.number, "solved")
    agent.create_ticket(
        "Broken headphones", "The headphones are broken, refund please.", "bo@beta.example",
        when=NOW - timedelta(hours=1),
    )  # fmt: skip
    store.close()
    return path, old.number


async def test_i_toggles_the_similar_pane_and_it_follows_the_ticket(tmp_path: Path) -> None:
    path, old = similar_store(tmp_path / "similar.db")
    app = make_app(path)
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(app, pilot)
        await pilot.press("3")  # All open: the new ticket only
        await settle(app, pilot)
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, TicketScreen)
        assert "Similar solved tickets" not in screen_text(app)
        await pilot.press("i")
        await settle(app, pilot)
        text = screen_text(app)
        assert "Similar solved tickets" in text
        assert f"#{old} " in text
        assert "[bold]Headphones[/]" in text and "\x1b" not in text
        assert "shares " in text and "broken" in text
        await pilot.press("i")
        await settle(app, pilot)
        assert "Similar solved tickets" not in screen_text(app)
