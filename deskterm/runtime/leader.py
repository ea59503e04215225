"""Which of several `deskterm serve` processes on one PostgreSQL does the team's mail and clock.

Fetching, sending and the minute loop (time rules, SLA breaches) must run in one
process only, or mail would be fetched and sent twice. Each process tries a
PostgreSQL session advisory lock every `TRY_S`; the one that gets it leads until it
stops or its session is gone. PostgreSQL drops the lock with a dead session (a
process killed with -9 closes its socket), so another process takes over within
about `TRY_S`. A leader whose session was lost (the database restarted) stops its
jobs at once: it may no longer be the only one.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from deskterm.errors import DesktermError
from deskterm.store.schema.locks import StoreLock

TRY_S = 1.0  # how often a follower tries the lock and a leader checks its session
JOIN_SECONDS = 5.0


class Leadership(threading.Thread):
    """Holds the lock when it can; `lead()` when it got it, `step_down()` when it lost it."""

    def __init__(
        self,
        lock: StoreLock,
        lead: Callable[[], None],
        step_down: Callable[[], None],
        failed: Callable[[BaseException], None],
    ) -> None:
        super().__init__(name="deskterm-leadership", daemon=True)
        self.lock = lock
        self.lead = lead
        self.step_down = step_down
        self.failed = failed
        self._stop_event = threading.Event()

    def run(self) -> None:
        told = False  # a database away is said once, not every second
        while not self._stop_event.is_set():
            try:
                if self.lock.held:
                    if not self.lock.alive():
                        self.step_down()
                elif self.lock.acquire():
                    self.lead()
                told = False
            except DesktermError as exc:
                if not told:
                    told = True
                    self.failed(exc)
            self._stop_event.wait(TRY_S)
        if self.lock.held:
            self.step_down()
            self.lock.release()

    def stop(self) -> None:
        """Step down (the jobs stop, then the lock goes) and end the thread."""
        self._stop_event.set()
        if self.is_alive() and self is not threading.current_thread():
            self.join(JOIN_SECONDS * 3)
