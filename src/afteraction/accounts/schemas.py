"""Users and tokens as faces show them (the acting user itself is core.actor.Actor)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel


class UserView(BaseModel):
    """A user as lists show it (never the password hash)."""

    name: str
    email: str
    role: str
    active: bool = True
    created_at: datetime | None = None


class TokenView(BaseModel):
    """An API token's record: its name and first characters, when it was last used and when it expires (None:
    never), never the token."""

    id: int
    user: str
    name: str
    prefix: str
    created_at: datetime | None = None
    last_used_at: datetime | None = None
    expires_at: datetime | None = None
    revoked: bool = False
    expired: bool = False


class NewToken(TokenView):
    """A token just created: the only time the secret is shown."""

    token: str
