"""`L`: log a phone call or a walk-in as a ticket (channel phone): the caller, what they
needed, and how long it took, logged as time on the ticket."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static, TextArea

from deskterm.errors import DesktermError, UsageError
from deskterm.mail.addresses import is_valid
from deskterm.time_spent import parse_time_spent
from deskterm.vocab import Channel

if TYPE_CHECKING:
    from deskterm.screens.host import DeskHost


@dataclass(frozen=True)
class Call:
    email: str
    name: str
    subject: str
    notes: str
    seconds: int


def read_call(email: str, name: str, subject: str, notes: str, duration: str) -> Call:
    """The form's fields checked, or a one-line UsageError saying which one is wrong."""
    email = email.strip()
    if not is_valid(email):
        raise UsageError("the caller's email address is needed (it is where answers go)")
    if not notes.strip():
        raise UsageError("write down what the caller needed")
    seconds = parse_time_spent(duration) if duration.strip() else 0
    subject = subject.strip() or notes.strip().splitlines()[0][:80]
    return Call(email, name.strip(), subject, notes.strip() + "\n", seconds)


class CallModal(ModalScreen[int | None]):
    """The call's fields; ctrl+s opens the ticket (its number comes back), escape cancels."""

    CSS_PATH = "modals.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss", "Cancel"),
        Binding("ctrl+s", "save", "Log the call", priority=True),
    ]

    class Saved(Message):
        def __init__(self, number: int) -> None:
            super().__init__()
            self.number = number

    class Failed(Message):
        def __init__(self, error: str) -> None:
            super().__init__()
            self.error = error

    def __init__(self, desk: DeskHost) -> None:
        super().__init__()
        self.desk = desk

    def compose(self) -> ComposeResult:
        with Vertical(classes="modal-box", id="call-box") as box:
            box.border_title = "Log a call or a walk-in"
            yield Label("Caller's email")
            yield Input(id="call-email")
            yield Label("Name")
            yield Input(id="call-name")
            yield Label("Subject (default: the notes' first line)")
            yield Input(id="call-subject")
            yield Label("How long (15m, 1h30m)")
            yield Input(id="call-duration")
            yield Label("Notes")
            yield TextArea(id="call-notes")
            yield Static(
                Text("ctrl+s logs it · escape cancels"), id="call-status", classes="modal-hint"
            )

    def on_mount(self) -> None:
        self.query_one("#call-email", Input).focus()

    def _value(self, name: str) -> str:
        return self.query_one(f"#call-{name}", Input).value

    def action_save(self) -> None:
        notes = self.query_one("#call-notes", TextArea).text
        try:
            call = read_call(
                self._value("email"), self._value("name"), self._value("subject"), notes,
                self._value("duration"),
            )  # fmt: skip
        except UsageError as exc:
            self._say(str(exc))
            return
        self._say("saving…")
        self._write(call)

    def _say(self, text: str) -> None:
        self.query_one("#call-status", Static).update(Text(text))

    @work(thread=True, exit_on_error=False, group="write")
    def _write(self, call: Call) -> None:
        try:
            service = self.desk.service()
            created = service.create_ticket(
                call.subject, call.notes, call.email, call.name, channel=Channel.PHONE
            )
            if call.seconds:
                service.log_time(created.number, call.seconds, note="call with the customer")
        except DesktermError as exc:
            self.post_message(self.Failed(str(exc)))
            return
        self.post_message(self.Saved(created.number))

    def on_call_modal_saved(self, event: Saved) -> None:
        self.desk.store_changed([event.number])
        self.dismiss(event.number)

    def on_call_modal_failed(self, event: Failed) -> None:
        self._say(event.error)
