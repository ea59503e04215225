"""The key footer is rebuilt when its keys change, and only then."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from helpers.app import make_app, screen_text, search_for, seeded_copy, settle, wait_until
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Static
from textual.widgets._footer import FooterKey

from deskterm.widgets.key_footer import KeyFooter


async def test_closing_the_search_box_keeps_the_queue_footer(tmp_path: Path) -> None:
    """Textual's footer rebuilt its twenty keys on every return to the screen; the
    search results waited behind that on the UI thread."""
    app = make_app(seeded_copy(tmp_path))
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(app, pilot)
        queue = app.screen
        before = list(queue.query(FooterKey))
        assert before and "Search" in screen_text(app)
        for text in ("refund", "", "tag:billing"):
            await search_for(app, pilot, text)
            assert app.screen is queue
            assert list(queue.query(FooterKey)) == before  # the same widgets, not rebuilt
            assert "Search" in screen_text(app)


class Noop(Static, can_focus=True):
    def action_noop(self) -> None:
        """The key is only shown, never pressed."""


class ArchivePane(Noop):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("a", "noop", "Archive")]


class ReplyPane(Noop):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("r", "noop", "Reply")]


class TwoPanes(App[None]):
    def compose(self) -> ComposeResult:
        yield ArchivePane("left", id="left")
        yield ReplyPane("right", id="right")
        yield KeyFooter()


async def test_the_footer_follows_keys_that_change() -> None:
    app = TwoPanes()
    async with app.run_test(size=(80, 10)) as pilot:

        def shown() -> str:
            return screen_text(app)  # type: ignore[arg-type]  # any App renders the same way

        app.query_one("#left").focus()
        await wait_until(pilot, lambda: "Archive" in shown())
        assert "Reply" not in shown()
        app.query_one("#right").focus()
        await wait_until(pilot, lambda: "Reply" in shown())
        assert "Archive" not in shown()
