"""Who is on which ticket right now: viewing or replying, kept in memory with an expiry.

Apps send a heartbeat while a ticket is open (`POST /api/v1/presence`); an entry not
renewed within `ttl` seconds is gone (a closed laptop says nothing). Every change
is numbered, so each event stream sends only the tickets whose people changed since
it last looked. Presence is never stored: a restart forgets it, the next heartbeats
bring it back. On PostgreSQL every heartbeat is also sent (NOTIFY) to the other
`serve` processes, whose boards take it as their own.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

TTL_S = 30.0  # apps beat every 10 s: two lost beats are forgiven


@dataclass(frozen=True, slots=True)
class Here:
    """One agent on one ticket."""

    email: str
    name: str
    state: str  # viewing | replying
    expires: float

    def to_json(self) -> dict[str, Any]:
        return {"email": self.email, "name": self.name, "state": self.state}


class PresenceBoard:
    """Tickets and the agents on them; `changes_since` tells streams what to send."""

    def __init__(self, ttl: float = TTL_S, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self.clock = clock
        self.generation = 0
        self._here: dict[int, dict[str, Here]] = {}
        self._changed: dict[int, int] = {}  # ticket number -> generation of its last change

    def _touch(self, number: int) -> None:
        self.generation += 1
        self._changed[number] = self.generation

    def beat(self, number: int, email: str, name: str, state: str) -> bool:
        """Renew (or end, with state `gone`) an agent's presence; whether anyone sees a change."""
        on = self._here.setdefault(number, {})
        before = on.get(email)
        if state == "gone":
            if on.pop(email, None) is None:
                return False
            self._touch(number)
            return True
        on[email] = Here(email, name, state, self.clock() + self.ttl)
        if before is not None and (before.state, before.name) == (state, name):
            return False
        self._touch(number)
        return True

    def expire(self) -> bool:
        """Drop entries past their time; whether any went."""
        now = self.clock()
        gone = False
        for number, on in self._here.items():
            for email in [e for e, here in on.items() if here.expires <= now]:
                del on[email]
                self._touch(number)
                gone = True
        return gone

    def on(self, number: int) -> list[Here]:
        return sorted(self._here.get(number, {}).values(), key=lambda h: h.email)

    def changes_since(self, generation: int) -> list[int]:
        """Tickets whose people changed after `generation`."""
        return sorted(n for n, g in self._changed.items() if g > generation)
