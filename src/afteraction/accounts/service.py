"""Use cases of accounts: create users and change their passwords, issue and check API tokens (with an optional
expiry), and the rules of names (unique regardless of case)."""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, cast

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Table, bindparam, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

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
MAX_PASSWORD = 1000
_EXPIRY = re.compile(r"^(\d{1,5})\s*([hdw])$")
_EXPIRY_UNITS = {"h": "hours", "d": "days", "w": "weeks"}
MAX_TOKEN_DAYS = 3650  # the longest expiry a token may be given (ten years); no expiry at all is allowed too
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


def check_password_rules(password: str) -> None:
    """InvalidInput unless the password is 8 to 1000 characters long."""
    if len(password) < MIN_PASSWORD:
        raise InvalidInput(f"the password needs at least {MIN_PASSWORD} characters", field="password")
    if len(password) > MAX_PASSWORD:
        raise InvalidInput(f"the password may have at most {MAX_PASSWORD} characters", field="password")


def find_user(session: Session, name: str) -> User | None:
    """The user of a name, without regard to case (names are unique so), else None."""
    return session.scalar(select(User).where(func.lower(User.name) == name.strip().lower()))


def _user(session: Session, name: str) -> User:
    found = find_user(session, name)
    if found is None:
        raise NotFound(f"no user {name!r}")
    return found


def _end_sessions(user: User) -> None:
    """Every session cookie of the user stops counting (see sessions.session_principal)."""
    user.session_generation = (user.session_generation or 0) + 1


def create_user(db: Database, *, name: str, email: str, role: str, password: str) -> UserView:
    """Add a user with a role; the password is kept only as an argon2 hash. A name that differs from an existing
    one only in case is taken (Conflict): sign-in finds users regardless of case."""
    name = name.strip()
    if not _NAME.match(name):
        raise InvalidInput(f"invalid user name {name!r}: letters, digits, '.', '_' and '-' only", field="name")
    if not _EMAIL.match(email.strip()):
        raise InvalidInput(f"invalid email {email!r}", field="email")
    role = check_choice(role, ROLES, "role")
    check_password_rules(password)
    with db.transaction() as session:
        existing = find_user(session, name)
    if existing is not None:
        raise Conflict(f"a user named {existing.name!r} exists already (user names are the same in any case)")
    password_hash = _hasher().hash(password)
    try:
        with db.transaction() as session:
            user = User(name=name, email=email.strip(), role=role, password_hash=password_hash, active=True)
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
    """Change a user's role, or deactivate (and reactivate) them: a deactivated user's tokens stop working. Either
    change ends every session of the user (they sign in again, with their new role)."""
    with db.transaction() as session:
        user = _user(session, name)
        changed = False
        if role is not None:
            role = check_choice(role, ROLES, "role")
            changed = role != user.role
            user.role = role
        if active is not None:
            changed = changed or active != user.active
            user.active = active
        if changed:
            _end_sessions(user)
        session.flush()
        return view_of(user)


def change_password(db: Database, *, name: str, password: str) -> UserView:
    """Give a user a new password (an administrator's reset, or `afteraction user password`): every session of the
    user ends. Their API tokens keep working: they are separate credentials, listed and revoked on their own."""
    check_password_rules(password)
    password_hash = _hasher().hash(password)
    with db.transaction() as session:
        user = _user(session, name)
        user.password_hash = password_hash
        _end_sessions(user)
        session.flush()
        return view_of(user)


def change_own_password(db: Database, *, user_id: int, current: str, new: str) -> int | None:
    """A signed-in user's change of their own password: None when `current` is not their password (nothing
    changes), else the user's new session generation (every session ends; the caller starts one of the new
    generation for the browser that made the change)."""
    check_password_rules(new)
    with db.transaction() as session:
        user = session.get(User, user_id)
        if user is None or not user.active:
            raise NotFound("no such user")
        stored = user.password_hash
    try:
        _hasher().verify(stored, current)
    except (VerificationError, InvalidHashError):
        return None
    password_hash = _hasher().hash(new)
    with db.transaction() as session:
        user = session.get(User, user_id)
        if user is None:
            raise NotFound("no such user")
        user.password_hash = password_hash
        _end_sessions(user)
        session.flush()
        return user.session_generation


@dataclass(frozen=True, slots=True)
class PasswordCheck:
    """The outcome of a password check: the user's principal and session generation, or why it failed."""

    actor: Actor | None
    reason: str = ""  # why not: "no such user", "deactivated user" or "wrong password" (for the log)
    generation: int = 0


def check_password(db: Database, *, name: str, password: str) -> PasswordCheck:
    """Whether `password` is the password of the active user `name` (found regardless of case). A hash is spent
    on every path, so that the time taken does not tell which names exist; no connection is held meanwhile."""
    with db.transaction() as session:
        user = find_user(session, name)
        found = None if user is None else (user.id, user.name, user.role, user.active, user.password_hash,
                                           user.session_generation)  # fmt: skip
    if found is None or not found[3]:
        _hasher().hash(password)  # spend the same time, so that timing does not tell which names exist
        return PasswordCheck(None, "no such user" if found is None else "deactivated user")
    user_id, user_name, role, _, password_hash, generation = found
    try:
        _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return PasswordCheck(None, "wrong password")
    return PasswordCheck(Actor(user_id=user_id, name=user_name, role=role), "", generation)


def authenticate_password(db: Database, *, name: str, password: str) -> Actor | None:
    """The principal of an active user whose password matches, else None."""
    return check_password(db, name=name, password=password).actor


