"""Run Alembic migrations programmatically (imported only when a store needs them)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from deskterm.errors import StoreError

if TYPE_CHECKING:
    from alembic.config import Config

    from deskterm.store.schema.db import Store

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config(store: Store) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["store"] = store
    return cfg


def known_revisions(store: Store) -> list[str]:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config(store))
    return [rev.revision for rev in script.walk_revisions()]


def upgrade(store: Store, *, current: str | None, target: str = "head") -> None:
    """Bring the store to `target`; refuse a store made by a newer deskterm."""
    from alembic import command

    if current is not None and current not in known_revisions(store):
        raise StoreError(
            f"{store.where}: made by a newer deskterm (schema {current});"
            " upgrade deskterm to open it"
        )
    from sqlalchemy.exc import DBAPIError

    from deskterm.store.schema.db import describe

    try:
        command.upgrade(alembic_config(store), target)
    except DBAPIError as exc:
        if store.url is not None:
            from deskterm.store.schema import pg

            raise pg.describe(store.where, exc.orig) from exc  # type: ignore[arg-type]  # orig: the psycopg error
        raise describe(store.path, exc.orig) from exc  # type: ignore[arg-type]  # orig: the sqlite3 error
