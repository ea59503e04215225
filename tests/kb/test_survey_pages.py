"""The survey's landing page over real HTTP on loopback, answered from the links of a solved
notice captured by the test SMTP server; bad, tampered and expired links record nothing."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from helpers.clock import Clock
from helpers.http_server import Team, start_team
from helpers.outbox import mail_service, parsed, settings_for, ticket_from_mail
from helpers.smtp import SmtpServer

from deskterm.channels.sender import Sender
from deskterm.kb.survey import sign
from deskterm.store.queries.surveys import survey_history, survey_secret
from deskterm.store.queries.tickets import get_ticket_row


@pytest.fixture
def team(server_store: Path | str) -> Iterator[Team]:
    """On a SQLite file and on the real PostgreSQL."""
    team, stop = start_team(server_store)
    yield team
    stop()


def solved_notice_links(
    team: Team, clock: Clock, smtp: SmtpServer, subject: str
) -> tuple[int, list[str]]:
    """Solve a ticket that came by mail; its number and the links of its notice, as the
    customer got it."""
    service = mail_service(team.store, clock, settings_for(smtp, survey_url=team.url))
    number = ticket_from_mail(service, subject=subject, message_id=f"{subject}@customer.test")
    service.set_status(number, "solved")
    clock.advance(seconds=11)  # past the undo window
    sender = Sender(team.store, settings_for(smtp), clock=clock)
    try:
        assert sender.run_once().sent == 1
    finally:
        sender.release()
    (mail,) = [parsed(m.content) for m in smtp.wait_for_messages(1)]
    text = mail.get_content()
    return number, re.findall(re.escape(team.url) + r"/survey/\S+", text)


def test_answer_from_the_mail_then_comment_effort_and_change_of_mind(
    team: Team, web: httpx.Client, clock: Clock, smtp_server: SmtpServer
) -> None:
    number, (great, okay, not_good) = solved_notice_links(team, clock, smtp_server, "Refund")
    landed = web.get(not_good.removeprefix(team.url), follow_redirects=True)
    assert landed.status_code == 200
    assert "your answer is saved" in landed.text
    assert 'value="not_good" checked' in landed.text
    assert f"About your request #{number}: Refund" in landed.text
    form_url = str(landed.url).split("?")[0]
    sent = web.post(
        form_url, data={"rating": "okay", "effort": "6", "comment": "<script>x()</script>"}
    )
    assert sent.status_code == 303
    shown = web.get(sent.headers["location"]).text
    assert 'value="6" checked' in shown and 'value="okay" checked' in shown
    assert "&lt;script&gt;x()&lt;/script&gt;" in shown and "<script>x()" not in shown
    web.get(great.removeprefix(team.url))  # changed their mind again, from the mail
    web.get(great.removeprefix(team.url))  # ... and the same link twice adds nothing
    answers = [(a.rating, a.effort, a.comment) for a in survey_history(team.store, number)]
    assert answers == [
        ("not_good", None, ""),
        ("okay", 6, "<script>x()</script>"),
        ("great", 6, "<script>x()</script>"),
    ]
    row = get_ticket_row(team.store, number)
    got = team.store.read().execute("SELECT csat, csat_effort FROM ticket WHERE id = ?", (row.id,))
    assert got.fetchone() == ("great", 6)
    assert okay.endswith("/okay")
    bad = web.post(form_url, data={"rating": "great", "effort": "9", "comment": "kept"})
    assert bad.status_code == 400 and "a number from 1 to 7" in bad.text
    assert ">kept</textarea>" in bad.text  # what they wrote is not lost
    assert len(survey_history(team.store, number)) == 3


def test_tampered_foreign_expired_and_incomplete_links_record_nothing(
    team: Team, web: httpx.Client, clock: Clock, smtp_server: SmtpServer
) -> None:
    number, (great, *_) = solved_notice_links(team, clock, smtp_server, "Login")
    path = great.removeprefix(team.url)
    token = path.split("/")[2]
    _payload, stamp, mac = token.split(".")
    other_ticket = sign("x", number + 1, clock()).split(".")[0]
    secret = survey_secret(team.store)
    assert secret is not None
    refused = {
        f"/survey/{other_ticket}.{stamp}.{mac}/great": (400, "not valid"),
        f"/survey/{token[:-3]}/great": (400, "not valid"),
        f"/survey/{sign('another store', number, clock())}/great": (400, "not valid"),
        f"/survey/{'a' * 500}/great": (400, "not valid"),
        f"/survey/{sign(secret, 1, clock() - timedelta(days=31))}/great": (410, "expired"),
        f"/survey/{sign(secret, number + 99, clock())}/great": (404, "no longer here"),
        f"/survey/{token}/superb": (404, "missing"),
    }
    for url, (status, words) in refused.items():
        answer = web.get(url)
        assert (answer.status_code, words in answer.text) == (status, True), url
        assert "nothing was recorded" in answer.text
    posted = web.post(f"/survey/{token[:-3]}", data={"rating": "great"})
    assert posted.status_code == 400
    assert survey_history(team.store, number) == []
    assert get_ticket_row(team.store, number).status == "solved"
