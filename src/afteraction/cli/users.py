"""`afteraction user create|list|set|password` and `afteraction token create|list|revoke`: accounts of the server."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from afteraction.cli import state_of
from afteraction.cli.output import console, fmt_time, print_json, table
from afteraction.core.errors import InvalidInput

user_app = typer.Typer(help="Manage the users of the server and their roles.", no_args_is_help=True)
token_app = typer.Typer(help="Issue and revoke API tokens.", no_args_is_help=True)

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON for machines.")]


def _password() -> str:
    """The new password: asked twice on a terminal, else the first line of standard input."""
    if sys.stdin.isatty():
        return str(typer.prompt("Password", hide_input=True, confirmation_prompt=True))
    line = sys.stdin.readline().rstrip("\r\n")
    if not line:
        raise InvalidInput("no password: type it at the prompt or pipe it on standard input", field="password")
    return line


@user_app.command("create")
def create(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The user name (letters, digits, '.', '_', '-').")],
    email: Annotated[str, typer.Option("--email", help="The user's e-mail address.")],
    role: Annotated[str, typer.Option("--role", help="viewer (reads), editor (writes) or admin (manages).")] = "viewer",
    as_json: JsonFlag = False,
) -> None:
    """Create a user; the password is read from a prompt (or standard input) and stored as an argon2 hash."""
    from afteraction.accounts import service

    db = state_of(ctx).database()
    user = service.create_user(db, name=name, email=email, role=role, password=_password())
    if as_json:
        print_json(user)
    else:
        console().print(f"Created {user.role} {user.name} <{user.email}>.")


@user_app.command("list")
def list_users(ctx: typer.Context, as_json: JsonFlag = False) -> None:
    """List the users and their roles."""
    from afteraction.accounts import service

    users = service.list_users(state_of(ctx).database())
    if as_json:
        print_json(users)
        return
    rows = [(u.name, u.email, u.role, "yes" if u.active else "no", fmt_time(u.created_at)) for u in users]
    console().print(table("Users", ["Name", "E-mail", "Role", "Active", "Created"], rows))


@user_app.command("password")
def password(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The user name.")],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the new password from the first line of standard input.")
    ] = False,
) -> None:
    """Give a user a new password (asked twice): every session of the user ends; their API tokens keep working."""
    from afteraction.accounts import service

    if password_stdin:
        new = sys.stdin.readline().rstrip("\r\n")
        if not new:
            raise InvalidInput("no password on standard input", field="password")
    else:
        new = str(typer.prompt("New password", hide_input=True, confirmation_prompt=True))
    user = service.change_password(state_of(ctx).database(), name=name, password=new)
    console().print(
        f"Changed the password of {user.name}; every session of {user.name} is signed out "
        f"(API tokens keep working: afteraction token list --user {user.name})."
    )


@user_app.command("set")
def set_user(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The user name.")],
    role: Annotated[str | None, typer.Option("--role", help="A new role: viewer, editor or admin.")] = None,
    active: Annotated[
        bool | None, typer.Option("--active/--inactive", help="Reactivate, or deactivate (tokens stop working).")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Change a user's role, or deactivate them; either ends every session of the user."""
    from afteraction.accounts import service

    user = service.update_user(state_of(ctx).database(), name=name, role=role, active=active)
    if as_json:
        print_json(user)
    else:
        console().print(f"{user.name} is {'an' if user.role == 'admin' else 'a'} {user.role}" + (
            "" if user.active else " (deactivated)") + ".")  # fmt: skip


@token_app.command("create")
def create_token(
    ctx: typer.Context,
    user: Annotated[str, typer.Argument(metavar="NAME", help="The user the token acts as.")],
    name: Annotated[str, typer.Option("--name", help="What the token is for (e.g. ci, grafana).")] = "api",
    expires: Annotated[
        str | None,
        typer.Option("--expires", help="When it stops working: 90d, 12h, 8w from now, or a date (2026-12-31, UTC)."),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Issue an API token for a user and print it once (only its digest is stored)."""
    from afteraction.accounts import service

    expires_at = None if expires is None else service.parse_expiry(expires)
    token = service.create_token(state_of(ctx).database(), user=user, name=name, expires_at=expires_at)
    if as_json:
        print_json(token)
    else:
        console().print(token.token, soft_wrap=True)
        until = f"expires {fmt_time(token.expires_at)}" if token.expires_at else "no expiry"
        typer.echo(f"Token {token.id} ({token.name}) for {token.user}, {until}: shown once, keep it safe.", err=True)


@token_app.command("list")
def list_tokens(
    ctx: typer.Context,
    user: Annotated[str | None, typer.Option("--user", help="Only this user's tokens.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """List tokens with their expiry and last use (never the secrets)."""
    from afteraction.accounts import service

    tokens = service.list_tokens(state_of(ctx).database(), user=user)
    if as_json:
        print_json(tokens)
        return
    rows = [
        (t.id, t.user, t.name, t.prefix + "…", fmt_time(t.created_at), fmt_time(t.last_used_at) or "never",
         fmt_time(t.expires_at) or "never", "revoked" if t.revoked else "expired" if t.expired else "active")
        for t in tokens
    ]  # fmt: skip
    columns = ["#", "User", "Name", "Starts", "Created", "Last used", "Expires", "State"]
    console().print(table("API tokens", columns, rows))


@token_app.command("revoke")
def revoke_token(
    ctx: typer.Context,
    token_id: Annotated[int, typer.Argument(metavar="ID", help="The token's number (see `token list`).")],
) -> None:
    """Revoke a token: it stops working at once."""
    from afteraction.accounts import service

    token = service.revoke_token(state_of(ctx).database(), token_id=token_id)
    console().print(f"Revoked token {token.id} ({token.name}) of {token.user}.")
