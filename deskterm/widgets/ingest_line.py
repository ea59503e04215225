"""One line above the footer: how mail is doing (last fetch, lag, errors, quarantine, outbox)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from deskterm.sla.policy import format_left
from deskterm.widgets.fmt import plain

if TYPE_CHECKING:
    from deskterm.store.queries.mail import IngestStatus

STALE_AFTER = timedelta(minutes=15)  # no fetch for this long reads as a warning
_OUTGOING = {
    "waiting": "{} to send",
    "retrying": "{} retrying (deskterm outbox ls)",
    "failed": "{} failed to send (deskterm outbox ls)",
}


class IngestLine(Widget):
    """`mail: fetched 2m ago · 3 quarantined · 2 to send · a@x/INBOX: login failed`.

    Hidden while there is nothing to say (no mailbox fetched, nothing quarantined or queued).
    """

    COMPONENT_CLASSES = {  # noqa: RUF012 - Textual reads this class attribute
        "ingest-line--error",
        "ingest-line--warning",
    }
    DEFAULT_CSS = """
    IngestLine { height: 1; }
    """

    status: reactive[IngestStatus | None] = reactive(None)
    """The last status read from the store (None: not read yet)."""
    now: reactive[datetime | None] = reactive(None)
    """The app's clock; the lag is counted from the last fetch to this."""

    def watch_status(self) -> None:
        status = self.status
        self.display = status is not None and bool(
            status.mailboxes or status.quarantined or status.outgoing
        )

    def render(self) -> Text:
        status = self.status
        out = Text(no_wrap=True, overflow="ellipsis", end="")
        if status is None:
            return out
        warning = self.get_component_rich_style("ingest-line--warning")
        error = self.get_component_rich_style("ingest-line--error")
        parts: list[Text] = []
        if status.mailboxes and status.last_fetch_at is None:
            parts.append(Text("never fetched", warning))
        elif status.last_fetch_at is not None:
            lag = (self.now - status.last_fetch_at) if self.now else None
            if lag is None:
                parts.append(Text("fetched"))
            else:
                ago = "just now" if lag < timedelta(minutes=1) else f"{format_left(lag)} ago"
                parts.append(Text(f"fetched {ago}", warning if lag > STALE_AFTER else ""))
        if status.quarantined:
            parts.append(Text(f"{status.quarantined} quarantined", warning))
        for state, count in status.outgoing:
            style = error if state == "failed" else warning if state == "retrying" else ""
            parts.append(Text(_OUTGOING[state].format(count), style))
        parts.extend(plain(problem, error) for problem in status.errors[:2])
        if len(status.errors) > 2:
            parts.append(Text(f"+{len(status.errors) - 2} more errors", error))
        out.append("mail: ")
        out.append_text(Text(" · ").join(parts))
        return out
