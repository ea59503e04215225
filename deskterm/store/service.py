"""The service layer: the only code that changes the store.

`Service` gathers the writes of each area; see `service_base` for how every
change is one transaction with its audit events.
"""

from __future__ import annotations

from deskterm.store.canned_writes import validate_actions
from deskterm.store.outbox import OutboxWrites
from deskterm.store.people_writes import PeopleWrites, hash_token
from deskterm.store.rule_writes import RuleSet, RuleWrites
from deskterm.store.service_base import Actor, Created, normalize_tag
from deskterm.store.sla_writes import SlaWrites

__all__ = [
    "Actor",
    "Created",
    "RuleSet",
    "Service",
    "hash_token",
    "normalize_tag",
    "validate_actions",
]


class Service(RuleWrites, OutboxWrites, PeopleWrites, SlaWrites):
    """Writes on behalf of one actor; `clock` is injectable for tests and demo history."""
