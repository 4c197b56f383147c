"""Lint throughput: `afteraction lint` over 10,000 generated Markdown post-mortems, and over the real corpus.

The target (1,000 documents/s) is for the command as a user runs it on a folder: start-up included, one process per
core (the command forks from 200 files on). One process's parse and check costs are printed too.

Run: .venv/bin/python bench/bench_lint.py [--documents 10000] [--seed 7]
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from afteraction.analysis.lint import LintConfig, lint_document
from afteraction.documents.parse import parse_markdown

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus" / "postmortems"
TARGET_PER_SECOND = 1000

PEOPLE = ["Dave Okafor", "Sarah Lindqvist", "Ming Zhao", "Priya Natarajan", "Jens Hansen", "Olivia Brown"]
SERVICES = ["checkout-api", "payments-db", "search", "ingress", "kafka", "auth", "billing-worker"]
SUMMARY = [
    "For {m} minutes, {p}% of requests to {s} failed with HTTP 502.",
    "A configuration change moved the connection-pool settings of {s} into the shared configuration.",
    "The shared default pool size was 5 instead of 50, so {s} ran out of database connections.",
    "Rolling the release back restored service; no data was lost.",
    "The canary stage did not catch the problem because canary traffic is too low to exhaust the pool.",
    "The alert fired {m} minutes after the deploy and paged the on-call engineer.",
    "Customers retried and most orders went through on the second attempt.",
    "The on-call engineer forgot to check the pool size before approving the rollout.",
    "We should have caught this in staging.",
]
EVENTS = [
    ("deploy", "Deploy {s} v2.{n}.0: connection pool settings moved to the shared config"),
    ("alert", "HighErrorRate firing: 5xx ratio {p}% on {s}"),
    ("page", "Paged on-call for {s} (escalation policy Payments)"),
    ("acknowledge", "Acknowledged the page"),
    ("message", "Opened #inc-{s}; seeing pool exhaustion on every {s} pod"),
    ("decision", "Incident commander: roll back rather than patch forward"),
    ("rollback", "Rolled back {s} to v2.{n}.1"),
    ("note", "Error rate back to baseline on {s}"),
    ("resolve", "HighErrorRate resolved"),
]
ACTIONS = [
    ("Add pool-saturation metrics to the canary analysis of {s}", "detect"),
    ("Make the shared config schema fail validation when a pool size is unset", "prevent"),
    ("Alert when the connection pool of {s} is 80% used for 5 minutes", "detect"),
    ("Improve monitoring", "detect"),
    ("Be more careful with config changes", "process"),
    ("Document pool sizing in the {s} runbook", "learn"),
    ("Require a second approver for changes under config/shared/", "process"),
]


def _fill(template: str, rng: random.Random) -> str:
    return template.format(m=rng.randint(5, 90), p=rng.randint(2, 40), s=rng.choice(SERVICES), n=rng.randint(1, 40))


def generate(index: int, rng: random.Random) -> str:
    """One post-mortem in the afteraction Markdown format, about 4.5 kB."""
    start = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(hours=index)
    author, reviewer, commander = rng.sample(PEOPLE, 3)
    lines = [
        "---",
        f"id: INC-{index}",
        f"title: {_fill('{s} returned 502s after a config change', rng)}",
        "kind: incident",
        f"severity: SEV{rng.randint(1, 4)}",
        "status: in-review",
        f"authors: [{author}]",
        f"reviewers: [{reviewer}]",
        f"started_at: {start:%Y-%m-%dT%H:%M:%SZ}",
        "---",
        "",
        f"# Incident {index}",
        "",
        "## Summary",
        "",
        " ".join(_fill(t, rng) for t in rng.sample(SUMMARY, 5)),
        "",
        "## Impact",
        "",
        " ".join(_fill(t, rng) for t in rng.sample(SUMMARY, 3)),
        "",
        "## Timeline",
        "",
        "| Time | Event | Actor | Kind |",
        "| --- | --- | --- | --- |",
    ]
    at = start
    for _ in range(rng.randint(15, 30)):
        kind, text = rng.choice(EVENTS)
        at += timedelta(seconds=rng.randint(20, 400))
        moment = " **detected**" if kind == "alert" else " **resolved**" if kind == "resolve" else ""
        lines.append(f"| {at:%Y-%m-%dT%H:%M:%SZ}{moment} | {_fill(text, rng)} | {commander} | {kind} |")
    lines += ["", "## Five Whys", "", "Checkout requests failed with 502.", ""]
    lines += [
        "1. The pods ran out of database connections.",
        "2. The pool size fell from 50 to the shared default of 5.",
        "3. The shared config schema has defaults that no service reviewed.",
        "",
        "## Contributing Factors",
        "",
    ]
    lines += [f"- {_fill(t, rng)}" for t in rng.sample(SUMMARY, 3)]
    lines += ["", "## What Went Well", "", "- The alert fired within minutes and paged the right rotation.", ""]
    lines += ["## What Went Wrong", "", f"- {_fill(rng.choice(SUMMARY), rng)}", ""]
    lines += ["## Action Items", "", "| Action | Type | Owner | Due | Priority | Status | Addresses |"]
    lines += ["| --- | --- | --- | --- | --- | --- | --- |"]
    for title, kind in rng.sample(ACTIONS, rng.randint(3, 6)):
        due = date(2026, 1, 1) + timedelta(days=rng.randint(0, 200))
        owner = rng.choice([*PEOPLE, ""])
        lines.append(f"| {_fill(title, rng)} | {kind} | {owner} | {due} | P2 | open | W1.1.1 |")
    return "\n".join(lines) + "\n"


def _report(label: str, count: int, elapsed: float) -> None:
    rate = count / elapsed
    verdict = "ok" if rate >= TARGET_PER_SECOND else f"below the target of {TARGET_PER_SECOND}/s"
    print(f"  {label}: {elapsed:.2f} s, {rate:,.0f} documents/s — {verdict}")


def bench_generated(count: int, seed: int) -> None:
    rng = random.Random(seed)
    texts = [generate(i, rng) for i in range(count)]
    print(f"generated: {count} documents, {sum(len(t) for t in texts) / count / 1024:.1f} kB each")
    config, today = LintConfig(), date(2026, 3, 1)
    parsed = linted = 0.0
    findings = 0
    for index, text in enumerate(texts):
        # one document at a time, as the command reads files: nothing piles up for the garbage collector
        started = time.perf_counter()
        doc = parse_markdown(text, path=f"pm-{index}.md")
        between = time.perf_counter()
        findings += len(lint_document(doc, source=text, config=config, today=today))
        linted += time.perf_counter() - between
        parsed += between - started
    print(f"  {findings} findings; parse {parsed / count * 1e3:.2f} ms/doc, lint {linted / count * 1e3:.2f} ms/doc")
    _report("lint only, one process", count, linted)
    _report("parse + lint, one process", count, parsed + linted)
    with tempfile.TemporaryDirectory() as folder:
        for index, text in enumerate(texts):
            Path(folder, f"pm-{index:05d}.md").write_text(text, encoding="utf-8")
        command = [sys.executable, "-m", "afteraction", "lint", folder, "--format", "json"]
        started = time.perf_counter()
        done = subprocess.run(command, stdout=subprocess.PIPE, check=False)
        elapsed = time.perf_counter() - started
        reported = len(json.loads(done.stdout))
    print(f"  `afteraction lint FOLDER --format json`: {reported} findings, exit {done.returncode}")
    _report(f"the command on {count} files, start-up included", count, elapsed)


def bench_corpus() -> None:
    if not CORPUS.exists():
        print(f"corpus: not available at {CORPUS}")
        return
    started = time.perf_counter()
    files = sorted(p for p in CORPUS.rglob("*") if p.is_file() and p.name not in ("LICENSE", "SOURCE.txt", "README.md"))
    config, today, findings = LintConfig(), date(2026, 3, 1), 0
    for path in files:
        text = path.read_text(encoding="utf-8-sig")
        findings += len(lint_document(parse_markdown(text, path=str(path)), source=text, config=config, today=today))
    elapsed = time.perf_counter() - started
    print(f"corpus: {len(files)} documents, read + parse + lint in {elapsed:.2f} s ({findings} findings)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    bench_generated(args.documents, args.seed)
    bench_corpus()


if __name__ == "__main__":
    main()
