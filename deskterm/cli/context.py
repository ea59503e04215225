"""What every command needs, loaded lazily: config, store, the acting agent."""

from __future__ import annotations

import getpass
import os
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from deskterm.config import Config
    from deskterm.sla.policy import SlaSettings
    from deskterm.store.queries.filters import QueryContext
    from deskterm.store.schema.db import Store
    from deskterm.store.service import Actor, RuleSet, Service
    from deskterm.store.service.outbox import MailSettings


@dataclass
class Context:
    config_arg: Path | None = None
    db_arg: Path | None = None
    _config: Config | None = field(default=None, init=False)
    _store: Store | None = field(default=None, init=False)

    @property
    def config(self) -> Config:
        if self._config is None:
            from deskterm.config import load_config

            self._config = load_config(self.config_arg)
        return self._config

    def store_path(self) -> Path:
        if self.db_arg is not None:
            return self.db_arg.expanduser()
        env = os.environ.get("DESKTERM_DB")
        if env:
            return Path(env).expanduser()
        if self.config.store.path is not None:
            return self.config.store.path
        from deskterm.config import default_store_path

        return default_store_path()

    def store(self, *, create: bool = False) -> Store:
        if self._store is None:
            from deskterm.store.schema.db import open_store

            self._store = open_store(self.store_path(), create=create)
        return self._store

    def me_id(self) -> int | None:
        """The configured agent's id in this store, if they exist there."""
        email = self.config.agent.email
        row = None
        if email:
            row = (
                self.store()
                .read()
                .execute("SELECT id FROM agent WHERE lower(email) = lower(?)", (email,))
                .fetchone()
            )
        return None if row is None else int(row[0])

    def query_context(self) -> QueryContext:
        from deskterm.store.queries.filters import QueryContext

        me = self.me_id()
        email = self.config.agent.email
        if me is None and email:
            return QueryContext(
                me_unknown=f"[agent] email {email} names no agent in this store"
                " (see `deskterm agent list`; `deskterm agent add` adds one)"
            )
        return QueryContext(me_agent_id=me)

    def actor(self) -> Actor:
        """The configured agent (added to the store on first write), else the OS user."""
        from deskterm.store.service import Actor, Service

        agent = self.config.agent
        if agent.email:
            agent_id = self.me_id()
            if agent_id is None:
                agent_id = Service(self.store(), Actor.system()).ensure_agent(
                    agent.name or agent.email.split("@")[0], agent.email
                )
            return Actor(agent_id, agent.name or agent.email)
        return Actor(None, f"{getpass.getuser()} (cli)")

    def sla(self) -> SlaSettings | None:
        """The configured SLA policies, or None when there are none."""
        if not self.config.sla.policy:
            return None
        from deskterm.sla.settings import settings_from_config

        return settings_from_config(self.config.sla)

    def ruleset(self) -> RuleSet:
        from deskterm.rules.model import rules_from_config
        from deskterm.sla.settings import calendars_from_config
        from deskterm.store.service import RuleSet

        if not self.config.rules:
            return RuleSet()
        return RuleSet(rules_from_config(self.config.rules), calendars_from_config(self.config.sla))

    def service(self) -> Service:
        """The service with everything the config turns on: SLAs, rules, outgoing mail."""
        return self.service_for(self.actor())

    def service_for(self, actor: Actor) -> Service:
        """The configured service acting for `actor` (the server makes one per request)."""
        from deskterm.store.service import Service

        sla, rules, mail = self._service_settings
        return Service(self.store(), actor, sla=sla).with_rules(rules).with_mail(mail)

    @cached_property
    def _service_settings(self) -> tuple[SlaSettings | None, RuleSet, MailSettings]:
        """Built from the config once: a server builds a service per request."""
        from deskterm.store.service.outbox import MailSettings

        return self.sla(), self.ruleset(), MailSettings.from_config(self.config)

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
