"""The reports' charts: volume and backlog over time, first-reply times, volume by tag."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Grid
from textual_plotext import PlotextPlot

from deskterm.reports.display import show_duration
from deskterm.reports.model import Report
from deskterm.safetext import line

TOP_TAGS = 8


class ReportCharts(Grid):
    """Four plots; `show` draws a report into them."""

    def compose(self) -> ComposeResult:
        yield PlotextPlot(id="chart-volume")
        yield PlotextPlot(id="chart-backlog")
        yield PlotextPlot(id="chart-first-reply")
        yield PlotextPlot(id="chart-tags")

    def show(self, report: Report) -> None:
        days = report.days
        labels = [d.start.strftime("%m-%d") for d in days]
        x = list(range(1, len(days) + 1))
        ticks = _ticks(x, labels)

        volume = self.query_one("#chart-volume", PlotextPlot).plt
        volume.clear_data()
        volume.clear_figure()
        volume.title("New and solved a day")
        volume.plot(x, [d.new for d in days], label="new", marker="braille")
        volume.plot(x, [d.solved for d in days], label="solved", marker="braille")
        volume.xticks(ticks[0], ticks[1])
        volume.ylim(0, max([1, *(max(d.new, d.solved) for d in days)]))

        backlog = self.query_one("#chart-backlog", PlotextPlot).plt
        backlog.clear_data()
        backlog.clear_figure()
        backlog.title("Backlog at the end of each day")
        backlog.plot(x, [d.backlog for d in days], marker="braille")
        backlog.xticks(ticks[0], ticks[1])
        backlog.ylim(0, max([1, *(d.backlog for d in days)]))

        first = self.query_one("#chart-first-reply", PlotextPlot).plt
        first.clear_data()
        first.clear_figure()
        first.title("First reply times (tickets)")
        bins = report.first_reply_bins
        if bins:
            first.bar([show_duration(hi) for _lo, hi, _n in bins], [n for *_, n in bins])

        tags = self.query_one("#chart-tags", PlotextPlot).plt
        tags.clear_data()
        tags.clear_figure()
        tags.title("New tickets by tag")
        top = sorted(report.tags, key=lambda r: -int(r.values.get("new") or 0))[:TOP_TAGS]
        if top:
            tags.bar(
                [line(r.key)[:12] for r in top],
                [int(r.values.get("new") or 0) for r in top],
                orientation="horizontal",
            )
        for plot in self.query(PlotextPlot):
            plot.refresh()


def _ticks(x: list[int], labels: list[str]) -> tuple[list[float], list[str]]:
    """At most six date labels along the axis."""
    step = max(1, len(x) // 6)
    return [float(v) for v in x[::step]], labels[::step]
