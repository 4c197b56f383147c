"""The post-mortem editor: prose sections edited in place with a preview and lint findings, the five-whys tree,
contributing factors, lessons and action items. A stale save shows both versions instead of overwriting."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Annotated, Any, Literal, TypeVar

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import HTMLResponse, Response

from afteraction.actions import service as actions
from afteraction.core.db import utcnow
from afteraction.core.errors import Conflict, InvalidInput
from afteraction.documents.markdown import markdown_html
from afteraction.domain import whytree
from afteraction.domain.actions import ACTION_STATUSES, ACTION_TYPES, PRIORITIES, ActionChanges
from afteraction.domain.reviews import LESSON_KINDS, FactorData, LessonData, SectionData
from afteraction.insights import suggestions
from afteraction.reviews import sections
from afteraction.usecases import actions as action_usecases
from afteraction.usecases import editor
from afteraction.web.deps import AppLintConfig, AppPolicy, Editor, IncidentId, Viewer, lint_config_of, policy_of
from afteraction.web.pages.forms import day, optional, words
from afteraction.web.pages.rendering import environment, redirect, render
from afteraction.web.pages.session import PageDb, safe_next

router = APIRouter()

HIGHLIGHTS_SHOWN = 500  # highlights listed on the page; the incident page pages through all of them

Item = TypeVar("Item")
ProseName = Literal["summary", "impact", "trigger", "detection", "resolution", "problem_statement", "supporting_info"]
PROSE_TITLES: dict[str, str] = {
    "summary": "Summary",
    "impact": "Impact",
    "trigger": "Trigger",
    "detection": "Detection",
    "resolution": "Resolution",
    "problem_statement": "Problem statement",
    "supporting_info": "Supporting information",
}
PROSE_HINTS: dict[str, str] = {
    "summary": "What happened, in a few sentences a newcomer understands.",
    "impact": "Who and what was affected, for how long, and how much.",
    "trigger": "The change or event that set it off (kept apart from the root causes).",
    "detection": "How it was noticed, and how it could have been noticed sooner.",
    "resolution": "What was done to mitigate and to resolve it.",
    "problem_statement": "The problem the whys start from.",
    "supporting_info": "Links to dashboards, logs, tickets and documents.",
}
LESSON_TITLES: dict[str, str] = {
    "went-well": "What went well",
    "went-wrong": "What went wrong",
    "lucky": "Where we got lucky",
    "learned": "Lessons learned",
}
LongText = Annotated[str, Form(max_length=200_000)]
ShortText = Annotated[str, Form(max_length=10_000)]
Version = Annotated[int, Form(ge=1, le=2**31 - 1)]
Index = Annotated[int, Form(ge=0, le=10_000)]


def _context(request: Request, view: editor.EditorView) -> dict[str, Any]:
    """What the page and each of its parts render from."""
    return {
        "view": view,
        "incident": view.incident,
        "pm": view.postmortem,
        "prose_titles": PROSE_TITLES,
        "prose_hints": PROSE_HINTS,
        "lesson_titles": LESSON_TITLES,
        "lesson_kinds": LESSON_KINDS,
        "action_types": ACTION_TYPES,
        "priorities": PRIORITIES,
        "action_statuses": ACTION_STATUSES,
        "highlights_shown": HIGHLIGHTS_SHOWN,
        "oob": False,
        "message": None,
    }


def _view(request: Request, db: Any, incident_id: str, user: Any) -> editor.EditorView:
    return editor.editor_view(
        db, incident_id=incident_id, config=lint_config_of(request), today=utcnow().date(), actor=user
    )


def _editor(request: Request, db: Any, incident_id: str, user: Any, status: int = 200, **editing: Any) -> Response:
    view = _view(request, db, incident_id, user)
    context = _context(request, view)
    return render(request, "postmortem.html", status=status, editing=editing or None, **context)


# The parts of the page a change updates in place (htmx): the part it swaps, and the parts whose content depends on
# it, sent along out of band (the whys and factors are what action items address; every change moves the score).
Part = Literal["whys", "factors", "lessons", "actions", "sections"]
PART_TEMPLATES: dict[str, str] = {
    "whys": "_pm_whys.html",
    "factors": "_pm_factors.html",
    "lessons": "_pm_lessons.html",
    "actions": "_pm_actions.html",
    "sections": "_pm_sections.html",
}
PART_ANCHORS: dict[str, str] = {
    "whys": "whys", "factors": "factors", "lessons": "lessons", "actions": "actions", "sections": "custom-sections",
}  # fmt: skip
DEPENDENT_PARTS: dict[str, tuple[str, ...]] = {
    "whys": ("_pm_whys_head.html", "_pm_actions.html"),
    "factors": ("_pm_actions.html",),
}
ALWAYS_PARTS = ("_pm_summary.html", "_pm_general.html")


def in_place(request: Request) -> bool:
    """Whether the change was sent by the page's script (htmx), which swaps the answer in place."""
    return request.headers.get("hx-request") == "true"


