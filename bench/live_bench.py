"""Live updates: how fast a change reaches others, and what each connected client costs.

`--only fanout`: `deskterm serve` in its own process; 1, then 200 clients hold
`/api/v1/events` open (from this process, asyncio); a change is made through the
API (a note on a ticket) and each client's arrival of that ticket's event is timed
from just before the request. p50/p99 over every (client, change); the raw
baseline is the same with one client connected. The server's RSS and CPU time are
read from /proc: RSS added per connected client, CPU per client per change.

`--only repaint`: two replicas of one server (the server in its own process).
Replica A runs the app's live sync (`runtime/live.py`) without a screen and writes a
note (the service call and the nudge the app makes); replica B is the app itself
(headless Textual) with that ticket open. Each sample is from A's write to the first
frame B renders with the note in its thread. Raw baseline: the same note written
directly through the server store's service layer in this process.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from httpx_sse import aconnect_sse

from bench.common import Context, Figure
from bench.server_bench import _rss_mb, serving

NAMES = ("fanout", "repaint")
NEEDS_STORE = False
CLIENTS = 200
CHANGES = 20
TICKETS = 200
REPLIES = 30
GOAL_P99 = 0.500
GOAL_P50 = 0.250


def _cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _store(folder: Path) -> tuple[Path, str, str]:
    from deskterm.store.schema.db import open_store
    from deskterm.store.service import Actor, Service

    db = folder / "server.db"
    store = open_store(db, create=True)
    system = Service(store, Actor.system())
    _id, admin = system.add_agent("Ada", "ada@bench.test", "admin")
    _id, agent = system.add_agent("Bo", "bo@bench.test", "agent")
    for i in range(TICKETS):
        system.create_ticket(f"Bench ticket {i}", "Hello", f"c{i}@bench.test")
    store.close()
    return db, admin, agent


async def _fanout(url: str, token: str, clients: int, pid: int) -> dict[str, Any]:
    """Connect `clients` streams, make CHANGES notes, time every arrival."""
    arrivals: list[dict[int, float]] = [{} for _ in range(clients)]
    ready = asyncio.Semaphore(0)
    headers = {"Authorization": f"Bearer {token}"}
    limits = httpx.Limits(max_connections=clients + 10)

    async def listen(http: httpx.AsyncClient, seen: dict[int, float]) -> None:
        async with aconnect_sse(http, "GET", "/api/v1/events") as source:
            async for sse in source.aiter_sse():
                if sse.event == "ready":
                    ready.release()
                elif sse.event == "ticket":
                    seen.setdefault(int(sse.json()["number"]), time.perf_counter())

    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=60, limits=limits) as http:
        rss_before = _rss_mb(pid)
        tasks = [asyncio.create_task(listen(http, seen)) for seen in arrivals]
        for _ in range(clients):
            await ready.acquire()
        rss_connected = _rss_mb(pid)
        cpu_before = _cpu_s(pid)
        latencies = []
        for n in range(1, CHANGES + 1):
            sent = time.perf_counter()
            answer = await http.post(
                f"/api/v1/tickets/{n}/messages", json={"kind": "note", "body": "bench"}
            )
            answer.raise_for_status()
            deadline = time.monotonic() + 30
            while any(n not in seen for seen in arrivals) and time.monotonic() < deadline:
                await asyncio.sleep(0.002)  # polling this process's own dict, not the server
            latencies += [seen[n] - sent for seen in arrivals if n in seen]
        cpu = _cpu_s(pid) - cpu_before
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    latencies.sort()
    return {
        "p50": latencies[len(latencies) // 2],
        "p99": latencies[int(len(latencies) * 0.99) - 1],
        "missed": clients * CHANGES - len(latencies),
        "rss_per_client_kb": (rss_connected - rss_before) * 1024 / clients,
        "rss_mb": rss_connected,
        "cpu_per_client_change_s": cpu / clients / CHANGES,
    }


def _run_fanout() -> list[Figure]:
    folder = Path(tempfile.mkdtemp(prefix="deskterm-live-bench-"))
    db, _admin, agent = _store(folder)
    with serving(db, folder) as (url, pid):
        one = asyncio.run(_fanout(url, agent, 1, pid))
        many = asyncio.run(_fanout(url, agent, CLIENTS, pid))
    size = f"{CLIENTS} clients x {CHANGES} changes, {TICKETS} tickets, 1 process, SQLite"
    missed = f"{many['missed']} missed" if many["missed"] else ""
    return [
        Figure("live", "fan-out p50", many["p50"], "s", size, raw=one["p50"]),
        Figure(
            "live",
            "fan-out p99",
            many["p99"],
            "s",
            size,
            raw=one["p99"],
            goal="p99 <= 500 ms",
            ok=many["p99"] <= GOAL_P99 and not many["missed"],
            extra=missed,
        ),
        Figure("live", "server RSS with the clients", many["rss_mb"], "MB", size),
        Figure("live", "RSS per connected client", many["rss_per_client_kb"], "KB", size),
        Figure(
            "live",
            "server CPU per client per change",
            many["cpu_per_client_change_s"],
            "s",
            size,
            raw=one["cpu_per_client_change_s"],
        ),
    ]


class _Quiet:
    """Replica A's listener: A is driven by the bench, nothing of it is on a screen."""

    def store_touched(self) -> None: ...

    def ingest_read(self, status: object) -> None: ...

    def background_written(self, numbers: list[int], errors: list[str]) -> None: ...

    def send_reported(self, report: object) -> None: ...

    def sync_changed(self, status: object) -> None: ...

    def background_failed(self, error: BaseException) -> None:
        print(f"live sync failed: {error!r}", file=sys.stderr)


