"""Shared pieces for the outbox, SMTP and auto-mail tests."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default

from deskterm.config import MailboxConfig
from deskterm.store.schema.db import Store
from deskterm.store.service import Actor, Service
from deskterm.store.service.delivery import MailSettings
from helpers.smtp import SmtpServer
from helpers.store import ME

SUPPORT = "support@example.test"


def mailbox_for(server: SmtpServer, **overrides: object) -> MailboxConfig:
    values: dict[str, object] = {
        "address": SUPPORT,
        "name": "Example Support",
        "smtp_host": server.host,
        "smtp_port": server.port,
        "smtp_security": "plain",
    }
    values.update(overrides)
    return MailboxConfig(**values)  # type: ignore[arg-type]  # loose overrides, checked by MailboxConfig


def settings_for(server: SmtpServer, **overrides: object) -> MailSettings:
    box = overrides.pop("mailbox", None) or mailbox_for(server)
    return MailSettings(mailboxes=(box,), **overrides)  # type: ignore[arg-type]  # loose overrides of the dataclass


def mail_service(
    store: Store,
    clock: Callable[[], datetime],
    settings: MailSettings,
    agent_email: str = ME[1],
) -> Service:
    """A Service acting as Sam Lee (the `service` fixture's agent), with mail on."""
    system = Service(store, Actor.system(), clock)
    agent_id = system.ensure_agent(ME[0], agent_email)
    return Service(store, Actor(agent_id, ME[0]), clock).with_mail(settings)


def ticket_from_mail(
    service: Service,
    *,
    customer: str = "ana@customer.test",
    name: str = "Ana Ruiz",
    subject: str = "Printer on fire",
    body: str = "It smokes.\nPlease help.",
    message_id: str = "first@customer.test",
    auto_kind: str | None = None,
    cc: str = "",
) -> int:
    """A ticket as ingest makes one from a mail to SUPPORT."""
    created = service.create_ticket(
        subject,
        body,
        customer,
        name,
        message_fields={
            "message_id": message_id,
            "mailbox": SUPPORT,
            "to_addrs": SUPPORT,
            "cc_addrs": cc,
            "auto_kind": auto_kind,
        },
    )
    return created.number


def parsed(raw: bytes) -> EmailMessage:
    return message_from_bytes(raw, policy=default)
