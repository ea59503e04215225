"""The queue's ticket list: a line-API ScrollView over a bounded cache of keyset pages.

Why not a DataTable: one with 100,000 rows took 17 s and 92 MB to build and
250-340 ms per key press. This widget renders only the lines on screen
(`render_line`) from pages of `page_size` rows; it never holds more than
`MAX_PAGES` pages, keeping just the keyset cursor of every page it has passed so
an evicted page can be fetched again. The list grows as you scroll (infinite
scroll): the total is not needed to page, and the view bar shows the count.
`G` does not walk there: the list re-anchors at the bottom, pages backwards
from the end (`reverse=True`) and places rows by the total the screen counts.
It does not wait for that count (a common word's is O(matches): 1.4 s of CPU
for `thanks` at 1M): until it comes, the rows walked from the bottom and one
page of "…" above them stand in for it, and rows keep their places on screen
when the count moves the indexes.

Rendering (`ticket_lines.py`): each row's finished Strip is cached, so moving
the cursor repaints two lines, and a page-down paints lines built when their
prefetched page arrived; the pages around the viewport are always prefetched.

The widget does no I/O: it posts `PageRequested` and the screen answers with
`add_page` from a worker; answers for an older `generation` are dropped.
"""

from __future__ import annotations

from datetime import UTC, datetime

from rich.style import Style
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from deskterm.sla.policy import SlaSettings
from deskterm.store.queries.records import TicketPage, TicketRow
from deskterm.store.search.order import Cursor
from deskterm.widgets.ticket_lines import TicketLines

MAX_PAGES = 12
GROW_ROWS = 500  # see _update_size


