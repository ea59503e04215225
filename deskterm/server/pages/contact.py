"""`/contact`: the contact form with suggested articles, sent through the web-form endpoint.

Without JavaScript, "Find answers" asks for the page again with the suggestions; with
it, they appear as the subject is typed. A form sent after a suggested article was
read is counted with it; one not sent after reading is an abandoned contact.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse
from pydantic import ValidationError

from deskterm.errors import NotFoundError
from deskterm.kb.counts import KbEventKind
from deskterm.server.deps import server_state
from deskterm.server.pages.kb import READ_COOKIE, SUGGESTIONS
from deskterm.server.pages.render import page
from deskterm.server.pages.view_counts import PUBLIC
from deskterm.server.routes.forms import ContactForm, open_web_ticket
from deskterm.store.queries import kb as articles

router = APIRouter(include_in_schema=False)
_FIELDS = ("email", "name", "subject", "message")


@router.get("/contact", response_class=HTMLResponse)
def contact_page(
    request: Request,
    email: Annotated[str, Query(max_length=320)] = "",
    name: Annotated[str, Query(max_length=200)] = "",
    subject: Annotated[str, Query(max_length=500)] = "",
    message: Annotated[str, Query(max_length=50_000)] = "",
) -> HTMLResponse:
    form = {"email": email, "name": name, "subject": subject, "message": message}
    return _form(request, form)


def _form(
    request: Request, form: dict[str, str], error: str = "", status_code: int = 200
) -> HTMLResponse:
    found = []
    if form["subject"].strip():
        found = articles.search_articles(
            server_state(request).store,
            form["subject"],
            published_only=True,
            limit=SUGGESTIONS,
            prefix_last=True,
        )
    return page(
        request,
        "contact.html",
        status_code,
        form=form,
        articles=found,
        asked=bool(form["subject"].strip()),
        error=error,
    )


@router.post("/contact", response_class=HTMLResponse)
def send(
    request: Request,
    email: Annotated[str, Form()] = "",
    name: Annotated[str, Form()] = "",
    subject: Annotated[str, Form()] = "",
    message: Annotated[str, Form()] = "",
    website: Annotated[str, Form()] = "",
) -> HTMLResponse:
    values = {"email": email, "name": name, "subject": subject, "message": message}
    try:
        form = ContactForm(**values, website=website)
    except ValidationError as exc:
        field = str(exc.errors()[0]["loc"][0]) if exc.errors() else "message"
        return _form(request, values, _problem(field), 422)
    try:
        opened = open_web_ticket(request, form)
    except HTTPException as exc:
        return _form(request, values, str(exc.detail), exc.status_code)
    if opened:
        read = request.cookies.get(READ_COOKIE)
        service = server_state(request).make_service(PUBLIC)
        try:
            service.count_kb(KbEventKind.CONTACTED, read or None)
        except NotFoundError:  # the article read went away meanwhile
            service.count_kb(KbEventKind.CONTACTED, None)
    response = page(
        request,
        "notice.html",
        heading="Thank you",
        text="We have your message and will answer by email.",
    )
    response.delete_cookie(READ_COOKIE)
    return response


def _problem(field: str) -> str:
    return {
        "email": "Please give an email address we can answer.",
        "message": "Please write a message.",
    }.get(field, f"Please check the {field} field.")
