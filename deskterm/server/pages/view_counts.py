"""Article views counted in batches: a page view only notes its slug and time, and one
write a second keeps them (`Service.count_kb_views`), so reading an article writes
nothing while the visitor waits.

The write runs on a timer thread started by the first view of a batch; a server that
stops writes what is left first (`flush` from its lifespan), so no view is lost on the
way out. A write that fails (the store busy past its timeout) keeps the views for the
next one.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime

from deskterm.errors import DesktermError
from deskterm.store.service import Actor, Service

PUBLIC = Actor(None, "help center")
FLUSH_AFTER_S = 1.0


class ViewCounts:
    """Views waiting to be written, and the timer that writes them."""

    def __init__(self, make_service: Callable[[Actor], Service], delay: float = FLUSH_AFTER_S):
        self._make_service = make_service
        self._service: Service | None = None
        self._delay = delay
        self._lock = threading.Lock()
        self._waiting: list[tuple[str, datetime]] = []
        self._timer: threading.Timer | None = None

    def service(self) -> Service:
        """The help center's service, made once (its clock stamps the views)."""
        if self._service is None:
            self._service = self._make_service(PUBLIC)
        return self._service

    def add(self, slug: str) -> None:
        when = self.service().clock()
        with self._lock:
            self._waiting.append((slug, when))
            self._start_timer()

    def flush(self) -> None:
        """Write the views noted so far (the timer calls it; so does a server stopping)."""
        with self._lock:
            views, self._waiting = self._waiting, []
            if self._timer is not None:
                self._timer.cancel()  # a no-op when the timer is the caller
                self._timer = None
        if not views:
            return
        try:
            self.service().count_kb_views(views)
        except DesktermError:
            with self._lock:  # kept, and tried again with the next batch
                self._waiting[:0] = views
                self._start_timer()

    def _start_timer(self) -> None:
        """Under the lock: one timer for the views waiting."""
        if self._timer is None:
            self._timer = threading.Timer(self._delay, self.flush)
            self._timer.name = "kb-view-counts"
            self._timer.daemon = True  # the lifespan's flush writes the last ones
            self._timer.start()
