"""Every command, option and setting is documented: a new one without docs fails here."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer.main

from afteraction.cli import app
from afteraction.core.config import Settings

DOCS = Path(__file__).resolve().parents[1] / "docs"


def _commands(command: Any, path: list[str]) -> Iterator[tuple[str, Any]]:
    subcommands = getattr(command, "commands", None)
    if subcommands:
        for name, sub in sorted(subcommands.items()):
            yield from _commands(sub, [*path, name])
    else:
        yield " ".join(path), command


COMMANDS = list(_commands(typer.main.get_command(app), []))


def _section(text: str, heading: str) -> str:
    start = text.index(heading)
    rest = text[start + len(heading) :]
    end = re.search(r"^#{2,3} ", rest, re.MULTILINE)
    return rest[: end.start()] if end else rest


@pytest.mark.parametrize(("name", "command"), COMMANDS, ids=[name for name, _ in COMMANDS])
def test_every_command_and_option_is_documented(name, command):
    text = (DOCS / "commands.md").read_text()
    heading = f"### `afteraction {name}`"
    assert heading in text, f"docs/commands.md has no heading {heading}"
    section = _section(text, heading)
    for param in command.params:
        longs = [opt for opt in param.opts if opt.startswith("--")]
        if longs:
            assert any(opt in section for opt in longs), f"{name}: {longs[0]} is not documented"


@pytest.mark.parametrize("field", sorted(Settings.model_fields))
def test_every_setting_is_documented(field):
    assert f"AFTERACTION_{field.upper()}" in (DOCS / "settings.md").read_text()
