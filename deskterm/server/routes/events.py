"""`GET /api/v1/events`: what changed, as server-sent events, for apps and scripts.

Each changed ticket is one `ticket` event whose `id` is its place in the sync journal
(`VERSION:ID`); a client that reconnects with `Last-Event-ID` (or `?since=`, or a
replica's sync cursor as a bare version) gets everything after it, even across a
server restart. A new stream starts with a `ready` event at the present.
`presence` events (no id: they are not replayed) say who is on a ticket now,
whenever that changes. A stream ends when its token is revoked (the client's
reconnect is then refused with 401).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.sse import EventSourceResponse, ServerSentEvent

from deskterm.server.auth import CallerAgent
from deskterm.server.deps import server_state
from deskterm.server.feed import PAGE
from deskterm.store.queries.changes import Position

router = APIRouter(prefix="/api/v1", tags=["events"])

RETRY_MS = 1000  # how soon a dropped client reconnects
IDLE_CHECK_S = 15.0  # a stream with nothing to say still looks at the feed this often


def _resume_at(
    last_event_id: Annotated[str | None, Header(max_length=64)] = None,
    since: Annotated[
        str | None, Query(max_length=64, description="Same as Last-Event-ID (for scripts).")
    ] = None,
) -> Position | None:
    """Where the client left off; checked before the stream starts (a bad id is a 422)."""
    start = last_event_id or since
    return Position.decode(start) if start else None


@router.get("/events", response_class=EventSourceResponse)
async def events(
    request: Request,
    _agent: CallerAgent,
    resume: Annotated[Position | None, Depends(_resume_at)],
) -> AsyncIterator[ServerSentEvent]:
    """Changed tickets as `ticket` events (JSON data), resumable with `Last-Event-ID`."""
    state = server_state(request)
    feed = state.feed
    token_hash: str = request.state.token_hash
    now = await feed.join(token_hash)
    state.metrics.streams.inc()
    try:
        position = resume or Position(now)
        yield ServerSentEvent(
            event="ready", id=position.encode(), data={"version": now}, retry=RETRY_MS
        )
        seen_presence = 0
        while not feed.revoked(token_hash):
            generation = feed.pulse.generation
            board = feed.presence
            for number in board.changes_since(seen_presence):
                agents = [here.to_json() for here in board.on(number)]
                if not agents and not seen_presence:
                    continue  # a new stream needs who is somewhere, not who left before it
                yield ServerSentEvent(event="presence", data={"number": number, "agents": agents})
            seen_presence = board.generation
            changes = await feed.changes_after(position)
            for change in changes:
                position = change.position
                yield ServerSentEvent(event="ticket", id=position.encode(), data=change.to_json())
            if len(changes) < PAGE:
                await feed.pulse.wait_past(generation, IDLE_CHECK_S)
    finally:
        feed.leave(token_hash)
        state.metrics.streams.dec()
