"""Tell machine-sent mail (auto-replies, lists, bulk, bounces) from mail a person wrote.

A help desk that answers an out-of-office reply or a bounce starts a mail loop,
so anything automatic must be recognised (RFC 3834 plus the headers real
mailers use instead) and never get an automatic answer.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from enum import StrEnum


class AutoKind(StrEnum):
    """What kind of automatic mail this is; NONE means a person probably wrote it."""

    NONE = "none"
    AUTO_REPLY = "auto_reply"
    LIST = "list"
    BULK = "bulk"
    BOUNCE = "bounce"
    DELAY = "delay"  # a delivery report that is still retrying: a warning, nothing failed


# Reports about a mail we sent: they thread onto the ticket of the mail they return.
DELIVERY_REPORTS = frozenset({AutoKind.BOUNCE, AutoKind.DELAY})


_DAEMON_LOCALS = frozenset(
    {"mailer-daemon", "postmaster", "mail-daemon", "mailerdaemon", "mail.delivery.system"}
)
_BOUNCE_SUBJECT = re.compile(
    r"^(undeliver|undelivered mail|mail delivery (failed|failure|system)|delivery status"
    r"|returned mail|failure notice|delivery failure|nondeliverable|unzustellbar"
    r"|non remis|benachrichtung\W+zum\W+(\+anw-|ü)bermittlungsstatus)",
    re.IGNORECASE,
)
_AUTO_REPLY_SUBJECT = re.compile(
    r"^(auto(matic)?[ -]?(reply|response)|out of (the )?office|abwesenheitsnotiz"
    r"|automatische antwort|réponse automatique|respuesta automática)\s*:",
    re.IGNORECASE,
)
_ADDRESS = re.compile(r"[^\s<>;,\"]+@[^\s<>;,\"]+")


def _first_word(value: str | None) -> str:
    return (value or "").strip().split(";", 1)[0].strip().lower()


def classify(
    headers: Mapping[str, str],
    *,
    sender: str,
    subject: str = "",
    content_type: str = "text/plain",
    report_type: str = "",
) -> AutoKind:
    """Classify one mail from its headers (keys lower-case) and top-level structure.

    Bounces are checked first: they often carry Auto-Submitted too, and threading
    needs to know a mail is a bounce, not just "automatic".
    """
    if content_type == "multipart/report" and report_type.lower() == "delivery-status":
        return AutoKind.BOUNCE
    if sender.partition("@")[0].lower() in _DAEMON_LOCALS or headers.get("x-failed-recipients"):
        return AutoKind.BOUNCE
    if _first_word(headers.get("return-path")) == "<>" and _BOUNCE_SUBJECT.match(subject):
        return AutoKind.BOUNCE
    auto_reply = bool(
        _AUTO_REPLY_SUBJECT.match(subject)
        or headers.get("x-autoreply")
        or headers.get("x-autorespond")
    )
    auto_submitted = _first_word(headers.get("auto-submitted"))
    precedence = _first_word(headers.get("precedence"))
    if auto_submitted == "auto-replied" or precedence == "auto_reply":
        return AutoKind.AUTO_REPLY
    if auto_submitted not in {"", "no"} or headers.get("x-auto-response-suppress"):
        return AutoKind.AUTO_REPLY if auto_reply else AutoKind.BULK
    if auto_reply:
        return AutoKind.AUTO_REPLY
    if precedence == "list" or headers.get("list-id"):
        return AutoKind.LIST
    if precedence in {"bulk", "junk"} or headers.get("list-unsubscribe"):
        return AutoKind.BULK
    return AutoKind.NONE


def report_kind(blocks: Iterable[Mapping[str, str]]) -> AutoKind:
    """BOUNCE, or DELAY when every recipient the report names is `Action: delayed`."""
    actions = [
        _first_word(block.get("action"))
        for block in blocks
        if block.get("final-recipient") or block.get("original-recipient")
    ]
    if actions and all(action == "delayed" for action in actions):
        return AutoKind.DELAY
    return AutoKind.BOUNCE


def failed_recipients(blocks: Iterable[Mapping[str, str]]) -> tuple[str, ...]:
    """Final-Recipient addresses from delivery-status blocks whose Action is `failed`.

    A block without an Action counts as failed; `delayed`, `delivered`, `relayed`
    and `expanded` recipients did not bounce.
    """
    result: list[str] = []
    for block in blocks:
        action = _first_word(block.get("action"))
        recipient = block.get("final-recipient") or block.get("original-recipient") or ""
        match = _ADDRESS.search(recipient.partition(";")[2] or recipient)
        if match and action in {"failed", ""}:
            address = match.group(0).lower()
            if address not in result:
                result.append(address)
    return tuple(result)
