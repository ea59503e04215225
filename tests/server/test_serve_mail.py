"""In team mode the server fetches and mails; replicas never touch IMAP or SMTP.

`deskterm serve` runs as its own process against a real Dovecot and a real aiosmtpd;
a replica joins it over loopback.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from helpers.http_server import serve_process
from helpers.imap import ImapAccount
from helpers.replicas import local_service, make_replica, snapshot
from helpers.serve_mail import (
    HANG_S,
    PASSWORD_ENV,
    SMTP_PASSWORD_ENV,
    customer_mail,
    metrics,
    wait_metric,
    write_config,
)
from helpers.smtp import SMTP_PASSWORD, SmtpServer

from deskterm.channels.sync import Replica
from deskterm.store.schema.db import open_store

pytestmark = pytest.mark.server

Run = Callable[..., subprocess.CompletedProcess[str]]


def synced_ticket(replica: Replica, subject: str) -> int:
    """Sync until the server's ticket with `subject` reached the replica; its number."""
    deadline = time.monotonic() + HANG_S
    while True:
        replica.sync()
        row = (
            replica.store.read()
            .execute("SELECT number FROM ticket WHERE subject = ?", (subject,))
            .fetchone()
        )
        if row is not None:
            return int(row[0])
        assert time.monotonic() < deadline, f"{subject!r} never reached the replica"
        time.sleep(0.1)  # the server fetches on its own thread: poll the state


def test_server_fetches_mail_and_sends_replicas_replies_once(
    tmp_path: Path,
    deskterm_bin: str,
    run_cli: Run,
    imap_account: ImapAccount,
    smtp_server: SmtpServer,
    store_location: Path | str,
) -> None:
    config = tmp_path / "server.toml"
    address = write_config(config, imap_account, smtp_server)
    db = store_location  # a SQLite file, then a PostgreSQL database
    added = run_cli("--config", str(config), "--db", str(db), "agent", "add", "Bo",
                    "--email", "bo@x.test")  # fmt: skip
    assert added.returncode == 0, added.stderr
    env = {PASSWORD_ENV: imap_account.password, SMTP_PASSWORD_ENV: SMTP_PASSWORD}
    with serve_process(deskterm_bin, db, tmp_path, config=config, env=env) as url:
        token = added.stdout.strip()
        replica, _ = make_replica(url, token, tmp_path / "bo.db", "bo@x.test")
        imap_account.append(customer_mail(address))
        number = synced_ticket(replica, "Where is my parcel?")
        fetched = ("deskterm_fetch_mails_total", (("mailbox", address), ("outcome", "new")))
        assert metrics(url, token)[fetched] == 1
        # The server acknowledged the mail itself; then the replica's reply goes out.
        (ack,) = smtp_server.wait_for_messages(1)
        local_service(replica.store, "bo@x.test").send_reply(number, "It left today.")
        replica.sync()
        _ack, sent = smtp_server.wait_for_messages(2)
        assert ack.rcpt_tos == sent.rcpt_tos == ["cy@cust.test"]
        assert sent.mail_from == address and b"It left today." in sent.content
        wait_metric(url, token, ("deskterm_mail_sent_total", (("result", "sent"),)), 2)
        replica.sync()  # a second sync pushes nothing again: still one mail
        server = open_store(db)
        try:
            assert snapshot(replica.store) == snapshot(server)
        finally:
            server.close()
        replica.client.close()
    assert len(smtp_server.messages) == 2
    # The replica's own commands never fetch or send, even with the mailbox configured.
    for command, what in (("fetch", "fetches"), ("send", "sends")):
        refused = run_cli("--config", str(config), "--db", str(replica.store.path), command,
                          env=env)  # fmt: skip
        assert refused.returncode == 2
        assert refused.stderr.strip().endswith(f"the team server {what} the mail")
        assert len(refused.stderr.splitlines()) == 1
    replica.store.close()
    assert len(smtp_server.messages) == 2
