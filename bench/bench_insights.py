"""Insights at scale: `insights --json` and `similar` over a generated history of 100,000 incidents.

Generates incidents with key moments, services, teams, post-mortems, contributing factors (with categories),
timelines and action items by bulk inserts (executemany on SQLite, COPY on PostgreSQL), builds the search index,
then times `afteraction insights --json` in-process (median of runs) and `similar` (by id and by text, p50/p95).

Run: .venv/bin/python bench/bench_insights.py [--incidents 100000] [--pg postgresql+psycopg://…]
     (the PostgreSQL run also happens when AFTERACTION_TEST_DATABASE_URL is set; it uses a schema of its own)
Targets: insights --json < 1 s on SQLite and PostgreSQL; similar p95 < 50 ms.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import statistics
import sys
import time
from contextlib import redirect_stdout
from datetime import UTC, datetime, timedelta
from typing import Any

from benchlib import on_backends, settle
from sqlalchemy import create_engine, select
from typer.testing import CliRunner

from afteraction.cli import app
from afteraction.core.actor import Actor
from afteraction.core.db import Database
from afteraction.incidents.models import Incident
from afteraction.insights.similar import reindex, similar_incidents
from afteraction.timeline.moments import refresh_moments

SYSTEM = Actor.system()  # tests act as the command line does: the system actor sees every incident

START = datetime(2023, 1, 1, tzinfo=UTC)
SERVICES = [f"svc-{n}" for n in range(40)]
TEAMS = [f"team-{n}" for n in range(12)]
CATEGORIES = ["config-change", "deploy", "capacity", "dependency", "hardware", "time", "monitoring-gap",
              "automation", "security", "cascading-failure", "process"]  # fmt: skip
COMPONENTS = ["database", "connection pool", "load balancer", "cache", "queue", "dns", "certificate", "kafka",
              "kubernetes", "ingress", "api gateway", "search cluster", "payment provider", "cdn", "storage",
              "scheduler", "auth service", "feature flag", "config service", "network switch"]  # fmt: skip
CAUSES = ["a config change lowered the limit", "a deploy shipped a regression", "traffic doubled after a campaign",
          "the provider's region degraded", "a disk failed in the primary", "the certificate expired",
          "no alert fired on saturation", "a cleanup script deleted live data", "leaked credentials were used",
          "retries overloaded the backend", "the runbook was out of date"]  # fmt: skip
SYMPTOMS = ["returned 502s", "timed out", "lagged by an hour", "dropped messages", "served stale data",
            "rejected logins", "was unavailable", "ran out of memory", "crash looped", "slowed to a crawl"]  # fmt: skip
# Names of hosts, jobs, error codes and products: 8,000 made-up words drawn with Zipf's law, as real post-mortems
# mix a few common words with many rare, telling ones.
_SYLLABLES = [c + v for c in "bdfgklmnprstvz" for v in "aeiou"]
VOCAB = [
    a + b + c
    for a in _SYLLABLES[:40]
    for b in _SYLLABLES[:20]
    for c in ("x", "n", "r", "l", "s", "k", "m", "t", "d", "p")
]
_ZIPF = list(__import__("itertools").accumulate(1.0 / (rank + 1) for rank in range(len(VOCAB))))


def words(rng: random.Random, k: int) -> list[str]:
    """k words of the made-up vocabulary."""
    return rng.choices(VOCAB, cum_weights=_ZIPF, k=k)


def _ts(value: datetime | None, sqlite: bool) -> Any:
    if value is None:
        return None
    return value.strftime("%Y-%m-%d %H:%M:%S.%f") if sqlite else value


def generate(url: str, n: int, seed: int = 1) -> dict[str, int]:
    """Bulk-insert n incidents with everything insights reads; returns the row counts."""
    rng = random.Random(seed)
    sqlite = url.startswith("sqlite")
    engine = create_engine(url)
    now = datetime.now(UTC)
    rows: dict[str, list[tuple[Any, ...]]] = {k: [] for k in ("people", "incidents", "incident_labels",
        "postmortems", "contributing_factors", "timeline_events", "action_items")}  # fmt: skip
    rows["people"] = [(i + 1, f"Person {i}") for i in range(300)]
    factor_id = event_id = item_id = label_id = 0
    span = (now - START).total_seconds() - 86400 * 30
    for i in range(1, n + 1):
        started = START + timedelta(seconds=rng.random() * span)
        sev = rng.choices(["SEV1", "SEV2", "SEV3", "SEV4"], [1, 3, 8, 8])[0]
        detected = started + timedelta(seconds=rng.lognormvariate(6, 1))
        acked = detected + timedelta(seconds=rng.lognormvariate(5, 1))
        mitigated = acked + timedelta(seconds=rng.lognormvariate(7, 1))
        resolved = mitigated + timedelta(seconds=rng.lognormvariate(8, 1))
        comp, cause, symptom = rng.choice(COMPONENTS), rng.randrange(len(CAUSES)), rng.choice(SYMPTOMS)
        services = rng.sample(SERVICES, rng.choice((1, 1, 2)))
        title = f"{services[0]} {symptom}: {comp} {words(rng, 1)[0]}"
        # Only the start is set by hand: the other moments come from the timeline (refresh_all_moments).
        rows["incidents"].append((i, i, None, title, "incident", sev, "open", False, _ts(started, sqlite),
            "{}", 1, _ts(started, sqlite), _ts(started, sqlite)))  # fmt: skip
        for pos, (kind, value) in enumerate([*(("service", s) for s in services), ("team", rng.choice(TEAMS))]):
            label_id += 1
            rows["incident_labels"].append((label_id, i, kind, value, pos))
        published = resolved + timedelta(days=rng.lognormvariate(1.5, 0.8)) if rng.random() < 0.7 else None
        status = "published" if published else rng.choice(["draft", "in-review"])
        detail = " ".join(words(rng, 12))
        summary = f"The {comp} {symptom} because {CAUSES[cause]}. {detail}"
        rows["postmortems"].append((i, i, status, summary, "", "", "", "", "", "", "", None, _ts(published, sqlite),
                                    1, _ts(started, sqlite), _ts(started, sqlite)))  # fmt: skip
        factors = []
        for pos in range(rng.choice((1, 2, 2, 3))):
            factor_id += 1
            c = cause if pos == 0 else rng.randrange(len(CAUSES))
            factors.append(factor_id)
            rows["contributing_factors"].append(
                (factor_id, i, f"{CAUSES[c].capitalize()} on the {comp} {words(rng, 1)[0]}", CATEGORIES[c], pos)
            )
        # alert (detected), acknowledge, a rollback marked as the mitigation, resolve, and a note.
        events = [(detected, "alert", None, "Alert fired for"), (acked, "acknowledge", None, "Paged on-call about"),
                  (mitigated, "rollback", "mitigated", "Rolled back"), (resolved, "resolve", None, "Resolved"),
                  (resolved + timedelta(minutes=5), "note", None, "Scaled up")]  # fmt: skip
        for pos, (at, kind, moment, verb) in enumerate(events):
            event_id += 1
            rows["timeline_events"].append((event_id, i, _ts(at, sqlite), _ts(at, sqlite), "manual", kind,
                f"{verb} {comp} {' '.join(words(rng, 4))}", pos, moment))  # fmt: skip
        for pos in range(rng.choice((1, 2, 2, 3))):
            item_id += 1
            opened = resolved + timedelta(days=1)
            due = (opened + timedelta(days=rng.choice((7, 14, 30, 90)))).date()
            done = rng.random() < 0.6
            closed = opened + timedelta(days=rng.lognormvariate(2.5, 0.8)) if done else None
            if closed and closed > now:
                closed, done = None, False
            rows["action_items"].append((item_id, i, f"Fix {comp} {words(rng, 1)[0]}",
                rng.choice(["prevent", "detect", "mitigate", "process"]), rng.choice(["P1", "P2"]),
                rng.randrange(1, 301), due if not sqlite else due.isoformat(), "done" if done else "open",
                rng.choice(factors), pos, _ts(opened, sqlite), _ts(closed, sqlite), 1,
                _ts(opened, sqlite)))  # fmt: skip
    columns = {
        "people": "id, name",
        "incidents": "id, number, external_ref, title, kind, severity, status, private, started_at, extra, version, "
        "created_at, updated_at",
        "incident_labels": "id, incident_id, kind, value, position",
        "postmortems": "id, incident_id, status, summary, impact, trigger, detection, resolution, problem_statement, "
        "supporting_info, timeline_note, due_date, published_at, version, created_at, updated_at",
        "contributing_factors": "id, postmortem_id, text, category, position",
        "timeline_events": "id, incident_id, at, sort_at, source, kind, text, position, key_moment",
        "action_items": "id, incident_id, title, type, priority, owner_id, due_date, status, factor_id, position, "
        "opened_at, closed_at, version, updated_at",
    }
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        for table, cols in columns.items():
            data = rows[table]
            if sqlite:
                marks = ", ".join("?" * len(cols.split(",")))
                cursor.executemany(f"INSERT INTO {table} ({cols}) VALUES ({marks})", data)
            else:
                with cursor.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:  # type: ignore[attr-defined]
                    for row in data:
                        copy.write_row(row)
        if not sqlite:
            for table in columns:
                cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
            cursor.execute("ANALYZE")
        # No ANALYZE on SQLite: gathering the planner's statistics there is the report's own job (refresh_statistics).
        raw.commit()
    finally:
        raw.close()
        engine.dispose()
    return {table: len(data) for table, data in rows.items()}


def refresh_all_moments(db: Database, batch: int = 2000) -> int:
    """Derive and store every incident's moments from its timeline (timeline.moments.refresh_moments), in batches."""
    done = 0
    with db.transaction() as session:
        ids = list(session.scalars(select(Incident.id).order_by(Incident.id)))
    for start in range(0, len(ids), batch):
        with db.transaction() as session:
            for incident in session.scalars(select(Incident).where(Incident.id.in_(ids[start : start + batch]))):
                refresh_moments(session, incident)
                done += 1
    return done


