"""The team server: 50 agents at once, 10,000 offline ops synced, a first join.

A demo store is built (20,000 tickets), `deskterm serve` runs on it in its own
process (as in production; in this process it would fight the clients for the GIL),
and 50 concurrent clients each list their queue and open tickets. Two loads: agents
at work (each makes a request a second, as someone reading and typing would: 50
req/s) for p50/p99 latency, and all 50 asking back to back (saturation) for the
throughput. Latency is set against the same reads made directly through the query
functions in this process (the raw baseline: what HTTP, auth and JSON add); the
server's RSS is read after the load. `python -m bench --only server`.

`--only sync`: a replica makes 10,000 changes offline and syncs them (push, the
server runs each again, pull), against making the same changes directly through the
service layer in this process. `--only join`: the first join of a 100,000-ticket
store (built once into /work/cache, or bench/results without it).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import httpx

from bench.common import RESULTS, Context, Figure

if TYPE_CHECKING:
    from deskterm.store.schema.db import Store
    from deskterm.store.service import Service

NAMES = ("server", "sync", "join")
NEEDS_STORE = False
TICKETS = 20_000
AGENTS = 50
REQUESTS_EACH = 40
PACED_EACH = 15
PACE_SECONDS = 1.0  # one request a second per agent while paced
GOAL_P99 = 0.200

_SERVE = "from deskterm.cli import main; main()"


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _prepare(folder: Path) -> tuple[Path, str, list[int]]:
    db = folder / "server.db"
    return db, *prepare_at(db)


def prepare_at(location: Path | str) -> tuple[str, list[int]]:
    """A TICKETS-ticket demo desk at `location` (a new file or an empty PostgreSQL
    database) with the bench's agent: its token and the ticket numbers."""
    from deskterm.demo.build import build_demo
    from deskterm.store.schema.db import open_store
    from deskterm.store.service import Actor, Service

    print(f"building a {TICKETS:,}-ticket store ...", file=sys.stderr)
    build_demo(location, TICKETS)
    store = open_store(location)
    _id, token = Service(store, Actor.system()).add_agent("Bench", "bench@bench.test", "agent")
    numbers = [int(r[0]) for r in store.read().execute("SELECT number FROM ticket")]
    store.close()
    return token, numbers


def _paths(numbers: list[int], seed: int, count: int = REQUESTS_EACH) -> list[str]:
    """One agent's session: its queue, then tickets it opens, now and then the queue again."""
    rng = random.Random(seed)
    paths = []
    for i in range(count):
        if i % 4 == 0:
            paths.append("/api/v1/tickets?q=status:new,open&limit=50")
        else:
            paths.append(f"/api/v1/tickets/{rng.choice(numbers)}")
    return paths


async def _agent(
    url: str, token: str, paths: list[str], out: list[float], pace: float | None
) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    began = time.perf_counter()
    offset = random.random() * (pace or 0)  # agents do not all start on the same tick
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=60) as client:
        for i, path in enumerate(paths):
            if pace is not None:  # the load model's think time, not a wait for a state
                await asyncio.sleep(max(0.0, began + offset + i * pace - time.perf_counter()))
            start = time.perf_counter()
            response = await client.get(path)
            out.append(time.perf_counter() - start)
            response.raise_for_status()


async def _load(
    url: str, token: str, numbers: list[int], pace: float | None = None
) -> tuple[list[float], float]:
    count = REQUESTS_EACH if pace is None else PACED_EACH
    latencies: list[float] = []
    start = time.perf_counter()
    await asyncio.gather(
        *(
            _agent(url, token, _paths(numbers, seed, count), latencies, pace)
            for seed in range(AGENTS)
        )
    )
    latencies.sort()
    return latencies, time.perf_counter() - start


