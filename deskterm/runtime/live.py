"""A replica's live sync: the server's event stream triggers pulls, local writes trigger pushes.

Three threads. The listener reads `/api/v1/events` (reconnecting where it left off) and
queues the numbers of the tickets the server changed. The syncer waits on that queue
(and on `nudge`, called after a write here): with ops queued it syncs (push, then
pull), else it pulls; then it tells the listener which tickets changed, so the app
reloads only those (and the queue page on screen). Offline, it says so once and
tries again every `retry` seconds; the stream's own reconnect brings it back.
Each move of the sync state (synced, N pending, offline since, refused) is told
to the listener as a `SyncStatus` for the footer.
The third sends presence heartbeats for the ticket the app shows (`present`).
"""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Callable
from datetime import datetime

from deskterm.channels.live import EventStream, LiveEvent
from deskterm.channels.sync import Replica, SyncClient, SyncOffline, resolve_token, token_file
from deskterm.errors import DesktermError, SyncError
from deskterm.runtime.listener import (
    PresenceListener,
    RuntimeListener,
    SyncState,
    SyncStatus,
)
from deskterm.store.queries.replica import get_state, pending_changes, queued_ops
from deskterm.store.schema.db import Store
from deskterm.store.service import Service

JOIN_SECONDS = 5.0
AGAIN_S = 1.0  # after a pass failed here (not offline): try again this soon, then slower
BEAT_S = 10.0  # presence heartbeats; the server forgets an agent after 30 s of silence
_NUDGE = -1  # a queue entry meaning "a write here": push if anything is queued
_READY = -2  # the stream (re)connected: the server is reachable


