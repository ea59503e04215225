"""ctrl+p: every action of the current screen from the binding table, plus the views."""

from __future__ import annotations

from collections.abc import AsyncIterator
from functools import partial

from textual.command import DiscoveryHit, Hit, Provider

from deskterm import keys


class ActionsProvider(Provider):
    """Offers the actions of `keys.TABLE` that apply to the screen the palette opened on."""

    def _commands(self) -> list[tuple[str, str, str]]:
        """(title, help, action) for the screen under the palette."""
        screen = self.screen
        scopes: tuple[str, ...] = getattr(screen, "KEY_SCOPES", ())
        keymap = dict(self.app.config.keys) if hasattr(self.app, "config") else {}
        out = []
        for scope in (*scopes, keys.APP):
            for spec in keys.specs(scope):
                if spec.action == "command_palette":
                    continue
                key_text = keys.display_keys(keymap.get(spec.id, spec.keys))
                action = f"app.{spec.action}" if scope == keys.APP else spec.action
                out.append((spec.description, f"{key_text}  ({spec.id})", action))
        return out

    async def _run(self, action: str) -> None:
        await self.screen.run_action(action)

    async def discover(self) -> AsyncIterator[DiscoveryHit]:
        for title, help_text, action in self._commands():
            yield DiscoveryHit(title, partial(self._run, action), help=help_text)

    async def search(self, query: str) -> AsyncIterator[Hit]:
        matcher = self.matcher(query)
        for title, help_text, action in self._commands():
            score = matcher.match(title)
            if score > 0:
                yield Hit(
                    score, matcher.highlight(title), partial(self._run, action), help=help_text
                )
