"""Tables of accounts: users, their API tokens, the shared session key, and failed sign-ins (for throttling)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from afteraction.core.db import Base, UTCDateTime, utcnow


class User(Base):
    """Someone who signs in: a viewer reads, an editor writes, an admin also manages users and settings."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    role: Mapped[str] = mapped_column(String(20), default="viewer")
    password_hash: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # A session cookie carries the generation it was made in and counts only while it is the user's current one:
    # signing out, a new password, a new role and deactivation move it on, ending every session of the user.
    session_generation: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


# Names are unique without regard to case (`Editor2` and `editor2` are one name): sign-in finds users so.
Index("uq_users_name_lower", func.lower(User.name), unique=True)


class ApiToken(Base):
    """A bearer token of a user, stored as a SHA-256 digest (the token itself is shown once)."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()


class WebSecret(Base):
    """A random secret generated once and shared by every server process through the database."""

    __tablename__ = "web_secrets"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SignInFailure(Base):
    """Recent failed sign-ins of one account name or one client address, shared by every server process.

    `key` is `user:NAME` (the name as typed, lower-cased, whether or not such a user exists) or `addr:ADDRESS`;
    `failures` counts the failures since the count last restarted, the newest at `last_failure_at` (see
    accounts/throttle.py for the waits they cost).
    """

    __tablename__ = "signin_failures"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer)
    last_failure_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
