"""Parse workers end with the process that started them, however it ends.

A kill -9 of `fetch` gives its pool no chance to shut down, and the workers
would wait for work forever under PID 1, holding the forkserver and the
resource tracker alive with them (about 80 MB, and the dead process's stderr).
Each worker watches its starter through a pidfd (readable once that process
has exited, zombie or not) and exits when it fires; where pidfds are missing,
it polls instead.
"""

from __future__ import annotations

import os
import select
import threading
import time

POLL_S = 0.5


def die_with(pid: int) -> None:
    """Pool initializer: exit this worker as soon as process `pid` has ended."""
    try:
        fd = os.pidfd_open(pid)
    except (AttributeError, OSError):  # not Linux 5.3+: poll for the process
        threading.Thread(target=_poll, args=(pid,), name="lifeline", daemon=True).start()
        return
    threading.Thread(target=_wait, args=(fd,), name="lifeline", daemon=True).start()


def _wait(fd: int) -> None:
    select.select([fd], [], [])
    os._exit(1)


def _poll(pid: int) -> None:
    while True:
        time.sleep(POLL_S)
        try:
            os.kill(pid, 0)
        except OSError:  # gone (or the pid is another user's now)
            os._exit(1)
