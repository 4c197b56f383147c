"""Who acts: a signed-in user, or the explicit system actor of the command line and scheduled jobs."""

from __future__ import annotations

from dataclasses import dataclass

ROLES: tuple[str, ...] = ("viewer", "editor", "admin")


def role_rank(role: str) -> int:
    """The rank of a role: viewer < editor < admin."""
    return ROLES.index(role)


@dataclass(frozen=True, slots=True)
class Actor:
    """The acting user every service that reads or writes incident data takes; there is no default."""

    user_id: int | None
    name: str
    role: str

    @classmethod
    def system(cls, name: str = "system") -> Actor:
        """The command line and scheduled jobs: no account, sees every incident (`name` is recorded as who acted)."""
        return cls(user_id=None, name=name, role="admin")

    @property
    def is_system(self) -> bool:
        """Whether this is the system actor rather than a signed-in user."""
        return self.user_id is None

    @property
    def is_admin(self) -> bool:
        """Admins (and the system) see every incident, private ones included."""
        return self.role == "admin"

    def can(self, role: str) -> bool:
        """Whether this actor's role is at least `role`."""
        return role_rank(self.role) >= role_rank(role)
