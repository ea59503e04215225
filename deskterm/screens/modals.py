"""Small keyboard-only dialogs: pick one of a list, type a value, read a text."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.suggester import SuggestFromList
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from deskterm.widgets.fmt import plain


class ChoiceModal(ModalScreen[str | None]):
    """Pick one value with j/k or arrows and enter, or its first letter; escape cancels."""

    CSS_PATH = "modals.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss", "Cancel"),
        Binding("j", "move(1)", "Down", show=False),
        Binding("k", "move(-1)", "Up", show=False),
    ]

    def __init__(
        self, title: str, choices: Sequence[tuple[str, str]], current: str | None = None
    ) -> None:
        super().__init__()
        self.title_text = title
        self.choices = list(choices)
        self.current = current

    def compose(self) -> ComposeResult:
        options = [Option(plain(label), id=f"v{i}") for i, (_, label) in enumerate(self.choices)]
        with Vertical(classes="modal-box choice-box") as box:
            box.border_title = self.title_text
            yield OptionList(*options, id="choices")

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        values = [value for value, _ in self.choices]
        if self.current in values:
            options.highlighted = values.index(self.current)
        options.focus()

    def action_move(self, delta: int) -> None:
        options = self.query_one(OptionList)
        options.action_cursor_down() if delta > 0 else options.action_cursor_up()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(self.choices[event.option_index][0])


class TextModal(ModalScreen[str | None]):
    """Type one line (tab completes from `suggestions`); enter accepts, escape cancels."""

    CSS_PATH = "modals.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "dismiss", "Cancel")]

    def __init__(
        self,
        title: str,
        *,
        value: str = "",
        placeholder: str = "",
        hint: str = "",
        suggestions: Sequence[str] = (),
        input_id: str = "modal-input",
    ) -> None:
        super().__init__()
        self.title_text = title
        self.value = value
        self.placeholder = placeholder
        self.hint = hint
        self.suggestions = list(suggestions)
        self.input_id = input_id

    def compose(self) -> ComposeResult:
        suggester = (
            SuggestFromList(self.suggestions, case_sensitive=False) if self.suggestions else None
        )
        with Vertical(classes="modal-box text-box") as box:
            box.border_title = self.title_text
            yield Input(
                self.value,
                placeholder=self.placeholder,
                suggester=suggester,
                id=self.input_id,
                select_on_focus=False,
            )
            if self.hint:
                yield Static(Text(self.hint, end=""), classes="modal-hint")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.dismiss(event.value)


class TextViewModal(ModalScreen[None]):
    """Read a prepared text (history of a ticket); escape or q closes."""

    CSS_PATH = "modals.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,h", "dismiss", "Close"),
        Binding("j,down", "scroll(1)", "Down", show=False),
        Binding("k,up", "scroll(-1)", "Up", show=False),
    ]

    def __init__(self, title: str, text: Text) -> None:
        super().__init__()
        self.title_text = title
        self.text = text

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="modal-box view-box", id="view-body") as box:
            box.border_title = self.title_text
            yield Static(self.text)

    def action_scroll(self, delta: int) -> None:
        self.query_one("#view-body", VerticalScroll).scroll_relative(y=delta, animate=False)
