"""`/api/v1/presence`: apps say who is on a ticket; streams and a GET tell the others."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Request, Response, status
from pydantic import BaseModel, Field

from deskterm.server.auth import CallerAgent
from deskterm.server.deps import server_state

router = APIRouter(prefix="/api/v1/presence", tags=["presence"])

Number = Annotated[int, Path(ge=1, le=2**62)]


class PresenceIn(BaseModel):
    ticket: Annotated[int, Field(ge=1, le=2**62)]
    state: Literal["viewing", "replying", "gone"]


@router.post("", status_code=status.HTTP_204_NO_CONTENT)
async def beat(request: Request, agent: CallerAgent, body: PresenceIn) -> Response:
    """A heartbeat (every 10 s while a ticket is open; an entry lasts 30 s) or `gone`."""
    feed = server_state(request).feed
    if feed.presence.beat(body.ticket, agent.email, agent.name, body.state):
        feed.pulse.beat()
    # Every beat, renewals too: the other processes' boards expire what is not renewed.
    await feed.announce(body.ticket, agent.email, agent.name, body.state)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/{number}")
async def on_ticket(request: Request, _agent: CallerAgent, number: Number) -> list[dict[str, Any]]:
    """Who is on ticket `number` now."""
    return [here.to_json() for here in server_state(request).feed.presence.on(number)]
