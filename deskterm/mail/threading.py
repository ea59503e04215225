"""Decide which ticket a mail belongs to: pure rules over a parsed mail and known tickets.

The store looks up what the mail points at (Message-IDs it references, ticket
numbers in its subject) and hands the answers in; this module only decides,
so `deskterm thread explain` can replay a decision and say why.

Rules, first match wins:
1. bounce: a delivery-status report (a bounce, or a delay notice, which flags no
   address) joins the ticket of the message it returns.
2. in-reply-to, then references (newest first): a Message-ID we hold, ours or theirs.
3. same-message-id: the mail reuses a Message-ID we hold with different content,
   from the same sender, and both subjects name the same record (INC678439,
   SYS-422): ServiceNow and Jira send every update of a record under one
   Message-ID. Without the record, a reused id proves nothing (broken mailers).
4. subject-tag: `[#123]` (prefix configurable) threads only when the sender is the
   ticket's customer, an address already on the ticket (From/To/Cc of any of its
   messages), or a colleague at the customer's own domain (not a free-mail domain).
   Anyone else's tag is ignored and the mail opens a new ticket: a forged or
   mistyped tag must not drop a stranger's mail (and their reply address) into
   somebody else's conversation.
5. earlier-reply: a stored mail answers this one (its In-Reply-To names this
   Message-ID): the reply arrived first (IMAP and imports do not keep order) and
   opened a ticket, so the parent joins it. When the parent links elsewhere by
   rules 1-4 it goes there, and a note says which ticket its early reply is on.
6. new: a new ticket.
A person's mail to a *closed* ticket opens a follow-up ticket instead (closed is
final); automatic mail still joins it and never changes its status. A person's
mail to a solved, pending or on-hold ticket reopens it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum

from deskterm.mail.auto import DELIVERY_REPORTS, AutoKind
from deskterm.mail.parse import ParsedMail

# Domains shared by unrelated people: "same domain" says nothing about them.
FREEMAIL_DOMAINS = frozenset(
    {
        "gmail.com",
        "googlemail.com",
        "outlook.com",
        "hotmail.com",
        "live.com",
        "msn.com",
        "yahoo.com",
        "ymail.com",
        "icloud.com",
        "me.com",
        "aol.com",
        "gmx.de",
        "gmx.net",
        "web.de",
        "t-online.de",
        "proton.me",
        "protonmail.com",
        "mail.ru",
        "yandex.ru",
        "qq.com",
        "163.com",
        "126.com",
        "naver.com",
    }
)
_REOPENING = frozenset({"solved", "pending", "on_hold"})


class Rule(StrEnum):
    BOUNCE = "bounce"
    IN_REPLY_TO = "in-reply-to"
    REFERENCES = "references"
    SAME_MESSAGE_ID = "same-message-id"
    SUBJECT_TAG = "subject-tag"
    EARLIER_REPLY = "earlier-reply"
    CLOSED_FOLLOWUP = "closed-followup"
    NEW = "new"


@dataclass(frozen=True, slots=True)
class KnownTicket:
    """What threading needs to know about one ticket."""

    number: int
    status: str
    customer_email: str
    participants: frozenset[str] = frozenset()
    merged_from: int | None = None  # the number the mail pointed at, if merged away
    # The stored message whose Message-ID matched: its sender and subject.
    via_sender: str = ""
    via_subject: str = ""


@dataclass(frozen=True, slots=True)
class ThreadDecision:
    """Where the mail goes (number None: a new ticket), by which rule, and why."""

    rule: Rule
    number: int | None
    reason: str
    reopen: bool = False
    followup_of: int | None = None
    notes: tuple[str, ...] = ()


def tag_pattern(prefix: str = "#") -> re.Pattern[str]:
    """`[#123]`: the prefix right after the bracket, digits only, up to the bracket.

    `[Ticket#11162]` (another desk's tag) and `#1XXXX9` do not match.
    """
    return re.compile(r"\[" + re.escape(prefix) + r"(\d{1,12})\]")


_RECORD_ID = re.compile(r"\b[A-Za-z]{2,}[-#]?\d{2,}\b")


def record_ids(subject: str) -> set[str]:
    """Identifiers like INC678439 or SYS-422 that systems put in their subjects."""
    return {m.upper() for m in _RECORD_ID.findall(subject)}


def subject_tags(subject: str, prefix: str = "#") -> list[int]:
    return list(dict.fromkeys(int(n) for n in tag_pattern(prefix).findall(subject)))


def reference_ids(mail: ParsedMail) -> list[str]:
    """Message-IDs the mail points at, in the order the rules try them."""
    ids: list[str] = []
    if mail.auto in DELIVERY_REPORTS and mail.bounced_message_id:
        ids.append(mail.bounced_message_id)
    if mail.in_reply_to:
        ids.append(mail.in_reply_to)
    ids.extend(reversed(mail.references))
    if mail.message_id:
        ids.append(mail.message_id)
    return list(dict.fromkeys(ids))


def domain_of(address: str) -> str:
    return address.rpartition("@")[2].lower()


def sender_may_tag(sender: str, ticket: KnownTicket) -> tuple[bool, str]:
    """Whether `sender`'s subject tag may thread onto `ticket`, and why."""
    sender = sender.lower()
    if not sender:
        return False, "the mail has no sender address"
    if sender == ticket.customer_email.lower():
        return True, f"{sender} is the ticket's customer"
    if sender in ticket.participants:
        return True, f"{sender} already takes part in #{ticket.number}"
    domain = domain_of(sender)
    if domain and domain == domain_of(ticket.customer_email) and domain not in FREEMAIL_DOMAINS:
        return True, f"{sender} shares the customer's domain {domain}"
    return False, f"{sender} is neither the customer nor on the thread of #{ticket.number}"


def decide(
    mail: ParsedMail,
    by_message_id: Mapping[str, KnownTicket],
    by_number: Mapping[int, KnownTicket],
    *,
    tag_prefix: str = "#",
    replied_by: KnownTicket | None = None,
) -> ThreadDecision:
    """Apply the rules above; the maps hold what the store found for this mail.

    `replied_by` is the ticket of a stored mail whose In-Reply-To is this mail.
    """
    decision = _match(mail, by_message_id, by_number, tag_prefix)
    if replied_by is not None:
        decision = _earlier_reply(decision, replied_by)
    if decision.number is None:
        return decision
    ticket = next(
        t
        for t in (*by_message_id.values(), *by_number.values(), replied_by)
        if t is not None and t.number == decision.number
    )
    automatic = mail.auto is not AutoKind.NONE
    merged = (
        (f"#{ticket.merged_from} was merged into #{ticket.number}",) if ticket.merged_from else ()
    )
    if ticket.status == "closed" and not automatic:
        return ThreadDecision(
            Rule.CLOSED_FOLLOWUP,
            None,
            f"{decision.reason}; #{ticket.number} is closed, so a follow-up ticket opens",
            followup_of=ticket.number,
            notes=decision.notes + merged,
        )
    reopen = not automatic and ticket.status in _REOPENING
    reason = decision.reason
    if automatic:
        reason += f"; automatic mail ({mail.auto.value}) leaves the status alone"
    elif reopen:
        reason += f"; the customer wrote again, so #{ticket.number} ({ticket.status}) reopens"
    return ThreadDecision(
        decision.rule, ticket.number, reason, reopen, notes=decision.notes + merged
    )


def _match(
    mail: ParsedMail,
    by_message_id: Mapping[str, KnownTicket],
    by_number: Mapping[int, KnownTicket],
    tag_prefix: str,
) -> ThreadDecision:
    bounced = mail.bounced_message_id
    if mail.auto in DELIVERY_REPORTS and bounced is not None and bounced in by_message_id:
        ticket = by_message_id[bounced]
        what = "delay notice" if mail.auto is AutoKind.DELAY else "delivery report"
        return ThreadDecision(
            Rule.BOUNCE,
            ticket.number,
            f"{what} for <{mail.bounced_message_id}>, a message of #{ticket.number}",
        )
    if mail.in_reply_to and mail.in_reply_to in by_message_id:
        ticket = by_message_id[mail.in_reply_to]
        return ThreadDecision(
            Rule.IN_REPLY_TO,
            ticket.number,
            f"In-Reply-To <{mail.in_reply_to}> is a message of #{ticket.number}",
        )
    for ref in reversed(mail.references):
        if ref in by_message_id:
            ticket = by_message_id[ref]
            return ThreadDecision(
                Rule.REFERENCES,
                ticket.number,
                f"References <{ref}> is a message of #{ticket.number}",
            )
    if mail.message_id and mail.message_id in by_message_id:
        ticket = by_message_id[mail.message_id]
        shared = record_ids(mail.subject) & record_ids(ticket.via_subject)
        if ticket.via_sender.lower() == mail.from_addr.lower() and shared:
            return ThreadDecision(
                Rule.SAME_MESSAGE_ID,
                ticket.number,
                f"Message-ID <{mail.message_id}> is already on #{ticket.number}, from the same "
                f"sender about the same record ({', '.join(sorted(shared))})",
            )
    return _by_tag(mail, by_number, tag_prefix)


def _by_tag(
    mail: ParsedMail, by_number: Mapping[int, KnownTicket], tag_prefix: str
) -> ThreadDecision:
    notes: list[str] = []
    for number in subject_tags(mail.subject, tag_prefix):
        tag = f"[{tag_prefix}{number}]"
        ticket = by_number.get(number)
        if ticket is None:
            notes.append(f"subject tag {tag} ignored: no such ticket")
            continue
        allowed, why = sender_may_tag(mail.from_addr, ticket)
        if allowed:
            return ThreadDecision(
                Rule.SUBJECT_TAG, ticket.number, f"subject tag {tag}: {why}", notes=tuple(notes)
            )
        notes.append(f"subject tag {tag} ignored: {why}")
    reason = "nothing links it to a ticket we hold"
    if notes:
        reason = "; ".join(notes)
    return ThreadDecision(Rule.NEW, None, f"new ticket: {reason}", notes=tuple(notes))


def _earlier_reply(decision: ThreadDecision, ticket: KnownTicket) -> ThreadDecision:
    """Join the ticket an early reply opened, or say where that reply is."""
    if decision.rule is Rule.NEW:
        return ThreadDecision(
            Rule.EARLIER_REPLY,
            ticket.number,
            f"a reply to this mail arrived before it and is on #{ticket.number}",
            notes=decision.notes,
        )
    if decision.number == ticket.number:
        return decision
    note = (
        f"a reply to this mail arrived before it and is on #{ticket.number}; "
        f"merge #{ticket.number} into #{decision.number} to read them together"
    )
    return replace(decision, notes=(*decision.notes, note))


def participants(rows: Sequence[tuple[str, str, str]]) -> frozenset[str]:
    """Addresses on a ticket from its messages' (from, to, cc) columns (comma-separated)."""
    found: set[str] = set()
    for row in rows:
        for column in row:
            found.update(a.strip().lower() for a in (column or "").split(",") if "@" in a)
    return frozenset(found)
