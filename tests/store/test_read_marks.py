"""`is:unread`: read marks per agent, set by opening a ticket and by one's own changes."""

from __future__ import annotations

import json

import pytest
from helpers.clock import Clock

from deskterm.errors import UsageError
from deskterm.query.syntax import parse_query
from deskterm.store.queries import catalog as catalog_queries
from deskterm.store.queries import tickets as queries
from deskterm.store.search.filters import QueryContext
from deskterm.store.service import Actor, Service


def numbers(service: Service, text: str, agent_id: int | None) -> list[int]:
    ctx = QueryContext(agent_id, service.clock())
    page = queries.list_tickets(service.store, parse_query(text), ctx)
    return sorted(row.number for row in page.rows)


def flags(service: Service, agent_id: int | None) -> dict[int, bool | None]:
    page = queries.list_tickets(service.store, parse_query(""), QueryContext(agent_id))
    return {row.number: row.unread for row in page.rows}


def test_unread_until_opened_and_again_after_a_customer_writes(
    service: Service, clock: Clock
) -> None:
    me = service.actor.agent_id
    kim = catalog_queries.find_agent(service.store, "kim@desk.test").id
    kim_desk = Service(service.store, Actor(kim, "Kim Park"), clock)
    a = service.create_ticket("Printer on fire", "help", "ana@acme.test", "Ana")
    clock.advance(minutes=1)
    b = kim_desk.create_ticket("Refund", "please", "bo@acme.test", "Bo")
    clock.advance(minutes=1)
    # Your own changes never make a ticket unread to you; others' do.
    assert numbers(service, "is:unread", me) == [b.number]
    assert numbers(service, "is:read", me) == [a.number]
    assert numbers(kim_desk, "is:unread", kim) == [a.number]
    assert flags(service, me) == {a.number: False, b.number: True}

    assert service.mark_read(b.number) is True
    assert service.mark_read(b.number) is False  # already seen as it is
    assert numbers(service, "is:unread", me) == []

    clock.advance(minutes=5)
    Service(service.store, Actor.system(), clock).add_customer_message(b.number, "any news?")
    assert numbers(service, "is:unread", me) == [b.number]
    assert numbers(service, "is:unread status:open,new,pending", me) == [b.number]
    clock.advance(minutes=1)
    service.add_reply(b.number, "on it")  # answering reads it
    assert numbers(service, "is:unread", me) == []
    assert numbers(kim_desk, "is:unread", kim) == [a.number, b.number]


def test_is_unread_needs_an_agent(service: Service) -> None:
    service.create_ticket("Hello", "body", "ana@acme.test", "Ana")
    with pytest.raises(UsageError, match=r"is:unread needs .*\[agent\] email"):
        numbers(service, "is:unread", None)
    assert queries.list_tickets(service.store, parse_query("")).rows[0].unread is None
    system = Service(service.store, Actor.system(), service.clock)
    with pytest.raises(UsageError, match="only an agent"):
        system.mark_read(1)


def test_the_syntax_round_trips_and_rejects_other_values() -> None:
    query = parse_query("is:unread tag:vip")
    assert query.is_ == ("unread",)
    assert parse_query(str(query)) == query
    assert parse_query("status:open").merged(query).is_ == ("unread",)
    with pytest.raises(Exception, match=r"is:'starred' is not a is \(choose from unread, read\)"):
        parse_query("is:starred")


def test_search_cli_shows_what_changed_since_you_looked(run_cli, tmp_path) -> None:
    db = str(tmp_path / "desk.db")
    assert run_cli("--db", db, "init").returncode == 0
    config = tmp_path / "xdg" / "deskterm" / "config.toml"
    config.write_text('[agent]\nname = "Sam Lee"\nemail = "sam@desk.test"\n')
    made = run_cli(
        "--db", db, "tickets", "new", "--subject", "Hi", "--from", "ana@x.test", "--body", "yo"
    )
    assert made.returncode == 0, made.stderr

    def search(text: str) -> list[dict[str, object]]:
        done = run_cli("--db", db, "search", text, "--json")
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    assert search("is:unread") == []  # Sam opened it himself
    assert [(t["number"], t["unread"]) for t in search("is:read")] == [(1, False)]
    mail = tmp_path / "reply.eml"
    mail.write_bytes(
        b"From: Ana <ana@x.test>\r\nTo: support@desk.test\r\nSubject: Re: Hi [#1]\r\n"
        b"Message-ID: <r1@x.test>\r\nDate: Mon, 2 Mar 2026 10:00:00 +0000\r\n\r\nstill broken\r\n"
    )
    assert run_cli("--db", db, "import", str(mail)).returncode == 0
    assert [(t["number"], t["unread"]) for t in search("is:unread")] == [(1, True)]
