"""With no [[mailbox]], a reply to an email ticket says it was not mailed: toast, thread, undo."""

from __future__ import annotations

from pathlib import Path

from helpers.app import make_app, screen_text, seeded_copy, settle

from deskterm.screens.ticket import TicketScreen

NOT_MAILED = "saved, not mailed: no [[mailbox]] can send for this ticket — see `deskterm init`"


def toasts(app) -> list[str]:
    return [str(n.message) for n in app._notifications]


async def test_reply_without_a_mailbox_is_marked_not_mailed(tmp_path: Path) -> None:
    app = make_app(seeded_copy(tmp_path))  # no [[mailbox]] in this config
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(app, pilot)
        await pilot.press("3", "enter")
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, TicketScreen)
        await pilot.press("r")
        await settle(app, pilot)
        await pilot.press(*"Refund sent", "ctrl+s")
        await settle(app, pilot)
        assert f"#{screen.number}: {NOT_MAILED}" in toasts(app)
        assert f"✉ {NOT_MAILED}" in screen_text(app)

        await pilot.press("ctrl+z")
        await settle(app, pilot)
        assert f"nothing to undo: the last reply was {NOT_MAILED}" in toasts(app)
