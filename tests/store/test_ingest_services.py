"""Mail taken in runs what the service layer runs: rules, SLA due times, acknowledgements."""

from __future__ import annotations

from helpers.clock import Clock
from helpers.outbox import SUPPORT, settings_for
from helpers.smtp import SmtpServer

from deskterm.config import PolicyConfig, RuleConfig, SlaConfig
from deskterm.rules.model import rules_from_config
from deskterm.sla.settings import calendars_from_config, settings_from_config
from deskterm.store.queries import outbox as outbox_queries
from deskterm.store.queries.tickets import get_ticket_row, list_events
from deskterm.store.schema.db import Store
from deskterm.store.service import RuleSet
from deskterm.store.service.ingest import MailIngest, Outcome, parse_incoming


def mail(n: int, *, auto: bool = False) -> bytes:
    extra = "Auto-Submitted: auto-replied\r\n" if auto else ""
    return (
        f"From: Ana Ruiz <ana{n}@customer.test>\r\nTo: {SUPPORT}\r\n"
        f"Subject: Refund for order {n}\r\nMessage-ID: <m{n}@customer.test>\r\n"
        f"Date: Mon, 02 Mar 2026 09:00:00 +0000\r\n{extra}\r\nPlease refund order {n}.\r\n"
    ).encode()


def test_ingest_runs_rules_sla_and_acknowledgement(
    store: Store, clock: Clock, smtp_server: SmtpServer
) -> None:
    sla = SlaConfig(
        policy=[PolicyConfig(name="std", calendar="24x7", first_reply={"default": "4h"})]
    )
    rules = [
        RuleConfig(name="refunds", trigger="ticket_created", query="refund", add_tags=["billing"])
    ]
    ingest = (
        MailIngest(store, clock=clock, sla=settings_from_config(sla))
        .with_rules(RuleSet(rules_from_config(rules), calendars_from_config(sla)))
        .with_mail(settings_for(smtp_server))
    )
    items = [
        parse_incoming(raw, f"test {i}", mailbox=SUPPORT)
        for i, raw in enumerate((mail(1), mail(2, auto=True)))
    ]
    results = ingest.ingest(items)
    assert [r.outcome for r in results] == [Outcome.NEW, Outcome.NEW]
    person, robot = (r.ticket_number for r in results)
    assert person is not None and robot is not None
    row = get_ticket_row(store, person)
    assert row.tags == ("billing",) and row.sla_policy == "std"
    assert any(e.actor == "rule:refunds" for e in list_events(store, person))
    queued = [o for o in outbox_queries.list_outbox(store) if o.kind == "auto_ack"]
    assert [o.ticket_number for o in queued] == [person]  # none for the auto-replied mail
