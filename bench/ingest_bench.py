"""The store's write path for mail: parsed mails stored through `MailIngest` in batches.

CPU seconds of this process only (parsing is done before the clock starts), so a busy
machine skews it less than wall time. The raw baseline, in the same run: the same
mails' bytes and message rows in plain INSERTs, one transaction a batch, with no
threading, customers, tickets' counters, events, search rows or hooks.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import tempfile
import time
from pathlib import Path

from bench.common import Context, Figure
from bench.mail_bench import _mails

NAMES = ("ingest",)
NEEDS_STORE = False
COUNT = int(os.environ.get("DESKTERM_BENCH_INGEST", "3000"))
BATCH = 50
GOAL = 4_350  # mails per CPU-second before the unit of work (issue 11: no figure worse)


def _store(path: Path) -> None:
    from deskterm.store.schema.db import open_store

    open_store(path, create=True).close()


def _deskterm(path: Path, mails: list[bytes]) -> float:
    from deskterm.store.schema.db import open_store
    from deskterm.store.service.ingest import MailIngest, parse_incoming

    store = open_store(path, create=True)
    try:
        ingest = MailIngest(store, own_addresses=["support@desk.test"])
        items = [parse_incoming(raw, f"bench {n}") for n, raw in enumerate(mails)]
        start = time.process_time()
        for i in range(0, len(items), BATCH):
            ingest.ingest(items[i : i + BATCH])
        return time.process_time() - start
    finally:
        store.close()


def _raw(path: Path, mails: list[bytes]) -> float:
    """The floor: bytes and message rows, nothing derived."""
    from deskterm.store.prepared import Prepared, prepare

    _store(path)
    db = sqlite3.connect(path, isolation_level=None)
    try:
        parsed = [prepare(raw) for raw in mails]
        db.execute("BEGIN")
        db.execute("INSERT INTO customer (email, name, created_at) VALUES ('c@x.test', '', '')")
        db.execute(
            "INSERT INTO ticket (number, subject, status, priority, channel, customer_id,"
            " created_at, updated_at, reopen_count, message_count)"
            " VALUES (1, '', 'new', 'normal', 'email', 1, '', '', 0, 0)"
        )
        db.execute("COMMIT")
        start = time.process_time()
        for i in range(0, len(mails), BATCH):
            db.execute("BEGIN IMMEDIATE")
            for raw, prepared in zip(mails[i : i + BATCH], parsed[i : i + BATCH], strict=True):
                assert isinstance(prepared, Prepared)
                mail = prepared.mail
                raw_id = db.execute(
                    "INSERT INTO raw_mail (sha256, size, data, received_at) VALUES (?, ?, ?, '')",
                    (hashlib.sha256(raw).hexdigest(), len(raw), raw),
                ).lastrowid
                db.execute(
                    "INSERT INTO message (ticket_id, kind, from_name, from_addr, to_addrs,"
                    " cc_addrs, subject, body_text, body_html, message_id, created_at,"
                    " raw_mail_id, dedupe_key) VALUES (1, 'customer', ?, ?, ?, ?, ?, ?, ?, ?,"
                    " '', ?, ?)",
                    (
                        mail.from_name, mail.from_addr, ", ".join(mail.to), ", ".join(mail.cc),
                        mail.subject, mail.body_text, mail.body_html, mail.message_id, raw_id,
                        prepared.dedupe_key,
                    ),
                )  # fmt: skip
            db.execute("COMMIT")
        return time.process_time() - start
    finally:
        db.close()


def run(ctx: Context, only: str | None) -> list[Figure]:
    mails = _mails(COUNT)
    size = f"{COUNT:,} mails, {sum(map(len, mails)) / 1e6:.1f} MB, batches of {BATCH}"
    with tempfile.TemporaryDirectory(prefix="deskterm-ingestbench-") as work:
        raw = _raw(Path(work) / "raw.db", mails)
        took = _deskterm(Path(work) / "store.db", mails)
    rate = COUNT / took
    return [
        Figure("ingest", "store parsed mail (mails/CPU-s)", rate, "mails/s", size, COUNT / raw,
               f">= {GOAL:,} mails/s", rate >= GOAL, f"{took:.2f} CPU-s vs raw {raw:.2f} CPU-s")
    ]  # fmt: skip
