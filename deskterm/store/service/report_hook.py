"""The report rollups follow every change: the last before-commit hook of the service layer."""

from __future__ import annotations

from collections import defaultdict

from deskterm.store.service.report_rollup import record_tickets
from deskterm.store.service.unit_of_work import UnitOfWork
from deskterm.vocab import EventKind

# Events that move no report figure: the facts come from creation, customer messages
# and replies, status, merges, SLA outcomes, time, tags, group and channel; not from
# who is assigned, the priority, the subject, internal notes, which canned reply a
# reply used (the reply has its own event) or a reply left unmailed.
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


def report_rollups(uow: UnitOfWork) -> None:
    """Before-commit hook, last: it counts the events the rule and SLA hooks write too.

    Every ticket the unit touched, by the ORM or by plain statements (the ingest batch),
    except those whose change is all report-neutral events (an assignment, a note).
    """
    due = due_tickets(uow)
    if due:
        uow.session.flush()
        record_tickets(uow.db, due)


def due_tickets(uow: UnitOfWork) -> list[int]:
    """The touched tickets whose report facts may have changed in this unit.

    A ticket touched with no event (tracked time, plain statements) is due: only its
    rows can say what changed.
    """
    kinds: defaultdict[int, set[str]] = defaultdict(set)
    for event in uow.events:
        kinds[event.ticket_id].add(event.kind)
    return [
        ticket_id
        for ticket_id in uow.touched
        if ticket_id in uow.unrecorded or not kinds[ticket_id] or not kinds[ticket_id] <= NEUTRAL
    ]
