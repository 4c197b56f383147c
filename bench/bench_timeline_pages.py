"""Timelines at real scale (issue #16): one incident of 1,000,000 events, read through a live `afteraction` server.

    .venv/bin/python bench/bench_timeline_pages.py [--pg URL] [--events 1000000] [--runs 40] [--undo-events 200000]

Fills INC-1 with `--events` events the way real incidents look (nine in ten Slack messages, one in five hundred of
them pinned or reacted to; 150 alerts that fire and resolve over and over; PagerDuty notifications and pages; GitHub
deploys), with each event's highlight as the import pipeline gives it; then does what an import does once its events
are in: the rules that depend on other events (one alert's repeated firings count once; the events behind key
moments), and the picture's counts per lane marked for the server's upkeep to count. A server
(uvicorn, one worker) serves the database while the bench reads, over HTTP, as a client and a browser would:

- the timeline API's first page, and a page deep in the timeline (a cursor at the 900,000th event): p95 < 50 ms;
- the incident page: p95 < 300 ms and under 1 MB;
- the post-mortem page (highlights only): p95 < 300 ms;
- the Markdown export of the post-mortem: < 1 s;
- undo of a 200,000-event import (imported first, by the library, from a Slack export): < 10 s;
- the server's memory (resident set, sampled every 20 ms, and its peak) under 300 MB throughout.

Each figure is printed beside its target.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import statistics
import tempfile
import threading
import time
import uuid
import zipfile
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from bench_api import free_port, serve
from sqlalchemy import create_engine, text

from afteraction.accounts.service import create_token, create_user
from afteraction.core.actor import Actor
from afteraction.core.db import Database
from afteraction.domain.highlights import default_highlight
from afteraction.domain.incidents import NewIncident
from afteraction.timeline.paging import cursor_at
from afteraction.timeline.pipeline import sqlite_time
from afteraction.timeline.refresh import after_bulk_change
from afteraction.timeline.service import import_timeline
from afteraction.usecases.incidents import create_incident

SYSTEM = Actor.system()
START = datetime(2026, 3, 14, tzinfo=UTC)
STEP = timedelta(milliseconds=100)  # ten events a second: a million events span 28 hours
PASSWORD = "bench-password-long-enough"
COLUMNS = (
    "incident_id", "at", "sort_at", "source", "actor", "kind", "text", "source_id", "channel", "highlight", "link",
    "position",
)  # fmt: skip
MB = 1_000_000


def _event(n: int) -> tuple[Any, ...]:
    """The n-th event of the benchmark incident: (source, actor, kind, text, source_id, channel, flagged, link)."""
    if n % 10 == 9:  # one in ten: alerting, paging, deploys
        m = n // 10
        if m % 1000 == 999:
            return ("github", "deploy-bot", "deploy", f"Deployed checkout v{m}", f"deploy-{m}", None, False, None)
        if m % 10 == 8:
            kind = "page" if m % 1000 == 8 else "notify"
            return (
                "pagerduty",
                "PagerDuty",
                kind,
                f"Notified on-call {m % 7} about P{m}",
                f"pd-{m}",
                None,
                False,
                None,
            )
        fingerprint, episode = m % 150, m // 300
        state = "firing" if m % 300 < 150 else "resolved"
        return (
            "alertmanager", None, "alert" if state == "firing" else "resolve",
            f"{'Firing' if state == 'firing' else 'Resolved'}: HighLatency{fingerprint} on checkout-{fingerprint % 9}",
            f"fp{fingerprint}:{episode}:{state}", None, False, "https://grafana.example.org/d/checkout",
        )  # fmt: skip
    flagged = n % 2000 == 0
    return (
        "slack", f"person {n % 50}", "message",
        f"message {n}: looking at `checkout` latency, p99 is {n % 900} ms <@U{n % 50}>", f"C0INCIDENT:{n}.000100",
        "incident-checkout", flagged, None,
    )  # fmt: skip


def _rows(events: int, sqlite: bool) -> Iterator[tuple[Any, ...]]:
    for n in range(events):
        source, actor, kind, words, source_id, channel, flagged, link = _event(n)
        at = START + STEP * n
        when: Any = sqlite_time(at) if sqlite else at
        highlight = default_highlight(source, kind, flagged)
        yield (1, when, when, source, actor, kind, words, source_id, channel, highlight, link, 0)


def fill(url: str, events: int) -> None:
    """`events` events of INC-1 (row id 1), written in bulk: sqlite3 executemany, or PostgreSQL's COPY."""
    engine = create_engine(url)
    sqlite = engine.dialect.name == "sqlite"
    with engine.begin() as connection:
        raw: Any = connection.connection.dbapi_connection
        if sqlite:
            marks = ", ".join("?" * len(COLUMNS))
            raw.executemany(f"INSERT INTO timeline_events ({', '.join(COLUMNS)}) VALUES ({marks})", _rows(events, True))
        else:
            with raw.cursor() as cursor, cursor.copy(f"COPY timeline_events ({', '.join(COLUMNS)}) FROM STDIN") as copy:
                for row in _rows(events, False):
                    copy.write_row(row)
    with engine.begin() as connection:
        connection.execute(text("ANALYZE"))
    engine.dispose()


