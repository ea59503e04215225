"""Who else is on the ticket shown: viewing or replying, live from the server's stream."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.text import Text
from textual.widgets import Static

from deskterm.widgets.fmt import plain


class PresenceBar(Static):
    """Hidden while nobody else is here; agents' names are untrusted text (never markup)."""

    DEFAULT_CSS = """
    PresenceBar { display: none; height: 1; padding: 0 1; color: $warning; }
    """

    def show_agents(self, agents: Sequence[dict[str, Any]]) -> None:
        if not agents:
            self.display = False
            return
        text = Text("Also here: ", end="")
        for i, agent in enumerate(agents):
            if i:
                text.append(", ")
            text.append_text(plain(str(agent["name"]), style="bold"))
            text.append(" replying" if agent["state"] == "replying" else " viewing")
        self.update(text)
        self.display = True
