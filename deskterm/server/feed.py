"""The live feed of one server process: notices new changes in the store and wakes streams.

It also holds who is on which ticket (`presence`), and expires it as it polls, and
checks every `AUTH_CHECK_S` that the tokens of open streams are still held: a stream
whose token was revoked (`agent revoke`, any process) ends, and its client's reconnect
is refused.

One watcher per process (not per client) reads the sync journal's counter every
`poll_seconds`, and at once when this process has just answered a write (`poke`), so
commits by any process on the store (the CLI, the mail fetcher) reach the streams.
Streams at the same position share one read of what changed (`changes_after`): a
change costs one query however many clients are connected.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections import Counter
from dataclasses import dataclass

from anyio import to_thread

from deskterm.errors import StoreError
from deskterm.server.presence import PresenceBoard
from deskterm.store.queries.catalog import held_tokens
from deskterm.store.queries.changes import Change, Position, changes_after, latest_version
from deskterm.store.schema.db import Store
from deskterm.store.schema.pg_notify import (
    CHANGES_CHANNEL,
    NOTIFY,
    PRESENCE_CHANNEL,
    notifications,
)

PAGE = 500  # changes per read; a stream behind by more reads again
AUTH_CHECK_S = 1.0  # a revoked token's open streams end within about this
LISTENING_WAKE_S = 1.0  # while LISTENing: wake this often for expiry and the token check
RELISTEN_S = (0.5, 1.0, 2.0, 5.0)  # waits before opening a dropped LISTEN link again


class Pulse:
    """A generation number and a way to wait for the next one (one event loop)."""

    def __init__(self) -> None:
        self.generation = 0
        self._event: asyncio.Event | None = None

    def beat(self) -> None:
        self.generation += 1
        event, self._event = self._event, None
        if event is not None:
            event.set()

    async def wait_past(self, generation: int, timeout: float) -> bool:
        """Return once the generation is past `generation` (True), or after `timeout`
        seconds (False)."""
        if self.generation != generation:
            return True
        if self._event is None:
            self._event = asyncio.Event()
        try:
            await asyncio.wait_for(self._event.wait(), timeout)
        except TimeoutError:
            return False
        return True


@dataclass(frozen=True)
class _Batch:
    after: Position
    version: int  # the counter when it was read: valid until the counter moves
    changes: list[Change]


class ChangeFeed:
    """What streams of one process wait on; the watcher runs while any stream is open."""

    def __init__(self, store: Store, poll_seconds: float = 0.1) -> None:
        self.store = store
        self.poll_seconds = poll_seconds
        self.pulse = Pulse()
        self.presence = PresenceBoard()
        self.version = -1
        self.streams = 0
        self._poke: asyncio.Event | None = None
        self._watcher: asyncio.Task[None] | None = None
        self._batch: _Batch | None = None
        self._read_lock: asyncio.Lock | None = None
        self._join_lock: asyncio.Lock | None = None
        self._tokens: Counter[str] = Counter()  # token hashes of the open streams
        self._revoked: set[str] = set()
        self._tokens_checked = 0.0
        self._listener: asyncio.Task[None] | None = None
        self.listening = False  # a LISTEN link is up: commits anywhere wake the watcher

    async def start(self) -> None:
        """At server start: on PostgreSQL, LISTEN for the other processes' news."""
        if self.store.dialect == "postgresql" and self._listener is None:
            self._poke = self._poke or asyncio.Event()
            self._listener = asyncio.get_running_loop().create_task(self._listen())

    async def stop(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await listener

    async def announce(self, number: int, email: str, name: str, state: str) -> None:
        """A heartbeat this process took: the other processes' boards hear it (PostgreSQL)."""
        if self.store.dialect != "postgresql":
            return
        payload = json.dumps({"ticket": number, "email": email, "name": name, "state": state})
        await to_thread.run_sync(self._notify, PRESENCE_CHANNEL, payload)

    def _notify(self, channel: str, payload: str) -> None:
        self.store.read().execute(NOTIFY, (channel, payload))

    async def _listen(self) -> None:
        """Wake the watcher on each commit's NOTIFY; take presence news; reconnect on a drop."""
        assert self.store.url is not None
        drops = 0
        while True:
            try:
                async for channel, payload in notifications(
                    self.store.url, (CHANGES_CHANNEL, PRESENCE_CHANNEL)
                ):
                    if channel == PRESENCE_CHANNEL:
                        if not self._heard_presence(payload):
                            continue
                    else:
                        self.listening, drops = True, 0
                    if self._poke is not None:
                        self._poke.set()
            except StoreError:
                pass
            self.listening = False
            if self._poke is not None:
                self._poke.set()  # the watcher polls again until the link is back
            await asyncio.sleep(RELISTEN_S[min(drops, len(RELISTEN_S) - 1)])
            drops += 1

    def _heard_presence(self, payload: str) -> bool:
        """A heartbeat from any process (this one's too: renewing it again changes nothing)."""
        beat = json.loads(payload)
        return self.presence.beat(
            int(beat["ticket"]), str(beat["email"]), str(beat["name"]), str(beat["state"])
        )

    async def join(self, token_hash: str) -> int:
        """A stream opens: make sure the watcher runs; the counter as it is now.

        Streams that open together wait for the first one's read of the counter: each
        used to see no watcher yet, read, and start its own (200 clients connecting at
        once left 200 watchers polling the store).
        """
        self.streams += 1
        self._tokens[token_hash] += 1
        if self._join_lock is None:
            self._join_lock = asyncio.Lock()
        async with self._join_lock:
            if self._watcher is None or self._watcher.done():
                self.version = await to_thread.run_sync(latest_version, self.store)
                self._poke = self._poke or asyncio.Event()
                self._watcher = asyncio.get_running_loop().create_task(self._watch())
        return self.version

    def leave(self, token_hash: str) -> None:
        self.streams -= 1
        self._tokens[token_hash] -= 1
        if not self._tokens[token_hash]:
            del self._tokens[token_hash]
            self._revoked.discard(token_hash)

    def revoked(self, token_hash: str) -> bool:
        """Whether the token a stream was opened with has been revoked since."""
        return token_hash in self._revoked

    def poke(self) -> None:
        """This process just wrote: read the counter now rather than at the next poll."""
        if self._poke is not None:
            self._poke.set()

    async def _watch(self) -> None:
        read = True
        while self.streams > 0:
            version = self.version
            if read:
                version = await to_thread.run_sync(latest_version, self.store)
            expired = self.presence.expire()
            revoked = await self._check_tokens()
            if version != self.version or expired or revoked:
                self.version = version
                self.pulse.beat()
            assert self._poke is not None
            listening = self.listening
            try:
                wait = LISTENING_WAKE_S if listening else self.poll_seconds
                await asyncio.wait_for(self._poke.wait(), wait)
                read = True  # a commit's NOTIFY, presence news, or a write here
            except TimeoutError:
                read = not listening  # listening: nothing was committed
            self._poke.clear()

    async def _check_tokens(self) -> bool:
        """Every `AUTH_CHECK_S`: whether a token of an open stream is newly revoked."""
        now = time.monotonic()
        if now - self._tokens_checked < AUTH_CHECK_S:
            return False
        self._tokens_checked = now
        held = await to_thread.run_sync(held_tokens, self.store)
        gone = {t for t in self._tokens if t not in held} - self._revoked
        self._revoked |= gone
        return bool(gone)

    async def changes_after(self, after: Position) -> list[Change]:
        """What changed after `after`; streams at the same place share one read."""
        if self._read_lock is None:
            self._read_lock = asyncio.Lock()
        async with self._read_lock:
            batch = self._batch
            if batch is not None and batch.after == after and batch.version == self.version:
                return batch.changes
            version = self.version
            changes = await to_thread.run_sync(changes_after, self.store, after, PAGE)
            self._batch = _Batch(after, version, changes)
            return changes
