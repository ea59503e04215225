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

import json
from collections.abc import AsyncIterator
from functools import lru_cache
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import StreamingResponse
from fastapi.sse import KEEPALIVE_COMMENT, EventSourceResponse, format_sse_event

from deskterm.server.auth import CallerAgent
from deskterm.server.deps import ServerState, server_state
from deskterm.server.feed import PAGE
from deskterm.store.queries.changes import Change, Position

router = APIRouter(prefix="/api/v1", tags=["events"])

RETRY_MS = 1000  # how soon a dropped client reconnects
IDLE_CHECK_S = 15.0  # a stream with nothing to say looks at the feed, and pings, this often


def _resume_at(
    last_event_id: Annotated[str | None, Header(max_length=64)] = None,
    since: Annotated[
        str | None, Query(max_length=64, description="Same as Last-Event-ID (for scripts).")
    ] = None,
) -> Position | None:
    """Where the client left off; checked before the stream starts (a bad id is a 422)."""
    start = last_event_id or since
    return Position.decode(start) if start else None


# The wire format of one event, for the OpenAPI document (OpenAPI 3.2's itemSchema).
_EVENT_SCHEMA = {
    "type": "object",
    "properties": {
        "data": {"type": "string"},
        "event": {"type": "string"},
        "id": {"type": "string"},
        "retry": {"type": "integer", "minimum": 0},
    },
}


# Not `response_class=EventSourceResponse`: that makes FastAPI encode the stream itself.
@router.get(
    "/events",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {"itemSchema": _EVENT_SCHEMA}}}},
)
async def events(
    request: Request,
    _agent: CallerAgent,
    resume: Annotated[Position | None, Depends(_resume_at)],
) -> EventSourceResponse:
    """Changed tickets as `ticket` events (JSON data), resumable with `Last-Event-ID`."""
    stream = _stream(server_state(request), request.state.token_hash, resume)
    # No caching, and no buffering in nginx: each event goes out as it happens.
    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return EventSourceResponse(stream, headers=headers)


def _frame(event: str, data: dict[str, Any], **fields: Any) -> bytes:
    return format_sse_event(event=event, data_str=json.dumps(data), **fields)


@lru_cache(maxsize=PAGE)
def _ticket_frame(change: Change) -> bytes:
    """A change as its event, encoded once for every stream it goes to."""
    return _frame("ticket", change.to_json(), id=change.position.encode())


async def _stream(
    state: ServerState, token_hash: str, resume: Position | None
) -> AsyncIterator[bytes]:
    """The events of one stream, as bytes on the wire.

    Written out here rather than yielded to FastAPI as `ServerSentEvent`s: its encoder
    runs each item through two tasks and two queues, and with 200 streams open that
    was most of what a change cost the server.
    """
    feed = state.feed
    now = await feed.join(token_hash)
    state.metrics.streams.inc()
    try:
        position = resume or Position(now)
        yield _frame("ready", {"version": now}, id=position.encode(), retry=RETRY_MS)
        seen_presence = 0
        while not feed.revoked(token_hash):
            generation = feed.pulse.generation
            board = feed.presence
            for number in board.changes_since(seen_presence):
                agents = [here.to_json() for here in board.on(number)]
                if not agents and not seen_presence:
                    continue  # a new stream needs who is somewhere, not who left before it
                yield _frame("presence", {"number": number, "agents": agents})
            seen_presence = board.generation
            changes = await feed.changes_after(position)
            for change in changes:
                position = change.position
                yield _ticket_frame(change)
            if len(changes) < PAGE and not await feed.pulse.wait_past(generation, IDLE_CHECK_S):
                yield KEEPALIVE_COMMENT  # keeps proxies from closing a quiet stream
    finally:
        feed.leave(token_hash)
        state.metrics.streams.dec()
