"""Use cases of accounts: create users, issue and check API tokens, manage who belongs to a private incident."""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Sequence
from datetime import timedelta
from typing import Any, cast

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Table, bindparam, func, select, update
from sqlalchemy.exc import IntegrityError

from afteraction.accounts.models import ApiToken, User
from afteraction.accounts.schemas import NewToken, TokenView, UserView
from afteraction.core.actor import ROLES, Actor
from afteraction.core.db import Database, utcnow
from afteraction.core.errors import Conflict, InvalidInput, NotFound
from afteraction.core.validation import check_choice

TOKEN_PREFIX = "aa_"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")
MIN_PASSWORD = 8
# Writing last_used_at on every request would turn reads into writes; once an hour is enough to spot dead tokens.
_LAST_USED_EVERY = timedelta(hours=1)


def _hasher() -> PasswordHasher:
    return PasswordHasher()


def token_digest(token: str) -> str:
    """The stored form of a token: tokens are long and random, so a fast hash is as safe as a slow one."""
    return hashlib.sha256(token.encode()).hexdigest()


def view_of(user: User) -> UserView:
    """The domain view of a user row."""
    return UserView(name=user.name, email=user.email, role=user.role, active=user.active, created_at=user.created_at)


def create_user(db: Database, *, name: str, email: str, role: str, password: str) -> UserView:
    """Add a user with a role; the password is kept only as an argon2 hash."""
    name = name.strip()
    if not _NAME.match(name):
        raise InvalidInput(f"invalid user name {name!r}: letters, digits, '.', '_' and '-' only", field="name")
    if not _EMAIL.match(email.strip()):
        raise InvalidInput(f"invalid email {email!r}", field="email")
    role = check_choice(role, ROLES, "role")
    if len(password) < MIN_PASSWORD:
        raise InvalidInput(f"the password needs at least {MIN_PASSWORD} characters", field="password")
    try:
        with db.transaction() as session:
            user = User(name=name, email=email.strip(), role=role, password_hash=_hasher().hash(password), active=True)
            session.add(user)
            session.flush()
            return view_of(user)
    except IntegrityError:
        raise Conflict(f"a user named {name!r} or with email {email!r} exists already") from None


def list_users(db: Database) -> list[UserView]:
    """Every user, by name."""
    with db.transaction() as session:
        return [view_of(user) for user in session.scalars(select(User).order_by(User.name))]


def update_user(db: Database, *, name: str, role: str | None = None, active: bool | None = None) -> UserView:
    """Change a user's role, or deactivate (and reactivate) them: a deactivated user's tokens stop working."""
    with db.transaction() as session:
        user = session.scalar(select(User).where(User.name == name))
        if user is None:
            raise NotFound(f"no user {name!r}")
        if role is not None:
            user.role = check_choice(role, ROLES, "role")
        if active is not None:
            user.active = active
        session.flush()
        return view_of(user)


def authenticate_password(db: Database, *, name: str, password: str) -> Actor | None:
    """The principal of an active user whose password matches, else None."""
    with db.transaction() as session:
        user = session.scalar(select(User).where(func.lower(User.name) == name.strip().lower()))
        if user is None or not user.active:
            _hasher().hash(password)  # spend the same time, so that timing does not tell which names exist
            return None
        try:
            _hasher().verify(user.password_hash, password)
        except (VerificationError, InvalidHashError):
            return None
        return Actor(user_id=user.id, name=user.name, role=user.role)


def _token_view(token: ApiToken, user: User) -> TokenView:
    return TokenView(
        id=token.id,
        user=user.name,
        name=token.name,
        prefix=token.prefix,
        created_at=token.created_at,
        last_used_at=token.last_used_at,
        revoked=token.revoked_at is not None,
    )


def create_token(db: Database, *, user: str, name: str = "api") -> NewToken:
    """Issue an API token for a user; the token is returned once and stored only as a digest."""
    if not name.strip() or len(name.strip()) > 100:
        raise InvalidInput("the token name must be 1 to 100 characters", field="name")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with db.transaction() as session:
        owner = session.scalar(select(User).where(User.name == user.strip()))
        if owner is None:
            raise NotFound(f"no user {user!r}")
        if not owner.active:
            raise InvalidInput(f"user {owner.name!r} is deactivated", field="user")
        row = ApiToken(user_id=owner.id, name=name.strip(), token_hash=token_digest(token), prefix=token[:10])
        session.add(row)
        session.flush()
        return NewToken(**_token_view(row, owner).model_dump(), token=token)


def list_tokens(db: Database, *, user: str | None = None) -> list[TokenView]:
    """The tokens of one user (or of everyone), newest first, never the secrets."""
    query = select(ApiToken, User).join(User, ApiToken.user_id == User.id).order_by(ApiToken.id.desc())
    if user is not None:
        query = query.where(User.name == user)
    with db.transaction() as session:
        return [_token_view(token, owner) for token, owner in session.execute(query).all()]


def revoke_token(db: Database, *, token_id: int, user: str | None = None) -> TokenView:
    """Revoke a token (of that user, when one is named): it stops working at once."""
    with db.transaction() as session:
        row = session.execute(
            select(ApiToken, User).join(User, ApiToken.user_id == User.id).where(ApiToken.id == token_id)
        ).first()
        if row is None or (user is not None and row[1].name != user):
            raise NotFound(f"no token {token_id}")
        token, owner = row
        if token.revoked_at is None:
            token.revoked_at = utcnow()
        session.flush()
        return _token_view(token, owner)


_TOKENS = cast(Table, ApiToken.__table__)
_USERS = cast(Table, User.__table__)
# The user of a token digest (parameter `digest`): the token unrevoked, its user active. Columns: token id, its
# last_used_at, user id, name, role. The web's fast token check (web/fastread.py) runs this same statement.
TOKEN_USER = (
    select(_TOKENS.c.id, _TOKENS.c.last_used_at, _USERS.c.id, _USERS.c.name, _USERS.c.role)
    .join(_USERS, _TOKENS.c.user_id == _USERS.c.id)
    .where(_TOKENS.c.token_hash == bindparam("digest"), _TOKENS.c.revoked_at.is_(None), _USERS.c.active.is_(True))
)


def token_lookup(token: str) -> str | None:
    """The digest to look a presented token up by (TOKEN_USER), or None for a string that is none of ours."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    return token_digest(token)


def token_principal(db: Database, row: Sequence[Any]) -> Actor:
    """The principal of a row of TOKEN_USER; notes the token's use, at most once an hour."""
    token_id, last_used, user_id, name, role = row
    now = utcnow()
    if last_used is None or now - last_used > _LAST_USED_EVERY:  # a write now and then, not on every request
        with db.transaction() as session:
            session.execute(update(_TOKENS).where(_TOKENS.c.id == token_id).values(last_used_at=now))
    return Actor(user_id=user_id, name=name, role=role)


def authenticate_token(db: Database, *, token: str) -> Actor | None:
    """The principal of a valid, unrevoked token of an active user, else None."""
    digest = token_lookup(token)
    if digest is None:
        return None
    with db.transaction() as session:
        row = session.execute(TOKEN_USER, {"digest": digest}).first()
    return None if row is None else token_principal(db, row)
