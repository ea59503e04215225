"""Real loopback servers for tests and benchmarks: Dovecot (IMAP), PostgreSQL 15 and aiosmtpd.

The helper classes (`DovecotServer`, `PostgresServer`, `SmtpServer`) have no pytest dependency
beyond `require_binary`, so benchmarks can use them directly. The pytest fixtures at the bottom
are meant to be imported into `tests/conftest.py`.

Every server lives under its own `tempfile.mkdtemp()` directory (chmod 755, because Dovecot's
auth process and PostgreSQL run as other users and cannot enter pytest's 0700 `tmp_path`) and
listens on a port picked at start, so pytest-xdist workers never share anything.
See /work/shared/real-servers.md for the recipes and the gotchas these classes follow.
"""

from __future__ import annotations

import atexit
import contextlib
import itertools
import logging
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import threading
import time
import uuid
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

import psycopg
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
from imapclient import IMAPClient
from psycopg import sql

__all__ = [
    "SMTP_PASSWORD",
    "SMTP_USER",
    "DovecotServer",
    "ImapAccount",
    "PostgresDatabase",
    "PostgresServer",
    "RecordedMessage",
    "RecordingHandler",
    "ServerError",
    "SmtpServer",
    "client_tls_context",
    "dovecot",
    "dovecot_private",
    "free_port",
    "imap_account",
    "make_shared_dir",
    "make_tls_files",
    "postgres_db",
    "postgres_dsn",
    "postgres_server",
    "postgres_url",
    "require_binary",
    "skip_or_fail",
    "smtp_server",
    "smtp_server_tls",
    "tls_files",
]

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


# --------------------------------------------------------------------------- generic helpers


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


def _log_tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _group_alive(pgid: int) -> bool:
    """True while any non-zombie process is left in process group `pgid`."""
    return any(st["pgrp"] == pgid and st["state"] != "Z" for _, st in _proc_stats())


def _proc_stats() -> Iterator[tuple[int, dict[str, Any]]]:
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
        yield int(entry), {"comm": comm, "state": rest[0], "pgrp": int(rest[2])}


def _kill_group(proc: subprocess.Popen[bytes], sig: int, timeout: float = 10.0) -> None:
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
    while _group_alive(proc.pid) and time.monotonic() < deadline:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        time.sleep(0.01)


_live_processes: set[subprocess.Popen[bytes]] = set()


@atexit.register
def _reap_leftovers() -> None:  # pragma: no cover - only after a crash or a forgotten stop()
    for proc in list(_live_processes):
        _kill_group(proc, signal.SIGKILL, timeout=2.0)


# --------------------------------------------------------------------------- Dovecot

_DOVECOT_CONF = """\
protocols = imap
listen = {host}
base_dir = {d}/run
state_dir = {d}/state
log_path = {d}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
verbose_proctitle = yes
mail_fsync = never
mail_max_userip_connections = 200
auth_failure_delay = 0
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {d}/passwd.d/%u
}}
userdb {{
  driver = static
  args = uid=nobody gid=nogroup home={d}/home/%u
}}
mail_location = maildir:~/Maildir
# No auth penalty: after a failed LOGIN (a test of bad credentials) anvil would otherwise
# delay every later login from 127.0.0.1 by 2-15 s. mode 0 keeps auth away from the socket.
service anvil {{
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
service imap-login {{
  inet_listener imap {{
    address = {host}
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
"""

_APPENDUID = re.compile(rb"APPENDUID (\d+) (\d+)")
_USER_RE = re.compile(r"^[A-Za-z0-9_.-]+$")


