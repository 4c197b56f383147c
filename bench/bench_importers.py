"""Parsing throughput and peak memory of the timeline importers on a generated Slack export and Alertmanager JSONL.

Run: .venv/bin/python bench/bench_importers.py [--messages 1000000] [--alerts 200000]
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import sys
import tempfile
import time
from pathlib import Path

# Run as a script, bench/ is on sys.path, so the sibling generators import directly.
from generate import write_alertmanager_jsonl, write_slack_export

from afteraction.timeline.importers import ImportOptions, detect_format, read_events


def _generate(directory: str, messages: int, alerts: int, channels: int) -> None:
    write_slack_export(Path(directory) / "slack", messages, channels)
    write_alertmanager_jsonl(Path(directory) / "alerts.jsonl", alerts)


def _parse(path: Path, options: ImportOptions) -> tuple[str, int, float]:
    started = time.perf_counter()
    fmt = detect_format(path)
    count = 0
    for _event in read_events(path, fmt, options):
        count += 1
    return fmt, count, time.perf_counter() - started


def _peak_mib() -> float:
    # ru_maxrss is KiB on Linux, bytes on macOS.
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def main() -> None:
    """Generate the inputs in a child process (so their memory does not count), then time parsing only."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--alerts", type=int, default=200_000)
    parser.add_argument("--channels", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="afteraction-bench-") as directory:
        started = time.perf_counter()
        child = multiprocessing.get_context("spawn").Process(
            target=_generate, args=(directory, args.messages, args.alerts, args.channels)
        )
        child.start()
        child.join()
        if child.exitcode != 0:
            raise SystemExit("generating the inputs failed")
        print(f"generated {args.messages:,} Slack messages in {args.channels} channels and {args.alerts:,} alerts "
              f"in {time.perf_counter() - started:.1f} s")  # fmt: skip
        total_events = 0
        total_seconds = 0.0
        for path, options in (
            (Path(directory) / "slack", ImportOptions(include_all=True)),
            (Path(directory) / "alerts.jsonl", ImportOptions()),
        ):
            fmt, count, seconds = _parse(path, options)
            total_events += count
            total_seconds += seconds
            print(f"{fmt:>12}: {count:>10,} events in {seconds:6.2f} s = {count / seconds:>10,.0f} events/s")
        print(f"{'total':>12}: {total_events:>10,} events in {total_seconds:6.2f} s = "
              f"{total_events / total_seconds:>10,.0f} events/s; peak RSS {_peak_mib():.0f} MiB")  # fmt: skip


if __name__ == "__main__":
    main()
