"""Use cases behind the web app's post-mortem editor and review page: everything one screen shows, and the lint
findings placed beside the section, why or action item they concern."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date

from sqlalchemy import delete, select

from afteraction.accounts import service as accounts
from afteraction.accounts.schemas import UserView
from afteraction.actions import service as actions
from afteraction.analysis.lint import Completeness, Finding, LintConfig, completeness, lint_document
from afteraction.analysis.lint.structure import SECTION_LABELS
from afteraction.core.actor import Actor
from afteraction.core.db import Database, utcnow
from afteraction.core.errors import Conflict, InvalidInput
from afteraction.domain.actions import CAUSE_ADDRESS, ActionItemView
from afteraction.domain.incidents import IncidentSummary
from afteraction.domain.policy import Policy
from afteraction.domain.reviews import PostmortemDocument
from afteraction.domain.whytree import why_paths
from afteraction.incidents import service as incidents
from afteraction.insights.similar import SimilarPanel, similar_panel
from afteraction.insights.suggestions import FactorSuggestion, factor_suggestions
from afteraction.insights.taxonomy import list_categories
from afteraction.people.models import Person
from afteraction.people.service import get_or_create_person
from afteraction.reviews import comments, sections, workflow
from afteraction.reviews.amendments import SECTION_NAMES, note_amendment
from afteraction.reviews.document import postmortem_row, why_tree
from afteraction.reviews.models import ContributingFactor, Postmortem, PostmortemPerson, ReviewEvent, WhyNode
from afteraction.usecases import incidents as incident_usecases

# Where each heading of the Markdown format is edited on the editor page.
EDITOR_SECTION: dict[str, str] = {
    "summary": "summary",
    "impact": "impact",
    "trigger": "trigger",
    "detection": "detection",
    "resolution": "resolution",
    "timeline": "timeline",
    "whys": "whys",
    "factors": "factors",
    "went-well": "lessons",
    "went-wrong": "lessons",
    "lucky": "lessons",
    "learned": "lessons",
    "actions": "actions",
    "supporting_info": "supporting_info",
}
# The prose fields and the editor section their text appears in.
PROSE_SECTION: dict[str, str] = {
    "summary": "summary",
    "impact": "impact",
    "trigger": "trigger",
    "detection": "detection",
    "resolution": "resolution",
    "problem_statement": "whys",
    "supporting_info": "supporting_info",
    "timeline_note": "timeline",
}


@dataclass
class PlacedFindings:
    """Lint findings by the editor section, action item (`AI-3`) or why (`1.2`) they concern."""

    by_section: dict[str, list[Finding]] = field(default_factory=dict)
    by_action: dict[str, list[Finding]] = field(default_factory=dict)
    by_why: dict[str, list[Finding]] = field(default_factory=dict)
    total: int = 0
    errors: int = 0

    def section(self, name: str) -> list[Finding]:
        """The findings of one section that no single item carries."""
        return self.by_section.get(name, [])


def _lint_markdown(doc: PostmortemDocument, config: LintConfig, today: date, names: Iterable[str]) -> tuple[
    PostmortemDocument, list[Finding]
]:  # fmt: skip
    """Lint the document through its Markdown form, so that every finding has a line to place it by."""
    from afteraction.documents.parse import parse_markdown
    from afteraction.documents.render import render_markdown

    source = render_markdown(doc)
    parsed = parse_markdown(source, path=doc.id or "post-mortem")
    return parsed, lint_document(parsed, source=source, config=config, today=today, known_names=names)


def _missing_section(finding: Finding) -> str | None:
    """The editor section a missing-section finding names (its message says `no Impact section`)."""
    if finding.rule != "structure/missing-section":
        return None
    for key, label in SECTION_LABELS.items():
        if f" {label} section" in finding.message:
            return EDITOR_SECTION.get(key)
    return None


def _section_at(parsed: PostmortemDocument, line: int | None) -> str:
    starts = sorted(
        (start, key) for key, start in parsed.section_lines.items() if key in EDITOR_SECTION and start is not None
    )
    found = "document"
    for start, key in starts:
        if line is not None and start <= line:
            found = EDITOR_SECTION[key]
    return found


# The web's wording of the lint findings whose command-line words speak of Markdown (headings, front matter, bold
# markers): by (rule, what it concerns), the message and the suggestion as the pages say them, naming the pages' own
# controls. The command line and the API keep the rules' own wording; only the pages use this table.
WEB_WORDING: dict[tuple[str, str], tuple[str, str]] = {
    ("structure/missing-section", "summary"): ("The Summary is not written yet.", "Write the Summary."),
    ("structure/missing-section", "impact"): ("The Impact is not written yet.", "Write the Impact."),
    ("structure/missing-section", "trigger"): ("The Trigger is not written yet.", "Write the Trigger."),
    ("structure/missing-section", "detection"): ("The Detection is not written yet.", "Write the Detection."),
    ("structure/missing-section", "resolution"): ("The Resolution is not written yet.", "Write the Resolution."),
    ("structure/missing-section", "supporting_info"): (
        "The Supporting information is not written yet.", "Write the Supporting information.",
    ),
    ("structure/missing-section", "timeline"): (
        "The timeline has no highlights yet.",
        "Star the events that tell the story on the incident's timeline, or add events there.",
    ),
    ("structure/missing-section", "whys"): ("The Five whys are empty.", "Add a why under Five whys."),
    ("structure/missing-section", "factors"): (
        "No contributing factor yet.", "Add a factor under Contributing factors.",
    ),
    ("structure/missing-section", "went-well"): ("No lesson on what went well yet.", "Add a lesson: What went well."),
    ("structure/missing-section", "went-wrong"): (
        "No lesson on what went wrong yet.", "Add a lesson: What went wrong.",
    ),
    ("structure/missing-section", "lucky"): (
        "No lesson on where you got lucky yet.", "Add a lesson: Where we got lucky.",
    ),
    ("structure/missing-section", "learned"): ("No lesson learned yet.", "Add a lesson: Lessons learned."),
    ("structure/missing-section", "actions"): ("No action item yet.", "Add an action item under Action items."),
    ("structure/missing-key-moment", "detected"): (
        "The incident has no Detected moment.",
        "Set 'Detected' in the incident's key moments (Edit the incident), or mark a timeline event as detected.",
    ),
    ("structure/missing-key-moment", "resolved"): (
        "The incident has no Resolved moment.",
        "Set 'Resolved' in the incident's key moments (Edit the incident), or mark a timeline event as resolved.",
    ),
    ("structure/timeline-order", ""): (
        "", "Correct the event's time on the incident's timeline (check the date and the time zone).",
    ),
    ("whys/no-root-cause", ""): (
        "No why is marked as a root cause.",
        "Press Mark as root cause on the whys where the analysis ends, so action items can address them.",
    ),
}  # fmt: skip
_LABEL_KEYS = {label: key for key, label in SECTION_LABELS.items()}
_CONCERNS = re.compile(r"^(?:the (?P<label>.+) section is empty|no (?P<other>.+) section|no (?P<moment>\w+) moment)$")


def web_words(finding: Finding) -> Finding:
    """A finding as the web pages say it (WEB_WORDING): no Markdown syntax, the pages' own controls."""
    found = _CONCERNS.match(finding.message)
    concerns = ""
    if found and finding.rule == "structure/missing-section":
        concerns = _LABEL_KEYS.get(found.group("label") or found.group("other") or "", "")
    elif found and finding.rule == "structure/missing-key-moment":
        concerns = found.group("moment") or ""
    words = WEB_WORDING.get((finding.rule, concerns))
    if words is None:
        return finding
    message, suggestion = words
    return replace(finding, message=message or finding.message, suggestion=suggestion)


