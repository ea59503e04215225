"""50 agents' replicas syncing against one server: push a change, pull what changed.

`deskterm serve` runs on a 20,000-ticket demo store in its own process: a SQLite file,
then a database on a throwaway PostgreSQL cluster (the tests' helper; skipped with a
note where there is none). Each simulated
agent is a replica that joined already (its cursor starts at the server's): once a
second it alternately pushes one change (a note, a status) and pulls what every agent
changed since its cursor, pages included. Latency is set against the same changes made
directly through the service layer and the same pull read in-process (the raw baseline);
the server's CPU and RSS are read after the load. `python -m bench --only sync-load`
(both stores), `--only sync-load-sqlite` or `--only sync-load-postgresql`.
"""

from __future__ import annotations

import asyncio
import random
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from bench.common import Context, Figure, postgres_cluster
from bench.server_bench import (
    AGENTS,
    GOAL_P99,
    PACE_SECONDS,
    _cpu_seconds,
    _prepare,
    _rss_mb,
    prepare_at,
)
from bench.server_bench import serving as serving_store

NAMES = ("sync-load", "sync-load-sqlite", "sync-load-postgresql")  # both, or one backend
NEEDS_STORE = False
ROUNDS = 20  # requests per agent: 10 pushes and 10 pulls, one a second


def _op(rng: random.Random, numbers: list[int], op_id: int) -> dict[str, Any]:
    number = rng.choice(numbers)
    if op_id % 2:
        args = {"ticket": f"#{number}", "body": f"Checked with the depot ({op_id})."}
        return {"id": op_id, "name": "add_note", "args": args}
    status = rng.choice(("open", "pending"))
    args = {"tickets": [f"#{number}"], "status": status, "add_tags": [], "remove_tags": []}
    return {"id": op_id, "name": "update_tickets", "args": args}


async def _agent(
    url: str, token: str, seat: int, numbers: list[int], cursor: int, out: list[float]
) -> int:
    """One replica's session; returns how many tickets it pulled."""
    rng = random.Random(seat)
    client_id = f"bench-replica-{seat:03d}"
    headers = {"Authorization": f"Bearer {token}"}
    pulled, began = 0, time.perf_counter()
    offset = rng.random() * PACE_SECONDS  # replicas do not all start on the same tick
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=60) as client:
        for i in range(ROUNDS):
            # the load model's think time, not a wait for a state
            await asyncio.sleep(max(0.0, began + offset + i * PACE_SECONDS - time.perf_counter()))
            if i % 2 == 0:
                body: dict[str, Any] = {
                    "client_id": client_id,
                    "mutations": [_op(rng, numbers, i + 1)],
                }
                start = time.perf_counter()
                response = await client.post("/api/v1/sync/push", json=body)
                out.append(time.perf_counter() - start)
                response.raise_for_status()
                continue
            page: dict[str, Any] = {"client_id": client_id, "cursor": cursor, "limit": 500}
            while True:
                start = time.perf_counter()
                response = await client.post("/api/v1/sync/pull", json=page)
                out.append(time.perf_counter() - start)
                response.raise_for_status()
                answer = response.json()
                pulled += len(answer["tickets"])
                if answer["next"] is None:
                    cursor = int(answer["cookie"])
                    break
                page |= {"after": answer["next"]}
    return pulled


async def _load(
    url: str, token: str, numbers: list[int], cursor: int
) -> tuple[list[float], float, int]:
    latencies: list[float] = []
    start = time.perf_counter()
    pulled = await asyncio.gather(
        *(_agent(url, token, seat, numbers, cursor, latencies) for seat in range(AGENTS))
    )
    latencies.sort()
    return latencies, time.perf_counter() - start, sum(pulled)


