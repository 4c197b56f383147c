"""Themes at scale: `afteraction themes --json` over a generated history of 100,000 incidents.

Generates the history of bench_insights.py (incidents, post-mortems with summaries, contributing factors with
categories, action items), then times `afteraction themes --json` in-process (the command the user runs: the most
recent 2,000 post-mortems, their factors and root causes, suspected duplicates, phrases, themes), and
`afteraction duplicates --json` (suspected duplicates over the most recent 5,000 incidents). Median of runs.

Run: .venv/bin/python bench/bench_themes.py [--incidents 100000] [--runs 3] [--pg postgresql+psycopg://…]
Target: themes < 10 s.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time

from bench_insights import generate
from benchlib import on_backends, settle
from typer.testing import CliRunner

from afteraction.cli import app
from afteraction.core.db import Database

TARGET_S = 10.0


def run(label: str, url: str, n: int, runs: int) -> None:
    """Generate the history on a database and time the commands."""
    print(f"\n== {label}: {n:,} incidents")
    db = Database(url)
    db.migrate()
    started = time.perf_counter()
    generate(url, n)
    settle(db, url)
    db.dispose()
    print(f"generated in {time.perf_counter() - started:.0f} s")
    runner = CliRunner()
    env = {"AFTERACTION_DATABASE_URL": url}
    for command in (["themes", "--json"], ["duplicates", "--json"]):
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            result = runner.invoke(app, command, env=env, catch_exceptions=False)
            times.append(time.perf_counter() - start)
            assert result.exit_code == 0, result.output[:500]
        found = len(json.loads(result.stdout))
        verdict = "" if command[0] != "themes" else (" (target < 10 s: ok)" if max(times) < TARGET_S else " MISSED")
        print(f"{' '.join(command):18} median {statistics.median(times):.2f} s, max {max(times):.2f} s"
              f" ({found} {'themes' if command[0] == 'themes' else 'pairs'}){verdict}")  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--pg", default="")
    args = parser.parse_args()
    on_backends(lambda label, url: run(label, url, args.incidents, args.runs), pg=args.pg, prefix="aa_themes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