def _in_web_words(placed: PlacedFindings) -> PlacedFindings:
    for table in (placed.by_section, placed.by_action, placed.by_why):
        for key, found in table.items():
            table[key] = [web_words(finding) for finding in found]
    return placed


def place_findings(
    doc: PostmortemDocument, *, config: LintConfig, today: date, known_names: Iterable[str] = ()
) -> PlacedFindings:
    """Every finding of the document, each beside the section, action item or why it concerns."""
    parsed, findings = _lint_markdown(doc, config, today, known_names)
    action_at = {item.line: stored.id for item, stored in zip(parsed.actions, doc.actions, strict=False) if item.line}
    why_at = {node.line: path for path, _depth, node in why_paths(parsed.whys) if node.line}
    placed = PlacedFindings(total=len(findings), errors=sum(1 for f in findings if f.severity == "error"))
    for finding in findings:
        line = finding.line or 0
        action = action_at.get(line) if finding.rule.startswith("action/") else None
        why = why_at.get(line) if finding.rule.startswith(("whys/", "blame/")) else None
        if action:
            placed.by_action.setdefault(action, []).append(finding)
        elif why:
            placed.by_why.setdefault(why, []).append(finding)
        else:
            where = _missing_section(finding) or _section_at(parsed, finding.line)
            placed.by_section.setdefault(where, []).append(finding)
    return _in_web_words(placed)  # the pages' words (this placement is theirs only)