def _agent_service(store: Any, email: str) -> Any:
    from deskterm.store.service import Actor, Service

    row = store.read().execute("SELECT id, name FROM agent WHERE email = ?", (email,))
    agent_id, name = row.fetchone()
    return Service(store, Actor(agent_id, name))


def _join(url: str, token: str, path: Path, email: str) -> Any:
    from deskterm.channels.sync import join, save_token
    from deskterm.store.schema.db import open_store

    replica, _me, _report = join(
        url,
        token,
        lambda: open_store(path, create=True),
        lambda s: lambda: _agent_service(s, email),
    )
    save_token(path, token)
    return replica


def writer(url: str, token: str, path: Path) -> None:
    """Replica A, in its own process (as another agent's app is): joins, runs the live
    sync, then for each line `NUMBER TEXT` on stdin writes that note and nudges."""
    from datetime import UTC, datetime

    from deskterm.runtime.live import LiveSync

    replica = _join(url, token, path, "bo@bench.test")
    service = _agent_service(replica.store, "bo@bench.test")
    live = LiveSync(replica.store, "", lambda: service, _Quiet(), lambda: datetime.now(UTC))
    live.start()
    print("ready", flush=True)
    for request in sys.stdin:
        number, text = request.rstrip("\n").split(" ", 1)
        service.add_note(int(number), text)
        live.nudge()
    live.stop()
    replica.store.close()


_WRITER = "import sys; from pathlib import Path; from bench.live_bench import writer; " + (
    "writer(sys.argv[1], sys.argv[2], Path(sys.argv[3]))"
)


async def _repaints(url: str, admin: str, agent: str, folder: Path) -> list[float]:
    """Replica A (its own process) writes notes; the app on replica B shows the ticket:
    each sample is from asking A to write to the first frame of B showing the note."""
    from bench.app_bench import FrameProbe, queue_painted
    from deskterm.app import DesktermApp
    from deskterm.config import AgentConfig, Config
    from deskterm.screens.ticket import TicketScreen

    root = Path(__file__).resolve().parent.parent
    a = subprocess.Popen(
        [sys.executable, "-c", _WRITER, url, agent, str(folder / "a.db")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(root)},
    )
    assert a.stdin is not None and a.stdout is not None
    if a.stdout.readline().strip() != "ready":
        raise RuntimeError("replica A did not start")
    b = _join(url, admin, folder / "b.db", "ada@bench.test")
    b.client.close()
    b.store.close()
    app = DesktermApp(folder / "b.db", Config(agent=AgentConfig(email="ada@bench.test")))
    samples = []
    try:
        async with app.run_test(size=(160, 48)) as pilot:
            probe = FrameProbe(app)
            await probe.wait(lambda: queue_painted(app, rows=False))
            await pilot.press("3")  # All open
            await probe.wait(lambda: queue_painted(app))
            await probe.key("enter", lambda: isinstance(app.screen, TicketScreen))
            await app.workers.wait_for_complete()
            screen = app.screen
            assert isinstance(screen, TicketScreen) and screen.detail is not None
            number = screen.detail.ticket.number
            for k in range(1, REPLIES + 1):
                text = f"Note {k} from replica A"
                shown = asyncio.ensure_future(
                    probe.wait(lambda t=text: t in (m.body_text for m in screen.thread.messages))  # type: ignore[misc]  # default pins t
                )
                start = time.perf_counter()
                a.stdin.write(f"{number} {text}\n")
                a.stdin.flush()
                samples.append(await shown - start)
                await app.workers.wait_for_complete()
    finally:
        a.stdin.close()
        a.wait()
    return samples


def _run_repaint() -> list[Figure]:
    from deskterm.store.schema.db import open_store
    from deskterm.store.service import Actor, Service

    folder = Path(tempfile.mkdtemp(prefix="deskterm-live-bench-"))
    db, admin, agent = _store(folder)
    with serving(db, folder) as (url, _pid):
        samples = asyncio.run(_repaints(url, admin, agent, folder))
    server = open_store(db)
    direct = []
    for n in range(1, REPLIES + 1):
        start = time.perf_counter()
        Service(server, Actor.system()).add_note(n, "direct")
        direct.append(time.perf_counter() - start)
    server.close()
    samples.sort()
    direct.sort()
    size = f"{REPLIES} notes, {TICKETS} tickets, 2 replicas, 1 server process, SQLite"
    p50, p99 = samples[len(samples) // 2], samples[int(len(samples) * 0.99) - 1]
    raw = direct[len(direct) // 2]
    return [
        Figure(
            "live",
            "change on A to repaint on B, p50",
            p50,
            "s",
            size,
            raw=raw,
            goal="<= 250 ms",
            ok=p50 <= GOAL_P50,
        ),
        Figure(
            "live",
            "change on A to repaint on B, p99",
            p99,
            "s",
            size,
            raw=raw,
            goal="p99 <= 500 ms",
            ok=p99 <= GOAL_P99,
        ),
    ]


def run(ctx: Context, only: str | None) -> list[Figure]:
    figures: list[Figure] = []
    if only in (None, "live", "fanout"):
        figures += _run_fanout()
    if only in (None, "live", "repaint"):
        figures += _run_repaint()
    return figures