class TicketList(ScrollView, can_focus=True, inherit_bindings=False):
    """Tickets of one query, newest activity first, paged on demand."""

    COMPONENT_CLASSES = {  # noqa: RUF012 - Textual reads this class attribute
        "ticket-list--header",
        "ticket-list--cursor",
        "ticket-list--marked",
        "ticket-list--loading",
        "ticket-list--urgent",
        "ticket-list--high",
        "ticket-list--resolved",
        "ticket-list--unread",
        "ticket-list--due-ok",
        "ticket-list--due-warning",
        "ticket-list--due-breached",
    }
    DEFAULT_CSS = """
    TicketList { height: 1fr; overflow-x: hidden; }
    """

    class PageRequested(Message):
        """The list needs page `page`, which starts after `after` (None: the first page).

        With `from_bottom` pages count from the end of the list and walk it backwards.
        """

        def __init__(
            self, generation: int, page: int, after: Cursor | None, from_bottom: bool = False
        ) -> None:
            super().__init__()
            self.generation = generation
            self.page = page
            self.after = after
            self.from_bottom = from_bottom

    class CursorMoved(Message):
        """The highlighted ticket changed (None when the list is empty)."""

        def __init__(self, row: TicketRow | None) -> None:
            super().__init__()
            self.row = row

    class MarksChanged(Message):
        """Tickets were marked or unmarked with x; `count` are marked now."""

        def __init__(self, count: int) -> None:
            super().__init__()
            self.count = count

    cursor = reactive(0, always_update=True, repaint=False)
    """Index of the highlighted row in the whole list."""

    def __init__(
        self, *, page_size: int = 50, now: datetime | None = None, id: str | None = None
    ) -> None:
        super().__init__(id=id)
        self.page_size = page_size
        self._paint = TicketLines(self._component_style, now or datetime.now(UTC))
        self.generation = 0
        self._from_bottom = False
        self._total = 0  # rows in the list; used only when anchored at the bottom
        self._exact = False  # _total is the screen's count, not rows walked so far
        self._counted: int | None = None  # rows in the list as the screen counted them
        self.marked: dict[int, TicketRow] = {}
        self.loaded_once = False
        self._pages: dict[int, tuple[TicketRow, ...]] = {}
        self._starts: list[Cursor | None] = [None]  # starts[k]: where page k starts
        self._sizes: list[int] = []  # row counts of the pages seen so far
        self._more = True  # a page exists after the last one seen
        self._pending: set[int] = set()
        self._follow_bottom = False
        # While a reload refetches pages, the rows shown before it stay on screen.
        self._stale: dict[int, tuple[TicketRow, ...]] = {}
        self._stale_count = 0
        # The ticket under the cursor when the store changed: the cursor follows it.
        self._follow: int | None = None

    @property
    def sla(self) -> SlaSettings | None:
        """When set, a due column shows each ticket's SLA countdown."""
        return self._paint.sla

    @sla.setter
    def sla(self, value: SlaSettings | None) -> None:
        self._paint.sla = value
        self._paint.resize(-1)  # the columns change

    @property
    def now(self) -> datetime:
        return self._paint.now

    @now.setter
    def now(self, value: datetime) -> None:
        """A new time: ages and countdowns change; repaints the visible lines only."""
        minute = value.replace(second=0, microsecond=0)
        if minute != self._paint.now.replace(second=0, microsecond=0):
            self._paint.forget()
        self._paint.now = value
        self.refresh()

    def _component_style(self, name: str) -> Style:
        return self.get_component_rich_style(f"ticket-list--{name}") if name else self.rich_style

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._paint.restyle()

    # -- data in ----------------------------------------------------------------

    def reset(
        self, *, keep_cursor: bool = False, from_bottom: bool | None = None, ask: bool = True
    ) -> int:
        """Forget every page (new query or store changed); returns the new generation.

        With `keep_cursor` (same query, the store changed) the old rows stay on
        screen until the fresh pages replace them: no flash of "loading". `ask=False`:
        the caller has page 0 (read as the search box closed) and adds it.
        """
        self.generation += 1
        if keep_cursor and self.loaded_once and from_bottom is None:
            row = self.current_row
            self._follow = row.number if row is not None else self._follow
            self._stale = dict(self._pages)
            self._stale_count = self.row_count
        else:
            self._follow = None
            self._stale = {}
            self._stale_count = 0
        if from_bottom is not None:
            self._from_bottom = from_bottom
        elif not keep_cursor:
            self._from_bottom = False  # a new query starts at its top, whatever `G` did before
        self._exact = False
        self._pages.clear()
        self._starts = [None]
        self._sizes = []
        self._more = True
        self._pending.clear()
        self._follow_bottom = False
        self.loaded_once = bool(self._stale)
        if not keep_cursor:
            self.cursor = 0
            self.scroll_to(y=0, animate=False)
        self._update_size()
        if ask:
            self._request(0)
        else:
            self._pending.add(0)
        return self.generation

    def add_page(self, generation: int, page: int, result: TicketPage) -> None:
        """A page arrived from the store; ignored if it answers an older query."""
        if generation != self.generation:
            return
        self._pending.discard(page)
        self._pages[page] = result.rows
        if page == len(self._sizes):
            self._sizes.append(len(result.rows))
            self._more = result.next is not None and len(result.rows) > 0
            if self._more:
                self._starts.append(result.next)
        if page == 0:
            self.loaded_once = True
        if self._from_bottom:
            self._anchor_total()
        if self._stale:
            self._stale.pop(page, None)
            if not self._more or self._page_of(self.cursor)[0] < len(self._sizes) - 1:
                self._stale.clear()  # fresh pages cover the cursor (or the list ended)
                self._stale_count = 0
        self._evict()
        size = self.virtual_size
        self._update_size()
        if self._follow_bottom:
            self._follow_bottom = False
            self.cursor = max(0, self.row_count - 1)
            self.call_after_refresh(self._scroll_to_cursor)  # once the new size is laid out
        elif self.cursor >= self.row_count:
            self.cursor = max(0, self.row_count - 1)
        self._follow_ticket()
        self._ensure_pages()
        if self._shows(page, len(result.rows)) or size != self.virtual_size:
            self.refresh()  # a prefetched page off screen needs no repaint
        else:
            self._prerender(result.rows)
        self.post_message(self.CursorMoved(self.current_row))

    def _follow_ticket(self) -> None:
        """After a reload, put the cursor back on the ticket it was on, wherever that moved.

        Once fresh pages cover the cursor without it, the ticket left the list (a reply
        solved it out of an open view): the cursor keeps its place, on the ticket that
        followed it.
        """
        if self._follow is None:
            return
        index = self.index_of(self._follow)
        if index is not None:
            self._follow = None
            if index != self.cursor:
                self.cursor = index
        elif not self._stale:
            self._follow = None

    def _prerender(self, rows: tuple[TicketRow, ...]) -> None:
        """Build a prefetched page's lines now, so the page-down that shows them only paints."""
        self._paint.resize(self.scrollable_content_region.width)
        if self._paint.width:
            for row in rows:
                self._paint.row(row, row.number in self.marked, False)

    def _shows(self, page: int, rows: int) -> bool:
        """Whether page `page` (or the loading line after it) is in the viewport."""
        top = self.scroll_offset.y
        bottom = top + self.scrollable_content_region.height
        first = self._index_of(page, 0)
        last = self._index_of(page, max(0, rows - 1))
        low, high = min(first, last), max(first, last) + 1  # +1: the loading line
        return low <= bottom and high >= top

    # -- reading ----------------------------------------------------------------

    @property
    def row_count(self) -> int:
        if self._from_bottom:
            return self._total if self.loaded_once else 0
        return max(sum(self._sizes), self._stale_count)

    @property
    def cached_rows(self) -> int:
        """How many rows the list holds right now (bounded by MAX_PAGES pages)."""
        return sum(len(rows) for rows in self._pages.values())

    @property
    def has_more(self) -> bool:
        """Rows exist below the last one known (never when anchored at the bottom)."""
        return self._more and not self._from_bottom

    def _page_of(self, index: int) -> tuple[int, int]:
        """(page, offset in page) of a row index, in the order pages are walked."""
        if self._from_bottom:
            return divmod(self._total - 1 - index, self.page_size)
        return divmod(index, self.page_size)

    def _index_of(self, page: int, offset: int) -> int:
        if self._from_bottom:
            return self._total - 1 - (page * self.page_size + offset)
        return page * self.page_size + offset

    def row_at(self, index: int) -> TicketRow | None:
        if index < 0 or (self._from_bottom and index >= self._total):
            return None
        page, offset = self._page_of(index)
        rows = self._pages.get(page)
        if rows is None and self._stale:
            rows = self._stale.get(page)
        if rows is None or offset >= len(rows):
            return None
        return rows[offset]

    @property
    def current_row(self) -> TicketRow | None:
        return self.row_at(self.cursor)

    def index_of(self, number: int) -> int | None:
        for page, rows in self._pages.items():
            for offset, row in enumerate(rows):
                if row.number == number:
                    return self._index_of(page, offset)
        return None

    def step_from(self, number: int, delta: int) -> TicketRow | None:
        """The row `delta` places from ticket `number` in list order; moves the cursor there.

        If `number` left the list (it was solved out of an open view), the row now
        under the cursor is the one that followed it.
        """
        index = self.index_of(number)
        fallback = self.cursor if delta > 0 else self.cursor - 1
        target = fallback if index is None else index + delta
        row = self.row_at(target)
        if row is not None and row.number != number:
            self.move_to(target)
            return row
        return None

    # -- moving -----------------------------------------------------------------

    def move(self, delta: int) -> None:
        self.move_to(self.cursor + delta)

    def move_to(self, index: int) -> None:
        self._follow_bottom = False
        self._follow = None  # the agent moved: the cursor is theirs again
        self.cursor = max(0, min(index, self.row_count - 1))

    def to_bottom(self) -> None:
        """Go to the true last row: re-anchor at the bottom unless the end is already known."""
        if self._from_bottom or not self._more:
            self.move_to(self.row_count - 1)
            return
        self.reset(from_bottom=True)
        self._follow_bottom = True

    def to_top(self) -> None:
        """Go to the first row (re-anchoring at the top if the list was entered from below)."""
        if self._from_bottom and any(p not in self._pages for p in self._tail_pages()):
            self.reset(from_bottom=False)
        else:
            self.move_to(0)

    def _tail_pages(self) -> range:
        """Pages (from the bottom) that hold the top rows."""
        if not self._total:
            return range(0)
        return range((self._total - 1) // self.page_size + 1)

    def toggle_mark(self) -> None:
        row = self.current_row
        if row is None:
            return
        if row.number in self.marked:
            del self.marked[row.number]
        else:
            self.marked[row.number] = row
        self._refresh_row(self.cursor)
        self.post_message(self.MarksChanged(len(self.marked)))

    def clear_marks(self) -> None:
        if self.marked:
            self.marked.clear()
            self.refresh()
            self.post_message(self.MarksChanged(0))

    def _scroll_to_cursor(self) -> None:
        new = self.cursor
        visible = max(1, self.scrollable_content_region.height - 1)
        top = self.scroll_offset.y
        if new < top:
            self.scroll_to(y=new, animate=False, immediate=True)
        elif new >= top + visible:
            self.scroll_to(y=new - visible + 1, animate=False, immediate=True)

    @property
    def total(self) -> int | None:
        """How many rows the list has, as the screen counted them (None: not known yet)."""
        return self._counted

    @total.setter
    def total(self, value: int | None) -> None:
        if value != self._counted:
            self._counted = value
            if self._from_bottom and self.loaded_once and value is not None:
                self._exact = False
                self._anchor_total()
            self._refresh_header()

    def _anchor_total(self) -> None:
        """The bottom-anchored list's length: the screen's count, or until it is known
        the rows walked so far plus a page of "…" while more lie above them.

        A new length moves every index (they count from the top): the cursor and
        the scroll move with it, so the rows on screen stay where they are.
        """
        if self._exact:
            return
        if self._counted is not None:
            total, self._exact = self._counted, True
        else:
            total = sum(self._sizes) + (self.page_size if self._more else 0)
        delta = total - self._total
        if not delta:
            return
        self._total = total
        if not self.loaded_once or self._follow_bottom:
            return  # nothing placed yet: add_page puts the cursor on the last row
        self._update_size()
        self.scroll_to(y=self.scroll_offset.y + delta, animate=False, immediate=True)
        self.cursor = max(0, min(self.cursor + delta, self._total - 1))
        self.refresh()

    def _position(self) -> str:
        """Where the cursor is: the list draws no scrollbar (see queue.tcss)."""
        total = self._total if self._from_bottom and self._exact else self._counted
        if not total or not self.row_count:
            return ""
        return f"{min(self.cursor + 1, total):,} of {total:,}"

    def _refresh_header(self) -> None:
        self.refresh(Region(0, 0, self.size.width, 1))

    def watch_cursor(self, old: int, new: int) -> None:
        self._scroll_to_cursor()
        self._refresh_row(old)
        self._refresh_row(new)
        self._refresh_header()
        self._ensure_pages()
        self.post_message(self.CursorMoved(self.current_row))

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        self._ensure_pages()

    def on_resize(self) -> None:
        self._ensure_pages()

    # -- paging -----------------------------------------------------------------

    def _request(self, page: int) -> None:
        if page in self._pending or page >= len(self._starts):
            return
        self._pending.add(page)
        self.post_message(
            self.PageRequested(self.generation, page, self._starts[page], self._from_bottom)
        )

    def _ensure_pages(self) -> None:
        """Ask for the pages of the viewport and of one more screen each way (prefetch).

        A page-down or page-up then paints from pages already here; pages whose start
        is not known yet follow one by one as each answer brings the next cursor.
        """
        if not self.loaded_once:
            return
        height = max(1, self.scrollable_content_region.height)
        top = self.scroll_offset.y
        last_row = self._total - 1 if self._from_bottom else None
        wanted: set[int] = set()
        # The viewport and the cursor, each with a screen of margin, apart: after G the
        # viewport may briefly still be at the top while the cursor is at the bottom.
        for low, high in (
            (top - height, top + 2 * height),
            (self.cursor - height, self.cursor + height),
        ):
            low = max(0, low)
            if last_row is not None:
                high = min(high, last_row)
            if high < low:
                continue
            a, b = self._page_of(low)[0], self._page_of(high)[0]
            wanted.update(range(min(a, b), max(a, b) + 1))
        for page in sorted(wanted):
            if page not in self._pages and (page < len(self._sizes) or self._more):
                self._request(page)
        if self._more and wanted and max(wanted) >= len(self._starts):
            self._request(len(self._sizes))  # the walk towards them: its answer brings the next

    def _evict(self) -> None:
        focus = self._page_of(self.cursor)[0] if self.row_count else 0
        while len(self._pages) > MAX_PAGES:
            far = max(self._pages, key=lambda p: abs(p - focus))
            del self._pages[far]

    def _update_size(self) -> None:
        """Size the scroll area: header, rows, and the loading line while more may follow.

        While the list grows it grows in steps of GROW_ROWS: every change of the
        virtual size lays the whole screen out and repaints it, which would cost a
        second frame for each page that arrives.
        """
        height = self.row_count + 1
        if self.has_more or not self.loaded_once:
            height = -(-(height + 1) // GROW_ROWS) * GROW_ROWS
        self.virtual_size = Size(self.scrollable_content_region.width, height)

    def _refresh_row(self, index: int) -> None:
        if index >= 0:
            self.refresh_line(index + 1)  # virtual line: the header takes line 0

    # -- rendering --------------------------------------------------------------

    def render_lines(self, crop: Region) -> list[Strip]:
        self._paint.resize(self.scrollable_content_region.width)  # once a frame, not a line
        return super().render_lines(crop)

    def render_line(self, y: int) -> Strip:
        paint = self._paint
        if y == 0:
            return paint.header(self._position())
        index = self.scroll_offset.y + y - 1
        count = self.row_count
        if index >= count:
            if index == count and self.has_more and self.loaded_once:
                return paint.note("loading more…")
            if index == 0:
                return paint.note("no tickets" if self.loaded_once else "loading…")
            return paint.blank()
        row = self.row_at(index)
        if row is None:
            return paint.note("…")
        return paint.row(row, row.number in self.marked, index == self.cursor)
