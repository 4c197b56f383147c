"""Load benchmark of the REST API: GET /api/v1/incidents/{id} on 10,000 incidents, against a bare FastAPI endpoint.

    .venv/bin/python bench/bench_api.py [--pg URL] [--incidents 10000] [--duration 20] [--connections 50] [--workers 1]

Both servers run under uvicorn as subprocesses with the same options; wrk (Debian's `wrk`) asks for random incident
ids with a bearer token. Prints requests/s and p99 latency of each, and the ratio (target: >= 0.6, p99 < 150 ms).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, insert, select, text

from afteraction.accounts.models import User
from afteraction.accounts.service import create_token, create_user
from afteraction.core.db import Database
from afteraction.incidents.models import Incident, IncidentLabel, IncidentMember
from afteraction.reviews.models import Postmortem

BENCH = Path(__file__).resolve().parent
LUA = """
wrk.headers["Authorization"] = "Bearer {token}"
request = function()
  return wrk.format("GET", "/api/v1/incidents/INC-" .. math.random(1, {count}))
end
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def populate(url: str, count: int) -> str:
    """Migrate, add `count` incidents with labels and post-mortems, and return a viewer's token."""
    db = Database(url)
    db.migrate()
    start = datetime(2025, 1, 1, tzinfo=UTC)
    with db.transaction() as session:
        session.execute(
            insert(Incident),
            [
                {
                    "id": n, "number": n, "title": f"Incident {n}: checkout latency above SLO", "kind": "incident",
                    "severity": f"SEV{n % 4 + 1}", "status": "resolved", "private": n % 10 == 0,
                    "started_at": start + timedelta(hours=n), "extra": {}, "version": 1,
                    "created_at": start, "updated_at": start,
                }
                for n in range(1, count + 1)
            ],
        )  # fmt: skip
        session.execute(
            insert(IncidentLabel),
            [
                {"incident_id": n, "kind": "service", "value": f"svc-{n % 37}", "position": 0}
                for n in range(1, count + 1)
            ],
        )
        session.execute(insert(Postmortem), [{"incident_id": n} for n in range(1, count + 1)])
    user = create_user(db, name="bench", email="bench@example.org", role="viewer", password="bench-password")
    with db.transaction() as session:
        user_id = session.scalar(select(User.id).where(User.name == user.name))
        # A member of every private incident: each request is answered, and the membership check runs.
        session.execute(
            insert(IncidentMember),
            [{"incident_id": n, "user_id": user_id} for n in range(1, count + 1) if n % 10 == 0],
        )
    token = create_token(db, user="bench", name="bench").token
    db.dispose()
    return token


def serve(target: str, port: int, workers: int, env: dict[str, str], extra: list[str]) -> subprocess.Popen[bytes]:
    """Start uvicorn on loopback and wait until it answers."""
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", target, "--factory", "--host", "127.0.0.1", "--port", str(port),
         "--workers", str(workers), "--log-level", "warning", "--no-access-log", *extra],
        env=env, cwd=BENCH,
    )  # fmt: skip
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/incidents/INC-1", timeout=1)
            return process
        except OSError as exc:
            if getattr(exc, "code", None):  # an HTTP error (401 without a token) means it is up
                return process
            time.sleep(0.2)
    process.kill()
    raise SystemExit(f"{target} did not start")


def wrk(port: int, script: Path, duration: int, connections: int) -> tuple[float, float]:
    """Requests per second and p99 latency (ms) of one wrk run."""
    out = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{duration}s", "--latency", "-s", str(script),
         f"http://127.0.0.1:{port}/"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    value, unit = re.search(r"99%\s+([\d.]+)(us|ms|s)", out).groups()  # type: ignore[union-attr]
    p99 = float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if bad:
        print(f"  warning: {bad.group(1)} non-2xx responses", file=sys.stderr)
    return rps, p99


def measure(name: str, target: str, env: dict[str, str], args: argparse.Namespace, script: Path) -> tuple[float, float]:
    port = free_port()
    process = serve(target, port, args.workers, env, ["--loop", "asyncio", "--http", "h11"] if args.plain else [])
    try:
        wrk(port, script, 3, args.connections)  # warm up
        rps, p99 = wrk(port, script, args.duration, args.connections)
    finally:
        process.terminate()
        process.wait(10)
    print(f"{name:>10}: {rps:8.0f} requests/s   p99 {p99:6.1f} ms")
    return rps, p99


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pg", metavar="URL", help="PostgreSQL URL (a schema of its own is made and dropped)")
    parser.add_argument("--incidents", type=int, default=10_000)
    parser.add_argument("--duration", type=int, default=20)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--plain", action="store_true", help="asyncio and h11 instead of uvloop and httptools")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install wrk")
    with tempfile.TemporaryDirectory(prefix="afteraction-bench-") as folder:
        schema = None
        if args.pg:
            schema = f"bench_{uuid.uuid4().hex[:8]}"
            with create_engine(args.pg).begin() as conn:
                conn.execute(text(f'CREATE SCHEMA "{schema}"'))
            url = f"{args.pg}{'&' if '?' in args.pg else '?'}options=-csearch_path%3D{schema}"
        else:
            url = f"sqlite:///{folder}/bench.db"
        try:
            began = time.monotonic()
            token = populate(url, args.incidents)
            backend = "PostgreSQL" if args.pg else "SQLite"
            print(f"{args.incidents} incidents on {backend} in {time.monotonic() - began:.1f}s; "
                  f"wrk -c{args.connections} -d{args.duration}s, {args.workers} worker(s)")  # fmt: skip
            script = Path(folder) / "get.lua"
            script.write_text(LUA.replace("{token}", token).replace("{count}", str(args.incidents)))
            env = {**os.environ, "AFTERACTION_DATABASE_URL": url, "PYTHONPATH": str(BENCH)}
            api_rps, api_p99 = measure("afteraction", "afteraction.web:app_from_env", env, args, script)
            bare_rps, _bare_p99 = measure("bare", "bare_app:create", env, args, script)
        finally:
            if schema:
                with create_engine(args.pg).begin() as conn:
                    conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    ratio = api_rps / bare_rps
    verdict = "meets" if ratio >= 0.6 and api_p99 < 150 else "misses"
    print(f"ratio {ratio:.2f} of the bare endpoint, p99 {api_p99:.1f} ms: {verdict} the target (>= 0.6, < 150 ms)")


if __name__ == "__main__":
    main()
