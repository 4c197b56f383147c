"""Fixtures of the accounts tests: cheap password hashes."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher

from afteraction.accounts import service as accounts


@pytest.fixture(autouse=True)
def cheap_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2 with the smallest costs: tests check behaviour, not hash strength."""
    monkeypatch.setattr(accounts, "_hasher", lambda: PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