class LiveSync:
    """The live stream and the syncer of one replica, started once and stopped once."""

    def __init__(
        self,
        store: Store,
        token_command: str,
        make_service: Callable[[], Service],
        listener: RuntimeListener,
        clock: Callable[[], datetime],
        *,
        retry: float = 30.0,
    ) -> None:
        state = get_state(store)
        token = resolve_token(token_command, token_file(store.path))
        self.listener = listener
        self.retry = retry
        self.replica = Replica(store, SyncClient(state["server_url"], token), make_service)
        self.stream = EventStream(state["server_url"], token, since=state.get("cursor"))
        self._wake: queue.Queue[int] = queue.Queue()
        self._stop = threading.Event()
        self._offline_told = False
        self.clock = clock
        self._status_lock = threading.Lock()  # both threads tell the state
        self._status: SyncStatus | None = None
        self._threads = [
            threading.Thread(target=self._listen, name="deskterm-live-stream", daemon=True),
            threading.Thread(target=self._sync_loop, name="deskterm-live-sync", daemon=True),
            threading.Thread(target=self._beat_loop, name="deskterm-presence", daemon=True),
        ]
        self._here: tuple[int, str] | None = None  # the ticket open in the app, and how
        self._told: tuple[int, str] | None = None  # what the server last heard
        self._here_changed = threading.Event()

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def nudge(self) -> None:
        """A write was made here: push it now (any thread)."""
        self._wake.put(_NUDGE)

    def present(self, number: int | None, state: str = "viewing") -> None:
        """The app shows ticket `number` (None: none), viewing or replying (any thread)."""
        self._here = None if number is None else (number, state)
        self._here_changed.set()

    def stop(self) -> None:
        self._stop.set()
        self._here_changed.set()
        self.stream.close()
        self._wake.put(_NUDGE)
        for thread in self._threads:
            if thread.is_alive() and thread is not threading.current_thread():
                thread.join(JOIN_SECONDS)
        self.replica.client.close()

    # -- the two threads ---------------------------------------------------------------

    def _listen(self) -> None:
        try:
            for event in self.stream.events(offline=self._offline):
                self._heard(event)
        except DesktermError as exc:  # refused (a revoked token): final, said once
            self._tell("refused", str(exc))
            if not self._stop.is_set():
                self.listener.background_written([], [f"live updates stopped: {exc}"])
        except Exception as exc:
            self.listener.background_failed(exc)

    def _heard(self, event: LiveEvent) -> None:
        if event.kind == "ticket":
            self._wake.put(int(event.data["number"]))
        elif event.kind == "presence":
            if isinstance(self.listener, PresenceListener):
                self.listener.presence_seen(int(event.data["number"]), list(event.data["agents"]))
        elif event.kind == "ready":
            self._wake.put(_READY)  # (re)connected: push what waited while offline

    def _sync_loop(self) -> None:
        """Sync on each wake-up. Tickets whose pull failed stay owed: the next pass pulls
        them (a pass that failed once dropped them, and the screen never heard)."""
        self._tell("connecting")
        owed: set[int] = set()
        wait, failures = self.retry, 0
        while not self._stop.is_set():
            try:
                first = self._wake.get(timeout=wait)
            except queue.Empty:
                first = _NUDGE  # retry what is queued or owed (the server was away)
            woken = [first]
            while not self._wake.empty():  # a burst of events: one sync for all
                woken.append(self._wake.get_nowait())
            if self._stop.is_set():
                return
            numbers = sorted(owed | {n for n in woken if n >= 0})
            wait = self.retry
            try:
                self._sync(numbers, ready=_READY in woken)
            except SyncOffline as exc:
                owed = set(numbers)  # pulled on reconnect (`ready`) or the next retry
                self._offline(exc)
                continue
            except SyncError as exc:  # a revoked token, a newer server: until re-joined
                self._tell("refused", str(exc))
            except Exception as exc:  # a store locked past its timeout, a bad answer
                owed = set(numbers)
                # Soon, not at the next change or the 30 s retry; less often if it persists.
                wait = min(AGAIN_S * 2**failures, self.retry)
                failures += 1
                self.listener.background_failed(exc)
                continue
            owed, failures = set(), 0

    def _sync(self, numbers: list[int], *, ready: bool) -> None:
        if queued_ops(self.replica.store):
            report = self.replica.sync()
        elif numbers:
            report = self.replica.pull()
        else:
            if ready:
                self._tell("synced")
            return
        self._offline_told = False
        self._tell("synced")
        if numbers or report.notices:
            self.listener.background_written(numbers, report.notices)
        elif report.pulled:  # our own pushed changes came back (numbers given, say)
            self.listener.store_touched()

    def _beat_loop(self) -> None:
        """Heartbeats for the ticket shown, every `BEAT_S`, and at once when it changes."""
        while not self._stop.is_set():
            here, told = self._here, self._told
            try:
                if told is not None and (here is None or here[0] != told[0]):
                    self.replica.client.presence(told[0], "gone")
                    self._told = None
                if here is not None:
                    self.replica.client.presence(*here)
                    self._told = here
            except SyncOffline:
                pass  # the syncer says offline once; presence resumes with the server
            except DesktermError as exc:
                self.listener.background_failed(exc)
                return
            self._here_changed.wait(BEAT_S)
            self._here_changed.clear()
        if self._told is not None:
            with contextlib.suppress(DesktermError):
                self.replica.client.presence(self._told[0], "gone")

    def _offline(self, exc: SyncOffline) -> None:
        """Said once per outage; work goes on here and is pushed when the server is back."""
        self._tell("offline", str(exc))
        if not self._offline_told and not self._stop.is_set():
            self._offline_told = True
            self.listener.background_written([], [f"{exc}; changes stay here until it is back"])

    def _tell(self, state: SyncState, reason: str = "") -> None:
        """Tell the listener the state when it moved; "synced" reads "pending" while
        changes wait, and an outage keeps the time it began."""
        queued = pending_changes(self.replica.store)
        with self._status_lock:
            if self._stop.is_set():
                return
            last = self._status
            if state == "synced" and queued:
                state = "pending"
            since = None
            if state == "offline":
                since = last.since if last is not None and last.state == "offline" else None
                since = since or self.clock()
            status = SyncStatus(state, queued, since, reason)
            if status == last:
                return
            self._status = status
        self.listener.sync_changed(status)
