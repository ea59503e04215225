"""The sync client: a replica pushes its queued ops to the server and pulls what changed.

`join` makes a new replica and pulls everything; `Replica.sync` pushes, pulls since the
cursor, and rebases the ops the server has not seen yet. Network failures are
`SyncOffline` (the replica keeps working, ops stay queued); a refused token, a newer
server schema or a lost cursor are `SyncError`s whose one line says how to get out.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from deskterm.errors import ConfigError, StoreError, SyncError
from deskterm.store.queries.replica import QueuedOp, dirty_refs, get_state, queued_ops
from deskterm.store.queries.sync import file_data, known_files
from deskterm.store.schema.db import SCHEMA_HEAD, Store
from deskterm.store.schema.timefmt import iso, utcnow
from deskterm.store.service.sync_apply import apply_page, become_replica, set_state, settle

if TYPE_CHECKING:
    from deskterm.store.service import Service

PUSH_BATCH = 100  # a request stays short: the server holds its write lock while it runs them
PAGE = 500
FILES_PER_ASK = 1000
TIMEOUT_S = 30.0


class SyncOffline(SyncError):
    """The server could not be reached: work goes on here, ops stay queued."""


@dataclass
class SyncReport:
    """What one sync moved."""

    pushed: int = 0
    pulled: int = 0
    queued: int = 0
    cursor: int = -1
    notices: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "pushed": self.pushed,
            "pulled": self.pulled,
            "queued": self.queued,
            "cursor": self.cursor,
            "notices": self.notices,
        }


class SyncClient:
    """The server's sync API over HTTP, its failures as one-line errors."""

    def __init__(self, url: str, token: str, *, timeout: float = TIMEOUT_S) -> None:
        self.url = url.rstrip("/")
        self._http = httpx.Client(
            base_url=self.url, headers={"Authorization": f"Bearer {token}"}, timeout=timeout
        )

    def close(self) -> None:
        self._http.close()

    def _call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        content: bytes | None = None,
        raw: bool = False,
    ) -> Any:
        """`body` goes as JSON, `content` as raw bytes; the answer is JSON, or bytes if `raw`."""
        try:
            response = self._http.request(
                method,
                path,
                json=body,
                content=content,
                headers=None if content is None else {"Content-Type": "application/octet-stream"},
            )
        except httpx.HTTPError as exc:
            raise SyncOffline(f"offline: cannot reach {self.url} ({exc})") from exc
        if response.status_code == 401:
            raise SyncError(
                f"refused by {self.url}: the token is not valid (revoked or mistyped);"
                " ask an admin for a new one, then `deskterm join` again"
            )
        if response.status_code >= 400:
            try:
                detail = response.json().get("detail")
            except ValueError:
                detail = response.text[:200]
            if response.status_code >= 500:
                raise SyncOffline(f"{self.url} failed ({response.status_code}): {detail}")
            raise SyncError(f"{self.url} refused ({response.status_code}): {detail}")
        if raw:
            return response.content
        return response.json() if response.content else None

    def health(self) -> dict[str, Any]:
        """The server's /healthz, with the token checked too (`me`): online means usable."""
        result: dict[str, Any] = self._call("GET", "/healthz")
        self.me()
        return result

    def me(self) -> dict[str, Any]:
        result: dict[str, Any] = self._call("GET", "/api/v1/me")
        return result

    def push(self, client_id: str, ops: list[dict[str, Any]]) -> dict[str, Any]:
        result: dict[str, Any] = self._call(
            "POST", "/api/v1/sync/push", {"client_id": client_id, "mutations": ops}
        )
        return result

    def presence(self, number: int, state: str) -> None:
        """Tell the server this agent is viewing, replying on, or gone from ticket `number`."""
        self._call("POST", "/api/v1/presence", {"ticket": number, "state": state})

    def pull(self, body: dict[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = self._call("POST", "/api/v1/sync/pull", body)
        return result

    def missing_files(self, digests: list[str]) -> list[str]:
        answer = self._call("POST", "/api/v1/sync/files/missing", {"sha256": digests})
        return list(answer["missing"])

    def upload_file(self, digest: str, data: bytes) -> None:
        self._call("PUT", f"/api/v1/sync/files/{digest}", content=data)

    def download_file(self, digest: str) -> bytes:
        data: bytes = self._call("GET", f"/api/v1/sync/files/{digest}", raw=True)
        return data


def resolve_token(command: str, token_file: Path) -> str:
    """The agent token: DESKTERM_TOKEN, else `token_command`'s output, else join's file."""
    if os.environ.get("DESKTERM_TOKEN"):
        return os.environ["DESKTERM_TOKEN"]
    if command:
        try:
            done = subprocess.run(
                shlex.split(command), capture_output=True, text=True, timeout=60, check=False
            )
        except (OSError, subprocess.SubprocessError) as exc:
            raise ConfigError(f"[server] token_command failed to run ({exc})") from exc
        if done.returncode != 0:
            why = (done.stderr.strip().splitlines() or [f"exit {done.returncode}"])[-1]
            raise ConfigError(f"[server] token_command failed ({why})")
        return done.stdout.strip()
    try:
        return token_file.read_text().strip()
    except OSError:
        raise ConfigError(
            "no token for the server: set DESKTERM_TOKEN or [server] token_command,"
            " or `deskterm join` again"
        ) from None


def token_file(db: Path) -> Path:
    return db.with_name(db.name + ".token")


def save_token(db: Path, token: str) -> None:
    """Beside the replica, readable by its owner only (for when no token_command is set)."""
    path = token_file(db)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(token + "\n")


class Replica:
    """A replica store and its server."""

    def __init__(
        self, store: Store, client: SyncClient, make_service: Callable[[], Service]
    ) -> None:
        self.store = store
        self.client = client
        self.make_service = make_service

    def sync(self, progress: Callable[[int, int], None] | None = None) -> SyncReport:
        """Push queued ops, pull since the cursor, rebase what the server has not seen."""
        report = SyncReport()
        try:
            report.notices += self._push(get_state(self.store)["client_id"], report)
        except SyncError as exc:
            set_state(self.store, {"last_error": str(exc), "last_error_at": _now()})
            raise
        return self.pull(progress, report)

    def pull(
        self,
        progress: Callable[[int, int], None] | None = None,
        report: SyncReport | None = None,
    ) -> SyncReport:
        """Pull since the cursor and rebase the queued ops on it (no push)."""
        report = report or SyncReport()
        try:
            last = self._pull(get_state(self.store), report, progress)
        except SyncError as exc:
            set_state(self.store, {"last_error": str(exc), "last_error_at": _now()})
            raise
        for op_id, text in settle(self.store, self.make_service, last):
            report.notices.append(f"change {op_id} no longer applies here: {text}")
        report.queued = len(queued_ops(self.store))
        set_state(self.store, {"last_sync_at": _now(), "last_error": ""})
        return report

    def _push(self, client_id: str, report: SyncReport) -> list[str]:
        ops = queued_ops(self.store)
        self._upload_files(ops)
        notices = []
        for start in range(0, len(ops), PUSH_BATCH):
            batch = ops[start : start + PUSH_BATCH]
            answer = self.client.push(
                client_id,
                [
                    {"id": op.id, "name": op.name, "args": op.args, "made_at": iso(op.created_at)}
                    for op in batch
                ],
            )
            report.pushed += len(batch)
            notices += [f"change {k}: {v}" for k, v in answer["notices"].items()]
        return notices

    def _upload_files(self, ops: list[QueuedOp]) -> None:
        """The files queued replies attach, where the server lacks them: before the ops."""
        digests = list(dict.fromkeys(f["sha256"] for op in ops for f in op.args.get("files", ())))
        for start in range(0, len(digests), FILES_PER_ASK):
            for digest in self.client.missing_files(digests[start : start + FILES_PER_ASK]):
                data = file_data(self.store, digest)
                if data is None:  # the reply was taken back here: its op goes, refused
                    continue
                self.client.upload_file(digest, data)

    def _download_files(self, tickets: list[dict[str, Any]]) -> list[bytes]:
        """The files a page's messages carry that this replica does not hold yet."""
        digests = list(
            dict.fromkeys(f["sha256"] for t in tickets for m in t["messages"] for f in m["files"])
        )
        held = known_files(self.store, digests)
        return [self.client.download_file(d) for d in digests if d not in held]

    def _pull(
        self,
        state: dict[str, str],
        report: SyncReport,
        progress: Callable[[int, int], None] | None,
    ) -> int:
        body: dict[str, Any] = {
            "client_id": state["client_id"],
            "cursor": int(state.get("cursor", "-1")),
            "refs": dirty_refs(self.store),
            "catalog": state.get("catalog_hash"),
            "limit": PAGE,
        }
        total = 0
        # The next page is asked for while this one is written: the server reads and
        # encodes it meanwhile (a first join's pages take as long there as here).
        with ThreadPoolExecutor(1, thread_name_prefix="deskterm-pull") as fetcher:
            coming = fetcher.submit(self.client.pull, body)
            while True:
                page = coming.result()
                if page["next"] is not None:
                    body = body | {"after": page["next"], "refs": [], "catalog": None}
                    coming = fetcher.submit(self.client.pull, body)
                total = page["total"] if page["total"] is not None else total
                _check_schema(page["schema"], self.client.url)
                apply_page(
                    self.store,
                    page["tickets"],
                    catalog=page.get("catalog"),
                    missing=page["missing"],
                    files=self._download_files(page["tickets"]),
                    articles=page.get("articles", ()),
                    articles_gone=page.get("articles_gone", ()),
                    read_marks=page.get("read_marks", ()),
                )
                report.pulled += len(page["tickets"])
                if progress is not None:
                    progress(report.pulled, max(total, report.pulled))
                if "catalog_hash" in page:
                    set_state(self.store, {"catalog_hash": page["catalog_hash"]})
                if page["next"] is None:
                    break
        report.cursor = page["cookie"]
        set_state(self.store, {"cursor": str(page["cookie"]), "server_version": page["version"]})
        return int(page["last_mutation_id"])


def _check_schema(server_schema: str | None, url: str) -> None:
    if server_schema is not None and server_schema > SCHEMA_HEAD:
        raise SyncError(
            f"{url} runs a newer deskterm (schema {server_schema}, this one knows"
            f" {SCHEMA_HEAD}): upgrade deskterm here, then sync"
        )


def _now() -> str:
    return iso(utcnow()) or ""


def join(
    url: str,
    token: str,
    store_for: Callable[[], Store],
    make_service: Callable[[Store], Callable[[], Service]],
    progress: Callable[[int, int], None] | None = None,
) -> tuple[Replica, dict[str, Any], SyncReport]:
    """Check the token, make the replica store, pull everything into it."""
    client = SyncClient(url, token)
    me = client.me()  # a bad URL or token fails here, before any file is made
    store = store_for()
    if get_state(store):
        raise StoreError(f"{store.path}: already a replica; use `deskterm sync`")
    if store.read().execute("SELECT count(*) FROM ticket").fetchone()[0]:
        raise StoreError(f"{store.path}: has tickets already; join into a new store (--db)")
    become_replica(store, client.url, uuid.uuid4().hex, me["email"])
    replica = Replica(store, client, make_service(store))
    began = time.perf_counter()
    report = replica.sync(progress)
    set_state(store, {"joined_in_s": f"{time.perf_counter() - began:.2f}"})
    return replica, me, report
