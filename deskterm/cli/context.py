"""What every command needs, loaded lazily: config, the runtime over the store, the actor."""

from __future__ import annotations

import gc
import getpass
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from deskterm.config import Config
    from deskterm.runtime import Runtime
    from deskterm.store.schema.db import Store
    from deskterm.store.search.filters import QueryContext
    from deskterm.store.service import Actor, RuleSet, Service
    from deskterm.views import ViewDef


@dataclass
class Context:
    config_arg: Path | None = None
    db_arg: str | None = None  # a store file, or a PostgreSQL URL (a server's store)
    _config: Config | None = field(default=None, init=False)
    _runtime: Runtime | None = field(default=None, init=False)
    _frozen: bool = field(default=False, init=False)

    @property
    def config(self) -> Config:
        if self._config is None:
            from deskterm.config import load_config

            self._config = load_config(self.config_arg)
        return self._config

    def store_location(self) -> Path | str:
        """The store file, or the PostgreSQL URL given by --db / DESKTERM_DB."""
        from deskterm.store.schema.urls import is_database_url

        given = self.db_arg if self.db_arg is not None else os.environ.get("DESKTERM_DB")
        if given and is_database_url(given):
            return given
        return self.store_path()

    def store_path(self) -> Path:
        """The store file (a command that needs a local file: `join`, the app)."""
        given = self.db_arg if self.db_arg is not None else os.environ.get("DESKTERM_DB")
        if given:
            from deskterm.store.schema.urls import is_database_url, shown

            if is_database_url(given):
                from deskterm.errors import UsageError

                raise UsageError(f"{shown(given)}: this needs a store file, not a database URL")
            return Path(given).expanduser()
        if self.config.store.path is not None:
            return self.config.store.path
        from deskterm.config import default_store_path

        return default_store_path()

    def runtime(self) -> Runtime:
        """The runtime over this store, as the app builds it (`store()` opens the store)."""
        if self._runtime is None:
            from deskterm.runtime import Runtime

            self._runtime = Runtime(self.config, self.store_location())
        return self._runtime

    def store(self, *, create: bool = False) -> Store:
        return self.runtime().open(create=create)

    def me_email(self) -> str:
        """Who you are: on a replica the agent whose token joined it, else [agent] email."""
        from deskterm.store.queries.replica import replica_agent

        return replica_agent(self.store()) or self.config.agent.email

    def me_id(self) -> int | None:
        """The configured agent's id in this store, if they exist there."""
        from deskterm.store.queries.catalog import agent_id_by_email

        email = self.me_email()
        return agent_id_by_email(self.store(), email) if email else None

    def query_context(self) -> QueryContext:
        from deskterm.store.search.filters import QueryContext

        me = self.me_id()
        email = self.config.agent.email
        if me is None and email:
            return QueryContext(
                me_unknown=f"[agent] email {email} names no agent in this store"
                " (see `deskterm agent list`; `deskterm agent add` adds one)"
            )
        return QueryContext(me_agent_id=me)

    def views(self) -> list[ViewDef]:
        """The views the app shows, in key order: built-in, configured, stored."""
        from deskterm.store.queries.catalog import list_views
        from deskterm.views import all_views

        return all_views(
            [(v.name, v.query) for v in self.config.views],
            sla=bool(self.config.sla.policy),
            stored=[(v.name, v.query) for v in list_views(self.store())],
        )

    def actor(self) -> Actor:
        """The configured agent (added to the store on first write), else the OS user."""
        with self._loading():
            from deskterm.store.service import Actor

        agent = self.config.agent
        email = self.me_email()
        if email != agent.email:  # a replica: its agent came with the server's catalog
            from deskterm.store.queries.catalog import find_agent

            found = find_agent(self.store(), email)
            return Actor(found.id, found.name)
        if agent.email:
            agent_id = self.me_id()
            if agent_id is None:
                agent_id = (
                    self.runtime()
                    .service(Actor.system())
                    .ensure_agent(agent.name or agent.email.split("@")[0], agent.email)
                )
            return Actor(agent_id, agent.name or agent.email)
        _tell_once_who_you_are()
        return Actor(None, agent.name or f"{getpass.getuser()} (cli)")

    def ruleset(self) -> RuleSet:
        return self.runtime().ruleset()

    def service(self) -> Service:
        """The service with everything the config turns on: SLAs, rules, outgoing mail."""
        return self.service_for(self.actor())

    def service_for(self, actor: Actor) -> Service:
        """The configured service acting for `actor` (the server makes one per request)."""
        self.store()
        return self.runtime().service(actor)

    @contextmanager
    def _loading(self) -> Iterator[None]:
        """Load the service layer with the garbage collector off, then freeze what it made.

        SQLAlchemy, pydantic and the table classes make ~70,000 objects that live
        until exit; ~200 collector passes over them while they load, and more
        during the command, cost about a tenth of a CLI write's CPU.
        """
        if self._frozen or not gc.isenabled():
            yield
            return
        gc.disable()
        try:
            yield
        finally:
            gc.freeze()
            self._frozen = True
            gc.enable()

    def close(self) -> None:
        if self._runtime is not None:
            self._runtime.close()
        if self._frozen:
            gc.unfreeze()  # back to the collector: tests run many commands in one process
            self._frozen = False


def _tell_once_who_you_are() -> None:
    """Say (once per user) how to sign changes with your name: noted now, printed by
    `deskterm.cli.main` after the command succeeded (an error stays one line)."""
    from platformdirs import user_data_path

    marker = user_data_path("deskterm") / ".told-agent"
    if marker.exists():
        return
    NOTES[marker] = (
        "note: no [agent] email in the config, so your changes are signed"
        f" '{getpass.getuser()} (cli)' and canned replies have no agent name;"
        " `deskterm init --name NAME --email EMAIL` sets it (said once)"
    )


def print_notes() -> None:
    """Print the notes a successful command left, each once per user."""
    import sys

    for marker, text in NOTES.items():
        print(f"deskterm: {text}", file=sys.stderr)
        try:
            marker.parent.mkdir(parents=True, exist_ok=True)
            marker.touch()
        except OSError:
            pass  # cannot remember: say it again next time
    NOTES.clear()


# Notes for the user, keyed by the file that records they were told.
NOTES: dict[Path, str] = {}
