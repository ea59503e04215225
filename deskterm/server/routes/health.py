"""`/healthz` for load balancers and `deskterm status`; `/metrics` for Prometheus."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from deskterm import __version__
from deskterm.server.auth import CallerAgent
from deskterm.server.deps import server_state
from deskterm.store.schema.db import schema_version

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz(request: Request) -> dict[str, Any]:
    """Alive and the store answers; no token needed, no data given."""
    store = server_state(request).store
    return {"status": "ok", "version": __version__, "schema": schema_version(store.read())}


@router.get("/metrics", response_class=Response)
def metrics(request: Request, _agent: CallerAgent) -> Response:
    """Prometheus text format; scrape with an agent token (`bearer_token` in the scrape job)."""
    body = generate_latest(server_state(request).metrics.registry)
    return Response(body, media_type=CONTENT_TYPE_LATEST)