def draft_findings(doc: PostmortemDocument, *, name: str, text: str, config: LintConfig, today: date) -> list[Finding]:
    """The findings of a prose section's unsaved text, as they would be once it is saved."""
    section = PROSE_SECTION.get(name, name)
    placed = place_findings(doc.model_copy(update={name: text}), config=config, today=today)
    return [f for f in placed.section(section) if f.rule.startswith("blame/") or f.rule == "structure/missing-section"]


PEOPLE_OFFERED = 2_000  # names of the directory the owner fields offer; others are typed (and still found)


@dataclass
class EditorView:
    """What the editor shows: the post-mortem with section versions, its items, findings, score and choices."""

    incident: IncidentSummary
    postmortem: sections.PostmortemView
    actions: list[ActionItemView]
    findings: PlacedFindings
    completeness: Completeness
    categories: list[str]
    addresses: dict[str, str] = field(default_factory=dict)
    causes: list[tuple[str, str]] = field(default_factory=list)
    threads: dict[str, comments.Thread] = field(default_factory=dict)  # comment threads by target (w1.2, summary)
    people: list[str] = field(default_factory=list)  # names the actor may see, offered as owners (type-ahead)
    similar: SimilarPanel = field(default_factory=SimilarPanel)  # similar past incidents, a recurrence warning
    suggestions: dict[int, FactorSuggestion] = field(default_factory=dict)  # category proposed, by factor index


def editor_view(db: Database, *, incident_id: str, config: LintConfig, today: date, actor: Actor) -> EditorView:
    """The post-mortem of an incident as its editor shows it, with lint findings and the completeness score."""
    incident = incident_usecases.get_incident(db, incident_id=incident_id, actor=actor)
    # The document as loaded keeps the ids of its action items (the view's JSON form drops them).
    postmortem, document = sections.postmortem_and_document(db, incident_id=incident.id, actor=actor)
    place = {item.id: index for index, item in enumerate(document.actions)}
    items = actions.list_actions(db, incident_id=incident.id, actor=actor)
    return EditorView(
        incident=incident,
        postmortem=postmortem,
        actions=sorted(items, key=lambda item: place.get(item.id, len(place))),
        findings=place_findings(document, config=config, today=today),
        completeness=completeness(document),
        categories=[category.name for category in list_categories(db)],
        addresses={item.id: item.addresses for item in document.actions if item.id and item.addresses},
        causes=cause_choices(document),
        threads=comments.threads_by_label(comments.comment_threads(db, incident_id=incident.id, actor=actor)),
        people=[person.name for person in incident_usecases.directory(db, actor=actor)[:PEOPLE_OFFERED]],
        similar=similar_panel(db, incident_id=incident.id, actor=actor),
        # Only an editor answers suggestions: a viewer is offered none.
        suggestions=factor_suggestions(db, incident_id=incident.id, factors=postmortem.factors, actor=actor)
        if actor.can("editor")
        else {},
    )


def cause_choices(doc: PostmortemDocument) -> list[tuple[str, str]]:
    """What an action item can address: each why (`W1.2`, root causes first) and each factor (`F1`), with its text."""
    whys = why_paths(doc.whys)
    ordered = [w for w in whys if w[2].root_cause] + [w for w in whys if not w[2].root_cause]
    choices = [(f"W{path}", node.text) for path, _depth, node in ordered]
    return choices + [(f"F{index}", factor.text) for index, factor in enumerate(doc.factors, 1)]


