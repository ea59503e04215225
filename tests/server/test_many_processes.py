"""Several `deskterm serve` processes on one real PostgreSQL, reached by nothing but their ports:
what one takes in is pushed to the clients of the others (LISTEN/NOTIFY), presence too."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from helpers.http_server import serve_process
from helpers.live import listening
from prometheus_client.parser import text_string_to_metric_families

from deskterm.store.schema.db import open_store
from deskterm.store.service import Actor, Service

pytestmark = pytest.mark.server


@dataclass(frozen=True)
class Desk:
    urls: list[str]
    database: str
    admin: str
    agent: str
    number: int


@pytest.fixture
def desk(postgres_url: str, deskterm_bin: str, tmp_path: Path) -> Iterator[Desk]:
    store = open_store(postgres_url, create=True)  # migrated once, before either starts
    try:
        system = Service(store, Actor.system())
        _id, admin = system.add_agent("Ada Admin", "ada@desk.test", "admin")
        _id, agent = system.add_agent("Bo Agent", "bo@desk.test", "agent")
        number = system.create_ticket("Parcel never came", "Where?", "cy@cust.test").number
    finally:
        store.close()
    with ExitStack() as stack:
        urls = [
            stack.enter_context(serve_process(deskterm_bin, postgres_url, tmp_path / name))
            for name in ("one", "two")
        ]
        yield Desk(urls, postgres_url, admin, agent, number)


def gauge(url: str, token: str, name: str) -> float:
    text = httpx.get(f"{url}/metrics", headers={"Authorization": f"Bearer {token}"}, timeout=30)
    families = text_string_to_metric_families(text.text)
    return next(s.value for f in families for s in f.samples if s.name == name)


def test_a_reply_through_one_process_reaches_a_client_of_the_other(desk: Desk) -> None:
    one, two = desk.urls
    with listening(two, desk.admin) as other:
        other.ready()
        answer = httpx.post(
            f"{one}/api/v1/tickets/{desk.number}/messages",
            json={"body": "On its way."},
            headers={"Authorization": f"Bearer {desk.agent}"},
            timeout=30,
        )
        assert answer.status_code == 201, answer.text
        _arrived, event = other.ticket(desk.number)
        # Woken by the commit's NOTIFY, not by polling the counter (how fast: the live bench).
        assert gauge(two, desk.admin, "deskterm_feed_listening") == 1
    assert event.data["message_count"] == 2


def test_a_change_beside_both_processes_reaches_their_clients(desk: Desk) -> None:
    """A CLI write on the database (no server asked): its commit's NOTIFY wakes both."""
    with (
        listening(desk.urls[0], desk.admin) as first,
        listening(desk.urls[1], desk.agent) as second,
    ):
        first.ready()
        second.ready()
        store = open_store(desk.database)
        try:
            made = Service(store, Actor.system()).create_ticket("Walk-in", "Hi", "w@cust.test")
        finally:
            store.close()
        first.ticket(made.number)
        second.ticket(made.number)


def test_presence_told_to_one_process_is_seen_through_the_other(desk: Desk) -> None:
    one, two = desk.urls
    with listening(two, desk.admin) as other:
        other.ready()
        answer = httpx.post(
            f"{one}/api/v1/presence",
            json={"ticket": desk.number, "state": "replying"},
            headers={"Authorization": f"Bearer {desk.agent}"},
            timeout=30,
        )
        assert answer.status_code == 204, answer.text
        _arrived, event = other.next(lambda e: e.kind == "presence" and bool(e.data["agents"]))
    assert event.data == {
        "number": desk.number,
        "agents": [{"email": "bo@desk.test", "name": "Bo Agent", "state": "replying"}],
    }
    seen = httpx.get(
        f"{two}/api/v1/presence/{desk.number}",
        headers={"Authorization": f"Bearer {desk.admin}"},
        timeout=30,
    )
    assert seen.json() == event.data["agents"]