def _answer(
    request: Request,
    db: Any,
    incident_id: str,
    user: Any,
    part: Part,
    *,
    ok: str | None = None,
    error: str | None = None,
    anchor: str | None = None,
) -> Response:
    """After a change of one part: that part (and those depending on it) with what happened, to swap in place; or,
    for a plain form, the page again with the message (Post/Redirect/Get)."""
    if not in_place(request):
        where = anchor or PART_ANCHORS[part]
        return redirect(request, f"/incidents/{incident_id}/postmortem#{where}", ok=ok, error=error)
    view = _view(request, db, incident_id, user)
    context = _context(request, view)
    context["message"] = ("error", error) if error else ("ok", ok) if ok else None
    response = render(
        request, "_pm_fragment.html", part=PART_TEMPLATES[part],
        also=[*DEPENDENT_PARTS.get(part, ()), *ALWAYS_PARTS], editing=None, **context,
    )  # fmt: skip
    response.headers["Vary"] = "HX-Request"
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get("/incidents/{incident_id}/postmortem")
def editor_page(request: Request, incident_id: IncidentId, user: Viewer, db: PageDb) -> Response:
    """The post-mortem with its lint findings and completeness score; editors get the edit controls."""
    return _editor(request, db, incident_id, user)


@router.post("/incidents/{incident_id}/postmortem/sections/{name}")
def save_section(
    request: Request,
    incident_id: IncidentId,
    name: ProseName,
    user: Editor,
    db: PageDb,
    policy: AppPolicy,
    text: LongText,
    version: Version,
    action: Annotated[Literal["save", "preview"], Form()] = "save",
) -> Response:
    """Save a prose section from the version it was edited from; a preview (or a conflict) shows the page again."""
    text = text.replace("\r\n", "\n")
    if action == "preview":
        return _with_draft(request, db, incident_id, user, name, text, version, conflict=None)
    try:
        sections.update_text_section(
            db,
            incident_id=incident_id,
            name=name,
            text=text,
            expected_version=version,
            actor=user,
            policy=policy,
        )
    except Conflict:
        current = sections.get_text_section(db, incident_id=incident_id, name=name, actor=user)
        return _with_draft(request, db, incident_id, user, name, text, current.version, conflict=current, status=409)
    return redirect(
        request, f"/incidents/{incident_id}/postmortem#{name}", ok=f"Saved the {PROSE_TITLES[name].lower()}."
    )


def _with_draft(
    request: Request,
    db: Any,
    incident_id: str,
    user: Any,
    name: str,
    text: str,
    version: int,
    conflict: sections.TextSection | None,
    status: int = 200,
) -> Response:
    from afteraction.reviews.sections import get_postmortem

    doc = get_postmortem(db, incident_id=incident_id, actor=user)
    findings = editor.draft_findings(doc, name=name, text=text, config=lint_config_of(request), today=utcnow().date())
    return _editor(
        request, db, incident_id, user, status=status,
        name=name, text=text, version=version, preview=markdown_html(text), findings=findings, conflict=conflict,
    )  # fmt: skip