def _raw(db: Path | str, numbers: list[int]) -> float:
    """Median of the same work in-process: one change through the service, one pull read."""
    from deskterm.store.queries.catalog import find_agent
    from deskterm.store.queries.sync import pull_page
    from deskterm.store.schema.db import open_store
    from deskterm.store.service import Actor, Service

    store = open_store(db)
    agent = find_agent(store, "bench@bench.test")
    service = Service(store, Actor(agent.id, agent.name))
    cursor = _cursor(store)
    rng, samples = random.Random(0), []
    for i in range(100):
        start = time.perf_counter()
        if i % 2 == 0:
            service.add_note(rng.choice(numbers), f"Checked ({i}).")
        else:
            cursor = pull_page(store, cursor, limit=500, agent_id=agent.id).cookie
        samples.append(time.perf_counter() - start)
    store.close()
    samples.sort()
    return samples[len(samples) // 2]


def _cursor(store: Any) -> int:
    row = store.read().execute("SELECT value FROM counter WHERE name = 'sync'").fetchone()
    return int(row[0]) if row else 0


def run(ctx: Context, only: str | None) -> list[Figure]:
    figures = _on_sqlite() if only in (None, "sync-load-sqlite") else []
    if only == "sync-load-sqlite":
        return figures
    cluster = postgres_cluster(ctx, "sync-load on PostgreSQL")
    if cluster is not None:
        try:
            figures += _on_postgres(cluster.create_database("syncload").url)
        finally:
            cluster.close()
    return figures


def _on_sqlite() -> list[Figure]:
    from deskterm.store.schema.db import open_store

    folder = Path(tempfile.mkdtemp(prefix="deskterm-sync-load-"))
    try:
        db, token, numbers = _prepare(folder)
        store = open_store(db)
        cursor = _cursor(store)
        store.close()
        shutil.copyfile(db, folder / "raw.db")
        raw = _raw(folder / "raw.db", numbers)
        return _served(db, folder, token, numbers, cursor, raw, "SQLite", "")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _on_postgres(url: str) -> list[Figure]:
    """The same load on a PostgreSQL store; the raw baseline runs on it before it is served
    (50 notes more on 20,000 tickets)."""
    from deskterm.store.schema.db import open_store

    folder = Path(tempfile.mkdtemp(prefix="deskterm-sync-load-pg-"))
    try:
        token, numbers = prepare_at(url)
        raw = _raw(url, numbers)
        store = open_store(url)
        cursor = _cursor(store)
        store.close()
        return _served(url, folder, token, numbers, cursor, raw, "PostgreSQL", ", PostgreSQL")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _served(
    db: Path | str,
    folder: Path,
    token: str,
    numbers: list[int],
    cursor: int,
    raw: float,
    backend: str,
    label: str,
) -> list[Figure]:
    """The load against `deskterm serve` on `db`; `label` tells a second backend's figures."""
    with serving_store(db, folder) as (url, pid):
        cpu = _cpu_seconds(pid)
        latencies, wall, pulled = asyncio.run(_load(url, token, numbers, cursor))
        cpu = _cpu_seconds(pid) - cpu
        rss = _rss_mb(pid)
    p50 = latencies[len(latencies) // 2]
    p99 = latencies[int(len(latencies) * 0.99) - 1]
    size = (
        f"{len(numbers):,} tickets, {AGENTS} replicas x 1 push or pull/s, {len(latencies):,}"
        f" requests, {pulled:,} tickets pulled, {backend}"
    )
    return [
        Figure("sync", f"sync p50 (50 replicas syncing{label})", p50, "s", size, raw=raw),
        Figure(
            "sync",
            f"sync p99 (50 replicas syncing{label})",
            p99,
            "s",
            size,
            raw=raw,
            goal="p99 <= 200 ms",
            ok=p99 <= GOAL_P99,
        ),
        Figure("sync", f"sync throughput{label}", len(latencies) / wall, "req/s", size),
        Figure("sync", f"server CPU per sync request{label}", cpu / len(latencies), "s", size),
        Figure("sync", f"server RSS after syncing{label}", rss, "MB", size),
    ]
