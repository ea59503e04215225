"""Settings an agent changes for themselves as sync ops: stored views and their own away flag.

An agent on a train may save a view or say they are away; the server runs the op again
and every replica gets the result with the catalog. Changing other people (groups,
roles, tokens, organizations) stays on the server: those calls are refused offline.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from deskterm.errors import UsageError
from deskterm.store.queries.catalog import find_agent
from deskterm.store.service.batch import reader
from deskterm.store.service.sync_journal import Command, refuse_offline

if TYPE_CHECKING:
    from deskterm.store.service import Service


def encode_save_view(service: Service, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Command:
    call = dict(zip(("name", "query", "position"), args, strict=False)) | kwargs
    return Command("save_view", call)


def encode_remove_view(service: Service, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Command:
    return Command("remove_view", {"name": args[0] if args else kwargs["name"]})


def encode_set_away(service: Service, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Command:
    """Only the replica's own agent: marking someone else away is the server's to do."""
    call = dict(zip(("email", "away"), args, strict=False)) | kwargs
    if find_agent(service.store, call["email"]).id != service.actor.agent_id:
        refuse_offline("marking another agent away")(service, args, kwargs)
    return Command("set_away", {"away": bool(call["away"])})


def run_save_view(service: Service, args: dict[str, Any]) -> str | None:
    service.save_view(args["name"], args["query"], args.get("position"))
    return None


def run_remove_view(service: Service, args: dict[str, Any]) -> str | None:
    service.remove_view(args["name"])
    return None


def run_set_away(service: Service, args: dict[str, Any]) -> str | None:
    """The pushing agent's own flag, whoever the op names (the op names no one)."""
    agent_id = service.actor.agent_id
    if agent_id is None:
        raise UsageError("an away flag needs an agent")
    row = reader(service.store).execute("SELECT email FROM agent WHERE id = ?", (agent_id,))
    service.set_away(str(row.fetchone()[0]), bool(args["away"]))
    return None
