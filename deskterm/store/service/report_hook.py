"""The report rollups follow every change: the last before-commit hook of the service layer."""

from __future__ import annotations

from collections.abc import Callable

from sqlmodel import Session

from deskterm.store.schema.db import connect
from deskterm.store.schema.models import Ticket
from deskterm.store.service.base import ServiceBase
from deskterm.store.service.ingest_rows import driver_connection
from deskterm.store.service.report_rollup import rebuild, record_tickets


class ReportRollups(ServiceBase):
    def _before_commit(self, s: Session, tickets: list[Ticket]) -> None:
        super()._before_commit(s, tickets)
        # Last, after the SLA and rule hooks: it counts the events they write.
        s.flush()
        record_tickets(driver_connection(s), {*self._touched, *self._rollup_ids})
        self._rollup_ids.clear()

    def rebuild_reports(
        self, calendar_spec: str | None = None, progress: Callable[[int, int], None] | None = None
    ) -> int:
        """Recompute the rollups of every ticket (on `calendar_spec` if given); returns how many."""
        conn = connect(self.store.path)
        try:
            return rebuild(conn, calendar_spec, progress)
        finally:
            conn.close()
