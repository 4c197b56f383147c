"""Lint findings of a post-mortem: blame, action items, whys and structure, as `afteraction lint` reports them."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from afteraction.analysis.lint import completeness, lint_document
from afteraction.core.db import utcnow
from afteraction.reviews.document import load_document
from afteraction.web.deps import AppLintConfig, Db, IncidentId, Viewer

router = APIRouter(tags=["lint"])


class FindingOut(BaseModel):
    """One finding: the rule, its severity, the message and a suggestion; line when the document gave one."""

    path: str | None = None
    line: int | None = None
    column: int | None = None
    rule: str
    severity: str
    message: str
    suggestion: str


class LintOut(BaseModel):
    """The findings of a post-mortem and how complete it is (0 to 100)."""

    incident_id: str
    findings: list[FindingOut]
    completeness: int
    missing: list[str]


@router.get("/incidents/{incident_id}/postmortem/lint", response_model=LintOut)
def lint_postmortem(incident_id: IncidentId, user: Viewer, db: Db, config: AppLintConfig) -> LintOut:
    """The lint findings of the post-mortem as stored (no Markdown source, so no columns)."""
    doc = load_document(db, incident_id=incident_id, actor=user)
    doc = doc.model_copy(update={"path": doc.id})
    findings = lint_document(doc, source=None, config=config, today=utcnow().date())
    score = completeness(doc)
    return LintOut(
        incident_id=doc.id or incident_id,
        findings=[FindingOut.model_validate(finding.to_dict()) for finding in findings],
        completeness=score.score,
        missing=list(score.missing),
    )