def _raw(db: Path, numbers: list[int]) -> float:
    """The median time of the same reads through the query functions, one at a time."""
    from deskterm.query.syntax import parse_query
    from deskterm.store.queries.tickets import get_ticket, list_tickets
    from deskterm.store.schema.db import open_store

    store = open_store(db)
    query = parse_query("status:new,open")
    samples = []
    for path in _paths(numbers, 0) * 3:
        start = time.perf_counter()
        if "?" in path:
            [row.to_json() for row in list_tickets(store, query, limit=50).rows]
        else:
            get_ticket(store, int(path.rsplit("/", 1)[1])).to_json()
        samples.append(time.perf_counter() - start)
    store.close()
    samples.sort()
    return samples[len(samples) // 2]


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _wait(url: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.05)
    raise RuntimeError("deskterm serve did not come up")


def run(ctx: Context, only: str | None) -> list[Figure]:
    figures: list[Figure] = []
    if only in (None, "server"):
        figures += _run_load()
    if only in (None, "sync"):
        figures += _run_sync()
    if only in (None, "join"):
        figures += _run_join()
    return figures


def _run_load() -> list[Figure]:
    folder = Path(tempfile.mkdtemp(prefix="deskterm-server-bench-"))
    try:
        db, token, numbers = _prepare(folder)
        raw = _raw(db, numbers)
        with serving(db, folder) as (url, pid):
            asyncio.run(_load(url, token, numbers))  # warm the server's caches and pools
            saturated, wall = asyncio.run(_load(url, token, numbers))
            latencies, _wall = asyncio.run(_load(url, token, numbers, PACE_SECONDS))
            rss = _rss_mb(pid)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    p50 = latencies[len(latencies) // 2]
    p99 = latencies[int(len(latencies) * 0.99) - 1]
    paced = f"{TICKETS:,} tickets, {AGENTS} agents x 1 read/s, SQLite"
    size = f"{TICKETS:,} tickets, {AGENTS} clients x {REQUESTS_EACH} reads back to back, SQLite"
    return [
        Figure("server", "read p50 (50 agents at work)", p50, "s", paced, raw=raw),
        Figure(
            "server",
            "read p99 (50 agents at work)",
            p99,
            "s",
            paced,
            raw=raw,
            goal="p99 <= 200 ms",
            ok=p99 <= GOAL_P99,
        ),
        Figure("server", "throughput (saturated)", len(saturated) / wall, "req/s", size),
        Figure(
            "server", "read p99 (saturated)", saturated[int(len(saturated) * 0.99) - 1], "s", size
        ),
        Figure("server", "server RSS after the load", rss, "MB", size),
    ]


if __name__ == "__main__":
    from bench.common import print_table

    print_table(run(Context(db=Path(), tickets=TICKETS, runs=1), None))


SYNC_OPS = 10_000
SYNC_TICKETS = 1_000
JOIN_TICKETS = 100_000
GOAL_SYNC_S = 2.0
GOAL_JOIN_S = 30.0


@contextlib.contextmanager
def serving(db: Path | str, folder: Path) -> Iterator[tuple[str, int]]:
    """`deskterm serve` on `db` (a file or a PostgreSQL URL) as its own process: its URL and
    pid, until the block ends."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("DESKTERM_")}
    env["XDG_CONFIG_HOME"] = str(folder / "xdg")
    proc = subprocess.Popen(
        [sys.executable, "-c", _SERVE, "--db", str(db), "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        _wait(url, proc)
        yield url, proc.pid
    finally:
        proc.terminate()
        proc.wait()


def _changes(service: Service, numbers: list[int]) -> None:
    """The same 10,000 changes, wherever they are made: notes, statuses, priorities, tags."""
    for i in range(SYNC_OPS):
        number = numbers[i % len(numbers)]
        kind = i % 4
        if kind == 0:
            service.add_note(number, f"Note {i}: checked with the warehouse.")
        elif kind == 1:
            service.update_tickets([number], status=("open", "pending")[i % 2])
        elif kind == 2:
            service.update_tickets([number], priority=("high", "normal")[i % 2])
        else:
            service.update_tickets([number], add_tags=[f"batch-{i % 7}"])


def _run_sync() -> list[Figure]:
    from deskterm.channels.sync import join
    from deskterm.demo.build import build_demo
    from deskterm.store.schema.db import open_store
    from deskterm.store.service import Actor, Service

    folder = Path(tempfile.mkdtemp(prefix="deskterm-sync-bench-"))
    try:
        db = folder / "server.db"
        print(f"building a {SYNC_TICKETS:,}-ticket store ...", file=sys.stderr)
        build_demo(db, SYNC_TICKETS)
        shutil.copyfile(db, folder / "direct.db")
        store = open_store(db)
        _id, token = Service(store, Actor.system()).add_agent("Bench", "bench@bench.test")
        numbers = [int(r[0]) for r in store.read().execute("SELECT number FROM ticket")]
        store.close()

        direct_store = open_store(folder / "direct.db")
        system = Service(direct_store, Actor.system())
        agent_id = system.ensure_agent("Bench", "bench@bench.test")
        start, cpu_start = time.perf_counter(), time.process_time()
        _changes(Service(direct_store, Actor(agent_id, "Bench")), numbers)
        direct = time.perf_counter() - start
        direct_cpu = time.process_time() - cpu_start
        direct_store.close()

        with serving(db, folder) as (url, pid):
            replica_path = folder / "replica.db"
            replica, _me, _report = join(
                url,
                token,
                lambda: open_store(replica_path, create=True),
                lambda store: lambda: _agent_service(store),
            )
            print(f"making {SYNC_OPS:,} changes offline ...", file=sys.stderr)
            start = time.perf_counter()
            _changes(_agent_service(replica.store), numbers)
            offline = time.perf_counter() - start
            start, server_cpu = time.perf_counter(), _cpu_seconds(pid)
            report = replica.sync()
            synced = time.perf_counter() - start
            server_cpu = _cpu_seconds(pid) - server_cpu
            replica.client.close()
            replica.store.close()
        assert report.pushed == SYNC_OPS and report.queued == 0, report
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    size = f"{SYNC_OPS:,} ops on {SYNC_TICKETS:,} tickets, loopback, SQLite"
    return [
        Figure(
            "sync",
            "10,000 offline ops: push + pull",
            synced,
            "s",
            size,
            raw=direct,
            goal="<= 2 s and <= 3x direct",
            ok=synced <= GOAL_SYNC_S and synced <= 3 * direct,
            extra=f"pulled {report.pulled:,} tickets",
        ),
        Figure("sync", "the same ops made offline", offline, "s", size, raw=direct),
        # CPU seconds: what the work costs, whatever else the machine is running.
        Figure(
            "sync",
            "server CPU for the push + pull",
            server_cpu,
            "s",
            size,
            raw=direct_cpu,
            extra="raw: CPU of the same changes made directly",
        ),
    ]


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far (/proc/PID/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _agent_service(store: Store) -> Service:
    from deskterm.store.queries.catalog import find_agent
    from deskterm.store.service import Actor, Service

    agent = find_agent(store, "bench@bench.test")
    return Service(store, Actor(agent.id, agent.name))


def _join_store() -> Path:
    """A 100,000-ticket demo store with an agent, built once (flock: one builder at a time)."""
    import fcntl

    from deskterm.demo.build import build_demo
    from deskterm.store.schema.db import open_store
    from deskterm.store.service import Actor, Service

    cache = Path("/work/cache") if Path("/work/cache").is_dir() else RESULTS
    cache.mkdir(parents=True, exist_ok=True)
    path = cache / f"server-join-{JOIN_TICKETS}.db"
    with open(cache / f".lock-{path.name}", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not path.exists():
            print(f"building a {JOIN_TICKETS:,}-ticket store (once) ...", file=sys.stderr)
            building = path.with_name(path.name + ".building")
            building.unlink(missing_ok=True)
            build_demo(building, JOIN_TICKETS)
            store = open_store(building)
            Service(store, Actor.system()).ensure_agent("Bench", "bench@bench.test")
            store.close()
            building.rename(path)
    return path


def _run_join() -> list[Figure]:
    from deskterm.channels.sync import join
    from deskterm.store.schema.db import open_store
    from deskterm.store.service import Actor, Service

    source = _join_store()
    folder = Path(tempfile.mkdtemp(prefix="deskterm-join-bench-"))
    try:
        db = folder / "server.db"
        shutil.copyfile(source, db)
        store = open_store(db)
        token = Service(store, Actor.system()).add_agent("Joiner", "joiner@bench.test")[1]
        store.close()
        with serving(db, folder) as (url, _pid):
            start = time.perf_counter()
            replica, _me, report = join(
                url,
                token,
                lambda: open_store(folder / "replica.db", create=True),
                lambda store: lambda: _agent_service(store),
            )
            took = time.perf_counter() - start
            replica.client.close()
            replica.store.close()
        size_mb = (folder / "replica.db").stat().st_size / 1e6
        raw = _copy_time(db, folder / "copy.db")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return [
        Figure(
            "sync",
            "first join (pull everything)",
            took,
            "s",
            f"{report.pulled:,} tickets, replica {size_mb:,.0f} MB, loopback",
            raw=raw,
            goal="<= 30 s",
            ok=took <= GOAL_JOIN_S,
        )
    ]


def _copy_time(source: Path, target: Path) -> float:
    """The raw baseline: copying the server's store file whole."""
    start = time.perf_counter()
    shutil.copyfile(source, target)
    return time.perf_counter() - start
