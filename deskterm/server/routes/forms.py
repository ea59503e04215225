"""`POST /forms/contact`: the public web form that opens a `web` ticket (no token needed).

Bots are turned away two ways: a honeypot field people never see (filled: answered as
if accepted, nothing stored) and limits per sender address and per client IP (429).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Request, status
from pydantic import BaseModel, Field

from deskterm.server.deps import server_state
from deskterm.store.service import Actor
from deskterm.vocab import Channel

router = APIRouter(tags=["forms"])


class ContactForm(BaseModel):
    email: Annotated[str, Field(min_length=3, max_length=320)]
    name: Annotated[str, Field(max_length=200)] = ""
    subject: Annotated[str, Field(max_length=500)] = ""
    message: Annotated[str, Field(min_length=1, max_length=50_000)]
    website: Annotated[str, Field(max_length=500, description="Honeypot: leave empty.")] = ""


@router.post("/forms/contact", status_code=status.HTTP_202_ACCEPTED)
def contact(request: Request, form: Annotated[ContactForm, Form()]) -> dict[str, Any]:
    """Take a message from the site's contact form; it becomes a ticket in the `web` channel."""
    open_web_ticket(request, form)
    return {"accepted": True}


def open_web_ticket(request: Request, form: ContactForm) -> bool:
    """The form's ticket (False: a bot's, dropped); 429 past the limits (the /contact page too)."""
    if form.website:
        return False
    state = server_state(request)
    ip = request.client.host if request.client else "unknown"
    if not state.form_limits.ip.allow(ip) or not state.form_limits.address.allow(
        form.email.strip().lower()
    ):
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS, "too many messages; please try again later"
        )
    state.make_service(Actor(None, "web form")).create_ticket(
        form.subject or (form.message.strip().splitlines() or [""])[0][:80],
        form.message,
        form.email,
        form.name,
        channel=Channel.WEB,
    )
    return True
