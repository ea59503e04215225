"""The row of queue views with their live counts; the screen sets what it shows."""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from deskterm.widgets.fmt import plain


class ViewBar(Widget):
    """`1 My open 12  2 Unassigned 3 ...`, the current view highlighted."""

    COMPONENT_CLASSES = {"view-bar--active", "view-bar--key", "view-bar--count"}  # noqa: RUF012
    DEFAULT_CSS = """
    ViewBar { height: 1; }
    """

    names: reactive[tuple[str, ...]] = reactive(())
    """View names, in key order."""
    counts: reactive[dict[int, int]] = reactive(dict, always_update=True)
    """Ticket count per view index (missing while counting)."""
    active = reactive(0)
    """The index of the current view."""

    def render(self) -> Text:
        out = Text(no_wrap=True, overflow="ellipsis", end="")
        key_style = self.get_component_rich_style("view-bar--key")
        count_style = self.get_component_rich_style("view-bar--count")
        active_style = self.get_component_rich_style("view-bar--active")
        for index, name in enumerate(self.names):
            part = Text(end="")
            part.append(f" {index + 1} ", key_style)
            part.append_text(plain(name))
            count = self.counts.get(index)
            part.append(f" {count if count is not None else '…'} ", count_style)
            if index == self.active:
                part.stylize(active_style)
            out.append_text(part)
            out.append(" ")
        return out
