"""One KPI: its name, its value this period, and the change against the period before."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from deskterm.reports.display import NO_DATA, show_value


class KpiTile(Static):
    """A small box; `-no-data` when there is nothing to show (never a made-up zero)."""

    DEFAULT_CSS = """
    KpiTile { height: 4; padding: 0 1; }
    """

    def __init__(self, name: str, label: str, *, id: str | None = None) -> None:
        super().__init__(Text(label, style="dim"), id=id)
        self.kpi = name
        self.label = label
        self.border_title = label

    def show(self, value: float | int | None, change: float | None) -> None:
        """Paint the value; the change against the period before reads `+12` or `-3m`."""
        text = Text(show_value(self.kpi, value), style="bold")
        if value is not None:
            text.append("\n")
            text.append(f"{show_value(self.kpi, change, change=True)} vs prev", style="dim")
        self.set_class(value is None, "-no-data")
        self.update(text)

    @property
    def value_text(self) -> str:
        """What the tile shows (tests read it)."""
        rendered = self.render()
        plain = rendered.plain if isinstance(rendered, Text) else str(rendered)
        return plain.split("\n", 1)[0] if plain else NO_DATA
