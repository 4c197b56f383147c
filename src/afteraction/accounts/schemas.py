"""Domain objects of accounts: the principal a request acts as, users and tokens as faces show them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pydantic import BaseModel

ROLES: tuple[str, ...] = ("viewer", "editor", "admin")


def role_rank(role: str) -> int:
    """The rank of a role: viewer < editor < admin."""
    return ROLES.index(role)


@dataclass(frozen=True, slots=True)
class Principal:
    """Who a request acts as: a user id, name and role; services use it to hide private incidents."""

    user_id: int
    name: str
    role: str

    @property
    def is_admin(self) -> bool:
        """Admins see every incident, private ones included."""
        return self.role == "admin"

    def can(self, role: str) -> bool:
        """Whether this principal's role is at least `role`."""
        return role_rank(self.role) >= role_rank(role)


class UserView(BaseModel):
    """A user as lists show it (never the password hash)."""

    name: str
    email: str
    role: str
    active: bool = True
    created_at: datetime | None = None


class TokenView(BaseModel):
    """An API token's record: its name and first characters, never the token."""

    id: int
    user: str
    name: str
    prefix: str
    created_at: datetime | None = None
    last_used_at: datetime | None = None
    revoked: bool = False


class NewToken(TokenView):
    """A token just created: the only time the secret is shown."""

    token: str
