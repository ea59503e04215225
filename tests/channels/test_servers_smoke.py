"""Fast proofs that the real-server fixtures in tests/servers.py work (about 2 s in total)."""

from __future__ import annotations

import smtplib
import socket
import threading
import time
from email.message import EmailMessage
from imaplib import IMAP4
from pathlib import Path

import psycopg
import pytest
from helpers.imap import DovecotServer, ImapAccount
from helpers.postgres import PostgresServer
from helpers.processes import require_binary
from helpers.smtp import SMTP_PASSWORD, SMTP_USER, SmtpServer, client_tls_context
from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientAbortError
from sqlalchemy import create_engine, text

pytestmark = pytest.mark.server


def raw_message(subject: str, body: str = "Hello from the smoke test.") -> bytes:
    return (
        f"From: Customer <customer@example.test>\r\n"
        f"To: help@deskterm.test\r\n"
        f"Subject: {subject}\r\n"
        f"Message-ID: <{subject.replace(' ', '-')}@example.test>\r\n"
        f"\r\n{body}\r\n"
    ).encode()


# --------------------------------------------------------------------------- require_binary


def test_require_binary_finds_candidates_then_path() -> None:
    assert require_binary("sh", ["/nonexistent/sh", "/bin/sh"]) == "/bin/sh"
    assert require_binary("sh").endswith("/sh")


def test_require_binary_skips_locally(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match=r"bash run\.sh test installs it"):
        require_binary("no-such-server-xyz", ["/nonexistent/no-such-server-xyz"])


def test_require_binary_fails_under_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="not installed"):
        require_binary("no-such-server-xyz")


# --------------------------------------------------------------------------- Dovecot


def test_imap_login_append_select_fetch(imap_account: ImapAccount) -> None:
    with imap_account.connect() as client:
        info = client.select_folder("INBOX")
        assert info[b"EXISTS"] == 0  # a fresh account starts empty
        client.append("INBOX", raw_message("first"))
        client.append("INBOX", raw_message("second"))
        info = client.select_folder("INBOX")
        assert info[b"EXISTS"] == 2
        uids = client.search()
        fetched = client.fetch(uids, ["ENVELOPE", "BODY.PEEK[]"])
        subjects = sorted(data[b"ENVELOPE"].subject for data in fetched.values())
        assert subjects == [b"first", b"second"]
        assert all(b"Hello from the smoke test" in d[b"BODY[]"] for d in fetched.values())


def test_append_helper_returns_uid_and_creates_folder(imap_account: ImapAccount) -> None:
    server = imap_account.server
    assert server.append(imap_account.user, "INBOX", raw_message("a")) == 1
    assert server.append(imap_account.user, "Archive", raw_message("b")) == 1
    assert (imap_account.maildir() / ".Archive").is_dir()
    assert len(list((imap_account.maildir() / "new").iterdir())) == 1


def test_accounts_are_isolated(dovecot: DovecotServer, imap_account: ImapAccount) -> None:
    other, password = dovecot.new_user()
    assert other != imap_account.user
    imap_account.append(raw_message("mine"))
    with dovecot.connect(other) as client:
        assert client.select_folder("INBOX")[b"EXISTS"] == 0
    with (
        pytest.raises(IMAPClient.Error),
        IMAPClient(dovecot.host, port=dovecot.port, ssl=False, timeout=5) as client,
    ):
        client.login(other, password + "-wrong")
    dovecot.remove_user(other)


def test_idle_sees_append_from_another_connection(imap_account: ImapAccount) -> None:
    with imap_account.connect() as watcher:
        watcher.select_folder("INBOX")
        watcher.idle()
        try:
            imap_account.append(raw_message("while idling"))
            responses = watcher.idle_check(timeout=5)
        finally:
            watcher.idle_done()
    assert (1, b"EXISTS") in responses


def test_uidvalidity_change_is_observed(imap_account: ImapAccount) -> None:
    imap_account.append(raw_message("one"))
    imap_account.append(raw_message("two"))
    with imap_account.connect() as client:
        before = client.select_folder("INBOX")[b"UIDVALIDITY"]
        client.delete_messages([1])
        client.expunge()
    new = imap_account.change_uidvalidity()
    with imap_account.connect() as client:
        info = client.select_folder("INBOX")
        assert info[b"UIDVALIDITY"] == new != before
        assert client.search() == [1]  # renumbered from 1, content kept
        envelope = client.fetch([1], ["ENVELOPE"])[1][b"ENVELOPE"]
        assert envelope.subject == b"two"


