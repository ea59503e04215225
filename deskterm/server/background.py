"""What `deskterm serve`'s background work (fetch, sender, minute loop) reports: counters
for /metrics and one line per failure on stderr, the server's log."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, TextIO

from deskterm.safetext import line

if TYPE_CHECKING:
    from deskterm.channels.imap import FetchReport
    from deskterm.channels.sender import SendReport
    from deskterm.runtime.listener import SyncStatus
    from deskterm.server.metrics import ServerMetrics
    from deskterm.store.queries.mail import IngestStatus


class ServerLog:
    """The runtime's listener on the server: count, and log what failed (any thread)."""

    def __init__(self, metrics: ServerMetrics, out: TextIO = sys.stderr) -> None:
        self.metrics = metrics
        self.out = out

    def _log(self, text: str) -> None:
        print(f"deskterm serve: {line(text)}", file=self.out, flush=True)

    def store_touched(self) -> None:
        """Nothing to refresh: replicas pull what changed."""

    def ingest_read(self, status: IngestStatus) -> None:
        """The intake status is the fetch counters' business here."""

    def background_written(self, numbers: list[int], errors: list[str]) -> None:
        for error in errors:
            self.metrics.background_errors.inc()
            self._log(error)

    def send_reported(self, report: SendReport) -> None:
        for result, count in (
            ("sent", report.sent),
            ("retrying", report.retrying),
            ("failed", report.failed),
        ):
            if count:
                self.metrics.sent.labels(result).inc(count)
        for error in report.errors:
            self._log(f"sending mail: {error}")

    def sync_changed(self, status: SyncStatus) -> None:
        """A server is nobody's replica: never called."""

    def background_failed(self, error: BaseException) -> None:
        self.metrics.background_errors.inc()
        self._log(str(error))

    def led(self, leading: bool) -> None:
        """This process started (or stopped) fetching, sending and running the minute loop."""
        self.metrics.leader.set(1 if leading else 0)
        self._log("leading: this process fetches and sends" if leading else "no longer leading")

    def fetched(self, report: FetchReport) -> None:
        if report.error:
            self.metrics.fetch_errors.labels(report.address).inc()
            self._log(report.error)
            return
        tally = report.tally
        for outcome, count in (
            ("new", tally.new),
            ("threaded", tally.threaded),
            ("quarantined", tally.quarantined),
            ("duplicate", tally.duplicates),
        ):
            if count:
                self.metrics.fetched.labels(report.address, outcome).inc(count)
