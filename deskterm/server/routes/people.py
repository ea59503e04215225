"""`/api/v1/customers` and `/api/v1/agents`: who writes in, who answers (adding agents: admins)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, status
from pydantic import BaseModel, Field

from deskterm.server.auth import CallerAdmin, CallerAgent, actor_of
from deskterm.server.deps import server_state, store_of
from deskterm.store.queries.catalog import get_customer, list_agents, list_customers
from deskterm.vocab import Role

router = APIRouter(prefix="/api/v1", tags=["people"])


@router.get("/customers")
def customers(
    request: Request,
    _agent: CallerAgent,
    q: Annotated[str | None, Query(max_length=500, description="Part of email, name, org")] = None,
    after: Annotated[int | None, Query(ge=0, le=2**62, description="Last id of a page")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> dict[str, Any]:
    """Customers by id; pass the last id back as `after` for the next page."""
    rows = list_customers(store_of(request), text=q, after=after, limit=limit)
    return {
        "customers": [c.to_json() for c in rows],
        "next_after": rows[-1].id if len(rows) == limit else None,
    }


@router.get("/customers/{key}")
def customer(
    request: Request, _agent: CallerAgent, key: Annotated[str, Path(max_length=500)]
) -> dict[str, Any]:
    """A customer by id or email address."""
    found = get_customer(store_of(request), int(key) if key.isdecimal() else key)
    return found.to_json()


class AgentIn(BaseModel):
    name: Annotated[str, Field(min_length=1, max_length=200)]
    email: Annotated[str, Field(min_length=3, max_length=320)]
    role: Role = Role.AGENT


@router.get("/agents")
def agents(request: Request, _agent: CallerAgent) -> list[dict[str, Any]]:
    return [a.to_json() for a in list_agents(store_of(request))]


@router.get("/me")
def me(agent: CallerAgent) -> dict[str, Any]:
    """The agent this token belongs to."""
    return agent.to_json()


@router.post("/agents", status_code=status.HTTP_201_CREATED)
def add_agent(request: Request, admin: CallerAdmin, new: AgentIn) -> dict[str, Any]:
    """Admins only: a new agent and their token, shown this once (only its hash is kept)."""
    service = server_state(request).make_service(actor_of(admin))
    agent_id, token = service.add_agent(new.name, new.email, new.role)
    return {"id": agent_id, "email": new.email.strip().lower(), "token": token}
