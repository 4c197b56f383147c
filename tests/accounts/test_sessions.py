"""Sessions of the web pages: a session counts only in its user's current session generation."""

from __future__ import annotations

from sqlalchemy import select

from afteraction.accounts import service as accounts
from afteraction.accounts.models import User
from afteraction.accounts.sessions import end_sessions, reset_demo_user, session_principal
from afteraction.core.db import Database


def user_id(db: Database, name: str) -> int:
    with db.transaction() as session:
        found = session.scalar(select(User.id).where(User.name == name))
    assert found is not None
    return found


def test_a_session_counts_only_in_its_users_current_generation(db):
    accounts.create_user(db, name="ana", email="ana@example.org", role="editor", password="correct horse")
    ana = user_id(db, "ana")
    found = session_principal(db, user_id=ana, generation=0)
    assert found is not None and (found.name, found.role) == ("ana", "editor")
    assert session_principal(db, user_id=ana, generation=None) is None  # a cookie from before generations
    assert session_principal(db, user_id=ana, generation=1) is None
    accounts.update_user(db, name="ana", role="admin")
    assert session_principal(db, user_id=ana, generation=0) is None
    assert session_principal(db, user_id=ana, generation=1) is not None


def test_signing_out_ends_every_session_of_the_user_and_an_old_cookie_cannot(db):
    accounts.create_user(db, name="ana", email="ana@example.org", role="editor", password="correct horse")
    ana = user_id(db, "ana")
    assert end_sessions(db, user_id=ana, generation=0) is True
    assert session_principal(db, user_id=ana, generation=0) is None
    assert end_sessions(db, user_id=ana, generation=0) is False  # a stale cookie changes nothing
    assert end_sessions(db, user_id=ana, generation=None) is False
    assert session_principal(db, user_id=ana, generation=1) is not None


def test_resetting_the_demo_user_ends_its_sessions(db):
    reset_demo_user(db, name="demo", password="first password")
    demo = user_id(db, "demo")
    assert session_principal(db, user_id=demo, generation=0) is not None
    view = reset_demo_user(db, name="DEMO", password="second password")
    assert view.name == "demo" and session_principal(db, user_id=demo, generation=0) is None
    assert accounts.authenticate_password(db, name="demo", password="second password") is not None
