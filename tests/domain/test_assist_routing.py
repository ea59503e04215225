"""Routing counts: which words go with which label, the shares they give a new ticket
and the words that weighed most, exactly from hand-counted examples."""

from __future__ import annotations

import pytest

from deskterm.assist.routing import MIN_TERM, Routing


def learned() -> Routing:
    routing = Routing()
    for _ in range(4):
        routing.add({"refund", "order"}, {"tag": ["refund"], "group": ["Billing"]})
    for _ in range(4):
        routing.add({"password", "order"}, {"tag": ["login", ""], "group": ["Technical"]})
    routing.add({"zebra"}, {"tag": ["refund"], "group": ["Billing"]})
    return routing


def test_counts_are_tickets_per_label_and_per_label_the_tickets_holding_a_term() -> None:
    tags = learned().fields["tag"]
    assert tags.tickets == {"refund": 5, "login": 4}  # an empty value is no label
    assert tags.terms["refund"] == {"refund": 4, "order": 4, "zebra": 1}
    pruned = learned().pruned().fields["tag"]
    assert "zebra" not in pruned.terms["refund"]  # held by fewer than MIN_TERM tickets
    assert MIN_TERM > 1 and pruned.tickets == tags.tickets


def test_a_ticket_gets_shares_for_each_label_and_the_words_that_weighed_most() -> None:
    routing = learned().pruned()
    guesses = routing.guess("tag", {"refund", "order", "unknown"}, {"refund": "refunds"})
    assert [g.value for g in guesses] == ["refund", "login"]
    assert sum(g.confidence for g in guesses) == pytest.approx(1.0)
    assert guesses[0].confidence > 0.6
    # "refund" speaks for refund (shown as written); "order", in every login ticket
    # but not every refund one, speaks a little for login.
    assert guesses[0].words == ("refunds",) and guesses[0].field == "tag"
    assert guesses[1].words == ("order",)
    assert routing.guess("tag", {"unknown"}, {}) == []  # no known word: no guess
    assert routing.guess("nothing", {"refund"}, {}) == []


def test_counts_merge_and_survive_json() -> None:
    one, two = learned(), learned()
    one.merge(two)
    assert one.fields["group"].tickets == {"Billing": 10, "Technical": 8}
    assert Routing.from_json(one.to_json()) == one
