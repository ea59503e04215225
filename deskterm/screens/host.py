"""What screens need from the app, and nothing more: `DeskHost`.

Screens sit below the app and cannot import it: the app hands itself to each
screen it opens as a `DeskHost` (the type checker holds it to the protocol).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from deskterm.config import Config
    from deskterm.drafts import Drafts
    from deskterm.runtime.listener import SyncStatus
    from deskterm.sla.policy import SlaSettings
    from deskterm.store.queries.mail import IngestStatus
    from deskterm.store.queries.records import AgentRecord
    from deskterm.store.schema.db import Store
    from deskterm.store.search.filters import QueryContext
    from deskterm.store.service import Service


class DeskHost(Protocol):
    """The store, who is working, the clock, drafts, and how to tell the agent things."""

    config: Config
    me: AgentRecord | None
    drafts: Drafts
    ingest_status: IngestStatus | None
    sync_status: SyncStatus | None  # None: not a replica (or not connected yet)
    stored_views: list[tuple[str, str]]  # (name, query) of the views kept in the store

    @property
    def sla(self) -> SlaSettings | None:
        """The configured SLA policies (None: no due times to show)."""

    def now(self) -> datetime: ...

    def query_context(self) -> QueryContext: ...

    def open_store_or_fail(self) -> Store:
        """The open store (any thread); a one-line error before it is open."""

    def service(self) -> Service:
        """A Service acting as "me": build it in the worker that writes."""

    def present(self, number: int | None, state: str = "viewing") -> None:
        """The ticket on screen (None: none), viewing or replying: others see it (any thread)."""

    def nudge_sender(self) -> None:
        """A mail was queued: the sender should look now (any thread)."""

    def notify_error(self, text: str) -> None: ...

    def store_changed(self, numbers: Iterable[int]) -> None:
        """A write finished: every screen on the stack refreshes (no numbers: unknown)."""

    def save_drafts(self) -> None: ...