class DovecotServer:
    """A private Dovecot 2.3 IMAP server on 127.0.0.1 with plaintext LOGIN and Maildir storage.

    `start()` writes the config under a fresh directory, `stop()` kills the process group,
    `restart()` comes back on the same port with the same mail. `add_user()` works while the
    server runs (one passwd-file per user, see there).
    """

    def __init__(self, port: int | None = None, host: str = HOST) -> None:
        self.dovecot_bin = require_binary("dovecot", DOVECOT_CANDIDATES)
        self.doveadm_bin = require_binary("doveadm", DOVEADM_CANDIDATES)
        if os.geteuid() != 0:
            # The master must be root to run mail processes as nobody (see real-servers.md).
            skip_or_fail("the Dovecot fixture needs root: run the tests as root or in CI")
        self.host = host
        self._fixed_port = port is not None
        self.port: int = port if port is not None else free_port(host)
        self.base_dir: Path = make_shared_dir("deskterm-dovecot-")
        self.conf_path = self.base_dir / "dovecot.conf"
        self.log_path = self.base_dir / "dovecot.log"
        self.stderr_path = self.base_dir / "dovecot.stderr"
        self.passwd_dir = self.base_dir / "passwd.d"
        self.home_root = self.base_dir / "home"
        for sub in ("run", "state"):
            (self.base_dir / sub).mkdir()
        self.home_root.mkdir()
        shutil.chown(self.home_root, "nobody", "nogroup")
        self.passwd_dir.mkdir()
        self.users: dict[str, str] = {}
        self._proc: subprocess.Popen[bytes] | None = None
        self._lock = threading.Lock()
        self._counter = itertools.count(1)

    # lifecycle -------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def start(self) -> None:
        if self.running:
            return
        attempts = 1 if self._fixed_port else 5
        for attempt in range(attempts):
            self.conf_path.write_text(
                _DOVECOT_CONF.format(d=self.base_dir, host=self.host, port=self.port)
            )
            try:
                self._spawn()
            except ServerError as exc:
                if attempt == attempts - 1 or "in use" not in str(exc):
                    raise
                self.port = free_port(self.host)
            else:
                self._fixed_port = True  # from now on stop()/start() keep the port
                return

    def _spawn(self) -> None:
        with open(self.stderr_path, "ab") as stderr:
            proc = subprocess.Popen(
                [self.dovecot_bin, "-F", "-c", str(self.conf_path)],
                stdin=subprocess.DEVNULL,
                stdout=stderr,
                stderr=stderr,
                start_new_session=True,
            )
        self._proc = proc
        _live_processes.add(proc)
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                self._forget()
                raise ServerError(
                    f"dovecot exited with {proc.returncode}:\n{_log_tail(self.stderr_path)}\n"
                    f"{_log_tail(self.log_path)}"
                )
            if self._greets():
                return
            time.sleep(0.02)
        self.stop()
        raise ServerError(
            f"dovecot did not answer on port {self.port}:\n{_log_tail(self.log_path)}"
        )

    def _greets(self) -> bool:
        try:
            with socket.create_connection((self.host, self.port), timeout=1.0) as sock:
                return sock.recv(64).startswith(b"* OK")
        except OSError:
            return False

    def _forget(self) -> None:
        if self._proc is not None:
            _live_processes.discard(self._proc)
        self._proc = None

    def stop(self) -> None:
        """Stop the server and every connection it holds (killpg: 0.02 s)."""
        if self._proc is None:
            return
        _kill_group(self._proc, signal.SIGTERM)
        self._forget()

    def restart(self) -> None:
        """Stop, then start again on the same port with the same users and mail."""
        self.stop()
        self.start()

    def close(self) -> None:
        """Stop and delete every file (mail, config, logs)."""
        self.stop()
        shutil.rmtree(self.base_dir, ignore_errors=True)

    def __enter__(self) -> DovecotServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # users and mail --------------------------------------------------------------------

    def add_user(self, name: str, password: str) -> None:
        """Add (or re-password) a user; usable at once, also while the server runs.

        Each user has its own passwd-file ({base_dir}/passwd.d/{name}): Dovecot stats a
        passwd-file at most once a second, so one shared file would hide users added within a
        second of the last login. A new file is read on first use. Changing the password of
        an existing user can take up to a second to be seen.
        """
        if not _USER_RE.match(name) or ":" in password or "\n" in password:
            raise ValueError(f"unsupported user name or password: {name!r}")
        with self._lock:
            self.users[name] = password
            path = self.passwd_dir / name
            tmp = path.with_name(f".{name}.tmp")
            tmp.write_text(f"{name}:{{PLAIN}}{password}\n")
            tmp.chmod(0o644)
            tmp.replace(path)  # atomic: the auth process never sees half a file

    def remove_user(self, name: str, *, delete_mail: bool = True) -> None:
        """Forget a user: drop its sessions, its passwd-file and (by default) its mail."""
        self.kill_connections(name)
        with self._lock:
            self.users.pop(name, None)
            (self.passwd_dir / name).unlink(missing_ok=True)
        if delete_mail:
            shutil.rmtree(self.home_root / name, ignore_errors=True)

    def new_user(self, prefix: str = "user") -> tuple[str, str]:
        """Add a user with a unique name and a random password; return (name, password)."""
        name = f"{prefix}{os.getpid()}x{next(self._counter)}"
        password = uuid.uuid4().hex[:16]
        self.add_user(name, password)
        return name, password

    def maildir(self, user: str) -> Path:
        return self.home_root / user / "Maildir"

    def folder_dir(self, user: str, folder: str = "INBOX") -> Path:
        """The Maildir++ directory of `folder` (INBOX is the Maildir itself)."""
        if folder.upper() == "INBOX":
            return self.maildir(user)
        return self.maildir(user) / ("." + folder.replace("/", "."))

    def connect(self, user: str, *, timeout: float = 10.0) -> IMAPClient:
        """A logged-in IMAPClient; the caller must `logout()` it (or use it as a context)."""
        client = IMAPClient(self.host, port=self.port, ssl=False, timeout=timeout)
        try:
            client.login(user, self.users[user])
        except BaseException:
            client.shutdown()
            raise
        return client

    def append(
        self,
        user: str,
        folder: str,
        raw: bytes,
        flags: Sequence[str | bytes] = (),
        msg_time: Any = None,
    ) -> int:
        """APPEND `raw` to `folder` (created if missing) and return its UID (APPENDUID)."""
        with self.connect(user) as client:
            if folder.upper() != "INBOX" and not client.folder_exists(folder):
                client.create_folder(folder)
            response = client.append(folder, raw, flags=tuple(flags), msg_time=msg_time)
        match = _APPENDUID.search(response if isinstance(response, bytes) else b"")
        if match is None:
            raise ServerError(f"APPEND gave no APPENDUID: {response!r}")
        return int(match.group(2))

    def uidvalidity(self, user: str, folder: str = "INBOX") -> int:
        with self.connect(user) as client:
            status = client.folder_status(folder, [b"UIDVALIDITY"])
        return int(status[b"UIDVALIDITY"])

    def change_uidvalidity(self, user: str, folder: str = "INBOX") -> int:
        """Force a new UIDVALIDITY on `folder` and renumber its messages; return the new value.

        Done the way it happens in the wild (a rebuilt mail store): the user's sessions are
        dropped, Dovecot's index and uidlist are deleted, and the next session rescans the
        Maildir. Messages keep their content; their UIDs start again from 1.
        """
        old = self.uidvalidity(user, folder)
        self.kill_connections(user)
        directory = self.folder_dir(user, folder)
        for path in itertools.chain(
            directory.glob("dovecot-uidlist*"),
            directory.glob("dovecot.index*"),
            self.maildir(user).glob("dovecot.list.index*"),
        ):
            path.unlink(missing_ok=True)
        # UIDVALIDITY defaults to the current time in seconds; make sure it moves.
        new = self.uidvalidity(user, folder)
        while new == old:
            time.sleep(0.05)
            self.kill_connections(user)
            for path in itertools.chain(
                directory.glob("dovecot-uidlist*"), directory.glob("dovecot.index*")
            ):
                path.unlink(missing_ok=True)
            new = self.uidvalidity(user, folder)
        return new

    # connections -----------------------------------------------------------------------

    def imap_pids(self, user: str | None = None) -> list[int]:
        """PIDs of the logged-in `imap` processes (of `user`, or of everyone)."""
        if self._proc is None:
            return []
        pids = []
        for pid, stat in _proc_stats():
            if stat["pgrp"] != self._proc.pid or stat["comm"] != "imap" or stat["state"] == "Z":
                continue
            if user is not None:
                try:
                    title = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
                except OSError:
                    continue
                # verbose_proctitle: "dovecot/imap [alice 127.0.0.1 IDLE]"
                if not title.decode(errors="replace").partition("[")[2].startswith(user + " "):
                    continue
            pids.append(pid)
        return pids

    def kill_connections(self, user: str | None = None, sig: int = signal.SIGKILL) -> int:
        """Drop IMAP sessions at once (of `user`, or all) by signalling their imap processes.

        SIGKILL (the default) resets the TCP connection with no BYE: a client in the middle of
        a FETCH sees the socket die. Returns how many sessions were killed; waits until gone.
        """
        pids = self.imap_pids(user)
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)
        deadline = time.monotonic() + 5.0
        while time.monotonic() < deadline and set(pids) & set(self.imap_pids(user)):
            time.sleep(0.01)
        return len(pids)

    def kick(self, user: str) -> None:
        """Graceful variant: `doveadm kick` (the imap process says BYE, then closes).

        Returns once the user's imap processes are gone.
        """
        pids = set(self.imap_pids(user))
        self.doveadm("kick", user)
        deadline = time.monotonic() + 5.0
        while time.monotonic() < deadline and pids & set(self.imap_pids(user)):
            time.sleep(0.01)

    def doveadm(self, *args: str) -> str:
        result = subprocess.run(
            [self.doveadm_bin, "-c", str(self.conf_path), *args],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        if result.returncode != 0:
            raise ServerError(f"doveadm {' '.join(args)} failed: {result.stderr.strip()}")
        return result.stdout


@dataclass(frozen=True)
class ImapAccount:
    """A fresh Dovecot user with an empty INBOX (what the `imap_account` fixture yields)."""

    server: DovecotServer
    user: str
    password: str

    @property
    def host(self) -> str:
        return self.server.host

    @property
    def port(self) -> int:
        return self.server.port

    def connect(self, *, timeout: float = 10.0) -> IMAPClient:
        return self.server.connect(self.user, timeout=timeout)

    def append(self, raw: bytes, folder: str = "INBOX", flags: Sequence[str | bytes] = ()) -> int:
        return self.server.append(self.user, folder, raw, flags=flags)

    def maildir(self) -> Path:
        return self.server.maildir(self.user)

    def change_uidvalidity(self, folder: str = "INBOX") -> int:
        return self.server.change_uidvalidity(self.user, folder)

    def kill_connections(self, sig: int = signal.SIGKILL) -> int:
        return self.server.kill_connections(self.user, sig)


# --------------------------------------------------------------------------- PostgreSQL


@dataclass(frozen=True)
class PostgresDatabase:
    """One database on a `PostgresServer`."""

    name: str
    host: str
    port: int

    @property
    def url(self) -> str:
        """SQLAlchemy URL with the psycopg 3 driver."""
        return f"postgresql+psycopg://postgres@{self.host}:{self.port}/{self.name}"

    @property
    def dsn(self) -> str:
        """Plain libpq/psycopg URL."""
        return f"postgresql://postgres@{self.host}:{self.port}/{self.name}"


class PostgresServer:
    """A throwaway PostgreSQL cluster (trust auth, superuser `postgres`, fsync off).

    initdb runs once per instance (about 1.3 s). As root, initdb and the server run as the
    `postgres` OS user, which is what initdb insists on.
    """

    def __init__(self, port: int | None = None, host: str = HOST) -> None:
        initdb = require_binary("initdb", PG_BIN_CANDIDATES)
        self.bin_dir = Path(initdb).parent
        self.host = host
        self._fixed_port = port is not None
        self.port: int = port if port is not None else free_port(host)
        self.base_dir: Path = make_shared_dir("deskterm-pg-")
        self.data_dir = self.base_dir / "data"
        self.log_path = self.base_dir / "postgres.log"
        self._as_postgres = os.geteuid() == 0
        if self._as_postgres:
            shutil.chown(self.base_dir, "postgres", "postgres")
        self._proc: subprocess.Popen[bytes] | None = None
        self._counter = itertools.count(1)

    def _user_kwargs(self) -> dict[str, Any]:
        if self._as_postgres:
            return {"user": "postgres", "group": "postgres", "extra_groups": []}
        return {}

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def initdb(self) -> None:
        if (self.data_dir / "PG_VERSION").exists():
            return
        result = subprocess.run(
            [
                str(self.bin_dir / "initdb"),
                "-D",
                str(self.data_dir),
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
                "--no-sync",
                "--no-instructions",
            ],
            cwd=self.base_dir,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            **self._user_kwargs(),
        )
        if result.returncode != 0:
            raise ServerError(f"initdb failed:\n{result.stdout}\n{result.stderr}")

    def start(self) -> None:
        if self.running:
            return
        self.initdb()
        attempts = 1 if self._fixed_port else 5
        for attempt in range(attempts):
            try:
                self._spawn()
            except ServerError as exc:
                if attempt == attempts - 1 or "in use" not in str(exc):
                    raise
                self.port = free_port(self.host)
            else:
                self._fixed_port = True  # from now on stop()/start() keep the port
                return

    def _spawn(self) -> None:
        with open(self.log_path, "ab") as log:
            proc = subprocess.Popen(
                [
                    str(self.bin_dir / "postgres"),
                    "-D",
                    str(self.data_dir),
                    "-p",
                    str(self.port),
                    "-c",
                    f"listen_addresses={self.host}",
                    "-c",
                    f"unix_socket_directories={self.base_dir}",
                    "-c",
                    "fsync=off",
                    "-c",
                    "synchronous_commit=off",
                    "-c",
                    "full_page_writes=off",
                    "-c",
                    "max_connections=200",
                ],
                cwd=self.base_dir,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                start_new_session=True,
                **self._user_kwargs(),
            )
        self._proc = proc
        _live_processes.add(proc)
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                _live_processes.discard(proc)
                self._proc = None
                raise ServerError(
                    f"postgres exited with {proc.returncode}:\n{_log_tail(self.log_path)}"
                )
            if self._ready():
                return
            time.sleep(0.05)
        self.stop()
        raise ServerError(f"postgres did not come up:\n{_log_tail(self.log_path)}")

    def _ready(self) -> bool:
        try:
            with psycopg.connect(self.dsn("postgres"), connect_timeout=2):
                return True
        except psycopg.OperationalError:
            return False

    def stop(self) -> None:
        """Fast shutdown (SIGINT to the postmaster; about 0.1 s)."""
        if self._proc is None:
            return
        proc = self._proc
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                _kill_group(proc, signal.SIGKILL)
        _kill_group(proc, signal.SIGKILL)  # no stray backends left behind
        _live_processes.discard(proc)
        self._proc = None

    def restart(self) -> None:
        """Stop, then start again on the same port with the same data."""
        self.stop()
        self.start()

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.base_dir, ignore_errors=True)

    def __enter__(self) -> PostgresServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def url(self, dbname: str = "postgres") -> str:
        return PostgresDatabase(dbname, self.host, self.port).url

    def dsn(self, dbname: str = "postgres") -> str:
        return PostgresDatabase(dbname, self.host, self.port).dsn

    def create_database(self, name: str | None = None) -> PostgresDatabase:
        name = name or f"test_{os.getpid()}_{next(self._counter)}_{uuid.uuid4().hex[:6]}"
        if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
            raise ValueError(f"unsupported database name: {name!r}")
        with psycopg.connect(self.dsn("postgres"), autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return PostgresDatabase(name, self.host, self.port)

    def drop_database(self, name: str) -> None:
        if not self.running:
            return
        with psycopg.connect(self.dsn("postgres"), autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


# --------------------------------------------------------------------------- aiosmtpd

# aiosmtpd 1.4 itself sets the deprecated Session.login_data on every successful AUTH and
# logs a warning about it; that is noise, not a problem of the code under test.
logging.getLogger("mail.log").addFilter(
    lambda record: "login_data is deprecated" not in record.getMessage()
)

SMTP_USER = "deskterm"
SMTP_PASSWORD = "smtp-secret"


@dataclass(frozen=True)
class RecordedMessage:
    mail_from: str
    rcpt_tos: list[str]
    content: bytes
    auth_user: str | None = None


@dataclass
class RecordingHandler:
    """aiosmtpd handler: records accepted messages; knobs to fail DATA or defer RCPT.

    - `data_replies`: queued replies used (one each) by the next DATA commands instead of 250.
    - `rcpt_replies`: queued (address or None for any, reply) pairs for the next RCPTs.
    - any address at `@defer.test` is always answered 450.
    """

    messages: list[RecordedMessage] = field(default_factory=list)
    data_replies: deque[str] = field(default_factory=deque)
    rcpt_replies: deque[tuple[str | None, str]] = field(default_factory=deque)
    received: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        with self._lock:
            if address.lower().endswith("@defer.test"):
                return "450 4.2.1 Mailbox busy, try later"
            if self.rcpt_replies:
                wanted, reply = self.rcpt_replies[0]
                if wanted is None or wanted.lower() == address.lower():
                    self.rcpt_replies.popleft()
                    return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        with self._lock:
            if self.data_replies:
                return self.data_replies.popleft()
            content = envelope.original_content or envelope.content or b""
            if isinstance(content, str):
                content = content.encode("utf-8", "surrogateescape")
            auth_user = session.auth_data if isinstance(session.auth_data, str) else None
            self.messages.append(
                RecordedMessage(
                    mail_from=envelope.mail_from or "",
                    rcpt_tos=list(envelope.rcpt_tos),
                    content=content,
                    auth_user=auth_user,
                )
            )
            self.received.set()
        return "250 OK: queued"


def _authenticator(
    server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
) -> AuthResult:
    if (
        isinstance(auth_data, LoginPassword)
        and auth_data.login == SMTP_USER.encode()
        and auth_data.password == SMTP_PASSWORD.encode()
    ):
        return AuthResult(success=True, auth_data=SMTP_USER)
    return AuthResult(success=False, handled=False)


class SmtpServer:
    """aiosmtpd in a thread on a fixed loopback port; stop()/start() keep the port.

    AUTH PLAIN/LOGIN is offered (SMTP_USER/SMTP_PASSWORD), not required unless
    `auth_required=True`. Pass `tls=(certfile, keyfile)` to offer STARTTLS.
    """

    def __init__(
        self,
        port: int | None = None,
        host: str = HOST,
        *,
        auth_required: bool = False,
        tls: tuple[Path, Path] | None = None,
    ) -> None:
        self.host = host
        self.port: int = port if port is not None else free_port(host)
        self.handler = RecordingHandler()
        self.auth_required = auth_required
        self.tls_context: ssl.SSLContext | None = None
        if tls is not None:
            self.tls_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self.tls_context.load_cert_chain(str(tls[0]), str(tls[1]))
        elif auth_required:
            raise ValueError("auth_required needs tls (aiosmtpd warns otherwise)")
        self._controller: Controller | None = None

    @property
    def messages(self) -> list[RecordedMessage]:
        return self.handler.messages

    @property
    def running(self) -> bool:
        return self._controller is not None

    def start(self) -> None:
        if self._controller is not None:
            return
        controller = Controller(
            self.handler,
            hostname=self.host,
            port=self.port,
            server_hostname="smtp.deskterm.test",
            ready_timeout=START_TIMEOUT,
            authenticator=_authenticator,
            auth_require_tls=self.tls_context is not None,
            auth_required=self.auth_required,
            tls_context=self.tls_context,
            require_starttls=self.tls_context is not None,
        )
        controller.start()
        self._controller = controller

    def stop(self) -> None:
        """Close the listener and every session; connecting then gives ConnectionRefusedError."""
        if self._controller is None:
            return
        self._controller.stop()
        self._controller = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def __enter__(self) -> SmtpServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def fail_next_data(self, reply: str = "451 4.3.0 Try again later", times: int = 1) -> None:
        """The next `times` DATA commands get `reply` (e.g. "451 ..." or "554 ...")."""
        self.handler.data_replies.extend([reply] * times)

    def defer_rcpt(
        self, address: str | None = None, reply: str = "450 4.2.1 Try again later", times: int = 1
    ) -> None:
        """The next `times` RCPTs (to `address`, or to anyone) get `reply` instead of 250."""
        self.handler.rcpt_replies.extend([(address, reply)] * times)

    def wait_for_messages(self, count: int, timeout: float = 10.0) -> list[RecordedMessage]:
        deadline = time.monotonic() + timeout
        while len(self.handler.messages) < count:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{len(self.handler.messages)} of {count} messages arrived")
            self.handler.received.wait(0.05)
            self.handler.received.clear()
        return list(self.handler.messages)


def make_tls_files(directory: Path) -> tuple[Path, Path]:
    """A self-signed certificate for localhost/127.0.0.1 (openssl CLI, about 0.05 s)."""
    openssl = shutil.which("openssl")
    if openssl is None:
        skip_or_fail("openssl not installed")
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        [
            openssl,
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-days",
            "2",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=DNS:localhost,IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
        timeout=30,
    )
    return cert, key


def client_tls_context(cert: Path) -> ssl.SSLContext:
    """A client context trusting only `cert` (for smtplib.starttls(context=...))."""
    return ssl.create_default_context(cafile=str(cert))


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="session")
def dovecot() -> Iterator[DovecotServer]:
    """One Dovecot per test session (so one per xdist worker). Prefer `imap_account`."""
    server = DovecotServer()
    try:
        server.start()
        yield server
    finally:
        server.close()


@pytest.fixture
def dovecot_private() -> Iterator[DovecotServer]:
    """A Dovecot of this test's own (0.05 s to start), for stop/restart/outage tests."""
    server = DovecotServer()
    try:
        server.start()
        yield server
    finally:
        server.close()


@pytest.fixture
def imap_account(dovecot: DovecotServer) -> Iterator[ImapAccount]:
    """A fresh user (unique name, random password, empty INBOX) on the session Dovecot."""
    dovecot.start()  # no-op unless an earlier test left it stopped
    user, password = dovecot.new_user()
    try:
        yield ImapAccount(dovecot, user, password)
    finally:
        if dovecot.running:
            dovecot.remove_user(user)
        else:
            dovecot.users.pop(user, None)
            shutil.rmtree(dovecot.home_root / user, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """One PostgreSQL 15 cluster per test session (initdb once, about 1.5 s)."""
    server = PostgresServer()
    try:
        server.start()
        yield server
    finally:
        server.close()


@pytest.fixture
def postgres_db(postgres_server: PostgresServer) -> Iterator[PostgresDatabase]:
    """A fresh, empty database for this test; dropped (WITH FORCE) afterwards."""
    postgres_server.start()
    db = postgres_server.create_database()
    try:
        yield db
    finally:
        postgres_server.drop_database(db.name)


@pytest.fixture
def postgres_url(postgres_db: PostgresDatabase) -> str:
    """SQLAlchemy URL of this test's database: postgresql+psycopg://postgres@127.0.0.1:P/db."""
    return postgres_db.url


@pytest.fixture
def postgres_dsn(postgres_db: PostgresDatabase) -> str:
    """Plain psycopg URL of the same database as `postgres_url`."""
    return postgres_db.dsn


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """A recording aiosmtpd (AUTH offered, not required) on its own port."""
    server = SmtpServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def tls_files() -> Iterator[tuple[Path, Path]]:
    """(certfile, keyfile): a self-signed certificate for localhost, made once per session."""
    directory = make_shared_dir("deskterm-tls-")
    try:
        yield make_tls_files(directory)
    finally:
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def smtp_server_tls(tls_files: tuple[Path, Path]) -> Iterator[SmtpServer]:
    """aiosmtpd requiring STARTTLS and AUTH (SMTP_USER/SMTP_PASSWORD). Trust `tls_files[0]`."""
    server = SmtpServer(auth_required=True, tls=tls_files)
    server.start()
    try:
        yield server
    finally:
        server.stop()
