"""Processes of the real test servers: binaries, ports, shared folders, clean kills.

Every server lives under its own `tempfile.mkdtemp()` directory (chmod 755: Dovecot's auth
process and PostgreSQL run as other users and cannot enter pytest's 0700 `tmp_path`) and
listens on a port picked at start, so pytest-xdist workers never share anything. The server
classes have no pytest dependency beyond `require_binary`, so benchmarks use them directly.
See /work/shared/real-servers.md for the recipes and the gotchas these classes follow.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, NoReturn

import pytest

HOST = "127.0.0.1"
START_TIMEOUT = 30.0

DOVECOT_CANDIDATES = ("/usr/sbin/dovecot", "/usr/local/sbin/dovecot")
DOVEADM_CANDIDATES = ("/usr/bin/doveadm", "/usr/local/bin/doveadm")
PG_BIN_CANDIDATES = (
    *(f"/usr/lib/postgresql/{v}/bin/initdb" for v in (15, 16, 17, 14, 13)),
    "/usr/local/pgsql/bin/initdb",
)


class ServerError(RuntimeError):
    """A test server failed to start or to do what it was asked."""


def require_binary(name: str, path_candidates: Sequence[str] = ()) -> str:
    """Return the path of `name` (first existing candidate, then $PATH).

    Missing locally: skip the test with a hint. Missing under CI=true: fail the test, so a CI
    image without the server cannot turn the real-server tests into silent skips.
    """
    for candidate in path_candidates:
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    found = shutil.which(name)
    if found:
        return found
    skip_or_fail(f"{name} not installed: bash run.sh test installs it")


def skip_or_fail(message: str) -> NoReturn:
    """pytest.skip(message) locally; pytest.fail(message) when CI == "true"."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{message} (CI=true, so this is a failure, not a skip)", pytrace=False)
    pytest.skip(message)


def free_port(host: str = HOST) -> int:
    """A TCP port that was free a moment ago (the kernel's pick; close to race-free)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def make_shared_dir(prefix: str) -> Path:
    """A fresh directory other users (dovecot, postgres, nobody) can traverse."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    path.chmod(0o755)
    return path


def log_tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def group_alive(pgid: int) -> bool:
    """True while any non-zombie process is left in process group `pgid`."""
    return any(st["pgrp"] == pgid and st["state"] != "Z" for _, st in proc_stats())


def proc_stats() -> Iterator[tuple[int, dict[str, Any]]]:
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            raw = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        # "pid (comm) state ppid pgrp ...": comm may contain spaces and parentheses.
        comm = raw[raw.index("(") + 1 : raw.rindex(")")]
        rest = raw[raw.rindex(")") + 2 :].split()
        yield int(entry), {
            "comm": comm, "state": rest[0], "ppid": int(rest[1]), "pgrp": int(rest[2]),
        }  # fmt: skip


def kill_group(proc: subprocess.Popen[bytes], sig: int, timeout: float = 10.0) -> None:
    """Signal the whole process group of `proc` and wait until every member is gone."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=timeout)
    deadline = time.monotonic() + timeout
    while group_alive(proc.pid) and time.monotonic() < deadline:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        time.sleep(0.01)


live_processes: set[subprocess.Popen[bytes]] = set()


@atexit.register
def reap_leftovers() -> None:  # pragma: no cover - only after a crash or a forgotten stop()
    for proc in list(live_processes):
        kill_group(proc, signal.SIGKILL, timeout=2.0)
