"""The team server's mail intake: every [[mailbox]] with an IMAP host, watched in IDLE.

One thread per mailbox (a slow or unreachable one never holds up the others); each
reconnects with backoff on its own, and tells the owner every pass and every failure.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from deskterm.channels.imap import FetchReport
    from deskterm.channels.intake import Parser
    from deskterm.runtime.root import Runtime


class MailWatch:
    """The mailbox watchers of one runtime, started once and stopped once."""

    def __init__(self, runtime: Runtime, fetched: Callable[[FetchReport], None]) -> None:
        self.runtime = runtime
        self.fetched = fetched
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._parser: Parser | None = None

    def start(self) -> None:
        from deskterm.channels.imap import MailboxFetcher
        from deskterm.channels.intake import IntakeSettings, Parser

        boxes = [box for box in self.runtime.config.mailbox if box.imap_host]
        if not boxes:
            return
        settings = IntakeSettings.from_config(self.runtime.config)
        ingest = self.runtime.mail_ingest(settings)
        self._parser = Parser(settings)
        for box in boxes:
            fetcher = MailboxFetcher(box, ingest, settings, self._parser)
            thread = threading.Thread(
                target=fetcher.watch,
                args=(self._stop, self.fetched),
                name=f"deskterm-fetch-{box.address}",
                daemon=True,
            )
            self._threads.append(thread)
            thread.start()

    def stop(self, timeout: float) -> None:
        """Leave IDLE and log out; a watcher stuck connecting is left to die with the process."""
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout)
        if self._parser is not None:
            self._parser.close()
