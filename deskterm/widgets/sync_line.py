"""One line above the footer on a replica: `sync: synced`, `3 pending`, `offline since 10:42`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from deskterm.widgets.fmt import plain

if TYPE_CHECKING:
    from deskterm.runtime.listener import SyncStatus


class SyncLine(Widget):
    """Where this replica stands with the server; hidden on a store that is no replica."""

    COMPONENT_CLASSES = {  # noqa: RUF012 - Textual reads this class attribute
        "sync-line--error",
        "sync-line--warning",
    }
    DEFAULT_CSS = """
    SyncLine { height: 1; }
    """

    status: reactive[SyncStatus | None] = reactive(None)

    def watch_status(self) -> None:
        self.display = self.status is not None

    def render(self) -> Text:
        status = self.status
        out = Text(no_wrap=True, overflow="ellipsis", end="")
        if status is None:
            return out
        warning = self.get_component_rich_style("sync-line--warning")
        error = self.get_component_rich_style("sync-line--error")
        pending = Text(f"{status.queued} pending") if status.queued else None
        parts: list[Text] = []
        if status.state == "synced":
            parts.append(Text("synced"))
        elif status.state == "connecting":
            parts.append(Text("connecting"))
        elif status.state == "offline":
            since = status.since.astimezone().strftime("%H:%M") if status.since else "now"
            parts.append(Text(f"offline since {since}", warning))
        elif status.state == "refused":
            parts.append(Text("refused", error))
        if pending is not None:
            parts.append(pending)
        if status.reason:
            parts.append(plain(status.reason, error if status.state == "refused" else warning))
        out.append("sync: ")
        out.append_text(Text(" · ").join(parts))
        return out
