"""One message of a ticket's thread: a compact header, the body with quotes folded.

Customer messages, replies, internal notes and system events differ by CSS class
(`-customer`, `-reply`, `-note`, `-system`); a mailed reply also carries its
delivery state (`-waiting`, `-sending`, `-sent`, `-retrying`, `-failed`).
Colours live in ticket.tcss.
"""

from __future__ import annotations

import math
from datetime import datetime

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from deskterm.mail.quotes import split_quoted
from deskterm.store.outbox_queries import STATES, OutboxRecord
from deskterm.store.records import MessageRecord
from deskterm.widgets.fmt import body, plain, stamp

KIND_LABEL = {"customer": "", "reply": "reply", "note": "internal note", "system": "system"}


def size_text(size: int) -> str:
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size / 1024 / 1024:.1f} MB"


def delivery_text(record: OutboxRecord, now: datetime) -> str:
    """One line on where a mailed reply stands: `sending in 7s — ctrl+z to undo`, `sent` ..."""
    if record.state == "waiting":
        left = math.ceil((record.not_before - now).total_seconds())
        return f"✉ sending in {left}s — ctrl+z to undo" if left > 0 else "✉ sending…"
    if record.state == "sending":
        return "✉ sending…"
    return f"✉ {record.describe()}"


class MessageView(Widget):
    """A message; `unfolded` shows quoted text and signatures in full."""

    COMPONENT_CLASSES = {  # noqa: RUF012
        "message-view--header",
        "message-view--meta",
        "message-view--quote",
        "message-view--fold",
        "message-view--attachment",
        "message-view--delivery",
    }
    DEFAULT_CSS = """
    MessageView { height: auto; }
    """

    unfolded = reactive(False, layout=True)
    """Show quoted text and signatures instead of a one-line marker."""

    delivery: reactive[OutboxRecord | None] = reactive(None, layout=True)
    """Where this reply's mail stands; None when it is not mailed."""

    now: reactive[datetime | None] = reactive(None)
    """The app's clock, for the undo countdown (the screen sets it each second)."""

    def __init__(
        self,
        message: MessageRecord,
        delivery: OutboxRecord | None = None,
        now: datetime | None = None,
    ) -> None:
        super().__init__(classes=f"-{message.kind}")
        self.message = message
        self._segments = split_quoted(message.body_text or "")
        self.set_reactive(MessageView.now, now)
        self.set_reactive(MessageView.delivery, delivery)
        self._delivery_class(delivery)

    def watch_delivery(self, delivery: OutboxRecord | None) -> None:
        self._delivery_class(delivery)

    def _delivery_class(self, delivery: OutboxRecord | None) -> None:
        for state in STATES:
            self.set_class(delivery is not None and delivery.state == state, f"-{state}")

    def render(self) -> Text:
        msg = self.message
        header_style = self.get_component_rich_style("message-view--header")
        meta_style = self.get_component_rich_style("message-view--meta")
        out = Text(end="")
        out.append_text(plain(msg.from_name or msg.author or msg.from_addr or "—"))
        out.stylize(header_style)
        if msg.kind == "customer" and msg.from_addr and msg.from_name:
            address = plain(f" <{msg.from_addr}>")
            address.stylize(meta_style)
            out.append_text(address)
        label = KIND_LABEL.get(msg.kind, msg.kind)
        tail = f"  {label} · {stamp(msg.created_at)}" if label else f"  {stamp(msg.created_at)}"
        out.append(tail, meta_style)
        out.append("\n")
        if self.delivery is not None:
            line = plain(delivery_text(self.delivery, self.now or self.delivery.created_at))
            line.stylize_before(self.get_component_rich_style("message-view--delivery"))
            out.append_text(line)
            out.append("\n")
        out.append_text(self._body())
        attachment_style = self.get_component_rich_style("message-view--attachment")
        for att in msg.attachments:
            out.append("\n")
            line = plain(f"⎙ {att.filename}  ({att.mime_type}, {size_text(att.size)})")
            line.stylize_before(attachment_style)
            out.append_text(line)
        return out

    def _body(self) -> Text:
        quote_style = self.get_component_rich_style("message-view--quote")
        fold_style = self.get_component_rich_style("message-view--fold")
        out = Text(end="")
        segments = self._segments
        for index, segment in enumerate(segments):
            if index:
                out.append("\n")
            if segment.kind == "text":
                out.append_text(body(segment.text))
            elif self.unfolded:
                out.append_text(body(segment.text, quote_style))
            else:
                lines = segment.text.count("\n") + 1
                what = "quoted text" if segment.kind == "quote" else "signature"
                out.append(
                    f"··· {what}, {lines} line{'s' if lines > 1 else ''} (z shows)", fold_style
                )
        return out
