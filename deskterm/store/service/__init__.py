"""The service layer: the only code that changes the store.

`Service` gathers the writes of each area; see `service_base` for how every
change is one transaction with its audit events.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from deskterm.store.schema.models import Ticket
from deskterm.store.service.base import Actor, Created, normalize_tag
from deskterm.store.service.canned import validate_actions
from deskterm.store.service.outbox import OutboxWrites
from deskterm.store.service.people import PeopleWrites, hash_token
from deskterm.store.service.read_marks import ReadMarks
from deskterm.store.service.report_hook import ReportRollups
from deskterm.store.service.rules import RuleSet, RuleWrites
from deskterm.store.service.sla import SlaWrites
from deskterm.store.service.time_entries import TimeWrites

__all__ = [
    "Actor",
    "Created",
    "RuleSet",
    "Service",
    "hash_token",
    "normalize_tag",
    "validate_actions",
]


class Service(
    ReportRollups, ReadMarks, RuleWrites, OutboxWrites, PeopleWrites, SlaWrites, TimeWrites
):
    """Writes on behalf of one actor; `clock` is injectable for tests and demo history."""

    def _first_reply_due(self, s: Session, ticket: Ticket, when: datetime) -> datetime | None:
        # The acknowledgement is queued before the commit computes due times: do it now.
        if self.sla is not None:
            self._refresh_sla(s, ticket, when)
        return ticket.first_reply_due_at

    def _rule_auto_mail(self, s: Session, ticket: Ticket, name: str, when: datetime) -> str:
        """A rule's automatic mail: a canned reply sent through the loop-safe outbox path."""
        if self.mail is None:
            return f"auto mail {name!r} not sent: outgoing mail is off"
        result = self._queue_auto(s, ticket, "rule", when, template=self._canned(s, name).body)
        if result.outbox_id is None:
            return f"auto mail {name!r} not sent: {result.skipped}"
        return f"auto mail {name!r} queued"
