"""The footer of an app on a replica says where it stands: synced, offline since, N pending."""

from __future__ import annotations

from pathlib import Path

from helpers.app import screen_text, settle, wait_until
from helpers.http_server import restart_team, start_team
from helpers.replicas import replica_app

from deskterm.screens.queue import QueueScreen
from deskterm.store.service import Actor

BO = "bo@desk.test"


def footer(text: str) -> str:
    """The sync line, whole (it sits above the key footer)."""
    return next((line.strip() for line in text.splitlines() if "sync:" in line), "")


async def test_offline_edits_are_counted_then_pushed_when_the_server_is_back(
    tmp_path: Path,
) -> None:
    team, stop = start_team(tmp_path / "server.db")
    try:
        team.state.make_service(Actor.system()).create_ticket(
            "Parcel never came", "Where is my parcel?", "ana@example.test", "Ana"
        )
        app = replica_app(team.url, team.agent_token, BO, tmp_path / "bo.db")
        async with app.run_test(size=(120, 36)) as pilot:
            await settle(app, pilot)
            await wait_until(pilot, lambda: footer(screen_text(app)) == "sync: synced")

            team.live.stop()  # the server goes away
            await pilot.press("3", "enter")  # All open, the first ticket
            await settle(app, pilot)
            await pilot.press("r", *"Found it at the depot", "ctrl+s")
            await settle(app, pilot)
            await pilot.press("escape")
            await wait_until(pilot, lambda: isinstance(app.screen, QueueScreen))
            await wait_until(pilot, lambda: "1 pending" in footer(screen_text(app)))
            line = footer(screen_text(app))
            assert line.startswith("sync: offline since "), line

            team = restart_team(team)
            await wait_until(pilot, lambda: footer(screen_text(app)) == "sync: synced")
        answer = team.client(team.agent_token).get("/api/v1/tickets/1").json()
        assert [m["body"] for m in answer["messages"]] == [
            "Where is my parcel?",
            "Found it at the depot",
        ]
    finally:
        team.live.stop()
        stop()


async def test_a_revoked_token_is_shown_as_refused_with_the_way_out(tmp_path: Path) -> None:
    team, stop = start_team(tmp_path / "server.db")
    try:
        app = replica_app(team.url, team.agent_token, BO, tmp_path / "bo.db")
        async with app.run_test(size=(160, 36)) as pilot:
            await settle(app, pilot)
            await wait_until(pilot, lambda: footer(screen_text(app)) == "sync: synced")
            assert team.state.make_service(Actor.system()).revoke_token(BO)
            team = restart_team(team)  # the open stream ends; reconnecting is refused
            await wait_until(pilot, lambda: "refused" in footer(screen_text(app)))
            line = footer(screen_text(app))
            assert line.startswith("sync: refused · refused by "), line
            assert "the token is not valid" in line
    finally:
        team.live.stop()
        stop()
