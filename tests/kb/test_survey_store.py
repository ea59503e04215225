"""The satisfaction survey in the store: signed tokens, every answer kept with the latest
on the ticket, `csat:` in queries and rules, and the [survey] config."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from helpers.clock import Clock
from helpers.outbox import mail_service, parsed, settings_for, ticket_from_mail
from helpers.smtp import SmtpServer

from deskterm.channels.sender import Sender
from deskterm.config import RuleConfig, parse_config
from deskterm.errors import ConfigError, UsageError
from deskterm.kb.survey import RATINGS, LinkProblem, Rating, parse_answer, sign, verify
from deskterm.query.syntax import CSAT_VALUES, parse_query
from deskterm.rules.model import rules_from_config
from deskterm.store.queries.surveys import (
    customer_ratings,
    survey_history,
    survey_secret,
    ticket_survey,
)
from deskterm.store.queries.tickets import get_ticket_row, list_events, list_tickets
from deskterm.store.schema.db import Store
from deskterm.store.service import Actor, RuleSet, Service
from deskterm.store.service.delivery import DEFAULT_SOLVED_TEMPLATE, MailSettings


def test_tokens_name_a_ticket_and_refuse_tampering_other_keys_and_age(clock: Clock) -> None:
    now = clock()
    token = sign("key-one", 42, now)
    assert verify("key-one", token, 30, now + timedelta(days=29)) == 42
    with pytest.raises(LinkProblem) as old:
        verify("key-one", token, 30, now + timedelta(days=31))
    assert old.value.expired
    _payload, stamp, mac = token.split(".")
    other = sign("key-one", 43, now).split(".")[0]
    for bad in (f"{other}.{stamp}.{mac}", token[:-2], "", "x.y.z", token.upper()):
        with pytest.raises(LinkProblem) as problem:
            verify("key-one", bad, 30, now)
        assert not problem.value.expired
    with pytest.raises(LinkProblem):
        verify("key-two", token, 30, now)


def test_answers_are_checked() -> None:
    assert parse_answer("Not-good", "7", "  fine ") == parse_answer("not_good", 7, "fine")
    for rating, effort, comment in (("meh", "", ""), ("great", "8", ""), ("great", "0", "")):
        with pytest.raises(UsageError):
            parse_answer(rating, effort, comment)
    with pytest.raises(UsageError):
        parse_answer("great", "", "x" * 2001)
    assert set(RATINGS) | {"none", "any"} == set(CSAT_VALUES)


def test_every_answer_is_kept_and_the_latest_is_the_tickets(store: Store, clock: Clock) -> None:
    desk = Service(store, Actor.system(), clock)
    first = desk.create_ticket("Refund", "Where is it?", "ana@customer.test")
    other = desk.create_ticket("Login", "Locked out", "ana@customer.test")
    assert ticket_survey(store, get_ticket_row(store, first.number).id) is None
    customer = Service(store, Actor(None, "customer (survey)"), clock)
    assert customer.answer_survey(first.number, parse_answer("okay"), rating_only=True)
    clock.advance(minutes=1)
    assert customer.answer_survey(first.number, parse_answer("great", "6", "Quick, thanks"))
    clock.advance(minutes=1)
    # The mail's link again: the rating changes, what was written stays.
    assert customer.answer_survey(first.number, parse_answer("not_good"), rating_only=True)
    assert not customer.answer_survey(first.number, parse_answer("not_good"), rating_only=True)
    customer.answer_survey(other.number, parse_answer("great"))
    history = survey_history(store, first.number)
    assert [(a.rating, a.effort, a.comment) for a in history] == [
        ("okay", None, ""),
        ("great", 6, "Quick, thanks"),
        ("not_good", 6, "Quick, thanks"),
    ]
    now = ticket_survey(store, get_ticket_row(store, first.number).id)
    assert now is not None and now.answers == 3
    assert (now.latest.rating, now.latest.effort) == ("not_good", 6)
    assert now.latest.answered_at == history[-1].answered_at
    events = [(e.kind, e.old, e.new) for e in list_events(store, first.number)]
    assert events[-3:] == [
        ("survey", None, "okay"),
        ("survey", "okay", "great"),
        ("survey", "great", "not_good"),
    ]
    ticket_id = get_ticket_row(store, first.number).id
    row = store.read().execute("SELECT customer_id FROM ticket WHERE id = ?", (ticket_id,))
    assert customer_ratings(store, row.fetchone()[0]) == {"great": 1, "not_good": 1}


def listed(store: Store, text: str) -> set[int]:
    return {r.number for r in list_tickets(store, parse_query(text), limit=100).rows}


def test_csat_in_queries_and_rules(store: Store, clock: Clock) -> None:
    assert str(parse_query("csat:Not-good,none")) == "csat:not_good,none"
    assert "choose from great, okay, not_good, none, any" in _error("csat:bad")
    rules = rules_from_config(
        [
            RuleConfig(
                name="unhappy",
                trigger="field_changed",
                field="csat",
                to="not_good",
                query="csat:not_good",
                add_tags=["unhappy"],
                set_priority="high",
            )
        ]
    )
    desk = Service(store, Actor.system(), clock).with_rules(RuleSet(rules))
    happy, sad, silent = (
        desk.create_ticket(subject, "text", f"{subject}@customer.test").number
        for subject in ("happy", "sad", "silent")
    )
    desk.answer_survey(happy, parse_answer("great"))
    desk.answer_survey(sad, parse_answer("not_good"))
    assert listed(store, "csat:great") == {happy}
    assert listed(store, "csat:not_good,okay") == {sad}
    assert listed(store, "csat:any") == {happy, sad}
    assert listed(store, "csat:none") == {silent}
    assert listed(store, "csat:none,any") == {happy, sad, silent}
    assert listed(store, "csat:great status:new") == {happy}
    row = get_ticket_row(store, sad)
    assert row.tags == ("unhappy",) and row.priority == "high"
    assert get_ticket_row(store, happy).tags == ()
    desk.answer_survey(sad, parse_answer("not_good", "2", "still broken"))  # same rating
    assert [e.kind for e in list_events(store, sad)].count("priority") == 1


def _error(text: str) -> str:
    with pytest.raises(Exception) as caught:
        parse_query(text)
    return str(caught.value)


def test_survey_config_and_where_links_point(tmp_path: Path) -> None:
    def config(text: str) -> str:
        return parse_config(text.encode(), tmp_path / "c.toml").survey_url

    assert config("") == ""  # solo, no server: no links
    assert config('[kb]\npublic_url = "https://help.test"') == "https://help.test"
    both = '[kb]\npublic_url = "https://help.test"\n[survey]\npublic_url = "https://s.test"'
    assert config(both) == "https://s.test"
    assert config('[kb]\npublic_url = "https://h.test"\n[survey]\nenabled = false') == ""
    for bad in ('public_url = "ftp://x"', "max_age_days = 0", "colour = 1"):
        with pytest.raises(ConfigError):
            config(f"[survey]\n{bad}")
    loaded = parse_config(b'[kb]\npublic_url = "https://help.test"', tmp_path / "c.toml")
    assert MailSettings.from_config(loaded).survey_url == "https://help.test"


def test_solved_notice_carries_signed_links_only_with_an_address(
    store: Store, clock: Clock, smtp_server: SmtpServer
) -> None:
    assert "survey.great" in DEFAULT_SOLVED_TEMPLATE
    plain = mail_service(store, clock, settings_for(smtp_server))
    first = ticket_from_mail(plain)
    plain.set_status(first, "solved")
    assert survey_secret(store) is None  # no address, no links, no key
    linked = mail_service(store, clock, settings_for(smtp_server, survey_url="https://h.test/"))
    second = ticket_from_mail(linked, message_id="second@customer.test", subject="Second")
    linked.set_status(second, "solved")
    clock.advance(seconds=11)
    sender = Sender(store, settings_for(smtp_server), clock=clock)
    try:
        assert sender.run_once().sent == 2
    finally:
        sender.release()
    bodies = {
        parsed(m.content)["Subject"]: parsed(m.content).get_content().replace("\r\n", "\n")
        for m in smtp_server.messages
    }
    assert "How did we do" not in bodies[f"Re: Printer on fire [#{first}]"]
    body = bodies[f"Re: Second [#{second}]"]
    secret = survey_secret(store)
    assert secret is not None
    links = [line.split()[-1] for line in body.splitlines() if "https://h.test/survey/" in line]
    assert [link.rsplit("/", 1)[1] for link in links] == [r.value for r in Rating]
    token = links[0].split("/")[-2]
    assert verify(secret, token, 30, clock()) == second
