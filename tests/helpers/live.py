"""Listening to a server's live stream from a test: events land in a queue, read with deadlines."""

from __future__ import annotations

import queue
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import IO, Any

from deskterm.channels.live import EventStream, LiveEvent

WAIT_S = 30.0  # a hang-only deadline: the tests assert latencies separately


class Listener:
    """An `EventStream` read on its own thread; `next` waits for the event a test expects."""

    def __init__(
        self, url: str, token: str, since: str | None = None, *, reconnect: bool = False
    ) -> None:
        self.stream = EventStream(url, token, since=since)
        self.reconnect = reconnect  # as the app does: a dropped stream is opened again
        self.events: queue.Queue[tuple[float, LiveEvent]] = queue.Queue()
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="listener", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            offline = (lambda _exc: None) if self.reconnect else None
            for event in self.stream.events(offline=offline):
                self.events.put((time.perf_counter(), event))
        except BaseException as exc:  # handed to the test that waits
            self.error = exc

    def next(
        self, match: Callable[[LiveEvent], bool] = lambda _e: True, wait: float = WAIT_S
    ) -> tuple[float, LiveEvent]:
        """The next event that `match`es (others are dropped), with when it arrived."""
        deadline = time.monotonic() + wait
        while True:
            left = deadline - time.monotonic()
            try:
                arrived, event = self.events.get(timeout=max(left, 0.01))
            except queue.Empty:
                raise AssertionError(
                    f"no matching event in {wait:.0f} s ({self.error!r})"
                ) from None
            if match(event):
                return arrived, event

    def ready(self) -> LiveEvent:
        return self.next(lambda e: e.kind == "ready")[1]

    def ticket(self, number: int) -> tuple[float, LiveEvent]:
        return self.next(lambda e: e.kind == "ticket" and e.data["number"] == number)

    def ended(self, wait: float = WAIT_S) -> BaseException | None:
        """Wait for the stream to end by itself; what ended it."""
        self._thread.join(timeout=wait)
        assert not self._thread.is_alive(), f"the stream was still open after {wait:.0f} s"
        return self.error

    def close(self) -> None:
        self.stream.close()
        self._thread.join(timeout=WAIT_S)


@contextmanager
def listening(
    url: str, token: str, since: str | None = None, *, reconnect: bool = False
) -> Iterator[Listener]:
    listener = Listener(url, token, since, reconnect=reconnect)
    try:
        yield listener
    finally:
        listener.close()


def read_lines(pipe: IO[str]) -> queue.Queue[str]:
    """Lines of a child's output as they come (a thread reads; the test waits on the queue)."""
    lines: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        for line in pipe:
            lines.put(line)

    threading.Thread(target=pump, name="lines", daemon=True).start()
    return lines


def next_line(lines: queue.Queue[str], proc: subprocess.Popen[Any], wait: float = WAIT_S) -> str:
    try:
        return lines.get(timeout=wait)
    except queue.Empty:
        raise AssertionError(f"no output in {wait:.0f} s (exit code {proc.poll()})") from None