def test_kill_connections_drops_client_mid_session(imap_account: ImapAccount) -> None:
    imap_account.append(raw_message("big", "x" * 200_000))
    client = imap_account.connect(timeout=5)
    try:
        client.select_folder("INBOX")
        assert imap_account.kill_connections() == 1
        with pytest.raises((IMAPClientAbortError, IMAP4.abort, OSError)):
            client.fetch([1], ["BODY.PEEK[]"])
    finally:
        client.shutdown()
    # The server itself is fine: a new session works at once.
    with imap_account.connect() as again:
        assert again.select_folder("INBOX")[b"EXISTS"] == 1


def test_kill_during_fetch_only_hits_that_user(
    dovecot: DovecotServer, imap_account: ImapAccount
) -> None:
    bystander_user, _ = dovecot.new_user()
    with dovecot.connect(bystander_user) as bystander:
        bystander.select_folder("INBOX")
        imap_account.append(raw_message("big", "y" * 2_000_000))
        client = imap_account.connect(timeout=5)
        errors: list[BaseException] = []
        try:
            client.select_folder("INBOX")

            def fetch_forever() -> None:
                try:
                    while True:
                        client.fetch([1], ["BODY.PEEK[]"])
                except BaseException as exc:  # the connection must die
                    errors.append(exc)

            thread = threading.Thread(target=fetch_forever)
            thread.start()
            time.sleep(0.05)
            imap_account.kill_connections()
            thread.join(10)
            assert not thread.is_alive()
        finally:
            client.shutdown()
        assert errors
        assert isinstance(errors[0], IMAPClientAbortError | IMAP4.abort | OSError)
        bystander.noop()  # untouched
    dovecot.remove_user(bystander_user)


def test_kick_is_graceful(imap_account: ImapAccount) -> None:
    client = imap_account.connect(timeout=5)
    try:
        client.select_folder("INBOX")
        imap_account.server.kick(imap_account.user)
        with pytest.raises((IMAPClientAbortError, IMAP4.abort, OSError)):
            client.noop()
    finally:
        client.shutdown()


def test_private_dovecot_stop_refuses_then_restart_keeps_port_and_mail(
    dovecot_private: DovecotServer,
) -> None:
    user, _ = dovecot_private.new_user()
    dovecot_private.append(user, "INBOX", raw_message("survives"))
    port = dovecot_private.port
    dovecot_private.stop()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((dovecot_private.host, port), timeout=2).close()
    dovecot_private.start()
    assert dovecot_private.port == port
    with dovecot_private.connect(user) as client:
        assert client.select_folder("INBOX")[b"EXISTS"] == 1
    dovecot_private.restart()
    assert dovecot_private.port == port
    with dovecot_private.connect(user) as client:
        assert client.select_folder("INBOX")[b"EXISTS"] == 1


# --------------------------------------------------------------------------- PostgreSQL


def test_postgres_psycopg_roundtrip(postgres_dsn: str) -> None:
    with psycopg.connect(postgres_dsn) as conn:
        conn.execute("CREATE TABLE ticket (id serial PRIMARY KEY, subject text NOT NULL)")
        conn.execute("INSERT INTO ticket (subject) VALUES (%s), (%s)", ("printer", "vpn"))
        rows = conn.execute("SELECT id, subject FROM ticket ORDER BY id").fetchall()
    assert rows == [(1, "printer"), (2, "vpn")]


