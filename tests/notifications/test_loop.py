"""`serve` sends pending notifications by itself every AFTERACTION_NOTIFY_INTERVAL seconds, in a thread that stops
with the server; 0 turns it off; an app built for tests never starts it."""

from __future__ import annotations

import threading
import time

from fastapi.testclient import TestClient
from sqlalchemy import select

from afteraction.core.config import Settings
from afteraction.notifications.models import Notification
from afteraction.notifications.service import Message, notify
from afteraction.people.models import Person
from afteraction.usecases.notify import NotifyLoop, start_notify_loop
from afteraction.web import create_app

LOOP = "afteraction-notify"


def loop_threads() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name == LOOP]


def one_pending(db) -> None:
    with db.transaction() as session:
        person = Person(name="Bo Chen", email="bo@example.com", notify_slack=False)
        session.add(person)
        session.flush()
        notify(session, [person], Message("minutes", "Minutes of the review meeting"), key="minutes:1")


def states(db) -> list[str]:
    with db.transaction() as session:
        return list(session.scalars(select(Notification.state)))


def served_app(database_url: str, interval: int):
    app = create_app(Settings(database_url=database_url, notify_interval=interval))
    app.state.send_notifications = True  # as app_from_env (`afteraction serve`) sets it
    return app


def test_a_served_app_sends_pending_notifications_and_stops_its_thread(database_url, db, smtp):
    one_pending(db)
    with TestClient(served_app(database_url, 1)):
        assert len(loop_threads()) == 1
        deadline = time.monotonic() + 10
        while not smtp.messages and time.monotonic() < deadline:
            time.sleep(0.05)
    assert [m["To"] for m in smtp.messages] == ["bo@example.com"] and states(db) == ["sent"]
    assert loop_threads() == []  # stopped with the server


def test_interval_zero_turns_the_loop_off(database_url, db, smtp):
    one_pending(db)
    assert start_notify_loop(db, Settings(notify_interval=0)) is None
    with TestClient(served_app(database_url, 0)) as client:
        assert client.get("/healthz").status_code in (200, 404)
        time.sleep(0.3)
        assert loop_threads() == []
    assert smtp.messages == [] and states(db) == ["pending"]


def test_an_app_built_for_tests_does_not_send(database_url, db, smtp):
    one_pending(db)
    with TestClient(create_app(Settings(database_url=database_url, notify_interval=1))):
        time.sleep(0.3)
        assert loop_threads() == []
    assert states(db) == ["pending"]


def test_a_round_that_fails_does_not_stop_the_loop(db, caplog):
    class Broken:
        def transaction(self):
            raise RuntimeError("the database went away")

    loop = NotifyLoop(Broken(), Settings(), interval=0.05).start()  # type: ignore[arg-type]
    try:
        deadline = time.monotonic() + 5
        while loop.rounds < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert loop.rounds >= 2 and loop.alive
    finally:
        loop.stop()
    assert not loop.alive
    assert "a round of notifications failed" in caplog.text
