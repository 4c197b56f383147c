"""Row 3 of issue #14 (and the JSON-upload parts of row 8), against a live server and the real CLI: a Slack zip bomb
(1 MiB on disk, 1 GiB inflated), a zip of 20,000 members, a member whose header lies about its size and JSON nested
200,000 deep are refused with one line naming the file, the limit and the setting (413/422, or exit 2), nothing is
written, and neither the server nor the CLI grows past 300 MB of resident memory."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.security.conftest import LiveServer
from tests.timeline.archives import DAY, MIB, bomb_zip, deep_json, lying_zip, many_members_zip

PROBLEM = "application/problem+json"
MEMORY_CEILING = 300 * 1000 * 1000  # bytes: the "under 300 MB"
MEMBER_LIMIT = "inflates to more than 64 MiB (the limit is set by AFTERACTION_UPLOAD_MAX_MEMBER_BYTES)"
DEPTH_LIMIT = "JSON nested deeper than 200 levels (the limit is set by AFTERACTION_JSON_MAX_DEPTH)"


TIME = Path("/usr/bin/time")  # GNU time: its child's own peak resident set (%M, KiB)


@dataclass
class Ran:
    """What the real CLI did: exit code, output, and its peak resident memory."""

    exit_code: int
    stdout: str
    stderr: str
    peak_rss_bytes: int


def run_cli(live: LiveServer, folder: Path, *args: str) -> Ran:
    """`python -m afteraction ARGS…` on the live server's database, as a separate process, with its peak memory:
    from GNU time when the machine has it, else the highest VmHWM read from /proc while it runs. (The test's own
    wait4 would not do: a child's ru_maxrss starts from the size of the process that forked it.)"""
    out, err, peak = folder / "cli.out", folder / "cli.err", folder / "cli.peak"
    env = {**os.environ, "AFTERACTION_DATABASE_URL": live.database_url, "AFTERACTION_USER": "security-cli"}
    command = [sys.executable, "-m", "afteraction", *args]
    timed = TIME.exists()
    if timed:
        command = [str(TIME), "-f", "%M", "-o", str(peak), *command]
    with out.open("wb") as stdout, err.open("wb") as stderr:
        process = subprocess.Popen(command, stdout=stdout, stderr=stderr, env=env)
    highest = 0
    while process.poll() is None:
        if not timed:
            with contextlib.suppress(OSError):
                for line in Path(f"/proc/{process.pid}/status").read_text().splitlines():
                    if line.startswith("VmHWM:"):
                        highest = max(highest, int(line.split()[1]) * 1024)
        time.sleep(0.005)
    if timed:
        highest = int(peak.read_text().split()[-1]) * 1024
    return Ran(process.returncode, out.read_text(), err.read_text(), highest)


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The hostile files, made once: small on disk, large inflated or deep."""
    folder = tmp_path_factory.mktemp("hostile")
    bomb_zip(folder / "export.zip", 1 << 30)
    many_members_zip(folder / "many.zip", 20_000)
    lying_zip(folder / "lying.zip", real=32 * MIB, declared=1000)
    deep_json(folder / "deep.json")
    return folder


@pytest.fixture(scope="module")
def incident(live: LiveServer) -> Iterator[tuple[str, str]]:
    """An editor's token and an incident of theirs to import into."""
    token = live.add_user("uploader", role="editor")
    with live.client(token) as api:
        created = api.post("/api/v1/incidents", json={"title": "Checkout 502s", "severity": "SEV2"})
        assert created.status_code == 201, created.text
        yield token, created.json()["id"]


def upload(live: LiveServer, token: str, incident_id: str, path: Path, name: str | None = None) -> httpx.Response:
    """POST the file to the timeline import route as the editor."""
    with live.client(token) as api, path.open("rb") as content:
        return api.post(
            f"/api/v1/incidents/{incident_id}/timeline/import", files={"file": (name or path.name, content)}
        )


def timeline(live: LiveServer, token: str, incident_id: str) -> list[dict[str, object]]:
    """The incident's timeline as the API gives it."""
    with live.client(token) as api:
        answer = api.get(f"/api/v1/incidents/{incident_id}/timeline")
        assert answer.status_code == 200
        events: list[dict[str, object]] = answer.json()["items"]
        return events


def problem(answer: httpx.Response, status: int) -> str:
    """The detail of a problem+json answer with the status, which never shows a server path or a traceback."""
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == PROBLEM
    assert "/tmp" not in answer.text and "afteraction-upload-" not in answer.text and "Traceback" not in answer.text
    detail: str = answer.json()["detail"]
    assert "\n" not in detail
    return detail


def test_a_zip_bomb_upload_is_a_413_naming_the_limit_and_the_server_stays_small(
    live: LiveServer, files: Path, incident: tuple[str, str]
) -> None:
    token, incident_id = incident
    bomb = files / "export.zip"
    assert bomb.stat().st_size < 2 * MIB  # small on disk; it declares and inflates to 1 GiB
    before = live.peak_rss_bytes()
    detail = problem(upload(live, token, incident_id, bomb), 413)
    assert detail == f"export.zip: {DAY} {MEMBER_LIMIT}"
    peak = live.peak_rss_bytes()
    print(f"\nzip bomb upload: server peak RSS {peak / 1e6:.0f} MB (before the upload {before / 1e6:.0f} MB)")
    assert peak < MEMORY_CEILING
    assert timeline(live, token, incident_id) == []


def test_the_zip_bomb_through_the_cli_is_one_line_exit_2_and_stays_small(
    live: LiveServer, files: Path, incident: tuple[str, str], tmp_path: Path
) -> None:
    _token, incident_id = incident
    bomb = files / "export.zip"
    ran = run_cli(live, tmp_path, "timeline", "import", incident_id, str(bomb))
    print(f"\nzip bomb CLI import: peak RSS {ran.peak_rss_bytes / 1e6:.0f} MB")
    assert ran.exit_code == 2, ran.stderr
    assert ran.stderr == f"error: {bomb}: {DAY} {MEMBER_LIMIT}\n"
    assert ran.peak_rss_bytes < MEMORY_CEILING


def test_a_zip_of_twenty_thousand_members_is_a_413_naming_the_count_limit(
    live: LiveServer, files: Path, incident: tuple[str, str]
) -> None:
    token, incident_id = incident
    detail = problem(upload(live, token, incident_id, files / "many.zip", "slack export.zip"), 413)
    limit = "holds more than 10,000 files (the limit is set by AFTERACTION_UPLOAD_MAX_MEMBERS)"
    assert detail == f"slack export.zip: {limit}"
    assert live.peak_rss_bytes() < MEMORY_CEILING


def test_a_member_whose_header_lies_about_its_size_is_refused_and_nothing_is_written(
    live: LiveServer, files: Path, incident: tuple[str, str], tmp_path: Path
) -> None:
    token, incident_id = incident
    lying = files / "lying.zip"
    detail = problem(upload(live, token, incident_id, lying), 422)
    assert detail.startswith(f"lying.zip: {DAY}: cannot be read (Bad CRC-32")  # never more than the 1,000 declared
    assert timeline(live, token, incident_id) == []  # the honest day before it was not kept either
    ran = run_cli(live, tmp_path, "timeline", "import", incident_id, str(lying))
    assert ran.exit_code == 2 and ran.stderr.startswith(f"error: {lying}: {DAY}: cannot be read")
    assert ran.stderr.count("\n") == 1 and "Traceback" not in ran.stderr
    assert live.peak_rss_bytes() < MEMORY_CEILING and ran.peak_rss_bytes < MEMORY_CEILING


def test_json_nested_200000_deep_is_a_422_naming_the_file_and_the_connection_lives_on(
    live: LiveServer, files: Path, incident: tuple[str, str]
) -> None:
    token, incident_id = incident
    url = f"/api/v1/incidents/{incident_id}/timeline/import"
    with live.client(token) as api:  # one keep-alive connection for both requests
        deep = api.post(url, files={"file": ("deep.json", (files / "deep.json").read_bytes())})
        assert problem(deep, 422) == f"deep.json: line 1: {DEPTH_LIMIT}"
        assert api.get(f"/api/v1/incidents/{incident_id}/timeline").status_code == 200
    assert live.alive() and "RecursionError" not in live.log() and "Traceback" not in live.log()


def test_json_nested_200000_deep_through_the_cli_is_one_line(
    live: LiveServer, files: Path, incident: tuple[str, str], tmp_path: Path
) -> None:
    _token, incident_id = incident
    deep = files / "deep.json"
    ran = run_cli(live, tmp_path, "timeline", "import", incident_id, str(deep))
    assert (ran.exit_code, ran.stderr) == (2, f"error: {deep}: line 1: {DEPTH_LIMIT}\n")
    document = run_cli(live, tmp_path, "import", str(deep))  # a post-mortem document as JSON
    assert (document.exit_code, document.stderr) == (2, f"error: {deep}: {DEPTH_LIMIT}\n")


def test_a_lone_surrogate_in_a_json_upload_is_a_422_and_a_nul_is_removed(
    live: LiveServer, incident: tuple[str, str], tmp_path: Path
) -> None:
    token, incident_id = incident
    surrogate = tmp_path / "surrogate.json"
    surrogate.write_text('{"time": "2026-03-14T10:00:00Z", "message": "broken \\ud800 text"}')
    refused = problem(upload(live, token, incident_id, surrogate), 422)
    assert refused.startswith("surrogate.json: line 1: not valid JSON")
    nul = tmp_path / "nul.json"
    nul.write_text('{"time": "2026-03-14T10:00:00Z", "message": "null\\u0000byte"}')
    answer = upload(live, token, incident_id, nul)
    assert answer.status_code == 200, answer.text
    assert [event["text"] for event in timeline(live, token, incident_id)] == ["nullbyte"]
