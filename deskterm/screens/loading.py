"""What shows while the store opens (usually for a few milliseconds)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Static


class LoadingScreen(Screen[None]):
    KEY_SCOPES = ()

    def compose(self) -> ComposeResult:
        yield Static("deskterm: opening the store…", id="loading")
