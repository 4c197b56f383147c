"""Use cases of web sign-in: the user behind a session (of the user's current session generation), ending every
session of a user, the stored session key, and the demo account."""

from __future__ import annotations

import secrets
from typing import cast

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.exc import IntegrityError

from afteraction.accounts import service as accounts
from afteraction.accounts.models import User, WebSecret
from afteraction.accounts.schemas import UserView
from afteraction.core.actor import Actor
from afteraction.core.db import Database

_USERS = cast(Table, User.__table__)
# Every signed-in page runs this: one indexed round trip, so that a deactivated user, a new role, a new password or
# a sign-out elsewhere counts at once.
_ACTIVE_USER = select(_USERS.c.id, _USERS.c.name, _USERS.c.role).where(
    _USERS.c.id == bindparam("user_id"),
    _USERS.c.active.is_(True),
    _USERS.c.session_generation == bindparam("generation"),
)


def session_principal(db: Database, *, user_id: int, generation: int | None) -> Actor | None:
    """The principal of a session's user (a session names its user by id and carries the session generation it
    was made in): the active user whose current generation that is, else None (a cookie of an older generation, or
    of none, is signed out)."""
    if generation is None:
        return None
    with db.transaction() as session:
        row = session.execute(_ACTIVE_USER, {"user_id": user_id, "generation": generation}).first()
        return None if row is None else Actor(user_id=row[0], name=row[1], role=row[2])


def end_sessions(db: Database, *, user_id: int, generation: int | None) -> bool:
    """Sign a user out everywhere (`POST /logout`): the user's session generation moves on, so every cookie of the
    user stops counting. Only a session of the current generation can do so (an old cookie changes nothing);
    returns whether it did."""
    if generation is None:
        return False
    with db.transaction() as session:
        result = session.execute(
            update(_USERS)
            .where(_USERS.c.id == user_id, _USERS.c.session_generation == generation)
            .values(session_generation=_USERS.c.session_generation + 1)
        )
        return bool(getattr(result, "rowcount", 0))


def stored_secret(db: Database, *, name: str = "session") -> str:
    """A random secret kept in the database: made by the first process that asks, then read by every other one."""
    with db.transaction() as session:
        found = session.scalar(select(WebSecret.value).where(WebSecret.name == name))
        if found is not None:
            return found
        value = secrets.token_urlsafe(48)
        try:
            with session.begin_nested():
                session.add(WebSecret(name=name, value=value))
        except IntegrityError:
            # Another process made it at the same moment: use theirs, so that both sign alike.
            existing = session.scalar(select(WebSecret.value).where(WebSecret.name == name))
            assert existing is not None
            return existing
        return value


def reset_demo_user(db: Database, *, name: str, password: str, role: str = "editor") -> UserView:
    """Create a user with this password, or give an existing one (found regardless of case) this password and role
    again, reactivate it and end its sessions."""
    with db.transaction() as session:
        user = accounts.find_user(session, name)
        if user is not None:
            user.password_hash = accounts._hasher().hash(password)
            user.role = role
            user.active = True
            user.session_generation = (user.session_generation or 0) + 1
            session.flush()
            return accounts.view_of(user)
    return accounts.create_user(db, name=name, email=f"{name}@example.invalid", role=role, password=password)
