"""One holder per store: the lock a sender takes, on a SQLite file and on PostgreSQL."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

from helpers.processes import kill_group

from deskterm.store.schema.db import Store
from deskterm.store.schema.locks import StoreLock

HANG_S = 30.0  # only turns a hang into a failure

HOLDER = """
import sys
from deskterm.store.schema.db import open_store
from deskterm.store.schema.locks import StoreLock
lock = StoreLock(open_store(sys.argv[1]), "send")
assert lock.acquire()
print("held", flush=True)
sys.stdin.read()
"""


def test_a_second_holder_is_refused_until_the_first_lets_go(either_store: Store) -> None:
    first, second = StoreLock(either_store, "send"), StoreLock(either_store, "send")
    assert first.acquire() and first.held
    assert not second.acquire() and not second.held
    assert StoreLock(either_store, "other").acquire()  # locks of other names are apart
    first.release()
    assert second.acquire()
    second.release()


def test_a_killed_holder_leaves_the_lock_free(either_store: Store) -> None:
    location = either_store.url or str(either_store.path)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, location],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == b"held\n"
        lock = StoreLock(either_store, "send")
        assert not lock.acquire()
        holder.send_signal(signal.SIGKILL)  # no chance to clean up
        holder.wait(HANG_S)
        deadline = time.monotonic() + HANG_S
        while not lock.acquire():  # PostgreSQL ends the dead session as it notices
            assert time.monotonic() < deadline, "the dead holder's lock was never released"
            time.sleep(0.05)
        lock.release()
    finally:
        kill_group(holder, signal.SIGKILL)
