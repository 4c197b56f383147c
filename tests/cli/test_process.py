"""The installed command in a process of its own: no test fixture has loaded every table for it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def _run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "AFTERACTION_DATABASE_URL": f"sqlite:///{tmp_path / 'fresh.db'}"}
    command = [sys.executable, "-m", "afteraction", *args]
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=120, check=False)


def test_a_fresh_process_adds_and_lists_an_action_item(tmp_path: Path):
    assert _run(tmp_path, "init").returncode == 0
    created = _run(tmp_path, "incident", "create", "--title", "closing [/] tag", "--severity", "SEV3")
    assert created.returncode == 0, created.stderr
    assert created.stdout.strip() == "Created INC-1: closing [/] tag"
    added = _run(tmp_path, "actions", "add", "INC-1", "--title", "Alert on [/bold] pool use", "--owner", "Ana")
    assert added.returncode == 0, added.stderr
    listed = _run(tmp_path, "actions", "list")
    assert "Alert on [/bold] pool use" in listed.stdout and listed.stderr == ""
