"""One line above the footer: how mail intake is doing (last fetch, lag, errors, quarantine)."""

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


class IngestLine(Widget):
    """`mail: fetched 2m ago · 3 quarantined · a@x/INBOX: login failed` (hidden: no mail set up)."""

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
        self.display = status is not None and bool(status.mailboxes or status.quarantined)

    def render(self) -> Text:
        status = self.status
        out = Text(no_wrap=True, overflow="ellipsis", end="")
        if status is None:
            return out
        warning = self.get_component_rich_style("ingest-line--warning")
        error = self.get_component_rich_style("ingest-line--error")
        out.append("mail: ")
        if status.last_fetch_at is None:
            out.append("never fetched", warning)
        else:
            lag = (self.now - status.last_fetch_at) if self.now else None
            if lag is None:
                out.append("fetched")
            else:
                ago = "just now" if lag < timedelta(minutes=1) else f"{format_left(lag)} ago"
                out.append(f"fetched {ago}", warning if lag > STALE_AFTER else "")
        if status.quarantined:
            out.append(" · ")
            out.append(f"{status.quarantined} quarantined", warning)
        for problem in status.errors[:2]:
            out.append(" · ")
            out.append_text(plain(problem, error))
        if len(status.errors) > 2:
            out.append(f" · +{len(status.errors) - 2} more errors", error)
        return out
