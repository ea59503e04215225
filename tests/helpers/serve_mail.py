"""A `deskterm serve` with real mail: its config for a Dovecot account and an aiosmtpd
server, a customer's mail, and the server's /metrics read while waiting for a state."""

from __future__ import annotations

import time
from email.utils import make_msgid
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

from helpers.imap import ImapAccount
from helpers.smtp import SMTP_USER, SmtpServer

PASSWORD_ENV = "DESKTERM_TEST_IMAP_PASSWORD"
SMTP_PASSWORD_ENV = "DESKTERM_TEST_SMTP_PASSWORD"
HANG_S = 120.0  # only turns a hang into a failure


def write_config(path: Path, account: ImapAccount, smtp: SmtpServer) -> str:
    address = f"{account.user}@desk.test"
    path.write_text(
        "[[mailbox]]\n"
        f'address = "{address}"\n'
        f'imap_host = "{account.host}"\nimap_port = {account.port}\nimap_security = "plain"\n'
        f'imap_user = "{account.user}"\npassword_env = "{PASSWORD_ENV}"\n'
        f'smtp_host = "{smtp.host}"\nsmtp_port = {smtp.port}\nsmtp_security = "plain"\n'
        f'smtp_user = "{SMTP_USER}"\nsmtp_password_env = "{SMTP_PASSWORD_ENV}"\n'
        "\n[mail]\nundo_seconds = 0\n"
    )
    return address


def customer_mail(to: str, subject: str = "Where is my parcel?") -> bytes:
    return (
        f"From: Cy Client <cy@cust.test>\r\nTo: {to}\r\nSubject: {subject}\r\n"
        f"Message-ID: {make_msgid(domain='cust.test')}\r\n"
        "Date: Mon, 2 Mar 2026 09:00:00 +0000\r\n\r\nOrdered a week ago.\r\n"
    ).encode()


Key = tuple[str, tuple[tuple[str, str], ...]]


def metrics(url: str, token: str) -> dict[Key, float]:
    auth = {"Authorization": f"Bearer {token}"}
    text = httpx.get(f"{url}/metrics", headers=auth, timeout=30).text
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def wait_metric(url: str, token: str, key: Key, value: float) -> None:
    deadline = time.monotonic() + HANG_S
    while (seen := metrics(url, token).get(key)) != value:
        assert time.monotonic() < deadline, f"{key} never reached {value} (at {seen})"
        time.sleep(0.1)  # the server works on its own threads: poll the state
