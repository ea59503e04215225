"""Background work: store watching, the minute loop, the sender and (server) the fetch.

With no team server, the one app on a store does what the server would: run
time rules and record passed SLA due times each minute, deliver the outbox,
and notice commits by other processes (the fetcher, the CLI) to refresh.
`deskterm serve` runs the same jobs plus the mailbox watchers, so in team mode
only the server touches IMAP and SMTP. Several `serve` processes on one PostgreSQL
run the mail and the minute loop in one of them only, the leader (`leader.py`).
Each job is its own thread, so a slow rule run never delays a refresh.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from deskterm.errors import DesktermError
from deskterm.runtime.listener import RuntimeListener

if TYPE_CHECKING:
    from deskterm.channels.imap import FetchReport
    from deskterm.channels.sender import SenderThread, SendReport
    from deskterm.runtime.leader import Leadership
    from deskterm.runtime.mail_watch import MailWatch
    from deskterm.runtime.root import Runtime

JOIN_SECONDS = 5.0  # at exit, how long to wait for a job to finish its pass


class Every(threading.Thread):
    """Runs `job` every `seconds` (the first time after one wait) until stopped.

    A failing pass is reported and the next one runs as planned.
    """

    def __init__(
        self,
        name: str,
        seconds: float,
        job: Callable[[], None],
        failed: Callable[[BaseException], None],
    ) -> None:
        super().__init__(name=f"deskterm-{name}", daemon=True)
        self.seconds = seconds
        self.job = job
        self.failed = failed
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.wait(self.seconds):
            try:
                self.job()
            except Exception as exc:  # one bad pass is a notification, not a dead loop
                self.failed(exc)

    def stop(self, timeout: float) -> None:
        self._stop_event.set()
        if self.is_alive() and self is not threading.current_thread():
            self.join(timeout)


class SoloWork:
    """The background jobs of one runtime, started once and stopped once."""

    def __init__(
        self,
        runtime: Runtime,
        listener: RuntimeListener,
        fetched: Callable[[FetchReport], None] | None = None,
        led: Callable[[bool], None] | None = None,
    ) -> None:
        self.runtime = runtime
        self.listener = listener
        self.fetched = fetched
        self.led = led  # told when this process starts and stops leading (a shared database)
        self._lock = threading.Lock()  # guards the jobs and `_closing`
        self._closing = False
        self._watch: Every | None = None
        self._minute: Every | None = None
        self._sender: SenderThread | None = None
        self._mail_watch: MailWatch | None = None
        self._leadership: Leadership | None = None
        self._sender_dead_told = False
        self._marker_lock = threading.Lock()  # one use of the marker connection at a time
        self._marker_conn: sqlite3.Connection | None = None
        self._marker: int | None = None

    def start(self) -> None:
        """Read the store once (the intake status to show), then start the jobs: the mail
        and minute jobs at once, or, for a server on PostgreSQL, once this process leads."""
        self.check_store()
        runtime = self.runtime
        failed = self.listener.background_failed
        watch = Every("store-watch", runtime.timings.poll, self._poll, failed)
        leadership = None
        if self.fetched is not None and runtime.store.url is not None:
            from deskterm.runtime.leader import Leadership
            from deskterm.store.schema.locks import StoreLock

            lock = StoreLock(runtime.store, "leader")
            leadership = Leadership(lock, self._lead, self._step_down, failed)
        with self._lock:
            if self._closing:
                return
            self._watch = watch
            self._leadership = leadership
            watch.start()
        if leadership is not None:
            leadership.start()
        else:
            self._lead()

    def _lead(self) -> None:
        """Start the jobs that one process per store runs: the minute loop, mail."""
        runtime = self.runtime
        failed = self.listener.background_failed
        minute = None
        if runtime.has_minute_work:
            minute = Every("minute", runtime.timings.minute, self.run_minute, failed)
        sender = self._make_sender() if runtime.mail_enabled else None
        mail_watch = None
        if self.fetched is not None and not runtime.replica:
            from deskterm.runtime.mail_watch import MailWatch

            mail_watch = MailWatch(runtime, self.fetched)
        with self._lock:
            if self._closing:
                return
            self._minute, self._sender, self._mail_watch = minute, sender, mail_watch
            self._sender_dead_told = False
            if minute is not None:
                minute.start()
            if sender is not None:
                sender.start()
            if mail_watch is not None:
                mail_watch.start()
        if self.led is not None:
            self.led(True)

    def _step_down(self) -> None:
        """Stop the leader's jobs (the sender finishes the mail it is sending)."""
        with self._lock:
            minute, self._minute = self._minute, None
            sender, self._sender = self._sender, None
            mail_watch, self._mail_watch = self._mail_watch, None
        if mail_watch is not None:
            mail_watch.stop(JOIN_SECONDS)
        if sender is not None:
            sender.stop(timeout=JOIN_SECONDS)
        if minute is not None:
            minute.stop(JOIN_SECONDS)
        if self.led is not None:
            self.led(False)

    def stop(self) -> None:
        with self._lock:
            self._closing = True
            watch, self._watch = self._watch, None
            leadership, self._leadership = self._leadership, None
        if leadership is not None:
            leadership.stop()  # steps down, then lets go of the lock
        else:
            self._step_down()
        if watch is not None:
            watch.stop(JOIN_SECONDS)
        with self._marker_lock:
            if self._marker_conn is not None:
                self._marker_conn.close()
                self._marker_conn = None

    # -- store watching ----------------------------------------------------------------

    def _poll(self) -> None:
        self.check_store()
        sender = self._sender
        if sender is not None and not sender.is_alive() and not self._sender_dead_told:
            self._sender_dead_told = True
            self.listener.background_failed(
                DesktermError(f"the mail sender stopped: {sender.error}; restart deskterm")
            )

    def check_store(self) -> None:
        """Compare the store's data version with the last check; when it moved, say so
        and reread the intake status.

        The version is only comparable on one connection, so the watch keeps its own.
        """
        from deskterm.store.queries.mail import get_ingest_status
        from deskterm.store.schema.db import data_version, own_connection

        store = self.runtime.store
        with self._marker_lock:
            if self._closing:
                return
            if self._marker_conn is None:
                self._marker_conn = own_connection(store)
            version = data_version(self._marker_conn)
            changed = version != self._marker
            first = self._marker is None
            self._marker = version
        if changed and not first:
            self.listener.store_touched()
        if changed:
            self.listener.ingest_read(get_ingest_status(store, self.runtime.clock()))

    # -- the minute loop ---------------------------------------------------------------

    def run_minute(self) -> None:
        """Run time rules, record SLA breaches whose time has passed, catch up the report
        rollups.

        In team mode the server does this; each step failing alone is one error.
        """
        service = self.runtime.service()
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
        try:
            service.catch_up_reports()  # so a report has little left to count
        except DesktermError as exc:
            errors.append(f"report rollups: {exc}")
        if changed or errors:
            self.listener.background_written(sorted(changed), errors)

    # -- the sender --------------------------------------------------------------------

    def _make_sender(self) -> SenderThread:
        """Deliver the outbox from this process; one sender per store.

        While `deskterm send --watch` or another app holds the store's send lock,
        this one waits for it to go away.
        """
        from deskterm.channels.sender import SenderThread

        runtime = self.runtime
        return SenderThread(runtime.sender(), interval=runtime.timings.sender, on_report=self._sent)

    def _sent(self, report: SendReport) -> None:
        """On the sender's thread: pass on what happened, then refresh (it committed)."""
        if report.sent or report.retrying or report.failed or report.errors:
            self.listener.send_reported(report)
            self.check_store()

    def nudge_sender(self) -> None:
        sender = self._sender
        if sender is not None:
            sender.nudge()
