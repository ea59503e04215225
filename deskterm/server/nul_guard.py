"""Requests carrying a NUL character (U+0000) are refused with 422, before any store sees them.

PostgreSQL's text cannot hold NUL, and no help-desk text needs it (mail ingest drops it
too, see `mail.parse`). Refusing it at the door makes both stores answer alike: one clear
422 naming where the NUL was, never a 5xx from the database on one of them.
"""

from __future__ import annotations

import re

from fastapi import Request
from starlette.datastructures import FormData

from deskterm.errors import UsageError

NUL = "\x00"
# In JSON a NUL is the escape \u0000; an even run of backslashes before it is escaped
# backslashes, not an escape. A raw NUL byte is invalid JSON and never gets this far.
_JSON_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")
BINARY = "application/octet-stream"
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _refuse(where: str) -> UsageError:
    return UsageError(f"text may not contain NUL characters (\\u0000); found in {where}")


async def refuse_nul(request: Request) -> None:
    """App-wide dependency: the path, query parameters and body of a request hold no NUL."""
    if NUL in request.scope["path"]:
        raise _refuse("the path")
    for name, value in request.query_params.multi_items():
        if NUL in name or NUL in value:
            raise _refuse(f"query parameter {name.replace(NUL, '')!r}")
    if request.method in {"GET", "HEAD", "OPTIONS"}:
        return
    if request.headers.get("content-type", "").startswith(BINARY):
        return  # a file's bytes (a replica's upload), not text
    if request.headers.get("content-type", "").startswith(_FORM_TYPES):
        _check_form(await request.form())  # parsed (and kept) already for a form route
    else:
        body = await request.body()  # read (and kept) already for a JSON route
        if NUL.encode() in body or _JSON_NUL.search(body):
            raise _refuse("the request body")


def _check_form(form: FormData) -> None:
    for name, value in form.multi_items():
        if NUL in name or (isinstance(value, str) and NUL in value):
            raise _refuse(f"form field {name.replace(NUL, '')!r}")
