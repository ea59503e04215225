"""The public contact form (honeypot, flood limits) and the Prometheus endpoint."""

from __future__ import annotations

import httpx
from helpers.http_server import Team

from deskterm.server.rate_limit import RateLimit


def _form(client: httpx.Client, email: str, **extra: str) -> httpx.Response:
    data = {"email": email, "name": "Web Visitor", "message": "My parcel never came."} | extra
    return client.post("/forms/contact", data=data)


def test_the_form_opens_a_web_ticket_without_a_token(team: Team, agent: httpx.Client) -> None:
    with team.client(None) as public:
        response = _form(public, "visitor@example.test", subject="Where is my parcel?")
    assert (response.status_code, response.json()) == (202, {"accepted": True})
    (ticket,) = agent.get("/api/v1/tickets", params={"q": "from:visitor@example.test"}).json()[
        "tickets"
    ]
    assert (ticket["channel"], ticket["subject"]) == ("web", "Where is my parcel?")


def test_a_filled_honeypot_is_answered_alike_and_stores_nothing(
    team: Team, agent: httpx.Client
) -> None:
    with team.client(None) as public:
        response = _form(public, "bot@example.test", website="http://spam.test")
    assert (response.status_code, response.json()) == (202, {"accepted": True})
    assert agent.get("/api/v1/tickets").json()["tickets"] == []


def test_floods_from_one_address_or_one_ip_are_refused(team: Team, agent: httpx.Client) -> None:
    limits = team.state.form_limits
    # Every attempt from an IP counts against it, refused ones too: a flood is a flood.
    limits.address, limits.ip = RateLimit(2, 3600), RateLimit(4, 3600)
    with team.client(None) as public:
        codes = [_form(public, "same@example.test").status_code for _ in range(3)]
        assert codes == [202, 202, 429]
        assert _form(public, "other@example.test").status_code == 202  # 4th from this IP
        assert _form(public, "third@example.test").status_code == 429  # IP over its limit
    assert len(agent.get("/api/v1/tickets").json()["tickets"]) == 3


def test_the_sliding_window_forgets_old_hits() -> None:
    now = [0.0]
    limit = RateLimit(2, 60, clock=lambda: now[0])
    assert [limit.allow("a"), limit.allow("a"), limit.allow("a")] == [True, True, False]
    now[0] = 61.0
    assert limit.allow("a") and limit.allow("b")


def test_metrics_count_requests_by_route_template(team: Team, agent: httpx.Client) -> None:
    made = agent.post(
        "/api/v1/tickets", json={"subject": "s", "body": "b", "customer_email": "m@x.test"}
    ).json()
    for _ in range(3):
        agent.get(f"/api/v1/tickets/{made['number']}")
    text = agent.get("/metrics").text
    assert (
        'deskterm_http_requests_total{method="GET",route="/api/v1/tickets/{number}",status="200"}'
        " 3.0" in text
    )
    assert 'deskterm_http_request_seconds_count{route="/api/v1/tickets"} 1.0' in text
    assert 'deskterm_outbox_entries{state="waiting"} 0.0' in text