@router.post("/incidents/{incident_id}/postmortem/sections/{name}/live")
def live_section(
    incident_id: IncidentId, name: ProseName, user: Editor, db: PageDb, config: AppLintConfig, text: LongText
) -> Response:
    """The preview and the lint findings of unsaved text, as an HTML fragment the editor's script shows."""
    doc = sections.get_postmortem(db, incident_id=incident_id, actor=user)
    findings = editor.draft_findings(
        doc, name=name, text=text.replace("\r\n", "\n"), config=config, today=utcnow().date()
    )
    html = environment().get_template("_live.html").render(preview=markdown_html(text), findings=findings)
    return HTMLResponse(html)


@router.post("/incidents/{incident_id}/postmortem/authors")
def save_authors(
    request: Request, incident_id: IncidentId, user: Editor, db: PageDb, authors: Annotated[str, Form(max_length=2000)]
) -> Response:
    """Replace the post-mortem's authors (comma-separated names)."""
    back = f"/incidents/{incident_id}/postmortem"
    try:
        names = editor.set_authors(db, incident_id=incident_id, names=words(authors), actor=user)
    except InvalidInput as exc:
        return redirect(request, back, error=exc.message)
    return redirect(request, back, ok="Authors: " + (", ".join(names) or "none") + ".")


# ---------------------------------------------------------------- the five whys


def _replace_whys(
    request: Request, db: Any, incident_id: str, user: Any, version: int, change: Any, done: str, attempted: str
) -> Response:
    current = sections.get_whys(db, incident_id=incident_id, actor=user)
    try:
        if current.version != version:
            raise Conflict("stale", current_version=current.version)
        sections.replace_whys(
            db, incident_id=incident_id, nodes=change(current.nodes), expected_version=version, actor=user,
            policy=policy_of(request),
        )  # fmt: skip
    except Conflict:
        return _answer(
            request, db, incident_id, user, "whys",
            error=f"Someone changed the five whys meanwhile, so this was not applied: {attempted}. "
            "The page shows their tree now; make the change again.",
        )  # fmt: skip
    except InvalidInput as exc:
        return _answer(request, db, incident_id, user, "whys", error=exc.message)
    return _answer(request, db, incident_id, user, "whys", ok=done)


