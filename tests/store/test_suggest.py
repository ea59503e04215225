"""Suggested answers: canned replies by what similar tickets used, else a scrubbed draft."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from helpers.store import Desk, events, make_desk, solved_history

from deskterm.config import RuleConfig
from deskterm.errors import ConfigError
from deskterm.rules.model import rules_from_config
from deskterm.store.queries.rule_replay import replay
from deskterm.store.queries.suggest import LEFT_OUT, leave_out, suggest
from deskterm.store.queries.tickets import get_ticket_row
from deskterm.store.service import RuleSet

EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


@pytest.fixture  # a SQLite file, then a PostgreSQL database
def desk(tmp_path: Path, store_location: Path | str) -> Iterator[Desk]:
    d = make_desk(tmp_path, at=store_location)
    d.svc.save_canned("Refund issued", "Hi {{ customer.first_name }}, refunded.", {})
    d.svc.save_canned("Shipping delay", "Hi, the carrier is late.", {})
    solved_history(d.svc)
    yield d
    d.store.close()


def solved_with(desk: Desk, subject: str, body: str, email: str, canned: str | None) -> int:
    number = desk.svc.create_ticket(subject, body, email, "Olivia Jensen").number
    if canned:
        desk.svc.apply_canned(number, canned)
    else:
        desk.svc.add_reply(number, f"Hi Olivia, order 48213 for {email} is refunded.")
    desk.svc.set_status(number, "solved")
    return number


def test_canned_replies_used_on_similar_tickets_are_suggested_with_confidence(
    desk: Desk,
) -> None:
    used = [
        solved_with(desk, "Refund for headphones", "Broken headphones, refund please.",
                    f"c{i}@x.test", "Refund issued")
        for i in range(3)
    ]  # fmt: skip
    odd = solved_with(
        desk, "Refund for headphones", "Headphones refund?", "d@x.test", "Shipping delay"
    )
    asked = desk.svc.create_ticket(
        "Headphones refund", "The headphones broke, I want a refund.", "new@x.test"
    ).number
    found = suggest(desk.store, asked)
    assert [c.name for c in found.canned] == ["Refund issued", "Shipping delay"]
    best = found.canned[0]
    assert set(best.tickets) == set(used) and found.canned[1].tickets == (odd,)
    assert 0.6 < best.confidence < 0.9 and found.canned[1].confidence < best.confidence
    assert found.draft is None  # a canned reply fits: no draft


def test_without_canned_history_the_solving_reply_is_a_draft_without_the_customer(
    desk: Desk,
) -> None:
    source = solved_with(desk, "Refund for headphones", "Broken headphones.", "ol@x.test", None)
    asked = desk.svc.create_ticket("Headphones refund", "Headphones broken", "n@x.test").number
    found = suggest(desk.store, asked)
    assert found.canned == ()
    assert found.draft is not None and found.draft.number == source
    assert found.draft.body == f"Hi {LEFT_OUT}, order {LEFT_OUT} for {LEFT_OUT} is refunded."
    lonely = desk.svc.create_ticket("Xylophone", "Quokka zebra", "z@x.test").number
    nothing = suggest(desk.store, lonely)
    assert (nothing.similar, nothing.canned, nothing.draft) == ((), (), None)


@pytest.mark.parametrize(
    ("body", "name", "email", "expected"),
    [
        ("Hi Ana Lima, card 4242 4242 ok", "Ana Lima", "ana@x.test", "Hi …, card … ok"),
        ("Dear Ana, see ana@x.test", "Ana Lima", "ana@x.test", "Dear …, see …"),
        ("Banana stays; Ana goes", "Ana", "a@x.test", "Banana stays; … goes"),
        ("안녕하세요 오승현님, 주문번호 48213", "오승현", "o@x.kr", "안녕하세요 …님, 주문번호 …"),
    ],
)
def test_leave_out_removes_the_other_customers_details(body, name, email, expected) -> None:
    assert leave_out(body, name, email) == expected


def test_routing_follows_the_similar_tickets_and_skips_what_the_ticket_has(desk: Desk) -> None:
    desk.svc.add_group("Billing")
    desk.svc.add_group("Support")
    backers = []
    for i in range(3):
        n = desk.svc.create_ticket(
            "Refund for headphones", "Broken headphones, refund please.", f"c{i}@x.test",
            tags=["refund", "billing"], group="Billing", priority="high",
        ).number  # fmt: skip
        desk.svc.set_status(n, "solved")
        backers.append(n)
    other = desk.svc.create_ticket(
        "Headphones refund", "Refund, headphones.", "z@x.test", tags=["vip"], group="Support"
    ).number
    desk.svc.set_status(other, "solved")
    asked = desk.svc.create_ticket(
        "Headphones refund", "The headphones broke; refund?", "n@x.test", tags=["billing"]
    ).number
    routing = {(r.field, r.value): r for r in suggest(desk.store, asked).routing}
    assert set(routing) == {("tag", "refund"), ("group", "Billing"), ("priority", "high")}
    refund = routing[("tag", "refund")]
    assert set(refund.tickets) == set(backers) and 0.5 <= refund.confidence < 1.0
    assert refund.label == "+tag refund" and routing[("group", "Billing")].label == "group Billing"


def test_a_rule_applies_confident_suggestions_and_the_simulator_shows_them(desk: Desk) -> None:
    desk.svc.add_group("Billing")
    for i in range(3):
        n = desk.svc.create_ticket(
            "Refund for headphones", "Broken headphones, refund please.", f"c{i}@x.test",
            tags=["refund"], group="Billing",
        ).number  # fmt: skip
        desk.svc.set_status(n, "solved")
    rule = RuleConfig(name="route", trigger="ticket_created", apply_suggestion=0.6)
    rules = RuleSet(rules_from_config([rule]))
    asked = desk.svc.with_rules(rules).create_ticket(
        "Headphones refund", "The headphones broke; refund?", "n@x.test"
    )
    row = get_ticket_row(desk.store, asked.number)
    assert (row.tags, row.group) == (("refund",), "Billing")
    assert ("tag_added", None, "refund") in events(desk, asked.number)
    history = [r for r in replay(desk.store, rules, EPOCH) if r.number == asked.number]
    assert [r.changes for r in history] == [
        ("apply suggestion +tag refund (100%)", "apply suggestion group Billing (100%)")
    ]
    early = [r for r in replay(desk.store, rules, EPOCH) if r.number == 1]
    assert early == []  # the first ticket had no history to follow: nothing to apply
    with pytest.raises(ConfigError, match=r"rules\[0\]\.apply_suggestion"):
        rules_from_config([RuleConfig(name="x", trigger="time", query="a", apply_suggestion=2)])
