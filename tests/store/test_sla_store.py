"""SLA policies applied by the service layer: due times, pauses, met and breach events."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from deskterm.cli import app
from deskterm.config import CalendarConfig, PolicyConfig, SlaConfig
from deskterm.query.syntax import parse_query
from deskterm.sla.settings import settings_from_config
from deskterm.store.queries.tickets import list_events, list_tickets
from deskterm.store.schema.db import Store
from deskterm.store.search.filters import QueryContext
from deskterm.store.service import Actor, Service

SLA = SlaConfig(
    calendar=CalendarConfig(timezone="Europe/Berlin"),
    policy=[
        PolicyConfig(name="VIP", tag="vip", calendar="24x7", first_reply={"default": "1h"}),
        PolicyConfig(
            name="Standard",
            first_reply={"urgent": "1h", "normal": "4h"},
            next_reply={"default": "8h"},
            resolution={"default": "16h"},
        ),
    ],
)


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)  # Monday 09:00 Berlin

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def desk(store: Store, clock: Clock) -> Service:
    agent = Service(store, Actor.system(), clock).ensure_agent("Sam", "sam@desk.test")
    return Service(store, Actor(agent, "Sam"), clock, sla=settings_from_config(SLA))


def row(store: Store, number: int):
    page = list_tickets(store, parse_query("created>2000-01-01"), limit=500)
    return next(r for r in page.rows if r.number == number)


def kinds(store: Store, number: int) -> list[tuple[str, str | None]]:
    return [(e.kind, e.new) for e in list_events(store, number) if e.kind.startswith("sla")]


def test_first_matching_policy_applies(desk: Service, store: Store) -> None:
    vip = desk.create_ticket("a", "b", "a@x.test", tags=["vip"])
    std = desk.create_ticket("a", "b", "b@x.test", priority="urgent")
    assert row(store, vip.number).sla_policy == "VIP"
    assert row(store, vip.number).due_at == datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    assert row(store, std.number).sla_policy == "Standard"


def test_due_times_follow_business_hours(desk: Service, store: Store, clock: Clock) -> None:
    clock.now = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)  # Friday 16:00 Berlin
    t = desk.create_ticket("a", "b", "a@x.test")
    # 1 h on Friday, 3 h on Monday from 09:00 Berlin.
    assert row(store, t.number).due_at == datetime(2026, 11, 30, 11, 0, tzinfo=UTC)


def test_reply_in_time_records_met_and_sets_next_reply(
    desk: Service, store: Store, clock: Clock
) -> None:
    t = desk.create_ticket("a", "b", "a@x.test")
    clock.now += timedelta(hours=1)
    desk.add_reply(t.number, "on it")
    assert kinds(store, t.number) == [("sla_met", "first_reply")]
    clock.now += timedelta(hours=1)
    desk.add_customer_message(t.number, "and?")
    # The next reply is due 8 business hours after the customer wrote (11:00 Berlin).
    assert row(store, t.number).due_at == datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


def test_breach_recorded_once_when_it_happens(desk: Service, store: Store, clock: Clock) -> None:
    t = desk.create_ticket("a", "b", "a@x.test")
    clock.now += timedelta(hours=5)
    assert desk.check_breaches() == [t.number]
    assert desk.check_breaches() == []  # never twice for the same target
    events = [e for e in list_events(store, t.number) if e.kind == "sla_breached"]
    assert [(e.new, e.created_at) for e in events] == [
        ("first_reply", datetime(2026, 11, 23, 12, 0, tzinfo=UTC))
    ]  # when it was due
    desk.add_reply(t.number, "sorry, late")
    assert kinds(store, t.number) == [("sla_breached", "first_reply")]


def test_late_reply_records_breach_without_timer(desk: Service, store: Store, clock: Clock) -> None:
    t = desk.create_ticket("a", "b", "a@x.test")
    clock.now += timedelta(hours=6)
    desk.add_reply(t.number, "late")
    assert kinds(store, t.number) == [("sla_breached", "first_reply")]


def test_resolution_pauses_while_pending(desk: Service, store: Store, clock: Clock) -> None:
    t = desk.create_ticket("a", "b", "a@x.test")
    desk.add_reply(t.number, "need info", status="pending")
    assert row(store, t.number).due_at is None  # paused, nothing else open
    clock.now += timedelta(hours=24)  # Tuesday 09:00 Berlin: 8 business hours paused
    desk.add_customer_message(t.number, "here it is")
    resolution = (
        store.read()
        .execute("SELECT resolution_due_at FROM ticket WHERE number = ?", (t.number,))
        .fetchone()[0]
    )
    # 16 h target + 8 h paused from Monday 09:00 -> Wednesday 17:00 Berlin.
    assert resolution.startswith("2026-11-25 16:00")


def test_query_sla_and_due_and_sort(desk: Service, store: Store, clock: Clock) -> None:
    late = desk.create_ticket("late", "b", "a@x.test", priority="urgent")  # due 10:00
    soon = desk.create_ticket("soon", "b", "b@x.test")  # due 13:00
    low = desk.create_ticket("low", "b", "c@x.test", priority="low")  # resolution target only
    clock.now += timedelta(hours=2, minutes=30)
    ctx = QueryContext(now=clock.now)
    got = list_tickets(store, parse_query("sla:breached"), ctx).rows
    assert [r.number for r in got] == [late.number]
    got = list_tickets(store, parse_query("due<3h sort:due"), ctx).rows
    assert [r.number for r in got] == [late.number, soon.number]
    got = list_tickets(store, parse_query("sla:ok"), ctx).rows
    assert sorted(r.number for r in got) == [soon.number, low.number]
    assert list_tickets(store, parse_query("sla:none"), ctx).rows == ()
    first = list_tickets(store, parse_query("sort:due"), ctx, limit=1)
    rest = list_tickets(store, parse_query("sort:due"), ctx, after=first.next, limit=5)
    assert [r.number for r in first.rows + rest.rows] == [late.number, soon.number, low.number]


def test_sla_show_explains(desk: Service, store: Store, tmp_path: Path) -> None:
    t = desk.create_ticket("a", "b", "a@x.test")
    config = tmp_path / "config.toml"
    config.write_text(
        '[sla.calendar]\ntimezone = "Europe/Berlin"\n'
        '[[sla.policy]]\nname = "Standard"\nfirst_reply = { normal = "4h" }\n'
        'resolution = { default = "16h" }\n'
    )
    result = CliRunner().invoke(
        app,
        ["--db", str(store.path), "sla", "show", str(t.number), "--json"],
        env={"DESKTERM_CONFIG": str(config)},
    )
    assert result.exit_code == 0, result.output
    lines = json.loads(result.stdout)["explanation"]
    assert lines[0].startswith("policy 'Standard'")
    assert "timezone Europe/Berlin" in lines[1]
    assert any(line.startswith("first_reply: target 4h business time") for line in lines)


def test_sla_targets_for_the_ticket_header(desk: Service, clock: Clock) -> None:
    t = desk.create_ticket("a", "b", "a@x.test")
    clock.now += timedelta(hours=3, minutes=30)
    targets = {x.kind: x for x in desk.sla_targets(t.number)}
    first = targets["first_reply"]
    assert (first.policy, first.state) == ("Standard", "warning")  # 3.5 of 4 hours used
    assert first.business_left == timedelta(minutes=30)
    assert targets["resolution"].state == "ok"
