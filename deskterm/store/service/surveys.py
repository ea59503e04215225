"""Satisfaction survey writes: the signed links a solved notice carries, and an answer.

Every answer is a row of `survey_answer`; the ticket keeps the latest (`csat...`
columns), which is what `csat:` filters, the app shows and a replica pulls. An
answer writes a `survey` event (old rating -> new); a changed rating triggers the
`field_changed` rules of field `csat`.
"""

from __future__ import annotations

import secrets

from deskterm.kb.survey import Answer, links, sign
from deskterm.store.schema.models import SurveyAnswer, Ticket
from deskterm.store.schema.timefmt import to_db
from deskterm.store.service import lookups, records
from deskterm.store.service.unit_of_work import UnitOfWork
from deskterm.vocab import EventKind

SECRET = "survey"
_MAKE_SECRET = (
    "INSERT INTO site_secret (name, value, created_at) VALUES (?, ?, ?)"
    " ON CONFLICT (name) DO NOTHING"
)


def secret(uow: UnitOfWork) -> str:
    """The store's survey key, made on first use (two writers at once keep the first)."""
    db = uow.db
    db.execute(_MAKE_SECRET, (SECRET, secrets.token_urlsafe(32), to_db(uow.clock())))
    row = db.execute("SELECT value FROM site_secret WHERE name = ?", (SECRET,)).fetchone()
    return str(row[0])


def links_for(uow: UnitOfWork, ticket: Ticket, base_url: str) -> dict[str, str]:
    """`{{ survey.great }}`, `.okay`, `.not_good` for the solved notice of `ticket`."""
    return links(base_url, sign(secret(uow), ticket.number, uow.clock()))


def answer(uow: UnitOfWork, number: int, given: Answer, *, rating_only: bool = False) -> bool:
    """Keep one answer and make it the ticket's; False when it repeats the latest.

    `rating_only` (a link in the mail) changes the rating and keeps the effort and
    comment given before, so opening the same link again adds nothing.
    """
    s = uow.session
    ticket = lookups.ticket(s, number)
    if rating_only:
        given = Answer(given.rating, ticket.csat_effort, ticket.csat_comment or "")
    old = ticket.csat
    if (old, ticket.csat_effort, ticket.csat_comment or "") == (
        given.rating.value, given.effort, given.comment,
    ):  # fmt: skip
        return False
    when = uow.clock()
    s.add(
        SurveyAnswer(
            ticket_id=records.stored(ticket.id),
            rating=given.rating.value,
            effort=given.effort,
            comment=given.comment,
            answered_at=when,
        )
    )
    uow.touch(ticket.id, ticket)
    records.write_event(
        uow, ticket.id, EventKind.SURVEY, old, given.rating.value, when,
        trigger=old != given.rating.value,
    )  # fmt: skip
    ticket.csat, ticket.csat_effort = given.rating.value, given.effort
    ticket.csat_comment, ticket.csat_at = given.comment, when
    ticket.updated_at = max(ticket.updated_at, when)  # news: the queue and is:unread show it
    s.add(ticket)
    return True
