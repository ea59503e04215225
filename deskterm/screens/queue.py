"""The queue: views with live counts, a paged ticket list, search and bulk actions."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.message import Message
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Static
from textual.worker import get_current_worker

from deskterm import keys
from deskterm.errors import DesktermError, QuerySyntaxError
from deskterm.query.syntax import TicketQuery, parse_query
from deskterm.screens.field_dialogs import (
    assign_dialog,
    field_change,
    priority_dialog,
    status_dialog,
    tags_dialog,
)
from deskterm.screens.host import DeskHost
from deskterm.screens.search_box import SearchBox
from deskterm.store.queries.catalog import list_agents
from deskterm.store.queries.records import AgentRecord, TicketPage, TicketRow
from deskterm.store.queries.ticket_view import TicketData, read_ticket
from deskterm.store.queries.tickets import count_tickets, list_tickets
from deskterm.store.search.filters import QueryContext
from deskterm.store.search.order import Cursor
from deskterm.views import KEYED, all_views
from deskterm.widgets.fmt import plain
from deskterm.widgets.ingest_line import IngestLine
from deskterm.widgets.key_footer import KeyFooter
from deskterm.widgets.sync_line import SyncLine
from deskterm.widgets.ticket_list import TicketList
from deskterm.widgets.view_bar import ViewBar

if TYPE_CHECKING:
    from deskterm.runtime.listener import SyncStatus
    from deskterm.screens.ticket import TicketScreen
    from deskterm.store.queries.mail import IngestStatus

TICKET_SCREEN = "ticket"
SEARCH_HINT = (
    "words status:open,pending priority:urgent assignee:me|none|NAME tag:billing "
    "from:ADDR customer:TEXT created>2026-01-01 updated<7d sla:breached due<2h sort:due"
)
CLOCK_SECONDS = 30.0  # countdowns and ages repaint this often (visible lines only)


BULK_ACTIONS = ("status", "priority", "assign", "tags")  # what x-marked tickets take


class QueueScreen(Screen[None]):
    """Tickets of the current view, narrowed by `/`; marks with x for bulk changes."""

    CSS_PATH = "queue.tcss"
    KEY_SCOPES = (keys.QUEUE,)
    BINDINGS: ClassVar[list[BindingType]] = list(keys.bindings(keys.QUEUE))

    class PageLoaded(Message):
        def __init__(self, generation: int, page: int, result: TicketPage) -> None:
            super().__init__()
            self.generation = generation
            self.page = page
            self.result = result

    class CountLoaded(Message):
        def __init__(self, token: int, index: int, count: int) -> None:
            super().__init__()
            self.token = token
            self.index = index
            self.count = count

    class Opened(Message):
        """A ticket was read to be opened."""

        def __init__(self, data: TicketData) -> None:
            super().__init__()
            self.data = data

    class AgentsLoaded(Message):
        def __init__(self, agents: list[AgentRecord]) -> None:
            super().__init__()
            self.agents = agents

    class BulkDone(Message):
        def __init__(self, numbers: list[int], changed: list[int], what: str) -> None:
            super().__init__()
            self.numbers = numbers
            self.changed = changed
            self.what = what

    def __init__(self, desk: DeskHost) -> None:
        super().__init__()
        self.desk = desk
        self.views: list[tuple[str, TicketQuery]] = []
        self.view_index = 0
        self.search_text = ""
        self.search_query: TicketQuery | None = None
        self.search_count: int | None = None
        self.agents: list[AgentRecord] = []
        self._count_token = 0
        self._count_after: int | None = None  # the list generation whose first page counts
        self._g_pending = False
        self._g_timer: Timer | None = None
        self._ticket_screen: TicketScreen | None = None

    @property
    def ticket_list(self) -> TicketList:
        return self.query_one("#tickets", TicketList)

    def compose(self) -> ComposeResult:
        yield ViewBar(id="views")
        yield Static(id="search-line")
        yield Static(id="mark-line")
        listed = TicketList(page_size=self.desk.config.ui.page_size, id="tickets")
        listed.sla = self.desk.sla
        yield listed
        yield IngestLine(id="ingest-line")
        yield SyncLine(id="sync-line")
        yield KeyFooter()

    def on_mount(self) -> None:
        configured = [(view.name, view.query) for view in self.desk.config.views]
        defs = all_views(configured, sla=self.desk.sla is not None, stored=self.desk.stored_views)
        self.views = [(view.name, parse_query(view.query)) for view in defs][:KEYED]
        bar = self.query_one(ViewBar)
        bar.names = tuple(name for name, _ in self.views)
        self.ticket_list.focus()
        self._reload()
        self._count_views()
        self._load_agents()
        self.set_interval(CLOCK_SECONDS, self.tick_clock, name="countdowns")
        status = self.desk.ingest_status
        if status is not None:
            self.show_ingest(status)
        if self.desk.sync_status is not None:
            self.show_sync(self.desk.sync_status)

    def tick_clock(self) -> None:
        """Time passed: repaint ages, countdowns and the mail lag (no query, no reload)."""
        now = self.desk.now()
        self.ticket_list.now = now
        self.query_one(IngestLine).now = now

    def show_ingest(self, status: IngestStatus) -> None:
        """New intake status; before the line is composed `on_mount` shows the app's."""
        for line in self.query(IngestLine):
            line.now = self.desk.now()
            line.status = status

    def show_sync(self, status: SyncStatus) -> None:
        """The replica's sync state; before the line is composed `on_mount` shows the app's."""
        for line in self.query(SyncLine):
            line.status = status

    # -- loading -------------------------------------------------------------------

    @property
    def current_query(self) -> TicketQuery:
        """The current view's query, narrowed by the search."""
        base = self.views[self.view_index][1]
        return base.merged(self.search_query) if self.search_query else base

    def _reload(self, *, keep_cursor: bool = False, ask: bool = True) -> int:
        """Read the current query anew (`ask=False`: the caller has its first page);
        returns the list's new generation."""
        ticket_list = self.ticket_list
        ticket_list.now = self.desk.now()
        generation = ticket_list.reset(keep_cursor=keep_cursor, ask=ask)
        self._show_search_line()
        self._show_total()
        return generation

    def on_ticket_list_page_requested(self, event: TicketList.PageRequested) -> None:
        event.stop()
        self._load_page(
            event.generation,
            event.page,
            event.after,
            self.current_query,
            self.desk.query_context(),
            self.ticket_list.page_size,
            event.from_bottom,
        )

    @work(thread=True, exit_on_error=False, group="pages")
    def _load_page(
        self,
        generation: int,
        page: int,
        after: Cursor | None,
        query: TicketQuery,
        ctx: QueryContext,
        limit: int,
        from_bottom: bool = False,
    ) -> None:
        store = self.desk.open_store_or_fail()
        try:
            result = list_tickets(store, query, ctx, after=after, limit=limit, reverse=from_bottom)
        except DesktermError:
            self.post_message(self.PageLoaded(generation, page, TicketPage((), None)))
            raise
        if not get_current_worker().is_cancelled:
            self.post_message(self.PageLoaded(generation, page, result))

    def on_queue_screen_page_loaded(self, event: PageLoaded) -> None:
        self._page_in(event.generation, event.page, event.result)

    def _page_in(self, generation: int, page: int, result: TicketPage) -> None:
        self.ticket_list.add_page(generation, page, result)
        if self._count_after is not None and generation >= self._count_after:
            self._count_views()  # (a later generation: G or a reload came first)

    def _count_after_first_page(self) -> None:
        """Count once the new search's first page is in: a count is O(matches) (130 ms of
        CPU for customer:acme at 1M, 1.4 s for thanks) and ran beside the page's query,
        slowing the rows the agent waits for."""
        self._count_token += 1  # the counts of the search before are stale already
        self.workers.cancel_group(self, "counts")
        self._count_after = self.ticket_list.generation

    def _count_views(self) -> None:
        self._count_after = None
        self._count_token += 1
        queries = [query for _, query in self.views]
        search = self.current_query if self.search_query else None
        self._count(self._count_token, queries, search, self.desk.query_context())

    @work(thread=True, exit_on_error=False, exclusive=True, group="counts")
    def _count(
        self,
        token: int,
        queries: Sequence[TicketQuery],
        search: TicketQuery | None,
        ctx: QueryContext,
    ) -> None:
        store = self.desk.open_store_or_fail()
        worker = get_current_worker()
        if search is not None:
            self.post_message(self.CountLoaded(token, -1, count_tickets(store, search, ctx)))
        for index, query in enumerate(queries):
            if worker.is_cancelled:
                return
            try:
                count = count_tickets(store, query, ctx)
            except DesktermError:
                count = 0  # e.g. assignee:me with no agent: the page load reports it
            self.post_message(self.CountLoaded(token, index, count))

    def on_queue_screen_count_loaded(self, event: CountLoaded) -> None:
        if event.token != self._count_token:
            return
        if event.index == -1:
            self.search_count = event.count
            self._show_search_line()
        else:
            bar = self.query_one(ViewBar)
            bar.counts = {**bar.counts, event.index: event.count}
        self._show_total()

    def _show_total(self) -> None:
        """The list's own count, for its "row N of M" (it draws no scrollbar)."""
        if self.search_query:
            self.ticket_list.total = self.search_count
        else:
            self.ticket_list.total = self.query_one(ViewBar).counts.get(self.view_index)

    @work(thread=True, exit_on_error=False, group="agents")
    def _load_agents(self) -> None:
        self.post_message(self.AgentsLoaded(list_agents(self.desk.open_store_or_fail())))

    def on_queue_screen_agents_loaded(self, event: AgentsLoaded) -> None:
        self.agents = event.agents

    def on_store_changed(self, numbers: tuple[int, ...]) -> None:
        """After any write (ours or, with no numbers, another process's): reload in place.

        The rows on screen stay until the fresh pages replace them.
        """
        if len(self.query("#tickets, #search-line")) < 2:  # being built or torn down
            return
        self._reload(keep_cursor=True)
        self._count_views()

    def _show_search_line(self) -> None:
        line = self.query_one("#search-line", Static)
        line.display = bool(self.search_query)
        if self.search_query:
            text = Text("/ ", end="")
            text.append_text(plain(self.search_text))
            count = "…" if self.search_count is None else str(self.search_count)
            text.append(f"   {count} match{'es' if count != '1' else ''} · escape clears")
            line.update(text)

    # -- moving ----------------------------------------------------------------------

    def _page_rows(self) -> int:
        return max(1, self.ticket_list.scrollable_content_region.height - 2)

    def action_cursor_down(self) -> None:
        self.ticket_list.move(1)

    def action_cursor_up(self) -> None:
        self.ticket_list.move(-1)

    def action_page_down(self) -> None:
        self.ticket_list.move(self._page_rows())

    def action_page_up(self) -> None:
        self.ticket_list.move(-self._page_rows())

    def action_top(self, now: bool = False) -> None:
        if now or self._g_pending:
            self._g_pending = False
            self.ticket_list.to_top()
            return
        self._g_pending = True
        if self._g_timer is not None:
            self._g_timer.stop()
        self._g_timer = self.set_timer(1.0, self._forget_g)

    def _forget_g(self) -> None:
        self._g_pending = False

    def action_bottom(self) -> None:
        self.ticket_list.to_bottom()

    def action_switch_view(self, index: int) -> None:
        if index >= len(self.views):
            self.notify(
                f"no view {index + 1}: there are {len(self.views)}"
                " (add one with `deskterm views add NAME QUERY` or [[views]] in the config)",
                markup=False,
            )
            return
        if index == self.view_index:
            return
        self.view_index = index
        self.query_one(ViewBar).active = index
        self.ticket_list.clear_marks()
        self._reload()
        if self.search_query:
            self._count_after_first_page()

    def action_refresh(self) -> None:
        self._reload(keep_cursor=True)
        self._count_views()

    # -- search ------------------------------------------------------------------------

    def action_search(self) -> None:
        name, base = self.views[self.view_index]
        ctx, limit = self.desk.query_context(), self.ticket_list.page_size
        box = SearchBox(
            f"Search in {name}",
            read=lambda text: self._read_first(base, ctx, limit, text),
            value=self.search_text,
            placeholder="e.g. refund tag:billing priority:urgent",
            hint=SEARCH_HINT,
            input_id="search-input",
        )
        self.app.push_screen(box, lambda text: self._search_done(text, box.first_page))

    def _read_first(
        self, base: TicketQuery, ctx: QueryContext, limit: int, text: str
    ) -> TicketPage | None:
        """The first page `text` searches in the view `base` (a worker's; None when it
        does not parse: `_search_done` says why)."""
        try:
            query = parse_query(text.strip()) if text.strip() else None
            if query is not None and not query.is_empty:
                base = base.merged(query)
            return list_tickets(self.desk.open_store_or_fail(), base, ctx, limit=limit)
        except DesktermError:
            return None

    def _search_done(self, text: str | None, first: TicketPage | None = None) -> None:
        if text is None:
            return
        text = text.strip()
        try:
            query = parse_query(text) if text else None
        except QuerySyntaxError as exc:
            self.desk.notify_error(str(exc))
            return
        self.search_text = text
        self.search_query = query if query and not query.is_empty else None
        self.search_count = None
        generation = self._reload(ask=first is None)
        self._count_after_first_page()
        if first is not None:  # read before the search box closed (`SearchBox`)
            self._page_in(generation, 0, first)

    def action_clear_search(self) -> None:
        if self.search_query is not None:
            self._search_done("")
        elif self.ticket_list.marked:
            self.ticket_list.clear_marks()

    # -- tickets -----------------------------------------------------------------------

    def action_open_ticket(self) -> None:
        row = self.ticket_list.current_row
        if row is not None:
            self._open(row.number)

    @work(thread=True, exit_on_error=False, exclusive=True, group="open")
    def _open(self, number: int) -> None:
        """Read the ticket first: the ticket screen's first frame then shows it."""
        self.post_message(self.Opened(read_ticket(self.desk.open_store_or_fail(), number)))

    def on_queue_screen_opened(self, event: Opened) -> None:
        """Open the ticket in the one ticket screen, built on first use and kept installed.

        Building a ticket screen (composer, panes, styles) cost ~35 ms of every open.
        """
        from deskterm.screens.ticket import TicketScreen  # first use: keeps start-up light

        if not self.is_current:
            return  # the agent went elsewhere meanwhile
        number = event.data.detail.ticket.number
        if self._ticket_screen is None:
            self._ticket_screen = TicketScreen(self.desk, number, self._step, event.data)
            self.app.install_screen(self._ticket_screen, name=TICKET_SCREEN)
        else:
            self._ticket_screen.open(number, event.data)
        self.app.push_screen(self._ticket_screen)

    def _step(self, number: int, delta: int) -> TicketRow | None:
        return self.ticket_list.step_from(number, delta)

    def on_ticket_list_marks_changed(self, event: TicketList.MarksChanged) -> None:
        """Say how many are marked and which keys act on them."""
        line = self.query_one("#mark-line", Static)
        line.display = event.count > 0
        if event.count:
            bulk = [
                active.binding
                for active in self.active_bindings.values()
                if active.binding.action in BULK_ACTIONS
            ]
            keys = "  ".join(f"{self.app.get_key_display(b)} {b.description}" for b in bulk)
            line.update(
                Text(f"{event.count} marked · {keys} act on them · x unmarks · escape clears")
            )

    def action_mark(self) -> None:
        self.ticket_list.toggle_mark()
        self.ticket_list.move(1)

    def _targets(self) -> list[int]:
        marked = list(self.ticket_list.marked)
        if marked:
            return marked
        row = self.ticket_list.current_row
        return [row.number] if row else []

    def _title(self, what: str, numbers: list[int]) -> str:
        return f"{what}: #{numbers[0]}" if len(numbers) == 1 else f"{what}: {len(numbers)} tickets"

    def action_status(self) -> None:
        numbers = self._targets()
        if numbers:
            self.app.push_screen(
                status_dialog(self._title("Status", numbers)),
                lambda v: self._bulk(numbers, "status", v),
            )

    def action_priority(self) -> None:
        numbers = self._targets()
        if numbers:
            self.app.push_screen(
                priority_dialog(self._title("Priority", numbers)),
                lambda v: self._bulk(numbers, "priority", v),
            )

    def action_assign(self) -> None:
        numbers = self._targets()
        if numbers:
            self.app.push_screen(
                assign_dialog(self._title("Assign", numbers), self.agents),
                lambda v: self._bulk(numbers, "assignee", v),
            )

    def action_tags(self) -> None:
        numbers = self._targets()
        if not numbers:
            return
        known = sorted(
            {tag for row in self._loaded_rows() for tag in row.tags}
            | {f"-{tag}" for row in self._loaded_rows() for tag in row.tags}
        )
        self.app.push_screen(
            tags_dialog(self._title("Tags", numbers), known),
            lambda v: self._bulk(numbers, "tags", v),
        )

    def _loaded_rows(self) -> list[TicketRow]:
        rows = []
        for index in range(min(self.ticket_list.row_count, 500)):
            row = self.ticket_list.row_at(index)
            if row is not None:
                rows.append(row)
        return rows

    def _bulk(self, numbers: list[int], what: str, value: str | None) -> None:
        kwargs = field_change(what, value)
        if kwargs is not None:
            self._update(numbers, what, kwargs)

    @work(thread=True, exit_on_error=False, group="write")
    def _update(self, numbers: list[int], what: str, kwargs: dict[str, Any]) -> None:
        changed = self.desk.service().update_tickets(numbers, **kwargs)
        self.post_message(self.BulkDone(numbers, changed, what))

    def on_queue_screen_bulk_done(self, event: BulkDone) -> None:
        self.ticket_list.clear_marks()
        count = len(event.changed)
        self.notify(f"{event.what}: {count} ticket{'s' if count != 1 else ''} changed")
        self.desk.store_changed(event.numbers)
