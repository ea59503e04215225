"""Live updates: how fast a change reaches others, and what each connected client costs.

`--only fanout`: `deskterm serve` in its own process; 1, then 200 clients hold
`/api/v1/events` open (from this process, asyncio); a change is made through the
API (a note on a ticket) and each client's arrival of that ticket's event is timed
from just before the request. p50/p99 over every (client, change); the raw
baseline is the same with one client connected. The server's RSS and CPU time are
read from /proc: RSS added per connected client, CPU per client per change.

`--only processes`: two `deskterm serve` processes, A and B, on one throwaway
PostgreSQL cluster. A change made through A reaches a client of B by the commit's
NOTIFY and B's LISTEN; baseline: the same change reaching a client of A itself.
Then 200 clients, half on each, with the changes through A. Last, the take-over:
kill -9 whichever process leads (holds the advisory lock and does the mail), and
time until the other says in /metrics that it leads.

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
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from httpx_sse import aconnect_sse

from bench.common import Context, Figure, postgres_cluster, process_cpu_s
from bench.server_bench import _rss_mb, serving
from deskterm.runtime.leader import TRY_S

NAMES = ("fanout", "processes", "repaint")
NEEDS_STORE = False
CLIENTS = 200
CHANGES = 20
TICKETS = 200
REPLIES = 30
TAKEOVERS = 5
GOAL_P99 = 0.500
GOAL_P50 = 0.250


def _store(folder: Path, location: Path | str | None = None) -> tuple[Path | str, str, str]:
    """The bench's store (a file in `folder`, or `location`): two agents, TICKETS tickets."""
    from deskterm.store.schema.db import open_store
    from deskterm.store.service import Actor, Service

    db = location or folder / "server.db"
    store = open_store(db, create=True)
    system = Service(store, Actor.system())
    _id, admin = system.add_agent("Ada", "ada@bench.test", "admin")
    _id, agent = system.add_agent("Bo", "bo@bench.test", "agent")
    for i in range(TICKETS):
        system.create_ticket(f"Bench ticket {i}", "Hello", f"c{i}@bench.test")
    store.close()
    return db, admin, agent


