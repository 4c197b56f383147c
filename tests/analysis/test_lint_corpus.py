"""The real post-mortems of ../shared/corpus lint without an exception, with findings inside each file."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from afteraction.analysis.lint import LintConfig, completeness, lint_document
from afteraction.documents.parse import parse_markdown

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus" / "postmortems"
_SKIP = {"LICENSE", "SOURCE.txt", "README.md"}


def _files() -> list[Path]:
    if not CORPUS.exists():
        pytest.skip(f"corpus not available: {CORPUS}")
    return sorted(p for p in CORPUS.rglob("*") if p.is_file() and p.name not in _SKIP)


def test_every_corpus_document_lints_with_positions_inside_the_file():
    files = _files()
    assert len(files) >= 281
    blame = 0
    for path in files:
        text = path.read_text(encoding="utf-8-sig")
        doc = parse_markdown(text, path=str(path))
        lines = text.splitlines()
        for finding in lint_document(doc, source=text, config=LintConfig(), today=date(2026, 3, 1)):
            assert finding.line is not None and 1 <= finding.line <= max(len(lines), 1), finding
            assert finding.column is None or finding.column >= 1
            blame += finding.rule.startswith("blame/")
        assert 0 <= completeness(doc).score <= 100
    # written by teams that practise blameless reviews: blame findings are the exception, not the rule
    assert blame < len(files) / 4
