"""The agent app: opens the store in a worker, then shows the queue.

`run_app` is what `deskterm` and `deskterm demo` call. The app owns what every
screen shares: the runtime (store, Service, solo mode's background work), who
"me" is, the drafts and the one handler that turns failures into one-line
notifications.
"""

from __future__ import annotations

import gc
import importlib
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from textual import events, on, work
from textual.app import App
from textual.binding import BindingType
from textual.command import Provider
from textual.message import Message
from textual.screen import Screen
from textual.worker import Worker, WorkerState

from deskterm import keys, safetext
from deskterm.config import Config
from deskterm.drafts import Drafts, drafts_path
from deskterm.errors import DesktermError
from deskterm.reports.active_time import ActiveTime
from deskterm.runtime import Runtime, Timings
from deskterm.store.queries.records import AgentRecord
from deskterm.store.schema.db import Store
from deskterm.store.search.filters import QueryContext

if TYPE_CHECKING:
    from deskterm.channels.sender import SendReport
    from deskterm.runtime.listener import SyncStatus
    from deskterm.sla.policy import SlaSettings
    from deskterm.store.queries.mail import IngestStatus
    from deskterm.store.service import Service

Clock = Callable[[], datetime]
GC_THRESHOLD = (20_000, 50, 100)  # see _settle_memory
# Screens imported in the background once the queue is up (see _warm_up), most used first.
WARM_MODULES = (
    "deskterm.screens.ticket",
    "deskterm.screens.reports",
    "deskterm.store.queries.reports",
)
DEFAULT_TIMINGS = Timings()


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

        def __init__(self, me: AgentRecord | None, drafts: Drafts) -> None:
            super().__init__()
            self.me = me
            self.drafts = drafts

    class StoreTouched(Message):
        """Another connection committed (new mail, the CLI, a rule run)."""

    class SendReported(Message):
        """The sender finished a pass that did something (or failed)."""

        def __init__(self, report: SendReport) -> None:
            super().__init__()
            self.report = report

    class BackgroundWritten(Message):
        """The minute loop changed tickets (a time rule fired, a breach was recorded)."""

        def __init__(self, numbers: list[int], errors: list[str]) -> None:
            super().__init__()
            self.numbers = numbers
            self.errors = errors

    class BackgroundFailed(Message):
        """A background job failed (said once per failure)."""

        def __init__(self, error: BaseException) -> None:
            super().__init__()
            self.error = error

    class SyncChanged(Message):
        """A replica's sync state moved (the footer's sync line)."""

        def __init__(self, status: SyncStatus) -> None:
            super().__init__()
            self.status = status

    class PresenceSeen(Message):
        """Who is on ticket `number` now, as the server's stream said."""

        def __init__(self, number: int, agents: list[dict[str, Any]]) -> None:
            super().__init__()
            self.number = number
            self.agents = agents

    class IngestRead(Message):
        """Mail intake status, read after a change."""

        def __init__(self, status: IngestStatus) -> None:
            super().__init__()
            self.status = status

    def __init__(
        self,
        store_path: Path,
        config: Config,
        *,
        clock: Clock | None = None,
        poll_seconds: float = DEFAULT_TIMINGS.poll,
        minute_seconds: float = DEFAULT_TIMINGS.minute,
        sender_seconds: float = DEFAULT_TIMINGS.sender,
    ) -> None:
        super().__init__()
        self.runtime = Runtime(
            config,
            store_path,
            clock=clock,
            timings=Timings(poll=poll_seconds, minute=minute_seconds, sender=sender_seconds),
        )
        self.config = config
        self.me: AgentRecord | None = None
        self.stored_views: list[tuple[str, str]] = []  # `deskterm views add`, read on open
        self.ingest_status: IngestStatus | None = None
        self.sync_status: SyncStatus | None = None  # None: not a replica
        self.drafts = Drafts(drafts_path(store_path))
        self._gc_threshold: tuple[int, int, int] | None = None  # the collector's, while tuned
        self._last_send_error = ""

    @property
    def sla(self) -> SlaSettings | None:
        """The configured SLA policies (None: no `[[sla.policy]]`, no due column)."""
        return self.runtime.sla

    def get_default_screen(self) -> Screen[None]:
        from deskterm.screens.loading import LoadingScreen

        return LoadingScreen()

    @work(thread=True, exit_on_error=False, group="warm-up")
    def _warm_up(self) -> None:
        """Import the ticket screen (~65 ms) and the reports screen with its charts and
        queries now, not when the agent opens the first ticket or presses `R`."""
        for module in WARM_MODULES:
            importlib.import_module(module)

    def _settle_memory(self) -> None:
        """Take the start-up objects out of the collector's full passes, and run them less.

        Each frame allocates thousands of strips; the default thresholds ran a full
        collection over every object of the app every few page-downs, 50-140 ms in
        the middle of a frame. Undone at exit (tests run many apps in one process).
        """
        gc.freeze()  # no collect first: a full pass here would delay the first rows
        self._gc_threshold = gc.get_threshold()
        gc.set_threshold(*GC_THRESHOLD)

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
        # Time in $EDITOR or with the app suspended is not counted as time on the ticket.
        self.app_resume_signal.subscribe(self, lambda _app: self._ticket_time(ActiveTime.pause))

    @work(thread=True, exit_on_error=False, group="open")
    def _open_store(self) -> None:
        from deskterm.store.queries.catalog import list_views

        store = self.runtime.open()
        self.stored_views = [(view.name, view.query) for view in list_views(store)]
        me = self.runtime.identify()
        drafts = Drafts.load(self.drafts.path)
        self.runtime.sla  # noqa: B018  # built here, off the UI thread
        self.post_message(self.Opened(me, drafts))

    def on_deskterm_app_opened(self, event: Opened) -> None:
        from deskterm.screens.queue import QueueScreen

        self.me = event.me
        self.drafts = event.drafts
        if event.me is None:
            self.notify_error("no agent matches [agent] email and the store has no admin")
        self.push_screen(QueueScreen(self))
        # Background work starts once the first frame is out, so it never delays it.
        self.call_after_refresh(self._start_background)

    def _start_background(self) -> None:
        self._settle_memory()
        self._warm_up()
        self._start_runtime()
        # The write path imports SQLAlchemy (~1 s of CPU holding the GIL): warm it
        # after the queue has painted, so neither start nor the first send waits.
        self.set_timer(1.0, self._warm_writes)

    @work(thread=True, exit_on_error=False, group="runtime")
    def _start_runtime(self) -> None:
        self.runtime.start(_Posting(self))

    @work(thread=True, exit_on_error=False, group="warm")
    def _warm_writes(self) -> None:
        import deskterm.store.service  # noqa: F401

    def on_deskterm_app_store_touched(self, event: StoreTouched) -> None:
        self.store_changed(())

    def on_deskterm_app_ingest_read(self, event: IngestRead) -> None:
        self.ingest_status = event.status
        for screen in self.screen_stack:
            show = getattr(screen, "show_ingest", None)
            if callable(show):
                show(event.status)

    def on_deskterm_app_sync_changed(self, event: SyncChanged) -> None:
        self.sync_status = event.status
        for screen in self.screen_stack:
            show = getattr(screen, "show_sync", None)
            if callable(show):
                show(event.status)

    def on_deskterm_app_presence_seen(self, event: PresenceSeen) -> None:
        me = self.me.email if self.me is not None else None
        others = [agent for agent in event.agents if agent.get("email") != me]
        for screen in self.screen_stack:
            show = getattr(screen, "show_presence", None)
            if callable(show):
                show(event.number, others)

    def present(self, number: int | None, state: str = "viewing") -> None:
        """The ticket on screen (None: none) and whether a reply is being written."""
        self.runtime.present(number, state)

    def on_deskterm_app_background_written(self, event: BackgroundWritten) -> None:
        for error in event.errors:
            self.notify_error(error)
        if event.numbers:
            self.store_changed(event.numbers)

    def on_deskterm_app_background_failed(self, event: BackgroundFailed) -> None:
        self._tell_failure(event.error)

    def on_deskterm_app_send_reported(self, event: SendReported) -> None:
        for error in event.report.errors:
            if error != self._last_send_error:  # a server down repeats itself each retry
                self.notify_error(f"sending mail: {error}")
            self._last_send_error = error
        if not event.report.errors:
            self._last_send_error = ""

    def nudge_sender(self) -> None:
        """A mail was queued: let the sender plan its next pass now (any thread)."""
        self.runtime.nudge_sender()

    # -- shared services for screens ---------------------------------------------

    def now(self) -> datetime:
        return self.runtime.clock()

    def query_context(self) -> QueryContext:
        return QueryContext(self.me.id if self.me else None, self.now())

    def service(self) -> Service:
        """A Service acting as "me", built like the CLI's: SLAs, rules, outgoing mail.

        Build it inside the worker that uses it (the write path imports SQLAlchemy).
        """
        return self.runtime.service()

    def open_store_or_fail(self) -> Store:
        return self.runtime.store

    def notify_error(self, text: str) -> None:
        self.notify(safetext.line(text), severity="error", markup=False)

    def store_changed(self, numbers: Iterable[int]) -> None:
        """One write finished: every screen on the stack refreshes what it shows.

        No numbers: another process changed something, which tickets is unknown.
        """
        changed = tuple(numbers)
        if changed:
            self.runtime.nudge_sync()  # on a replica, the change goes to the server now
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
        self.runtime.stop()
        try:
            self.drafts.flush()
        except OSError as exc:  # at exit there is no screen left to tell
            self.log.error(f"drafts not saved: {exc}")
        self.runtime.close()
        if self._gc_threshold is not None:
            gc.unfreeze()
            gc.set_threshold(*self._gc_threshold)
            self._gc_threshold = None

    # -- failures -------------------------------------------------------------------

    @on(Worker.StateChanged)
    def _worker_failed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR and event.worker.error is not None:
            self._tell_failure(event.worker.error)

    def _tell_failure(self, error: BaseException) -> None:
        if isinstance(error, DesktermError):
            self.notify_error(str(error))
        else:
            self.log.error(repr(error))
            self.notify_error(f"unexpected error: {type(error).__name__}: {error}")

    # -- actions --------------------------------------------------------------------

    # -- time on tickets ------------------------------------------------------------

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key | events.MouseDown | events.MouseScrollDown
                      | events.MouseScrollUp):  # fmt: skip
            self._ticket_time(lambda counter: counter.active(self.now()))
        elif isinstance(event, events.AppBlur):
            self._ticket_time(lambda counter: counter.pause())
        await super().on_event(event)

    def _ticket_time(self, step: Callable[[ActiveTime], None]) -> None:
        """Apply `step` to the time counter of the ticket open on top (under any dialog)."""
        for screen in reversed(self.screen_stack):
            counter = getattr(screen, "active_time", None)
            if isinstance(counter, ActiveTime):
                step(counter)
                return

    def action_reports(self) -> None:
        from deskterm.screens.reports import ReportsScreen

        if not isinstance(self.screen, ReportsScreen):
            self.push_screen(ReportsScreen(self))

    def action_kb(self) -> None:
        from deskterm.screens.kb import KbScreen

        if not isinstance(self.screen, KbScreen):
            self.push_screen(KbScreen(self))

    def action_log_call(self) -> None:
        from deskterm.screens.call import CallModal

        def logged(number: int | None) -> None:
            if number is not None:
                self.notify(f"#{number}: call logged", markup=False)

        self.push_screen(CallModal(self), logged)

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


class _Posting:
    """The runtime's listener for the app: each call becomes a message (any thread)."""

    def __init__(self, app: DesktermApp) -> None:
        self.app = app

    def store_touched(self) -> None:
        self.app.post_message(DesktermApp.StoreTouched())

    def ingest_read(self, status: IngestStatus) -> None:
        self.app.post_message(DesktermApp.IngestRead(status))

    def background_written(self, numbers: list[int], errors: list[str]) -> None:
        self.app.post_message(DesktermApp.BackgroundWritten(numbers, errors))

    def send_reported(self, report: SendReport) -> None:
        self.app.post_message(DesktermApp.SendReported(report))

    def sync_changed(self, status: SyncStatus) -> None:
        self.app.post_message(DesktermApp.SyncChanged(status))

    def presence_seen(self, number: int, agents: list[dict[str, Any]]) -> None:
        self.app.post_message(DesktermApp.PresenceSeen(number, agents))

    def background_failed(self, error: BaseException) -> None:
        self.app.post_message(DesktermApp.BackgroundFailed(error))