def p95_ms(runs: int, read: Callable[[], httpx.Response]) -> tuple[float, int]:
    """p95 of `runs` timed reads in ms (after one untimed), and the size of the last answer in bytes."""
    size = len(read().content)
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        answer = read()
        times.append((time.perf_counter() - started) * 1000)
        answer.raise_for_status()
        size = len(answer.content)
    return statistics.quantiles(times, n=20)[-1], size


class Memory:
    """The server's resident set, sampled every 20 ms in a thread, and the kernel's peak (VmHWM) at the end."""

    def __init__(self, pid: int) -> None:
        self.pid, self.highest, self._stop = pid, 0, threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _read(self, field: str) -> int:
        status = Path(f"/proc/{self.pid}/status").read_text()
        found = re.search(rf"^{field}:\s+(\d+) kB", status, re.MULTILINE)
        return int(found.group(1)) * 1024 if found else 0

    def _sample(self) -> None:
        while not self._stop.wait(0.02):
            try:
                self.highest = max(self.highest, self._read("VmRSS"))
            except OSError:
                return

    def peak(self) -> int:
        """The highest of the samples and of the kernel's own peak."""
        self._stop.set()
        self._thread.join()
        return max(self.highest, self._read("VmHWM"))


def slack_export(path: Path, events: int) -> Path:
    """A Slack export of `events` messages in one channel, inside the benchmark incident's window."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr("channels.json", json.dumps([{"id": "C0UNDO", "name": "undo-me"}]))
        archive.writestr("users.json", json.dumps([{"id": "U1", "name": "ana", "profile": {"real_name": "Ana"}}]))
        per_day = 50_000
        for day in range(0, events, per_day):
            buffer = io.StringIO()
            messages = [
                {"type": "message", "user": "U1", "text": f"undo message {n}",
                 "ts": f"{int((START + STEP * n).timestamp())}.{n % 1_000_000:06d}"}
                for n in range(day, min(events, day + per_day))
            ]  # fmt: skip
            json.dump(messages, buffer)
            archive.writestr(f"undo-me/2026-03-{14 + day // per_day:02d}.json", buffer.getvalue())
    return path


def signed_in(client: httpx.Client, name: str) -> None:
    """Sign in through the page's form, as a browser does."""
    form = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert token, "no sign-in form"
    answer = client.post(
        "/login", data={"csrf_token": token.group(1), "username": name, "password": PASSWORD, "next": "/dashboard"}
    )
    assert answer.status_code in (200, 303), answer.text[:300]


def verdict(value: float, target: float) -> str:
    return "ok" if value < target else "MISSED"


