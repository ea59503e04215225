"""A sliding-window limit per key (an address, an IP): how the web form refuses floods.

In memory: one server process holds the window. Several processes on one database
(the live-team issue) would keep it in the database instead.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable


class RateLimit:
    """At most `count` hits per key in any `seconds`-long window."""

    def __init__(
        self, count: int, seconds: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.count = count
        self.seconds = seconds
        self._clock = clock
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def allow(self, key: str) -> bool:
        """Count a hit for `key` unless it is over the limit (then nothing is counted)."""
        now = self._clock()
        with self._lock:
            hits = self._hits.setdefault(key, deque())
            while hits and hits[0] <= now - self.seconds:
                hits.popleft()
            if len(hits) >= self.count:
                return False
            hits.append(now)
            if len(self._hits) > 100_000:  # forget idle keys so a botnet cannot fill memory
                self._hits = {
                    k: v for k, v in self._hits.items() if v and v[-1] > now - self.seconds
                }
            return True


class FormLimits:
    """How many contact forms one address and one IP may send per hour."""

    def __init__(self, per_address: int = 5, per_ip: int = 20, seconds: float = 3600) -> None:
        self.address = RateLimit(per_address, seconds)
        self.ip = RateLimit(per_ip, seconds)
