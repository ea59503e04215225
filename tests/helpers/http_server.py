"""A real uvicorn serving a deskterm app on loopback, in a thread of the test process."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import uvicorn
from fastapi import FastAPI

from deskterm.server import ServerState, create_app
from deskterm.store.schema.db import Store, open_store
from deskterm.store.service import Actor, Service
from deskterm.store.service.delivery import MailSettings
from helpers.clock import TickingClock
from helpers.processes import (
    HOST,
    START_TIMEOUT,
    ServerError,
    free_port,
    kill_group,
    live_processes,
)
from helpers.store import fresh_store_file

STREAMS_CLOSE_S = 2  # at stop, open event streams get this long before they are cut


class LiveServer:
    """uvicorn on an ephemeral port (the kernel picks it at bind: no race with other tests)."""

    def __init__(self, app: FastAPI, port: int = 0) -> None:
        self.server = uvicorn.Server(
            uvicorn.Config(
                app,
                host=HOST,
                port=port,
                log_level="warning",
                lifespan="off",
                timeout_graceful_shutdown=STREAMS_CLOSE_S,
            )
        )
        self._thread = threading.Thread(target=self.server.run, name="uvicorn", daemon=True)
        self.port = port

    @property
    def url(self) -> str:
        """Where it listens (kept after `stop`, so a restart can take the same port)."""
        return f"http://{HOST}:{self.port}"

    def start(self) -> None:
        self._thread.start()
        started = threading.Event()
        # uvicorn sets `started` from its own loop; poll it with a bounded wait, never a sleep.
        for _ in range(int(START_TIMEOUT / 0.01)):
            if self.server.started or not self._thread.is_alive():
                break
            started.wait(0.01)
        if not self.server.started:
            raise ServerError("uvicorn did not start")
        self.port = self.server.servers[0].sockets[0].getsockname()[1]

    def stop(self) -> None:
        self.server.should_exit = True
        self._thread.join(timeout=START_TIMEOUT)


@contextmanager
def serving(app: FastAPI) -> Iterator[LiveServer]:
    server = LiveServer(app)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@dataclass
class Team:
    store: Store
    state: ServerState
    live: LiveServer
    admin_token: str
    agent_token: str
    agent_id: int

    @property
    def url(self) -> str:
        return self.live.url

    def client(self, token: str | None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=30)


def start_team(
    location: Path | str, mail: MailSettings | None = None
) -> tuple[Team, Callable[[], None]]:
    """A store at `location` (a file, or a PostgreSQL URL) with an admin and an agent
    (tokens kept), served on loopback."""
    store = open_store(location if isinstance(location, str) else fresh_store_file(location))
    clock = TickingClock()
    system = Service(store, Actor.system(), clock)
    _admin_id, admin_token = system.add_agent("Ada Admin", "ada@desk.test", "admin")
    agent_id, agent_token = system.add_agent("Bo Agent", "bo@desk.test", "agent")
    state = ServerState(store, lambda actor: Service(store, actor, clock).with_mail(mail))
    live = LiveServer(create_app(state))
    live.start()

    def stop() -> None:
        live.stop()
        store.close()

    return Team(store, state, live, admin_token, agent_token, agent_id), stop


def restart_team(team: Team) -> Team:
    """The server stopped and started again as a new process would: fresh metrics and
    limits, the same store and port."""
    team.live.stop()  # a no-op when it is down already
    state = ServerState(team.store, team.state.make_service)
    live = LiveServer(create_app(state), port=team.live.port)
    live.start()
    return Team(team.store, state, live, team.admin_token, team.agent_token, team.agent_id)


@dataclass(frozen=True)
class Served:
    """A running `deskterm serve` process and its URL."""

    url: str
    proc: subprocess.Popen[bytes]


@contextmanager
def serve_process(
    deskterm_bin: str,
    db: Path | str,
    home: Path,
    *,
    config: Path | None = None,
    env: dict[str, str] | None = None,
) -> Iterator[str]:
    """`deskterm serve` as its own process on a free port; yields its URL once /healthz answers.

    `db` is a store file, or a PostgreSQL URL (passed as `serve --database`).
    """
    with serve_handle(deskterm_bin, db, home, config=config, env=env) as served:
        yield served.url


@contextmanager
def serve_handle(
    deskterm_bin: str,
    db: Path | str,
    home: Path,
    *,
    config: Path | None = None,
    env: dict[str, str] | None = None,
) -> Iterator[Served]:
    """`serve_process`, yielding the process too (to kill it)."""
    port = free_port()
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("DESKTERM_")}
    full_env["XDG_CONFIG_HOME"] = str(home / "server-xdg")
    full_env.update(env or {})
    options = ["--config", str(config)] if config is not None else []
    proc = subprocess.Popen(
        [
            deskterm_bin,
            *options,
            "serve",
            "--database",
            str(db),
            "--host",
            HOST,
            "--port",
            str(port),
        ],
        env=full_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    live_processes.add(proc)
    url = f"http://{HOST}:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            assert proc.poll() is None, f"deskterm serve exited: {proc.stderr.read()!r}"  # type: ignore[union-attr]  # piped above
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise ServerError("deskterm serve did not answer /healthz") from None
                time.sleep(0.05)  # not listening yet: poll again
        yield Served(url, proc)
    finally:
        kill_group(proc, signal.SIGTERM)
        live_processes.discard(proc)
