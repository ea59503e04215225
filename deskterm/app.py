"""The agent app: opens the store in a worker, then shows the queue.

`run_app` is what `deskterm` and `deskterm demo` call. The app owns what every
screen shares: the store, who "me" is, the clock, the drafts and the one
handler that turns failed workers into one-line notifications.
"""

from __future__ import annotations

import gc
import importlib
import sqlite3
import threading
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
from deskterm.store.queries.catalog import find_agent, list_agents
from deskterm.store.queries.filters import QueryContext
from deskterm.store.queries.records import AgentRecord
from deskterm.store.schema.db import Store, open_store
from deskterm.store.schema.timefmt import utcnow

if TYPE_CHECKING:
    from deskterm.channels.sender import SenderThread, SendReport
    from deskterm.sla.policy import SlaSettings
    from deskterm.store.queries.mail import IngestStatus
    from deskterm.store.service import RuleSet, Service
    from deskterm.store.service.delivery import MailSettings

Clock = Callable[[], datetime]
POLL_SECONDS = 2.0  # how often the store is checked for commits by other processes
GC_THRESHOLD = (20_000, 50, 100)  # see _settle_memory
MINUTE_SECONDS = 60.0  # solo mode: how often time rules run and passed SLA due times are recorded
SENDER_SECONDS = 2.0  # solo mode: how often the sender looks for due mail (a send nudges it)


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

        def __init__(
            self, store: Store, me: AgentRecord | None, drafts: Drafts, sla: SlaSettings | None
        ) -> None:
            super().__init__()
            self.store = store
            self.me = me
            self.drafts = drafts
            self.sla = sla

    class StoreTouched(Message):
        """Another connection committed (new mail, the CLI, a rule run)."""

    class SendReported(Message):
        """The app's sender finished a pass that did something (or failed)."""

        def __init__(self, report: SendReport) -> None:
            super().__init__()
            self.report = report

    class BackgroundWritten(Message):
        """The minute worker changed tickets (a time rule fired, a breach was recorded)."""

        def __init__(self, numbers: list[int], errors: list[str]) -> None:
            super().__init__()
            self.numbers = numbers
            self.errors = errors

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
        poll_seconds: float = POLL_SECONDS,
        minute_seconds: float = MINUTE_SECONDS,
        sender_seconds: float = SENDER_SECONDS,
    ) -> None:
        super().__init__()
        self.store_path = store_path
        self.config = config
        self.clock: Clock = clock or utcnow
        self.poll_seconds = poll_seconds
        self.minute_seconds = minute_seconds
        self.sender_seconds = sender_seconds
        self.store: Store | None = None
        self.me: AgentRecord | None = None
        self.sla: SlaSettings | None = None
        """The configured SLA policies (None: no `[[sla.policy]]`, no due column)."""
        self.ingest_status: IngestStatus | None = None
        self._marker_conn: sqlite3.Connection | None = None
        self._marker: int | None = None
        self._marker_lock = threading.Lock()
        self.drafts = Drafts(drafts_path(store_path))
        self._ruleset: RuleSet | None = None
        self._mail: MailSettings | None = None
        self._parts_lock = threading.Lock()
        self._sender: SenderThread | None = None
        self._gc_threshold: tuple[int, int, int] | None = None  # the collector's, while tuned
        self._sender_lock = threading.Lock()
        self._sender_dead_told = False
        self._closing = False
        self._last_send_error = ""

    def get_default_screen(self) -> Screen[None]:
        from deskterm.screens.loading import LoadingScreen

        return LoadingScreen()

    @work(thread=True, exit_on_error=False, group="warm-up")
    def _warm_up(self) -> None:
        """Import the ticket screen now (~65 ms), not when the agent opens the first ticket."""
        importlib.import_module("deskterm.screens.ticket")

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
        sla = None
        if self.config.sla.policy:
            from deskterm.sla.settings import settings_from_config

            sla = settings_from_config(self.config.sla)
        self.post_message(self.Opened(store, me, drafts, sla))

    def on_deskterm_app_opened(self, event: Opened) -> None:
        from deskterm.screens.queue import QueueScreen

        self.store = event.store
        self.me = event.me
        self.drafts = event.drafts
        self.sla = event.sla
        if event.me is None:
            self.notify_error("no agent matches [agent] email and the store has no admin")
        self.push_screen(QueueScreen())
        # Background work starts once the first frame is out, so it never delays it.
        self.call_after_refresh(self._start_background)

    def _start_background(self) -> None:
        self._settle_memory()
        self._warm_up()
        self._watch_store()
        self.set_interval(self.poll_seconds, self._poll_store, name="store-watch")
        if self.sla is not None or any(r.trigger == "time" for r in self.config.rules):
            self.set_interval(self.minute_seconds, self._every_minute, name="minute")
        if self.mail_enabled:
            self._start_sender()
        # The write path imports SQLAlchemy (~1 s of CPU holding the GIL): warm it
        # after the queue has painted, so neither start nor the first send waits.
        self.set_timer(1.0, self._warm_writes)

    @work(thread=True, exit_on_error=False, group="warm")
    def _warm_writes(self) -> None:
        import deskterm.store.service  # noqa: F401

    def _poll_store(self) -> None:
        self._watch_store()
        sender = self._sender
        if sender is not None and not sender.is_alive() and not self._sender_dead_told:
            self._sender_dead_told = True
            self.notify_error(f"the mail sender stopped: {sender.error}; restart deskterm")

    @work(thread=True, exit_on_error=False, exclusive=True, group="watch")
    def _watch_store(self) -> None:
        """Compare `PRAGMA data_version` with the last poll (it moves when another
        connection commits) and, when it moved, tell the screens and reread intake status.

        The marker is only comparable on one connection, so the poll keeps its own
        (sqlite3 allows it on any thread; the lock keeps uses one at a time).
        """
        from deskterm.store.queries.mail import get_ingest_status
        from deskterm.store.schema.db import connect

        store = self.open_store_or_fail()
        with self._marker_lock:
            if self._marker_conn is None:
                self._marker_conn = connect(store.path)
            version = int(self._marker_conn.execute("PRAGMA data_version").fetchone()[0])
            changed = version != self._marker
            first = self._marker is None
            self._marker = version
        if changed and not first:
            self.post_message(self.StoreTouched())
        if changed:
            self.post_message(self.IngestRead(get_ingest_status(store, self.clock())))

    def on_deskterm_app_store_touched(self, event: StoreTouched) -> None:
        self.store_changed(())

    def on_deskterm_app_ingest_read(self, event: IngestRead) -> None:
        self.ingest_status = event.status
        for screen in self.screen_stack:
            show = getattr(screen, "show_ingest", None)
            if callable(show):
                show(event.status)

    # -- solo mode: the minute worker and the sender ---------------------------------

    def _every_minute(self) -> None:
        if not any(w.is_running for w in self.workers if w.group == "minute"):
            self._run_minute()

    @work(thread=True, exit_on_error=False, group="minute")
    def _run_minute(self) -> None:
        """Run time rules, then record SLA breaches whose time has passed.

        In team mode the server does this; each step failing alone is one notification.
        """
        service = self.service()
        changed: set[int] = set()
        errors: list[str] = []
        try:
            changed.update(fired.number for fired in service.run_time_rules())
        except DesktermError as exc:
            errors.append(f"time rules: {exc}")
        try:
            changed.update(service.check_breaches())
        except DesktermError as exc:
            errors.append(f"SLA breaches: {exc}")
        if changed or errors:
            self.post_message(self.BackgroundWritten(sorted(changed), errors))

    def on_deskterm_app_background_written(self, event: BackgroundWritten) -> None:
        for error in event.errors:
            self.notify_error(error)
        if event.numbers:
            self.store_changed(event.numbers)

    @property
    def mail_enabled(self) -> bool:
        """A [[mailbox]] can send: replies to email tickets go out through the outbox."""
        return any(box.smtp_host for box in self.config.mailbox)

    @work(thread=True, exit_on_error=False, group="sender")
    def _start_sender(self) -> None:
        """Deliver the outbox from this process (solo mode); one sender per store.

        While `deskterm send --watch` or another app holds the store's send lock,
        this one waits for it to go away.
        """
        from deskterm.channels.sender import Sender, SenderThread

        sender = Sender(self.open_store_or_fail(), self.mail_settings(), clock=self.clock)
        thread = SenderThread(sender, interval=self.sender_seconds, on_report=self._send_reported)
        with self._sender_lock:
            if self._closing:
                return
            self._sender = thread
            thread.start()

    def _send_reported(self, report: SendReport) -> None:
        """On the sender's thread: hand what happened to the UI by message."""
        if report.sent or report.retrying or report.failed or report.errors:
            self.post_message(self.SendReported(report))

    def on_deskterm_app_send_reported(self, event: SendReported) -> None:
        for error in event.report.errors:
            if error != self._last_send_error:  # a server down repeats itself each retry
                self.notify_error(f"sending mail: {error}")
            self._last_send_error = error
        if not event.report.errors:
            self._last_send_error = ""
        self._watch_store()  # the sender committed: refresh now, not at the next poll

    def nudge_sender(self) -> None:
        """A mail was queued: let the sender plan its next pass now (any thread)."""
        sender = self._sender
        if sender is not None:
            sender.nudge()

    def _stop_sender(self) -> None:
        with self._sender_lock:
            self._closing = True
            sender, self._sender = self._sender, None
        if sender is not None:
            sender.stop(timeout=5.0)

    # -- shared services for screens ---------------------------------------------

    def now(self) -> datetime:
        return self.clock()

    def query_context(self) -> QueryContext:
        return QueryContext(self.me.id if self.me else None, self.clock())

    def service(self) -> Service:
        """A Service acting as "me", built like the CLI's: SLAs, rules, outgoing mail.

        Build it inside the worker that uses it (the write path imports SQLAlchemy).
        """
        from deskterm.store.service import Actor, Service

        store = self.open_store_or_fail()
        actor = Actor(self.me.id, self.me.name) if self.me else Actor.system()
        return (
            Service(store, actor, self.clock, sla=self.sla)
            .with_rules(self.ruleset())
            .with_mail(self.mail_settings())
        )

    def ruleset(self) -> RuleSet:
        """The configured rules, read from the config once (any thread)."""
        with self._parts_lock:
            if self._ruleset is None:
                from deskterm.rules.model import rules_from_config
                from deskterm.sla.settings import calendars_from_config
                from deskterm.store.service import RuleSet

                self._ruleset = (
                    RuleSet(
                        rules_from_config(self.config.rules),
                        calendars_from_config(self.config.sla),
                    )
                    if self.config.rules
                    else RuleSet()
                )
            return self._ruleset

    def mail_settings(self) -> MailSettings:
        """[[mailbox]] and [mail] as the outbox uses them (any thread)."""
        with self._parts_lock:
            if self._mail is None:
                from deskterm.store.service.delivery import MailSettings

                self._mail = MailSettings.from_config(self.config)
            return self._mail

    def open_store_or_fail(self) -> Store:
        if self.store is None:
            raise DesktermError("the store is not open yet")
        return self.store

    def notify_error(self, text: str) -> None:
        self.notify(safetext.line(text), severity="error", markup=False)

    def store_changed(self, numbers: Iterable[int]) -> None:
        """One write finished: every screen on the stack refreshes what it shows.

        No numbers: another process changed something, which tickets is unknown.
        """
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
        self._stop_sender()
        try:
            self.drafts.flush()
        except OSError as exc:  # at exit there is no screen left to tell
            self.log.error(f"drafts not saved: {exc}")
        if self._marker_conn is not None:
            self._marker_conn.close()
        if self.store is not None:
            self.store.close()
        if self._gc_threshold is not None:
            gc.unfreeze()
            gc.set_threshold(*self._gc_threshold)
            self._gc_threshold = None

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
