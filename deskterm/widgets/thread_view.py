"""A ticket's thread in one line-API ScrollView: every message, one widget.

A widget per message cost ~8 ms each to mount, so a 200-message ticket took
134-480 ms to open and showed only the newest 40. Here the thread is laid out as
lines (`thread_layout`) and only the lines on screen are painted, so every
message is there at once and opening costs the layout plus one screen.

Kinds differ by the colour of the bar at each line's left (`thread-view--customer`,
`--reply`, `--note`, `--system`, `--failed`), notes also by their background;
colours live in ticket.tcss. The view opens at the newest message; a re-layout
(delivery state, unfolding, a resize) keeps the line under the top of the screen
in place, or the bottom when the newest message was in view.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from datetime import datetime

from rich.segment import Segment
from rich.style import Style
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from deskterm.mail.quotes import Segment as BodySegment
from deskterm.mail.quotes import split_quoted
from deskterm.store.queries.outbox import OutboxRecord
from deskterm.store.queries.records import MessageRecord
from deskterm.vocab import NOT_MAILED_TEXT
from deskterm.widgets.thread_layout import Block, Line, block, delivery_text

BAR = "▌ "
KINDS = ("customer", "reply", "note", "system")
STRIP_CACHE = 2000  # painted lines kept (a few screens)
COMPLETE_BATCH = 200  # older messages laid out per frame after a thread opens (~35 ms)


@dataclass(frozen=True, slots=True)
class _Laid:
    """A message's body split and its block, with what the block was laid out for."""

    message: MessageRecord
    segments: list[BodySegment]
    key: tuple[int, bool, tuple[str, str] | None]
    block: Block


