"""Report rollups, version 3: days are the report calendar's days, not UTC days.

A store whose report calendar is in UTC keeps its rollups as they are (its days
do not move). Another zone moves the events near midnight to other days, so
such a store with tickets is marked stale until `deskterm report --rebuild`:
a migration does not read every ticket again.

Revision ID: 0018
Revises: 0017
"""

import json

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def _moves_days() -> bool:
    """True when the stored calendar is not in UTC and there are tickets to count."""
    bind = op.get_bind()
    spec = bind.execute(sa.text("SELECT value FROM report_meta WHERE key = 'calendar'")).scalar()
    zone = json.loads(spec)["timezone"] if spec else "UTC"
    return (
        zone != "UTC" and bind.execute(sa.text("SELECT 1 FROM ticket LIMIT 1")).first() is not None
    )


def _set_version(version: str) -> None:
    if _moves_days():
        op.execute("UPDATE report_meta SET value = 'stale' WHERE key = 'state'")
    op.execute(f"UPDATE report_meta SET value = '{version}' WHERE key = 'version'")


def upgrade() -> None:
    _set_version("3")


def downgrade() -> None:
    _set_version("2")
