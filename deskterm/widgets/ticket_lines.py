"""The queue's lines, built once and kept as finished Strips.

A page-down repaints every line of the list, and Textual then spends about as
long again styling and compositing them, so a line costs nothing to build a
second time: each row's Strip is cached with the state it was built in (cursor,
marked) until the width, the minute (ages and countdowns) or the theme changes.
One line is one text run cut to column widths with `set_cell_size`, plus a run
for the due column, which has its own style.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip

from deskterm import safetext
from deskterm.sla.policy import SlaSettings
from deskterm.store.queries.records import TicketRow
from deskterm.vocab import status_label
from deskterm.widgets.fmt import age
from deskterm.widgets.sla_clock import countdown

LINE_CACHE = 4000  # rows; more than MAX_PAGES pages of the list ever hold
RESOLVED = frozenset({"solved", "closed"})
LOUD = frozenset({"urgent", "high"})
# The first cell: a mark for a bulk action, else the tone of the latest customer message.
TONE_MARKS = {"urgent": "!", "upset": "~"}


@dataclass(frozen=True, slots=True)
class Columns:
    number: int
    subject: int
    customer: int
    status: int
    priority: int
    assignee: int
    age: int
    due: int


def columns(width: int, due: bool = False) -> Columns:
    wide = width >= 120
    customer = 24 if wide else 14
    assignee = 18 if wide else 10
    due_width = (15 if wide else 7) if due else 0
    fixed = 2 + 7 + customer + 9 + 7 + assignee + 5 + 6 + (due_width + 1 if due else 0)
    return Columns(7, max(10, width - fixed), customer, 9, 7, assignee, 5, due_width)


def cell(text: str, width: int) -> str:
    """`text` cut or padded to exactly `width` cells, an ellipsis marking a cut."""
    if width <= 0:
        return ""
    if cell_len(text) > width:
        return set_cell_size(text, width - 1) + "…"
    return set_cell_size(text, width)


class TicketLines:
    """Paints header, placeholder and row lines for one list width.

    `style(name)` gives a component style of the list ("" for the list's own);
    they are looked up once per theme (`restyle`).
    """

    def __init__(self, style: Callable[[str], Style], now: datetime) -> None:
        self._lookup = style
        self._styles: dict[str, Style] = {}
        self.sla: SlaSettings | None = None
        self.now = now
        self.width = 0
        self.cols = columns(0)
        self._rows: dict[tuple[int, bool], tuple[TicketRow, bool, Strip]] = {}

    def resize(self, width: int) -> None:
        if width != self.width:
            self.width = width
            self.cols = columns(width, self.sla is not None)
            self._rows.clear()

    def forget(self) -> None:
        """Rows are built again (the minute changed: ages and countdowns move)."""
        self._rows.clear()

    def restyle(self) -> None:
        self._styles.clear()
        self._rows.clear()

    def style(self, name: str) -> Style:
        style = self._styles.get(name)
        if style is None:
            style = self._styles[name] = self._lookup(name)
        return style

    def _line(self, text: str, style: Style) -> Strip:
        return Strip([Segment(cell(text, self.width), style)], self.width)

    def header(self, position: str = "") -> Strip:
        """The column names; `position` (`1,801 of 32,284`) follows "Subject"."""
        c = self.cols
        parts = [
            ("", 1),
            ("#", c.number),
            (f"Subject   {position}" if position else "Subject", c.subject),
            ("Customer", c.customer),
            ("Status", c.status),
            ("Prio", c.priority),
            ("Assignee", c.assignee),
            ("Age", c.age),
        ]
        if c.due:
            parts.append(("Due (business · clock)" if c.due > 7 else "Due", c.due))
        text = " ".join(cell(value, w) for value, w in parts)
        return self._line(text, self.style("") + self.style("header"))

    def note(self, text: str) -> Strip:
        """A placeholder where rows go: `loading…`, `no tickets`, `…`."""
        pad = " " * (self.cols.number + 3)
        return self._line(pad + text, self.style("") + self.style("loading"))

    def blank(self) -> Strip:
        return Strip([Segment(" " * self.width, self.style(""))], self.width)

    def row(self, row: TicketRow, marked: bool, cursor: bool) -> Strip:
        cached = self._rows.get((row.id, cursor))
        if cached is not None and cached[0] is row and cached[1] == marked:
            return cached[2]
        strip = self._paint(row, marked, cursor)
        if len(self._rows) > LINE_CACHE:
            self._rows.clear()
        self._rows[(row.id, cursor)] = (row, marked, strip)
        return strip

    def _paint(self, row: TicketRow, marked: bool, cursor: bool) -> Strip:
        style = self.style("")
        if row.status in RESOLVED:
            style += self.style("resolved")
        if row.priority in LOUD:
            style += self.style(row.priority)
        if row.unread:
            style += self.style("unread")
        if marked:
            style += self.style("marked")
        if cursor:
            style += self.style("cursor")
        c, width = self.cols, self.width
        text = " ".join(
            (
                cell("•" if marked else TONE_MARKS.get(row.tone, ""), 1),
                cell(str(row.number), c.number),
                cell(safetext.line(row.subject), c.subject),
                cell(safetext.line(row.customer_name or row.customer_email), c.customer),
                cell(status_label(row.status), c.status),
                cell(row.priority, c.priority),
                cell(safetext.line(row.assignee or "—"), c.assignee),
                cell(age(self.now, row.updated_at), c.age),
            )
        )
        used = cell_len(text)
        due: Segment | None = None
        if c.due and self.sla is not None:
            clock = countdown(self.sla, row, self.now)
            shown = (clock.text if c.due >= len(clock.text) else clock.business) if clock else ""
            due_style = style + self.style(f"due-{clock.state}") if clock else style
            due = Segment(" " + cell(shown, c.due), due_style)
            used += 1 + c.due
        # The padding joins the row's text: every segment costs Textual a little per frame.
        pad = " " * (width - used) if used < width else ""
        segments = [Segment(text, style), due] if due is not None else [Segment(text + pad, style)]
        if due is not None and pad:
            segments.append(Segment(pad, style))
        strip = Strip(segments, max(used, width))
        return strip if used <= width else strip.crop(0, width)
