"""`?`: every key of the current screen, built from the binding table in keys.py."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from deskterm import keys


class HelpModal(ModalScreen[None]):
    """A scrollable table: keys, what they do, and the id `[keys]` in the config remaps."""

    CSS_PATH = "modals.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark", "dismiss", "Close", show=True),
        Binding("j,down", "scroll(1)", "Down", show=False),
        Binding("k,up", "scroll(-1)", "Up", show=False),
    ]

    def __init__(self, scopes: tuple[str, ...], keymap: dict[str, str]) -> None:
        super().__init__()
        self.scopes = scopes
        self.keymap = keymap

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-body", classes="modal-box") as box:
            box.border_title = "Keys"
            yield Static(self._table(), id="help-table")

    def _table(self) -> Text:
        out = Text(end="")
        titles = {keys.APP: "Everywhere", keys.QUEUE: "Queue", keys.TICKET: "Ticket"}
        titles[keys.COMPOSER] = "Composer"
        titles[keys.REPORTS] = "Reports"
        titles[keys.KB] = "Knowledge base"
        current = None
        for scope in self.scopes:
            for spec_id, key_text, description in keys.help_rows((scope,), self.keymap):
                if scope != current:
                    current = scope
                    out.append(f"{titles.get(scope, scope)}\n", "bold")
                out.append(f"  {key_text:<16.16} ", "bold")
                out.append(f"{description:<34.34} ")
                out.append(f"{spec_id}\n", "dim")
        return out

    def action_scroll(self, delta: int) -> None:
        self.query_one("#help-body", VerticalScroll).scroll_relative(y=delta, animate=False)