def _token_view(token: ApiToken, user: User, now: datetime | None = None) -> TokenView:
    now = now or utcnow()
    return TokenView(
        id=token.id,
        user=user.name,
        name=token.name,
        prefix=token.prefix,
        created_at=token.created_at,
        last_used_at=token.last_used_at,
        expires_at=token.expires_at,
        revoked=token.revoked_at is not None,
        expired=token.expires_at is not None and token.expires_at <= now,
    )


def parse_expiry(text: str, *, now: datetime | None = None) -> datetime:
    """When a token given `--expires TEXT` expires: `90d`, `12h`, `8w` from now, or an ISO date (the start of that
    day, UTC) or time (UTC unless it names a zone). It must be in the future and at most ten years away."""
    now = now or utcnow()
    value = text.strip().lower()
    found = _EXPIRY.match(value)
    if found:
        amount, unit = int(found[1]), found[2]
        if amount < 1:
            raise InvalidInput(f"--expires {text!r}: give a number of hours, days or weeks above 0", field="expires")
        span = timedelta(**{_EXPIRY_UNITS[unit]: amount})
        if span > timedelta(days=MAX_TOKEN_DAYS):
            raise InvalidInput(f"--expires {text!r}: at most {MAX_TOKEN_DAYS} days", field="expires")
        return now + span
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            moment = datetime(day.year, day.month, day.day, tzinfo=UTC)
        else:
            moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(
            f"--expires {text!r}: give 90d, 12h or 8w, or a date such as 2026-12-31", field="expires"
        ) from None
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return check_expiry(moment, now=now)


def check_expiry(moment: datetime, *, now: datetime | None = None) -> datetime:
    """An expiry time in UTC, if it is in the future and at most ten years away, else InvalidInput."""
    now = now or utcnow()
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    if moment <= now:
        raise InvalidInput(f"the expiry {moment:%Y-%m-%d %H:%M} UTC is not in the future", field="expires")
    if moment - now > timedelta(days=MAX_TOKEN_DAYS):
        raise InvalidInput(f"a token may expire at most {MAX_TOKEN_DAYS} days from now", field="expires")
    return moment


def create_token(db: Database, *, user: str, name: str = "api", expires_at: datetime | None = None) -> NewToken:
    """Issue an API token for a user (found regardless of case), valid until `expires_at` (None: until revoked);
    the token is returned once and stored only as a digest."""
    if not name.strip() or len(name.strip()) > 100:
        raise InvalidInput("the token name must be 1 to 100 characters", field="name")
    if expires_at is not None:
        expires_at = check_expiry(expires_at)
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with db.transaction() as session:
        owner = _user(session, user)
        if not owner.active:
            raise InvalidInput(f"user {owner.name!r} is deactivated", field="user")
        row = ApiToken(
            user_id=owner.id,
            name=name.strip(),
            token_hash=token_digest(token),
            prefix=token[:10],
            expires_at=expires_at,
        )
        session.add(row)
        session.flush()
        return NewToken(**_token_view(row, owner).model_dump(), token=token)


def list_tokens(db: Database, *, user: str | None = None) -> list[TokenView]:
    """The tokens of one user (found regardless of case; or of everyone), newest first, with their expiry and last
    use, never the secrets."""
    query = select(ApiToken, User).join(User, ApiToken.user_id == User.id).order_by(ApiToken.id.desc())
    if user is not None:
        query = query.where(func.lower(User.name) == user.strip().lower())
    now = utcnow()
    with db.transaction() as session:
        return [_token_view(token, owner, now) for token, owner in session.execute(query).all()]


def revoke_token(db: Database, *, token_id: int, user: str | None = None) -> TokenView:
    """Revoke a token (of that user, when one is named): it stops working at once."""
    with db.transaction() as session:
        row = session.execute(
            select(ApiToken, User).join(User, ApiToken.user_id == User.id).where(ApiToken.id == token_id)
        ).first()
        if row is None or (user is not None and row[1].name.lower() != user.strip().lower()):
            raise NotFound(f"no token {token_id}")
        token, owner = row
        if token.revoked_at is None:
            token.revoked_at = utcnow()
        session.flush()
        return _token_view(token, owner)


_TOKENS = cast(Table, ApiToken.__table__)
_USERS = cast(Table, User.__table__)
# The user of a token digest (parameter `digest`) at a time (parameter `now`): the token unrevoked and not expired,
# its user active. Columns: token id, its last_used_at, user id, name, role. The web's fast token check
# (web/fastread.py) runs this same statement.
TOKEN_USER = (
    select(_TOKENS.c.id, _TOKENS.c.last_used_at, _USERS.c.id, _USERS.c.name, _USERS.c.role)
    .join(_USERS, _TOKENS.c.user_id == _USERS.c.id)
    .where(
        _TOKENS.c.token_hash == bindparam("digest"),
        _TOKENS.c.revoked_at.is_(None),
        or_(_TOKENS.c.expires_at.is_(None), _TOKENS.c.expires_at > bindparam("now")),
        _USERS.c.active.is_(True),
    )
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
    """The principal of a valid (unrevoked, unexpired) token of an active user, else None."""
    digest = token_lookup(token)
    if digest is None:
        return None
    with db.transaction() as session:
        row = session.execute(TOKEN_USER, {"digest": digest, "now": utcnow()}).first()
    return None if row is None else token_principal(db, row)
