"""`R`: the support KPIs of a period as tiles, charts and a table, read in a worker.

The screen paints at once with a loading line; the report (a few hundred rollup
rows, whatever the store's size) arrives by message, and only the newest asked
for is shown when keys switch periods quickly. The worker also works out the
period: "today" is the report calendar's today, stored with the rollups.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Grid, VerticalScroll
from textual.message import Message
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import DataTable, Static

from deskterm import keys
from deskterm.widgets.key_footer import KeyFooter
from deskterm.widgets.kpi_tile import KpiTile
from deskterm.widgets.report_charts import ReportCharts

if TYPE_CHECKING:
    from deskterm.reports.model import Period, Report
    from deskterm.screens.host import DeskHost
    from deskterm.store.schema.db import Store

# (key in PERIODS, label): what the period keys choose.
PERIODS = {
    "today": "today",
    "7d": "7 days",
    "30d": "30 days",
    "quarter": "quarter",
    "all": "all time",
}
GROUPINGS = ("agent", "tag", "group", "channel", "mailbox")
TILES = (  # (KPI field, label: at most 13 characters, the border of a tile at 80 columns)
    ("new", "New"),
    ("solved", "Solved"),
    ("first_reply_business_median_s", "1st reply bus"),
    ("first_reply_calendar_median_s", "1st reply cal"),
    ("resolution_business_median_s", "Resolve bus"),
    ("sla_first_reply_met_pct", "SLA 1st reply"),
    ("backlog", "Backlog"),
    ("fcr_pct", "FCR"),
    ("reopen_rate_pct", "Reopen rate"),
    ("csat_good_pct", "CSAT good"),
    ("utilization_pct", "Utilization"),
    ("cost_per_ticket", "Cost/ticket"),
    ("happiness_score", "Happiness"),
    ("effort_avg", "Effort (1-7)"),
    ("kb_views", "KB views"),
    ("deflection_pct", "Deflection"),
)


class ReportsScreen(Screen[None]):
    """KPI tiles with the change against the period before, charts, and a table."""

    CSS_PATH = "reports.tcss"
    KEY_SCOPES = (keys.REPORTS,)
    BINDINGS: ClassVar[list[BindingType]] = list(keys.bindings(keys.REPORTS))

    period_name: reactive[str] = reactive("30d")
    """Which period the keys chose (a key of PERIODS, or "custom")."""
    custom: reactive[str] = reactive("")
    """The period typed after `c`, as typed (shown while period_name is "custom")."""
    grouping: reactive[str] = reactive("agent")
    """What the table's rows are."""

    class Loaded(Message):
        """A report was read (for `asked`, the request it answers)."""

        def __init__(self, asked: tuple[str, str, str], report: Report) -> None:
            super().__init__()
            self.asked = asked
            self.report = report

    class Failed(Message):
        """The report could not be read (an old store without rollups, a locked store)."""

        def __init__(self, asked: tuple[str, str, str], error: str) -> None:
            super().__init__()
            self.asked = asked
            self.error = error

    def __init__(self, host: DeskHost) -> None:
        super().__init__()
        self.host = host
        self.shown: Period | None = None
        """The period of the report on screen."""

    def compose(self) -> ComposeResult:
        yield Static("", id="report-title")
        with VerticalScroll(id="report-body"):
            with Grid(id="report-tiles"):
                for name, label in TILES:
                    yield KpiTile(name, label, id=f"tile-{name.replace('_', '-')}")
            yield ReportCharts(id="report-charts")
            yield DataTable(id="report-table", cursor_type="row", zebra_stripes=True)
        yield KeyFooter()

    def on_mount(self) -> None:
        self.add_class("-empty")  # until the first report: a light first frame
        self._load()

    def watch_period_name(self) -> None:
        if self.is_mounted:
            self._load()

    def watch_grouping(self) -> None:
        if self.is_mounted:
            self._load()

    def watch_custom(self) -> None:
        if self.is_mounted and self.period_name == "custom":
            self._load()

    def _label(self) -> str:
        return self.custom if self.period_name == "custom" else PERIODS[self.period_name]

    def _asked(self) -> tuple[str, str, str]:
        return (self.period_name, self.custom, self.grouping)

    def _load(self) -> None:
        label = self._label()
        self.query_one("#report-title", Static).update(
            Text(f"Reports · {label} · loading…", style="bold")
        )
        self.add_class("-loading")
        self._read(self._asked(), self.host.now())

    @work(thread=True, exclusive=True, group="report", exit_on_error=False)
    def _read(self, asked: tuple[str, str, str], now: datetime) -> None:
        from deskterm.errors import DesktermError
        from deskterm.store.queries.report_feedback import store_feedback
        from deskterm.store.queries.reports import ReportSettings, build_report

        name, custom, by = asked
        try:
            store = self.host.open_store_or_fail()
            self.host.service().catch_up_reports()
            period, compare = _period_of(store, name, custom, now)
            cost = self.host.config.report.cost_per_agent_hour or None
            report = build_report(
                store, period, by=by, settings=ReportSettings(cost, store_feedback), compare=compare
            )
        except DesktermError as exc:
            self.post_message(self.Failed(asked, str(exc)))
            return
        self.post_message(self.Loaded(asked, report))

    @on(Failed)
    def _failed(self, event: Failed) -> None:
        from deskterm.safetext import line

        if event.asked != self._asked():
            return
        self.remove_class("-loading")
        self.query_one("#report-title", Static).update(
            Text.assemble((f"Reports · {self._label()} · ", "bold"), line(event.error))
        )

    @on(Loaded)
    def _show(self, event: Loaded) -> None:
        if event.asked != self._asked():
            return  # a later key asked for another report
        report = event.report
        self.shown = report.period
        self.remove_class("-loading", "-empty")
        p, named = report.period, PERIODS.get(self.period_name)  # custom: its dates say it
        self.query_one("#report-title", Static).update(
            Text.assemble(
                (f"Reports · {named} " if named else "Reports · ", "bold"),
                f"{p.since} .. {p.until} · business time: {report.calendar.split(',')[0]})",
            )
        )
        for name, _label in TILES:
            tile = self.query_one(f"#tile-{name.replace('_', '-')}", KpiTile)
            tile.show(report.current[name], report.change(name))
        self.query_one(ReportCharts).show(report)
        self._fill_table(report)

    def _fill_table(self, report: Report) -> None:
        from deskterm.reports.display import show_value
        from deskterm.safetext import line

        table = self.query_one("#report-table", DataTable)
        table.clear(columns=True)
        rows = [r.to_json() for r in report.rows]
        if not rows:
            table.add_column(self.grouping)
            table.add_row(Text("no data", style="dim"))
            return
        names = list(rows[0])
        for name in names:
            table.add_column(name.removesuffix("_s").replace("_", " "), key=name)
        for row in rows:
            table.add_row(*(Text(line(show_value(n, row[n]))) for n in names))

    def action_period(self, name: str) -> None:
        self.period_name = name

    def action_custom_period(self) -> None:
        from deskterm.screens.modals import TextModal

        shown = self.shown
        self.app.push_screen(
            TextModal(
                "Custom period",
                value=f"{shown.since}..{shown.until}" if shown else "",
                placeholder="2026-11-01..2026-11-30",
                hint="SINCE..UNTIL or SINCE: YYYY-MM-DD, today, or a length like 14d or 12w",
            ),
            self._set_custom,
        )

    def _set_custom(self, text: str | None) -> None:
        from deskterm.errors import UsageError
        from deskterm.reports.model import parse_period

        if not text:
            return
        if text.strip().lower() == "all":
            self.period_name = "all"  # where all time starts is the worker's to read
            return
        try:  # refused here, at once; the worker reads it again on the calendar's today
            parse_period(text, self.host.now().date(), None)
        except UsageError as exc:
            self.notify(str(exc), severity="error", markup=False)
            return
        self.custom = text.strip()
        self.period_name = "custom"

    def action_grouping(self) -> None:
        self.grouping = GROUPINGS[(GROUPINGS.index(self.grouping) + 1) % len(GROUPINGS)]

    def action_back(self) -> None:
        self.dismiss()


def _period_of(store: Store, name: str, custom: str, now: datetime) -> tuple[Period, bool]:
    """The period a key or the custom text names, on the report calendar's today, and
    whether it has a period before it to compare with (all time has none)."""
    from deskterm.reports.model import Period, parse_period
    from deskterm.store.queries.reports import first_day, report_today

    today = report_today(store, now)
    if name == "custom":
        return parse_period(custom, today, first_day(store)), True
    days = {"today": 1, "7d": 7, "30d": 30, "quarter": 91}.get(name)
    if days is None:
        return Period(min(first_day(store) or today, today), today), False
    return Period(today - timedelta(days=days - 1), today), True