def _quantiles(latencies: list[float]) -> tuple[float, float]:
    latencies = sorted(latencies)
    return latencies[len(latencies) // 2], latencies[max(int(len(latencies) * 0.99) - 1, 0)]


async def _fanout(
    writer: str, listeners: list[str], token: str, clients: int, pids: list[int]
) -> dict[str, Any]:
    """Connect `clients` streams, spread over the `listeners` servers in turn; make CHANGES
    notes through `writer`; time every arrival. `pids`: the servers' processes."""
    arrivals: list[dict[int, float]] = [{} for _ in range(clients)]
    ready = asyncio.Semaphore(0)
    headers = {"Authorization": f"Bearer {token}"}
    limits = httpx.Limits(max_connections=clients + 10)

    async def listen(url: str, seen: dict[int, float]) -> None:
        async with aconnect_sse(http, "GET", f"{url}/api/v1/events") as source:
            async for sse in source.aiter_sse():
                if sse.event == "ready":
                    ready.release()
                elif sse.event == "ticket":
                    seen.setdefault(int(sse.json()["number"]), time.perf_counter())

    async with httpx.AsyncClient(headers=headers, timeout=60, limits=limits) as http:
        rss_before = sum(_rss_mb(pid) for pid in pids)
        tasks = [
            asyncio.create_task(listen(listeners[i % len(listeners)], seen))
            for i, seen in enumerate(arrivals)
        ]
        for _ in range(clients):
            await ready.acquire()
        rss_connected = sum(_rss_mb(pid) for pid in pids)
        cpu_before = sum(process_cpu_s(pid) for pid in pids)
        by_listener: list[list[float]] = [[] for _ in listeners]
        for n in range(1, CHANGES + 1):
            sent = time.perf_counter()
            answer = await http.post(
                f"{writer}/api/v1/tickets/{n}/messages", json={"kind": "note", "body": "bench"}
            )
            answer.raise_for_status()
            deadline = time.monotonic() + 30
            while any(n not in seen for seen in arrivals) and time.monotonic() < deadline:
                await asyncio.sleep(0.002)  # polling this process's own dict, not the server
            for i, seen in enumerate(arrivals):
                if n in seen:
                    by_listener[i % len(listeners)].append(seen[n] - sent)
        cpu = sum(process_cpu_s(pid) for pid in pids) - cpu_before
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    latencies = [t for group in by_listener for t in group]
    p50, p99 = _quantiles(latencies)
    return {
        "p50": p50,
        "p99": p99,
        "by_listener": [_quantiles(group) for group in by_listener],
        "missed": clients * CHANGES - len(latencies),
        "rss_per_client_kb": (rss_connected - rss_before) * 1024 / clients,
        "rss_mb": rss_connected,
        "cpu_per_client_change_s": cpu / clients / CHANGES,
    }


def _fanout_figures(many: dict[str, Any], one: dict[str, Any], size: str) -> list[Figure]:
    """p50/p99 of `many` against the one-client run `one`; RSS and CPU per client."""
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


def _run_fanout() -> list[Figure]:
    folder = Path(tempfile.mkdtemp(prefix="deskterm-live-bench-"))
    db, _admin, agent = _store(folder)
    with serving(db, folder) as (url, pid):
        one = asyncio.run(_fanout(url, [url], agent, 1, [pid]))
        many = asyncio.run(_fanout(url, [url], agent, CLIENTS, [pid]))
    size = f"{CLIENTS} clients x {CHANGES} changes, {TICKETS} tickets, 1 process, SQLite"
    return _fanout_figures(many, one, size)


def _leader(url: str, admin: str) -> bool:
    answer = httpx.get(f"{url}/metrics", headers={"Authorization": f"Bearer {admin}"}, timeout=5)
    metrics = answer.raise_for_status().text
    return any(line.split() == ["deskterm_leader", "1.0"] for line in metrics.splitlines())


def _await_leader(urls: list[str], admin: str, timeout: float = 60) -> tuple[int, float]:
    """Which of `urls` leads once one does (read from /metrics), and when it was seen."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for i, url in enumerate(urls):
            if _leader(url, admin):
                return i, time.perf_counter()
        time.sleep(0.01)
    raise RuntimeError("no serve process took the lead")


def _run_processes(ctx: Context) -> list[Figure]:
    """Two `serve` processes on one PostgreSQL: a change through A reaching clients of B
    (NOTIFY/LISTEN), against clients of A itself; then the take-over when the leader dies."""
    cluster = postgres_cluster(ctx, "live processes")
    if cluster is None:
        return []
    folder = Path(tempfile.mkdtemp(prefix="deskterm-live-bench-"))
    try:
        url, admin, agent = _store(folder, cluster.create_database("live").url)
        with serving(url, folder) as (a, a_pid), serving(url, folder) as (b, b_pid):
            same = asyncio.run(_fanout(a, [a], agent, 1, [a_pid]))
            across = asyncio.run(_fanout(a, [b], agent, 1, [b_pid]))
            many = asyncio.run(_fanout(a, [a, b], agent, CLIENTS, [a_pid, b_pid]))
        phases = [k * TRY_S / TAKEOVERS for k in range(TAKEOVERS)]
        takeovers = [_takeover(str(url), folder, admin, phase) for phase in phases]
    finally:
        cluster.close()
    one = f"1 client x {CHANGES} changes, {TICKETS} tickets, PostgreSQL"
    size = (
        f"{CLIENTS} clients ({CLIENTS // 2} on each of 2 processes) x {CHANGES} changes, "
        f"{TICKETS} tickets, PostgreSQL, changes through A"
    )
    on_a, on_b = many["by_listener"]
    return [
        Figure("live", "change via A to client of A, p50", same["p50"], "s", one),
        Figure(
            "live", "change via A to client of B, p50", across["p50"], "s", one, raw=same["p50"]
        ),
        Figure(
            "live", "change via A to client of B, p99", across["p99"], "s", one, raw=same["p99"]
        ),
        *_fanout_figures(many, same, size),
        Figure("live", "fan-out p99, clients of A", on_a[1], "s", size, raw=same["p99"]),
        Figure("live", "fan-out p99, clients of B", on_b[1], "s", size, raw=same["p99"]),
        Figure(
            "live",
            "leader take-over after kill -9, median",
            sorted(takeovers)[len(takeovers) // 2],
            "s",
            f"{TAKEOVERS} kills, 2 serve processes, PostgreSQL",
            raw=TRY_S,
            goal="within seconds",
            ok=max(takeovers) <= 5.0,
            extra=f"max {max(takeovers) * 1000:.0f} ms; raw: the lock is tried every {TRY_S:g} s",
        ),
    ]


def _takeover(url: str, folder: Path, admin: str, phase: float) -> float:
    """Two serve processes; kill -9 the one that leads, `phase` seconds into the other's
    retry (both started together, so they try in step); seconds until the other
    leads."""
    with serving(url, folder) as (a, a_pid), serving(url, folder) as (b, b_pid):
        first, _seen = _await_leader([a, b], admin)
        time.sleep(phase)  # deaths spread over the retry, not all just after a try
        os.kill((a_pid, b_pid)[first], signal.SIGKILL)
        killed = time.perf_counter()
        _second, seen = _await_leader([(a, b)[1 - first]], admin)
        return seen - killed


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


async def _settled(app: Any) -> None:
    """Until no worker runs: one superseded by a newer load (exclusive) ends cancelled."""
    from textual.worker import WorkerCancelled

    while True:
        try:
            await app.workers.wait_for_complete()
        except WorkerCancelled:
            continue
        return


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
            await _settled(app)
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
                await _settled(app)
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
    if only in (None, "live", "processes"):
        figures += _run_processes(ctx)
    if only in (None, "live", "repaint"):
        figures += _run_repaint()
    return figures
