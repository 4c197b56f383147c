"""Print every blame finding in some Markdown documents as a JSON line ready to label for real_blame_sentences.jsonl.

    .venv/bin/python tests/data/collect_blame_sentences.py --source "github:owner/repo@COMMIT" --split held-out \
        docs/*.md > new.jsonl

Each line holds the document's name, the line, the heading the sentence sits under, the sentence, the rule and an
empty label (`"blame": null`, `"note": ""`) to fill in by hand. A sentence that reads differently on its own (the
test lints it alone, under its heading) is reported on stderr so it can be checked.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from datetime import date
from pathlib import Path

from afteraction.analysis.lint import LintConfig, lint_document
from afteraction.documents.parse import parse_markdown

TODAY = date(2026, 3, 1)
_HEADING = re.compile(r"^#{1,6}\s+(.*?)\s*#*\s*$")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(\[*_`])")


def blame_rules(text: str) -> set[str]:
    """The blame rules that fire on a sentence linted on its own, under `heading`-less context."""
    doc = parse_markdown(text, path="sentence.md")
    found = lint_document(doc, source=text, config=LintConfig(), today=TODAY)
    return {finding.rule for finding in found if finding.rule.startswith("blame/")}


def sentence_document(section: str, sentence: str) -> str:
    """The small document a labelled sentence is linted in: its heading, then the sentence."""
    return f"# Post-mortem\n\n## {section}\n\n{sentence}\n"


def _sentence_at(lines: list[str], line: int, column: int) -> str:
    """The sentence of the paragraph around a 1-based line that holds the 1-based column."""
    start = end = line - 1
    while start > 0 and lines[start - 1].strip() and not _HEADING.match(lines[start - 1]):
        start -= 1
    while end + 1 < len(lines) and lines[end + 1].strip() and not _HEADING.match(lines[end + 1]):
        end += 1
    paragraph = [text.strip().lstrip("-*+> ").strip() for text in lines[start : end + 1]]
    offset = sum(len(text) + 1 for text in paragraph[: line - 1 - start]) + max(0, column - 1)
    joined = " ".join(paragraph)
    position = 0
    for sentence in _SENTENCE_END.split(joined):
        position = joined.find(sentence, position)
        if position <= offset < position + len(sentence) + 1:
            return sentence.strip()
        position += len(sentence)
    return joined.strip()


def _section_of(lines: list[str], line: int) -> str:
    for text in reversed(lines[: line - 1]):
        heading = _HEADING.match(text)
        if heading:
            return heading.group(1)
    return "Summary"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("documents", nargs="+", type=Path)
    parser.add_argument("--source", required=True, help="where the documents come from (repository@commit)")
    parser.add_argument("--split", choices=("tune", "held-out"), required=True)
    args = parser.parse_args()
    for path in args.documents:
        text = path.read_text(encoding="utf-8-sig")
        lines = text.splitlines()
        doc = parse_markdown(text, path=str(path))
        for finding in lint_document(doc, source=text, config=LintConfig(), today=TODAY):
            if not finding.rule.startswith("blame/") or finding.line is None:
                continue
            section = _section_of(lines, finding.line)
            sentence = _sentence_at(lines, finding.line, finding.column or 1)
            if finding.rule not in blame_rules(sentence_document(section, sentence)):
                print(f"{path}:{finding.line}: {finding.rule} does not fire on the sentence alone", file=sys.stderr)
            row = {
                "source": f"{args.source}:{path.name}", "line": finding.line, "section": section,
                "text": sentence, "rule": finding.rule, "blame": None, "split": args.split, "note": "",
            }  # fmt: skip
            print(json.dumps(row, ensure_ascii=False))


if __name__ == "__main__":
    main()
