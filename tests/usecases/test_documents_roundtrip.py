"""Property: any post-mortem stored, exported as Markdown, imported back and exported again gives identical output."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from afteraction.core.actor import Actor
from afteraction.documents.parse import parse_markdown
from afteraction.domain.actions import ActionItemData
from afteraction.domain.incidents import TimelineEntry
from afteraction.domain.reviews import FactorData, LessonData, PostmortemDocument, SectionData, WhyNodeData
from afteraction.usecases import documents as service

SYSTEM = Actor.system()  # tests act as the command line does: the system actor sees every incident

SEVERITIES = ["SEV1", "SEV2", "SEV3", "SEV4"]
WORD = st.text(alphabet="abcdefghijklmnopqrstuvwxyzÉéüß日本ABC0123456789", min_size=1, max_size=10)
# A line starts with a letter: "1. x" or "- x" at the start of a paragraph is Markdown list syntax (see docs/format.md).
FIRST = st.text(alphabet="abcdefghijklmnopqrstuvwxyzÉéüß日本ABC", min_size=1, max_size=10)
PUNCT = st.sampled_from([" ", " ", " ", ", ", ". ", " | ", " *", "` ", " (", ") ", " — ", ": "])


@st.composite
def line(draw: st.DrawFn, max_words: int = 8) -> str:
    words = [draw(FIRST), *draw(st.lists(WORD, max_size=max_words - 1))]
    out = words[0]
    for word in words[1:]:
        out += draw(PUNCT) + word
    return out.strip()


def names() -> st.SearchStrategy[list[str]]:
    return st.lists(st.sampled_from(["Ann Lee", "Bo Chen", "Dave Okafor", "Zoë Ünal"]), unique=True, max_size=3)


@st.composite
def timeline(draw: st.DrawFn) -> list[TimelineEntry]:
    start = datetime(2026, 3, 14, 9, 0, tzinfo=UTC)
    offsets = sorted(draw(st.lists(st.integers(0, 86_400), max_size=6)))
    return [
        TimelineEntry(
            at=start + timedelta(seconds=offset),
            source=draw(st.sampled_from(["manual", "slack", "pagerduty"])),
            actor=draw(st.none() | st.sampled_from(["Ann Lee", "PagerDuty"])),
            kind=draw(st.sampled_from(["note", "message", "deploy", "decision"])),
            text=draw(line()),
            source_id=f"src-{index}",
        )
        for index, offset in enumerate(offsets)
    ]


def whys(depth: int) -> st.SearchStrategy[list[WhyNodeData]]:
    leaf = st.builds(WhyNodeData, text=line(), root_cause=st.booleans())
    if depth == 0:
        return st.lists(leaf, max_size=2)
    node = st.builds(WhyNodeData, text=line(), root_cause=st.just(False), children=whys(depth - 1))
    return st.lists(node | leaf, max_size=2)


@st.composite
def documents(draw: st.DrawFn) -> PostmortemDocument:
    factors = draw(
        st.lists(
            st.builds(FactorData, text=line(), category=st.none() | st.sampled_from(["deploy", "capacity"])), max_size=3
        )
    )
    titles = draw(st.lists(line(6), unique=True, max_size=4))
    actions = [
        ActionItemData(
            title=title,
            type=draw(st.none() | st.sampled_from(["prevent", "detect", "process"])),
            owner=draw(st.none() | st.sampled_from(["Ann Lee", "Bo Chen"])),
            due=draw(st.none() | st.dates(date(2026, 1, 1), date(2027, 12, 31))),
            priority=draw(st.none() | st.sampled_from(["P0", "P2"])),
            status=draw(st.sampled_from(["open", "in-progress", "done"])),
            addresses=("F1" if factors and draw(st.booleans()) else None),
        )
        for title in titles
    ]
    return PostmortemDocument(
        id="INC-1",
        title=draw(line(6)),
        kind=draw(st.sampled_from(["incident", "near-miss", "failed-deploy"])),
        severity=draw(st.sampled_from(SEVERITIES)),
        status=draw(st.sampled_from(["draft", "in-review", "published"])),
        services=draw(st.lists(st.sampled_from(["api", "db", "cache"]), unique=True, max_size=2)),
        authors=draw(names()),
        reviewers=draw(names()),
        started_at=datetime(2026, 3, 14, 8, 59, 59, tzinfo=UTC),
        summary=draw(line(20)),
        impact=draw(st.just("") | line(20)),
        timeline=draw(timeline()),
        problem_statement=draw(st.just("") | line()),
        whys=draw(whys(3)),
        factors=factors,
        lessons=draw(
            st.lists(
                st.builds(LessonData, kind=st.sampled_from(["went-well", "went-wrong", "lucky"]), text=line()),
                max_size=4,
            )
        ),
        actions=actions,
        sections=draw(
            st.lists(
                st.builds(SectionData, heading=st.sampled_from(["Attendees", "Glossary"]), body=line()),
                max_size=1,
                unique_by=lambda s: s.heading,
            )
        ),
    )


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(doc=documents())
def test_store_export_import_export_is_identical(db, doc):
    service.store_document(db, doc=doc, severities=SEVERITIES, actor=SYSTEM)
    first = service.export_document(db, actor=SYSTEM, incident_id="INC-1", fmt="md")
    assert isinstance(first, str)
    service.store_document(db, doc=parse_markdown(first, path="INC-1.md"), severities=SEVERITIES, actor=SYSTEM)
    second = service.export_document(db, actor=SYSTEM, incident_id="INC-1", fmt="md")
    assert second == first
    back = parse_markdown(second, path="INC-1.md")
    assert [a.title for a in back.actions] == [a.title for a in doc.actions]
    assert [f.text for f in back.factors] == [f.text for f in doc.factors]
    assert [e.at for e in back.timeline] == [e.at for e in doc.timeline]
