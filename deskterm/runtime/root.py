"""`Runtime`: the store, who is working, and a Service built from the config.

The parts are built on first use and kept (any thread): the write path imports
SQLAlchemy (~1 s), so callers ask for a Service inside the worker that uses it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from deskterm.config import Config
from deskterm.errors import DesktermError, NotFoundError
from deskterm.store.queries.catalog import find_agent, list_agents
from deskterm.store.queries.records import AgentRecord
from deskterm.store.schema.db import Store, open_store
from deskterm.store.schema.timefmt import utcnow

if TYPE_CHECKING:
    from deskterm.channels.imap import FetchReport
    from deskterm.channels.intake import IntakeSettings
    from deskterm.channels.sender import Sender
    from deskterm.runtime.listener import RuntimeListener
    from deskterm.runtime.live import LiveSync
    from deskterm.runtime.solo import SoloWork
    from deskterm.sla.policy import SlaSettings
    from deskterm.store.service import Actor, RuleSet, Service
    from deskterm.store.service.delivery import MailSettings
    from deskterm.store.service.ingest import MailIngest

Clock = Callable[[], datetime]


@dataclass(frozen=True)
class Timings:
    """How often solo mode's background work runs, in seconds (tests shorten them)."""

    poll: float = 2.0  # store watching: commits by other processes
    minute: float = 60.0  # time rules and passed SLA due times
    sender: float = 2.0  # due mail (a send nudges the sender at once)


