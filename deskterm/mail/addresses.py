"""Parse address headers and salvage the malformed ones spam and old mailers send.

A help desk must still take in mail from `"x"@example.com>` or
`<power quadrant system@example.com>`: we keep the best guess of the address,
lower-cased, and say whether it was valid so callers can flag the customer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.utils import getaddresses

from deskterm.mail.headers import decode_words, to_text, unfold

_ENCODED_WORD = re.compile(r"=\?[^?\s]+?\?[QqBb]\?[^?]*?\?=")
_PLACEHOLDER = re.compile("\ue000(\\d+)\ue001")
_VALID = re.compile(r"[^\s@<>()\[\]\\,;:\"]+@[^\s@<>()\[\]\\,;:\"]+")
_JUNK = re.compile(r"[\s\"'<>]+")
_SPACE_RUN = re.compile(r"[ \t\r\n]+")
# `name <addr>` with an unquoted name (no comments or brackets in it).
_NAMED = re.compile(r"\s*([^\"<>()\s:;][^\"<>():;]*?)\s*(<[^<>]*>)\s*")


@dataclass(frozen=True, slots=True)
class Address:
    """One mailbox: display name, lower-cased address and whether it was well formed."""

    name: str
    addr: str
    valid: bool


def is_valid(addr: str) -> bool:
    """True for a plausible `local@domain` with no spaces, quotes or brackets."""
    return _VALID.fullmatch(addr) is not None


def _clean_name(name: str, words: list[str]) -> str:
    name = _PLACEHOLDER.sub(lambda m: words[int(m.group(1))], name)
    name = decode_words(name)
    return _SPACE_RUN.sub(" ", name).strip(" \"'")


def _salvage(name: str, addr: str, raw: str) -> Address | None:
    if not addr:
        return None
    if "@" not in addr and is_valid(name):
        # `Namedyński (hans@example.com)`: the comment holds the address.
        return Address(_clean_name(addr, []), name.lower(), True)
    if f"<{addr}" not in raw:
        # `Name addr@host` without brackets: the last token is the address.
        head, _, tail = addr.rpartition(" ")
        if head and is_valid(tail):
            return Address(name or head.strip(), tail.lower(), False)
    squeezed = _JUNK.sub("", addr).lower()
    local, at, domain = squeezed.rpartition("@")
    if at and not (local.strip("@") and domain):
        # `@example.com` names no one: no address, but the mail and its name stay.
        return Address(name, "", False) if name else None
    return Address(name, squeezed, False) if squeezed else None


def _mailboxes(value: str) -> list[str]:
    """Split an address list on the commas outside quotes, comments and angle brackets."""
    parts: list[str] = []
    depth = {"(": 0, "<": 0}
    quoted = escaped = False
    start = 0
    for i, ch in enumerate(value):
        if escaped:
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch == '"':
            quoted = not quoted
        elif quoted:
            continue
        elif ch in "(<":
            depth[ch] += 1
        elif ch in ")>":
            opener = "(" if ch == ")" else "<"
            depth[opener] = max(0, depth[opener] - 1)
        elif ch == "," and not any(depth.values()):
            parts.append(value[start:i])
            start = i + 1
    parts.append(value[start:])
    return parts


def _quote_display_names(value: str) -> str:
    """Quote a bare display name holding `@` (`Mikel@Lindsaar <m@x>`) so it stays a name."""
    if "@" not in value or "<" not in value:
        return value
    out: list[str] = []
    for mailbox in _mailboxes(value):
        match = _NAMED.fullmatch(mailbox)
        if match and "@" in match.group(1) and '"' not in match.group(1):
            mailbox = f'{match.group(0)[: match.start(1)]}"{match.group(1)}" {match.group(2)}'
        out.append(mailbox)
    return ",".join(out)


def parse_addresses(value: str | None, hints: tuple[str, ...] = ()) -> list[Address]:
    """Parse an address-list header value (raw, possibly encoded) into addresses.

    Encoded words are decoded after splitting, so a comma inside an encoded display
    name ("Bürling, Andreas") does not split the mailbox.
    """
    if not value:
        return []
    raw = to_text(unfold(value), hints)
    words: list[str] = []

    def protect(match: re.Match[str]) -> str:
        words.append(match.group(0))
        return f"\ue000{len(words) - 1}\ue001"

    protected = _quote_display_names(_ENCODED_WORD.sub(protect, raw))
    result: list[Address] = []
    for name, addr in getaddresses([protected]):
        name = _clean_name(name, words)
        addr = _PLACEHOLDER.sub(lambda m: words[int(m.group(1))], addr).strip()
        if is_valid(addr):
            result.append(Address(name, addr.lower(), True))
            continue
        salvaged = _salvage(name, addr, protected)
        if salvaged is not None:
            result.append(salvaged)
        elif name:
            result.append(Address(name, "", False))
    return result


def pick_sender(groups: list[list[Address]]) -> Address | None:
    """Choose the sender: From headers first, then fallbacks (Reply-To, Sender, Return-Path).

    Within the first group that has one, a valid address beats a salvaged one with
    an "@"; a bare word such as `MAILER-DAEMON` is the last resort. A display name
    from a From header without a usable address is kept.
    """
    flat = [address for group in groups for address in group]
    name = next((address.name for address in flat if address.name), "")
    for group in groups:
        best = next((a for a in group if a.valid), None) or next(
            (a for a in group if "@" in a.addr), None
        )
        if best is not None:
            return Address(best.name or name, best.addr, best.valid)
    for address in flat:
        if address.addr:
            return Address(address.name or name, address.addr, False)
    return Address(name, "", False) if name else None