def test_postgres_url_is_fresh_and_works_with_sqlalchemy(
    postgres_url: str, postgres_dsn: str
) -> None:
    assert postgres_url.startswith("postgresql+psycopg://postgres@127.0.0.1:")
    assert postgres_url.rsplit("/", 1)[1] == postgres_dsn.rsplit("/", 1)[1]
    engine = create_engine(postgres_url)
    try:
        with engine.connect() as conn:
            # A fresh database: the table the previous test created is not here.
            tables = conn.execute(
                text("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
            ).scalar_one()
            assert tables == 0
            assert conn.execute(text("SELECT 41 + 1")).scalar_one() == 42
    finally:
        engine.dispose()


def test_postgres_server_helpers(postgres_server: PostgresServer) -> None:
    db = postgres_server.create_database()
    try:
        with psycopg.connect(db.dsn) as conn:
            assert conn.execute("SELECT current_database()").fetchone() == (db.name,)
    finally:
        postgres_server.drop_database(db.name)


# --------------------------------------------------------------------------- aiosmtpd


def send(server: SmtpServer, subject: str = "hello", to: str = "customer@example.test") -> None:
    msg = EmailMessage()
    msg["From"] = "help@deskterm.test"
    msg["To"] = to
    msg["Subject"] = subject
    msg.set_content("We are on it.")
    with smtplib.SMTP(server.host, server.port, timeout=10) as client:
        client.send_message(msg)


def test_smtp_send_is_recorded(smtp_server: SmtpServer) -> None:
    send(smtp_server, "Re: printer")
    (message,) = smtp_server.messages
    assert message.mail_from == "help@deskterm.test"
    assert message.rcpt_tos == ["customer@example.test"]
    assert b"Subject: Re: printer" in message.content
    assert message.auth_user is None


def test_smtp_451_then_success(smtp_server: SmtpServer) -> None:
    smtp_server.fail_next_data("451 4.3.0 Try again later")
    with pytest.raises(smtplib.SMTPDataError) as excinfo:
        send(smtp_server)
    assert excinfo.value.smtp_code == 451
    assert smtp_server.messages == []
    send(smtp_server)
    assert len(smtp_server.messages) == 1


def test_smtp_permanent_failure(smtp_server: SmtpServer) -> None:
    smtp_server.fail_next_data("554 5.7.1 Message rejected")
    with pytest.raises(smtplib.SMTPDataError) as excinfo:
        send(smtp_server)
    assert excinfo.value.smtp_code == 554


def test_smtp_deferred_rcpt(smtp_server: SmtpServer) -> None:
    smtp_server.defer_rcpt("customer@example.test")
    with pytest.raises(smtplib.SMTPRecipientsRefused) as excinfo:
        send(smtp_server)
    assert excinfo.value.recipients["customer@example.test"][0] == 450
    with pytest.raises(smtplib.SMTPRecipientsRefused):
        send(smtp_server, to="someone@defer.test")
    send(smtp_server)
    assert [m.rcpt_tos for m in smtp_server.messages] == [["customer@example.test"]]


def test_smtp_outage_stop_refuses_then_start_same_port(smtp_server: SmtpServer) -> None:
    port = smtp_server.port
    smtp_server.stop()
    with pytest.raises(ConnectionRefusedError):
        send(smtp_server)
    smtp_server.start()
    assert smtp_server.port == port
    send(smtp_server)
    assert len(smtp_server.messages) == 1


def test_smtp_auth(smtp_server: SmtpServer) -> None:
    with smtplib.SMTP(smtp_server.host, smtp_server.port, timeout=10) as client:
        with pytest.raises(smtplib.SMTPAuthenticationError):
            client.login(SMTP_USER, "wrong")
        client.login(SMTP_USER, SMTP_PASSWORD)
        client.sendmail("help@deskterm.test", ["c@example.test"], b"Subject: a\r\n\r\nb\r\n")
    assert smtp_server.messages[0].auth_user == SMTP_USER


def test_smtp_starttls_and_required_auth(
    smtp_server_tls: SmtpServer, tls_files: tuple[Path, Path]
) -> None:
    cert = tls_files[0]
    with (
        smtplib.SMTP(smtp_server_tls.host, smtp_server_tls.port, timeout=10) as client,
        pytest.raises(smtplib.SMTPException),
    ):
        client.sendmail("help@deskterm.test", ["c@example.test"], b"\r\nno tls\r\n")
    with smtplib.SMTP(smtp_server_tls.host, smtp_server_tls.port, timeout=10) as client:
        client.starttls(context=client_tls_context(cert))
        client.login(SMTP_USER, SMTP_PASSWORD)
        client.sendmail("help@deskterm.test", ["c@example.test"], b"Subject: s\r\n\r\nok\r\n")
    assert smtp_server_tls.wait_for_messages(1)[0].auth_user == SMTP_USER
