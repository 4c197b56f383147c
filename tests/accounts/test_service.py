"""Accounts: names unique regardless of case, password checks and changes, and API tokens with an expiry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from afteraction.accounts import service as accounts
from afteraction.accounts.models import ApiToken, User
from afteraction.core.db import Database, utcnow
from afteraction.core.errors import Conflict, InvalidInput, NotFound

PASSWORD = "correct horse"
NOW = datetime(2026, 3, 14, 10, 0, tzinfo=UTC)


def add(db: Database, name: str = "editor2", role: str = "editor") -> None:
    accounts.create_user(db, name=name, email=f"{name.lower()}@example.org", role=role, password=PASSWORD)


def generation(db: Database, name: str) -> int:
    with db.transaction() as session:
        return int(session.scalar(select(User.session_generation).where(User.name == name)) or 0)


def test_a_name_that_differs_from_an_existing_one_only_in_case_is_taken(db):
    add(db, "editor2")
    with pytest.raises(Conflict) as taken:
        accounts.create_user(db, name="Editor2", email="other@example.org", role="viewer", password=PASSWORD)
    assert taken.value.message == "a user named 'editor2' exists already (user names are the same in any case)"
    assert [user.name for user in accounts.list_users(db)] == ["editor2"]


def test_the_database_refuses_names_alike_even_past_the_service(db):
    add(db, "editor2")
    with pytest.raises(IntegrityError), db.transaction() as session:
        session.add(User(name="EDITOR2", email="x@example.org", role="viewer", password_hash="x", active=True))


def test_users_are_found_by_name_in_any_case_everywhere(db):
    add(db, "Ana")
    assert accounts.check_password(db, name="ANA", password=PASSWORD).actor is not None
    assert accounts.update_user(db, name="ana", role="admin").role == "admin"
    token = accounts.create_token(db, user="aNa", name="ci")
    assert token.user == "Ana"
    assert [t.id for t in accounts.list_tokens(db, user="ANA")] == [token.id]
    assert accounts.revoke_token(db, token_id=token.id, user="ana").revoked
    assert accounts.change_password(db, name="ana", password="a new password").name == "Ana"
    with pytest.raises(NotFound, match="no user 'bo'"):
        accounts.update_user(db, name="bo", role="admin")


def test_a_password_check_says_why_it_failed_and_gives_the_session_generation(db):
    add(db, "ana")
    ok = accounts.check_password(db, name=" ana ", password=PASSWORD)
    assert ok.actor is not None and ok.actor.name == "ana" and ok.reason == "" and ok.generation == 0
    assert accounts.check_password(db, name="ana", password="wrong one").reason == "wrong password"
    assert accounts.check_password(db, name="nobody", password=PASSWORD).reason == "no such user"
    accounts.update_user(db, name="ana", active=False)
    assert accounts.check_password(db, name="ana", password=PASSWORD).reason == "deactivated user"
    assert accounts.authenticate_password(db, name="ana", password=PASSWORD) is None


def test_a_new_role_or_deactivation_ends_the_users_sessions_and_a_change_to_the_same_does_not(db):
    add(db, "ana")
    accounts.update_user(db, name="ana", role="editor")  # no change
    assert generation(db, "ana") == 0
    accounts.update_user(db, name="ana", role="admin")
    assert generation(db, "ana") == 1
    accounts.update_user(db, name="ana", active=False)
    accounts.update_user(db, name="ana", active=True)
    assert generation(db, "ana") == 3
    accounts.update_user(db, name="ana", active=True)
    assert generation(db, "ana") == 3


def test_a_password_reset_replaces_the_password_ends_the_sessions_and_keeps_the_tokens(db):
    add(db, "ana")
    token = accounts.create_token(db, user="ana").token
    view = accounts.change_password(db, name="ana", password="a new password")
    assert view.name == "ana" and generation(db, "ana") == 1
    assert accounts.authenticate_password(db, name="ana", password=PASSWORD) is None
    assert accounts.authenticate_password(db, name="ana", password="a new password") is not None
    assert accounts.authenticate_token(db, token=token) is not None  # tokens are separate credentials
    with pytest.raises(InvalidInput, match="at least 8 characters"):
        accounts.change_password(db, name="ana", password="short")
    with pytest.raises(InvalidInput, match="at most 1000 characters"):
        accounts.change_password(db, name="ana", password="x" * 1001)
    with pytest.raises(NotFound):
        accounts.change_password(db, name="nobody", password="a new password")


def test_changing_ones_own_password_needs_the_current_one(db):
    add(db, "ana")
    with db.transaction() as session:
        user_id = session.scalar(select(User.id).where(User.name == "ana"))
    assert user_id is not None
    assert accounts.change_own_password(db, user_id=user_id, current="not it", new="a new password") is None
    assert generation(db, "ana") == 0 and accounts.authenticate_password(db, name="ana", password=PASSWORD)
    assert accounts.change_own_password(db, user_id=user_id, current=PASSWORD, new="a new password") == 1
    assert accounts.authenticate_password(db, name="ana", password="a new password") is not None
    with pytest.raises(InvalidInput, match="at least 8"):
        accounts.change_own_password(db, user_id=user_id, current="a new password", new="short")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90d", NOW + timedelta(days=90)),
        ("12h", NOW + timedelta(hours=12)),
        (" 8W ", NOW + timedelta(weeks=8)),
        ("2026-12-31", datetime(2026, 12, 31, tzinfo=UTC)),
        ("2026-04-01T09:30:00+02:00", datetime(2026, 4, 1, 7, 30, tzinfo=UTC)),
        ("2026-04-01 09:30", datetime(2026, 4, 1, 9, 30, tzinfo=UTC)),
    ],
)
def test_an_expiry_is_a_span_from_now_or_a_date_or_time(text, expected):
    assert accounts.parse_expiry(text, now=NOW) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("0d", "above 0"),
        ("soon", "give 90d, 12h or 8w, or a date such as 2026-12-31"),
        ("90y", "give 90d"),
        ("2026-02-30", "give 90d"),
        ("2026-03-01", "is not in the future"),
        ("99999d", "at most 3650 days"),
        ("2100-01-01", "at most 3650 days"),
    ],
)
def test_an_expiry_that_cannot_be_is_one_line_naming_the_option(text, message):
    with pytest.raises(InvalidInput, match=message) as refused:
        accounts.parse_expiry(text, now=NOW)
    assert refused.value.field == "expires" and "\n" not in refused.value.message


def test_a_token_with_an_expiry_works_until_then_and_lists_its_expiry_and_last_use(db):
    add(db, "ana")
    soon = utcnow() + timedelta(days=1)
    made = accounts.create_token(db, user="ana", name="ci", expires_at=soon)
    assert made.expires_at == soon and not made.expired
    forever = accounts.create_token(db, user="ana", name="laptop")
    assert forever.expires_at is None
    assert accounts.authenticate_token(db, token=made.token) is not None  # notes its first use
    listed = {t.name: t for t in accounts.list_tokens(db, user="ana")}
    assert listed["ci"].expires_at == soon and listed["ci"].last_used_at is not None
    assert listed["laptop"].last_used_at is None and not listed["laptop"].expired
    with db.transaction() as session:  # a day later
        session.execute(update(ApiToken).where(ApiToken.id == made.id).values(expires_at=utcnow()))
    assert accounts.authenticate_token(db, token=made.token) is None
    assert accounts.authenticate_token(db, token=forever.token) is not None
    assert {t.name: t.expired for t in accounts.list_tokens(db, user="ana")} == {"ci": True, "laptop": False}
    with pytest.raises(InvalidInput, match="not in the future"):
        accounts.create_token(db, user="ana", expires_at=utcnow() - timedelta(seconds=1))
