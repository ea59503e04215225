"""Time on a ticket as the app measures it: the gaps between the agent's actions.

A gap counts only when it is at most the idle cut-off: an agent who walks away
adds nothing, and a blurred or suspended terminal starts counting anew. The
counted time is taken in whole seconds and saved as a tracked time entry.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass
class ActiveTime:
    """Counts active seconds on one ticket between `take`s."""

    idle_cutoff: float  # seconds; 0 counts nothing
    seconds: float = 0.0
    started_at: datetime | None = None  # the first action counted since the last take
    _last: datetime | None = None

    def active(self, now: datetime) -> None:
        """The agent did something (a key, a click, the mouse wheel) at `now`."""
        if self._last is not None:
            gap = (now - self._last).total_seconds()
            if 0 < gap <= self.idle_cutoff:
                self.seconds += gap
                if self.started_at is None:
                    self.started_at = self._last
        self._last = now

    def pause(self) -> None:
        """The terminal lost focus or the app was suspended: the next action starts anew."""
        self._last = None

    def take(self) -> tuple[datetime, int] | None:
        """(started, whole seconds) counted since the last take, or None under a second."""
        whole = int(self.seconds)
        if whole < 1 or self.started_at is None:
            return None
        taken = (self.started_at, whole)
        self.seconds -= whole
        self.started_at = self._last if self.seconds else None
        return taken
