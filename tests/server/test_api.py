"""The REST API over real HTTP on loopback: tickets, messages, customers, canned replies."""

from __future__ import annotations

from typing import Any

import httpx
from helpers.http_server import Team


def _new(client: httpx.Client, subject: str, **extra: object) -> dict[str, Any]:
    body = {"subject": subject, "body": f"About {subject}", "customer_email": "cu@example.test"}
    response = client.post("/api/v1/tickets", json=body | extra)
    assert response.status_code == 201, response.text
    return response.json()


def test_create_then_get_shows_the_ticket_and_its_first_message(agent: httpx.Client) -> None:
    made = _new(agent, "Refund for order 17", priority="high", tags=["billing"])
    got = agent.get(f"/api/v1/tickets/{made['number']}").json()
    assert got["subject"] == "Refund for order 17"
    assert (got["priority"], got["tags"], got["status"]) == ("high", ["billing"], "new")
    assert got["customer"]["email"] == "cu@example.test"
    assert [m["body"] for m in got["messages"]] == ["About Refund for order 17"]


def test_list_takes_the_query_syntax_and_pages_by_cursor(agent: httpx.Client) -> None:
    numbers = [_new(agent, f"Printer {i}", tags=["hw"])["number"] for i in range(5)]
    _new(agent, "Unrelated")
    seen: list[int] = []
    after = None
    pages = 0
    while True:
        params: dict[str, str | int] = {"q": "tag:hw", "limit": 2}
        if after:
            params["after"] = after
        page = agent.get("/api/v1/tickets", params=params).json()
        seen += [t["number"] for t in page["tickets"]]
        pages += 1
        after = page["next_cursor"]
        if after is None:
            break
    assert sorted(seen) == numbers
    assert len(seen) == len(set(seen)) and pages == 3


def test_update_changes_fields_and_null_clears_the_assignee(
    team: Team, agent: httpx.Client
) -> None:
    number = _new(agent, "Assign me", assignee="bo@desk.test")["number"]
    patched = agent.patch(
        f"/api/v1/tickets/{number}",
        json={"status": "pending", "add_tags": ["vip"], "priority": "urgent"},
    ).json()
    assert (patched["status"], patched["tags"], patched["priority"]) == (
        "pending",
        ["vip"],
        "urgent",
    )
    assert patched["assignee"] == "Bo Agent"  # left out: kept
    cleared = agent.patch(f"/api/v1/tickets/{number}", json={"assignee": None}).json()
    assert cleared["assignee"] is None
    events = agent.get(f"/api/v1/tickets/{number}/events").json()
    assert {"status", "tag_added", "priority", "assignee"} <= {e["kind"] for e in events}
    assert all(e["actor"] == "Bo Agent" for e in events if e["kind"] == "status")


def test_reply_and_note_are_added_as_the_calling_agent(agent: httpx.Client) -> None:
    number = _new(agent, "Question")["number"]
    reply = agent.post(f"/api/v1/tickets/{number}/messages", json={"body": "Here is how."})
    note = agent.post(
        f"/api/v1/tickets/{number}/messages", json={"kind": "note", "body": "Internal"}
    )
    assert reply.status_code == note.status_code == 201
    got = agent.get(f"/api/v1/tickets/{number}").json()
    kinds = [(m["kind"], m["author"], m["body"]) for m in got["messages"]]
    assert kinds[1:] == [("reply", "Bo Agent", "Here is how."), ("note", "Bo Agent", "Internal")]
    assert got["status"] == "open"  # the first reply opens a new ticket


def test_canned_reply_written_by_admin_is_used_by_an_agent(
    admin: httpx.Client, agent: httpx.Client
) -> None:
    put = admin.put(
        "/api/v1/canned/thanks",
        json={"body": "Thanks {{ customer.email }}!", "actions": {"status": "solved"}},
    )
    assert put.status_code == 201, put.text
    assert admin.put("/api/v1/canned/thanks", json={"body": "Thanks!"}).status_code == 200
    assert [c["name"] for c in agent.get("/api/v1/canned").json()] == ["thanks"]
    admin.put(
        "/api/v1/canned/thanks",
        json={"body": "Thanks {{ customer.email }}!", "actions": {"status": "solved"}},
    )
    number = _new(agent, "Done?")["number"]
    sent = agent.post(f"/api/v1/tickets/{number}/messages", json={"canned": "thanks"})
    assert sent.status_code == 201, sent.text
    got = agent.get(f"/api/v1/tickets/{number}").json()
    assert got["messages"][-1]["body"] == "Thanks cu@example.test!"
    assert got["status"] == "solved"
    assert admin.delete("/api/v1/canned/thanks").status_code == 204
    assert agent.get("/api/v1/canned/thanks").status_code == 404


