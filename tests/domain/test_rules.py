"""Automation rules: triggers, conditions, actions, the ledger and the replay."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from deskterm.cli import app
from deskterm.config import CalendarConfig, RuleConfig, SlaConfig
from deskterm.kb.survey import parse_answer
from deskterm.query.syntax import parse_query
from deskterm.rules.match import matches
from deskterm.rules.model import rules_from_config
from deskterm.sla.settings import calendars_from_config
from deskterm.store.queries.rule_replay import replay
from deskterm.store.queries.tickets import get_ticket_row, list_events, list_tickets
from deskterm.store.schema.db import Store
from deskterm.store.search.filters import QueryContext
from deskterm.store.service import Actor, RuleSet, Service


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)  # a Monday

    def __call__(self) -> datetime:
        return self.now


def ruleset(*rules: RuleConfig, sla: SlaConfig | None = None) -> RuleSet:
    return RuleSet(rules_from_config(list(rules)), calendars_from_config(sla or SlaConfig()))


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def base(store: Store, clock: Clock) -> Service:
    system = Service(store, Actor.system(), clock)
    for name in ("Ann", "Bob", "Cid"):
        system.ensure_agent(name, f"{name.lower()}@desk.test")
    system.add_group("billing", ["ann@desk.test", "bob@desk.test", "cid@desk.test"])
    system.add_group("vip")
    system.save_canned("ack", "Hi {{ customer.first_name | default('there') }}", {})
    return system


def desk(store: Store, clock: Clock, *rules: RuleConfig) -> Service:
    return Service(store, Actor.system(), clock).with_rules(ruleset(*rules))


def test_ticket_created_rule_with_query_and_sender_domain(base, store, clock) -> None:
    s = desk(
        store,
        clock,
        RuleConfig(
            name="billing",
            trigger="ticket_created",
            query="refund",
            sender_domains=["acme.com"],
            set_group="billing",
            add_tags=["billing"],
            set_priority="high",
        ),
    )
    hit = s.create_ticket("Refund please", "order 5", "ana@acme.com")
    miss = s.create_ticket("Refund please", "order 5", "bo@other.com")
    row = get_ticket_row(store, hit.number)
    assert (row.group, row.tags, row.priority) == ("billing", ("billing",), "high")
    assert get_ticket_row(store, miss.number).group is None
    actors = {e.actor for e in list_events(store, hit.number) if e.kind != "created"}
    assert actors == {"rule:billing"}  # the audit trail says which rule did it


def test_customer_and_agent_replied_triggers(base, store, clock) -> None:
    s = desk(
        store,
        clock,
        RuleConfig(name="waiting", trigger="customer_replied", add_tags=["waiting"]),
        RuleConfig(name="answered", trigger="agent_replied", remove_tags=["waiting"]),
    )
    t = s.create_ticket("x", "y", "a@b.test")
    s.add_customer_message(t.number, "again")
    assert get_ticket_row(store, t.number).tags == ("waiting",)
    s.add_reply(t.number, "done")
    assert get_ticket_row(store, t.number).tags == ()


def test_field_changed_with_target_value_and_chain(base, store, clock) -> None:
    s = desk(
        store,
        clock,
        RuleConfig(
            name="urgent-to-vip",
            trigger="field_changed",
            field="priority",
            to="urgent",
            set_group="vip",
        ),
        RuleConfig(
            name="vip-note",
            trigger="field_changed",
            field="group",
            to="vip",
            note="VIP queue: answer within the hour",
        ),
    )
    t = s.create_ticket("x", "y", "a@b.test")
    s.set_priority(t.number, "high")
    assert get_ticket_row(store, t.number).group is None
    s.set_priority(t.number, "urgent")
    row = get_ticket_row(store, t.number)
    assert row.group == "vip" and row.message_count == 2  # the chained rule added its note


def test_rule_loops_are_bounded(base, store, clock) -> None:
    s = desk(
        store,
        clock,
        RuleConfig(
            name="ping", trigger="field_changed", field="priority", to="high", set_priority="low"
        ),
        RuleConfig(
            name="pong", trigger="field_changed", field="priority", to="low", set_priority="high"
        ),
    )
    t = s.create_ticket("x", "y", "a@b.test")
    s.set_priority(t.number, "high")  # must terminate
    changes = [e for e in list_events(store, t.number) if e.kind == "priority"]
    assert 2 <= len(changes) <= 12


def test_round_robin_is_fair_and_skips_away(base, store, clock) -> None:
    s = desk(
        store, clock, RuleConfig(name="rr", trigger="ticket_created", assign="round_robin:billing")
    )
    got = [
        get_ticket_row(store, s.create_ticket("x", "y", f"c{i}@b.test").number).assignee
        for i in range(6)
    ]
    assert got == ["Ann", "Bob", "Cid", "Ann", "Bob", "Cid"]
    base.set_away("bob@desk.test", True)
    got = [
        get_ticket_row(store, s.create_ticket("x", "y", f"d{i}@b.test").number).assignee
        for i in range(4)
    ]
    assert "Bob" not in got and sorted(str(g) for g in got) == ["Ann", "Ann", "Cid", "Cid"]


def test_least_loaded(base, store, clock) -> None:
    for _ in range(2):
        base.create_ticket("x", "y", "p@b.test", assignee="ann@desk.test")
    base.create_ticket("x", "y", "p@b.test", assignee="bob@desk.test")
    s = desk(
        store, clock, RuleConfig(name="ll", trigger="ticket_created", assign="least_loaded:billing")
    )
    got = [
        get_ticket_row(store, s.create_ticket("x", "y", f"q{i}@b.test").number).assignee
        for i in range(3)
    ]
    assert got == ["Cid", "Bob", "Cid"]


def test_time_rule_fires_once_per_state(base, store, clock) -> None:
    s = desk(
        store,
        clock,
        RuleConfig(
            name="auto-solve",
            trigger="time",
            query="status:pending updated>5d",
            set_status="solved",
            note="Closed after 5 days without an answer",
        ),
    )
    t = s.create_ticket("x", "y", "a@b.test")
    s.add_reply(t.number, "need info", status="pending")
    clock.now += timedelta(days=4)
    assert s.run_time_rules() == []
    clock.now += timedelta(days=2)
    fired = s.run_time_rules()
    assert [(f.rule, f.number) for f in fired] == [("auto-solve", t.number)]
    assert get_ticket_row(store, t.number).status == "solved"
    assert s.run_time_rules() == []  # never twice


def test_business_hours_condition(base, store, clock) -> None:
    sla = SlaConfig(calendar=CalendarConfig(timezone="UTC"))
    rule = RuleConfig(
        name="after-hours",
        trigger="ticket_created",
        business_hours="closed",
        add_tags=["after-hours"],
    )
    s = Service(store, Actor.system(), clock).with_rules(ruleset(rule, sla=sla))
    day = s.create_ticket("x", "y", "a@b.test")
    clock.now = datetime(2026, 11, 23, 22, 0, tzinfo=UTC)
    night = s.create_ticket("x", "y", "a@b.test")
    assert get_ticket_row(store, day.number).tags == ()
    assert get_ticket_row(store, night.number).tags == ("after-hours",)


def test_bad_rules_are_config_errors() -> None:
    from deskterm.errors import ConfigError

    for cfg, message in (
        (RuleConfig(name="a", trigger="sometimes", add_tags=["x"]), "trigger"),
        (RuleConfig(name="a", trigger="time", add_tags=["x"]), "needs a query"),
        (RuleConfig(name="a", trigger="ticket_created"), "no action"),
        (RuleConfig(name="a", trigger="field_changed", add_tags=["x"]), "field"),
        (
            RuleConfig(name="a", trigger="ticket_created", query="stauts:x", add_tags=["x"]),
            "unknown field",
        ),
    ):
        with pytest.raises(ConfigError, match=message):
            rules_from_config([cfg])


@pytest.mark.parametrize(
    "text",
    [
        "status:new,open",
        "priority:high",
        "tag:billing",
        "tag:billing tag:vip",
        "assignee:none",
        "assignee:ann@desk.test",
        "from:a1@b.test",
        "customer:b.test",
        "created>2026-11-20 updated<2d",
        "group:billing",
        "refund",
        "urgent:yes",
        "mood:upset priority:high",
        "mood:calm urgent:no",
        "csat:great,okay",
        "csat:none",
        "csat:any priority:high",
    ],
)
def test_python_matcher_agrees_with_sql(base, store, clock, text) -> None:
    for i in range(8):
        t = base.create_ticket(
            "Refund" if i % 3 == 0 else "Hello",
            ("body", "Fix it asap.", "This is ridiculous.", "No rush.")[i % 4],
            f"a{i}@b.test",
            priority=("low", "normal", "high", "urgent")[i % 4],
            tags=[("billing", "vip")[i % 2]] + (["vip"] if i % 3 else []),
            assignee="ann@desk.test" if i % 2 else None,
            group="billing" if i % 4 == 1 else None,
        )
        clock.now += timedelta(hours=7)
        if i % 3 == 1:
            base.set_status(t.number, "pending")
        if i % 4:
            base.answer_survey(t.number, parse_answer(("great", "okay", "not_good")[i % 3]))
    query = parse_query(text)
    ctx = QueryContext(now=clock.now)
    by_sql = {r.number for r in list_tickets(store, query, ctx, limit=100).rows}
    s = desk(store, clock)
    with s.unit() as uow:  # a read, through the rules' own snapshot
        session = uow.session
        from sqlmodel import select

        from deskterm.store.schema.models import Ticket

        by_python = {
            t.number
            for t in session.exec(select(Ticket)).all()
            if matches(query, s.snapshot(session, t), clock.now)
        }
    assert by_python == by_sql
    assert by_sql  # each query picks some tickets, so agreement is not vacuous


def test_rules_test_replays_history_without_writing(base, store, clock, tmp_path: Path) -> None:
    t1 = base.create_ticket("Refund now", "money back", "ana@acme.com")
    base.create_ticket("Hello", "hi", "bo@acme.com")
    clock.now += timedelta(hours=1)
    base.set_priority(t1.number, "urgent")
    rules = [
        RuleConfig(name="refunds", trigger="ticket_created", query="refund", add_tags=["billing"]),
        RuleConfig(
            name="urgent", trigger="field_changed", field="priority", to="urgent", set_group="vip"
        ),
    ]
    found = list(replay(store, ruleset(*rules), datetime(2026, 1, 1, tzinfo=UTC)))
    assert [(r.number, r.rule, r.changes) for r in found] == [
        (t1.number, "refunds", ("add tag billing",)),
        (t1.number, "urgent", ("group - -> vip",)),
    ]
    assert get_ticket_row(store, t1.number).tags == ()  # nothing written
    config = tmp_path / "config.toml"
    config.write_text(
        '[[rules]]\nname = "refunds"\ntrigger = "ticket_created"\nquery = "refund"\n'
        'add_tags = ["billing"]\n'
    )
    result = CliRunner().invoke(
        app,
        ["--db", str(store.path), "rules", "test", "--since", "2026-01-01", "--json"],
        env={"DESKTERM_CONFIG": str(config)},
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == [
        {
            "number": t1.number,
            "at": "2026-11-23T10:00:00Z",
            "trigger": "ticket_created",
            "rule": "refunds",
            "changes": ["add tag billing"],
        }
    ]
