"""`deskterm agent away|role|revoke`: an agent's availability, role and API token.

Registered on the `agent` command group of `setup` (add, list), kept apart so
each module stays about one thing.
"""

from __future__ import annotations

from typing import Annotated

import typer

from deskterm.cli.common import ctx_of
from deskterm.cli.setup import agent_app

__all__ = ["agent_app"]

AgentArg = Annotated[str, typer.Argument(help="Agent email or name.")]


@agent_app.command()
def away(
    ctx: typer.Context,
    agent: AgentArg,
    back: Annotated[bool, typer.Option("--back", help="Mark them back instead.")] = False,
) -> None:
    """Mark an agent away: round-robin and least-loaded assignment skip them."""
    ctx_of(ctx).service().set_away(agent, not back)
    print(f"{agent}: {'back' if back else 'away'}")


@agent_app.command()
def role(
    ctx: typer.Context,
    agent: AgentArg,
    new_role: Annotated[str, typer.Argument(metavar="ROLE", help="agent or admin.")],
) -> None:
    """Change an agent's role."""
    ctx_of(ctx).service().set_role(agent, new_role)
    print(f"{agent}: {new_role.lower()}")


@agent_app.command()
def revoke(ctx: typer.Context, agent: AgentArg) -> None:
    """Revoke an agent's API token (`deskterm serve` refuses it from now on)."""
    had = ctx_of(ctx).service().revoke_token(agent)
    print(f"{agent}: token revoked" if had else f"{agent}: had no token")
