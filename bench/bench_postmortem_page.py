"""The post-mortem page with its similar-incidents panel (issue #19), read through a live server over 100,000 incidents.

    .venv/bin/python bench/bench_postmortem_page.py [--incidents 100000] [--runs 100] [--pg URL] [--skip-sqlite]

Builds the history of bench_insights.py (incidents with services, post-mortems, factors, timelines and action items,
their moments and the search index), starts a server (uvicorn, one worker), signs in through the form as an editor
would, and times `--runs` GETs of the post-mortem pages of random incidents (each page searches for its similar
past incidents, applies the recurrence rule and proposes categories for its factors). Prints p50 and p95 per
database beside the target: p95 < 300 ms on SQLite and PostgreSQL.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

import httpx
from bench_api import free_port, serve
from bench_insights import generate, refresh_all_moments
from bench_timeline_pages import PASSWORD, signed_in
from benchlib import on_backends, settle

from afteraction.accounts.service import create_user
from afteraction.core.actor import Actor
from afteraction.core.db import Database
from afteraction.insights.similar import reindex

SYSTEM = Actor.system()
TARGET_MS = 300.0


def prepare(url: str, n: int) -> None:
    """Migrate, generate the history, derive moments, build the search index, settle the database."""
    db = Database(url)
    db.migrate()
    started = time.perf_counter()
    generate(url, n)
    refresh_all_moments(db)
    reindex(db, actor=SYSTEM)
    create_user(db, name="bench", email="bench@example.org", role="editor", password=PASSWORD)
    settle(db, url)
    db.dispose()
    print(f"{n:,} incidents generated, moments derived and indexed in {time.perf_counter() - started:.0f} s")


def measure(label: str, url: str, n: int, runs: int) -> None:
    """Serve the database and time GETs of random post-mortem pages; print p50 and p95."""
    print(f"\n== {label}")
    prepare(url, n)
    port = free_port()
    env = {**os.environ, "AFTERACTION_DATABASE_URL": url, "PYTHONPATH": str(Path(__file__).resolve().parent)}
    server = serve("afteraction.web:app_from_env", port, 1, env, [])
    try:
        browser = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60, follow_redirects=True)
        signed_in(browser, "bench")
        rng = random.Random(5)
        pages = [f"/incidents/INC-{rng.randrange(1, n + 1)}/postmortem" for _ in range(runs + 5)]
        for page in pages[:5]:  # warm up: the first reads fill the caches
            browser.get(page).raise_for_status()
        times, with_panel = [], 0
        for page in pages[5:]:
            started = time.perf_counter()
            answer = browser.get(page)
            times.append((time.perf_counter() - started) * 1000)
            answer.raise_for_status()
            with_panel += "Similar past incidents" in answer.text
        p95 = statistics.quantiles(times, n=20)[-1]
        verdict = "ok" if p95 < TARGET_MS else "MISSED"
        print(f"post-mortem page: p50 {statistics.median(times):.1f} ms, p95 {p95:.1f} ms "
              f"(target < {TARGET_MS:.0f} ms) {verdict}; {runs} pages, {with_panel} with the panel")  # fmt: skip
    finally:
        server.terminate()
        server.wait(timeout=30)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--pg", default=os.environ.get("AFTERACTION_TEST_DATABASE_URL", ""))
    parser.add_argument("--skip-sqlite", action="store_true")
    args = parser.parse_args()
    on_backends(
        lambda label, url: measure(label, url, args.incidents, args.runs), pg=args.pg, sqlite=not args.skip_sqlite
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
