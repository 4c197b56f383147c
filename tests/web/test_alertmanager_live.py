"""A real Prometheus Alertmanager delivers a firing and a resolved alert to the server's webhook."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from afteraction.core.actor import Actor
from afteraction.domain.incidents import NewIncident
from afteraction.timeline.service import list_events
from afteraction.usecases.incidents import create_incident
from afteraction.web import create_app
from tests.conftest import free_port, serve_in_thread
from tests.web.conftest import WEBHOOK_SECRET, make_settings

SYSTEM = Actor.system()  # tests act as the command line does: the system actor sees every incident

BINARY = shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")
pytestmark = pytest.mark.skipif(
    BINARY is None, reason="prometheus-alertmanager is not installed (apt-get install prometheus-alertmanager)"
)

CONFIG = """
route:
  receiver: afteraction
  group_by: [alertname]
  group_wait: 100ms
  group_interval: 300ms
  repeat_interval: 1h
receivers:
  - name: afteraction
    webhook_configs:
      - url: http://127.0.0.1:{port}/api/v1/webhooks/alertmanager
        send_resolved: true
        http_config:
          authorization:
            type: Bearer
            credentials: {secret}
"""


@pytest.fixture
def server(database_url: str) -> Iterator[tuple[int, Any]]:
    """The app served by uvicorn on a free loopback port, in a thread."""
    app = create_app(make_settings(database_url))
    with serve_in_thread(app) as port:
        yield port, app.state.db
    app.state.db.dispose()


@pytest.fixture
def alertmanager(server: tuple[int, Any], tmp_path: Path) -> Iterator[int]:
    """Alertmanager on loopback, its webhook pointed at the test server, clustering off."""
    port = free_port()
    config = tmp_path / "alertmanager.yml"
    config.write_text(CONFIG.format(port=server[0], secret=WEBHOOK_SECRET))
    process = subprocess.Popen(
        [str(BINARY), f"--config.file={config}", f"--storage.path={tmp_path / 'data'}",
         f"--web.listen-address=127.0.0.1:{port}", "--cluster.listen-address=", "--log.level=warn"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    deadline = time.monotonic() + 20
    while True:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/-/ready", timeout=1)
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail(f"alertmanager did not start: {process.stderr.read().decode() if process.stderr else ''}")
            time.sleep(0.1)
    yield port
    process.terminate()
    process.wait(10)


def post_alert(port: int, starts: datetime, ends: datetime | None) -> None:
    alert: dict[str, Any] = {
        "labels": {"alertname": "CheckoutLatency", "service": "checkout", "severity": "page"},
        "annotations": {"summary": "p99 latency above 2s"},
        "startsAt": starts.isoformat().replace("+00:00", "Z"),
        "generatorURL": "http://prometheus.example/graph",
    }
    if ends is not None:
        alert["endsAt"] = ends.isoformat().replace("+00:00", "Z")
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/v2/alerts", data=json.dumps([alert]).encode(),
        headers={"Content-Type": "application/json"}, method="POST",
    )  # fmt: skip
    with urllib.request.urlopen(request, timeout=5) as response:
        assert response.status == 200


def wait_for(db: Any, kinds: list[str], seconds: float = 30) -> list[Any]:
    deadline = time.monotonic() + seconds
    while True:
        events = list_events(db, actor=SYSTEM, incident_id="INC-1")
        if [e.kind for e in events] == kinds or time.monotonic() > deadline:
            return events
        time.sleep(0.2)


def test_a_real_alertmanager_delivers_firing_and_resolved_alerts_into_the_timeline(server, alertmanager):
    _port, db = server
    create_incident(
        db,
        actor=SYSTEM,
        new=NewIncident(title="Checkout slow", severity="SEV2", services=["checkout"]),
        allowed_severities=["SEV2"],
    )
    starts = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=2)
    post_alert(alertmanager, starts, None)
    fired = wait_for(db, ["alert"])
    assert [e.kind for e in fired] == ["alert"], "Alertmanager did not deliver the firing alert"
    assert fired[0].source == "alertmanager" and fired[0].at == starts
    assert fired[0].text.startswith("Firing: CheckoutLatency [page]")
    ends = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=1)
    post_alert(alertmanager, starts, ends)
    both = wait_for(db, ["alert", "resolve"])
    assert [e.kind for e in both] == ["alert", "resolve"], "Alertmanager did not deliver the resolution"
    assert both[1].at == ends
    # Alertmanager resends while an alert stays resolved or firing; every redelivery added nothing.
    time.sleep(1)
    assert len(list_events(db, actor=SYSTEM, incident_id="INC-1")) == 2
