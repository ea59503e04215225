"""Outbox delivery rate: 1,000 queued replies to a local aiosmtpd, against raw smtplib.

The raw baseline sends the same bytes to the same recipients over one smtplib
connection in this process; the outbox path claims batches, sends each batch
over one connection and records every mail as sent right after its 250.
Runs on its own throwaway store: `python -m bench --only outbox`, or
`python -m bench.outbox_bench` alone (no demo store needed).
"""

from __future__ import annotations

import json
import shutil
import smtplib
import socket
import sqlite3
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.common import Context, Figure

NAMES = ("outbox",)
MAILS = 1000
ROUNDS = 3
GOAL_RATIO = 1.5


# The server runs in its own process, as a real one would: in a thread here it
# would compete with the client for the GIL and blur the comparison.
_SERVER = """
import sys, time
from aiosmtpd.controller import Controller
class Ok:
    async def handle_DATA(self, server, session, envelope):
        return "250 OK"
c = Controller(Ok(), hostname="127.0.0.1", port=int(sys.argv[1]))
c.start()
print("ready", flush=True)
sys.stdin.read()
c.stop()
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _queue(db: Path, port: int) -> Any:
    from deskterm.config import MailboxConfig
    from deskterm.store.schema.db import open_store
    from deskterm.store.service import Actor, Service
    from deskterm.store.service.delivery import MailSettings

    box = MailboxConfig(
        address="support@bench.test",
        name="Bench Support",
        smtp_host="127.0.0.1",
        smtp_port=port,
        smtp_security="plain",
    )
    settings = MailSettings(mailboxes=(box,), undo_seconds=0)
    store = open_store(db, create=True)
    clock = lambda: datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # noqa: E731 - all due at once
    system = Service(store, Actor.system(), clock)
    agent = system.ensure_agent("Sam Lee", "sam@bench.test")
    service = Service(store, Actor(agent, "Sam Lee"), clock).with_mail(settings)
    numbers = [
        service.create_ticket(
            f"Question {i}",
            "Hello, I have a question about my order.\n" * 5,
            f"customer{i}@example.test",
            f"Customer {i}",
            message_fields={"message_id": f"q{i}@example.test", "mailbox": box.address},
        ).number
        for i in range(50)
    ]
    body = "Thanks for writing. Here is what to do next.\n" * 8
    for i in range(MAILS):
        service.add_reply(numbers[i % len(numbers)], f"{body}\nReply {i}")
    return store, settings


def _raw_send(db: Path, port: int) -> float:
    conn = sqlite3.connect(db)
    rows = [
        (json.loads(r[0]), bytes(r[1]))
        for r in conn.execute("SELECT recipients, raw FROM outbox ORDER BY id")
    ]
    conn.close()
    start = time.perf_counter()
    smtp = smtplib.SMTP("127.0.0.1", port)
    for recipients, raw in rows:
        smtp.sendmail("support@bench.test", recipients, raw)
    smtp.quit()
    return time.perf_counter() - start


def _reset(db: Path) -> None:
    conn = sqlite3.connect(db)
    conn.execute("UPDATE outbox SET state = 'waiting', attempts = 0, next_attempt_at = not_before")
    conn.commit()
    conn.close()


def run(ctx: Context, only: str | None) -> list[Figure]:
    import importlib.util
    import subprocess

    if importlib.util.find_spec("aiosmtpd") is None:
        ctx.notes.append("outbox skipped: aiosmtpd is not installed (pip install -e .[dev])")
        return []
    from deskterm.channels.sender import Sender

    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-c", _SERVER, str(port)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert server.stdout is not None and server.stdin is not None
    server.stdout.readline()  # "ready"
    folder = Path(tempfile.mkdtemp(prefix="deskterm-outbox-bench-"))
    try:
        db = folder / "outbox.db"
        print(f"queueing {MAILS:,} replies ...", file=sys.stderr)
        store, settings = _queue(db, port)
        raw_times, ours = [], []
        for _ in range(ROUNDS):
            raw_times.append(_raw_send(db, port))
            _reset(db)
            sender = Sender(store, settings, clock=lambda: datetime(2026, 3, 2, 9, 1, tzinfo=UTC))
            start = time.perf_counter()
            report = sender.run_once()
            ours.append(time.perf_counter() - start)
            sender.release()
            if report.sent != MAILS:
                ctx.notes.append(f"outbox: sent {report.sent} of {MAILS}: {report.errors[:1]}")
        store.close()
        raw, took = min(raw_times), min(ours)
        size = f"{MAILS:,} mails, batch {Sender(store, settings).batch}"
        return [
            Figure("outbox", f"deliver {MAILS:,} queued (best of {ROUNDS})", took, "s", size,
                   raw, f"<= {GOAL_RATIO}x raw", took <= GOAL_RATIO * raw,
                   extra=f"({MAILS / took:,.0f} mails/s)"),
        ]  # fmt: skip
    finally:
        server.stdin.close()
        server.wait(10)
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    from bench.common import RESULTS, print_table

    context = Context(db=RESULTS / "unused.db", tickets=0, runs=0)
    print_table(run(context, None))
    for note in context.notes:
        print(f"note: {note}")
