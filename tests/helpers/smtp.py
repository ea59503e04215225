"""A real aiosmtpd SMTP server on loopback that records what it receives, with TLS."""

from __future__ import annotations

import logging
import shutil
import ssl
import subprocess
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from helpers.processes import (
    HOST,
    START_TIMEOUT,
    free_port,
    skip_or_fail,
)

# aiosmtpd 1.4 itself sets the deprecated Session.login_data on every successful AUTH and
# logs a warning about it; that is noise, not a problem of the code under test.
logging.getLogger("mail.log").addFilter(
    lambda record: "login_data is deprecated" not in record.getMessage()
)

SMTP_USER = "deskterm"
SMTP_PASSWORD = "smtp-secret"


@dataclass(frozen=True)
class RecordedMessage:
    mail_from: str
    rcpt_tos: list[str]
    content: bytes
    auth_user: str | None = None


@dataclass
class RecordingHandler:
    """aiosmtpd handler: records accepted messages; knobs to fail DATA or defer RCPT.

    - `data_replies`: queued replies used (one each) by the next DATA commands instead of 250.
    - `rcpt_replies`: queued (address or None for any, reply) pairs for the next RCPTs.
    - any address at `@defer.test` is always answered 450.
    """

    messages: list[RecordedMessage] = field(default_factory=list)
    data_replies: deque[str] = field(default_factory=deque)
    rcpt_replies: deque[tuple[str | None, str]] = field(default_factory=deque)
    received: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        with self._lock:
            if address.lower().endswith("@defer.test"):
                return "450 4.2.1 Mailbox busy, try later"
            if self.rcpt_replies:
                wanted, reply = self.rcpt_replies[0]
                if wanted is None or wanted.lower() == address.lower():
                    self.rcpt_replies.popleft()
                    return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        with self._lock:
            if self.data_replies:
                return self.data_replies.popleft()
            content = envelope.original_content or envelope.content or b""
            if isinstance(content, str):
                content = content.encode("utf-8", "surrogateescape")
            auth_user = session.auth_data if isinstance(session.auth_data, str) else None
            self.messages.append(
                RecordedMessage(
                    mail_from=envelope.mail_from or "",
                    rcpt_tos=list(envelope.rcpt_tos),
                    content=content,
                    auth_user=auth_user,
                )
            )
            self.received.set()
        return "250 OK: queued"


def _authenticator(
    server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
) -> AuthResult:
    if (
        isinstance(auth_data, LoginPassword)
        and auth_data.login == SMTP_USER.encode()
        and auth_data.password == SMTP_PASSWORD.encode()
    ):
        return AuthResult(success=True, auth_data=SMTP_USER)
    return AuthResult(success=False, handled=False)


class SmtpServer:
    """aiosmtpd in a thread on a fixed loopback port; stop()/start() keep the port.

    AUTH PLAIN/LOGIN is offered (SMTP_USER/SMTP_PASSWORD), not required unless
    `auth_required=True`. Pass `tls=(certfile, keyfile)` to offer STARTTLS.
    """

    def __init__(
        self,
        port: int | None = None,
        host: str = HOST,
        *,
        auth_required: bool = False,
        tls: tuple[Path, Path] | None = None,
    ) -> None:
        self.host = host
        self.port: int = port if port is not None else free_port(host)
        self.handler = RecordingHandler()
        self.auth_required = auth_required
        self.tls_context: ssl.SSLContext | None = None
        if tls is not None:
            self.tls_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self.tls_context.load_cert_chain(str(tls[0]), str(tls[1]))
        elif auth_required:
            raise ValueError("auth_required needs tls (aiosmtpd warns otherwise)")
        self._controller: Controller | None = None

    @property
    def messages(self) -> list[RecordedMessage]:
        return self.handler.messages

    @property
    def running(self) -> bool:
        return self._controller is not None

    def start(self) -> None:
        if self._controller is not None:
            return
        controller = Controller(
            self.handler,
            hostname=self.host,
            port=self.port,
            server_hostname="smtp.deskterm.test",
            ready_timeout=START_TIMEOUT,
            authenticator=_authenticator,
            auth_require_tls=self.tls_context is not None,
            auth_required=self.auth_required,
            tls_context=self.tls_context,
            require_starttls=self.tls_context is not None,
        )
        controller.start()
        self._controller = controller

    def stop(self) -> None:
        """Close the listener and every session; connecting then gives ConnectionRefusedError."""
        if self._controller is None:
            return
        self._controller.stop()
        self._controller = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def __enter__(self) -> SmtpServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def fail_next_data(self, reply: str = "451 4.3.0 Try again later", times: int = 1) -> None:
        """The next `times` DATA commands get `reply` (e.g. "451 ..." or "554 ...")."""
        self.handler.data_replies.extend([reply] * times)

    def defer_rcpt(
        self, address: str | None = None, reply: str = "450 4.2.1 Try again later", times: int = 1
    ) -> None:
        """The next `times` RCPTs (to `address`, or to anyone) get `reply` instead of 250."""
        self.handler.rcpt_replies.extend([(address, reply)] * times)

    def wait_for_messages(self, count: int, timeout: float = 120.0) -> list[RecordedMessage]:
        """Until `count` mails arrived; `timeout` only turns a hang into a failure."""
        deadline = time.monotonic() + timeout
        while len(self.handler.messages) < count:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{len(self.handler.messages)} of {count} messages arrived")
            self.handler.received.wait(0.05)
            self.handler.received.clear()
        return list(self.handler.messages)


def make_tls_files(directory: Path) -> tuple[Path, Path]:
    """A self-signed certificate for localhost/127.0.0.1 (openssl CLI, about 0.05 s)."""
    openssl = shutil.which("openssl")
    if openssl is None:
        skip_or_fail("openssl not installed")
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        [
            openssl,
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-days",
            "2",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=DNS:localhost,IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
        timeout=30,
    )
    return cert, key


def client_tls_context(cert: Path) -> ssl.SSLContext:
    """A client context trusting only `cert` (for smtplib.starttls(context=...))."""
    return ssl.create_default_context(cafile=str(cert))