class Runtime:
    """One store under one config: what the app, the CLI and the server share."""

    def __init__(
        self,
        config: Config,
        store_path: Path | str,
        *,
        clock: Clock | None = None,
        timings: Timings | None = None,
    ) -> None:
        self.config = config
        self.store_path = store_path
        self.clock: Clock = clock or utcnow
        self.timings = timings or Timings()
        self.me: AgentRecord | None = None
        """Who the app works as (see `identify`); the CLI passes its actor instead."""
        self._store: Store | None = None
        self._ruleset: RuleSet | None = None
        self._mail: MailSettings | None = None
        self._parts_lock = threading.Lock()
        self._solo: SoloWork | None = None
        self._live: LiveSync | None = None
        self._here: tuple[int, str] | None = None  # the ticket the app shows (presence)
        self._stopped = False

    # -- the store and who works in it -------------------------------------------------

    def open(self, *, create: bool = False) -> Store:
        """Open (migrating if needed) the store; later calls return the same one."""
        if self._store is None:
            self._store = open_store(self.store_path, create=create)
        return self._store

    @property
    def store(self) -> Store:
        """The open store; a one-line error before `open`."""
        if self._store is None:
            raise DesktermError("the store is not open yet")
        return self._store

    def identify(self) -> AgentRecord | None:
        """The configured [agent], else the store's first admin; kept as `me`."""
        store = self.open()
        me: AgentRecord | None = None
        from deskterm.store.queries.replica import replica_agent

        email = replica_agent(store) or self.config.agent.email  # a replica: its token's agent
        if email:
            try:
                me = find_agent(store, email)
            except NotFoundError:
                me = None
        if me is None:
            me = next((a for a in list_agents(store) if a.role == "admin"), None)
        self.me = me
        return me

    # -- what the config turns on ------------------------------------------------------

    @cached_property
    def sla(self) -> SlaSettings | None:
        """The configured SLA policies (None: no `[[sla.policy]]`, no due times)."""
        if not self.config.sla.policy:
            return None
        from deskterm.sla.settings import settings_from_config

        return settings_from_config(self.config.sla)

    def ruleset(self) -> RuleSet:
        """The configured rules, read from the config once."""
        with self._parts_lock:
            if self._ruleset is None:
                from deskterm.store.service import RuleSet

                self._ruleset = RuleSet()
                if self.config.rules:
                    from deskterm.rules.model import rules_from_config
                    from deskterm.sla.settings import calendars_from_config

                    self._ruleset = RuleSet(
                        rules_from_config(self.config.rules),
                        calendars_from_config(self.config.sla),
                    )
            return self._ruleset

    def mail_settings(self) -> MailSettings:
        """[[mailbox]] and [mail] as the outbox and the sender use them."""
        with self._parts_lock:
            if self._mail is None:
                from deskterm.store.service.delivery import MailSettings

                self._mail = MailSettings.from_config(self.config)
            return self._mail

    @cached_property
    def replica(self) -> bool:
        """The store is a replica of a team server: the server fetches, mails and runs
        the minute loop; this store never touches IMAP or SMTP."""
        from deskterm.store.service.sync_journal import is_replica

        return is_replica(self.open())

    @property
    def mail_enabled(self) -> bool:
        """A [[mailbox]] can send: replies to email tickets go out through the outbox."""
        return any(box.smtp_host for box in self.config.mailbox) and not self.replica

    @property
    def has_minute_work(self) -> bool:
        """SLAs to watch or time rules to run: solo mode needs its minute loop."""
        wanted = self.sla is not None or any(r.trigger == "time" for r in self.config.rules)
        return wanted and not self.replica

    def mail_ingest(self, settings: IntakeSettings) -> MailIngest:
        """Mail intake into this store with the configured rules, SLAs and automatic mail."""
        from deskterm.store.service.ingest import MailIngest

        return (
            MailIngest(
                self.open(create=True),
                tag_prefix=settings.tag_prefix,
                own_addresses=settings.own_addresses(self.config),
                sla=self.sla,
            )
            .with_rules(self.ruleset())
            .with_mail(self.mail_settings())
        )

    def sender(self) -> Sender:
        """The outbox's delivery worker for this store (the app's thread or `deskterm send`)."""
        from deskterm.channels.sender import Sender

        return Sender(self.store, self.mail_settings(), clock=self.clock)

    def actor(self) -> Actor:
        """`me` as events record it, else the system."""
        from deskterm.store.service import Actor

        me = self.me
        return Actor(me.id, me.name) if me is not None else Actor.system()

    def service(self, actor: Actor | None = None) -> Service:
        """A Service acting as `actor` (default `actor()`) with the SLAs, rules and mail."""
        from deskterm.store.service import Service
        from deskterm.store.service.sync_journal import is_replica

        # A replica never sends mail: the server runs its replies again and mails them.
        mail = None if is_replica(self.store) else self.mail_settings()
        return (
            Service(self.store, actor or self.actor(), self.clock, sla=self.sla)
            .with_rules(self.ruleset())
            .with_mail(mail)
        )

    # -- solo mode ---------------------------------------------------------------------

    def start(
        self,
        listener: RuntimeListener,
        *,
        fetched: Callable[[FetchReport], None] | None = None,
        led: Callable[[bool], None] | None = None,
    ) -> None:
        """Start the background work, telling `listener` what it does; with `fetched`
        (the team server) also watch every [[mailbox]] and tell it each fetch, and
        `led` when this process starts or stops being the one that does the mail.

        Reads the store once first: call it off the UI thread. Once stopped, stays stopped.
        """
        from deskterm.runtime.solo import SoloWork
        from deskterm.store.service.sync_journal import is_replica

        with self._parts_lock:
            if self._solo is not None or self._stopped:
                return
            solo = self._solo = SoloWork(self, listener, fetched, led)
        solo.start()
        if is_replica(self.store):
            self._start_live(listener)

    def _start_live(self, listener: RuntimeListener) -> None:
        """A replica: follow the server's live stream, push what is written here."""
        from deskterm.runtime.live import LiveSync

        live = LiveSync(
            self.store, self.config.server.token_command, self.service, listener, self.clock
        )
        with self._parts_lock:
            if self._stopped:
                return
            self._live = live
        if self._here is not None:  # opened before the stream was up
            live.present(*self._here)
        live.start()

    def present(self, number: int | None, state: str = "viewing") -> None:
        """The app shows ticket `number` (None: none): a replica tells the server (any thread)."""
        self._here = None if number is None else (number, state)
        if self._live is not None:
            self._live.present(number, state)

    def nudge_sync(self) -> None:
        """A change was written here: a replica pushes it now (any thread)."""
        if self._live is not None:
            self._live.nudge()

    def nudge_sender(self) -> None:
        """A mail was queued: let the sender plan its next pass now (any thread)."""
        if self._solo is not None:
            self._solo.nudge_sender()

    def stop(self) -> None:
        """Stop the background work (the sender finishes the mail it is sending)."""
        with self._parts_lock:
            self._stopped = True
            solo, live = self._solo, self._live
        if live is not None:
            live.stop()
        if solo is not None:
            solo.stop()

    def close(self) -> None:
        """Stop, then close the store."""
        self.stop()
        if self._store is not None:
            self._store.close()
