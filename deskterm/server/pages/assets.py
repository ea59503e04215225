"""`/assets/...`: the pages' stylesheet (the configured accent in it) and the one script."""

from __future__ import annotations

import functools
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import Response

from deskterm.server.pages.render import environment, site_of

router = APIRouter(include_in_schema=False)
STATIC = Path(__file__).with_name("static")
CACHE = {"Cache-Control": "public, max-age=3600"}


@router.get("/assets/site.css")
def stylesheet(request: Request) -> Response:
    css = environment().get_template("site.css").render(site=site_of(request))
    return Response(css, media_type="text/css", headers=CACHE)


@functools.cache
def _script() -> str:
    return (STATIC / "contact.js").read_text(encoding="utf-8")


@router.get("/assets/contact.js")
def contact_script() -> Response:
    return Response(_script(), media_type="text/javascript", headers=CACHE)
