"""The agent app: opens the store in a worker, then shows the queue.

`run_app` is what `deskterm` and `deskterm demo` call. The app owns what every
screen shares: the store, who "me" is, the clock, the drafts and the one
handler that turns failed workers into one-line notifications.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from textual import on, work
from textual.app import App
from textual.binding import BindingType
from textual.command import Provider
from textual.message import Message
from textual.screen import Screen
from textual.worker import Worker, WorkerState

from deskterm import keys, safetext
from deskterm.config import Config
from deskterm.drafts import Drafts, drafts_path
from deskterm.errors import DesktermError, NotFoundError
from deskterm.store.db import Store, open_store
from deskterm.store.queries import QueryContext, find_agent, list_agents
from deskterm.store.records import AgentRecord
from deskterm.store.timefmt import utcnow

if TYPE_CHECKING:
    from deskterm.store.service import Service

Clock = Callable[[], datetime]


def _actions_provider() -> type[Provider]:
    from deskterm.screens.commands import ActionsProvider

    return ActionsProvider


class DesktermApp(App[None]):
    """A keyboard-first help desk over one store."""

    CSS_PATH = "app.tcss"
    TITLE = "deskterm"
    BINDINGS: ClassVar[list[BindingType]] = list(keys.bindings(keys.APP))
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (110, "-wide")]  # noqa: RUF012
    COMMANDS = {*App.COMMANDS, _actions_provider}  # noqa: RUF012  # Textual's class attribute

    class Opened(Message):
        """The store is open and we know who is working."""

        def __init__(self, store: Store, me: AgentRecord | None, drafts: Drafts) -> None:
            super().__init__()
            self.store = store
            self.me = me
            self.drafts = drafts

    def __init__(self, store_path: Path, config: Config, *, clock: Clock | None = None) -> None:
        super().__init__()
        self.store_path = store_path
        self.config = config
        self.clock: Clock = clock or utcnow
        self.store: Store | None = None
        self.me: AgentRecord | None = None
        self.drafts = Drafts(drafts_path(store_path))

    def get_default_screen(self) -> Screen[None]:
        from deskterm.screens.loading import LoadingScreen

        return LoadingScreen()

    def on_mount(self) -> None:
        if self.config.ui.theme in self.available_themes:
            self.theme = self.config.ui.theme
        else:
            self.notify_error(f"unknown theme {self.config.ui.theme!r}; using the default")
        if self.config.keys:
            self.set_keymap(dict(self.config.keys))
            unknown = keys.unknown_ids(self.config.keys)
            if unknown:
                self.notify_error(f"[keys]: unknown action id {unknown[0]!r} (see ? for the ids)")
        self._open_store()

    @work(thread=True, exit_on_error=False, group="open")
    def _open_store(self) -> None:
        store = open_store(self.store_path)
        me: AgentRecord | None = None
        email = self.config.agent.email
        if email:
            try:
                me = find_agent(store, email)
            except NotFoundError:
                me = None
        if me is None:
            agents = list_agents(store)
            me = next((a for a in agents if a.role == "admin"), None)
        drafts = Drafts.load(drafts_path(self.store_path))
        self.post_message(self.Opened(store, me, drafts))
        # The write path imports SQLAlchemy (~1.5 s): warm it here, off the UI thread,
        # so the first send does not wait for it and start-up does not either.
        import deskterm.store.service  # noqa: F401

    def on_deskterm_app_opened(self, event: Opened) -> None:
        from deskterm.screens.queue import QueueScreen

        self.store = event.store
        self.me = event.me
        self.drafts = event.drafts
        if event.me is None:
            self.notify_error("no agent matches [agent] email and the store has no admin")
        self.push_screen(QueueScreen())

    # -- shared services for screens ---------------------------------------------

    def now(self) -> datetime:
        return self.clock()

    def query_context(self) -> QueryContext:
        return QueryContext(self.me.id if self.me else None, self.clock())

    def service(self) -> Service:
        """A Service acting as "me"; build it inside the worker that uses it."""
        from deskterm.store.service import Actor, Service

        if self.store is None:
            raise DesktermError("the store is not open yet")
        actor = Actor(self.me.id, self.me.name) if self.me else Actor.system()
        return Service(self.store, actor, clock=self.clock)

    def open_store_or_fail(self) -> Store:
        if self.store is None:
            raise DesktermError("the store is not open yet")
        return self.store

    def notify_error(self, text: str) -> None:
        self.notify(safetext.line(text), severity="error", markup=False)

    def store_changed(self, numbers: Iterable[int]) -> None:
        """One write finished: every screen on the stack refreshes what it shows."""
        changed = tuple(numbers)
        for screen in self.screen_stack:
            handler = getattr(screen, "on_store_changed", None)
            if callable(handler):
                handler(changed)

    # -- drafts -------------------------------------------------------------------

    def save_drafts(self) -> None:
        if self.drafts.dirty:
            version, data = self.drafts.snapshot()
            self._write_drafts(version, data)

    @work(thread=True, exit_on_error=False, group="drafts")
    def _write_drafts(self, version: int, data: dict[str, dict[str, Any]]) -> None:
        self.drafts.save(version, data)

    def on_unmount(self) -> None:
        try:
            self.drafts.flush()
        except OSError as exc:  # at exit there is no screen left to tell
            self.log.error(f"drafts not saved: {exc}")
        if self.store is not None:
            self.store.close()

    # -- failures -------------------------------------------------------------------

    @on(Worker.StateChanged)
    def _worker_failed(self, event: Worker.StateChanged) -> None:
        if event.state != WorkerState.ERROR:
            return
        error = event.worker.error
        if isinstance(error, DesktermError):
            self.notify_error(str(error))
        else:
            self.log.error(repr(error))
            self.notify_error(f"unexpected error: {type(error).__name__}: {error}")

    # -- actions --------------------------------------------------------------------

    def action_help(self) -> None:
        from deskterm.screens.help import HelpModal

        if isinstance(self.screen, HelpModal):
            self.screen.dismiss()
            return
        scopes: tuple[str, ...] = getattr(self.screen, "KEY_SCOPES", ())
        self.push_screen(HelpModal((*scopes, keys.APP), dict(self.config.keys)))


def run_app(store_path: Path, config: Config) -> None:
    """Open the app on `store_path` until the agent quits."""
    DesktermApp(store_path, config).run()
