"""Expected failures as HTTP answers: one line of detail, the right status, never a trace."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from deskterm.errors import (
    AuthError,
    DesktermError,
    NotFoundError,
    StoreError,
    TemplateError,
    UsageError,
)

# The first matching class decides (subclasses before their bases).
_STATUS: tuple[tuple[type[DesktermError], int], ...] = (
    (NotFoundError, 404),
    (UsageError, 422),
    (TemplateError, 422),
    (AuthError, 401),
    (StoreError, 503),
)


def status_for(exc: DesktermError) -> int:
    return next((code for kind, code in _STATUS if isinstance(exc, kind)), 409)


def install(app: FastAPI) -> None:
    @app.exception_handler(DesktermError)
    async def _deskterm_error(_request: Request, exc: DesktermError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=status_for(exc))
