"""The Insights page at scale: GET /insights with one filter at a time over 100,000 incidents, as a signed-in viewer
(who sees the public incidents: the visibility rule is part of every query) and as an admin.

Generates the history of bench/bench_insights.py (incidents with key moments, services, teams, post-mortems, factors
with categories, action items), then serves the app in-process and times the page (render included) for each filter
of the address: a quarter, a team, a service, a severity, a kind, a category; p50 and p95 of the runs.

Run: .venv/bin/python bench/bench_insights_page.py [--incidents 100000] [--runs 10] [--pg postgresql+psycopg://…]
     (the PostgreSQL run also happens when AFTERACTION_TEST_DATABASE_URL is set; it uses a schema of its own)
Target: p95 < 1 s with any one filter, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import bench_insights
from argon2 import PasswordHasher
from benchlib import on_backends, settle
from fastapi.testclient import TestClient

from afteraction.accounts import service as accounts
from afteraction.core.config import Settings
from afteraction.core.db import Database
from afteraction.insights.service import upkeep
from afteraction.insights.similar import reindex
from afteraction.web import create_app

FILTERS: dict[str, str] = {
    "none": "",
    "quarter": "quarter=2024-Q2",
    "team": "team=team-3",
    "service": "service=svc-7",
    "severity": "severity=SEV2",
    "kind": "kind=incident",
    "category": "category=config-change",
    "team and quarter": "team=team-3&quarter=2024-Q2",
}
PASSWORD = "correct horse battery"


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def signed_in(app: object, name: str) -> TestClient:
    client = TestClient(app, raise_server_exceptions=True)
    login = client.get("/login")
    token = login.text.split('name="csrf_token" value="')[1].split('"')[0]
    answer = client.post("/login", data={"username": name, "password": PASSWORD, "csrf_token": token})
    assert answer.url.path == "/dashboard", answer.text[:300]
    return client


def run(label: str, url: str, n: int, runs: int, *, reuse: bool = False) -> None:
    print(f"\n== {label}: {n:,} incidents")
    if not reuse:
        generate(url, n)
    app = create_app(Settings(database_url=url))
    accounts._hasher = lambda: PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)  # type: ignore[assignment]
    for name, role in (("viewer", "viewer"), ("admin", "admin")):
        with app.state.db.transaction() as session:
            exists = accounts.find_user(session, name) is not None
        if not exists:
            accounts.create_user(app.state.db, name=name, email=f"{name}@example.org", role=role, password=PASSWORD)
    upkeep(app.state.db)  # what a served process does by itself every minute: the planner's statistics gathered
    time_pages(app, runs)
    app.state.db.dispose()


def generate(url: str, n: int) -> None:
    """The history of bench_insights.py, its moments derived and its search index built, settled."""
    db = Database(url)
    db.migrate()
    start = time.perf_counter()
    bench_insights.generate(url, n)
    bench_insights.refresh_all_moments(db)
    reindex(db, actor=bench_insights.SYSTEM)
    settle(db, url)
    db.dispose()
    print(f"generated and indexed in {time.perf_counter() - start:.0f} s")


def time_pages(app: object, runs: int) -> None:
    """p50 and p95 of GET /insights for each filter, as a viewer and as an admin."""
    for who in ("viewer", "admin"):
        client = signed_in(app, who)
        for name, query in FILTERS.items():
            address = "/insights" + (f"?{query}" if query else "")
            client.get(address)  # warm: the first read of a filter gathers statistics and fills caches
            times = []
            for _ in range(runs):
                began = time.perf_counter()
                answer = client.get(address)
                times.append((time.perf_counter() - began) * 1000)
                assert answer.status_code == 200, answer.text[:300]
            verdict = "ok" if p95(times) < 1000 else "OVER 1 s"
            p50 = statistics.median(times)
            print(f"{who:6} /insights {name:17} p50 {p50:6.0f} ms  p95 {p95(times):6.0f} ms  {verdict}")
        client.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--pg", default=os.environ.get("AFTERACTION_TEST_DATABASE_URL", ""))
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--sqlite-file", type=Path, help="Keep the SQLite history in FILE; reuse it if it exists.")
    args = parser.parse_args()
    if not args.skip_sqlite and args.sqlite_file:
        reuse = args.sqlite_file.exists()
        run("SQLite", f"sqlite:///{args.sqlite_file.resolve()}", args.incidents, args.runs, reuse=reuse)
    on_backends(
        lambda label, url: run(label, url, args.incidents, args.runs),
        pg=args.pg,
        sqlite=not args.skip_sqlite and not args.sqlite_file,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
