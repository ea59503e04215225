"""A reply chain fetched newest first reads, in the app, in the order it was written."""

from __future__ import annotations

from pathlib import Path

from helpers.app import ME, NOW, make_app, screen_text, settle
from helpers.mails import reply_chain

from deskterm.screens.ticket import TicketScreen
from deskterm.store.schema.db import open_store
from deskterm.store.service import Actor, Service
from deskterm.store.service.ingest import MailIngest, parse_incoming


def chain_store(path: Path) -> Path:
    store = open_store(path, create=True)
    Service(store, Actor.system(), clock=lambda: NOW).ensure_agent("Me Agent", ME, role="admin")
    ingest = MailIngest(store, clock=lambda: NOW)
    ingest.ingest([parse_incoming(raw, "file") for raw in reversed(reply_chain())])
    store.close()
    return path


async def test_out_of_order_chain_shows_written_order_and_dates(tmp_path: Path) -> None:
    app = make_app(chain_store(tmp_path / "chain.db"))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await pilot.press("3", "enter")  # All open, the only ticket
        await settle(app, pilot)
        assert isinstance(app.screen, TicketScreen)
        text = screen_text(app)
        order = [text.index(f"Mail chain{n}@customer.test.") for n in range(3)]
        assert order == sorted(order)
        for day in (2, 3, 4):
            assert f"1997-03-0{day}" in text
        assert text.count("(received 2026-03-02") == 3
