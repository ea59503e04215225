"""What runs before every commit, in this order: the one place to add a consequence of a change.

Each hook is a function of the `UnitOfWork` (see `unit_of_work.Hook`): it reads what the
change touched (`uow.touched_ids`, `uow.tickets()`) and wrote (`uow.events`), and
writes through `uow.session` or `uow.db` inside the same transaction. Order matters:
rules first (their changes are part of the change), then SLA due times over
everything touched, then the agent's read marks at the final `updated_at`, then
the report rollups, which count every event the hooks before them wrote, then
the sync journal, last, as it stamps every ticket the others touched.
A hook that raises rolls the whole change back.
"""

from __future__ import annotations

from deskterm.store.service.read_marks import mark_read
from deskterm.store.service.report_hook import report_rollups
from deskterm.store.service.rules import run_rules
from deskterm.store.service.sla import refresh_sla
from deskterm.store.service.sync_journal import journal
from deskterm.store.service.unit_of_work import Hook

BEFORE_COMMIT: tuple[Hook, ...] = (
    run_rules,
    refresh_sla,
    mark_read,
    report_rollups,
    journal,
)