def run(url: str, args: argparse.Namespace, folder: Path) -> None:
    db = Database(url)
    db.migrate()
    create_incident(
        db, actor=SYSTEM, new=NewIncident(title="Checkout latency for a day", severity="SEV1",
                                          started_at=START), allowed_severities=["SEV1"],
    )  # fmt: skip
    create_user(db, name="bench", email="bench@example.org", role="admin", password=PASSWORD)
    token = create_token(db, user="bench", name="bench").token
    started = time.perf_counter()
    fill(url, args.events)
    filled = time.perf_counter() - started
    started = time.perf_counter()
    with db.transaction() as session:  # what an import does once its events are in (the server's upkeep then
        after_bulk_change(session, 1)  # counts the picture's lanes in the background)
    rules = time.perf_counter() - started
    with db.transaction() as session:
        highlights = session.execute(text("SELECT count(*) FROM timeline_events WHERE highlight")).scalar()
    print(f"{args.events:,} events written in {filled:.1f} s; the highlight rules took "
          f"{rules:.2f} s; {highlights:,} highlights")  # fmt: skip
    port = free_port()
    env = {**os.environ, "AFTERACTION_DATABASE_URL": url, "PYTHONPATH": str(Path(__file__).resolve().parent)}
    server = serve("afteraction.web:app_from_env", port, 1, env, [])
    memory = Memory(server.pid)
    try:
        base = f"http://127.0.0.1:{port}"
        api = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=60)
        browser = httpx.Client(base_url=base, timeout=60, follow_redirects=True)
        signed_in(browser, "bench")
        deep = cursor_at(START + STEP * (args.events * 9 // 10))
        timeline = "/api/v1/incidents/INC-1/timeline"
        first = api.get(timeline).json()
        assert len(first["items"]) == 100 and first["next_cursor"], "the first page is not a page"
        deep_page = api.get(timeline, params={"cursor": deep}).json()
        assert deep_page["items"], "the deep page is empty"
        deep_name = f"API: page at the {args.events * 9 // 10:,}th event"
        for name, read, target in (
            ("API: first timeline page", lambda: api.get(timeline), 50.0),
            (
                deep_name,
                lambda: api.get(timeline, params={"cursor": deep}),
                50.0,
            ),
            ("API: first page of highlights", lambda: api.get(timeline, params={"highlights": "true"}), 50.0),
            ("incident page", lambda: browser.get("/incidents/INC-1"), 300.0),
            ("post-mortem page", lambda: browser.get("/incidents/INC-1/postmortem"), 300.0),
        ):
            p95, size = p95_ms(args.runs, read)
            size_target = f" (target < 1 MB) {verdict(size, MB)}" if name == "incident page" else ""
            print(f"{name:>34}: p95 {p95:7.1f} ms (target < {target:.0f} ms) {verdict(p95, target)}; "
                  f"{size / MB:.3f} MB{size_target}")  # fmt: skip
        exports = []
        for _ in range(5):
            started = time.perf_counter()
            answer = api.get("/api/v1/incidents/INC-1/export", params={"format": "md"})
            answer.raise_for_status()
            exports.append(time.perf_counter() - started)
        export_s = statistics.median(exports)
        print(f"{'Markdown export':>34}: median {export_s * 1000:7.1f} ms of 5 (target < 1000 ms) "
              f"{verdict(export_s, 1.0)}; {len(answer.content) / MB:.3f} MB")  # fmt: skip
        if args.undo_events:
            export = slack_export(folder / "undo.zip", args.undo_events)
            started = time.perf_counter()
            done = import_timeline(db, incident_id="INC-1", path=export, all_time=True, actor=SYSTEM)
            imported = time.perf_counter() - started
            assert done.added == args.undo_events, done
            started = time.perf_counter()
            undone = api.delete(f"/api/v1/incidents/INC-1/timeline/imports/{done.import_id}")
            undo_s = time.perf_counter() - started
            undone.raise_for_status()
            assert undone.json()["removed"] == args.undo_events, undone.text
            undo_name = f"undo of a {args.undo_events:,}-event import"
            print(f"{undo_name:>34}: {undo_s:7.2f} s (target < 10 s) {verdict(undo_s, 10.0)}; "
                  f"it was imported in {imported:.1f} s")  # fmt: skip
    finally:
        peak = memory.peak()
        server.terminate()
        server.wait(10)
        db.dispose()
    print(f"{'server memory, peak':>34}: {peak / 2**20:7.0f} MiB (target < 300 MB = {300 * MB / 2**20:.0f} MiB) "
          f"{verdict(peak, 300 * MB)}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pg", metavar="URL", help="PostgreSQL URL (a schema of its own is made and dropped)")
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=40, help="timed reads of each page")
    parser.add_argument("--undo-events", type=int, default=200_000, help="events of the import undone (0: skip)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="afteraction-bench-") as name:
        folder = Path(name)
        schema = None
        if args.pg:
            schema = f"bench_{uuid.uuid4().hex[:8]}"
            with create_engine(args.pg).begin() as connection:
                connection.execute(text(f'CREATE SCHEMA "{schema}"'))
            url = f"{args.pg}{'&' if '?' in args.pg else '?'}options=-csearch_path%3D{schema}"
        else:
            url = f"sqlite:///{folder / 'pages.db'}"
        print(f"{'PostgreSQL' if args.pg else 'SQLite'}: one incident of {args.events:,} events")
        try:
            run(url, args, folder)
        finally:
            if schema:
                with create_engine(args.pg).begin() as connection:
                    connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


if __name__ == "__main__":
    main()
