"""A database that stops answering, over real HTTP (issue #15, item 7): `afteraction serve` on PostgreSQL reached
through a TCP proxy of the test's own, which the test freezes (it stops passing bytes, as a stopped or unreachable
server would: connections open, nothing answers). /readyz says "not ready" within ~2 s, requests fail with 503 and
Retry-After within the database deadlines instead of hanging, and once the proxy passes bytes again the server
answers by itself. The shared PostgreSQL server itself is never stopped."""

from __future__ import annotations

import select
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from unittest.mock import patch

import httpx
import pytest
from sqlalchemy.engine import make_url

from tests.conftest import PG_URL, migrated_pg_schema
from tests.security import conftest as live_servers

pytestmark = pytest.mark.skipif(not PG_URL, reason="AFTERACTION_TEST_DATABASE_URL is not set")

# Small deadlines, so that the test is quick: libpq counts a connect timeout of at least 2 s.
DEADLINES = {"DB_CONNECT_TIMEOUT": "2", "DB_STATEMENT_TIMEOUT": "1", "DB_LOCK_TIMEOUT": "0.5"}


class FreezableProxy:
    """A loopback TCP proxy to a server; while frozen it accepts connections but passes no byte either way."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.frozen = threading.Event()
        self.stopped = threading.Event()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.listener.getsockname()[1])
        self.threads = [threading.Thread(target=self._accept, daemon=True)]
        self.threads[0].start()

    def _accept(self) -> None:
        self.listener.settimeout(0.1)
        while not self.stopped.is_set():
            try:
                client, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            thread = threading.Thread(target=self._pump, args=(client,), daemon=True)
            thread.start()

    def _pump(self, client: socket.socket) -> None:
        while self.frozen.is_set() and not self.stopped.is_set():  # a new connection waits too
            time.sleep(0.05)
        try:
            server = socket.create_connection(self.target)
        except OSError:
            client.close()
            return
        ends = {client: server, server: client}
        try:
            while not self.stopped.is_set():
                if self.frozen.is_set():
                    time.sleep(0.05)
                    continue
                readable, _, _ = select.select(list(ends), [], [], 0.05)
                for end in readable:
                    data = end.recv(65536)
                    if not data:
                        return
                    ends[end].sendall(data)
        except OSError:
            return
        finally:
            client.close()
            server.close()

    def stop(self) -> None:
        """Stop accepting and close every connection."""
        self.stopped.set()
        self.listener.close()


@contextmanager
def server_behind_proxy(folder: Path) -> Iterator[tuple[live_servers.LiveServer, FreezableProxy]]:
    """A live server on a fresh PostgreSQL schema that it reaches only through a FreezableProxy."""
    target = make_url(PG_URL)
    proxy = FreezableProxy((target.host or "127.0.0.1", target.port or 5432))

    @contextmanager
    def proxied_database(backend: str, folder: Path) -> Iterator[str]:
        with migrated_pg_schema("aa_down") as url:
            yield make_url(url).set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)

    try:
        with (
            patch.object(live_servers, "_database", proxied_database),
            live_servers.start_live_server("postgresql", folder, DEADLINES) as server,
        ):
            yield server, proxy
    finally:
        proxy.stop()


def _timed(client: httpx.Client, method: str, path: str, **kwargs: object) -> tuple[httpx.Response, float]:
    started = time.perf_counter()
    answer = client.request(method, path, **kwargs)  # type: ignore[arg-type]
    return answer, time.perf_counter() - started


def _editor_with_incident(server: live_servers.LiveServer, title: str) -> tuple[httpx.Client, str]:
    """A signed-in editor's client and the id of an incident it created."""
    client = server.client(server.add_user("Ada", role="editor"))
    created = client.post("/api/v1/incidents", json={"title": title, "severity": "SEV3"})
    assert created.status_code == 201, created.text
    return client, str(created.json()["id"])


def test_a_frozen_database_is_not_ready_503_and_then_recovers(tmp_path: Path):
    with server_behind_proxy(tmp_path) as (server, proxy):
        client, key = _editor_with_incident(server, "Cache stampede")
        assert client.get("/readyz").status_code == 200
        assert client.get(f"/api/v1/incidents/{key}").status_code == 200  # the fast reads' connections open
        assert client.get("/api/v1/incidents").status_code == 200  # and the pool's

        proxy.frozen.set()
        ready, took = _timed(client, "GET", "/readyz")
        assert (ready.status_code, ready.json()) == (503, {"status": "not ready"})
        assert took < 3, f"/readyz took {took:.1f} s with a frozen database"

        # A read through the fast path (kept connection, then a fresh one) and one through the pool: each gives up
        # after the statement deadline (1 s + 1 s of grace) and the connect timeout (2 s), not never.
        for path in (f"/api/v1/incidents/{key}", "/api/v1/incidents", "/api/v1/insights"):
            answer, took = _timed(client, "GET", path)
            assert answer.status_code == 503, (path, answer.status_code, answer.text[:300])
            assert int(answer.headers["Retry-After"]) >= 1
            assert "database" in answer.json()["detail"]
            assert "5432" not in answer.text and "postgres" not in answer.text.lower()  # no address leaks
            assert took < 12, f"{path} took {took:.1f} s with a frozen database"

        proxy.frozen.clear()
        deadline = time.monotonic() + 15
        while client.get("/readyz").status_code != 200:
            assert time.monotonic() < deadline, "the server did not recover after the database came back"
            time.sleep(0.2)
        for path in (f"/api/v1/incidents/{key}", "/api/v1/incidents", "/api/v1/insights"):
            assert client.get(path).status_code == 200, path
        renamed = client.patch(f"/api/v1/incidents/{key}", json={"title": "Cache stampede on deploy"})
        assert renamed.status_code == 200, renamed.text
        assert server.alive()
        assert "Traceback" not in server.log()


def test_a_write_behind_a_held_row_lock_is_a_503_after_the_lock_timeout(tmp_path: Path):
    with server_behind_proxy(tmp_path) as (server, _proxy):
        client, key = _editor_with_incident(server, "Queue backlog")
        with server.db.engine.connect() as holder:  # another connection holds the incident's row
            holder.exec_driver_sql("SELECT id FROM incidents FOR UPDATE")
            answer, took = _timed(client, "PATCH", f"/api/v1/incidents/{key}", json={"title": "Queue backlog (EU)"})
            holder.rollback()
        assert answer.status_code == 503, answer.text
        assert int(answer.headers["Retry-After"]) >= 1
        assert took < 5, f"the write waited {took:.1f} s behind a lock with a 0.5 s lock timeout"
        again = client.patch(f"/api/v1/incidents/{key}", json={"title": "Queue backlog (EU)"})
        assert again.status_code == 200, again.text
