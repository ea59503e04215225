"""`c`: pick a canned reply by fuzzy search, with a live preview for this ticket."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from rapidfuzz import fuzz
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from deskterm.store.queries.catalog import list_canned
from deskterm.store.queries.records import CannedRecord
from deskterm.store.queries.suggest import Suggestions, suggest
from deskterm.store.schema.db import Store
from deskterm.widgets.fmt import body, plain

if TYPE_CHECKING:
    from deskterm.store.service import Service

SCORE_CUTOFF = 60
DRAFT_NOTE = (
    "No canned reply fits: the reply that solved the most similar ticket,"
    " its customer's name and numbers left out (…). Edit before sending."
)


@dataclass(frozen=True, slots=True)
class CannedChoice:
    """What the picker hands back: the rendered text and the actions run on send.

    A suggested draft has no `name` (it is no canned reply) and no actions.
    """

    name: str
    body: str
    actions: dict[str, Any]
    label: str = ""


def rank(
    records: list[CannedRecord], text: str, suggested: dict[str, float] | None = None
) -> list[CannedRecord]:
    """Records matching `text` best first: names weigh more than bodies. With nothing
    typed, the `suggested` ones (name -> confidence) come first, surest first."""
    query = text.strip().lower()
    if not query:
        fit = suggested or {}
        return sorted(records, key=lambda r: -fit.get(r.name, -1.0))
    scored = []
    for record in records:
        name_score = fuzz.partial_ratio(query, record.name.lower()) + 5
        body_score = fuzz.partial_ratio(query, record.body.lower()) if len(query) > 2 else 0
        score = max(name_score, body_score)
        if score >= SCORE_CUTOFF:
            scored.append((-score, record.name, record))
    return [record for *_, record in sorted(scored, key=lambda s: (s[0], s[1]))]


def describe_actions(actions: dict[str, Any]) -> str:
    parts = []
    if actions.get("status"):
        parts.append(f"status → {actions['status']}")
    if actions.get("priority"):
        parts.append(f"priority → {actions['priority']}")
    if actions.get("add_tags"):
        parts.append("tags + " + ", ".join(map(str, actions["add_tags"])))
    if actions.get("assign"):
        parts.append(f"assign → {actions['assign']}")
    return "On send: " + "; ".join(parts) if parts else "No actions"


class CannedPickerModal(ModalScreen[CannedChoice | None]):
    """Type to filter, up/down to move, enter to insert; escape cancels."""

    CSS_PATH = "modals.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss", "Cancel"),
        Binding("down,ctrl+j", "move(1)", "Down", show=False),
        Binding("up,ctrl+k", "move(-1)", "Up", show=False),
    ]

    class Loaded(Message):
        def __init__(self, records: list[CannedRecord], suggestions: Suggestions) -> None:
            super().__init__()
            self.records = records
            self.suggestions = suggestions

    class Previewed(Message):
        def __init__(self, name: str, body: str, actions: dict[str, Any]) -> None:
            super().__init__()
            self.name = name
            self.body = body
            self.actions = actions

    def __init__(self, store: Store, number: int, service: Callable[[], Service]) -> None:
        super().__init__()
        self.store = store
        self.number = number
        self.make_service = service
        self.records: list[CannedRecord] = []
        self.shown: list[CannedRecord] = []
        self.suggested: dict[str, float] = {}
        """Canned replies that fit this ticket, by name: their confidence."""
        self.draft: CannedChoice | None = None
        """The reply that solved the most similar ticket, when no canned reply fits."""
        self.draft_shown = False
        """The draft is the list's first option (nothing typed)."""
        self.previews: dict[str, CannedChoice] = {}
        self.choosing: str | None = None

    def compose(self) -> ComposeResult:
        with Vertical(classes="modal-box", id="canned-box") as box:
            box.border_title = "Canned replies"
            yield Input(placeholder="type to search names and texts", id="canned-filter")
            with Horizontal():
                yield OptionList(id="canned-list")
                with VerticalScroll(id="canned-preview"):
                    yield Static(id="canned-actions")
                    yield Static(id="canned-text")

    def on_mount(self) -> None:
        self.query_one("#canned-list", OptionList).can_focus = False
        self.query_one("#canned-filter", Input).focus()
        self._load()

    @work(thread=True, exit_on_error=False, group="canned-list")
    def _load(self) -> None:
        records = list_canned(self.store)
        self.post_message(self.Loaded(records, suggest(self.store, self.number)))

    def on_canned_picker_modal_loaded(self, event: Loaded) -> None:
        self.records = event.records
        self.suggested = {c.name: c.confidence for c in event.suggestions.canned}
        draft = event.suggestions.draft
        if draft is not None:
            self.draft = CannedChoice("", draft.body, {}, f"draft from #{draft.number}")
        self._filter(self.query_one("#canned-filter", Input).value)

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self._filter(event.value)

    def _filter(self, text: str) -> None:
        self.shown = rank(self.records, text, self.suggested)
        self.draft_shown = self.draft is not None and not text.strip()
        options = self.query_one("#canned-list", OptionList)
        options.clear_options()
        if self.draft is not None and self.draft_shown:
            options.add_option(Option(self._label(self.draft.label, "suggested draft")))
        options.add_options(Option(self._label(r.name, self._fit(r.name))) for r in self.shown)
        if self.shown or self.draft_shown:
            options.highlighted = 0
        else:
            self.query_one("#canned-text", Static).update(Text("no canned reply matches"))
            self.query_one("#canned-actions", Static).update("")

    def _fit(self, name: str) -> str:
        confidence = self.suggested.get(name)
        return "" if confidence is None else f"suggested {confidence:.0%}"

    def _label(self, name: str, mark: str) -> Text:
        label = plain(name)
        if mark:
            label.append(f"  ★ {mark}", "italic")
        return label

    @property
    def on_draft(self) -> bool:
        return self.draft_shown and self.query_one("#canned-list", OptionList).highlighted == 0

    @property
    def highlighted(self) -> CannedRecord | None:
        index = self.query_one("#canned-list", OptionList).highlighted
        if index is not None and self.draft_shown:
            index -= 1
        if index is None or not 0 <= index < len(self.shown):
            return None
        return self.shown[index]

    def action_move(self, delta: int) -> None:
        options = self.query_one("#canned-list", OptionList)
        options.action_cursor_down() if delta > 0 else options.action_cursor_up()

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        event.stop()
        if self.on_draft and self.draft is not None:
            self._show(self.draft)
            return
        record = self.highlighted
        if record is None:
            return
        if record.name in self.previews:
            self._show(self.previews[record.name])
        else:
            self.query_one("#canned-text", Static).update(Text("rendering…"))
            self._render_preview(record.name)

    @work(thread=True, exit_on_error=False, exclusive=True, group="canned-preview")
    def _render_preview(self, name: str) -> None:
        text, actions = self.make_service().render_canned(self.number, name)
        self.post_message(self.Previewed(name, text, actions))

    def on_canned_picker_modal_previewed(self, event: Previewed) -> None:
        choice = CannedChoice(event.name, event.body, event.actions)
        self.previews[event.name] = choice
        if self.choosing == event.name:
            self.dismiss(choice)
            return
        current = self.highlighted
        if current is not None and current.name == event.name:
            self._show(choice)

    def _show(self, choice: CannedChoice) -> None:
        what = describe_actions(choice.actions) if choice.name else DRAFT_NOTE
        self.query_one("#canned-actions", Static).update(Text(what))
        self.query_one("#canned-text", Static).update(body(choice.body))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if self.on_draft:
            self.dismiss(self.draft)
            return
        record = self.highlighted
        if record is None:
            return
        if record.name in self.previews:
            self.dismiss(self.previews[record.name])
        else:
            self.choosing = record.name
            self._render_preview(record.name)
