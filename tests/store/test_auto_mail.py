"""Automatic mail: acknowledgements, solved notices, and the loop protections."""

from __future__ import annotations

import pytest
from helpers.clock import Clock
from helpers.outbox import SUPPORT, mail_service, parsed, settings_for, ticket_from_mail
from helpers.smtp import SmtpServer

from deskterm.channels.sender import Sender
from deskterm.store.queries import outbox as outbox_queries
from deskterm.store.queries import tickets as queries
from deskterm.store.schema.db import Store


def _deliver(store: Store, clock: Clock, server: SmtpServer, **overrides: object) -> int:
    sender = Sender(store, settings_for(server, **overrides), clock=clock)
    try:
        return sender.run_once().sent
    finally:
        sender.release()


def test_acknowledgement_is_sent_marked_auto_replied(
    store: Store, clock: Clock, smtp_server: SmtpServer
) -> None:
    service = mail_service(store, clock, settings_for(smtp_server))
    number = ticket_from_mail(service)
    result = service.queue_acknowledgement(number)
    assert result.outbox_id is not None and result.skipped is None
    assert _deliver(store, clock, smtp_server) == 1  # no undo window for an acknowledgement
    mail = parsed(smtp_server.messages[0].content)
    assert mail["Auto-Submitted"] == "auto-replied"
    assert mail["X-Auto-Response-Suppress"] == "All"
    assert mail["In-Reply-To"] == "<first@customer.test>"
    assert mail["Subject"] == f"Re: Printer on fire [#{number}]"
    assert str(mail["From"]) == f"Example Support <{SUPPORT}>"
    body = mail.get_content().replace("\r\n", "\n")
    assert body.startswith("Hello Ana,\n")
    assert f"opened ticket #{number}" in body
    assert "aim to reply" not in body  # no SLA target yet: the placeholder stays empty
    detail = queries.get_ticket(store, number)
    assert detail.ticket.first_response_at is None  # an acknowledgement is no response
    assert detail.messages[-1].kind == "reply"


@pytest.mark.parametrize("auto_kind", ["auto_reply", "list", "bulk", "bounce", "delay"])
def test_no_acknowledgement_to_automatic_mail(
    store: Store, clock: Clock, smtp_server: SmtpServer, auto_kind: str
) -> None:
    service = mail_service(store, clock, settings_for(smtp_server))
    number = ticket_from_mail(service, auto_kind=auto_kind)
    result = service.queue_acknowledgement(number)
    assert result.outbox_id is None
    assert result.skipped == f"the customer's mail is automatic ({auto_kind})"
    service.set_status(number, "solved")  # no solved notice either
    assert outbox_queries.list_outbox(store) == []


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        (SUPPORT, "the address is one of our mailboxes"),
        ("MAILER-DAEMON@relay.test", "the address belongs to a machine"),
        ("list-request@lists.test", "the address belongs to a machine"),
    ],
)
def test_no_acknowledgement_to_own_or_machine_addresses(
    store: Store, clock: Clock, smtp_server: SmtpServer, address: str, reason: str
) -> None:
    service = mail_service(store, clock, settings_for(smtp_server))
    number = ticket_from_mail(service, customer=address)
    assert service.queue_acknowledgement(number).skipped == reason
    assert outbox_queries.list_outbox(store) == []


def test_no_acknowledgement_to_a_bounced_address(
    store: Store, clock: Clock, smtp_server: SmtpServer
) -> None:
    service = mail_service(store, clock, settings_for(smtp_server))
    number = ticket_from_mail(service)
    store.read().execute("UPDATE customer SET bounced_at = '2026-03-01 00:00:00.000000'")
    assert service.queue_acknowledgement(number).skipped == "the address bounced"


def test_daily_cap_per_address(store: Store, clock: Clock, smtp_server: SmtpServer) -> None:
    service = mail_service(store, clock, settings_for(smtp_server, auto_daily_cap=3))
    results = []
    for i in range(5):
        number = ticket_from_mail(service, message_id=f"m{i}@customer.test")
        results.append(service.queue_acknowledgement(number))
        clock.advance(minutes=10)
    assert [r.outbox_id is not None for r in results] == [True] * 3 + [False] * 2
    assert results[-1].skipped == "daily cap of 3 automatic mails reached"
    other = ticket_from_mail(service, customer="bo@customer.test", message_id="bo@customer.test")
    assert service.queue_acknowledgement(other).outbox_id is not None  # per address
    clock.advance(hours=24)
    number = ticket_from_mail(service, message_id="late@customer.test")
    assert service.queue_acknowledgement(number).outbox_id is not None  # a day later
    assert _deliver(store, clock, smtp_server) == 5


