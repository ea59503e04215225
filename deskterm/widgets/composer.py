"""The inline editor for a reply or an internal note; the screen sends it."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Static, TextArea

from deskterm.widgets.fmt import plain


class Composer(Vertical):
    """A title line and a TextArea; posts `Changed` so the screen can keep the draft."""

    DEFAULT_CSS = """
    Composer { height: auto; }
    Composer TextArea { height: 8; }
    """

    class Changed(Message):
        """The text changed (the screen stores it as the draft)."""

        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.kind = "reply"
        self.canned: str | None = None
        self._recipient = ""

    def compose(self) -> ComposeResult:
        yield Static(id="composer-title")
        yield TextArea(id="composer-text", soft_wrap=True, show_line_numbers=False)

    @property
    def text_area(self) -> TextArea:
        return self.query_one("#composer-text", TextArea)

    @property
    def text(self) -> str:
        return self.text_area.text

    def open(self, kind: str, text: str, canned: str | None, recipient: str) -> None:
        """Show the composer for `kind` (reply | note) holding `text`."""
        self.kind, self.canned, self._recipient = kind, canned, recipient
        self.set_class(kind == "note", "-note")
        if self.text_area.text != text:
            self.text_area.load_text(text)
            self.text_area.move_cursor(self.text_area.document.end)
        self._title()
        self.display = True
        self.text_area.focus()

    def set_kind(self, kind: str) -> None:
        self.kind = kind
        self.set_class(kind == "note", "-note")
        self._title()

    def insert_canned(self, name: str, body: str) -> None:
        """Put a canned reply's rendered text at the cursor; its actions run on send."""
        self.canned = name
        self.text_area.insert(body)
        self._title()

    def _title(self) -> None:
        title = Text("Internal note" if self.kind == "note" else "Reply to ", end="")
        if self.kind != "note":
            title.append_text(plain(self._recipient))
        if self.canned:
            title.append("  · canned: ")
            title.append_text(plain(self.canned))
            title.append(" (its actions run on send)")
        self.query_one("#composer-title", Static).update(title)

    def on_text_area_changed(self, event: TextArea.Changed) -> None:
        event.stop()
        self.post_message(self.Changed(self.text_area.text))
