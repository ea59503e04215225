"""The report rollups follow every change: the last before-commit hook of the service layer.

A change that may move a figure marks its tickets due (`report_due`, one narrow row
each) and the rollups catch up later, before a report reads them and each minute
(`catch_up`): recounting in the change's own transaction read the ticket's history and
rewrote its facts, durations, counts and histogram rows, twice the pages and +60-80 %
the CPU of a solve. A batch (a push, the ingest) still recounts its tickets at its end,
once each. Reports stay exact: every reader catches up first.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict

from deskterm.reports.facts import RESOLVED
from deskterm.store.service.batch import Batch
from deskterm.store.service.report_rollup import record_tickets
from deskterm.store.service.unit_of_work import Recorded, UnitOfWork
from deskterm.vocab import EventKind

# Events that move no report figure: the facts come from creation, customer messages
# and replies, status, merges, SLA outcomes, time, tags, group and channel; not from
# who is assigned, the priority, the subject, internal notes, which canned reply a
# reply used (the reply has its own event) or a reply left unmailed. A status change
# counts only when it crosses between unresolved and solved/closed (see `neutral`).
NEUTRAL = frozenset(
    {
        EventKind.PRIORITY.value,
        EventKind.ASSIGNEE.value,
        EventKind.SUBJECT.value,
        EventKind.NOTE.value,
        EventKind.CANNED.value,
        EventKind.NOT_MAILED.value,
    }
)


_MARK_DUE = "INSERT INTO report_due (ticket_id) VALUES (?) ON CONFLICT (ticket_id) DO NOTHING"


def report_rollups(uow: UnitOfWork) -> None:
    """Before-commit hook, last: it counts the events the rule and SLA hooks write too.

    Every ticket the unit touched, by the ORM or by plain statements (the ingest batch),
    except those whose change is all report-neutral events (an assignment, a note).
    """
    due = due_tickets(uow)
    if due and uow.batch is not None:
        uow.batch.later(record_batch, due)  # a ticket a push changes ten times: counted once
    elif due:
        uow.db.executemany(_MARK_DUE, [(ticket_id,) for ticket_id in due])


def anything_due(db: sqlite3.Connection) -> bool:
    return db.execute("SELECT 1 FROM report_due LIMIT 1").fetchone() is not None


def catch_up(db: sqlite3.Connection) -> int:
    """Recount the tickets marked due, in the caller's write transaction; how many."""
    due = [(int(row[0]),) for row in db.execute("SELECT ticket_id FROM report_due")]
    if due:
        record_tickets(db, [ticket_id for (ticket_id,) in due])
        db.executemany("DELETE FROM report_due WHERE ticket_id = ?", due)
    return len(due)


def record_batch(open_batch: Batch, ticket_ids: list[int]) -> None:
    record_tickets(open_batch.reader(), ticket_ids)


def due_tickets(uow: UnitOfWork) -> list[int]:
    """The touched tickets whose report facts may have changed in this unit.

    A ticket touched with no event (tracked time, plain statements) is due: only its
    rows can say what changed.
    """
    events: defaultdict[int, list[Recorded]] = defaultdict(list)
    for event in uow.events:
        events[event.ticket_id].append(event)
    return [
        ticket_id
        for ticket_id in uow.touched
        if ticket_id in uow.unrecorded
        or not events[ticket_id]
        or not all(neutral(e) for e in events[ticket_id])
    ]


def neutral(event: Recorded) -> bool:
    """Whether an event moves no report figure.

    Status changes among new, open, pending and on hold are neutral: the facts see a
    status only where it is solved/closed or leaves that (solves, reopenings, the
    backlog), and a ticket's first status is the `old` of its first status event,
    which is the status it had before any event, as without one.
    """
    if event.kind == EventKind.STATUS.value:
        return event.old not in RESOLVED and event.new not in RESOLVED
    return event.kind in NEUTRAL
