"""What the runtime's background work tells its owner (the app, later the server)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal, Protocol, runtime_checkable

if TYPE_CHECKING:
    from deskterm.channels.sender import SendReport
    from deskterm.store.queries.mail import IngestStatus


SyncState = Literal["connecting", "synced", "pending", "offline", "refused"]


@dataclass(frozen=True)
class SyncStatus:
    """Where a replica stands with its server, as the footer shows it."""

    state: SyncState
    queued: int  # changes made here the server has not taken yet
    since: datetime | None = None  # offline: since the first failed try of this outage
    reason: str = ""  # offline or refused: the one-line why


class RuntimeListener(Protocol):
    """Called on the runtime's threads, never the caller's: hand the news on, do not block."""

    def store_touched(self) -> None:
        """Another connection committed (new mail, the CLI, the sender): tickets unknown."""

    def ingest_read(self, status: IngestStatus) -> None:
        """Mail intake status, read after the store changed (and once at start)."""

    def background_written(self, numbers: list[int], errors: list[str]) -> None:
        """The minute loop changed these tickets, or one of its steps failed."""

    def send_reported(self, report: SendReport) -> None:
        """The sender finished a pass that sent, deferred or failed something."""

    def sync_changed(self, status: SyncStatus) -> None:
        """A replica's sync state moved (connected, pushed, went offline, was refused)."""

    def background_failed(self, error: BaseException) -> None:
        """A background step failed outside what the calls above report (e.g. the sender died)."""


@runtime_checkable
class PresenceListener(Protocol):
    """A listener that also shows who is on which ticket (the app; the server has no use)."""

    def presence_seen(self, number: int, agents: list[dict[str, Any]]) -> None:
        """A replica heard who is on ticket `number` now (email, name, state each)."""
