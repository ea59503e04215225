"""Two apps on two replicas of one real server (loopback HTTP): what one writes, the other shows."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers.app import screen_text, settle, wait_until
from helpers.http_server import Team, start_team
from helpers.replicas import local_service, make_replica, replica_app

from deskterm.app import DesktermApp
from deskterm.screens.ticket import TicketScreen
from deskterm.store.service import Actor
from deskterm.widgets.composer import Composer
from deskterm.widgets.send_guard import SendGuard
from deskterm.widgets.view_bar import ViewBar

BO, ADA = "bo@desk.test", "ada@desk.test"


@pytest.fixture
def team(tmp_path: Path) -> Iterator[Team]:
    team, stop = start_team(tmp_path / "server.db")
    team.state.make_service(Actor.system()).create_ticket(
        "Parcel never came", "Where is my parcel?", "ana@example.test", "Ana"
    )
    yield team
    stop()


async def open_first_ticket(app: DesktermApp, pilot) -> TicketScreen:
    await settle(app, pilot)
    await pilot.press("3")  # All open
    await settle(app, pilot)
    await pilot.press("enter")
    await settle(app, pilot)
    screen = app.screen
    assert isinstance(screen, TicketScreen)
    return screen


async def test_a_reply_on_one_replica_appears_on_the_others_screen(
    team: Team, tmp_path: Path
) -> None:
    bo = replica_app(team.url, team.agent_token, BO, tmp_path / "bo.db")
    ada = replica_app(team.url, team.admin_token, ADA, tmp_path / "ada.db")
    async with bo.run_test(size=(120, 36)) as bo_pilot, ada.run_test(size=(120, 36)) as ada_pilot:
        shown = await open_first_ticket(ada, ada_pilot)
        await open_first_ticket(bo, bo_pilot)
        assert "Parcel never came" in screen_text(ada)
        assert "It left the depot today" not in screen_text(ada)

        await bo_pilot.press("r", *"It left the depot today", "ctrl+s")
        await settle(bo, bo_pilot)

        await wait_until(ada_pilot, lambda: "It left the depot today" in screen_text(ada))
        assert ada.screen is shown  # the ticket refreshed in place, nothing was reopened
    answer = team.client(team.admin_token).get("/api/v1/tickets/1").json()
    assert [m["body"] for m in answer["messages"]][-1] == "It left the depot today"


async def test_an_edit_on_the_server_reaches_an_open_queue(team: Team, tmp_path: Path) -> None:
    """The queue page on screen reloads when a ticket the server changed is on it."""
    ada = replica_app(team.url, team.admin_token, ADA, tmp_path / "ada.db")
    async with ada.run_test(size=(120, 36)) as pilot:
        await settle(ada, pilot)
        await pilot.press("3")  # All open
        await settle(ada, pilot)
        server = team.state.make_service(Actor.system())
        server.create_ticket("Walk-in at the desk", "Hello", "walk@example.test")
        await wait_until(pilot, lambda: "Walk-in at the desk" in screen_text(ada))


async def test_the_send_guard_stops_a_stale_reply_and_one_key_sends_it(
    team: Team, tmp_path: Path
) -> None:
    bo = replica_app(team.url, team.agent_token, BO, tmp_path / "bo.db")
    ada = replica_app(team.url, team.admin_token, ADA, tmp_path / "ada.db")
    async with bo.run_test(size=(120, 36)) as bo_pilot, ada.run_test(size=(120, 36)) as ada_pilot:
        await open_first_ticket(ada, ada_pilot)
        await open_first_ticket(bo, bo_pilot)
        await ada_pilot.press("r", *"We will refund you")
        await settle(ada, ada_pilot)

        await bo_pilot.press("r", *"Reshipped it this morning", "ctrl+s")
        await settle(bo, bo_pilot)
        await wait_until(ada_pilot, lambda: "Reshipped it this morning" in screen_text(ada))

        await ada_pilot.press("ctrl+s")
        await settle(ada, ada_pilot)
        guard = ada.screen.query_one(SendGuard)
        assert guard.display and "Not sent: 1 new message(s)" in screen_text(ada)
        assert "reply by Bo Agent: Reshipped it this morning" in screen_text(ada)
        assert "We will refund you" in ada.screen.query_one(Composer).text  # nothing lost

        await ada_pilot.press("ctrl+s")  # the one key: send as written
        await settle(ada, ada_pilot)
        assert not guard.display

    def bodies() -> list[str]:
        answer = team.client(team.admin_token).get("/api/v1/tickets/1").json()
        return [m["body"] for m in answer["messages"]]

    assert bodies()[-2:] == ["Reshipped it this morning", "We will refund you"]


async def test_the_ticket_shows_who_else_is_viewing_and_replying(
    team: Team, tmp_path: Path
) -> None:
    bo = replica_app(team.url, team.agent_token, BO, tmp_path / "bo.db")
    ada = replica_app(team.url, team.admin_token, ADA, tmp_path / "ada.db")
    async with bo.run_test(size=(120, 36)) as bo_pilot, ada.run_test(size=(120, 36)) as ada_pilot:
        await open_first_ticket(ada, ada_pilot)
        assert "Also here" not in screen_text(ada)
        await open_first_ticket(bo, bo_pilot)
        await wait_until(ada_pilot, lambda: "Also here: Bo Agent viewing" in screen_text(ada))
        await wait_until(bo_pilot, lambda: "Also here: Ada Admin viewing" in screen_text(bo))
        await bo_pilot.press("r", *"Drafting")
        await wait_until(ada_pilot, lambda: "Also here: Bo Agent replying" in screen_text(ada))
        await bo_pilot.press("escape", "escape")  # close the composer, leave the ticket
        await wait_until(ada_pilot, lambda: "Also here" not in screen_text(ada))


async def test_a_view_saved_offline_on_one_replica_is_in_the_others_view_bar(
    team: Team, tmp_path: Path
) -> None:
    server = team.state.make_service(Actor.system())
    server.create_ticket("Server room on fire", "Smoke!", "cy@example.test", priority="urgent")
    bo, _ = make_replica(team.url, team.agent_token, tmp_path / "bo.db", BO)
    local_service(bo.store, BO).save_view("Urgent", "priority:urgent")  # offline: queued
    bo.sync()
    bo.client.close()
    bo.store.close()
    ada = replica_app(team.url, team.admin_token, ADA, tmp_path / "ada.db")
    async with ada.run_test(size=(120, 36)) as pilot:
        await settle(ada, pilot)
        bar = ada.screen.query_one(ViewBar)
        assert bar.names[-1] == "Urgent"
        await pilot.press(str(len(bar.names)))
        await settle(ada, pilot)
        await wait_until(pilot, lambda: "Server room on fire" in screen_text(ada))
        assert "Parcel never came" not in screen_text(ada)