def link_action(db: Database, *, action_id: str, addresses: str | None, actor: Actor) -> ActionItemView:
    """Say which why (`W1.2`) or contributing factor (`F1`) an action item addresses; None or "" unlinks it."""
    wanted = (addresses or "").strip().upper()
    with db.transaction() as session:
        item = actions._load(session, action_id, actor)
        pm = session.scalar(select(Postmortem.id).where(Postmortem.incident_id == item.incident_id))
        factor_id = why_id = None
        if wanted:
            match = CAUSE_ADDRESS.match(wanted)
            factors = session.scalars(
                select(ContributingFactor.id)
                .where(ContributingFactor.postmortem_id == pm)
                .order_by(ContributingFactor.position)
            ).all()
            _tree, paths = why_tree(session.scalars(select(WhyNode).where(WhyNode.postmortem_id == pm)).all())
            by_path = {path: node_id for node_id, path in paths.items()}
            if match and match.group(1) and 0 < int(match.group(1)) <= len(factors):
                factor_id = factors[int(match.group(1)) - 1]
            elif match and match.group(2) and match.group(2) in by_path:
                why_id = by_path[match.group(2)]
            else:
                raise InvalidInput(
                    f"{wanted} names no why (W1.2…) or factor (F1…) of this post-mortem", field="addresses"
                )
        if (item.factor_id, item.why_node_id) != (factor_id, why_id):
            item.factor_id, item.why_node_id = factor_id, why_id
            session.flush()
        return actions.view_of(item)


REASON_MAX = 2000


def delete_action(
    db: Database,
    *,
    action_id: str,
    reason: str,
    expected_version: int | None = None,
    actor: Actor,
    policy: Policy | None = None,
) -> ActionItemView:
    """Delete an action item of a post-mortem for a reason (required), kept in the post-mortem's history as a
    `delete-item` step (`AI-7 'title': reason`) that leaves its review state as it is (after publication it is also
    an amendment, see reviews/amendments.py); returns the item deleted."""
    why = " ".join(reason.split())
    if not why:
        raise InvalidInput("deleting an action item needs a reason", field="reason")
    if len(why) > REASON_MAX:
        raise InvalidInput(f"the reason is at most {REASON_MAX} characters", field="reason")
    with db.transaction() as session:
        gone = actions.remove_action(session, actor=actor, action_id=action_id, expected_version=expected_version)
        incident = incidents.load_incident(session, gone.incident_id or "", actor)
        pm = postmortem_row(session, incident)
        status = pm.status or "draft"
        session.add(
            ReviewEvent(
                postmortem_id=pm.id,
                action="delete-item",
                from_status=status,
                to_status=status,
                actor=actor.name,
                comment=f"{gone.id} '{gone.title}': {why}",
                at=utcnow(),
            )
        )
        note_amendment(session, pm, actor, [SECTION_NAMES["actions"]], policy=policy)
        return gone


@dataclass
class ReviewPage:
    """What the review page shows: the incident, its review state and history, and the users one may ask."""

    incident: IncidentSummary
    state: workflow.ReviewState
    users: list[UserView]


def review_page(db: Database, *, incident_id: str, policy: Policy, actor: Actor) -> ReviewPage:
    """The review state of a post-mortem the actor may see, and the active users who could review it."""
    incident = incident_usecases.get_incident(db, incident_id=incident_id, actor=actor)
    return ReviewPage(
        incident=incident,
        state=workflow.review_state(db, incident_id=incident.id, actor=actor, policy=policy),
        users=[user for user in accounts.list_users(db) if user.active],
    )


# While a review is under way (or has approved), who wrote the post-mortem is part of what was reviewed.
REVIEW_LOCKS_AUTHORS = frozenset({"in-review", "approved"})


def set_authors(db: Database, *, incident_id: str, names: Sequence[str], actor: Actor) -> list[str]:
    """Replace the authors of a post-mortem (names in order, each once); returns them."""
    wanted = list(dict.fromkeys(name.strip() for name in names if name.strip()))
    for name in wanted:
        if len(name) > 200:
            raise InvalidInput("an author's name is at most 200 characters", field="authors")
    with db.transaction() as session:
        incident = incidents.load_incident(session, incident_id, actor)
        pm = postmortem_row(session, incident)
        if pm.status in REVIEW_LOCKS_AUTHORS:
            current = session.scalars(
                select(Person.name)
                .join(PostmortemPerson, PostmortemPerson.person_id == Person.id)
                .where(PostmortemPerson.postmortem_id == pm.id, PostmortemPerson.role == "author")
            ).all()
            if {name.lower() for name in current} != {name.lower() for name in wanted}:
                raise Conflict(
                    f"{incident.key} is {pm.status}: its authors cannot change until it is sent back to draft "
                    "(an author must not become its own reviewer)"
                )
        session.execute(
            delete(PostmortemPerson).where(PostmortemPerson.postmortem_id == pm.id, PostmortemPerson.role == "author")
        )
        for position, name in enumerate(wanted):
            person = get_or_create_person(session, name)
            session.add(PostmortemPerson(postmortem_id=pm.id, person_id=person.id, role="author", position=position))
        return wanted
