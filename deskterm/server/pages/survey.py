"""`/survey/<token>/<rating>`: the landing page of a solved notice's links. It records
the rating, then asks an optional comment and "How easy was it to get help?" (a
plain form: no script needed). A bad, tampered or expired link records nothing."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from deskterm.errors import NotFoundError, UsageError
from deskterm.kb.survey import (
    COMMENT_MAX,
    EFFORT_MAX,
    EFFORT_MIN,
    LinkProblem,
    Rating,
    parse_answer,
    verify,
)
from deskterm.server.deps import server_state
from deskterm.server.pages.render import page
from deskterm.store.queries.surveys import survey_secret, ticket_survey
from deskterm.store.queries.tickets import get_ticket_row
from deskterm.store.service import Actor

router = APIRouter(include_in_schema=False)

CUSTOMER = Actor(None, "customer (survey)")
TOKEN_MAX = 200  # a real token is ~50 characters


@router.get("/survey/{token}/{rating}", response_class=HTMLResponse)
def from_mail(request: Request, token: str, rating: str) -> Response:
    """A link in the mail: record its rating (keeping a comment given before), then
    show the rest of the survey."""
    number = _ticket(request, token)
    if isinstance(number, Response):
        return number
    try:
        chosen = parse_answer(rating)
    except UsageError:
        return _refused(request, 404, "This survey link is not complete", _INCOMPLETE)
    service = server_state(request).make_service(CUSTOMER)
    service.answer_survey(number, chosen, rating_only=True)
    return RedirectResponse(f"/survey/{quote(token)}?saved=1", status_code=303)


@router.get("/survey/{token}", response_class=HTMLResponse)
def form(request: Request, token: str, saved: int = 0) -> Response:
    number = _ticket(request, token)
    if isinstance(number, Response):
        return number
    return _form(request, token, number, saved=bool(saved))


@router.post("/survey/{token}", response_class=HTMLResponse)
def submit(
    request: Request,
    token: str,
    rating: Annotated[str, Form(max_length=20)] = "",
    effort: Annotated[str, Form(max_length=3)] = "",
    comment: Annotated[str, Form(max_length=COMMENT_MAX * 2)] = "",
) -> Response:
    number = _ticket(request, token)
    if isinstance(number, Response):
        return number
    try:
        answer = parse_answer(rating, effort, comment)
    except UsageError as exc:
        error = str(exc).replace("survey ", "", 1)
        given = {"rating": rating, "effort": effort, "comment": comment}
        return _form(request, token, number, error=error, given=given, status_code=400)
    server_state(request).make_service(CUSTOMER).answer_survey(number, answer)
    return RedirectResponse(f"/survey/{quote(token)}?saved=1", status_code=303)


def _ticket(request: Request, token: str) -> int | Response:
    """The ticket a link names, or the page that says why the link is refused."""
    state = server_state(request)
    secret = survey_secret(state.store)
    try:
        if secret is None or len(token) > TOKEN_MAX:
            raise LinkProblem(expired=False)
        now = state.make_service(CUSTOMER).clock()
        number = verify(secret, token, state.survey.max_age_days, now)
    except LinkProblem as problem:
        if problem.expired:
            return _refused(request, 410, "This survey link has expired", _EXPIRED)
        return _refused(request, 400, "This survey link is not valid", _INVALID)
    try:
        get_ticket_row(state.store, number)
    except NotFoundError:
        return _refused(request, 404, "This request no longer exists", _GONE)
    return number


def _form(
    request: Request,
    token: str,
    number: int,
    *,
    saved: bool = False,
    error: str = "",
    given: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    row = get_ticket_row(server_state(request).store, number)
    current = ticket_survey(server_state(request).store, row.id)
    if given is None:
        latest = current.latest if current else None
        given = {
            "rating": latest.rating if latest else "",
            "effort": str(latest.effort or "") if latest else "",
            "comment": latest.comment if latest else "",
        }
    return page(
        request,
        "survey.html",
        status_code,
        token=token,
        number=number,
        subject=row.subject,
        ratings=[(r.value, r.label) for r in Rating],
        efforts=range(EFFORT_MIN, EFFORT_MAX + 1),
        given=given,
        saved=saved and current is not None,
        error=error,
        comment_max=COMMENT_MAX,
    )


def _refused(request: Request, status: int, heading: str, text: str) -> HTMLResponse:
    return page(request, "notice.html", status, heading=heading, text=text)


_INVALID = (
    "We could not read this link, so nothing was recorded. Open it again from the mail,"
    " making sure the whole link was copied, or just reply to the mail to tell us."
)
_EXPIRED = (
    "This link is too old to answer, so nothing was recorded. Thank you for wanting to"
    " tell us: reply to the mail and we will read it."
)
_GONE = "The request this survey was about is no longer here, so nothing was recorded."
_INCOMPLETE = (
    "The end of this link is missing, so nothing was recorded. Open it again from the mail."
)
