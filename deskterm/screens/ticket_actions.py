"""What the ticket screen does besides the thread and the composer: field dialogs,
merge, history and attachments. `TicketScreen` builds on it."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.text import Text
from textual import work
from textual.message import Message
from textual.screen import Screen

from deskterm import safetext
from deskterm.attachment_files import downloads_folder, save_attachment
from deskterm.errors import DesktermError
from deskterm.screens.field_dialogs import (
    assign_dialog,
    field_change,
    priority_dialog,
    status_dialog,
    tags_dialog,
)
from deskterm.screens.host import DeskHost
from deskterm.screens.modals import ChoiceModal, TextModal, TextViewModal
from deskterm.store.queries.catalog import list_agents
from deskterm.store.queries.records import AgentRecord, AttachmentRecord, EventRecord, TicketDetail
from deskterm.store.queries.tickets import list_events
from deskterm.widgets.fmt import plain, stamp


class TicketActions(Screen[None]):
    """The ticket screen's actions on fields, history and files (messages keep its names)."""

    desk: DeskHost
    number: int
    detail: TicketDetail | None

    class Written(Message, namespace="ticket_screen"):
        """A change to this ticket finished; `note` is said to the agent."""

        def __init__(self, numbers: list[int], note: str, sent: bool = False) -> None:
            super().__init__()
            self.numbers = numbers
            self.note = note
            self.sent = sent

    class EventsLoaded(Message, namespace="ticket_screen"):
        def __init__(self, number: int, events: list[EventRecord]) -> None:
            super().__init__()
            self.number = number
            self.events = events

    class AgentsLoaded(Message, namespace="ticket_screen"):
        def __init__(self, agents: list[AgentRecord], then: str) -> None:
            super().__init__()
            self.agents = agents
            self.then = then

    # -- fields ------------------------------------------------------------------------

    def _update(self, what: str, value: str | None) -> None:
        kwargs = field_change(what, value)
        if kwargs is not None:
            self._write_fields(self.number, what, kwargs)

    @work(thread=True, exit_on_error=False, group="write")
    def _write_fields(self, number: int, what: str, kwargs: dict[str, Any]) -> None:
        changed = self.desk.service().update_tickets([number], **kwargs)
        note = f"#{number}: {what} changed" if changed else f"#{number}: {what} unchanged"
        self.post_message(self.Written([number], note))

    def action_status(self) -> None:
        current = self.detail.ticket.status if self.detail else None
        self.app.push_screen(
            status_dialog(f"Status of #{self.number}", current),
            lambda v: self._update("status", v),
        )

    def action_priority(self) -> None:
        current = self.detail.ticket.priority if self.detail else None
        self.app.push_screen(
            priority_dialog(f"Priority of #{self.number}", current),
            lambda v: self._update("priority", v),
        )

    def action_assign(self) -> None:
        self._load_agents("assign")

    @work(thread=True, exit_on_error=False, group="agents")
    def _load_agents(self, then: str) -> None:
        self.post_message(self.AgentsLoaded(list_agents(self.desk.open_store_or_fail()), then))

    def on_ticket_screen_agents_loaded(self, event: AgentsLoaded) -> None:
        self.app.push_screen(
            assign_dialog(f"Assign #{self.number}", event.agents),
            lambda v: self._update("assignee", v),
        )

    def action_tags(self) -> None:
        tags = self.detail.ticket.tags if self.detail else ()
        self.app.push_screen(
            tags_dialog(
                f"Tags of #{self.number}: {' '.join(tags) or 'none'}", [f"-{t}" for t in tags]
            ),
            lambda v: self._update("tags", v),
        )

    def action_merge(self) -> None:
        self.app.push_screen(
            TextModal(
                f"Merge #{self.number} into ticket number",
                placeholder="e.g. 1042",
                hint="This ticket closes; its messages move to the other one.",
            ),
            self._merge_into,
        )

    def _merge_into(self, value: str | None) -> None:
        if value is None or not value.strip():
            return
        text = value.strip().lstrip("#")
        if not text.isdecimal():
            self.desk.notify_error(f"not a ticket number: {value!r}")
            return
        self._merge(self.number, int(text))

    @work(thread=True, exit_on_error=False, group="write")
    def _merge(self, source: int, target: int) -> None:
        self.desk.service().merge(source, target)
        self.post_message(self.Written([source, target], f"#{source} merged into #{target}"))

    # -- history and attachments -------------------------------------------------------

    def action_history(self) -> None:
        self._events(self.number)

    @work(thread=True, exit_on_error=False, group="events")
    def _events(self, number: int) -> None:
        self.post_message(
            self.EventsLoaded(number, list_events(self.desk.open_store_or_fail(), number))
        )

    def on_ticket_screen_events_loaded(self, event: EventsLoaded) -> None:
        out = Text(end="")
        for record in event.events:
            out.append(f"{stamp(record.created_at)}  ")
            line = plain(f"{record.actor}: {record.kind.replace('_', ' ')}")
            if record.old or record.new:
                line.append_text(plain(f"  {record.old or '—'} → {record.new or '—'}"))
            out.append_text(line)
            out.append("\n")
        self.app.push_screen(TextViewModal(f"History of #{event.number}", out))

    def _attachments(self) -> list[AttachmentRecord]:
        if self.detail is None:
            return []
        return [a for m in self.detail.messages for a in m.attachments]

    def action_open_attachment(self) -> None:
        self._pick_attachment("Open attachment", self._open_file, everything=False)

    def action_save_attachment(self) -> None:
        self._pick_attachment("Save to downloads", self._save_files, everything=True)

    def _pick_attachment(
        self, title: str, then: Callable[[list[int]], object], *, everything: bool
    ) -> None:
        """The one attachment, or the agent's pick of several (or all of them)."""
        attachments = self._attachments()
        if not attachments:
            self.notify("this ticket has no attachments")
            return
        if len(attachments) == 1:
            then([attachments[0].id])
            return
        choices = [(str(a.id), safetext.line(a.filename)) for a in attachments]
        if everything:
            choices.insert(0, ("all", f"all {len(attachments)} attachments"))

        def chosen(value: str | None) -> None:
            if value:
                then([a.id for a in attachments] if value == "all" else [int(value)])

        self.app.push_screen(ChoiceModal(title, choices), chosen)

    @work(thread=True, exit_on_error=False, group="attachment")
    def _open_file(self, ids: list[int]) -> None:
        folder = Path(tempfile.mkdtemp(prefix="deskterm-"))
        path = save_attachment(self.desk.open_store_or_fail(), ids[0], folder)
        opener = shutil.which("xdg-open") or shutil.which("open")
        if opener is None:
            raise DesktermError(f"no system opener (xdg-open) found; the file is at {path}")
        subprocess.Popen(
            [opener, str(path)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        self.post_message(self.Written([], f"opened {path.name}"))

    @work(thread=True, exit_on_error=False, group="attachment")
    def _save_files(self, ids: list[int]) -> None:
        folder = downloads_folder(self.desk.config.ui.downloads)
        store = self.desk.open_store_or_fail()
        paths = [save_attachment(store, attachment_id, folder) for attachment_id in ids]
        what = paths[0].name if len(paths) == 1 else f"{len(paths)} files"
        self.post_message(self.Written([], f"saved {what} in {folder}"))
