"""GitHub: deployment, deployment_status, push (and issues) webhook payloads, and the REST deployments list."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from afteraction.timeline.events import ImportedEvent
from afteraction.timeline.importers._base import (
    ENTRY_ERRORS,
    EntryError,
    ImportOptions,
    iter_records,
    located,
    need,
    obj,
    text_of,
    time_field,
)
from afteraction.timeline.timeparse import from_epoch_seconds, parse_rfc3339

FORMAT = "github"
_ZERO_SHA = "0" * 40
_ROLLBACK_WORDS = ("rollback", "roll back", "rolled back", "revert")


def matches(doc: Any) -> bool:
    """Whether a JSON document is a GitHub webhook payload or REST deployment (status) object."""
    if not isinstance(doc, dict):
        return False
    if isinstance(doc.get("deployment"), dict) or isinstance(doc.get("deployment_status"), dict):
        return True
    if "commits" in doc and "ref" in doc and ("pusher" in doc or "head_commit" in doc):
        return True
    if isinstance(doc.get("issue"), dict) and isinstance(doc.get("repository"), dict):
        return True
    return _is_deployment(doc) or _is_status(doc)


def _is_deployment(doc: dict[str, Any]) -> bool:
    return "statuses_url" in doc and "sha" in doc and "environment" in doc


def _is_status(doc: dict[str, Any]) -> bool:
    return "deployment_url" in doc and "state" in doc


def read(path: Path, options: ImportOptions) -> Iterator[ImportedEvent]:
    """Deploy, rollback, status, change and note events at the times GitHub recorded."""
    label = str(path)
    for where, doc in iter_records(path, options.limits.json_max_depth):
        try:
            events = _document(doc, options)
        except ENTRY_ERRORS as exc:
            raise located(label, where, exc) from None
        yield from events


def _document(doc: Any, options: ImportOptions) -> list[ImportedEvent]:
    if not isinstance(doc, dict):
        raise EntryError(f"expected an object, found {type(doc).__name__}")
    repo = obj(doc.get("repository"))
    if isinstance(doc.get("deployment_status"), dict):
        deployment = obj(doc.get("deployment"))
        events = [_deployment(deployment, repo)] if deployment else []
        events.append(_status(doc["deployment_status"], deployment, repo))
        return events
    if isinstance(doc.get("deployment"), dict):
        return [_deployment(doc["deployment"], repo)]
    if "commits" in doc and "ref" in doc:
        return _push(doc, repo, options)
    if isinstance(doc.get("issue"), dict):
        return [_issue(doc, repo)]
    if _is_deployment(doc):
        return [_deployment(doc, repo)]
    if _is_status(doc):
        return [_status(doc, {}, repo)]
    raise EntryError("not a deployment, deployment_status, push or issues payload")


def _login(user: Any) -> str | None:
    login = obj(user).get("login")
    return login if isinstance(login, str) and login else None


def _repo_link(repo: dict[str, Any], api_url: Any) -> str | None:
    html = repo.get("html_url")
    if isinstance(html, str) and html:
        return html
    # REST objects name only the API URL of the repository; its web page is the same path on github.com.
    if isinstance(api_url, str) and api_url.startswith("https://api.github.com/repos/"):
        return "https://github.com/" + api_url.removeprefix("https://api.github.com/repos/")
    return None


def _is_rollback(*texts: Any) -> bool:
    joined = " ".join(text for text in texts if isinstance(text, str)).lower()
    return any(word in joined for word in _ROLLBACK_WORDS)


def _deployment(deployment: dict[str, Any], repo: dict[str, Any]) -> ImportedEvent:
    deployment_id = text_of(need(deployment, "id"))
    at = time_field(deployment, "created_at", parse_rfc3339)
    environment = text_of(deployment.get("environment")) or "an environment"
    ref = text_of(deployment.get("ref"))
    sha = text_of(deployment.get("sha"))[:7]
    what = f"{ref} ({sha})" if ref and sha and ref != sha else ref or sha or "a commit"
    rollback = _is_rollback(deployment.get("task"), deployment.get("description"))
    verb = "Rollback" if rollback else "Deploy"
    text = f"{verb} of {what} to {environment}"
    description = deployment.get("description")
    if isinstance(description, str) and description:
        text += f": {description}"
    link = _repo_link(repo, deployment.get("repository_url"))
    return ImportedEvent(
        at=at,
        source=FORMAT,
        kind="rollback" if rollback else "deploy",
        text=text,
        source_id=f"deployment:{deployment_id}",
        actor=_login(deployment.get("creator")),
        link=f"{link}/deployments" if link else None,
    )


def _status(status: dict[str, Any], deployment: dict[str, Any], repo: dict[str, Any]) -> ImportedEvent:
    status_id = text_of(need(status, "id"))
    at = time_field(status, "created_at", parse_rfc3339)
    state = text_of(need(status, "state"))
    environment = text_of(status.get("environment") or deployment.get("environment")) or "an environment"
    text = f"Deployment to {environment}: {state}"
    description = status.get("description")
    if isinstance(description, str) and description:
        text += f" ({description})"
    target = status.get("target_url") or status.get("log_url") or status.get("environment_url")
    link = _repo_link(repo, status.get("repository_url"))
    return ImportedEvent(
        at=at,
        source=FORMAT,
        kind="status",
        text=text,
        source_id=f"deployment_status:{status_id}",
        actor=_login(status.get("creator")),
        link=text_of(target) or (f"{link}/deployments" if link else None),
        parent_id=f"deployment:{deployment['id']}" if deployment.get("id") is not None else None,
    )


def _push(doc: dict[str, Any], repo: dict[str, Any], options: ImportOptions) -> list[ImportedEvent]:
    ref = text_of(doc.get("ref"))
    branch = ref.removeprefix("refs/heads/").removeprefix("refs/tags/")
    pusher = text_of(obj(doc.get("pusher")).get("name")) or _login(doc.get("sender"))
    events: list[ImportedEvent] = []
    commits = doc.get("commits")
    for index, commit in enumerate(commits if isinstance(commits, list) else [], start=1):
        try:
            events.append(_commit(commit, branch, options))
        except EntryError as exc:
            raise EntryError(f"commit {index}: {exc}") from None
    if not events:
        # A branch or tag created or deleted without commits: the push time is all there is.
        pushed = repo.get("pushed_at")
        if pushed is None:
            raise EntryError("a push without commits and without 'repository.pushed_at'")
        at = from_epoch_seconds(pushed) if isinstance(pushed, int) else parse_rfc3339(text_of(pushed))
        action = "deleted" if doc.get("deleted") else "created" if doc.get("created") else "pushed"
        events.append(
            ImportedEvent(
                at=at,
                source=FORMAT,
                kind="change",
                text=f"{action.capitalize()} {ref}",
                source_id=f"push:{doc.get('before')}:{doc.get('after')}:{ref}",
                actor=pusher,
                link=text_of(doc.get("compare")) or None,
            )
        )
    return events


def _commit(commit: Any, branch: str, options: ImportOptions) -> ImportedEvent:
    sha = text_of(need(commit, "id"))
    at = time_field(commit, "timestamp", parse_rfc3339)
    subject = text_of(commit.get("message")).split("\n", 1)[0]
    author = obj(commit.get("author"))
    kind = "change"
    if options.deploys:
        kind = "rollback" if _is_rollback(subject.split(" ", 1)[0]) else "deploy"
    return ImportedEvent(
        at=at,
        source=FORMAT,
        kind=kind,
        text=f"{subject} ({branch})" if branch else subject,
        source_id=sha,
        actor=text_of(author.get("name") or author.get("username")) or None,
        link=text_of(commit.get("url")) or None,
    )


def _issue(doc: dict[str, Any], repo: dict[str, Any]) -> ImportedEvent:
    issue = doc["issue"]
    action = text_of(need(doc, "action"))
    number = need(issue, "number")
    time_key = {"opened": "created_at", "closed": "closed_at"}.get(action, "updated_at")
    at = time_field(issue, time_key, parse_rfc3339)
    return ImportedEvent(
        at=at,
        source=FORMAT,
        kind="note" if action == "opened" else "status",
        text=f"Issue #{number} {action}: {text_of(issue.get('title'))}",
        source_id=f"issue:{issue.get('id', number)}:{action}:{issue.get(time_key)}",
        actor=_login(doc.get("sender")) or _login(issue.get("user")),
        link=text_of(issue.get("html_url")) or None,
    )