@router.post("/incidents/{incident_id}/postmortem/whys/add")
def add_why(
    request: Request,
    incident_id: IncidentId,
    user: Editor,
    db: PageDb,
    version: Version,
    text: ShortText,
    parent: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Add a why under a why (`parent` 1.2), or a new branch from the problem (no parent)."""
    where = f"under W{parent}" if parent else "as a new branch"
    return _replace_whys(
        request, db, incident_id, user, version,
        lambda nodes: whytree.add_why(nodes, parent=parent or None, text=text),
        f"Added a why {where}.", f'add "{text.strip()}" {where}',
    )  # fmt: skip


@router.post("/incidents/{incident_id}/postmortem/whys/edit")
def edit_why(
    request: Request,
    incident_id: IncidentId,
    user: Editor,
    db: PageDb,
    version: Version,
    path: Annotated[str, Form(max_length=200)],
    text: ShortText,
) -> Response:
    """Change the text of a why."""
    return _replace_whys(
        request, db, incident_id, user, version, lambda nodes: whytree.edit_why(nodes, path=path, text=text),
        f"Saved W{path}.", f'change W{path} to "{text.strip()}"',
    )  # fmt: skip


@router.post("/incidents/{incident_id}/postmortem/whys/root")
def mark_root(
    request: Request,
    incident_id: IncidentId,
    user: Editor,
    db: PageDb,
    version: Version,
    path: Annotated[str, Form(max_length=200)],
    root_cause: Annotated[bool, Form()] = False,
) -> Response:
    """Mark a why as a root cause, or take the mark away."""
    what = "marked as a root cause" if root_cause else "no longer a root cause"
    return _replace_whys(
        request, db, incident_id, user, version,
        lambda nodes: whytree.mark_root_cause(nodes, path=path, root_cause=root_cause),
        f"W{path} is {what}.", f"W{path} {what}",
    )  # fmt: skip


@router.post("/incidents/{incident_id}/postmortem/whys/move")
def move_why(
    request: Request,
    incident_id: IncidentId,
    user: Editor,
    db: PageDb,
    version: Version,
    path: Annotated[str, Form(max_length=200)],
    step: Annotated[Literal["up", "down"], Form()],
) -> Response:
    """Move a why (with the whys below it) up or down among its siblings."""
    return _replace_whys(
        request, db, incident_id, user, version,
        lambda nodes: whytree.move_why(nodes, path=path, step=-1 if step == "up" else 1),
        f"Moved W{path} {step}.", f"move W{path} {step}",
    )  # fmt: skip


@router.post("/incidents/{incident_id}/postmortem/whys/delete")
def delete_why(
    request: Request,
    incident_id: IncidentId,
    user: Editor,
    db: PageDb,
    version: Version,
    path: Annotated[str, Form(max_length=200)],
) -> Response:
    """Remove a why and the whys below it."""
    return _replace_whys(
        request, db, incident_id, user, version, lambda nodes: whytree.remove_why(nodes, path=path),
        f"Removed W{path} and the whys below it.", f"remove W{path}",
    )  # fmt: skip


# ---------------------------------------------------------------- factors, lessons and custom sections

Op = Literal["add", "edit", "delete", "up", "down"]


def _edited(
    items: Sequence[Item],
    op: str,
    index: int,
    make: Callable[[], Item],
    same: Callable[[Item, Item], bool] = lambda _a, _b: True,
) -> list[Item]:
    """The items after adding one (`make`), replacing the one at `index`, deleting it, or moving it up or down past
    the nearest item that is the `same` kind (a lesson moves among the lessons of its kind); Conflict("stale") when
    that one is gone (someone else removed items meanwhile)."""
    edited = list(items)
    if op == "add":
        edited.append(make())
    elif index >= len(edited):
        raise Conflict("stale")
    elif op == "edit":
        edited[index] = make()
    elif op in ("up", "down"):
        step = -1 if op == "up" else 1
        other = index + step
        while 0 <= other < len(edited) and not same(edited[index], edited[other]):
            other += step
        if 0 <= other < len(edited):
            edited[index], edited[other] = edited[other], edited[index]
    else:
        edited.pop(index)
    return edited


@router.post("/incidents/{incident_id}/postmortem/factors")
def change_factors(
    request: Request,
    incident_id: IncidentId,
    user: Editor,
    db: PageDb,
    version: Version,
    op: Annotated[Op, Form()],
    index: Index = 0,
    text: ShortText = "",
    category: Annotated[str, Form(max_length=60)] = "",
) -> Response:
    """Add, change, move or remove a contributing factor (with its category)."""
    current = sections.get_factors(db, incident_id=incident_id, actor=user)
    label = f"F{index + 1}"
    return _change_list(
        request, db, incident_id, user, "factors", "contributing factors", current, version, op, index,
        lambda: FactorData(text=text.strip(), category=optional(category)), sections.replace_factors,
        _said("the factor", label),
    )  # fmt: skip


@router.post("/incidents/{incident_id}/postmortem/factors/suggestion")
def answer_suggestion(
    request: Request,
    incident_id: IncidentId,
    user: Editor,
    db: PageDb,
    version: Version,
    index: Index,
    text: ShortText,
    category: Annotated[str, Form(max_length=60)],
    answer: Annotated[Literal["accept", "reject"], Form()],
) -> Response:
    """Accept the category suggested for a factor (the factor takes it) or reject it (not suggested again for that
    factor's text); both answers are recorded."""
    try:
        said = suggestions.decide_suggestion(
            db, incident_id=incident_id, index=index, factor_text=text, category=category, accept=answer == "accept",
            expected_version=version, actor=user, policy=policy_of(request),
        )  # fmt: skip
    except Conflict:
        return _stale(request, db, incident_id, user, "factors", "contributing factors")
    except InvalidInput as exc:
        return _answer(request, db, incident_id, user, "factors", error=exc.message)
    return _answer(request, db, incident_id, user, "factors", ok=said)


def _said(new: str, label: str) -> dict[str, str]:
    """What the page says after each change of a list item ("Added the factor.", "Moved F2 up.")."""
    return {
        "add": f"Added {new}.", "edit": f"Saved {label}.", "delete": f"Removed {label}.",
        "up": f"Moved {label} up.", "down": f"Moved {label} down.",
    }  # fmt: skip


def _change_list(
    request: Request, db: Any, incident_id: str, user: Any, part: Part, what: str, current: Any, version: int,
    op: str, index: int, make: Callable[[], Any], replace: Callable[..., Any], said: dict[str, str],
    same: Callable[[Any, Any], bool] = lambda _a, _b: True,
) -> Response:  # fmt: skip
    """One change of a versioned list (factors, lessons, custom sections): applied unless someone changed the list
    meanwhile, then the part answered (or the page, without the script) with what happened."""
    try:
        items = _edited(current.items, op, index, make, same)
        if current.version != version:
            raise Conflict("stale")
        replace(db, incident_id=incident_id, items=items, expected_version=version, actor=user,
                policy=policy_of(request))  # fmt: skip
    except Conflict:
        return _stale(request, db, incident_id, user, part, what)
    except InvalidInput as exc:
        return _answer(request, db, incident_id, user, part, error=exc.message)
    return _answer(request, db, incident_id, user, part, ok=said[op])


def _stale(request: Request, db: Any, incident_id: str, user: Any, part: Part, what: str) -> Response:
    return _answer(
        request, db, incident_id, user, part,
        error=f"Someone changed the {what} meanwhile, so your change was not applied. The page shows theirs now.",
    )  # fmt: skip


@router.post("/incidents/{incident_id}/postmortem/lessons")
def change_lessons(
    request: Request,
    incident_id: IncidentId,
    user: Editor,
    db: PageDb,
    version: Version,
    op: Annotated[Op, Form()],
    index: Index = 0,
    kind: Annotated[str, Form(max_length=20)] = "learned",
    text: ShortText = "",
) -> Response:
    """Add, change, move (among the lessons of its kind) or remove a lesson (went well, went wrong, lucky, learned)."""
    current = sections.get_lessons(db, incident_id=incident_id, actor=user)
    return _change_list(
        request, db, incident_id, user, "lessons", "lessons", current, version, op, index,
        lambda: LessonData(kind=kind, text=text.strip()), sections.replace_lessons, _said("the lesson", "the lesson"),
        lambda a, b: a.kind == b.kind,
    )  # fmt: skip


@router.post("/incidents/{incident_id}/postmortem/custom")
def change_custom_sections(
    request: Request,
    incident_id: IncidentId,
    user: Editor,
    db: PageDb,
    version: Version,
    op: Annotated[Op, Form()],
    index: Index = 0,
    heading: Annotated[str, Form(max_length=1000)] = "",
    body: LongText = "",
) -> Response:
    """Add, change, move or remove a custom section (its heading and text), such as an imported "Attendees"."""
    current = sections.get_extra_sections(db, incident_id=incident_id, actor=user)
    name = (heading.strip() or (current.items[index].heading if index < len(current.items) else "")) or "section"
    label = f"the section “{' '.join(name.split())}”"
    return _change_list(
        request, db, incident_id, user, "sections", "other sections", current, version, op, index,
        lambda: SectionData(heading=heading, body=body), sections.replace_extra_sections, _said(label, label),
    )  # fmt: skip


# ---------------------------------------------------------------- action items


@router.post("/incidents/{incident_id}/postmortem/actions")
def add_action(
    request: Request,
    incident_id: IncidentId,
    user: Editor,
    db: PageDb,
    policy: AppPolicy,
    title: Annotated[str, Form(max_length=2000)],
    owner: Annotated[str, Form(max_length=200)] = "",
    due: Annotated[str, Form(max_length=20)] = "",
    type: Annotated[str, Form(max_length=20)] = "",
    priority: Annotated[str, Form(max_length=20)] = "",
    addresses: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    """Add an action item to the post-mortem, with the why or factor it addresses; no due date takes the policy's."""
    try:
        item = action_usecases.add_action(
            db, incident_id=incident_id, title=title, owner=optional(owner), due=day(due, "due"),
            type=optional(type), priority=optional(priority), policy=policy, actor=user,
        )  # fmt: skip
        if addresses.strip():
            editor.link_action(db, action_id=item.id or "", addresses=addresses, actor=user)
    except InvalidInput as exc:
        return _answer(request, db, incident_id, user, "actions", error=exc.message)
    return _answer(request, db, incident_id, user, "actions", ok=f"Added {item.id}.")


@router.post("/incidents/{incident_id}/postmortem/actions/{action_id}/move")
def move_action(
    request: Request,
    incident_id: IncidentId,
    action_id: Annotated[str, Path(max_length=40)],
    user: Editor,
    db: PageDb,
    step: Annotated[Literal["up", "down"], Form()],
) -> Response:
    """Move an action item up or down in its post-mortem."""
    moved = actions.move_action(db, action_id=action_id, step=-1 if step == "up" else 1, actor=user)
    return _answer(
        request, db, moved[0].incident_id or incident_id, user, "actions", ok=f"Moved {action_id.upper()} {step}."
    )


@router.post("/incidents/{incident_id}/postmortem/actions/{action_id}/delete")
def delete_action(
    request: Request,
    incident_id: IncidentId,
    action_id: Annotated[str, Path(max_length=40)],
    user: Editor,
    db: PageDb,
    version: Version,
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Delete an action item, saying why; the reason is kept in the post-mortem's history."""
    try:
        gone = editor.delete_action(
            db, action_id=action_id, reason=reason, expected_version=version, actor=user, policy=policy_of(request)
        )
    except Conflict:
        return _answer(
            request, db, incident_id, user, "actions", anchor=action_id,
            error=f"Someone changed {action_id} meanwhile, so it was not deleted. The page shows it as it is now.",
        )  # fmt: skip
    except InvalidInput as exc:
        return _answer(request, db, incident_id, user, "actions", anchor=action_id, error=exc.message)
    return _answer(
        request, db, gone.incident_id or incident_id, user, "actions", ok=f"Deleted {gone.id}: {gone.title}."
    )


@router.post("/actions/{action_id}")
def update_action(
    request: Request,
    action_id: Annotated[str, Path(max_length=40)],
    user: Editor,
    db: PageDb,
    version: Version,
    back: Annotated[str, Form(max_length=2000)] = "/actions",
    title: Annotated[str | None, Form(max_length=2000)] = None,
    status: Annotated[str | None, Form(max_length=20)] = None,
    owner: Annotated[str | None, Form(max_length=200)] = None,
    due: Annotated[str | None, Form(max_length=20)] = None,
    type: Annotated[str | None, Form(max_length=20)] = None,
    priority: Annotated[str | None, Form(max_length=20)] = None,
    reason: Annotated[str | None, Form(max_length=2000)] = None,
    addresses: Annotated[str | None, Form(max_length=40)] = None,
) -> Response:
    """Change an action item from the version shown; a stale form changes nothing and says so. Sent from the
    post-mortem editor's script, the answer is its action items, to swap in place."""
    target = safe_next(back)

    def answer(*, ok: str | None = None, error: str | None = None) -> Response:
        if in_place(request) and "/postmortem" in target:
            incident = actions.get_action(db, action_id=action_id, actor=user).incident_id or ""
            return _answer(request, db, incident, user, "actions", ok=ok, error=error)
        return redirect(request, target, ok=ok, error=error)

    try:
        changes = ActionChanges(
            title=optional(title), status=optional(status), owner=owner, due=day(due, "due"), type=optional(type),
            priority=optional(priority), reason=optional(reason), expected_version=version,
        )  # fmt: skip
        item = action_usecases.update_action(
            db, actor=user, action_id=action_id, changes=changes, policy=policy_of(request)
        ).item
        if addresses is not None:
            item = editor.link_action(db, action_id=item.id or action_id, addresses=addresses, actor=user)
    except Conflict:
        return answer(
            error=f"Someone changed {action_id} meanwhile, so your change was not applied. The page shows theirs now."
        )
    except InvalidInput as exc:
        return answer(error=exc.message)
    return answer(ok=f"Saved {item.id}.")
