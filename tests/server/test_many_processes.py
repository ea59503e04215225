"""Several `deskterm serve` processes on one real PostgreSQL, reached by nothing but their ports:
what one takes in is pushed to the clients of the others (LISTEN/NOTIFY), presence too, and
exactly one of them does the mail, the other taking over when it is killed."""

from __future__ import annotations

import email
import signal
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from helpers.http_server import Served, serve_handle, serve_process
from helpers.imap import ImapAccount
from helpers.live import listening
from helpers.processes import kill_group
from helpers.serve_mail import (
    HANG_S,
    PASSWORD_ENV,
    SMTP_PASSWORD_ENV,
    customer_mail,
    metrics,
    wait_metric,
    write_config,
)
from helpers.smtp import SMTP_PASSWORD, SmtpServer
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


def test_kill_9_the_leader_and_the_other_takes_over_the_mail(
    postgres_url: str,
    deskterm_bin: str,
    tmp_path: Path,
    imap_account: ImapAccount,
    smtp_server: SmtpServer,
) -> None:
    """Exactly one process fetches and sends; kill -9 it and the other does, nothing lost,
    nothing fetched or sent twice."""
    config = tmp_path / "server.toml"
    address = write_config(config, imap_account, smtp_server)
    store = open_store(postgres_url, create=True)
    try:
        _id, token = Service(store, Actor.system()).add_agent("Ada", "ada@desk.test", "admin")
    finally:
        store.close()
    env = {PASSWORD_ENV: imap_account.password, SMTP_PASSWORD_ENV: SMTP_PASSWORD}
    with ExitStack() as stack:
        servers = [
            stack.enter_context(
                serve_handle(deskterm_bin, postgres_url, tmp_path / name, config=config, env=env)
            )
            for name in ("one", "two")
        ]
        leader, follower = leading_first(servers, token)
        imap_account.append(customer_mail(address, "First parcel"))
        smtp_server.wait_for_messages(1)  # fetched, and acknowledged by mail
        wait_metric(leader.url, token, SENT, 1)  # recorded as sent before the kill
        kill_group(leader.proc, signal.SIGKILL)

        wait_metric(follower.url, token, LEADER, 1)
        imap_account.append(customer_mail(address, "Second parcel"))
        smtp_server.wait_for_messages(2)
        first = ticket_number(postgres_url, "First parcel")
        answer = httpx.post(
            f"{follower.url}/api/v1/tickets/{first}/messages",
            json={"body": "It left the depot today."},
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        )
        assert answer.status_code == 201, answer.text
        smtp_server.wait_for_messages(3)
        wait_metric(follower.url, token, SENT, 3)
    mails = smtp_server.messages
    assert len(mails) == 3
    assert len({email.message_from_bytes(m.content)["Message-ID"] for m in mails}) == 3
    assert b"It left the depot today." in mails[2].content
    store = open_store(postgres_url)
    try:
        subjects = [r[0] for r in store.read().execute("SELECT subject FROM ticket ORDER BY id")]
    finally:
        store.close()
    assert subjects == ["First parcel", "Second parcel"]


LEADER = ("deskterm_leader", ())
SENT = ("deskterm_outbox_entries", (("state", "sent"),))


def leading_first(servers: list[Served], token: str) -> tuple[Served, Served]:
    """The two servers once exactly one of them leads: (leader, follower)."""
    deadline = time.monotonic() + HANG_S
    while True:
        leading = [s for s in servers if metrics(s.url, token).get(LEADER) == 1]
        if len(leading) == 1:
            (leader,) = leading
            (follower,) = [s for s in servers if s is not leader]
            return leader, follower
        assert len(leading) < 2, "two processes lead at once"
        assert time.monotonic() < deadline, "no process took the lead"
        time.sleep(0.1)  # the processes start on their own: poll the state


def ticket_number(database: str, subject: str) -> int:
    store = open_store(database)
    try:
        row = store.read().execute("SELECT number FROM ticket WHERE subject = ?", (subject,))
        return int(row.fetchone()[0])
    finally:
        store.close()
