"""IMAP in: fetch new mail of each [[mailbox]] into the store, exactly once.

A pass selects the folder, compares UIDVALIDITY with what the store remembers
(a change means "read it all again"; receipts and dedupe keys keep that free
of duplicates), fetches UIDs past `last_uid` in batches with BODY.PEEK[] (so
nothing is marked read before it is stored), stores each batch with its state
in one transaction, and only then marks the batch seen or moves it. `watch`
keeps a connection in IDLE and reconnects with exponential backoff.
"""

from __future__ import annotations

import contextlib
import imaplib
import os
import shlex
import socket
import ssl
import subprocess
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError, LoginError

from deskterm.channels.intake import IntakeSettings, Job, Parser, Tally, resolve
from deskterm.config import MailboxConfig
from deskterm.errors import AuthError, ConfigError, DesktermError, MailError
from deskterm.store.queries.mail import received_uids
from deskterm.store.service.ingest import Incoming, IngestResult, MailIngest, Receipt

TIMEOUT_S = 30.0
IDLE_RENEW_S = 25 * 60  # RFC 2177: re-issue IDLE before the server's 30-minute timeout
BACKOFF_START_S = 1.0
BACKOFF_MAX_S = 300.0
PREFETCH = 2  # batches downloaded ahead of the one being parsed
_NET_ERRORS = (IMAPClientError, imaplib.IMAP4.error, OSError, EOFError)

Progress = Callable[[str, int, int], None]  # (address, done, total)
BatchHook = Callable[[str, list[IngestResult]], None]  # after each stored batch (tests)


@dataclass
class FetchReport:
    """One mailbox's pass: what went where, or why it failed."""

    address: str
    folder: str
    tally: Tally = field(default_factory=Tally)
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "mailbox": self.address,
            "folder": self.folder,
            **self.tally.to_json(),
            "error": self.error,
        }


def mailbox_password(box: MailboxConfig) -> str:
    """The IMAP password from the environment or `password_command` (never from the file)."""
    if box.password_env:
        value = os.environ.get(box.password_env)
        if value is None:
            raise ConfigError(
                f"mailbox {box.address}: environment variable {box.password_env} "
                "(password_env) is not set"
            )
        return value
    if box.password_command:
        try:
            done = subprocess.run(
                shlex.split(box.password_command),
                capture_output=True,
                text=True,
                timeout=60,
                check=False,
            )
        except (OSError, subprocess.SubprocessError) as exc:
            raise ConfigError(
                f"mailbox {box.address}: password_command failed to run ({exc})"
            ) from exc
        if done.returncode != 0:
            why = (done.stderr.strip().splitlines() or [f"exit {done.returncode}"])[-1]
            raise ConfigError(f"mailbox {box.address}: password_command failed ({why})")
        return done.stdout.rstrip("\r\n").split("\n")[0]
    raise ConfigError(f"mailbox {box.address}: set password_env or password_command")


def connect(box: MailboxConfig, password: str, timeout: float = TIMEOUT_S) -> IMAPClient:
    """A logged-in client, or one line saying what failed: host, TLS or password."""
    host, port = box.imap_host, box.imap_port
    where = f"{box.address}: {host}:{port}"
    if not host:
        raise ConfigError(f"mailbox {box.address}: imap_host is not set")
    context = ssl.create_default_context()
    try:
        client = IMAPClient(
            host,
            port=port,
            ssl=box.imap_security == "tls",
            ssl_context=context,
            timeout=timeout,
        )
        if box.imap_security == "starttls":
            client.starttls(context)
    except ssl.SSLError as exc:
        reason = exc.reason or str(exc)
        raise MailError(
            f"{where}: TLS failed ({reason}); check imap_security and imap_port"
        ) from exc
    except ssl.CertificateError as exc:
        raise MailError(f"{where}: the TLS certificate was refused ({exc})") from exc
    except socket.gaierror as exc:
        raise MailError(f"{where}: unknown host ({exc.strerror}); check imap_host") from exc
    except (OSError, IMAPClientError, imaplib.IMAP4.error) as exc:
        reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
        raise MailError(
            f"{where}: cannot reach the IMAP server ({reason}); check imap_host and imap_port"
        ) from exc
    try:
        client.login(box.imap_user or box.address, password)
        # Once per connection, before any folder is open: ENABLE is illegal after SELECT,
        # and a watcher runs every pass on one connection.
        capabilities = client.capabilities()
        if b"CONDSTORE" in capabilities and b"ENABLE" in capabilities:
            client.enable("CONDSTORE")
    except LoginError as exc:
        _quietly(client.shutdown)
        raise AuthError(
            f"{where}: login refused for {box.imap_user or box.address!r}; check the password"
        ) from exc
    except _NET_ERRORS as exc:
        _quietly(client.shutdown)
        raise MailError(f"{where}: connection lost during login ({exc})") from exc
    return client


