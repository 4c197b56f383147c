"""Timeline pages on SQLite: the first page and a page deep in a timeline of 1,000,000 events, read as the API reads
them (timeline.service.page_events: keyset pages along ix_timeline_events_incident_order, never an OFFSET).

Fills one incident with `--events` events by plain sqlite3 executemany (ten to a second, a few sources), then times
`--runs` reads of the first page and of the page at the 900,000th event's time (a cursor from cursor_at), with and
without a filter, each of `--limit` events.

Run: .venv/bin/python bench/bench_timeline_pages.py [--events 1000000] [--runs 200] [--limit 100]
Targets: first page p95 < 50 ms, deep page p95 < 50 ms.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy.engine import make_url

from afteraction.core.actor import Actor
from afteraction.core.db import Database
from afteraction.domain.incidents import NewIncident
from afteraction.timeline.paging import TimelineFilters, cursor_at
from afteraction.timeline.service import page_events
from afteraction.usecases.incidents import create_incident

SYSTEM = Actor.system()
START = datetime(2026, 3, 14, tzinfo=UTC)
SOURCES = ("slack", "alertmanager", "pagerduty", "github")
TARGET_MS = 50.0


def _fill(path: Path, events: int) -> None:
    """`events` events of INC-1 (row id 1), ten to a second, by plain sqlite3."""
    import sqlite3

    connection = sqlite3.connect(path)
    sql = (
        "INSERT INTO timeline_events (incident_id, at, sort_at, source, actor, kind, text, source_id, position) "
        "VALUES (1, ?, ?, ?, ?, ?, ?, ?, 0)"
    )
    batch = []
    for n in range(events):
        at = (START + timedelta(milliseconds=100 * n)).strftime("%Y-%m-%d %H:%M:%S.%f")
        batch.append((at, at, SOURCES[n % 4], f"person {n % 50}", "alert" if n % 10 == 0 else "message",
                      f"message {n} about the checkout service", f"m{n}"))  # fmt: skip
        if len(batch) == 50_000:
            connection.executemany(sql, batch)
            batch.clear()
    connection.executemany(sql, batch)
    connection.commit()
    connection.execute("ANALYZE")
    connection.close()


def _p95_ms(runs: int, read: Callable[[], object]) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        read()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.quantiles(times, n=20)[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--limit", type=int, default=100)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="afteraction-bench-") as folder:
        url = f"sqlite:///{Path(folder) / 'pages.db'}"
        db = Database(url)
        db.migrate()
        create_incident(
            db, actor=SYSTEM, new=NewIncident(title="Benchmark", severity="SEV1"), allowed_severities=["SEV1"]
        )
        started = time.perf_counter()
        _fill(Path(make_url(url).database or ""), args.events)
        print(f"filled {args.events:,} events in {time.perf_counter() - started:.1f} s")
        deep = cursor_at(START + timedelta(milliseconds=100 * (args.events * 9 // 10)))
        git = TimelineFilters(source="github")

        def page(cursor: str | None = None, filters: TimelineFilters | None = None) -> Callable[[], object]:
            return lambda: page_events(
                db, incident_id="INC-1", actor=SYSTEM, limit=args.limit, cursor=cursor, filters=filters
            )

        items, _ = page(deep)()
        assert items, "the deep page is empty"
        for name, read in (
            ("first page", page()),
            ("deep page (at the 900,000th event)", page(deep)),
            ("first page, one source", page(None, git)),
            ("deep page, one source", page(deep, git)),
        ):
            p95 = _p95_ms(args.runs, read)
            verdict = "ok" if p95 < TARGET_MS else "MISSED"
            print(f"{name:>38}: p95 {p95:6.2f} ms (target < {TARGET_MS:.0f} ms) {verdict}")
        db.dispose()


if __name__ == "__main__":
    main()
