"""Bearer tokens: a caller is the agent whose stored token hash matches; admins pass a second gate.

Only the SHA-256 of a token is stored (`agent add` prints the token once), so a copy of
the store grants nobody access. A missing, unknown or revoked token gets 401 and no data.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from deskterm.server.deps import store_of
from deskterm.store.queries.catalog import find_agent_by_token
from deskterm.store.queries.records import AgentRecord
from deskterm.store.service import Actor, hash_token
from deskterm.vocab import Role

_bearer = HTTPBearer(auto_error=False, description="An agent token from `deskterm agent add`.")


def _refuse(detail: str) -> HTTPException:
    return HTTPException(
        status.HTTP_401_UNAUTHORIZED, detail, headers={"WWW-Authenticate": "Bearer"}
    )


def current_agent(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> AgentRecord:
    if credentials is None or not credentials.credentials:
        raise _refuse("a bearer token is needed (Authorization: Bearer TOKEN)")
    token_hash = hash_token(credentials.credentials)
    agent = find_agent_by_token(store_of(request), token_hash)
    if agent is None:
        raise _refuse("the token is not valid (unknown or revoked); ask an admin for a new one")
    request.state.token_hash = token_hash  # a long stream checks it is still held
    return agent


def current_admin(agent: Annotated[AgentRecord, Depends(current_agent)]) -> AgentRecord:
    if agent.role != Role.ADMIN:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "this call is for admins only")
    return agent


def actor_of(agent: AgentRecord) -> Actor:
    return Actor(agent.id, agent.name)


CallerAgent = Annotated[AgentRecord, Depends(current_agent)]
CallerAdmin = Annotated[AgentRecord, Depends(current_admin)]
