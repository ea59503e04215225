"""kill -9 of `deskterm send --watch` at random points, again and again: nothing lost.

A repeat is allowed only for a mail the server accepted just before the kill
(before the sender could record it), and it carries the same Message-ID.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
import time
from collections import Counter
from email import message_from_bytes
from pathlib import Path
from typing import Any

from helpers.outbox import SUPPORT, mail_service, settings_for, ticket_from_mail
from helpers.smtp import SmtpServer

from deskterm.store.queries import outbox as outbox_queries
from deskterm.store.schema.db import Store
from deskterm.store.schema.timefmt import utcnow

KILLS = 20
TOP_UP = 15


def _slow_down(server: SmtpServer, seconds: float) -> None:
    """Each DATA takes a moment, so kills land mid-send (and sometimes in the window)."""
    handler: Any = server.handler
    original = handler.handle_DATA

    async def slow(*args: Any) -> str:
        await asyncio.sleep(seconds)
        result: str = await original(*args)
        return result

    handler.handle_DATA = slow


def test_kill_9_send_watch_repeatedly_loses_nothing(
    store: Store, smtp_server: SmtpServer, tmp_path: Path, deskterm_bin: str
) -> None:
    settings = settings_for(smtp_server, undo_seconds=0)
    service = mail_service(store, utcnow, settings)
    numbers = [ticket_from_mail(service, message_id=f"t{i}@customer.test") for i in range(5)]
    config = tmp_path / "config.toml"
    config.write_text(
        f'[[mailbox]]\naddress = "{SUPPORT}"\nname = "Example Support"\n'
        f'smtp_host = "{smtp_server.host}"\nsmtp_port = {smtp_server.port}\n'
        'smtp_security = "plain"\n'
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("DESKTERM_")}
    argv = [deskterm_bin, "--config", str(config), "--db", str(store.path), "send"]
    _slow_down(smtp_server, 0.01)
    rng = random.Random(int(os.environ.get("DESKTERM_SEED", "6")))
    queued = 0
    for round_ in range(KILLS):
        for i in range(TOP_UP):
            service.add_reply(numbers[(round_ + i) % len(numbers)], f"round {round_} reply {i}")
            queued += 1
        proc = subprocess.Popen(
            [*argv, "--watch", "--interval", "0.05"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        # Kill while it sends: after its first mail of this round, at a random moment.
        before = len(smtp_server.messages)
        deadline = time.monotonic() + 30
        while len(smtp_server.messages) == before and time.monotonic() < deadline:
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            time.sleep(0.005)
        time.sleep(rng.uniform(0.0, 0.12))
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        if proc.stderr:
            proc.stderr.close()
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr

    rows = outbox_queries.list_outbox(store, limit=10_000)
    assert len(rows) == queued
    assert {r.state for r in rows} == {"sent"}
    got = Counter(
        str(message_from_bytes(m.content)["Message-ID"]).strip("<>") for m in smtp_server.messages
    )
    wanted = {r.rfc_message_id for r in rows}
    assert set(got) == wanted  # none lost, nothing foreign
    # Each kill can repeat at most the one mail in flight; a mail re-sent first after a kill
    # may be in flight at the next kill too, so count extra copies, not mails with copies.
    extra = sum(n - 1 for n in got.values())
    assert extra <= KILLS, {mid: n for mid, n in got.items() if n > 1}
    by_id: dict[str, set[bytes]] = {}
    for m in smtp_server.messages:
        mid = str(message_from_bytes(m.content)["Message-ID"]).strip("<>")
        by_id.setdefault(mid, set()).add(m.content)
    assert all(len(contents) == 1 for contents in by_id.values())  # a repeat is the same mail
    print(f"{queued} mails, {KILLS} kills, {extra} extra copies (accepted, then killed)")
