"""The parse pool: a worker killed mid-intake costs nothing; the batch is parsed anyway."""

from __future__ import annotations

import os
import signal
from pathlib import Path

from helpers.processes import proc_stats

from deskterm.channels.intake import IntakeSettings, Job, Parser, resolve


def _jobs(start: int, count: int) -> list[Job]:
    return [
        (
            f"From: p{n}@cust.test\nSubject: Question {n}\n\nHello {n}.\n".encode(),
            f"t {n}",
            None,
            None,
        )
        for n in range(start, start + count)
    ]


def _workers() -> list[int]:
    """The pool's workers: children of our forkserver (itself a child of this process)."""
    servers = {
        pid
        for pid, st in proc_stats()
        if st["ppid"] == os.getpid() and b"forkserver" in Path(f"/proc/{pid}/cmdline").read_bytes()
    }
    return [pid for pid, st in proc_stats() if st["ppid"] in servers and st["state"] != "Z"]


def test_killed_worker_loses_no_batch_and_the_pool_restarts() -> None:
    parser = Parser(IntakeSettings(workers=2))
    try:
        parser.start_pool()
        first = resolve(parser.submit(_jobs(0, 20)))
        assert [i.parsed.mail.subject for i in first if i.parsed] == [
            f"Question {n}" for n in range(20)
        ]
        workers = _workers()
        assert len(workers) == 2
        os.kill(workers[0], signal.SIGKILL)
        for start in (20, 40, 60):  # broken pool seen by the futures, then at submit
            batch = resolve(parser.submit(_jobs(start, 20)))
            subjects = [i.parsed.mail.subject for i in batch if i.parsed is not None]
            assert subjects == [f"Question {n}" for n in range(start, start + 20)]
        alive = _workers()
        assert alive and workers[0] not in alive
    finally:
        parser.close()
