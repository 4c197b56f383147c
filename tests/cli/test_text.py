"""User text is never markup: titles, names and messages print as they are; an unwritable file is one line."""

from __future__ import annotations

import json

import pytest

from afteraction.cli.output import console, markup, panel, table
from tests.insights.conftest import build_history

TITLES = [
    "closing [/] tag",
    "[/bold]",
    "[red]x[/red]",
    "ends in a backslash \\",
    "C:\\temp\\[bold]x",
    ":smile: [@click]",
]


@pytest.mark.parametrize("title", TITLES)
def test_a_title_that_looks_like_markup_prints_as_it_is(cli, title):
    created = cli("incident", "create", "--title", title, "--severity", "SEV3")
    assert created.exit_code == 0, created.stderr
    assert f"Created INC-1: {title}\n" in created.stdout
    listed = cli("incident", "list")
    assert listed.exit_code == 0, listed.stderr
    assert title in listed.stdout
    shown = cli("incident", "show", "INC-1")
    assert shown.exit_code == 0, shown.stderr
    assert f"INC-1  {title}" in shown.stdout
    assert json.loads(cli("incident", "list", "--json").stdout)[0]["title"] == title
    updated = cli("incident", "update", "INC-1", "--status", "mitigated")
    assert updated.exit_code == 0 and f"INC-1  {title}" in updated.stdout


def test_markup_in_a_title_is_not_applied_on_a_colour_terminal(cli, monkeypatch):
    monkeypatch.setenv("FORCE_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.delenv("NO_COLOR", raising=False)
    cli("incident", "create", "--title", "[red]x[/red] and [bold]y[/bold]", "--severity", "SEV3")
    for args in (("incident", "list"), ("incident", "show", "INC-1")):
        out = cli(*args).stdout
        assert "[red]x[/red] and [bold]y[/bold]" in out
        assert "\x1b[31m" not in out  # red
    shown = cli("incident", "show", "INC-1").stdout
    assert "\x1b[1mINC-1\x1b[0m" in shown  # our own markup still styles


def test_services_teams_and_tags_with_brackets_print_as_they_are(cli):
    created = cli(
        "incident", "create", "--title", "t", "--severity", "SEV3",
        "--service", "pay[/]ments", "--team", "[bold]sre", "--tag", "[red]hot[/red]",
    )  # fmt: skip
    assert created.exit_code == 0, created.stderr
    shown = cli("incident", "show", "INC-1").stdout
    assert "services: pay[/]ments" in shown and "teams: [bold]sre" in shown and "tags: [red]hot[/red]" in shown
    insights = cli("insights")
    assert insights.exit_code == 0, insights.stderr
    assert "By service: pay[/]ments 1" in insights.stdout and "By team: [bold]sre 1" in insights.stdout


def test_an_action_item_title_and_owner_with_brackets(cli):
    cli("incident", "create", "--title", "closing [/] tag", "--severity", "SEV3")
    added = cli("actions", "add", "INC-1", "--title", "Fix [/] the [red]alert[/red]", "--owner", "Ann [/bold] Lee")
    assert added.exit_code == 0, added.stderr
    assert "Added AI-1 (INC-1): Fix [/] the [red]alert[/red] — Ann [/bold] Lee" in added.stdout
    listed = cli("actions", "list")
    assert listed.exit_code == 0, listed.stderr
    assert "Fix [/] the [red]alert[/red]" in listed.stdout and "Ann [/bold] Lee" in listed.stdout
    agenda = cli("actions", "agenda")
    assert agenda.exit_code == 0, agenda.stderr
    assert "Fix [/] the [red]alert[/red]" in agenda.stdout and "Ann [/bold] Lee" in agenda.stdout
    updated = cli("actions", "update", "AI-1", "--owner", "[/]")
    assert updated.exit_code == 0 and "Fix [/] the [red]alert[/red] — [/]," in updated.stdout


def test_insights_print_titles_owners_and_services_as_they_are(cli, db):
    build_history(db)
    cli("incident", "update", "INC-2", "--title", "Payments timeouts [/] again")
    cli("incident", "update", "INC-3", "--service", "search[/]")
    assert cli("actions", "update", "AI-3", "--owner", "[bold]Bob").exit_code == 0
    text = cli("insights")
    assert text.exit_code == 0, text.stderr
    assert "By service: checkout 2, search[/] 1" in text.stdout and "│ [bold]Bob " in text.stdout
    assert "INC-2 Payments timeouts [/] again: resembles INC-1" in text.stdout


def test_a_key_moment_shows_in_the_timeline(cli):
    cli("incident", "create", "--title", "t", "--severity", "SEV3")
    cli("timeline", "add", "INC-1", "--at", "2026-03-14T10:00:00Z", "--text", "Alert [/] fired", "--kind", "alert")
    cli("timeline", "mark", "1", "--as", "detected")
    shown = cli("timeline", "show", "INC-1").stdout
    assert "alert [detected]" in shown and "Alert [/] fired" in shown


def test_an_error_quoting_markup_is_one_plain_line(cli):
    result = cli("incident", "create", "--title", "x", "--severity", "[/]")
    assert result.exit_code == 2
    assert result.stderr == "error: invalid severity '[/]': expected one of SEV1, SEV2, SEV3, SEV4\n"


def _one_error_line(result, path) -> None:
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {path}: cannot write: "), result.stderr
    assert "Traceback" not in result.stderr


def test_agenda_into_a_path_that_cannot_be_written_is_one_line(cli, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    _one_error_line(cli("actions", "agenda", "-o", str(blocker / "dir" / "x.md")), blocker / "dir" / "x.md")
    result = cli("actions", "agenda", "-o", str(tmp_path))
    _one_error_line(result, tmp_path)
    assert result.stderr.strip().endswith("is a directory")


def test_agenda_into_a_missing_folder_creates_it(cli, tmp_path):
    out = tmp_path / "missing" / "dir" / "x.md"
    result = cli("actions", "agenda", "-o", str(out))
    assert result.exit_code == 0, result.stderr
    assert out.read_text().startswith("# Post-mortem review meeting")


@pytest.mark.parametrize("fmt", ["md", "json"])
def test_export_into_a_path_that_cannot_be_written_is_one_line(cli, tmp_path, fmt):
    cli("incident", "create", "--title", "closing [/] tag", "--severity", "SEV3")
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    result = cli("export", "INC-1", "--format", fmt, "-o", str(blocker / "x.md"))
    _one_error_line(result, blocker / "x.md")
    assert result.stderr.strip().endswith(f"{blocker} is not a folder")
    _one_error_line(cli("export", "INC-1", "--format", fmt, "-o", str(tmp_path)), tmp_path)


def test_markup_escapes_values_and_keeps_the_template(capsys):
    out = console()
    out.print(markup("[bold]{}[/bold] {} {:,}", "INC-1", "a [/] b \\", 12345))
    out.print("plain [red]text[/red]")
    out.print(table("T [/]", ["A"], [["[/bold]"], [markup("[red]{}[/red]", "x\\")], [None]]))
    out.print(panel(["[/]", markup("[bold]{}[/bold]", "y")]))
    text = capsys.readouterr().out
    assert "INC-1 a [/] b \\ 12,345\n" in text and "plain [red]text[/red]\n" in text
    assert "T [/]" in text and "[/bold]" in text and "x\\ " in text and "│ [/] │" in text
