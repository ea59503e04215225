"""Satisfaction survey reads: the signing key, a ticket's answer and its history, and a
customer's ratings over their tickets (the customer pane)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from deskterm.errors import NotFoundError
from deskterm.kb.survey import RATINGS
from deskterm.store.schema.db import Store
from deskterm.store.schema.timefmt import from_db


@dataclass(frozen=True, slots=True)
class SurveyAnswerRecord:
    rating: str
    effort: int | None
    comment: str
    answered_at: datetime


@dataclass(frozen=True, slots=True)
class TicketSurvey:
    """A ticket's latest answer (what counts) and how many answers it had."""

    latest: SurveyAnswerRecord
    answers: int


def survey_secret(store: Store) -> str | None:
    """The key survey links are signed with (None: this store never sent one)."""
    row = store.read().execute("SELECT value FROM site_secret WHERE name = 'survey'").fetchone()
    return None if row is None else str(row[0])


def ticket_survey(store: Store, ticket_id: int) -> TicketSurvey | None:
    """The answer on the ticket (as a replica has it too), or None before any."""
    conn = store.read()
    row = conn.execute(
        "SELECT csat, csat_effort, csat_comment, csat_at FROM ticket WHERE id = ?", (ticket_id,)
    ).fetchone()
    if row is None or row[0] is None:
        return None
    count = conn.execute(
        "SELECT count(*) FROM survey_answer WHERE ticket_id = ?", (ticket_id,)
    ).fetchone()[0]
    latest = SurveyAnswerRecord(row[0], row[1], row[2] or "", from_db(row[3]))
    return TicketSurvey(latest, max(int(count), 1))  # a replica pulls the latest, not the rows


def survey_history(store: Store, number: int) -> list[SurveyAnswerRecord]:
    """Every answer to ticket `number`'s survey, oldest first."""
    conn = store.read()
    found = conn.execute("SELECT id FROM ticket WHERE number = ?", (number,)).fetchone()
    if found is None:
        raise NotFoundError(f"no ticket #{number}")
    return [
        SurveyAnswerRecord(r[0], r[1], r[2], from_db(r[3]))
        for r in conn.execute(
            "SELECT rating, effort, comment, answered_at FROM survey_answer"
            " WHERE ticket_id = ? ORDER BY id",
            (found[0],),
        )
    ]


def customer_ratings(store: Store, customer_id: int) -> dict[str, int]:
    """How the customer rated their tickets: rating -> tickets, in the order of RATINGS."""
    counts = dict(
        store.read()
        .execute(
            "SELECT csat, count(*) FROM ticket WHERE customer_id = ? AND csat IS NOT NULL"
            " GROUP BY csat",
            (customer_id,),
        )
        .fetchall()
    )
    return {rating: int(counts[rating]) for rating in RATINGS if rating in counts}
