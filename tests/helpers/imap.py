"""A real Dovecot IMAP server on loopback, and accounts on it."""

from __future__ import annotations

import contextlib
import itertools
import os
import re
import shutil
import signal
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from imapclient import IMAPClient

from helpers.processes import (
    DOVEADM_CANDIDATES,
    DOVECOT_CANDIDATES,
    HOST,
    START_TIMEOUT,
    ServerError,
    free_port,
    kill_group,
    live_processes,
    log_tail,
    make_shared_dir,
    proc_stats,
    require_binary,
    skip_or_fail,
)

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
        live_processes.add(proc)
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                self._forget()
                raise ServerError(
                    f"dovecot exited with {proc.returncode}:\n{log_tail(self.stderr_path)}\n"
                    f"{log_tail(self.log_path)}"
                )
            if self._greets():
                return
            time.sleep(0.02)
        self.stop()
        raise ServerError(f"dovecot did not answer on port {self.port}:\n{log_tail(self.log_path)}")

    def _greets(self) -> bool:
        try:
            with socket.create_connection((self.host, self.port), timeout=1.0) as sock:
                return sock.recv(64).startswith(b"* OK")
        except OSError:
            return False

    def _forget(self) -> None:
        if self._proc is not None:
            live_processes.discard(self._proc)
        self._proc = None

    def stop(self) -> None:
        """Stop the server and every connection it holds (killpg: 0.02 s)."""
        if self._proc is None:
            return
        kill_group(self._proc, signal.SIGTERM)
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

    def append_many(self, user: str, raws: Sequence[bytes], folder: str = "INBOX") -> None:
        """APPEND every mail of `raws` to `folder` over one connection (hundreds in a second)."""
        with self.connect(user) as client:
            for raw in raws:
                client.append(folder, raw)

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
        for pid, stat in proc_stats():
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

    def append_many(self, raws: Sequence[bytes], folder: str = "INBOX") -> None:
        self.server.append_many(self.user, raws, folder)

    def maildir(self) -> Path:
        return self.server.maildir(self.user)

    def change_uidvalidity(self, folder: str = "INBOX") -> int:
        return self.server.change_uidvalidity(self.user, folder)

    def kill_connections(self, sig: int = signal.SIGKILL) -> int:
        return self.server.kill_connections(self.user, sig)
