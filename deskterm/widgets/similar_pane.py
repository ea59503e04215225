"""Solved tickets like the open one, each with why it was picked: under the customer pane."""

from __future__ import annotations

from rich.text import Text
from textual.widget import Widget

from deskterm.store.queries.similar import SimilarTicket
from deskterm.widgets.fmt import plain


class SimilarPane(Widget):
    """Filled by the ticket screen with `show`; subjects and reasons render as plain text."""

    COMPONENT_CLASSES = {"similar-pane--title", "similar-pane--dim"}  # noqa: RUF012
    DEFAULT_CSS = """
    SimilarPane { height: auto; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._rows: list[SimilarTicket] | None = None
        self._why_none: str | None = None

    def show(self, rows: list[SimilarTicket] | None, why_none: str | None = None) -> None:
        """`rows` best first; None while they are being read. `why_none`: the line said
        instead when history is too short to look."""
        self._rows, self._why_none = rows, why_none
        self.refresh(layout=True)

    def render(self) -> Text:
        title = self.get_component_rich_style("similar-pane--title")
        dim = self.get_component_rich_style("similar-pane--dim")
        out = Text("\nSimilar solved tickets\n", title, end="")
        if self._rows is None:
            out.append("reading…", dim)
            return out
        if not self._rows:
            out.append(self._why_none or "none yet: no solved ticket shares enough words", dim)
            return out
        for row in self._rows:
            line = Text(f"#{row.number} {row.score:.0%} ", end="")
            line.stylize(dim)
            line.append_text(plain(row.subject))
            out.append_text(line)
            out.append("\n")
            why = plain("  " + "; ".join(row.reasons))
            why.stylize(dim)
            out.append_text(why)
            out.append("\n")
        return out