def timed(fn: Any, runs: int) -> list[float]:
    """Wall times in ms of runs calls."""
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1000)
    return out


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def run(label: str, url: str, n: int) -> None:
    print(f"\n== {label}: {n:,} incidents")
    db = Database(url)
    db.migrate()
    start = time.perf_counter()
    counts = generate(url, n)
    print(f"generated in {time.perf_counter() - start:.1f} s: " + ", ".join(f"{k} {v:,}" for k, v in counts.items()))
    start = time.perf_counter()
    refreshed = refresh_all_moments(db)
    print(f"moments of {refreshed:,} incidents derived from their timelines in {time.perf_counter() - start:.1f} s")
    start = time.perf_counter()
    indexed = reindex(db, actor=SYSTEM)
    print(f"search index of {indexed:,} documents built in {time.perf_counter() - start:.1f} s")
    # Time a database in its steady state, not one still digesting the bulk load: SQLite's write-ahead log checkpointed,
    # PostgreSQL's tables vacuumed (hint bits and visibility map set, as autovacuum would leave them).
    settle(db, url)

    runner = CliRunner()
    env = {"AFTERACTION_DATABASE_URL": url}

    def insights() -> None:
        result = runner.invoke(app, ["insights", "--json"], env=env, catch_exceptions=False)
        assert result.exit_code == 0, result.stderr

    # The first run warms caches and, on SQLite, gathers the query planner's statistics (refresh_statistics).
    first = timed(insights, 1)[0]
    times = timed(insights, 5)
    print(f"insights --json: median {statistics.median(times):.0f} ms, max {max(times):.0f} ms (5 runs, in-process); "
          f"first run {first:.0f} ms")  # fmt: skip

    rng = random.Random(3)
    ids = [f"INC-{rng.randrange(1, n + 1)}" for _ in range(200)]
    texts = [f"{rng.choice(COMPONENTS)} {rng.choice(SYMPTOMS)} because {rng.choice(CAUSES)}" for _ in range(200)]
    similar_incidents(db, actor=SYSTEM, text=texts[0])
    by_id = [timed(lambda i=i: similar_incidents(db, actor=SYSTEM, incident_id=i), 1)[0] for i in ids]
    by_text = [timed(lambda t=t: similar_incidents(db, actor=SYSTEM, text=t), 1)[0] for t in texts]
    for name, values in (("similar ID", by_id), ("similar --text", by_text)):
        print(f"{name}: p50 {statistics.median(values):.1f} ms, p95 {p95(values):.1f} ms (200 queries)")
    with redirect_stdout(io.StringIO()):
        start = time.perf_counter()
        runner.invoke(app, ["similar", ids[0], "--json"], env=env, catch_exceptions=False)
    print(f"similar ID --json through the CLI: {(time.perf_counter() - start) * 1000:.1f} ms")
    db.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, default=100_000)
    parser.add_argument("--pg", default=os.environ.get("AFTERACTION_TEST_DATABASE_URL", ""))
    parser.add_argument("--skip-sqlite", action="store_true")
    args = parser.parse_args()
    on_backends(lambda label, url: run(label, url, args.incidents), pg=args.pg, sqlite=not args.skip_sqlite)
    return 0


if __name__ == "__main__":
    sys.exit(main())
