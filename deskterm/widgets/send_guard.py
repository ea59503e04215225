"""The send guard's stop: what arrived on the ticket while the agent was writing."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.widgets import Static

from deskterm.store.queries.arrivals import Arrival
from deskterm.widgets.fmt import plain

SHOWN = 3  # arrivals listed; more are counted
EXCERPT = 100  # characters of each arrival's first line


def _first_line(text: str) -> str:
    return next((ln.strip() for ln in text.splitlines() if ln.strip()), "")[:EXCERPT]


class SendGuard(Static):
    """Hidden until a send is stopped; names each arrival (untrusted text, never markup)."""

    DEFAULT_CSS = """
    SendGuard { display: none; height: auto; padding: 0 1; border-top: hkey $error; }
    """

    def stop(self, arrived: Sequence[Arrival], send_key: str) -> None:
        text = Text(
            f"Not sent: {len(arrived)} new message(s) arrived while you wrote", style="bold"
        )
        text.append(f" · {send_key} sends anyway, as written\n")
        for item in arrived[-SHOWN:]:
            who = "customer" if item.kind == "customer" else "reply by"
            text.append(f"  {who} ")
            text.append_text(plain(item.author, style="bold"))
            text.append(": ")
            text.append_text(plain(_first_line(item.body_text)))
            text.append("\n")
        if len(arrived) > SHOWN:
            text.append(f"  and {len(arrived) - SHOWN} more in the thread above\n")
        text.rstrip()
        self.update(text)
        self.display = True

    def clear(self) -> None:
        self.display = False