class ThreadView(ScrollView, can_focus=True):
    """The messages of one ticket, oldest first, opened at the newest."""

    COMPONENT_CLASSES = {  # noqa: RUF012 - Textual reads this class attribute
        *(f"thread-view--{kind}" for kind in (*KINDS, "failed")),
        "thread-view--note-body",
        "thread-view--system-body",
        "thread-view--header",
        "thread-view--meta",
        "thread-view--text",
        "thread-view--quote",
        "thread-view--fold",
        "thread-view--attachment",
        "thread-view--tone",
        "thread-view--delivery",
        *(
            f"thread-view--delivery-{state}"
            for state in ("waiting", "sending", "sent", "retrying", "failed", "not_mailed")
        ),
    }
    DEFAULT_CSS = """
    ThreadView { height: 1fr; overflow-x: hidden; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.messages: tuple[MessageRecord, ...] = ()
        self.delivery: dict[int, OutboxRecord] = {}
        self.now: datetime | None = None
        self._unfolded = False
        self._laid: dict[int, _Laid] = {}  # by message id
        self._first = 0  # index of the oldest message laid out (0 once all are)
        self._blocks: list[Block] = []  # of messages[_first:]
        self._starts: list[int] = []  # first line of each block
        self._width = 0
        self._generation = 0
        self._styles: dict[str, Style] = {}
        self._strips: dict[int, Strip] = {}
        self._follow_end = True  # the newest line is in view: keep it there

    # -- content -----------------------------------------------------------------

    def show(
        self,
        messages: tuple[MessageRecord, ...],
        delivery: dict[int, OutboxRecord],
        now: datetime,
        *,
        same_ticket: bool = False,
    ) -> None:
        """Show a thread: at its newest message, or where the reader was if `same_ticket`."""
        if not same_ticket:
            self._laid.clear()
            self._unfolded = False  # each ticket opens folded
        self.messages = messages
        self.delivery = delivery
        self.now = now
        self._relayout(keep=same_ticket)

    def set_delivery(self, delivery: dict[int, OutboxRecord], now: datetime) -> None:
        """Mailed replies moved on (or their undo countdown ticked)."""
        if not delivery and not self.delivery:
            return
        self.delivery = delivery
        self.now = now
        self._relayout(keep=True)

    @property
    def unfolded(self) -> bool:
        """Quoted text and signatures shown in full instead of a one-line marker."""
        return self._unfolded

    @unfolded.setter
    def unfolded(self, value: bool) -> None:
        if value != self._unfolded:
            self._unfolded = value
            self._relayout(keep=True)

    @property
    def line_count(self) -> int:
        return self._starts[-1] + len(self._blocks[-1].lines) if self._blocks else 0

    @property
    def complete(self) -> bool:
        """Every message is laid out (a new thread first lays out its newest screens)."""
        return self._first == 0

    def _block(self, message: MessageRecord) -> Block:
        """`message` laid out for the current width, folding and delivery state (cached)."""
        record = self.delivery.get(message.id)
        delivery = None
        if record is not None:
            delivery = (record.state, delivery_text(record, self.now or record.created_at))
        elif message.not_mailed:
            delivery = ("not_mailed", f"✉ {NOT_MAILED_TEXT}")
        key = (self._width, self._unfolded, delivery)
        cached = self._laid.get(message.id)
        if cached is not None and cached.message == message:
            if cached.key == key:
                return cached.block
            segments = cached.segments
        else:
            segments = split_quoted(message.body_text or "")
        laid = block(message, segments, self._width, unfolded=self._unfolded, delivery=delivery)
        self._laid[message.id] = _Laid(message, segments, key, laid)
        return laid

    def _tail(self, lines: int) -> int:
        """The oldest message needed to fill `lines` lines up from the newest."""
        first, count = len(self.messages), 0
        while first > 0 and count < lines:
            first -= 1
            count += len(self._block(self.messages[first]).lines)
        return first

    def _relayout(self, *, keep: bool, first: int = 0) -> None:
        """Lay the thread out from message `first` on, keeping the reader's place when `keep`.

        A new thread lays out only the screens at its end before the first paint;
        the older messages follow, COMPLETE_BATCH a frame, above what is shown.
        """
        width = self.scrollable_content_region.width - len(BAR)
        if width < 2:
            return  # not laid out yet (on_resize comes), or too narrow for a wide character
        self._generation += 1
        anchor: tuple[int, int] | None = None  # (message index, line within it)
        if keep and self._blocks and not self._follow_end:
            top = self.scroll_offset.y
            at = self._block_at(top)
            anchor = (self._first + at, top - self._starts[at])
        self._width = width
        self._first = first if keep else self._tail(2 * self.scrollable_content_region.height)
        self._blocks = [self._block(m) for m in self.messages[self._first :]]
        self._starts = []
        line = 0
        for laid in self._blocks:
            self._starts.append(line)
            line += len(laid.lines)
        self._strips.clear()
        self.virtual_size = Size(self.scrollable_content_region.width, line)
        if anchor is None:
            self._scroll_end()
        else:
            index, offset = anchor[0] - self._first, anchor[1]
            start = self._starts[index] + min(offset, len(self._blocks[index].lines) - 1)
            self.scroll_to(y=start, animate=False)
        self.refresh()
        if self._first:
            self.call_after_refresh(self._complete, self._generation)

    def _complete(self, generation: int) -> None:
        if generation == self._generation:
            self._relayout(keep=True, first=max(0, self._first - COMPLETE_BATCH))

    def _block_at(self, line: int) -> int:
        return max(0, bisect_right(self._starts, line) - 1)

    def _scroll_end(self) -> None:
        self.scroll_to(y=self.max_scroll_y, animate=False)
        self._follow_end = True

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        self._follow_end = new_value >= self.max_scroll_y

    def on_resize(self) -> None:
        """Wrap again for a new width; a shorter view (the composer opened) keeps the end."""
        if self.scrollable_content_region.width - len(BAR) != self._width:
            self._relayout(keep=bool(self._blocks))
        elif self._follow_end:
            self._scroll_end()

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._styles.clear()
        self._strips.clear()

    # -- painting ----------------------------------------------------------------

    def _style(self, name: str) -> Style:
        """A component style by its short name; "" is the view's own."""
        style = self._styles.get(name)
        if style is None:
            style = (
                self.get_component_rich_style(f"thread-view--{name}") if name else self.rich_style
            )
            self._styles[name] = style
        return style

    def render_line(self, y: int) -> Strip:
        index = self.scroll_offset.y + y
        strip = self._strips.get(index)
        if strip is None:
            if len(self._strips) > STRIP_CACHE:
                self._strips.clear()
            strip = self._strips[index] = self._paint(index)
        return strip

    def _paint(self, index: int) -> Strip:
        full = self.scrollable_content_region.width
        base = self._style("")
        if index >= self.line_count:
            return Strip.blank(full, base)
        at = self._block_at(index)
        laid = self._blocks[at]
        line: Line = laid.lines[index - self._starts[at]]
        if not line:  # the blank line between messages
            return Strip.blank(full, base)
        body = base
        if laid.kind in ("note", "system"):
            body = base + self._style(f"{laid.kind}-body")
        kind = laid.kind if laid.kind in KINDS else "system"
        bar = self._style("failed" if laid.delivery_state == "failed" else kind)
        segments = [Segment(BAR, base + bar)]
        for text, role in line:
            style = body + self._style(role)
            if role == "delivery" and laid.delivery_state:
                style += self._style(f"delivery-{laid.delivery_state}")
            segments.append(Segment(text, style))
        return Strip(segments).adjust_cell_length(full, body)
