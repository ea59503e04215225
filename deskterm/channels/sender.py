"""The delivery worker: due outbox rows -> SMTP, one connection per mailbox per batch.

At most one sender works on a store at a time (`StoreLock`: a lock file beside
it, or an advisory lock on PostgreSQL; released even on kill -9). Holding it, a
sender may safely put rows left `sending` by a dead sender back in the queue.
Each mail is recorded as sent right after the server accepts it, so a crash
repeats at most the one mail that was accepted but not yet recorded, with the
same Message-ID.

Used by `deskterm send [--watch]` and, in solo mode, by the app (`SenderThread`).
"""

from __future__ import annotations

import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from deskterm.channels.smtp import SmtpConnection, SmtpFailure
from deskterm.errors import DesktermError, MailError
from deskterm.store.queries import outbox as outbox_queries
from deskterm.store.schema.db import Store
from deskterm.store.schema.locks import StoreLock
from deskterm.store.schema.timefmt import utcnow
from deskterm.store.service.delivery import Claimed, MailSettings, OutboxLedger

BATCH = 100


class SenderBusy(MailError):
    """Another process (the app or `deskterm send --watch`) is delivering this store's mail."""


@dataclass
class SendReport:
    """What one pass did, and what is left."""

    sent: int = 0
    retrying: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)
    waiting: int = 0  # still queued (undo window or backoff), as of the end of the pass
    next_due: datetime | None = None

    def add(self, other: SendReport) -> None:
        self.sent += other.sent
        self.retrying += other.retrying
        self.failed += other.failed
        self.errors += other.errors

    def summary(self) -> str:
        line = f"sent {self.sent}, retrying {self.retrying}, failed {self.failed}"
        if self.waiting:
            due = self.next_due.strftime("%Y-%m-%d %H:%M:%S") if self.next_due else "?"
            line += f"; {self.waiting} still queued (next due {due} UTC)"
        return line


class Sender:
    """Delivers due outbox rows. Call `acquire()` first; `release()` when done."""

    def __init__(
        self,
        store: Store,
        settings: MailSettings,
        *,
        clock: Callable[[], datetime] = utcnow,
        batch: int = BATCH,
        tls_context: Callable[[], ssl.SSLContext] = ssl.create_default_context,
    ) -> None:
        self.store = store
        self.settings = settings
        self.ledger = OutboxLedger(store, settings, clock)
        self.batch = batch
        self.tls_context = tls_context
        self.lock = StoreLock(store, "send")

    def acquire(self) -> bool:
        """Become the store's sender; rows a dead sender left `sending` are due again."""
        if self.lock.held:
            return True
        if not self.lock.acquire():
            return False
        self.ledger.release_stale()
        return True

    def release(self) -> None:
        self.lock.release()
        self.ledger.close()

    def run_once(self) -> SendReport:
        """Deliver everything due now (in batches), then report what is still queued."""
        if not self.acquire():
            raise SenderBusy(
                "another deskterm sender (the app or `deskterm send --watch`) is delivering;"
                " it will send the outbox"
            )
        report = SendReport()
        while True:
            claimed = self.ledger.claim_due(self.batch)
            if not claimed:
                break
            report.add(self.deliver(claimed))
        counts = outbox_queries.count_outbox(self.store)
        report.waiting = counts["waiting"] + counts["retrying"]
        report.next_due = outbox_queries.next_due(self.store)
        return report

    def deliver(self, claimed: list[Claimed]) -> SendReport:
        """Send claimed rows, one connection per mailbox, recording each outcome."""
        report = SendReport()
        by_box: dict[str, list[Claimed]] = {}
        for row in claimed:
            by_box.setdefault(row.mailbox.lower(), []).append(row)
        for address, rows in by_box.items():
            box = self.settings.mailbox(address)
            if box is None:
                for row in rows:
                    self._retry(row, f"no [[mailbox]] {address} in the config", report)
                continue
            conn: SmtpConnection | None = None
            try:
                for index, row in enumerate(rows):
                    if conn is None:
                        conn = SmtpConnection(box, tls_context=self.tls_context)
                        try:
                            conn.open()
                        except SmtpFailure as exc:
                            for rest in rows[index:]:
                                self._retry(rest, str(exc), report)
                            break
                    try:
                        accepted = conn.send(box.address, row.recipients, row.raw)
                    except SmtpFailure as exc:
                        if exc.temporary:
                            self._retry(row, str(exc), report)
                        else:
                            self.ledger.mark_failed(row.id, str(exc))
                            report.failed += 1
                            report.errors.append(f"outbox {row.id}: {exc}")
                        if exc.connection_lost:
                            conn.close()
                            conn = None
                        continue
                    self.ledger.mark_sent(row.id, accepted.note())
                    report.sent += 1
            finally:
                if conn is not None:
                    conn.close()
        return report

    def _retry(self, row: Claimed, error: str, report: SendReport) -> None:
        self.ledger.mark_retry(row.id, row.attempts, error)
        report.retrying += 1
        if error not in report.errors:
            report.errors.append(error)

    def watch(
        self,
        stop: threading.Event,
        *,
        interval: float = 2.0,
        wake: threading.Event | None = None,
        on_report: Callable[[SendReport], None] | None = None,
    ) -> None:
        """Deliver until `stop` is set: every `interval` seconds, or at once on `wake`.

        While another sender holds the store, wait for it to go away.
        """
        wake = wake or threading.Event()
        try:
            while not stop.is_set():
                if self.acquire():
                    try:
                        report = self.run_once()
                    except DesktermError as exc:  # e.g. the store is busy: next round
                        report = SendReport(errors=[str(exc)])
                    if on_report is not None:
                        on_report(report)
                    pause = interval
                    if report.next_due is not None:
                        ahead = (report.next_due - self.ledger.clock()).total_seconds()
                        pause = min(interval, max(ahead, 0.05))
                else:
                    pause = interval
                wake.wait(pause)
                wake.clear()
        finally:
            self.release()


class SenderThread(threading.Thread):
    """The app's background sender (solo mode): `nudge()` after a send, `stop()` on exit."""

    def __init__(
        self,
        sender: Sender,
        *,
        interval: float = 2.0,
        on_report: Callable[[SendReport], None] | None = None,
    ) -> None:
        super().__init__(name="deskterm-sender", daemon=True)
        self.sender = sender
        self.interval = interval
        self.on_report = on_report
        self._stop_event = threading.Event()
        self._wake = threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self.sender.watch(
                self._stop_event, interval=self.interval, wake=self._wake, on_report=self.on_report
            )
        except Exception as exc:  # reported to the app through .error / on_report
            self.error = exc
            raise

    def nudge(self) -> None:
        self._wake.set()

    def stop(self, timeout: float | None = 10.0) -> None:
        self._stop_event.set()
        self._wake.set()
        self.join(timeout)