def test_customers_list_and_lookup_by_id_or_address(agent: httpx.Client) -> None:
    _new(agent, "One")
    page = agent.get("/api/v1/customers", params={"q": "cu@"}).json()
    (customer,) = page["customers"]
    assert customer["ticket_count"] == 1
    by_id = agent.get(f"/api/v1/customers/{customer['id']}").json()
    by_address = agent.get("/api/v1/customers/cu@example.test").json()
    assert by_id == by_address == customer
    # "²" is a digit to str.isdigit but no number to int: a lookup by address, not a 500.
    assert agent.get("/api/v1/customers/²").status_code == 404


def test_bad_input_gets_one_line_and_the_right_status(agent: httpx.Client) -> None:
    bad_query = agent.get("/api/v1/tickets", params={"q": "status:nonsense"})
    assert bad_query.status_code == 422
    detail = bad_query.json()["detail"]
    assert isinstance(detail, str) and "\n" not in detail and "status" in detail
    assert agent.get("/api/v1/tickets", params={"after": "x"}).status_code == 422
    missing = agent.get("/api/v1/tickets/999999")
    assert (missing.status_code, missing.json()) == (404, {"detail": "no ticket #999999"})
    empty = agent.post("/api/v1/tickets/1/messages", json={"body": " "})
    assert empty.status_code in (404, 422)


def test_an_admin_adds_an_agent_whose_token_works_at_once(team: Team, admin: httpx.Client) -> None:
    made = admin.post(
        "/api/v1/agents", json={"name": "Cy New", "email": "Cy@Desk.test", "role": "agent"}
    )
    assert made.status_code == 201
    assert made.json()["email"] == "cy@desk.test"
    with team.client(made.json()["token"]) as cy:
        assert cy.get("/api/v1/me").json()["name"] == "Cy New"
    twice = admin.post("/api/v1/agents", json={"name": "Cy", "email": "cy@desk.test"})
    assert twice.status_code == 422


def test_text_with_a_nul_character_is_refused_alike_on_both_stores(
    team: Team, admin: httpx.Client
) -> None:
    """PostgreSQL cannot store U+0000: every way in refuses it with one line, nothing stored."""
    before = admin.get("/api/v1/tickets").json()["tickets"]
    refused = [
        admin.post(
            "/api/v1/tickets",
            json={"subject": "Hi\x00", "body": "b", "customer_email": "cu@example.test"},
        ),
        admin.post("/api/v1/agents", json={"name": "N\x00l", "email": "nul@desk.test"}),
        admin.put("/api/v1/canned/greet", json={"body": "x", "actions": {"add_tags": ["a\x00"]}}),
        admin.put("/api/v1/canned/gr%00eet", json={"body": "x"}),
        admin.get("/api/v1/tickets", params={"q": "refund\x00"}),
        admin.post(
            "/api/v1/sync/push",
            json={
                "client_id": "replica-1",
                "mutations": [{"id": 1, "name": "add_note", "args": {"body": "\x00"}}],
            },
        ),
        admin.post("/forms/contact", data={"email": "cu@example.test", "message": "hi\x00"}),
    ]
    for response in refused:
        assert response.status_code == 422, response.text
        detail = response.json()["detail"]
        assert "NUL" in detail and "\n" not in detail
    assert "query parameter 'q'" in refused[4].json()["detail"]
    assert "form field 'message'" in refused[6].json()["detail"]
    assert admin.get("/api/v1/tickets").json()["tickets"] == before
    assert admin.get("/api/v1/canned").json() == []
    # A backslash then u0000 is text, not a NUL: kept as written.
    made = _new(admin, "Path C:\\u0000\\dir")
    assert admin.get(f"/api/v1/tickets/{made['number']}").json()["subject"] == "Path C:\\u0000\\dir"
