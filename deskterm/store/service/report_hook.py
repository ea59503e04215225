"""The report rollups follow every change: the last before-commit hook of the service layer."""

from __future__ import annotations

from deskterm.store.service.report_rollup import record_tickets
from deskterm.store.service.unit_of_work import UnitOfWork


def report_rollups(uow: UnitOfWork) -> None:
    """Before-commit hook, last: it counts the events the rule and SLA hooks write too.

    Every ticket the unit touched, by the ORM or by plain statements (the ingest batch).
    """
    if uow.touched:
        uow.session.flush()
        record_tickets(uow.db, uow.touched_ids)
