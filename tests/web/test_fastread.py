"""The web's fast reads (web/fastread.py): SELECTs on raw connections give what SQLAlchemy gives, from a pool that
never opens more connections than its size, replaces a broken one, and closes them all with the app."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import bindparam, event, select, text, update

from afteraction.accounts import service as accounts
from afteraction.accounts.models import ApiToken
from afteraction.core.actor import Actor
from afteraction.core.db import Database
from afteraction.core.errors import DatabaseUnavailable, NotFound
from afteraction.incidents import members
from afteraction.incidents.models import Incident
from afteraction.web import create_app, fastread
from afteraction.web.fastread import FastRead, ReaderPool, read_incident, reader_pool, token_actor
from tests.web.conftest import make_settings

_ONE = FastRead(
    select(Incident.started_at, Incident.private, Incident.extra, Incident.title).where(
        Incident.number == bindparam("number")
    )
)


@pytest.fixture
def readers(db: Database) -> Any:
    pool = ReaderPool(db.engine, 3, wait=5)
    yield pool
    pool.close()


def test_fast_reads_give_what_sqlalchemy_gives(db, readers):
    moment = datetime(2026, 3, 14, 10, 8, 10, 100, tzinfo=UTC)
    with db.transaction() as session:
        session.add(
            Incident(number=7, title="Zürich", kind="incident", status="open", private=True, started_at=moment,
                     extra={"region": "eu"})
        )  # fmt: skip
    assert readers.first(_ONE, number=7) == (moment, True, {"region": "eu"}, "Zürich")
    assert readers.first(_ONE, number=8) is None
    assert readers.all(_ONE, number=7)[0][0].tzinfo == UTC


def test_fast_reads_see_every_commit(db, readers):
    assert readers.first(_ONE, number=1) is None
    with db.transaction() as session:
        session.add(Incident(number=1, title="later", kind="incident", status="open", extra={}))
    assert readers.first(_ONE, number=1)[3] == "later"  # autocommit: no stale snapshot


def test_the_pool_never_opens_more_connections_than_its_size(db, readers, monkeypatch):
    with db.transaction() as session:
        session.add(Incident(number=1, title="one", kind="incident", status="open", extra={}))
    db.engine.dispose()  # so that each connection the pool takes is a new one, counted here
    connects: list[object] = []
    event.listen(db.engine, "connect", lambda connection, _record: connects.append(connection))
    busy, most = 0, 0
    lock = threading.Lock()
    fetch = fastread._fetch

    def slow_fetch(connection: Any, sql: str, values: Any) -> list[Any]:
        nonlocal busy, most
        with lock:
            busy += 1
            most = max(most, busy)
        try:
            time.sleep(0.01)  # long enough for every thread to want a connection at once
            return fetch(connection, sql, values)
        finally:
            with lock:
                busy -= 1

    monkeypatch.setattr(fastread, "_fetch", slow_fetch)
    threads = 3 * readers.size
    start = threading.Barrier(threads)
    titles: list[str] = []
    failures: list[BaseException] = []

    def read() -> None:
        try:
            start.wait()
            for _ in range(5):
                row = readers.first(_ONE, number=1)
                with lock:
                    titles.append(row[3])
        except BaseException as exc:  # reported below
            failures.append(exc)

    workers = [threading.Thread(target=read) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(30)
    assert failures == []
    assert titles == ["one"] * threads * 5  # every read answered: the others waited for a connection
    assert readers.opened == len(connects) == readers.size  # opened as needed, never more
    assert most == readers.size


def test_a_read_waits_for_a_busy_pool_then_gives_up(db, monkeypatch):
    readers = ReaderPool(db.engine, 1, wait=0.2)
    entered, release = threading.Event(), threading.Event()
    fetch = fastread._fetch

    def held_fetch(connection: Any, sql: str, values: Any) -> list[Any]:
        if threading.current_thread().name == "holder":
            entered.set()
            release.wait(10)
        return fetch(connection, sql, values)

    monkeypatch.setattr(fastread, "_fetch", held_fetch)
    holder = threading.Thread(target=readers.first, args=(_ONE,), kwargs={"number": 1}, name="holder")
    holder.start()
    assert entered.wait(10)
    began = time.monotonic()
    with pytest.raises(DatabaseUnavailable, match=r"all 1 reader connections .* stayed busy"):
        readers.first(_ONE, number=1)
    assert time.monotonic() - began >= 0.2
    waiter = threading.Thread(target=readers.first, args=(_ONE,), kwargs={"number": 1})
    waiter.start()  # waits, and gets the connection as soon as it comes back
    release.set()
    holder.join(10)
    waiter.join(10)
    assert not waiter.is_alive() and readers.opened == 1
    readers.close()


def test_the_pool_replaces_a_connection_the_server_dropped(db, readers):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("a SQLite file's connection does not go stale")
    pid = readers.first(FastRead(select(text("pg_backend_pid()"))))[0]
    with db.engine.begin() as conn:  # as a restarted server would leave it
        conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    assert readers.first(_ONE, number=1) is None
    assert readers.first(FastRead(select(text("pg_backend_pid()"))))[0] != pid
    assert readers.opened == 2


def test_an_unreachable_server_is_reported_in_one_line():
    db = Database("postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=2")
    readers = ReaderPool(db.engine, 2)
    with pytest.raises(DatabaseUnavailable) as failure:
        readers.first(_ONE, number=1)
    assert "\n" not in str(failure.value) and "127.0.0.1" in str(failure.value)
    assert len(readers._idle) == 2  # the slot came back


def test_fast_reads_are_off_for_an_in_memory_database_or_a_size_of_0(database_url):
    assert reader_pool(Database("sqlite://"), 8) is None
    assert reader_pool(Database("sqlite:///:memory:"), 8) is None
    assert reader_pool(Database(database_url), 0) is None
    pool = reader_pool(Database(database_url), 4)
    assert pool is not None and pool.size == 4


def test_the_app_closes_its_reader_connections_when_it_stops(database_url):
    app = create_app(make_settings(database_url, fast_read_connections=2))
    readers: ReaderPool = app.state.readers
    with TestClient(app):
        readers.first(_ONE, number=1)
        assert readers.opened == 1
        connection = readers._idle[-1].connection
        assert connection is not None
    assert all(slot.connection is None for slot in readers._idle)
    with pytest.raises(Exception, match="closed"):
        connection.cursor().execute("SELECT 1")


def test_the_fast_token_check_notes_a_use_at_most_once_an_hour(db, readers):
    accounts.create_user(db, name="ann", email="ann@example.org", role="viewer", password="correct horse")
    for check in (
        lambda token: token_actor(readers, db, token),
        lambda token: accounts.authenticate_token(db, token=token),
    ):
        token = accounts.create_token(db, user="ann").token
        token_id = accounts.list_tokens(db, user="ann")[0].id

        def last_used(token_id: int = token_id) -> datetime | None:
            return next(t.last_used_at for t in accounts.list_tokens(db, user="ann") if t.id == token_id)

        assert last_used() is None
        assert check(token) == Actor(user_id=1, name="ann", role="viewer")
        first = last_used()
        assert first is not None
        assert check(token) is not None and last_used() == first  # within the hour: no write
        with db.transaction() as session:
            session.execute(
                update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=first - timedelta(hours=2))
            )
        assert check(token) is not None and last_used() > first  # type: ignore[operator]
        assert check(token + "x") is None and check("not-a-token") is None
        accounts.revoke_token(db, token_id=token_id)
        assert check(token) is None


def test_the_fast_incident_read_applies_the_visibility_rule(db, readers):
    accounts.create_user(db, name="ann", email="ann@example.org", role="viewer", password="correct horse")
    with db.transaction() as session:
        session.add(Incident(number=1, title="secret", kind="incident", status="open", private=True, extra={}))
    ann = Actor(user_id=1, name="ann", role="viewer")
    with pytest.raises(NotFound, match="no incident INC-1"):
        read_incident(readers, ann, "INC-1")
    assert read_incident(readers, Actor.system(), "INC-1").title == "secret"
    members.add_member(db, incident_id="INC-1", user="ann", actor=Actor.system())
    assert read_incident(readers, ann, "inc-1").id == "INC-1"
