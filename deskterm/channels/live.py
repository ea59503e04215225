"""The live stream client: reads the server's `/api/v1/events` and reconnects where it left off.

`EventStream.events()` yields each event as the server sends it; after a dropped
connection (or a server restart) it reconnects with `Last-Event-ID`, so nothing
that changed meanwhile is missed. `close()` from another thread ends it (the app's
worker at exit).
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
from httpx_sse import SSEError, connect_sse

from deskterm.channels.sync import SyncOffline
from deskterm.errors import SyncError

# The server pings an idle stream every 15 s; a read silent for longer means a dead link.
READ_TIMEOUT_S = 45.0
CONNECT_TIMEOUT_S = 10.0
RETRY_S = (0.5, 1.0, 2.0, 5.0, 10.0)  # waits between reconnects, the last one repeating
KINDS = (
    "ready",
    "ticket",
    "presence",
)  # events this client knows; others (keep-alives, newer kinds) pass


@dataclass(frozen=True)
class LiveEvent:
    """One event: `kind` is one of `KINDS`; `data` its JSON object."""

    kind: str
    id: str | None
    data: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {"type": self.kind, **self.data}


class EventStream:
    """One agent's view of a server's event stream, across reconnects."""

    def __init__(self, url: str, token: str, *, since: str | None = None) -> None:
        self.url = url.rstrip("/")
        self.last_id = since
        self._http = httpx.Client(
            base_url=self.url,
            headers={"Authorization": f"Bearer {token}"},
            timeout=httpx.Timeout(READ_TIMEOUT_S, connect=CONNECT_TIMEOUT_S),
        )
        self._closed = threading.Event()
        self._response: httpx.Response | None = None

    def events(self, offline: Callable[[SyncOffline], None] | None = None) -> Iterator[LiveEvent]:
        """Events until `close()`; with `offline`, drops are told to it and retried."""
        failures = 0
        while not self._closed.is_set():
            try:
                for event in self._connect():
                    failures = 0
                    yield event
            except SyncOffline as exc:
                if offline is None or self._closed.is_set():
                    raise
                offline(exc)
                self._closed.wait(RETRY_S[min(failures, len(RETRY_S) - 1)])
                failures += 1

    def _connect(self) -> Iterator[LiveEvent]:
        headers = {"Last-Event-ID": self.last_id} if self.last_id else {}
        try:
            with connect_sse(self._http, "GET", "/api/v1/events", headers=headers) as source:
                self._response = source.response
                _check(source.response, self.url)
                for sse in source.iter_sse():
                    if sse.id:
                        self.last_id = sse.id
                    if sse.event in KINDS:
                        yield LiveEvent(sse.event, sse.id or None, json.loads(sse.data))
        except (httpx.HTTPError, SSEError) as exc:
            if self._closed.is_set():
                return
            raise SyncOffline(f"offline: the live stream of {self.url} dropped ({exc})") from exc
        finally:
            self._response = None
        if not self._closed.is_set():
            raise SyncOffline(f"offline: {self.url} ended the live stream")

    def close(self) -> None:
        """End `events()` (any thread): the open connection is closed under it."""
        self._closed.set()
        response = self._response
        if response is not None:
            # A read blocked in another thread wakes only when its socket is shut.
            stream = response.extensions.get("network_stream")
            sock = stream.get_extra_info("socket") if stream is not None else None
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
        self._http.close()


def _check(response: httpx.Response, url: str) -> None:
    """A refusal is final (one line); a server error is a drop to retry."""
    if response.status_code == 200:
        return
    response.read()
    try:
        detail = response.json().get("detail")
    except ValueError:
        detail = response.text[:200]
    if response.status_code == 401:
        raise SyncError(
            f"refused by {url}: the token is not valid (revoked or mistyped);"
            " ask an admin for a new one"
        )
    if response.status_code >= 500:
        raise SyncOffline(f"{url} failed ({response.status_code}): {detail}")
    raise SyncError(f"{url} refused the live stream ({response.status_code}): {detail}")
