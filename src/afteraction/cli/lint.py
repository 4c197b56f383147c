"""`afteraction lint`: the blameless review checks over Markdown post-mortems or one incident in the database."""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, date, datetime
from enum import StrEnum
from itertools import repeat
from pathlib import Path
from typing import Annotated

import typer

from afteraction.analysis.lint import (
    Finding,
    LintConfig,
    completeness,
    has_errors,
    lint_document,
    load_lint_config,
    load_lint_config_file,
)
from afteraction.analysis.lint.output import render
from afteraction.analysis.lint.structure import Completeness
from afteraction.cli import one_line
from afteraction.cli.acting import actor_of
from afteraction.core.errors import AfteractionError, DatabaseUnavailable, InvalidInput

_SUFFIXES = (".md", ".markdown", ".mdown")


class LintFormat(StrEnum):
    """The output formats of `afteraction lint`."""

    text = "text"
    json = "json"
    sarif = "sarif"
    github = "github"


def _files(paths: list[Path]) -> list[Path]:
    """The files to lint: the files given, and the Markdown files under the folders given."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in _SUFFIXES))
        elif path.exists():
            found.append(path)
        else:
            raise InvalidInput(f"{path}: no such file or folder")
    return found


class _Configs:
    """The lint configuration of each file: `--config`, else the nearest one above the file (cached per folder);
    with `--mapping`, a template's boilerplate (its `[ignore]` headings and text) left out too."""

    def __init__(self, explicit: Path | None, mapping: Path | None = None) -> None:
        self.explicit = load_lint_config_file(explicit) if explicit is not None else None
        self.cache: dict[Path, LintConfig] = {}
        self.boilerplate: tuple[frozenset[str], frozenset[str]] = (frozenset(), frozenset())
        if mapping is not None:
            from afteraction.documents.mapping import load_mapping

            loaded = load_mapping(mapping)
            self.boilerplate = (loaded.ignore_headings, loaded.ignore_text)

    def of(self, path: Path) -> LintConfig:
        if self.explicit is not None:
            return self.explicit.with_boilerplate(*self.boilerplate)
        folder = path.parent
        if folder not in self.cache:
            self.cache[folder] = load_lint_config(folder).with_boilerplate(*self.boilerplate)
        return self.cache[folder]


def _database_names(ctx: typer.Context, wanted: bool) -> list[str]:
    """People's names from the database, when one is in play (--incident, or a database URL set explicitly)."""
    from afteraction.cli import CliState

    state = ctx.find_root().obj
    if not isinstance(state, CliState):
        return []
    if not wanted and "database_url" not in state.settings.model_fields_set:
        return []
    from afteraction.usecases.incidents import person_names  # SQLAlchemy: not for a lint without a database

    try:
        return person_names(state.database(), actor=actor_of(ctx))
    except DatabaseUnavailable:
        if wanted:
            raise
        return []  # a pre-commit run without a database still lints with the document's own names


# From this many files on, lint reads and checks them in one process per core: each costs about 1 ms, so a
# process pool (≈20 ms to fork) pays off on a big folder and would only slow down a pre-commit run on a few files.
PARALLEL_FROM = 200


def _lint_one(path: Path, config: LintConfig, today: date, names: list[str]) -> tuple[list[Finding], Completeness]:
    from afteraction.documents.parse import parse_markdown, read_text

    text = read_text(path)
    doc = parse_markdown(text, path=str(path))
    return lint_document(doc, source=text, config=config, today=today, known_names=names), completeness(doc)


def _lint_chunk(
    jobs: list[tuple[Path, LintConfig]], today: date, names: list[str]
) -> list[tuple[list[Finding], Completeness]]:
    return [_lint_one(path, config, today, names) for path, config in jobs]


def _workers() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _lint_files(
    paths: list[Path], configs: _Configs, today: date, names: list[str]
) -> tuple[list[Finding], list[tuple[str, Completeness]]]:
    files = _files(paths)
    jobs = [(path, configs.of(path)) for path in files]
    workers = min(_workers(), len(jobs) // (PARALLEL_FROM // 2))
    if len(jobs) >= PARALLEL_FROM and workers > 1 and "fork" in multiprocessing.get_all_start_methods():
        size = -(-len(jobs) // (workers * 4))  # a few chunks per worker, so one slow chunk does not hold the rest
        chunks = [jobs[i : i + size] for i in range(0, len(jobs), size)]
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(workers, mp_context=context) as pool:
            results = [r for chunk in pool.map(_lint_chunk, chunks, repeat(today), repeat(names)) for r in chunk]
    else:
        results = _lint_chunk(jobs, today, names)
    findings = [finding for found, _ in results for finding in found]
    scores = [(str(path), score) for path, (_, score) in zip(files, results, strict=True)]
    return findings, scores


def _lint_incident(
    ctx: typer.Context, incident_id: str, configs: _Configs, today: date, names: list[str]
) -> tuple[list[Finding], list[tuple[str, Completeness]]]:
    # Hook for the database face: the root command puts a CliState on ctx.obj; the document comes from the
    # reviews service and is linted field by field (no Markdown source, so no columns).
    from afteraction.cli import state_of
    from afteraction.reviews.document import load_document

    db = state_of(ctx).database()
    doc = load_document(db, actor=actor_of(ctx), incident_id=incident_id)
    doc = doc.model_copy(update={"path": incident_id})
    config = configs.explicit or load_lint_config(Path.cwd())
    found = lint_document(doc, source=None, config=config, today=today, known_names=names)
    return found, [(incident_id, completeness(doc))]


def lint_command(
    ctx: typer.Context,
    paths: Annotated[
        list[Path] | None,
        typer.Argument(
            metavar="[PATH]...", help="Markdown post-mortems, or folders to search for *.md files.", show_default=False
        ),
    ] = None,
    output_format: Annotated[
        LintFormat, typer.Option("--format", "-f", help="text, json, sarif or github.", case_sensitive=False)
    ] = LintFormat.text,
    incident: Annotated[
        str | None,
        typer.Option("--incident", metavar="ID", help="Lint the post-mortem of an incident in the database."),
    ] = None,
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            metavar="PATH",
            help="A pyproject.toml or .afteraction.toml to read settings from.",
            show_default=False,
        ),
    ] = None,
    mapping: Annotated[
        Path | None,
        typer.Option(
            "--mapping",
            metavar="PATH",
            help="An import mapping (mapping.toml) whose [ignore] headings and text are template boilerplate.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Check post-mortems for blame, vague action items and missing parts; exit 1 on findings of error level."""
    today = datetime.now(UTC).date()
    try:
        if not paths and incident is None:
            raise InvalidInput("give at least one PATH or --incident ID")
        configs = _Configs(config, mapping)
        findings: list[Finding] = []
        scores: list[tuple[str, Completeness]] = []
        names = _database_names(ctx, incident is not None)
        if paths:
            findings, scores = _lint_files(paths, configs, today, names)
        if incident is not None:
            more, more_scores = _lint_incident(ctx, incident, configs, today, names)
            findings.extend(more)
            scores.extend(more_scores)
    except AfteractionError as error:
        typer.echo(f"error: {one_line(error.message)}", err=True)
        # lint's exit codes are a contract for CI and pre-commit (0 clean, 1 findings, 2 usage), as ruff's: every
        # error that stops the run, a missing incident or database included, is 2
        raise typer.Exit(2) from None
    typer.echo(render(findings, output_format.value, scores), nl=False)
    raise typer.Exit(1 if has_errors(findings) else 0)
