"""The service layer: the only code that changes the store.

`Service` (facade.py) opens one `UnitOfWork` per change (unit_of_work.py); the
area modules make the change through the recording functions (records.py), and
the hooks of hooks.BEFORE_COMMIT run before the commit.
"""

from __future__ import annotations

from deskterm.rules.engine import RuleSet
from deskterm.store.service.canned import validate_actions
from deskterm.store.service.facade import Service
from deskterm.store.service.lookups import Created, normalize_tag
from deskterm.store.service.people import hash_token
from deskterm.store.service.unit_of_work import Actor

__all__ = [
    "Actor",
    "Created",
    "RuleSet",
    "Service",
    "hash_token",
    "normalize_tag",
    "validate_actions",
]
