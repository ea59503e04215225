"""What a new agent sees: marks counted with their keys, missing views, composer keys."""

from __future__ import annotations

from pathlib import Path

from helpers.app import make_app, screen_text, seeded_copy, settle

from deskterm.screens.queue import QueueScreen


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
