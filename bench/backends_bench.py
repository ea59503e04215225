"""The server's store on SQLite and on PostgreSQL: the same API calls, timed on both.

One store of TICKETS tickets is made through the service layer twice, in a SQLite
file and in a database on a throwaway PostgreSQL cluster (started as the tests
start it), each served by uvicorn on loopback in this process. The same calls run
against both: a queue page, a Latin and a CJK search, a ticket with its thread,
and a note added. The raw baseline of each read is the same read through the
query functions in this process on the SQLite store (what HTTP, auth, JSON and the
backend add); the write's is the service call on SQLite. `--only backends`.
"""

from __future__ import annotations

import random
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from bench.common import Context, Figure, measure, postgres_cluster

NAMES = ("backends",)
NEEDS_STORE = False
TICKETS = 2_000
RUNS = 60
_WORDS = ("refund", "invoice", "printer", "login", "shipping", "password", "退款", "发票", "환불")


def _fill(store: Any, seed: int = 7) -> tuple[str, list[int], float]:
    """TICKETS tickets (a note on every fourth); the agent token and the seconds it took."""
    from deskterm.store.service import Actor, Service

    rng = random.Random(seed)
    service = Service(store, Actor.system())
    _id, token = service.add_agent("Bench", "bench@bench.test", "admin")
    numbers = []
    start = time.perf_counter()
    for i in range(TICKETS):
        a, b = rng.sample(_WORDS, 2)
        made = service.create_ticket(
            f"{a} question {i}",
            f"Hello, about my {b}: it does not work ({i}).",
            f"c{i % 300}@x.test",
        )
        numbers.append(made.number)
        if i % 4 == 0:
            service.add_note(made.number, f"Looked at the {a} side")
    return token, numbers, time.perf_counter() - start


@contextmanager
def _served(store: Any) -> Iterator[str]:
    from helpers.http_server import LiveServer  # type: ignore[import-not-found]  # tests/ on the path

    from deskterm.server import ServerState, create_app

    live = LiveServer(create_app(ServerState.plain(store)))
    live.start()
    try:
        yield live.url
    finally:
        live.stop()


def _calls(client: httpx.Client, numbers: list[int]) -> dict[str, Callable[[], object]]:
    rng = random.Random(3)

    def get(path: str, **params: str) -> Callable[[], object]:
        def call() -> object:
            answer = client.get(path, params=params)
            answer.raise_for_status()
            return answer

        return call

    def note() -> object:
        number = rng.choice(numbers)
        answer = client.post(
            f"/api/v1/tickets/{number}/messages", json={"kind": "note", "body": "bench note"}
        )
        answer.raise_for_status()
        return answer

    return {
        "queue page (50)": get("/api/v1/tickets", limit="50"),
        "search refund": get("/api/v1/tickets", q="refund", limit="50"),
        "search 退款": get("/api/v1/tickets", q="退款", limit="50"),
        "ticket detail": get(f"/api/v1/tickets/{numbers[len(numbers) // 2]}"),
        "add a note": note,
    }


def _raw(store: Any, numbers: list[int]) -> dict[str, Callable[[], object]]:
    from deskterm.query.syntax import parse_query
    from deskterm.store.queries.tickets import get_ticket, list_tickets
    from deskterm.store.service import Actor, Service

    service = Service(store, Actor.system())
    rng = random.Random(3)
    return {
        "queue page (50)": lambda: list_tickets(store, parse_query(""), limit=50),
        "search refund": lambda: list_tickets(store, parse_query("refund"), limit=50),
        "search 退款": lambda: list_tickets(store, parse_query("退款"), limit=50),
        "ticket detail": lambda: get_ticket(store, numbers[len(numbers) // 2]),
        "add a note": lambda: service.add_note(rng.choice(numbers), "bench note"),
    }


def run(ctx: Context, only: str | None) -> list[Figure]:
    cluster = postgres_cluster(ctx, "backends")
    if cluster is None:
        return []
    from deskterm.store.schema.db import open_store

    runs = min(ctx.runs, RUNS)
    folder = Path(tempfile.mkdtemp(prefix="deskterm-backends-"))
    stores = {
        "sqlite": open_store(folder / "server.db", create=True),
        "postgresql": open_store(cluster.create_database("bench").url),
    }
    size = f"{TICKETS:,} tickets, {TICKETS * 5 // 4:,} messages"
    figures: list[Figure] = []
    try:
        made = {name: _fill(store) for name, store in stores.items()}
        numbers = made["sqlite"][1]
        raw = {
            name: measure(fn, runs).median for name, fn in _raw(stores["sqlite"], numbers).items()
        }
        medians: dict[str, dict[str, float]] = {}
        for backend, store in stores.items():
            token = made[backend][0]
            with (
                _served(store) as url,
                httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}) as client,
            ):
                medians[backend] = {
                    name: measure(fn, runs).median
                    for name, fn in _calls(client, made[backend][1]).items()
                }
        for name in raw:
            for backend in stores:
                extra = ""
                if backend == "postgresql":
                    extra = f"{medians[backend][name] / medians['sqlite'][name]:.1f}x SQLite's"
                figures.append(
                    Figure(
                        "backends",
                        f"API {name}, {backend}",
                        medians[backend][name],
                        "s",
                        size,
                        raw=raw[name],
                        extra=extra,
                    )
                )
        for backend in stores:
            figures.append(
                Figure(
                    "backends",
                    f"make the store through the service, {backend}",
                    made[backend][2],
                    "s",
                    size,
                    raw=made["sqlite"][2],
                )
            )
    finally:
        for store in stores.values():
            store.close()
        cluster.close()
        shutil.rmtree(folder, ignore_errors=True)
    return figures