def _quietly(fn: Callable[[], Any]) -> None:
    try:
        fn()
    except (*_NET_ERRORS, AttributeError):
        pass  # closing a connection that is already gone


class MailboxFetcher:
    """Fetches one [[mailbox]] folder into the store."""

    def __init__(
        self,
        box: MailboxConfig,
        ingest: MailIngest,
        settings: IntakeSettings,
        parser: Parser,
        *,
        on_progress: Progress | None = None,
        on_batch: BatchHook | None = None,
    ) -> None:
        self.box = box
        self.ingest = ingest
        self.settings = settings
        self.parser = parser
        self.on_progress = on_progress
        self.on_batch = on_batch
        self._uidnext_seen = 0  # the folder's UIDNEXT when the last pass opened it

    def connect(self) -> IMAPClient:
        return connect(self.box, mailbox_password(self.box))

    def fetch_once(self) -> FetchReport:
        """Connect, run one pass, log out. Errors are recorded and raised as one line."""
        try:
            client = self.connect()
            try:
                return self.run_pass(client)
            finally:
                _quietly(client.logout)
        except DesktermError as exc:
            self._record(exc)
            raise

    def _record(self, exc: DesktermError) -> None:
        # If the store is the problem, the error itself is what the user sees.
        with contextlib.suppress(DesktermError):
            self.ingest.record_error(self.box.address, self.box.folder, str(exc))

    def run_pass(self, client: IMAPClient) -> FetchReport:
        box = self.box
        report = FetchReport(box.address, box.folder)
        try:
            return self._pass(client, report)
        except _NET_ERRORS as exc:
            raise MailError(
                f"{box.address}: connection lost while fetching {box.folder} ({exc or 'EOF'});"
                " run fetch again (nothing is stored twice)"
            ) from exc

    def _pass(self, client: IMAPClient, report: FetchReport) -> FetchReport:
        box = self.box
        try:
            info = client.select_folder(box.folder)
        except IMAPClientError as exc:
            raise MailError(f"{box.address}: cannot open folder {box.folder!r} ({exc})") from exc
        uidvalidity = int(info[b"UIDVALIDITY"])
        modseq = info.get(b"HIGHESTMODSEQ")
        state = self.ingest.open_folder(box.address, box.folder)
        if state.uidvalidity is not None and state.uidvalidity != uidvalidity:
            state = self.ingest.reset_folder(state.id, uidvalidity)
        if state.last_uid:
            self._finish_leftovers(client, state.id, uidvalidity, state.last_uid)
        uidnext = int(info.get(b"UIDNEXT", 0) or 0)
        self._uidnext_seen = uidnext
        uids: list[int] = []
        if not uidnext or uidnext > state.last_uid + 1:
            found = client.search(["UID", f"{state.last_uid + 1}:*"])
            uids = sorted(int(u) for u in found if int(u) > state.last_uid)
        total = len(uids)
        if self.on_progress:
            self.on_progress(box.address, 0, total)
        if self.parser.want_pool(total):
            self.parser.start_pool()
        size = self.settings.batch_size
        batches = [uids[i : i + size] for i in range(0, total, size)]
        # Every IMAP command runs on one thread, in the order asked (imapclient is not
        # thread-safe): it downloads batch n+1 while batch n parses (pooled) and batch
        # n-1 is stored here, and it marks a batch seen only after its commit.
        imap = ThreadPoolExecutor(1, thread_name_prefix=f"imap-{box.address}")
        try:
            self._pipeline(client, imap, batches, report, state.id, uidvalidity, total)
        finally:
            # Marks of committed batches still run; a dead connection fails them fast.
            imap.shutdown(wait=True)
        self.ingest.finish_pass(state.id, None if modseq is None else int(modseq))
        return report

    def _pipeline(
        self,
        client: IMAPClient,
        imap: ThreadPoolExecutor,
        batches: list[list[int]],
        report: FetchReport,
        state_id: int,
        uidvalidity: int,
        total: int,
    ) -> None:
        downloads = deque(
            imap.submit(self._download, client, batch, state_id, uidvalidity)
            for batch in batches[:PREFETCH]
        )
        marked: list[Future[None]] = []
        done = 0
        pending: tuple[list[int], Future[list[Incoming]] | list[Incoming]] | None = None
        for n, batch in enumerate(batches):
            jobs = downloads.popleft().result()
            if n + PREFETCH < len(batches):
                later = batches[n + PREFETCH]
                downloads.append(imap.submit(self._download, client, later, state_id, uidvalidity))
            parsed = self.parser.submit(jobs)
            if pending is not None:
                done += self._store(pending, report, state_id, uidvalidity)
                marked.append(imap.submit(self._after_fetch, client, pending[0]))
                self._progress(done, total)
            pending = (batch, parsed)
        if pending is not None:
            done += self._store(pending, report, state_id, uidvalidity)
            marked.append(imap.submit(self._after_fetch, client, pending[0]))
            self._progress(done, total)
        for future in marked:
            future.result()  # a lost connection while marking surfaces here

    def _progress(self, done: int, total: int) -> None:
        if self.on_progress:
            self.on_progress(self.box.address, done, total)

    def _download(self, client: IMAPClient, batch: list[int], state_id: int, uv: int) -> list[Job]:
        response = client.fetch(batch, ["BODY.PEEK[]"])
        jobs: list[Job] = []
        for uid in batch:
            data = response.get(uid)
            if data is None or b"BODY[]" not in data:
                continue  # expunged meanwhile: nothing to store, the state still moves past it
            raw = bytes(data[b"BODY[]"])
            source = f"{self.box.address}/{self.box.folder} uidvalidity {uv} uid {uid}"
            jobs.append((raw, source, Receipt(state_id, uv, uid), self.box.address))
        return jobs

    def _store(
        self,
        pending: tuple[list[int], Future[list[Incoming]] | list[Incoming]],
        report: FetchReport,
        state_id: int,
        uidvalidity: int,
    ) -> int:
        batch, parsed = pending
        items = resolve(parsed)
        results = self.ingest.ingest(items, advance=(state_id, uidvalidity, max(batch)))
        report.tally.add(results)
        if self.on_batch:
            self.on_batch(self.box.address, results)
        return len(batch)

    def _after_fetch(self, client: IMAPClient, uids: Sequence[int]) -> None:
        """Mark stored mail seen, or move it away (only after the commit)."""
        if not uids:
            return
        if self.box.after_fetch == "seen":
            client.add_flags(list(uids), [b"\\Seen"], silent=True)
            return
        target = self.box.move_to
        if not client.folder_exists(target):
            client.create_folder(target)
        if client.has_capability("MOVE"):
            client.move(list(uids), target)
        else:
            client.copy(list(uids), target)
            client.delete_messages(list(uids), silent=True)
            if client.has_capability("UIDPLUS"):
                client.uid_expunge(list(uids))
            else:
                client.expunge()

    def _finish_leftovers(self, client: IMAPClient, state_id: int, uv: int, last: int) -> None:
        """Mark seen or move the mail a run stored but died before marking or moving.

        In seen mode only unseen mail is looked at: one SEARCH, answered by the server.
        """
        criteria = ["UID", f"1:{last}"] + (["UNSEEN"] if self.box.after_fetch == "seen" else [])
        left = [int(u) for u in client.search(criteria) if int(u) <= last]
        stored = received_uids(self.ingest.store, state_id, uv, left)
        self._after_fetch(client, sorted(stored))

    # IDLE ---------------------------------------------------------------------------

    def watch(self, stop: threading.Event, report: Callable[[FetchReport], None]) -> None:
        """Fetch, then wait in IDLE for more; reconnect with backoff until `stop` is set."""
        delay = BACKOFF_START_S
        while not stop.is_set():
            client: IMAPClient | None = None
            try:
                client = self.connect()
                while not stop.is_set():
                    report(self.run_pass(client))
                    delay = BACKOFF_START_S
                    if not self._came_during_pass(client):
                        self._idle(client, stop)
            except DesktermError as exc:
                self._record(exc)
                report(FetchReport(self.box.address, self.box.folder, error=str(exc)))
                stop.wait(delay)
                delay = min(delay * 2, BACKOFF_MAX_S)
            except _NET_ERRORS as exc:
                message = f"{self.box.address}: connection lost while idle ({exc or 'EOF'})"
                self._record(MailError(message))
                report(FetchReport(self.box.address, self.box.folder, error=message))
                stop.wait(delay)
                delay = min(delay * 2, BACKOFF_MAX_S)
            finally:
                if client is not None:
                    _quietly(client.logout)

    def _came_during_pass(self, client: IMAPClient) -> bool:
        """Whether mail arrived after the pass opened the folder: the server told of it
        in answer to the pass's own commands (marking seen), so IDLE would never hear."""
        if not self._uidnext_seen:
            return False  # a server without UIDNEXT: IDLE's news is all there is
        status = client.folder_status(self.box.folder, [b"UIDNEXT"])
        return int(status.get(b"UIDNEXT", 0) or 0) > self._uidnext_seen

    def _idle(self, client: IMAPClient, stop: threading.Event) -> None:
        """Wait until the server announces new mail, `stop` is set, or IDLE needs renewing."""
        client.idle()
        started = time.monotonic()
        try:
            while not stop.is_set() and time.monotonic() - started < IDLE_RENEW_S:
                responses = client.idle_check(timeout=1.0)
                if any(len(r) > 1 and r[1] in (b"EXISTS", b"RECENT") for r in responses):
                    return
        finally:
            client.idle_done()


def fetch_all(
    fetchers: Sequence[MailboxFetcher],
) -> list[FetchReport]:
    """One pass over every mailbox at once (a thread each); failures are reported, not raised."""

    def one(fetcher: MailboxFetcher) -> FetchReport:
        try:
            return fetcher.fetch_once()
        except DesktermError as exc:
            return FetchReport(fetcher.box.address, fetcher.box.folder, error=str(exc))

    if len(fetchers) == 1:
        return [one(fetchers[0])]
    with ThreadPoolExecutor(len(fetchers), thread_name_prefix="fetch") as pool:
        return list(pool.map(one, fetchers))


def watch_all(
    fetchers: Sequence[MailboxFetcher], stop: threading.Event, report: Callable[[FetchReport], None]
) -> None:
    """Watch every mailbox (a thread each) until `stop` is set."""
    threads = [
        threading.Thread(target=f.watch, args=(stop, report), name=f"watch-{f.box.address}")
        for f in fetchers
    ]
    for thread in threads:
        thread.start()
    try:
        while any(t.is_alive() for t in threads):
            for thread in threads:
                thread.join(timeout=0.5)
    finally:
        stop.set()
        for thread in threads:
            thread.join()
