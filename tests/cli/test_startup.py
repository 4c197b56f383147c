"""Start-up cost of the CLI: `--help` and `lint FILE` (the pre-commit hook) load no database or web libraries."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

# Each costs tens to hundreds of milliseconds to import, on every commit a team makes.
HEAVY = ("sqlalchemy", "fastapi", "starlette", "uvicorn", "httpx", "afteraction.core.db", "afteraction.models")

# Runs in a fresh interpreter: the test process itself has all of them imported already.
SCRIPT = """
import sys

import typer
from typer.testing import CliRunner

from afteraction.cli import app

command = typer.main.get_command(app)  # the whole command tree, as `afteraction` builds it
print(*sorted(command.commands))
runner = CliRunner()
for args in (["--help"], ["lint", "--help"], ["lint", sys.argv[1]]):
    result = runner.invoke(app, args)
    print(result.exit_code, result.output.replace("\\n", " "))
print("loaded:", *sorted(name for name in sys.argv[2:] if name in sys.modules))
"""

DOCUMENT = """---
id: INC-7
title: Disk filled up on the build cache
severity: SEV3
---

# Disk filled up on the build cache

## Summary

The build cache disk filled up and builds failed for 20 minutes.
"""


def test_help_and_lint_of_a_file_import_no_database_or_web_library(tmp_path: Path) -> None:
    path = tmp_path / "postmortem.md"
    path.write_text(DOCUMENT, encoding="utf-8")
    # A database URL set explicitly makes lint read people's names from the database; the hook runs without one.
    env = {k: v for k, v in os.environ.items() if k != "AFTERACTION_DATABASE_URL"}
    run = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(path), *HEAVY],
        capture_output=True, text=True, cwd=tmp_path, env=env, timeout=60, check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    commands, help_line, lint_help_line, lint_line, loaded = run.stdout.splitlines()
    assert {"incident", "lint", "serve", "user"} <= set(commands.split())
    assert help_line.startswith("0 ") and "lint" in help_line
    assert lint_help_line.startswith("0 ") and "--incident" in lint_help_line
    assert lint_line.startswith("1 ") and "structure/missing-section" in lint_line
    assert loaded == "loaded:"
