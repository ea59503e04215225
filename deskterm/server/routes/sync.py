"""`/api/v1/sync`: replicas push their queued ops and pull what changed since their cursor.

Push: the server runs each op again through its service, once (ids per client).
Pull: the tickets stamped after the cursor, whole, in pages, with the catalog when it
changed and (first page) the articles changed or removed; the last page's `cookie` is
the replica's next cursor.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Request, Response, status
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from deskterm import __version__
from deskterm.errors import UsageError
from deskterm.server.auth import CallerAgent, actor_of
from deskterm.server.deps import server_state
from deskterm.store.queries.sync import (
    file_data,
    known_files,
    last_mutation,
    pull_page,
    read_catalog,
)
from deskterm.store.schema.db import schema_version
from deskterm.store.service.sync_push import Mutation, apply_push, note_seen

router = APIRouter(prefix="/api/v1/sync", tags=["sync"])

ClientId = Annotated[str, Field(min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]


class MutationIn(BaseModel):
    id: Annotated[int, Field(ge=1, le=2**62)]
    name: Annotated[str, Field(max_length=100)]
    args: dict[str, Any]
    made_at: datetime | None = None


class PushIn(BaseModel):
    client_id: ClientId
    mutations: Annotated[list[MutationIn], Field(max_length=1000)]


class PullIn(BaseModel):
    client_id: ClientId
    cursor: Annotated[int, Field(ge=-1, le=2**62)] = -1
    after: Annotated[str | None, Field(max_length=64, pattern=r"^-?\d{1,18},\d{1,18}$")] = None
    refs: Annotated[list[Annotated[str, Field(max_length=64)]], Field(max_length=10_000)] = []
    catalog: Annotated[str | None, Field(max_length=64)] = None
    limit: Annotated[int, Field(ge=1, le=2000)] = 500


def _own(request: Request, agent_id: int, client_id: str) -> int:
    """The replica's progress; a replica belongs to the agent who first synced from it."""
    store = server_state(request).store
    done, owner = last_mutation(store, client_id)
    if owner is not None and owner != agent_id:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "this replica belongs to another agent")
    note_seen(store, client_id, agent_id)
    return done


@router.post("/push")
def push(request: Request, agent: CallerAgent, body: PushIn) -> dict[str, Any]:
    """Run the replica's queued ops; answers how far they got and any notices."""
    _own(request, agent.id, body.client_id)
    state = server_state(request)
    result = apply_push(
        state.store,
        state.make_service,
        actor_of(agent),
        body.client_id,
        [Mutation(m.id, m.name, m.args, m.made_at) for m in body.mutations],
    )
    state.metrics.ops_applied.inc(len(result.applied))
    now = datetime.now(UTC)
    for mutation in result.applied:
        if mutation.made_at is not None and mutation.made_at.tzinfo is not None:
            # A replica's clock may run ahead: a change is never applied before it was made.
            state.metrics.sync_lag.observe(max((now - mutation.made_at).total_seconds(), 0.0))
    return {
        "last_mutation_id": result.last_mutation_id,
        "notices": {str(k): v for k, v in result.notices.items()},
    }


Digest = Annotated[str, Path(pattern=r"^[0-9a-f]{64}$")]
MAX_FILE_BYTES = 25 * 1024 * 1024  # what mail servers commonly take in one message


class FilesIn(BaseModel):
    sha256: Annotated[
        list[Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]], Field(max_length=1000)
    ]


@router.post("/files/missing")
def missing_files(request: Request, agent: CallerAgent, body: FilesIn) -> dict[str, list[str]]:
    """Which files (by sha256) a replica must upload before pushing the replies they go with."""
    known = known_files(server_state(request).store, body.sha256)
    return {"missing": [d for d in dict.fromkeys(body.sha256) if d not in known]}


@router.put("/files/{digest}", status_code=status.HTTP_204_NO_CONTENT)
async def upload_file(request: Request, agent: CallerAgent, digest: Digest) -> None:
    """A file of a reply written offline, stored by its content (the body, raw)."""
    data = await request.body()
    if len(data) > MAX_FILE_BYTES:
        raise HTTPException(413, "the file is over 25 MB")  # the name of 413 changed in Starlette
    if hashlib.sha256(data).hexdigest() != digest:
        raise UsageError("the file's contents do not have that sha256")
    service = server_state(request).make_service(actor_of(agent))
    await run_in_threadpool(service.keep_file, data)


@router.get("/files/{digest}")
def download_file(request: Request, agent: CallerAgent, digest: Digest) -> Response:
    """A file a pulled message carries, for a replica that does not hold it yet."""
    data = file_data(server_state(request).store, digest)
    if data is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such file")
    return Response(data, media_type="application/octet-stream")


@router.post("/pull")
def pull(request: Request, agent: CallerAgent, body: PullIn) -> dict[str, Any]:
    """A page of tickets changed after `cursor`; with `after`, the page after that one."""
    done = _own(request, agent.id, body.client_id)
    store = server_state(request).store
    page = pull_page(
        store, body.cursor, after=body.after, refs=body.refs, limit=body.limit, agent_id=agent.id
    )
    if body.cursor > page.cookie:
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            "the replica is ahead of the server (was the server restored from a backup?):"
            " run `deskterm join` again",
        )
    answer: dict[str, Any] = {
        "tickets": page.tickets,
        "missing": page.missing,
        "next": page.next,
        "cookie": page.cookie,
        "total": page.total,
        "read_marks": page.read_marks,
        "last_mutation_id": done,
        "schema": schema_version(store.read()),
        "version": __version__,
    }
    if body.after is None:
        answer |= {"articles": page.articles, "articles_gone": page.articles_gone}
        catalog, digest = read_catalog(store)
        answer["catalog_hash"] = digest
        if digest != body.catalog:
            answer["catalog"] = catalog
    return answer
