"""GitHub Issues (REST): an issue per action item with labels and assignee; closed is done."""

from __future__ import annotations

import time

import httpx

from afteraction.core.config import Settings
from afteraction.core.errors import ConfigurationError, TrackerError
from afteraction.trackers import RemoteStatus, Sleep, TrackerIssue, TrackerItem, require
from afteraction.trackers.http import HttpClient, retry_after


def github_rate_limit(response: httpx.Response) -> float | None:
    """GitHub's primary and secondary rate limits: 403 or 429 with Retry-After, a spent quota, or the message."""
    if response.status_code not in (403, 429):
        return None
    wait = retry_after(response)
    if wait is not None:
        return wait
    if response.headers.get("x-ratelimit-remaining") == "0" and response.headers.get("x-ratelimit-reset"):
        try:
            return max(0.0, float(response.headers["x-ratelimit-reset"]) - time.time()) + 1.0
        except ValueError:
            return 60.0
    if response.status_code == 429 or "rate limit" in response.text.lower():
        return 60.0  # GitHub's advice when a secondary limit gives no header: wait at least a minute
    return None


def issue_body(item: TrackerItem) -> str:
    """The issue text: where the item comes from, its details, and the marker that finds it again."""
    source = f"[{item.incident_id}: {item.incident_title}]({item.link})" if item.link else item.incident_id
    lines = [f"Action item **{item.action_id}** from the post-mortem of {source}.", ""]
    lines += [f"- Type: {item.type}"] if item.type else []
    lines += [f"- Priority: {item.priority}"] if item.priority else []
    lines += [f"- Owner: {item.owner}"] if item.owner else []
    lines += [f"- Due: {item.due.isoformat()}" if item.due else "- Due: not set"]
    lines += ["", "Tracked by afteraction: closing this issue marks the action item done.", f"<!-- {item.marker} -->"]
    return "\n".join(lines)


class GitHubTracker:
    """GitHub Issues of one repository, through the REST API with a token."""

    name = "github"

    def __init__(self, settings: Settings, *, sleep: Sleep = time.sleep) -> None:
        require(settings, "github", "github_token", "github_repo")
        assert settings.github_token and settings.github_repo
        if settings.github_repo.count("/") != 1:
            raise ConfigurationError(f"AFTERACTION_GITHUB_REPO must be owner/name, not {settings.github_repo!r}")
        self.repo = settings.github_repo.strip("/")
        self.http = HttpClient(
            "GitHub",
            base_url=settings.github_api_url.rstrip("/"),
            headers={
                "Accept": "application/vnd.github+json",
                "Authorization": f"Bearer {settings.github_token.get_secret_value()}",
                "X-GitHub-Api-Version": "2022-11-28",
            },
            timeout=settings.outbound_timeout,
            max_wait=settings.tracker_max_wait,
            auth_hint="AFTERACTION_GITHUB_TOKEN (it needs Issues read and write on AFTERACTION_GITHUB_REPO)",
            rate_limit=github_rate_limit,
            sleep=sleep,
        )

    def _number(self, key: str) -> str:
        number = key.rsplit("#", 1)[-1]
        if not number.isdigit():
            raise TrackerError(f"{key!r} is not a GitHub issue key (owner/name#number)")
        return number

    def _issue(self, body: object) -> TrackerIssue:
        if not isinstance(body, dict) or not isinstance(body.get("number"), int):
            raise TrackerError("GitHub answered without an issue number")
        return TrackerIssue(key=f"{self.repo}#{body['number']}", url=body.get("html_url"))

    def create(self, item: TrackerItem) -> TrackerIssue:
        """Create the issue (`POST /repos/{owner}/{repo}/issues`)."""
        labels = ["postmortem", item.incident_id] + ([item.priority] if item.priority else [])
        payload: dict[str, object] = {"title": item.title, "body": issue_body(item), "labels": labels}
        if item.owner_github:
            payload["assignees"] = [item.owner_github]
        return self._issue(self.http.json(self.http.request("POST", f"/repos/{self.repo}/issues", json_body=payload)))

    def find(self, item: TrackerItem) -> TrackerIssue | None:
        """The issue of the incident's label whose body holds the item's marker (`GET /repos/{owner}/{repo}/issues`).

        Not the search API: its index lags behind a create by seconds to minutes, and a sync run soon after a lost
        answer would not find the issue and would create a second one.
        """
        tag = f"<!-- {item.marker} -->"
        for page in range(1, 101):
            params = {"labels": item.incident_id, "state": "all", "per_page": "100", "page": str(page)}
            issues = self.http.json(self.http.request("GET", f"/repos/{self.repo}/issues", params=params))
            if not isinstance(issues, list):
                raise TrackerError("GitHub answered the issue list without a list")
            for issue in issues:
                if isinstance(issue, dict) and "pull_request" not in issue and tag in str(issue.get("body") or ""):
                    return self._issue(issue)
            if len(issues) < 100:
                break
        return None

    def fetch_status(self, key: str) -> RemoteStatus:
        """`closed` is done (wont-do when closed as not planned); `open` is open."""
        body = self.http.json(self.http.request("GET", f"/repos/{self.repo}/issues/{self._number(key)}"))
        state = str(body.get("state", "open")) if isinstance(body, dict) else "open"
        if state == "closed":
            reason = str(body.get("state_reason") or "completed")
            return RemoteStatus("wont-do" if reason == "not_planned" else "done", f"closed ({reason})")
        return RemoteStatus("open", state)

    def update(self, key: str, item: TrackerItem) -> None:
        """Push the title and the body with the due date (`PATCH /repos/{owner}/{repo}/issues/{number}`)."""
        payload = {"title": item.title, "body": issue_body(item)}
        self.http.request("PATCH", f"/repos/{self.repo}/issues/{self._number(key)}", json_body=payload)

    def close(self) -> None:
        """Close the connections."""
        self.http.close()
