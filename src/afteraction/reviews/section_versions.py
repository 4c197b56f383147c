"""Versions of post-mortem sections: read one, compare-and-set one, move them all on a whole-document write."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from afteraction.core.errors import Conflict
from afteraction.reviews.models import SectionVersion

TEXT_SECTIONS: tuple[str, ...] = (
    "summary", "impact", "trigger", "detection", "resolution", "problem_statement", "supporting_info", "timeline_note",
)  # fmt: skip
LIST_SECTIONS: tuple[str, ...] = ("whys", "factors", "lessons", "sections")  # "sections": the custom sections
SECTIONS: tuple[str, ...] = TEXT_SECTIONS + LIST_SECTIONS


def section_versions(session: Session, postmortem_id: int) -> dict[str, int]:
    """The version of every section of a post-mortem (1 for a section never written through the API)."""
    rows = session.execute(
        select(SectionVersion.name, SectionVersion.version).where(SectionVersion.postmortem_id == postmortem_id)
    ).all()
    found = {name: version for name, version in rows}
    return {name: found.get(name, 1) for name in SECTIONS}


def claim_section(session: Session, postmortem_id: int, name: str, expected: int | None, label: str) -> int:
    """Move a section to its next version, atomically; Conflict (with the current version) when it is not `expected`."""
    condition = [SectionVersion.postmortem_id == postmortem_id, SectionVersion.name == name]
    if expected is not None:
        condition.append(SectionVersion.version == expected)
    # A conditional UPDATE is the compare-and-set: of two writers from the same version, only one matches a row.
    moved = session.execute(
        update(SectionVersion)
        .where(*condition)
        .values(version=SectionVersion.version + 1)
        .returning(SectionVersion.version)
    ).scalar()
    if moved is not None:
        return int(moved)
    current = session.scalar(
        select(SectionVersion.version).where(SectionVersion.postmortem_id == postmortem_id, SectionVersion.name == name)
    )
    if current is None and expected in (None, 1):
        try:
            with session.begin_nested():
                session.add(SectionVersion(postmortem_id=postmortem_id, name=name, version=2))
            return 2
        except IntegrityError:
            current = session.scalar(
                select(SectionVersion.version).where(
                    SectionVersion.postmortem_id == postmortem_id, SectionVersion.name == name
                )
            )
    current = current or 1
    raise Conflict(f"{label} was changed meanwhile (version {current}, yours {expected})", current_version=current)


def touch_sections(session: Session, postmortem_id: int) -> None:
    """Move every section to a new version: the whole document was just written (an import, a demo refresh)."""
    found = set(session.scalars(select(SectionVersion.name).where(SectionVersion.postmortem_id == postmortem_id)).all())
    if found:
        session.execute(
            update(SectionVersion)
            .where(SectionVersion.postmortem_id == postmortem_id)
            .values(version=SectionVersion.version + 1)
        )
    session.add_all(
        SectionVersion(postmortem_id=postmortem_id, name=name, version=2) for name in SECTIONS if name not in found
    )
