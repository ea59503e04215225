"""What fetch and import share: settings, parsing (in a process pool when it pays), tallies.

Parsing is pure CPU work over bytes, so a big intake spreads it over processes
while the caller's thread keeps the network and the store busy.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from deskterm.channels.lifeline import die_with
from deskterm.config import Config
from deskterm.mail.parse import DEFAULT_MAX_BYTES
from deskterm.store.prepared import Prepared, prepare_all
from deskterm.store.service.ingest import Incoming, IngestResult, Outcome, Receipt

# Below this many mails a process pool costs more to start than it saves.
POOL_THRESHOLD = 400
DEFAULT_BATCH = 50


@dataclass(frozen=True)
class IntakeSettings:
    """Knobs for taking mail in (config keys; see config.example.toml)."""

    tag_prefix: str = "#"
    max_bytes: int = DEFAULT_MAX_BYTES
    batch_size: int = DEFAULT_BATCH
    workers: int = 0  # parse processes; 0 = one per CPU when a batch is big enough

    @classmethod
    def from_config(cls, config: Config, batch_size: int | None = None) -> IntakeSettings:
        mail = getattr(config, "mail", None)
        return cls(
            tag_prefix=str(getattr(mail, "subject_tag_prefix", "#") or "#"),
            max_bytes=int(getattr(mail, "max_mail_bytes", DEFAULT_MAX_BYTES)),
            batch_size=max(1, batch_size or int(getattr(mail, "fetch_batch", DEFAULT_BATCH))),
            workers=int(getattr(mail, "parse_workers", 0)),
        )

    def own_addresses(self, config: Config) -> list[str]:
        return [m.address for m in config.mailbox]


@dataclass
class Tally:
    """How many mails went where; the summary `fetch` and `import` print."""

    new: int = 0
    threaded: int = 0
    quarantined: int = 0
    duplicates: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def add(self, results: Sequence[IngestResult]) -> None:
        with self.lock:
            for result in results:
                if result.outcome is Outcome.NEW:
                    self.new += 1
                elif result.outcome is Outcome.THREADED:
                    self.threaded += 1
                elif result.outcome is Outcome.QUARANTINED:
                    self.quarantined += 1
                else:
                    self.duplicates += 1

    @property
    def total(self) -> int:
        return self.new + self.threaded + self.quarantined + self.duplicates

    def to_json(self) -> dict[str, int]:
        return {
            "new": self.new,
            "threaded": self.threaded,
            "quarantined": self.quarantined,
            "duplicates": self.duplicates,
        }


Job = tuple[bytes, str, "Receipt | None", "str | None"]  # raw, source, receipt, mailbox


def _incoming(jobs: list[Job], prepared: list[Prepared | str]) -> list[Incoming]:
    return [
        Incoming.of(raw, source, done, receipt, mailbox)
        for (raw, source, receipt, mailbox), done in zip(jobs, prepared, strict=True)
    ]


class Parser:
    """Parses batches inline, or in a process pool once `start_pool` was called."""

    def __init__(self, settings: IntakeSettings) -> None:
        self.settings = settings
        self._pool: Executor | None = None
        self._lock = threading.Lock()

    def workers(self) -> int:
        if self.settings.workers > 0:
            return self.settings.workers
        return max(1, min(8, os.cpu_count() or 1))

    def want_pool(self, count: int) -> bool:
        return count >= POOL_THRESHOLD and self.workers() > 1

    def start_pool(self) -> None:
        with self._lock:
            if self._pool is None:
                import multiprocessing

                # forkserver: no fork of a process that already runs IMAP threads.
                context = multiprocessing.get_context("forkserver")
                context.set_forkserver_preload(["deskterm.store.prepared", die_with.__module__])
                self._pool = ProcessPoolExecutor(
                    self.workers(), mp_context=context,
                    initializer=die_with, initargs=(os.getpid(),),
                )  # fmt: skip

    def _spread(self, raws: list[bytes]) -> list[Future[list[Prepared | str]]]:
        """Submit a batch in parts, one per worker; a pool broken by a killed worker restarts."""
        try:
            return self._parts(raws)
        except BrokenProcessPool:
            self.close(wait=False)
            self.start_pool()
            return self._parts(raws)

    def _parts(self, raws: list[bytes]) -> list[Future[list[Prepared | str]]]:
        assert self._pool is not None
        size = max(1, -(-len(raws) // self.workers()))
        return [
            self._pool.submit(prepare_all, raws[i : i + size], self.settings.max_bytes)
            for i in range(0, len(raws), size)
        ]

    def submit(self, jobs: list[Job]) -> Future[list[Incoming]] | list[Incoming]:
        """Parse `jobs`: a future when pooled, else the result at once."""
        max_bytes = self.settings.max_bytes
        raws = [job[0] for job in jobs]
        if self._pool is None or not jobs:
            return _incoming(jobs, prepare_all(raws, max_bytes))
        futures = self._spread(raws)  # results keep the order
        joined: Future[list[Incoming]] = Future()
        lock = threading.Lock()

        def done(_: Any) -> None:
            with lock:
                if joined.done() or not all(f.done() for f in futures):
                    return
                try:
                    try:
                        prepared = [r for f in futures for r in f.result()]
                    except BrokenProcessPool:
                        # A worker was killed (out of memory, an operator): parse here.
                        prepared = prepare_all(raws, max_bytes)
                    joined.set_result(_incoming(jobs, prepared))
                except BaseException as exc:  # hand any other failure on
                    joined.set_exception(exc)

        for future in futures:
            future.add_done_callback(done)
        return joined

    def close(self, *, wait: bool = True) -> None:
        with self._lock:
            if self._pool is not None:
                self._pool.shutdown(wait=wait, cancel_futures=True)
                self._pool = None


def resolve(parsed: Future[list[Incoming]] | list[Incoming]) -> list[Incoming]:
    return parsed if isinstance(parsed, list) else parsed.result()


@contextmanager
def parser(settings: IntakeSettings) -> Iterator[Parser]:
    p = Parser(settings)
    try:
        yield p
    finally:
        p.close()
