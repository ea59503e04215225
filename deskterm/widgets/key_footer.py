"""The key footer, rebuilt only when the keys it shows change.

Textual's Footer recomposes (twenty key widgets, each styled one by one) whenever
the screen publishes its bindings, which it does on every return to the screen:
closing the search box, leaving a ticket. On a 2,000-ticket store that rebuild was
~140 ms of the ~210 ms from Enter in the search box to the results painted: the
page of results waited behind it on the UI thread.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

from textual.app import ComposeResult
from textual.widgets import Footer


class KeyFooter(Footer):
    """A Footer that keeps its key widgets while the screen's shown keys stay the same."""

    _shown: tuple[Hashable, ...] | None = None  # the keys of the last compose

    def _keys(self, screen: Any) -> tuple[Hashable, ...]:
        """What compose reads from the screen's bindings, for every key it may show."""
        palette = self.app.COMMAND_PALETTE_BINDING
        return tuple(
            (
                key,
                self.app.get_key_display(binding),
                binding.description,
                binding.action,
                binding.group,
                enabled,
                tooltip,
            )
            for key, (_, binding, enabled, tooltip) in screen.active_bindings.items()
            if binding.show or key == palette
        )

    def compose(self) -> ComposeResult:
        self._shown = self._keys(self.screen) if self._bindings_ready else None
        yield from super().compose()

    def bindings_changed(self, screen: Any) -> None:
        if self._shown is not None and screen is self.screen and self._keys(screen) == self._shown:
            return
        super().bindings_changed(screen)
