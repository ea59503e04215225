"""SMTP out: one connection per batch, implicit TLS, STARTTLS or plain, with AUTH.

Library errors become `SmtpFailure` here, at the edge, sorted into temporary
(connection trouble, 4xx: try again later) and permanent (5xx: give up and
show the server's reply).
"""

from __future__ import annotations

import os
import smtplib
import socket
import ssl
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING

from deskterm.errors import AuthError, ConfigError, MailError

if TYPE_CHECKING:
    from deskterm.config import MailboxConfig

TIMEOUT = 30.0


class SmtpFailure(MailError):
    """One mail (or the connection) failed; `temporary` says whether to try again."""

    def __init__(self, message: str, *, temporary: bool, connection_lost: bool = False) -> None:
        super().__init__(message)
        self.temporary = temporary
        self.connection_lost = connection_lost


@dataclass(frozen=True)
class Accepted:
    """The server took the mail; `refused` lists recipients it turned down."""

    refused: tuple[str, ...] = ()

    def note(self) -> str | None:
        return f"refused by the server: {', '.join(self.refused)}" if self.refused else None


def password(mailbox: MailboxConfig) -> str | None:
    """The SMTP password: smtp_password_env/_command, else the IMAP password_env/_command."""
    pairs = (
        (mailbox.smtp_password_env, mailbox.smtp_password_command),
        (mailbox.password_env, mailbox.password_command),
    )
    for env, command in pairs:
        if env:
            value = os.environ.get(env)
            if value is None:
                raise ConfigError(f"mailbox {mailbox.address}: environment variable {env} is unset")
            return value
        if command:
            try:
                done = subprocess.run(
                    command, shell=True, capture_output=True, text=True, timeout=30, check=False
                )
            except (OSError, subprocess.TimeoutExpired) as exc:
                raise ConfigError(f"mailbox {mailbox.address}: password_command: {exc}") from exc
            if done.returncode != 0:
                raise ConfigError(
                    f"mailbox {mailbox.address}: password_command exited {done.returncode}"
                )
            return done.stdout.rstrip("\n")
    return None


def _reply_text(code: int, message: bytes | str) -> str:
    text = message.decode("utf-8", "replace") if isinstance(message, bytes) else message
    return f"{code} {' '.join(text.split())}"


def _is_temporary(code: int) -> bool:
    return not 500 <= code < 600


class SmtpConnection:
    """An open, authenticated SMTP session for one mailbox; `send` mail after mail."""

    def __init__(
        self,
        mailbox: MailboxConfig,
        *,
        tls_context: Callable[[], ssl.SSLContext] = ssl.create_default_context,
        timeout: float = TIMEOUT,
    ) -> None:
        self.mailbox = mailbox
        self._tls_context = tls_context
        self._timeout = timeout
        self._smtp: smtplib.SMTP | None = None

    def __enter__(self) -> SmtpConnection:
        self.open()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def _where(self) -> str:
        return f"{self.mailbox.smtp_host}:{self.mailbox.smtp_port}"

    def open(self) -> None:
        box = self.mailbox
        if not box.smtp_host:
            raise SmtpFailure(f"mailbox {box.address}: no smtp_host in the config", temporary=True)
        try:
            if box.smtp_security == "tls":
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                    box.smtp_host, box.smtp_port, timeout=self._timeout, context=self._tls_context()
                )
            else:
                smtp = smtplib.SMTP(box.smtp_host, box.smtp_port, timeout=self._timeout)
            self._smtp = smtp
            smtp.ehlo()
            if box.smtp_security == "starttls":
                smtp.starttls(context=self._tls_context())
                smtp.ehlo()
            secret = password(box)
            if secret is not None:
                smtp.login(box.smtp_user or box.address, secret)
        except smtplib.SMTPAuthenticationError as exc:
            self.close()
            raise SmtpFailure(
                f"{self._where()}: login refused ({_reply_text(exc.smtp_code, exc.smtp_error)});"
                " check smtp_user and the password",
                temporary=True,
                connection_lost=True,
            ) from exc
        except (smtplib.SMTPException, OSError, ConfigError, AuthError) as exc:
            self.close()
            raise SmtpFailure(
                f"{self._where()}: cannot connect ({_describe(exc)})",
                temporary=True,
                connection_lost=True,
            ) from exc

    def close(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is None:
            return
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            smtp.close()

    def send(self, mail_from: str, recipients: Sequence[str], raw: bytes) -> Accepted:
        """Send one mail; raises SmtpFailure (temporary or not)."""
        if self._smtp is None:
            raise SmtpFailure("not connected", temporary=True, connection_lost=True)
        try:
            refused = self._smtp.sendmail(mail_from, list(recipients), raw)
        except smtplib.SMTPRecipientsRefused as exc:
            replies = {addr: _reply_text(c, m) for addr, (c, m) in exc.recipients.items()}
            temporary = any(_is_temporary(c) for c, _ in exc.recipients.values())
            detail = "; ".join(f"{a}: {r}" for a, r in replies.items())
            raise SmtpFailure(f"recipients refused: {detail}", temporary=temporary) from exc
        except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as exc:
            raise SmtpFailure(
                _reply_text(exc.smtp_code, exc.smtp_error),
                temporary=_is_temporary(exc.smtp_code),
                connection_lost=exc.smtp_code == 421,  # smtplib closed the connection
            ) from exc
        except smtplib.SMTPResponseException as exc:
            raise SmtpFailure(
                _reply_text(exc.smtp_code, exc.smtp_error),
                temporary=_is_temporary(exc.smtp_code),
                connection_lost=exc.smtp_code == 421,
            ) from exc
        except (smtplib.SMTPException, OSError) as exc:
            self.close()
            raise SmtpFailure(
                f"{self._where()}: connection lost ({_describe(exc)})",
                temporary=True,
                connection_lost=True,
            ) from exc
        return Accepted(tuple(sorted(refused)))


def _describe(exc: BaseException) -> str:
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, socket.timeout | TimeoutError):
        return "timed out"
    if isinstance(exc, ssl.SSLError):
        return f"TLS: {exc.reason or exc}"
    if isinstance(exc, smtplib.SMTPResponseException):
        return _reply_text(exc.smtp_code, exc.smtp_error)
    return " ".join(str(exc).split()) or type(exc).__name__
