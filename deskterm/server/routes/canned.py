"""`/api/v1/canned`: canned replies to read (agents) and to write (admins)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request, Response, status
from pydantic import BaseModel, Field

from deskterm.server.auth import CallerAdmin, CallerAgent, actor_of
from deskterm.server.deps import server_state, store_of
from deskterm.store.queries.catalog import get_canned, list_canned

router = APIRouter(prefix="/api/v1/canned", tags=["canned"])

Name = Annotated[str, Path(max_length=200)]


class CannedIn(BaseModel):
    body: Annotated[str, Field(max_length=100_000)]
    actions: dict[str, Any] = Field(
        default_factory=dict, description="status, priority, add_tags, assign"
    )


@router.get("")
def list_(request: Request, _agent: CallerAgent) -> list[dict[str, Any]]:
    return [c.to_json() for c in list_canned(store_of(request))]


@router.get("/{name}")
def get(request: Request, _agent: CallerAgent, name: Name) -> dict[str, Any]:
    return get_canned(store_of(request), name).to_json()


@router.put("/{name}")
def put(
    request: Request, admin: CallerAdmin, name: Name, canned: CannedIn, response: Response
) -> dict[str, Any]:
    """Admins only: add or replace a canned reply (a broken template is refused)."""
    state = server_state(request)
    exists = any(c.name == name.strip() for c in list_canned(state.store))
    state.make_service(actor_of(admin)).save_canned(
        name, canned.body, canned.actions, create=not exists
    )
    if not exists:
        response.status_code = status.HTTP_201_CREATED
    return get_canned(state.store, name.strip()).to_json()


@router.delete("/{name}", status_code=status.HTTP_204_NO_CONTENT)
def delete(request: Request, admin: CallerAdmin, name: Name) -> None:
    server_state(request).make_service(actor_of(admin)).remove_canned(name)