def test_solved_notice_and_its_undo(store: Store, clock: Clock, smtp_server: SmtpServer) -> None:
    service = mail_service(store, clock, settings_for(smtp_server))
    number = ticket_from_mail(service)
    service.set_status(number, "solved")
    (row,) = outbox_queries.list_outbox(store)
    assert (row.kind, row.state) == ("solved_notice", "waiting")
    clock.advance(seconds=5)
    service.set_status(number, "open")  # reopened inside the undo window: no notice
    assert outbox_queries.list_outbox(store) == []
    service.set_status(number, "solved")
    clock.advance(seconds=11)
    assert _deliver(store, clock, smtp_server) == 1
    mail = parsed(smtp_server.messages[0].content)
    assert mail["Auto-Submitted"] == "auto-replied"
    assert "as solved" in mail.get_content()


def test_reply_that_solves_sends_no_extra_notice(
    store: Store, clock: Clock, smtp_server: SmtpServer
) -> None:
    service = mail_service(store, clock, settings_for(smtp_server))
    number = ticket_from_mail(service)
    service.add_reply(number, "Fixed, closing this.", status="solved")
    assert [r.kind for r in outbox_queries.list_outbox(store)] == ["reply"]


def test_switches_and_custom_template(store: Store, clock: Clock, smtp_server: SmtpServer) -> None:
    off = mail_service(store, clock, settings_for(smtp_server, auto_ack=False, solved_notice=False))
    number = ticket_from_mail(off)
    assert off.queue_acknowledgement(number).skipped == "acknowledgements are off"
    off.set_status(number, "solved")
    assert outbox_queries.list_outbox(store) == []
    template = (
        "Ticket {{ ticket.number }}"
        "{% if sla.first_response %}, {{ sla.first_response }}{% endif %}."
    )
    custom = mail_service(store, clock, settings_for(smtp_server, auto_ack_template=template))
    number = ticket_from_mail(custom, message_id="x@customer.test")
    custom.queue_acknowledgement(number)
    assert _deliver(store, clock, smtp_server) == 1
    assert parsed(smtp_server.messages[0].content).get_content().strip() == f"Ticket {number}."


def test_acknowledgement_states_the_sla_due_time(
    store: Store, clock: Clock, smtp_server: SmtpServer
) -> None:
    from deskterm.config import PolicyConfig, SlaConfig
    from deskterm.sla.settings import settings_from_config

    service = mail_service(store, clock, settings_for(smtp_server))
    service.sla = settings_from_config(
        SlaConfig(policy=[PolicyConfig(name="std", calendar="24x7", first_reply={"default": "4h"})])
    )
    number = ticket_from_mail(service)
    service.queue_acknowledgement(number)
    _deliver(store, clock, smtp_server)
    body = parsed(smtp_server.messages[0].content).get_content()
    due = (clock.now + __import__("datetime").timedelta(hours=4)).astimezone()
    assert f"We aim to reply by {due:%A %d %B, %H:%M}" in body


@pytest.mark.parametrize(("auto_kind", "sent"), [(None, 1), ("auto_reply", 0), ("list", 0)])
def test_rule_auto_mail_goes_through_the_loop_safe_path(
    store: Store, clock: Clock, smtp_server: SmtpServer, auto_kind: str | None, sent: int
) -> None:
    from deskterm.config import RuleConfig, SlaConfig
    from deskterm.rules.model import rules_from_config
    from deskterm.sla.settings import calendars_from_config
    from deskterm.store.service import RuleSet

    service = mail_service(store, clock, settings_for(smtp_server))
    service.save_canned("got-it", "Hi {{ customer.first_name }}, a human will answer soon.")
    rule = RuleConfig(name="tell", trigger="customer_replied", auto_mail="got-it")
    service.with_rules(RuleSet(rules_from_config([rule]), calendars_from_config(SlaConfig())))
    number = ticket_from_mail(service)
    service.add_customer_message(
        number, "anyone?", message_fields={"auto_kind": auto_kind, "mailbox": SUPPORT}
    )
    clock.advance(seconds=11)  # past the undo window
    assert _deliver(store, clock, smtp_server) == sent
    if sent:
        mail = parsed(smtp_server.messages[0].content)
        assert mail["Auto-Submitted"] == "auto-replied"
        assert mail.get_content().startswith("Hi Ana, a human will answer soon.")
    events = [e for e in queries.list_events(store, number) if e.actor == "rule:tell"]
    assert not events or sent  # a skipped auto mail changes nothing on the ticket
