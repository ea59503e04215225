"""Delivery against a real aiosmtpd: outage, 4xx, 5xx, STARTTLS + AUTH, one connection."""

from __future__ import annotations

import ssl
from datetime import timedelta
from pathlib import Path

import pytest
from helpers.clock import Clock
from helpers.outbox import mail_service, mailbox_for, settings_for, ticket_from_mail
from helpers.smtp import SMTP_PASSWORD, SMTP_USER, SmtpServer

from deskterm.channels.sender import Sender, SenderBusy
from deskterm.store.queries import outbox as outbox_queries
from deskterm.store.schema.db import Store
from deskterm.store.service.delivery import MailSettings


def _queue(store: Store, clock: Clock, settings: MailSettings, count: int = 1) -> list[int]:
    service = mail_service(store, clock, settings)
    number = ticket_from_mail(service)
    return [service.send_reply(number, f"Answer {i}")[1] or 0 for i in range(count)]


def _ids(server: SmtpServer) -> list[str]:
    from email import message_from_bytes

    return [str(message_from_bytes(m.content)["Message-ID"]) for m in server.messages]


def test_outage_then_back_delivers_exactly_once(
    either_store: Store, clock: Clock, smtp_server: SmtpServer
) -> None:
    store = either_store  # the outbox ledger on a SQLite file, then on PostgreSQL
    settings = settings_for(smtp_server, undo_seconds=0)
    ids = _queue(store, clock, settings, 3)
    smtp_server.stop()
    sender = Sender(store, settings, clock=clock)
    report = sender.run_once()
    assert (report.sent, report.retrying) == (0, 3)
    assert "connection refused" in report.errors[0]
    row = outbox_queries.get_outbox(store, ids[0])
    assert row.state == "retrying" and row.attempts == 1
    assert row.until == clock.now + timedelta(seconds=30)  # backoff: 30 s, then 60 s, ...
    assert "next attempt" in row.describe()
    assert sender.run_once().sent == 0  # not due yet
    smtp_server.start()
    clock.advance(seconds=31)
    assert sender.run_once().sent == 3
    clock.advance(hours=1)
    assert sender.run_once().sent == 0
    sender.release()
    assert len(smtp_server.messages) == 3
    assert len(set(_ids(smtp_server))) == 3
    assert {r.state for r in outbox_queries.list_outbox(store)} == {"sent"}


def test_4xx_then_success(store: Store, clock: Clock, smtp_server: SmtpServer) -> None:
    settings = settings_for(smtp_server, undo_seconds=0)
    (outbox_id,) = _queue(store, clock, settings)
    smtp_server.fail_next_data("451 4.3.0 Try again later")
    sender = Sender(store, settings, clock=clock)
    assert sender.run_once().retrying == 1
    row = outbox_queries.get_outbox(store, outbox_id)
    assert row.state == "retrying" and row.last_error == "451 4.3.0 Try again later"
    smtp_server.defer_rcpt()  # a 450 on RCPT is temporary too
    clock.advance(seconds=30)
    assert sender.run_once().retrying == 1
    assert outbox_queries.get_outbox(store, outbox_id).until == clock.now + timedelta(seconds=60)
    clock.advance(seconds=60)
    assert sender.run_once().sent == 1
    sender.release()
    row = outbox_queries.get_outbox(store, outbox_id)
    assert (row.state, row.attempts) == ("sent", 3)
    assert len(smtp_server.messages) == 1


