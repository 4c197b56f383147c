"""Changes to a post-mortem after it was published: recorded in its history as an `amend` step naming what changed,
marked "amended after publication" (when, by whom), and, where the policy says so, back in review."""

from __future__ import annotations

from collections.abc import Iterable
from typing import cast

from sqlalchemy import Table, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from afteraction.core.actor import Actor
from afteraction.core.db import utcnow
from afteraction.domain.policy import Policy
from afteraction.domain.reviews import LESSON_KINDS, PostmortemDocument
from afteraction.reviews.models import Postmortem, ReviewEvent

AMENDABLE: tuple[str, ...] = ("published", "closed")
_POSTMORTEMS = cast(Table, Postmortem.__table__)

# The document's fields by the section a reader knows them as, in the document's order.
SECTION_NAMES: dict[str, str] = {
    "title": "Title", "summary": "Summary", "impact": "Impact", "trigger": "Trigger", "detection": "Detection",
    "resolution": "Resolution", "timeline_note": "Timeline", "timeline": "Timeline", "problem_statement": "Five whys",
    "whys": "Five whys", "factors": "Contributing factors", "lessons": "Lessons", "actions": "Action items",
    "supporting_info": "Supporting information", "authors": "Authors", "sections": "Custom sections",
    "started_at": "Key moments", "detected_at": "Key moments", "acknowledged_at": "Key moments",
    "mitigated_at": "Key moments", "resolved_at": "Key moments",
}  # fmt: skip


def changed_sections(before: PostmortemDocument, after: PostmortemDocument) -> list[str]:
    """The sections (as SECTION_NAMES calls them, custom ones by heading) whose content differs, in order."""
    old, new = before.model_dump(mode="json"), after.model_dump(mode="json")
    for dumped in (old, new):  # lessons are kept and shown by kind: their order across kinds is no change
        dumped["lessons"] = sorted(dumped.get("lessons") or [], key=lambda lesson: LESSON_KINDS.index(lesson["kind"]))
    names = [label for field, label in SECTION_NAMES.items() if old.get(field) != new.get(field)]
    old_custom = {s.heading: s.body for s in before.sections}
    new_custom = {s.heading: s.body for s in after.sections}
    names += [
        heading
        for heading in dict.fromkeys([*old_custom, *new_custom])
        if old_custom.get(heading) != new_custom.get(heading)
    ]
    return list(dict.fromkeys(names))


def note_amendment(
    session: Session, pm: Postmortem, by: Actor | str, what: Iterable[str], *, policy: Policy | None = None
) -> bool:
    """Record a change to a published (or closed) post-mortem: an `amend` step in its history ("changed Summary,
    Action items"), its amended_at/amended_by, and with the policy's `amend-returns-to-review`, its return to
    in-review. Nothing for a post-mortem not yet published or when nothing changed; returns whether it noted one."""
    sections = [name for name in dict.fromkeys(what) if name]
    if pm.status not in AMENDABLE or not sections:
        return False
    who = by if isinstance(by, str) else by.name  # the caller loaded the post-mortem as someone who may see it
    now = utcnow()
    back = policy is not None and policy.amend_returns_to_review
    status = "in-review" if back else pm.status
    comment = "changed " + ", ".join(sections) + ("; back in review, as the policy asks" if back else "")
    session.add(
        ReviewEvent(
            postmortem_id=pm.id, action="amend", from_status=pm.status, to_status=status, actor=who,
            comment=comment[:2000], at=now,
        )
    )  # fmt: skip
    # A table-level UPDATE, as section writes do: the row's own version stays, so other sections' editors never clash.
    session.execute(
        update(_POSTMORTEMS).where(_POSTMORTEMS.c.id == pm.id).values(status=status, amended_at=now, amended_by=who)
    )
    for name, value in (("status", status), ("amended_at", now), ("amended_by", who)):
        set_committed_value(pm, name, value)
    session.flush()
    return True
