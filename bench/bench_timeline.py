"""End-to-end timeline import into SQLite: events/s and peak memory, beside a plain sqlite3 executemany baseline.

Generates a Slack export (1,000,000 messages in 20 channels) and 200,000 Alertmanager alerts (JSON Lines), imports
both with the real service (`afteraction timeline import`'s code path: detect, parse, de-duplicate, insert, commit),
then, in a separate process, inserts the very same rows into the same schema with plain `sqlite3` `executemany`.

Run: .venv/bin/python bench/bench_timeline.py [--messages 1000000] [--alerts 200000]
Targets: >= 100,000 events/s end to end, >= 0.85 of the baseline, peak memory < 500 MiB.
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

from generate import write_alertmanager_jsonl, write_slack_export

from afteraction.core.actor import Actor
from afteraction.core.db import Database
from afteraction.domain.incidents import NewIncident
from afteraction.timeline.importers import ImportOptions
from afteraction.timeline.service import import_timeline
from afteraction.usecases.incidents import create_incident

SYSTEM = Actor.system()  # tests act as the command line does: the system actor sees every incident

COLUMNS = "incident_id, at, sort_at, source, actor, kind, text, link, source_id, parent_source_id, position"


def _generate(directory: str, messages: int, alerts: int, channels: int) -> None:
    write_slack_export(Path(directory) / "slack", messages, channels)
    write_alertmanager_jsonl(Path(directory) / "alerts.jsonl", alerts)


def _peak_mib(who: int = resource.RUSAGE_SELF) -> float:
    peak = resource.getrusage(who).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def _baseline(source_db: str, target_db: str, queue: multiprocessing.Queue[tuple[int, float]]) -> None:
    """Insert the rows our import wrote into an empty copy of the schema with plain sqlite3 executemany."""
    rows = sqlite3.connect(source_db).execute(f"SELECT {COLUMNS} FROM timeline_events ORDER BY id").fetchall()
    connection = sqlite3.connect(target_db)
    for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON"):
        connection.execute(f"PRAGMA {pragma}")
    marks = ", ".join("?" * len(COLUMNS.split(", ")))
    sql = f"INSERT INTO timeline_events ({COLUMNS}) VALUES ({marks})"
    started = time.perf_counter()
    for start in range(0, len(rows), 5000):
        connection.executemany(sql, rows[start : start + 5000])
    connection.commit()
    queue.put((len(rows), time.perf_counter() - started))


def main() -> None:
    """Generate inputs in a child process, import them with afteraction, then run the baseline in another child."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--alerts", type=int, default=200_000)
    parser.add_argument("--channels", type=int, default=20)
    args = parser.parse_args()
    spawn = multiprocessing.get_context("spawn")
    with tempfile.TemporaryDirectory(prefix="afteraction-bench-") as folder:
        directory = Path(folder)
        child = spawn.Process(target=_generate, args=(folder, args.messages, args.alerts, args.channels))
        child.start()
        child.join()
        if child.exitcode != 0:
            raise SystemExit("generating the inputs failed")
        ours = Database(f"sqlite:///{directory / 'ours.db'}")
        ours.migrate()
        empty = Database(f"sqlite:///{directory / 'baseline.db'}")
        empty.migrate()
        create_incident(
            empty, actor=SYSTEM, new=NewIncident(title="Benchmark", severity="SEV1"), allowed_severities=["SEV1"]
        )
        empty.dispose()
        create_incident(
            ours, actor=SYSTEM, new=NewIncident(title="Benchmark", severity="SEV1"), allowed_severities=["SEV1"]
        )
        started = time.perf_counter()
        added = 0
        for path, options in (
            (directory / "slack", ImportOptions(include_all=True)),
            (directory / "alerts.jsonl", ImportOptions()),
        ):
            t0 = time.perf_counter()
            result = import_timeline(ours, incident_id="INC-1", path=path, options=options, actor=SYSTEM)
            seconds = time.perf_counter() - t0
            added += result.added
            print(f"{result.format:>12}: {result.added:>10,} events in {seconds:6.2f} s = "
                  f"{result.added / seconds:>9,.0f} events/s")  # fmt: skip
        elapsed = time.perf_counter() - started
        peak = _peak_mib()
        ours.dispose()
        rate = added / elapsed
        worker = _peak_mib(resource.RUSAGE_CHILDREN)  # the largest child: the generator or a parsing worker
        print(f"{'afteraction':>12}: {added:>10,} events in {elapsed:6.2f} s = {rate:>9,.0f} events/s; "
              f"peak RSS {peak:.0f} MiB + parsing worker {worker:.0f} MiB (target < 500)")  # fmt: skip
        queue: multiprocessing.Queue[tuple[int, float]] = spawn.Queue()
        base = spawn.Process(target=_baseline, args=(str(directory / "ours.db"), str(directory / "baseline.db"), queue))
        base.start()
        rows, base_seconds = queue.get()
        base.join()
        base_rate = rows / base_seconds
        print(f"{'sqlite3':>12}: {rows:>10,} rows   in {base_seconds:6.2f} s = {base_rate:>9,.0f} rows/s "
              "(plain executemany of the same rows into the same schema)")  # fmt: skip
        print(f"ratio afteraction / baseline: {rate / base_rate:.2f} (target >= 0.85); "
              f"events/s {rate:,.0f} (target >= 100,000)")  # fmt: skip


if __name__ == "__main__":
    main()