def test_5xx_fails_with_the_server_reply(
    store: Store, clock: Clock, smtp_server: SmtpServer, run_cli, tmp_path: Path
) -> None:
    settings = settings_for(smtp_server, undo_seconds=0)
    first, second = _queue(store, clock, settings, 2)
    smtp_server.fail_next_data("554 5.7.1 Message rejected as spam")
    sender = Sender(store, settings, clock=clock)
    report = sender.run_once()
    assert (report.sent, report.failed) == (1, 1)  # the same connection sent the next one
    row = outbox_queries.get_outbox(store, first)
    assert row.state == "failed"
    assert row.describe() == "failed (554 5.7.1 Message rejected as spam)"
    clock.advance(days=1)
    assert sender.run_once().sent == 0  # failed stays failed
    (listed,) = outbox_queries.list_outbox(store, states=["failed"])
    assert listed.to_json()["last_error"] == "554 5.7.1 Message rejected as spam"
    done = run_cli("--db", str(store.path), "outbox", "ls", "--state", "failed")
    assert done.returncode == 0, done.stderr
    assert "failed (554 5.7.1 Message rejected as spam)" in done.stdout
    mail_service(store, clock, settings).retry(first)  # `deskterm outbox retry ID`
    assert outbox_queries.get_outbox(store, first).state == "retrying"
    assert sender.run_once().sent == 1
    sender.release()
    assert len(smtp_server.messages) == 2
    assert outbox_queries.get_outbox(store, second).state == "sent"


def test_partial_refusal_is_sent_with_a_note(
    store: Store, clock: Clock, smtp_server: SmtpServer
) -> None:
    settings = settings_for(smtp_server, undo_seconds=0)
    service = mail_service(store, clock, settings)
    number = ticket_from_mail(service, cc="gone@customer.test")
    _, outbox_id = service.send_reply(number, "To both")
    smtp_server.defer_rcpt("gone@customer.test", "550 5.1.1 No such user")
    sender = Sender(store, settings, clock=clock)
    assert sender.run_once().sent == 1
    sender.release()
    assert outbox_id is not None
    row = outbox_queries.get_outbox(store, outbox_id)
    assert row.describe() == "sent (refused by the server: gone@customer.test)"


def test_gives_up_after_max_attempts(store: Store, clock: Clock, smtp_server: SmtpServer) -> None:
    settings = settings_for(smtp_server, undo_seconds=0, max_attempts=2)
    (outbox_id,) = _queue(store, clock, settings)
    smtp_server.fail_next_data("421 4.7.0 Too busy", times=2)
    sender = Sender(store, settings, clock=clock)
    sender.run_once()
    clock.advance(seconds=30)
    sender.run_once()
    sender.release()
    row = outbox_queries.get_outbox(store, outbox_id)
    assert row.state == "failed"
    assert row.last_error == "gave up after 2 attempts: 421 4.7.0 Too busy"


def test_starttls_and_auth(
    store: Store,
    clock: Clock,
    smtp_server_tls: SmtpServer,
    tls_files: tuple[Path, Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    box = mailbox_for(
        smtp_server_tls,
        smtp_security="starttls",
        smtp_user=SMTP_USER,
        password_env="DESKTERM_TEST_IMAP_PW",
        smtp_password_env="DESKTERM_TEST_SMTP_PW",
    )
    settings = MailSettings(mailboxes=(box,), undo_seconds=0)
    _queue(store, clock, settings)

    def trust() -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(tls_files[0]))

    monkeypatch.setenv("DESKTERM_TEST_SMTP_PW", "wrong")
    sender = Sender(store, settings, clock=clock, tls_context=trust)
    report = sender.run_once()
    assert report.retrying == 1 and "login refused (535" in report.errors[0]
    monkeypatch.setenv("DESKTERM_TEST_SMTP_PW", SMTP_PASSWORD)
    clock.advance(seconds=30)
    assert sender.run_once().sent == 1
    sender.release()
    assert smtp_server_tls.messages[0].auth_user == SMTP_USER


def test_one_sender_per_store(either_store: Store, clock: Clock, smtp_server: SmtpServer) -> None:
    """On a SQLite file and on PostgreSQL (a lock file beside it; an advisory lock there)."""
    store = either_store
    settings = settings_for(smtp_server, undo_seconds=0)
    _queue(store, clock, settings)
    first = Sender(store, settings, clock=clock)
    assert first.acquire()
    with pytest.raises(SenderBusy):
        Sender(store, settings, clock=clock).run_once()
    first.release()
    second = Sender(store, settings, clock=clock)
    assert second.run_once().sent == 1
    second.release()
