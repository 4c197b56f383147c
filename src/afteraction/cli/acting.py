"""Who is acting and under which policy, for the follow-through commands."""

from __future__ import annotations

import getpass

import typer

from afteraction.cli import state_of
from afteraction.core.actor import Actor
from afteraction.domain.policy import Policy


def acting_user(ctx: typer.Context, as_: str | None) -> str:
    """The person acting: --as, else $AFTERACTION_USER, else the operating system's user name."""
    if as_ and as_.strip():
        return as_.strip()
    configured = state_of(ctx).settings.user
    if configured and configured.strip():
        return configured.strip()
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # pragma: no cover - no user database entry
        return "unknown"


def policy_of(ctx: typer.Context) -> Policy:
    """The policy: $AFTERACTION_POLICY_FILE, else afteraction.toml or pyproject.toml found from the cwd; read once
    per command (see CliState.policy)."""
    return state_of(ctx).policy()


def actor_of(ctx: typer.Context, as_: str | None = None) -> Actor:
    """The command line acts as the system actor (it sees every incident), recorded under the acting user's name."""
    return Actor.system(acting_user(ctx, as_))
