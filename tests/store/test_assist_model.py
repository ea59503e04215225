"""Assist's trained model: counted exactly from solved history, stored beside the store,
versioned; priority suggestions weigh it (tone and tags) with the urgent words and the
tags that raised it as the reason; too little
history says so in one line."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from helpers.store import Desk, make_desk, solved_history

from deskterm.assist.model import (
    MIN_HISTORY,
    MODEL_VERSION,
    TAG_FROM,
    TERMS_FROM,
    model_path,
    write_model,
)
from deskterm.store.assist_model import model_due, model_for, train
from deskterm.store.queries.similar import list_similar
from deskterm.store.queries.suggest import suggest, suggested_routing

URGENT = "Our shop is down, please help asap."
UPSET = "This is unacceptable, I am furious."
CALM = "Could you send the invoice again?"


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[Desk]:
    d = make_desk(tmp_path)
    yield d
    d.store.close()


def solved(desk: Desk, body: str, priority: str, n: int = 1, subject: str = "Shop") -> None:
    for i in range(n):
        number = desk.svc.create_ticket(
            subject, body, f"{priority}{i}@x.test", priority=priority
        ).number
        desk.svc.set_status(number, "solved")


def test_with_too_little_history_one_line_says_why_and_nothing_is_suggested(desk: Desk) -> None:
    solved(desk, CALM, "normal", MIN_HISTORY - 1, subject="Invoice copy")
    asked = desk.svc.create_ticket("Invoice copy", CALM, "n@x.test").number
    found = suggest(desk.store, asked)
    assert found.too_little_history == (
        f"too little history to suggest: {MIN_HISTORY - 1} solved tickets"
        f" (suggestions start at {MIN_HISTORY})"
    )
    assert (found.similar, found.canned, found.draft, found.routing) == ((), (), None, ())
    assert found.to_json()["too_little_history"] == found.too_little_history
    solved(desk, CALM, "normal", subject="Invoice copy")  # the twentieth... enough now
    enough = suggest(desk.store, asked)
    assert enough.too_little_history is None and enough.similar


def test_training_counts_priority_by_tone_exactly_and_writes_a_versioned_file(
    desk: Desk,
) -> None:
    solved(desk, URGENT, "urgent", 4)
    solved(desk, URGENT, "high", 1)
    solved(desk, UPSET, "normal", 2)
    solved(desk, CALM, "normal", 3)
    solved(desk, CALM, "low", 1)
    desk.svc.create_ticket("Open", URGENT, "open@x.test", priority="low")  # not solved: not counted
    assert model_for(desk.path) is None and model_due(desk.store)
    model = train(desk.store)
    # Urgent wins over upset; an open ticket teaches nothing.
    assert model.priority_by_tone == {
        "urgent": {"urgent": 4, "high": 1},
        "upset": {"normal": 2},
        "calm": {"normal": 3, "low": 1},
    }
    assert model.solved == 11 and model.version == MODEL_VERSION
    assert model.summary()[1] == "urgent mail (5 tickets): priority urgent 80%, high 20%"
    path = model_path(desk.path)
    assert path == desk.path.with_name("desk.assist.json") and path.exists()
    assert model_for(desk.path) == model and not model_due(desk.store)
    stale = json.loads(path.read_text()) | {"version": MODEL_VERSION + 1}
    path.write_text(json.dumps(stale))
    assert model_for(desk.path) is None  # another version: not used, trained again
    path.write_text("{not json")
    assert model_for(desk.path) is None


def test_a_tag_the_team_gives_higher_priority_raises_the_suggestion_and_is_named(
    desk: Desk,
) -> None:
    solved(desk, CALM, "normal", 30, subject="Invoice copy")
    for i in range(TAG_FROM + 5):
        n = desk.svc.create_ticket(
            "Invoice copy", CALM, f"vip{i}@x.test", tags=["vip"], priority="high"
        ).number
        desk.svc.set_status(n, "solved")
    model = train(desk.store)
    assert model.priority_by_tag == {"vip": {"high": 25}}
    # P(high | calm) 25/55 times P(vip | high) / P(vip) = (25.5 / 26) / (25 / 55).
    assert model.priority_shares("calm", {"vip"})["high"] == pytest.approx(0.9806, abs=1e-4)
    assert model.priority_shares("calm") == pytest.approx({"normal": 30 / 55, "high": 25 / 55})
    assert "vip tickets (25): priority high 2.2x as likely" in model.summary()
    vip = desk.svc.create_ticket("Invoice copy", CALM, "new@x.test", tags=["vip"]).number
    routing = {(r.field, r.value): r for r in suggest(desk.store, vip).routing}
    assert routing["priority", "high"].words == ("vip",)
    plain = desk.svc.create_ticket("Invoice copy", CALM, "plain@x.test").number
    assert ("priority", "high") not in {
        (r.field, r.value) for r in suggest(desk.store, plain).routing
    }


def test_training_before_a_ticket_learns_only_from_older_ones(desk: Desk) -> None:
    solved(desk, URGENT, "urgent", 2)
    cut = desk.svc.create_ticket("Later", URGENT, "later@x.test", priority="low").number
    desk.svc.set_status(cut, "solved")
    model = train(desk.store, before=cut, write=False)
    assert model.priority_by_tone == {"urgent": {"urgent": 2}}
    assert not model_path(desk.path).exists()


def test_urgent_mail_gets_the_priority_the_team_gives_urgent_mail_with_the_words(
    desk: Desk,
) -> None:
    solved_history(desk.svc)  # calm, normal
    solved(desk, URGENT, "urgent", 6, subject="Checkout broken")
    asked = desk.svc.create_ticket(
        "Printer question", "The printer jammed, we need it fixed urgently!", "p@x.test"
    )
    no_model = {(r.field, r.value) for r in suggest(desk.store, asked.number).routing}
    assert ("priority", "urgent") not in no_model  # no similar ticket, no model: no priority
    train(desk.store)
    routing = {(r.field, r.value): r for r in suggest(desk.store, asked.number).routing}
    urgent = routing["priority", "urgent"]
    # The model's share, not averaged with the neighbours' vote: all 6 urgent-worded
    # solved tickets were urgent.
    assert urgent.confidence == pytest.approx(1.0)
    assert urgent.words == ("urgently",) and urgent.tickets == ()
    assert urgent.to_json()["words"] == ["urgently"]
    # The rules read it on the writer's connection too, with the tone they are given.
    calm = suggested_routing(desk.store.read(), asked.number, 0.5, tone=("", ""))
    assert ("priority", "urgent") not in {(r.field, r.value) for r in calm}


def test_training_keeps_how_many_messages_hold_each_common_term(desk: Desk) -> None:
    solved(desk, "My voucher code fails at checkout.", "normal", TERMS_FROM + 5, "Voucher")
    solved(desk, "A zebra ate the parcel.", "normal", 2, "Zebra")
    model = train(desk.store)
    conn = desk.store.read()
    holding = conn.execute("SELECT count(*) FROM message WHERE body_text LIKE '%voucher%'")
    assert model.term_messages["voucher"] == holding.fetchone()[0] == TERMS_FROM + 5
    # Terms as the search index holds them (porter stems), zebra too rare to keep: it is
    # counted per query.
    assert sorted(model.term_messages) == ["at", "checkout", "code", "fail", "my", "voucher"]
    assert model.messages == conn.execute("SELECT max(id) FROM message").fetchone()[0]
    assert model.summary()[1] == f"term weights: 6 terms in {model.messages} messages"
    assert model_for(desk.path) == model  # kept in the file, read back whole


def test_similar_tickets_weigh_terms_by_the_models_counts(desk: Desk) -> None:
    solved_history(desk.svc)
    solved(desk, "The gift card is empty.", "normal", TERMS_FROM, "Gift")
    rare = desk.svc.create_ticket("Coupon", "Where is my refund voucher?", "v@x.test").number
    desk.svc.set_status(rare, "solved")
    asked = desk.svc.create_ticket("Help", "My voucher and my gift card", "a@x.test").number
    # Counted: "voucher" is in 2 messages, "gift" in 21: the voucher ticket comes first.
    assert list_similar(desk.store, asked, 1)[0].number == rare
    model = train(desk.store)
    # A model that has seen "voucher" in every message weighs it as a common word.
    claimed = replace(model, term_messages={"voucher": model.messages})
    write_model(model_path(desk.path), claimed)
    assert list_similar(desk.store, asked, 1)[0].number != rare


def routed(desk: Desk, subject: str, body: str, tag: str, group: str, canned: str, n: int) -> None:
    for i in range(n):
        number = desk.svc.create_ticket(subject, f"{body} ({i})", f"{tag}{i}@x.test").number
        desk.svc.add_tags(number, [tag])
        desk.svc.set_group(number, group)
        desk.svc.apply_canned(number, canned)
        desk.svc.set_status(number, "solved")


def test_training_learns_which_words_go_with_tags_groups_and_canned_replies(desk: Desk) -> None:
    desk.svc.save_canned("Refund issued", "Refunded.", {})
    desk.svc.save_canned("Reset link", "Here is a link.", {})
    desk.svc.add_group("Billing")
    desk.svc.add_group("Technical")
    routed(desk, "Money back", "Please refund my order", "refund", "Billing", "Refund issued", 6)
    routed(desk, "Cannot sign in", "My password stopped working", "login", "Technical",
           "Reset link", 5)  # fmt: skip
    model = train(desk.store)
    tags = model.routing.fields["tag"]
    assert tags.tickets == {"refund": 6, "login": 5}
    assert tags.terms["refund"]["refund"] == 6 and "refund" not in tags.terms["login"]
    assert model.routing.fields["group"].tickets == {"Billing": 6, "Technical": 5}
    assert model.routing.fields["canned"].tickets == {"Refund issued": 6, "Reset link": 5}
    assert "tag: 2 learned (most: refund 6, login 5)" in model.summary()
    assert model_for(desk.path) == model  # routing survives the file
    # Neither subject nor much wording shared with the history: the words decide.
    asked = desk.svc.create_ticket("Question", "Could I get a refund?", "q@x.test").number
    found = suggest(desk.store, asked)
    assert found.canned[0].name == "Refund issued" and found.canned[0].words == ("refund",)
    routing = {(r.field, r.value): r for r in found.routing}
    assert routing["tag", "refund"].words == ("refund",)
    assert routing["group", "Billing"].confidence > 0.5
    assert ("tag", "login") not in routing
