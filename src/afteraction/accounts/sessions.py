"""Use cases of web sign-in: the user behind a session, the stored session key, and the demo account."""

from __future__ import annotations

import secrets
from typing import cast

from sqlalchemy import Table, bindparam, select
from sqlalchemy.exc import IntegrityError

from afteraction.accounts import service as accounts
from afteraction.accounts.models import User, WebSecret
from afteraction.accounts.schemas import UserView
from afteraction.core.actor import Actor
from afteraction.core.db import Database

_USERS = cast(Table, User.__table__)
# Every signed-in page runs this: one indexed round trip, so that a deactivated user or a new role counts at once.
_ACTIVE_USER = select(_USERS.c.id, _USERS.c.name, _USERS.c.role).where(
    _USERS.c.id == bindparam("user_id"), _USERS.c.active.is_(True)
)


def session_principal(db: Database, *, user_id: int) -> Actor | None:
    """The principal of an active user by id (a session names its user by id), else None."""
    with db.transaction() as session:
        row = session.execute(_ACTIVE_USER, {"user_id": user_id}).first()
        return None if row is None else Actor(user_id=row[0], name=row[1], role=row[2])


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
    """Create a user with this password, or give an existing one this password and role again (and reactivate it)."""
    with db.transaction() as session:
        user = session.scalar(select(User).where(User.name == name))
        if user is not None:
            user.password_hash = accounts._hasher().hash(password)
            user.role = role
            user.active = True
            session.flush()
            return accounts.view_of(user)
    return accounts.create_user(db, name=name, email=f"{name}@example.invalid", role=role, password=password)
